"""NOOK.md mistake 12, second half: a test gate that ran an 8-minute build inside a
60-second timeout. Builds and boots happen in gates and fixtures, outside the
tests' timeouts; every boot and console test still has a finite timeout of its own,
and the boot's own waits are finite, so a hang never stalls CI."""

import importlib.util
import tomllib
from pathlib import Path

import pytest

from pytest_quill.boot.judge import stages
from pytest_quill.profile import known_profiles, load_profile

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted(
    [*ROOT.glob("suites/c_bench/test_c1_*.py"), *ROOT.glob("suites/d_integration/test_d[234]_*.py")]
)


def marks(path: Path) -> list[pytest.Mark]:
    spec = importlib.util.spec_from_file_location(f"suite_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, "pytestmark", [])
    return found if isinstance(found, list) else [found]


def test_there_are_bench_suites_to_check():
    assert len(SUITES) >= 4


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_every_bench_suite_has_a_finite_timeout(path):
    timeouts = [m.args[0] for m in marks(path) if m.name == "timeout"]
    assert timeouts and 0 < timeouts[0] <= 3600, f"{path.name}: timeout marks {timeouts}"


def test_timeouts_cover_the_test_not_the_build_in_its_fixtures():
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert ini.get("timeout_func_only") is True


@pytest.mark.parametrize("name", known_profiles())
def test_a_boot_waits_a_finite_time(name):
    total = sum(stage.timeout_s for stage in stages(load_profile(name)))
    assert 0 < total <= 900
