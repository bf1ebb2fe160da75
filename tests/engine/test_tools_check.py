"""Before a build starts, every program the recipe will call is on the backend
that runs it; a missing one is a BenchError in one line naming the program and
the Debian package that provides it. A cache hit asks for nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.tools import (
    PACKAGE_OF,
    check_tools,
    missing_line,
    package_of,
    programs_of,
)
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from tests.support.recipes import Recipe, build_here
from tests.support.synthetic_runs import make_project, record, run


def produce(tmp_path, recipe, key="k1"):
    return build_here(tmp_path, recipe, key, "build.log")


def test_packages_of_the_programs_the_recipes_call():
    assert package_of("mkimage") == "u-boot-tools"
    assert package_of("sfdisk") == "fdisk"
    assert package_of("mcopy") == "mtools"
    assert package_of("mkfs.vfat") == "dosfstools"
    assert package_of("debugfs") == "e2fsprogs"
    assert package_of("fakeroot") == "fakeroot"
    assert package_of("qemu-system-arm") == "qemu-system-arm"
    assert package_of("arm-linux-gnueabi-gcc") == "gcc-arm-linux-gnueabi"
    assert package_of("arm-linux-gnueabihf-gcc") == "gcc-arm-linux-gnueabihf"
    assert package_of("arm-linux-gnueabi-nm") == "binutils-arm-linux-gnueabi"
    assert package_of("quill-frobnicate") is None


def test_the_table_agrees_with_dpkg_where_the_program_is_installed():
    """Each program installed here belongs to the package the table names."""
    if shutil.which("dpkg") is None:
        pytest.skip("no dpkg here")
    wrong = []
    for program, package in PACKAGE_OF.items():
        if shutil.which(program) is None:
            continue
        name = Path(shutil.which(program)).name
        owners = subprocess.run(["dpkg", "-S", f"*bin/{name}"], capture_output=True, text=True)
        found = {
            line.split(":")[0]
            for line in owners.stdout.splitlines()
            if line.rstrip().endswith(f"bin/{name}") and not line.startswith("diversion")
        }
        if found and package not in found:
            wrong.append(f"{program}: table says {package}, dpkg says {sorted(found)}")
    assert wrong == []


def test_the_line_names_each_program_and_its_package():
    assert missing_line("sdcard", ["mkimage"], "on the host backend") == (
        "sdcard: program not found on the host backend: mkimage (Debian package u-boot-tools)"
    )
    assert missing_line("kernel", ["sfdisk", "quill-x"], "on the docker backend") == (
        "kernel: programs not found on the docker backend: sfdisk (Debian package fdisk), "
        "quill-x (no Debian package known)"
    )


def test_a_recipe_says_per_profile_what_it_calls_else_all_its_tools():
    profile = load_profile("qemu-virt")
    assert programs_of(Recipe(tools=("a", "b"), needs=("b",)), profile) == ("b",)


def test_the_host_backend_says_which_programs_are_missing():
    assert HostBackend().missing(["sh", "quill-no-such-program", "tar"]) == ["quill-no-such-program"]


def test_a_missing_program_fails_before_the_build_with_its_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    recipe = Recipe(tools=("mkimage", "sfdisk"))
    with pytest.raises(BenchError) as caught:
        produce(tmp_path, recipe)
    assert caught.value.message == (
        "sdcard: programs not found on the host backend: mkimage (Debian package u-boot-tools), "
        "sfdisk (Debian package fdisk)"
    )
    assert caught.value.log == str(tmp_path / "build.log")
    assert recipe.built == 0
    assert not list((tmp_path / "cache").rglob(".staging-*"))
    assert "failed: sdcard: programs not found" in (tmp_path / "build.log").read_text()


def test_a_cache_hit_asks_for_no_program(tmp_path, monkeypatch):
    recipe = Recipe(tools=("sh",))
    produce(tmp_path, recipe)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert produce(tmp_path, recipe).status == "cached"
    assert recipe.built == 1


def test_a_recipe_building_its_own_images_is_not_asked_on_docker():
    class Engine:
        name, images = "docker", object()

        def missing(self, tools):
            raise AssertionError("asked")

    check_tools(Recipe(tools=("apt-get",)), load_profile("qemu-virt"), Engine())


NEEDY = """
class Needy(Sleepy):
    tools = ("quill-no-such-program", "mkimage")
"""


def test_in_a_run_the_artifact_fails_once_as_the_benchs_problem(pytester, monkeypatch):
    """The store records the line; the build itself never ran."""
    ledger = make_project(pytester, monkeypatch)
    conftest = pytester.path / "conftest.py"
    text = conftest.read_text().replace("def artifacts_gate", NEEDY + "\ndef artifacts_gate")
    conftest.write_text(text.replace('Sleepy("kernel"', 'Needy("kernel"'))
    result = run(pytester, "-n", "2")
    assert "Traceback" not in result.stdout.str()
    kernel = {a["name"]: a for a in record(pytester)["artifacts"]}["kernel"]
    assert kernel["status"] == "failed"
    assert (
        "kernel: program not found on the host backend: quill-no-such-program (no Debian package known)"
    ) in kernel["error"]
    assert "kernel" not in ledger.read_text().split()
    assert json.dumps(kernel).count("quill-no-such-program") >= 1
