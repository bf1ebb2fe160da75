"""Artifacts under xdist: built once, side by side, cached, never half-trusted."""

import os
import signal
import subprocess
import sys
import time

from tests.support.synthetic_runs import make_project, record, run


def spans(rec, status=None):
    return {a["name"]: a for a in rec["artifacts"] if status is None or a["status"] == status}


def test_independent_artifacts_build_at_the_same_time_on_different_workers(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch)
    result = run(pytester, "-n", "3")
    result.assert_outcomes(passed=15)
    built = spans(record(pytester), "built")
    kernel, rootfs = built["kernel"], built["rootfs"]
    assert kernel["worker"] != rootfs["worker"]
    assert kernel["start"] < rootfs["end"] and rootfs["start"] < kernel["end"]
    assert sorted(ledger.read_text().split()) == ["kernel", "rootfs", "sdcard"]


def test_a_waiting_worker_builds_the_other_artifact_meanwhile(pytester, monkeypatch):
    # Every test asks for the kernel first: only helping gives overlap here.
    tests = (
        "import pytest\n"
        "@pytest.mark.parametrize('n', range(8))\n"
        "def test_both(n, kernel_uimage, rootfs_tarball):\n"
        "    assert rootfs_tarball.meta.made == 'rootfs'\n"
    )
    make_project(pytester, monkeypatch, tests=tests)
    run(pytester, "-n", "2").assert_outcomes(passed=8)
    built = spans(record(pytester), "built")
    assert built["kernel"]["worker"] != built["rootfs"]["worker"]
    assert built["rootfs"]["start"] < built["kernel"]["end"]


def test_second_run_reuses_the_cache_without_building(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch)
    run(pytester, "-n", "2").assert_outcomes(passed=15)
    ledger.write_text("")
    run(pytester, "-n", "2").assert_outcomes(passed=15)
    assert ledger.read_text() == ""
    statuses = {a["name"]: a["status"] for a in record(pytester)["artifacts"]}
    assert statuses == {"kernel": "cached", "rootfs": "cached", "sdcard": "cached"}


def test_rebuild_named_artifact_ignores_its_cache_entry_only(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch)
    run(pytester, "-n", "2").assert_outcomes(passed=15)
    ledger.write_text("")
    run(pytester, "-n", "2", "--quill-rebuild=rootfs").assert_outcomes(passed=15)
    assert ledger.read_text().split() == ["rootfs"]


def test_rebuild_of_an_unknown_artifact_is_a_usage_error(pytester, monkeypatch):
    make_project(pytester, monkeypatch)
    result = run(pytester, "--quill-rebuild=kernal")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--quill-rebuild kernal: unknown artifact; known: kernel, rootfs, sdcard*"])


def test_failed_build_is_attempted_once_and_every_dependent_skips_with_the_root_cause(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.5, "fails": True})
    result = run(pytester, "-n", "3")
    result.assert_outcomes(passed=1, failed=1, skipped=13)
    assert result.ret == 1  # a closed gate turns the run red, reported once as gate 1's failure
    result.stdout.fnmatch_lines(
        [
            "*_ quill gate 1 (build) _*",
            "gate 1 (build) closed: kernel build failed: drivers/squireos/jester.c:42:7: error: boom*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert ledger.read_text().split().count("kernel") == 1
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]10[]] *gate 1 (build) closed: kernel build failed: "
            "drivers/squireos/jester.c:42:7: error: boom (log: reports/runs/*/logs/kernel.log)"
        ]
    )
    failed = spans(record(pytester))["kernel"]
    assert failed["status"] == "failed" and "jester.c:42:7" in failed["error"]
    log_lines = (pytester.path / failed["log"]).read_text().splitlines()
    assert log_lines.count("drivers/squireos/jester.c:42:7: error: boom") == 1


def test_killed_build_leaves_nothing_a_rerun_trusts(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 30})
    cache = pytester.path / "cache"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--quill-backend",
            "host",
            "--quill-cache",
            str(cache),
            "-k",
            "kernel_builds",
        ],
        cwd=pytester.path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while "kernel" not in ledger.read_text() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kernel_dir = cache / "artifacts" / "kernel"
    assert [
        p.name for p in kernel_dir.iterdir() if not p.name.startswith(".") and not p.name.endswith(".lock")
    ] == []
    ledger.write_text("")
    make_project(pytester, monkeypatch, kernel={"secs": 30})
    monkeypatch.setenv("QUILL_TEST_LEDGER", str(ledger))
    # Same key as the killed build: a short rebuild proves the leftover was not reused.
    pytester.makeconftest(
        (pytester.path / "conftest.py")
        .read_text()
        .replace("time.sleep(self.secs)", "time.sleep(min(self.secs, 0.5))")
    )
    run(pytester, "-k", "kernel_builds").assert_outcomes(passed=1)
    assert ledger.read_text().split() == ["kernel"]
    assert not list(kernel_dir.glob(".staging-*"))


def test_two_runs_sharing_a_cache_build_once(pytester, monkeypatch):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 2})
    cache = pytester.path / "cache"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--quill-backend",
        "host",
        "--quill-cache",
        str(cache),
        "-k",
        "kernel_builds",
        "-p",
        "no:cacheprovider",
    ]
    first = subprocess.Popen(argv + ["--quill-reports", "r1"], cwd=pytester.path, stdout=subprocess.PIPE)
    second = subprocess.Popen(argv + ["--quill-reports", "r2"], cwd=pytester.path, stdout=subprocess.PIPE)
    assert first.wait() == 0 and second.wait() == 0
    assert ledger.read_text().split() == ["kernel"]
