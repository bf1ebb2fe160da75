"""A bench kind is one module: its [bench.KIND] table, validated as a built-in's,
and its bench. One of another package is found by its entry point alone (here a
module and its dist-info on PYTHONPATH), through the real `quill` command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.quill_cli import PROJECT, run_quill

LAMP_BENCH = '''
"""A bench whose board is a lamp: nothing boots, its health says whether it is lit."""
from dataclasses import dataclass
from typing import Literal

from pytest_quill.bench.base import Bench
from pytest_quill.errors import BenchError


@dataclass(frozen=True)
class Lamp:
    colour: Literal["red", "green"]  # the lamp that lights when the board is on


class LampBench(Bench):
    def check(self):
        return [f"the {self.profile.bench.settings(Lamp).colour} lamp is off"]

    def power_on(self, card_image, log_path):
        raise BenchError("a lamp boots no card")

    def power_off(self):
        pass

    def send_keys(self, text):
        pass


SECTION = Lamp


def bench_class():
    return LampBench
'''


@pytest.fixture
def lamp_package(tmp_path, monkeypatch) -> Path:
    """An installed package of one module registering the bench kind "lamp"; the
    quill processes the test starts find it on PYTHONPATH."""
    site = tmp_path / "site"
    info = site / "lamp_bench-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "lamp_bench.py").write_text(LAMP_BENCH)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lamp-bench\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest_quill.benches]\nlamp = lamp_bench\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    return info


def health(tmp_path: Path, *settings: str) -> subprocess.CompletedProcess:
    sets = [arg for setting in settings for arg in ("--set", setting)]
    return run_quill(
        "health",
        *sets,
        "--cache",
        str(tmp_path / "cache"),
        "--reports",
        str(tmp_path / "reports"),
        "--backend",
        "host",
    )


def test_a_new_bench_kind_is_one_module_found_by_its_entry_point(lamp_package, tmp_path):
    result = health(tmp_path, "bench.kind=lamp", 'bench.lamp={colour = "red"}')
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "quill: bench not ready: the red lamp is off\n"


def test_the_new_kinds_table_and_name_are_validated_like_a_built_ins(lamp_package, tmp_path):
    blue = health(tmp_path, "bench.kind=lamp", 'bench.lamp={colour = "blue"}')
    assert blue.returncode == 4 and len(blue.stderr.splitlines()) == 1
    assert (
        "--quill-set bench.lamp={colour = \"blue\"}: bench.lamp.colour = 'blue' is not "
        "allowed; allowed values: 'red', 'green'"
    ) in blue.stderr
    unknown = health(tmp_path, "bench.kind=lantern")
    assert unknown.returncode == 4
    assert (
        "bench.kind = 'lantern' is not allowed; allowed values: 'qemu', 'serial', 'labgrid', 'lamp'"
    ) in unknown.stderr
    untabled = health(tmp_path, "bench.kind=lamp")
    assert "bench.kind = 'lamp' needs a [bench.lamp] table" in untabled.stderr


def test_the_profile_reference_documents_the_new_kinds_table(lamp_package):
    made = subprocess.run(
        [sys.executable, "-m", "pytest_quill.profile_doc"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    table = made.stdout.split("\n## [bench.lamp]\n", 1)[1].split("\n## ", 1)[0]
    assert (
        '| `colour` | string | yes |  | "red", "green" | the lamp that lights when the board is on |' in table
    )
    assert '"qemu", "serial", "labgrid", "lamp"' in made.stdout


def test_a_kind_may_not_take_a_built_in_kinds_name(lamp_package, tmp_path):
    (lamp_package / "entry_points.txt").write_text("[pytest_quill.benches]\nqemu = lamp_bench\n")
    result = health(tmp_path)
    assert result.returncode == 4 and len(result.stderr.splitlines()) == 1
    assert (
        "entry point qemu = 'lamp_bench' (pytest_quill.benches): bench kind 'qemu' is "
        "pytest_quill.bench.qemu's already; give the new bench another name"
    ) in result.stderr


def test_a_labgrid_profile_loads_without_importing_labgrid():
    script = textwrap.dedent("""
        import sys
        from pytest_quill.bench.base import bench_for
        from pytest_quill.profile import load_profile
        lab = load_profile("qemu-virt", {"bench.kind": "labgrid",
                                         "bench.labgrid": '{coordinator = "127.0.0.1:1"}'})
        print(lab.bench.labgrid.coordinator, "labgrid" in sys.modules)
        bench_for(lab, sys.argv[1])
        print("labgrid" in sys.modules)
    """)
    done = subprocess.run(
        [sys.executable, "-c", script, "/nonexistent"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == ["127.0.0.1:1 False", "True"]
