"""pytest's cache provider works with the gates: --lf reruns what failed and
re-decides the gates it needs; the gates the rerun needs are reported again."""

from __future__ import annotations

import pytest

from tests.support.synthetic_runs import make_project, record, run_with_cache

pytestmark = pytest.mark.timeout(120)


def test_lf_after_a_closed_gate_rebuilds_and_reruns_what_it_held_back(pytester, monkeypatch):
    """Only the gate failed (the tests behind it skipped): --lf finds no test that
    failed and, as pytest does then, runs the selection again."""
    make_project(pytester, monkeypatch, kernel={"secs": 0.1, "fails": True}, rootfs={"secs": 0.1})
    first = run_with_cache(pytester)
    assert first.ret == pytest.ExitCode.TESTS_FAILED
    failed = {t["nodeid"] for t in record(pytester)["tests"] if t["outcome"].startswith("failed")}
    assert "::quill gate 1 (build)" in failed

    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    again = run_with_cache(pytester, "--lf")
    assert again.ret == pytest.ExitCode.OK
    rerun = {t["nodeid"]: t["outcome"] for t in record(pytester)["tests"]}
    assert set(rerun) >= failed | {"test_plan.py::test_kernel_builds"}
    assert {nodeid for nodeid, outcome in rerun.items() if outcome != "passed"} == set()
    assert [(g["number"], g["open"]) for g in record(pytester)["gates"]] == [(1, True), (2, True), (3, True)]


def test_lf_reruns_a_failed_test_behind_a_gate_and_decides_that_gate(pytester, monkeypatch):
    tests = (
        "import os, pytest\n\n@pytest.mark.gate(2)\ndef test_product(kernel_uimage):\n"
        "    assert not os.environ.get('PRODUCT_BROKEN')\n\n"
        "def test_other():\n    pass\n"
    )
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1}, tests=tests)
    monkeypatch.setenv("PRODUCT_BROKEN", "1")
    assert run_with_cache(pytester).ret == pytest.ExitCode.TESTS_FAILED
    monkeypatch.delenv("PRODUCT_BROKEN")
    again = run_with_cache(pytester, "--lf")
    assert again.ret == pytest.ExitCode.OK
    made = record(pytester)
    assert sorted(t["nodeid"] for t in made["tests"]) == [
        "::quill gate 1 (build)",
        "::quill gate 2 (artifacts)",
        "test_plan.py::test_product",
    ]
    assert [(g["number"], g["open"]) for g in made["gates"]] == [(1, True), (2, True)]
