"""quill finds the plan as pytest does: the project's root conftest and the plugins
its pytest_plugins names, asked for pytest_quill_declare; no plan is one line, exit 4."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_quill.cli import main
from pytest_quill.cli.declared import declared_plan
from pytest_quill.errors import InputError

PLAN_MODULE = """
class Stand:
    name, deps, tools, version, evidence, runs_on = "blob", (), (), "1", (), "host"


def pytest_quill_declare(plan):
    plan.artifact(Stand(), fixture="blob")
    plan.boot_image("blob", "blob.img")
    plan.stream("a_blobs", "A blobs")
"""


@pytest.fixture(autouse=True)
def own_import_state(monkeypatch):
    """What loading a project's conftest adds to sys.path and sys.modules is undone."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop("blob_plan", None)


def project(folder: Path, conftest: str) -> Path:
    (folder / "hardware_profiles").mkdir(parents=True)
    (folder / "conftest.py").write_text(conftest)
    return folder


def test_the_plan_comes_from_a_plugin_the_conftest_names(tmp_path):
    root = project(tmp_path / "p", 'pytest_plugins = ["blob_plan"]\n')
    (root / "blob_plan.py").write_text(PLAN_MODULE)

    plan = declared_plan(root)

    assert (sorted(plan.recipes), plan.fixtures, plan.image.file if plan.image else None) == (
        ["blob"],
        {"blob": "blob"},
        "blob.img",
    )
    assert plan.stream_of("suites/a_blobs/test_x.py::test_y") == "A blobs"


def test_the_projects_own_conftest_declares_the_nook_plan():
    plan = declared_plan(Path(__file__).resolve().parents[2])
    assert sorted(plan.recipes) == ["kernel", "rootfs", "sdcard"]
    assert sorted(plan.verifiers) == ["kernel", "rootfs", "sdcard"]


def test_a_conftest_without_a_plan_is_one_line_and_exit_4(tmp_path, monkeypatch, capsys):
    root = project(tmp_path / "p", "# no plan here\n")
    monkeypatch.chdir(root)

    code = main(["boot", "--cache", str(tmp_path / "cache")])

    said = capsys.readouterr().err.strip()
    assert code == 4
    assert said == (
        f"quill: {root / 'conftest.py'} declares no pytest-quill plan: add "
        'pytest_plugins = ["pytest_quill.mvp"] to it, or start a project with '
        "`quill init FOLDER`"
    )


def test_a_project_without_a_conftest_is_told_to_make_one(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    with pytest.raises(InputError, match=r"conftest.py: not found, so no plan is declared"):
        declared_plan(root)
