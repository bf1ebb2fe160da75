"""Waiting is visible and bounded (issue 14, item 5): a run whose artifact another
run is building (the cache key's lock) says so on the terminal, in the build log and
in its events, naming the other run, and gives up after QUILL_LOCK_WAIT_S with one
clear line. The other run is a real second pytest process on the same cache."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

from pytest_quill.run.verdict import EXIT_BENCH
from tests.support.synthetic_runs import make_project, run

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def other_run(pytester):
    """start(ledger): another run building the kernel into the same cache, once its
    build (and so its hold on the key's lock) has begun."""
    started = []

    def start(ledger) -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "--quill-backend",
                "host",
                "--quill-cache",
                str(pytester.path / "cache"),
                "--quill-reports",
                "r1",
                "-k",
                "kernel_builds",
                "-p",
                "no:cacheprovider",
            ],
            cwd=pytester.path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(proc)
        deadline = time.monotonic() + 30
        while "kernel" not in ledger.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def said_waiting(result) -> list[str]:
    return [line for line in result.stderr.lines if line.startswith("[quill] kernel: waiting")]


def run_events(pytester, kind: str) -> list[dict]:
    return [
        event
        for path in (pytester.path / "r2" / "runs").glob("*/state/events-*.jsonl")
        for event in map(json.loads, path.read_text().splitlines())
        if event["kind"] == kind
    ]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["main", "xdist"])
def test_a_run_waiting_on_another_runs_build_says_so_then_reuses_it(
    pytester, monkeypatch, other_run, workers
):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 20})  # > a run's start
    other = other_run(ledger)
    result = run(pytester, "-k", "kernel_builds", "--quill-reports", "r2", *workers)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert ledger.read_text().split() == ["kernel"]  # built once, by the other run
    lines = said_waiting(result)
    assert len(lines) == 1, result.stderr.str()
    holder = f"another run is building it (pid {other.pid} on {socket.gethostname()} since "
    assert lines[0].startswith("[quill] kernel: waiting for kernel ") and holder in lines[0]
    assert lines[0].endswith("giving up after 3600 s (QUILL_LOCK_WAIT_S)")
    waits = run_events(pytester, "cache-wait")
    assert [(wait["what"], wait["line"]) for wait in waits] == [
        ("kernel", lines[0].removeprefix("[quill] kernel: "))
    ]
    log = next((pytester.path / "r2" / "runs").glob("*/logs/kernel.log")).read_text()
    assert waits[0]["line"] in log


def test_a_run_gives_up_after_the_bound_with_one_line_naming_the_other_run(pytester, monkeypatch, other_run):
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 30})
    other = other_run(ledger)
    monkeypatch.setenv("QUILL_LOCK_WAIT_S", "1")
    result = run(pytester, "-k", "kernel_builds", "--quill-reports", "r2")
    printed = result.stdout.str() + result.stderr.str()
    assert result.ret == EXIT_BENCH, printed  # the machine's fault, not the product's
    assert "Traceback" not in printed
    assert said_waiting(result)[0].endswith("giving up after 1 s (QUILL_LOCK_WAIT_S)")
    reported = [line for line in result.stdout.lines if line.startswith("kernel not made: ")]
    assert len(reported) == 1, printed  # the root cause, once
    assert reported[0].startswith("kernel not made: gave up after 1 s waiting for kernel ")
    assert f"another run still builds it (pid {other.pid} on {socket.gethostname()} since " in reported[0]
    assert ledger.read_text().split() == ["kernel"]  # the waiting run never built it
