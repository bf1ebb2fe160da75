"""The Nook's own runs, made by `make test` before the e2e tests (as CI does):
the twin's whole suite on QEMU Versatile AB from the nst-kernel tree, and the
Nook's kernel, rootfs and card verified with no board attached."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NEEDS_A_REAL_CARD = "suites/d_integration/test_d1_verify.py::test_real_card_is_written_and_reads_back_equal"


NST_KERNEL = ROOT.parent / "shared/sources/nst-kernel-3f80ffb9.tar.xz"


def record_of(folder: str) -> dict:
    if not NST_KERNEL.is_file():
        pytest.skip(f"{NST_KERNEL} absent: make test makes no Nook runs without the nst-kernel tree")
    path = ROOT / "reports" / folder / "quill-run.json"
    if not path.is_file():
        pytest.fail(f"{path} missing: run `make test` (its nook-twin and nook-simple-touch runs)")
    return json.loads(path.read_text())


def test_the_twin_opened_every_gate_and_passed_every_suite_test():
    twin = record_of("nook-twin")
    assert twin["profile"] == "nook-twin"
    assert {g["number"]: g["open"] for g in twin["gates"]} == {1: True, 2: True, 3: True, 4: True}
    outcomes = {t["nodeid"]: t["outcome"] for t in twin["tests"]}
    outcomes.pop(NEEDS_A_REAL_CARD)
    assert {nodeid: o for nodeid, o in outcomes.items() if o != "passed"} == {}
    assert (
        "suites/d_integration/test_d2_first_boot.py::test_the_running_kernel_is_the_one_built" in outcomes
    )  # uname -r on the booted twin is the 2.6.29 release built


def test_the_nook_kernel_rootfs_and_card_are_made_and_verified():
    nook = record_of("nook-simple-touch")
    assert nook["profile"] == "nook-simple-touch"
    assert {g["number"]: g["open"] for g in nook["gates"]} == {1: True, 2: True, 3: True}
    assert sorted(a["name"] for a in nook["artifacts"]) == ["kernel", "rootfs", "sdcard"]
    failed = {t["nodeid"]: t["outcome"] for t in nook["tests"] if t["outcome"] != "passed"}
    assert failed == {}
