"""The plan a project declares, found as pytest finds it: the project's root
conftest.py and the plugins its `pytest_plugins` names, asked through pytest's
own plugin manager for `pytest_quill_declare(plan)`. So a quill command knows
the artifacts and the boot image a run of the same project would have."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .. import hooks
from ..errors import InputError
from ..plan import Plan

HOW = 'add pytest_plugins = ["pytest_quill.mvp"] to it, or start a project with `quill init FOLDER`'


def declared_plan(root: Path) -> Plan:
    """The plan of the project at ROOT; InputError when its conftest declares none."""
    conftest = root / "conftest.py"
    if not conftest.is_file():
        raise InputError(f"{conftest}: not found, so no plan is declared: create it and {HOW}")
    manager = pytest.PytestPluginManager()
    manager.add_hookspecs(hooks)
    module = _conftest_module(conftest)
    manager.register(module, str(conftest))
    try:
        manager.consider_module(module)  # its pytest_plugins, imported and registered
    except ImportError as exc:
        raise InputError(f"{conftest}: pytest_plugins: {exc}") from None
    plan = Plan()
    manager.hook.pytest_quill_declare(plan=plan)
    if not plan.declared:
        raise InputError(f"{conftest} declares no pytest-quill plan: {HOW}")
    return plan


def _conftest_module(path: Path) -> ModuleType:
    """The conftest run as pytest's default import mode runs it: its folder first on
    sys.path, so it imports the project's own modules."""
    spec = importlib.util.spec_from_file_location("conftest", path)
    if spec is None or spec.loader is None:
        raise InputError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: any error it raises is bad input
        raise InputError(f"{path}: {type(exc).__name__}: {exc}") from None
    return module
