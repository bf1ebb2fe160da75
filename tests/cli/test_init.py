"""quill init: a project of the user's own from the shipped example, never
over their files; quill --version."""

from __future__ import annotations

import filecmp

from pytest_quill import __version__
from pytest_quill.cli import init
from tests.support.quill_cli import PROJECT, run_quill


def test_init_copies_the_example_project_and_its_pytest_settings(tmp_path):
    target = tmp_path / "my-nook"
    result = run_quill("init", str(target))
    assert result.returncode == 0, result.stderr
    copied = init.example_files(init.example_root())
    assert {str(rel) for rel in copied} >= {
        "conftest.py",
        "hardware_profiles/qemu-virt.toml",
        "suites/c_bench/test_c1_bench_ready.py",
        "squireos/kernel/drivers/squireos/squireos_core.c",
        "squireos/kernel/configs/qemu-virt.config",
    }
    assert all(filecmp.cmp(PROJECT / rel, target / rel, shallow=False) for rel in copied)
    assert not (target / "squireos" / "boot" / "twin" / "out").exists()
    assert "timeout_func_only = true" in (target / "pytest.ini").read_text()
    assert result.stdout.strip().endswith("pytest -n 3 suites/")


def test_init_refuses_a_folder_with_any_of_its_files_and_writes_nothing(tmp_path):
    (tmp_path / "hardware_profiles").mkdir()
    mine = tmp_path / "hardware_profiles" / "qemu-virt.toml"
    mine.write_text("# my own\n")
    result = run_quill("init", str(tmp_path))
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        f"quill: quill init {tmp_path}: {mine} exists; give a new or empty folder (nothing was written)"
    ]
    assert mine.read_text() == "# my own\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["hardware_profiles", "qemu-virt.toml"]


def test_version_is_the_package_version():
    result = run_quill("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"pytest-quill {__version__}")
