"""What a pytester run leaves in its folder by itself, whatever the plugin did."""

# Its captured output and basetemp, and Python's bytecode cache of the test
# files (absent only where PYTHONDONTWRITEBYTECODE is set).
PYTESTERS_OWN = frozenset({"stdout", "stderr", "runpytest-0", "runpytest-current", "__pycache__"})
