"""Where test helpers live (issue 25): in tests/support/ or conftest fixtures. No
file under tests/ imports a test module (test_*.py) or a conftest, and
benchmarks/ imports only the package and its own modules, never tests/."""

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def imported(path: Path) -> set[str]:
    """Every module PATH names in an import, lazy or in a string of code, with
    each name `from M import N` takes (N may be a module)."""
    return imports_in(path.read_text())


def imports_in(code: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and "import " in str(node.value):
            found |= code_in_string(node.value)
    return found


def code_in_string(text: str) -> set[str]:
    """The imports of a script run as a subprocess or written by pytester."""
    try:
        return imports_in(text)
    except SyntaxError:  # prose, or a fragment that is not a whole program
        return set()


def is_test_module(name: str) -> bool:
    """A test_*.py, or a conftest (pytest loads those itself; their helpers
    belong in tests/support/)."""
    *package, last = name.split(".")
    if not (last.startswith("test_") or last == "conftest"):
        return False
    # A bare test_x (its folder put on sys.path) or one of the project's files.
    return not package or PROJECT.joinpath(*package, last + ".py").exists()


def offenders(folder: str, wrong) -> list[str]:
    return [
        f"{path.relative_to(PROJECT)} imports {name}"
        for path in sorted((PROJECT / folder).rglob("*.py"))
        for name in sorted(imported(path))
        if wrong(name)
    ]


def test_no_file_under_tests_imports_a_test_module():
    assert offenders("tests", is_test_module) == []


def test_benchmarks_import_only_the_package_and_their_own_modules():
    def wrong(name: str) -> bool:
        return name.split(".")[0] == "tests" or is_test_module(name)

    assert offenders("benchmarks", wrong) == []


def test_the_check_sees_a_test_module_imported_in_code_and_in_a_string(tmp_path):
    card, cli = "tests.card", "tests.cli"  # kept out of this file's own code strings
    script = tmp_path / "script.py"
    script.write_text(
        f"from {card}.test_sdcard_image import build_card\n"
        f"from {cli}.conftest import seed\n"
        "import tests.support.cards\n"
        f"CODE = 'from {cli} import test_flash; x = 1'\n"
    )
    assert {name for name in imported(script) if is_test_module(name)} == {
        "tests.card.test_sdcard_image",
        "tests.cli.conftest",
        "tests.cli.test_flash",
    }
