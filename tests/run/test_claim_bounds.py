"""No unbounded wait on the run's folder (issue 24, item 3): a claim appears whole
or not at all; one that cannot be written, stays unreadable, or whose worker
could not write its result is one line naming the folder, within a bound; a
full disk under the reports folder or the cache ends a run with exit 1 and the
path, never a hang. The full disks are real: small tmpfs mounts (root)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from pytest_quill.engine.cache import Cache
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile
from pytest_quill.run.state import CLAIM_STALE_S, RunState
from pytest_quill.run.store import Store
from pytest_quill.run.verdict import EXIT_BENCH
from tests.support.mounts import tmpfs
from tests.support.pytester_files import PYTESTERS_OWN
from tests.support.synthetic_runs import make_project, run

PROJECT = Path(__file__).resolve().parents[2]
BOUND_S = CLAIM_STALE_S + 10  # the guard: the stale bound plus polls on a loaded machine


def fill(folder: Path) -> None:
    """Write into FOLDER until its filesystem has no byte left."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(bytes(4096))
        except OSError:
            pass


def store(run_dir: Path, worker: str) -> Store:
    """A worker's store of a run with no recipe: it can only wait on others' results."""
    return Store(
        state=RunState(run_dir, worker),
        cache=Cache(run_dir / "cache"),
        recipes={},
        profile=load_profile("qemu-virt"),
        backend=lambda: None,
        rebuild=None,
        jobs=1,
        project_root=PROJECT,
        relpath=str,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_claim_is_written_whole_and_won_by_one_worker(tmp_path):
    first, second = RunState(tmp_path, "gw0"), RunState(tmp_path, "gw1")
    assert first.claim("artifact-kernel") and not second.claim("artifact-kernel")
    claim = json.loads((tmp_path / "state" / "artifact-kernel.claim").read_text())
    assert (claim["worker"], claim["pid"]) == ("gw0", os.getpid())
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["artifact-kernel.claim"]


@pytest.mark.timeout(BOUND_S + 30)
@pytest.mark.parametrize("content", [b"", b'{"worker": "gw'], ids=["empty", "half"])
def test_a_claim_nobody_can_read_ends_the_wait_within_its_bound(tmp_path, content):
    (tmp_path / "state").mkdir()
    claim = tmp_path / "state" / "artifact-kernel.claim"
    claim.write_bytes(content)
    before = files(tmp_path)
    started = time.monotonic()
    with pytest.raises(BenchError) as caught:
        store(tmp_path, "gw1").get("kernel")
    waited = time.monotonic() - started
    found = "empty" if not content else "not a claim"
    assert caught.value.one_line() == (
        f"{claim}: {found} for {CLAIM_STALE_S:.0f} s and nobody is writing it; the run's "
        f"folder {tmp_path / 'state'} is damaged (a full disk?): free space there, then run "
        "again"
    )
    assert CLAIM_STALE_S - 1 <= waited < BOUND_S
    assert files(tmp_path) == before


def test_an_old_unreadable_claim_is_said_at_once(tmp_path):
    (tmp_path / "state").mkdir()
    claim = tmp_path / "state" / "gate-2.claim"
    claim.write_bytes(b"")
    os.utime(claim, (time.time() - 3600,) * 2)
    started = time.monotonic()
    with pytest.raises(BenchError, match=rf"^{claim}: empty for 3600 s and nobody is writing "):
        store(tmp_path, "gw1").wait("gate-2", "gate 2", lambda gone: {})
    assert time.monotonic() - started < 2


@pytest.mark.timeout(60)
def test_a_live_worker_that_never_publishes_is_waited_for_within_the_bound(tmp_path, monkeypatch):
    """A claimant alive but stuck: the wait has the bound of a wait on another run."""
    monkeypatch.setenv("QUILL_LOCK_WAIT_S", "1")
    assert RunState(tmp_path, "gw0").claim("artifact-kernel")  # this process: alive
    before = files(tmp_path)
    started = time.monotonic()
    with pytest.raises(BenchError) as caught:
        store(tmp_path, "gw1").get("kernel")
    assert caught.value.one_line() == (
        f"gave up after 1 s waiting for artifact kernel: worker gw0 (pid {os.getpid()} on "
        f"{socket.gethostname()}) still has it; QUILL_LOCK_WAIT_S sets the bound"
    )
    assert 1 <= time.monotonic() - started < 10
    assert files(tmp_path) == before


@pytest.mark.timeout(60)
def test_a_claim_on_a_full_disk_is_one_line_naming_the_folder(tmp_path):
    with tmpfs(tmp_path / "reports", size="64k") as reports:
        state = RunState(reports / "run", "gw0")
        (reports / "run" / "state").mkdir(parents=True)
        fill(reports)
        with pytest.raises(BenchError) as caught:
            state.claim("artifact-kernel")
        assert caught.value.one_line() == (
            f"disk full writing {reports}/run/state/.artifact-kernel.claim.{os.getpid()}: "
            f"0 bytes free of 64.0 KiB on {reports}"
        )
        assert sorted(p.name for p in (reports / "run" / "state").iterdir()) == []
        assert not RunState(reports / "run", "gw1").claimed("artifact-kernel")


@pytest.mark.timeout(60)
def test_a_claim_in_a_read_only_folder_is_one_line_naming_it(tmp_path):
    with tmpfs(tmp_path / "reports", size="64k", read_only=True) as reports:
        with pytest.raises(BenchError) as caught:
            RunState(reports / "run", "gw0").claim("backend")
        assert caught.value.one_line() == (
            f"cannot write {reports}/run/state: Read-only file system; the run's folder must "
            "be writable (--quill-reports)"
        )


@pytest.mark.timeout(60)
def test_a_result_that_cannot_be_written_withdraws_its_claim_for_the_waiters(tmp_path):
    """The claimant's disk fills before its result: it says so, and a worker waiting on
    it stops at once with the folder, instead of waiting for a live worker forever."""
    with tmpfs(tmp_path / "reports", size="64k") as reports:
        claimant = RunState(reports / "run", "gw0")
        assert claimant.claim("artifact-kernel")
        fill(reports)
        with pytest.raises(BenchError) as caught:
            claimant.publish("artifact-kernel", {"status": "built", "log": "x" * 8192})
        assert caught.value.one_line() == (
            f"disk full writing {reports}/run/state/artifact-kernel.json: 0 bytes free of "
            f"64.0 KiB on {reports}"
        )
        started = time.monotonic()
        with pytest.raises(BenchError) as waited:  # a worker that was waiting already
            store(reports / "run", "gw1").wait("artifact-kernel", "artifact kernel", lambda gone: {})
        assert waited.value.one_line() == (
            f"artifact-kernel given up: its worker could not write its result in "
            f"{reports}/run/state (disk full or read-only); free space there or choose another "
            "--quill-reports"
        )
        assert time.monotonic() - started < 2
        with pytest.raises(BenchError, match=rf"^disk full writing {reports}/run/state/"):
            store(reports / "run", "gw1").get("kernel")  # one asking now tries to claim it
        (reports / "filler").unlink()  # space again: the work may be claimed anew
        assert RunState(reports / "run", "gw2").claim("artifact-kernel")


@pytest.mark.timeout(60)
def test_events_cut_short_by_a_full_disk_are_said_and_the_rest_still_read(tmp_path):
    with tmpfs(tmp_path / "reports", size="64k") as reports:
        state = RunState(reports / "run", "gw0")
        state.event("artifact", name="kernel")
        fill(reports)  # what is left: the rest of the events file's own page
        events = state.state / "events-gw0.jsonl"
        with pytest.raises(BenchError) as caught:
            for number in range(200):
                state.event("wait", what="x" * 50, number=number)
        assert caught.value.one_line() == (
            f"disk full writing {events}: 0 bytes free of 64.0 KiB on {reports}"
        )
        lines = events.read_text().splitlines()
        assert not lines[-1].endswith("}")  # the last line was cut short
        read = state.events()
        assert read[0] == {"kind": "artifact", "worker": "gw0", "name": "kernel"}
        assert [event["number"] for event in read[1:]] == list(range(len(lines) - 2))


def one_line_with(result, path: Path) -> list[str]:
    return [
        line
        for line in result.outlines + result.errlines
        if str(path) in line and ("disk full" in line or "given up" in line)
    ]


def run_on_full_reports(pytester, monkeypatch, *args):
    """(the run's result, its seconds, what it built) with its reports folder on a full tmpfs."""
    ledger = make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    with tmpfs(pytester.path / "reports", size="64k") as reports:
        fill(reports)
        started = time.monotonic()
        result = run(pytester, *args)
        return result, time.monotonic() - started, ledger.read_text().split(), reports


@pytest.mark.timeout(300)
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["main", "xdist"])
def test_a_full_reports_folder_ends_the_run_as_the_machines_fault_naming_it(pytester, monkeypatch, workers):
    result, took, built, reports = run_on_full_reports(pytester, monkeypatch, *workers)
    said = result.stdout.str() + result.stderr.str()
    assert result.ret == EXIT_BENCH, said  # not the product's
    assert one_line_with(result, reports), said
    assert took < 240
    assert built == []  # no claim could be written, so nothing was built
    made = {p.name for p in pytester.path.iterdir()} - {
        "conftest.py",
        "hardware_profiles",
        "ledger.txt",
        "reports",
        "test_plan.py",
    }
    # pytester's own files only: no cache folder, nothing built
    assert made <= PYTESTERS_OWN


@pytest.mark.timeout(300)
def test_a_full_reports_folder_is_said_without_a_traceback(pytester, monkeypatch):
    result, _, _, _ = run_on_full_reports(pytester, monkeypatch)
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["main", "xdist"])
def test_a_run_whose_cache_is_full_ends_as_the_machines_fault_naming_it(pytester, monkeypatch, workers):
    make_project(pytester, monkeypatch, kernel={"secs": 0.1}, rootfs={"secs": 0.1})
    with tmpfs(pytester.path / "cache", size="64k") as cache:
        fill(cache)
        started = time.monotonic()
        result = run(pytester, *workers)
        said = result.stdout.str() + result.stderr.str()
        assert result.ret == EXIT_BENCH, said  # not the product's
        assert one_line_with(result, cache), said
        assert "Traceback" not in said
        assert time.monotonic() - started < 240
        assert not [p for p in cache.rglob("*") if p.name.startswith((".staging-", ".trash-"))]
    made = {p.name for p in pytester.path.iterdir()} - {
        "cache",
        "conftest.py",
        "ledger.txt",
        "hardware_profiles",
        "test_plan.py",
    }
    assert made <= {"reports", *PYTESTERS_OWN}
