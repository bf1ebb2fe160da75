"""quill init: start a project of your own from the example that ships with
the plugin (the Nook MVP: its conftest, profiles, module sources and suites)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ..errors import InputError
from .common import EXIT_OK, Commands

PACKAGE = Path(__file__).resolve().parents[1]
# A wheel carries the example (setup.py copies it in); an editable install reads the checkout.
SHIPPED = PACKAGE / "example"
CHECKOUT = PACKAGE.parent
# The pytest settings of a quill project; the example's own live in the checkout's pyproject.
PYTEST_INI = """\
[pytest]
# Builds and boots happen in fixtures and gates with their own timeouts: only a
# test's own body counts against pytest-timeout.
timeout_func_only = true
# labgrid's pytest plugin (with pytest-quill[labgrid]) would take over the logging.
addopts = -p no:labgrid
"""


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "init",
        help="start a project of your own from the shipped example",
        description="Copy the example project (conftest.py, hardware_profiles/, squireos/ "
        "module sources and configs, suites/) and a pytest.ini into FOLDER. Nothing "
        "is overwritten: a file that exists already stops it before anything is "
        "written.",
    )
    parser.add_argument("folder", metavar="FOLDER", type=Path, help="the new project's folder")
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    source = example_root()
    files = example_files(source)
    target = args.folder.resolve()
    clashes = [rel for rel in [*files, Path("pytest.ini")] if (target / rel).exists()]
    if clashes:
        raise InputError(
            f"quill init {args.folder}: {target / clashes[0]} exists; give a new "
            "or empty folder (nothing was written)"
        )
    for rel in files:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target / rel)
    (target / "pytest.ini").write_text(PYTEST_INI)
    print(f"quill init: {len(files) + 1} files in {target}; next: cd {args.folder} && pytest -n 3 suites/")
    return EXIT_OK


def example_root() -> Path:
    if SHIPPED.is_dir():
        return SHIPPED
    if (CHECKOUT / "hardware_profiles").is_dir() and (CHECKOUT / "conftest.py").is_file():
        return CHECKOUT
    raise InputError(
        f"quill init: the example project is not in this installation ({SHIPPED}); "
        "reinstall pytest-quill from its wheel"
    )


def example_files(root: Path) -> list[Path]:
    """The example's files, as setup.py puts them into the wheel."""
    from_wheel = root == SHIPPED
    found = [Path("conftest.py")]
    for folder in ("hardware_profiles", "squireos", "suites"):
        found += [
            path.relative_to(root)
            for path in sorted((root / folder).rglob("*"))
            if path.is_file() and (from_wheel or _travels(path.relative_to(root)))
        ]
    return found


def _travels(rel: Path) -> bool:
    """What setup.py copies from a checkout: no build output, caches or boot files."""
    return not (
        {"__pycache__", "out"} & set(rel.parts) or rel.suffix == ".pyc" or rel.name in ("MLO", "u-boot.bin")
    )
