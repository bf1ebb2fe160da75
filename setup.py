"""The wheel carries the example project, so `quill init` can start a user's own
from it: the repository's conftest.py, hardware_profiles/, squireos/ and
suites/ are copied into the built package as pytest_quill/example/. Everything
else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLE = ("conftest.py", "hardware_profiles", "squireos", "suites")
# Built or user-supplied files never travel: the twin's U-Boot build, the Nook's boot files.
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "out", "MLO", "u-boot.bin")


class BuildWithExample(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "pytest_quill" / "example"
        shutil.rmtree(target, ignore_errors=True)
        for name in EXAMPLE:
            source = Path(name)
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=SKIP)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithExample})
