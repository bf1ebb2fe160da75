"""The labgrid bench's own checks, against a real coordinator and exporter on loopback
(the boot through a place is tests/e2e/test_labgrid_bench.py's)."""

import pytest

from pytest_quill.bench.base import bench_for
from pytest_quill.bench.labgrid_bench import LabgridBench
from pytest_quill.errors import BenchError, InputError
from pytest_quill.profile import load_profile
from tests.labgrid_lab import Lab

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("lab"))
    try:
        # A place whose serial port is not called "console": nothing to judge a boot on.
        lab.export({"b1": {"debug": {"cls": "NetworkSerialPort", "host": "127.0.0.1", "port": 4001}}})
        lab.add_place("odd-1", "b1")
        yield lab
    finally:
        lab.stop()


def labgrid_profile(**settings):
    return load_profile(
        "qemu-virt",
        {"bench.kind": "labgrid", **{f"bench.labgrid.{key}": value for key, value in settings.items()}},
    )


def test_a_labgrid_profile_finds_the_labgrid_bench(lab, tmp_path):
    bench = bench_for(labgrid_profile(coordinator=lab.address, place="odd-1"), tmp_path)
    assert isinstance(bench, LabgridBench)
    assert bench.check() == []


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("coordinator", "lab.example.org", "HOST:PORT"),
        ("tags", '["Board=nook"]', "key=value pairs"),
    ],
)
def test_bad_labgrid_keys_are_refused_naming_the_key(key, value, allowed):
    settings = {"coordinator": "127.0.0.1:20408", "place": "nook-1", key: value}
    with pytest.raises(InputError, match=rf"bench.labgrid.{key} = .* {allowed}"):
        labgrid_profile(**settings)


def test_check_says_what_is_missing_before_any_wait(lab, tmp_path):
    unnamed = bench_for(labgrid_profile(coordinator=lab.address), tmp_path)
    assert unnamed.check()[0].startswith("bench.labgrid needs a place or tags")
    unknown = bench_for(labgrid_profile(coordinator=lab.address, place="nook-9"), tmp_path)
    assert unknown.check()[0] == (
        f"labgrid coordinator {lab.address} has no place nook-9 (bench.labgrid); its places: odd-1"
    )


def test_a_place_without_a_console_is_refused_and_given_back(lab, tmp_path):
    bench = bench_for(labgrid_profile(coordinator=lab.address, place="odd-1"), tmp_path)
    with bench, pytest.raises(BenchError, match='place odd-1 has no NetworkSerialPort named "console"'):
        bench.power_on(tmp_path / "card.img", tmp_path / "console.log")
    assert "acquired: None" in lab.client("-p", "odd-1", "show").stdout
    log = (tmp_path / "labgrid.log").read_text()
    assert "acquired place odd-1" in log and "released place odd-1" in log
