"""A run waiting on another run's build of the same key says so (who, since when)
in the build log, and gives up after a bound with a line naming the other run.
The other run is a real second process holding the key's lock."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache, lock_wait_s, read_owner, record_sums
from pytest_quill.engine.produce import build_or_reuse
from pytest_quill.errors import BenchError, InputError
from pytest_quill.profile import load_profile
from tests.support.recipes import Recipe

PROJECT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from pathlib import Path
from pytest_quill.engine.cache import Cache
with Cache(Path(sys.argv[1])).lock("kernel", "k1"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def holder(tmp_path):
    """start(seconds): another process holding kernel/k1's lock for SECONDS."""
    started = []

    def start(seconds: float) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(tmp_path / "cache"), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
        )
        started.append(proc)
        assert proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_free_lock_is_taken_at_once_and_says_nothing(tmp_path):
    cache = Cache(tmp_path / "cache")
    with cache.lock("kernel", "k1") as waited:
        owner = json.loads((tmp_path / "cache" / "kernel" / ".k1.owner.json").read_text())
        assert waited == ""
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        assert time.time() - owner["since"] < 60
    assert not (tmp_path / "cache" / "kernel" / ".k1.owner.json").exists()


def test_the_wait_names_the_other_run_and_ends_when_it_is_done(tmp_path, holder):
    other = holder(2)
    said = []
    started = time.monotonic()
    with Cache(tmp_path / "cache").lock("kernel", "k1", on_wait=said.append) as waited:
        assert time.monotonic() - started >= 1
    assert len(said) == 1
    assert said[0].startswith(
        f"waiting for kernel k1: another run is building it (pid {other.pid} on {socket.gethostname()} since "
    )
    assert "giving up after 3600 s (QUILL_LOCK_WAIT_S)" in said[0]
    assert waited.startswith(said[0]) and waited.endswith(" s")


def test_the_wait_gives_up_after_its_bound_naming_the_other_run(tmp_path, holder):
    other = holder(60)
    started = time.monotonic()
    with pytest.raises(BenchError) as caught, Cache(tmp_path / "cache").lock("kernel", "k1", wait_s=1):
        pytest.fail("the lock was taken while another process held it")
    assert time.monotonic() - started < 15
    line = caught.value.one_line()
    assert line.startswith(
        "gave up after 1 s waiting for kernel k1: another run still builds "
        f"it (pid {other.pid} on {socket.gethostname()} since "
    )
    assert line.endswith("; QUILL_LOCK_WAIT_S sets the bound")
    assert other.poll() is None  # the other run goes on


def test_the_bound_comes_from_the_environment(tmp_path, holder, monkeypatch):
    holder(60)
    monkeypatch.setenv("QUILL_LOCK_WAIT_S", "0.5")
    with (
        pytest.raises(BenchError, match=r"^gave up after [01] s waiting for kernel k1"),
        Cache(tmp_path / "cache").lock("kernel", "k1"),
    ):
        pass


@pytest.mark.parametrize("text", ["0", "-3", "nan", "inf", "soon"])
def test_a_bad_bound_is_a_usage_error(monkeypatch, text):
    monkeypatch.setenv("QUILL_LOCK_WAIT_S", text)
    with pytest.raises(InputError, match=rf"^QUILL_LOCK_WAIT_S={text}: must be a finite number"):
        lock_wait_s()


def test_the_default_bound_is_an_hour(monkeypatch):
    monkeypatch.delenv("QUILL_LOCK_WAIT_S", raising=False)
    assert lock_wait_s() == 3600


def test_a_build_that_waited_says_so_in_its_log_then_reuses_the_others_entry(tmp_path, holder):
    """The other run publishes while we wait; we take its entry instead of building."""
    cache = Cache(tmp_path / "cache")
    other = holder(2)
    entry = cache.entry("kernel", "k1")
    entry.mkdir(parents=True)
    (entry / "meta.json").write_text("{}")
    record_sums(entry)
    recipe = Recipe()
    recipe.name = "kernel"
    shown = []
    artifact = build_or_reuse(
        recipe,
        "k1",
        profile=load_profile("qemu-virt"),
        backend=HostBackend(),
        cache=cache,
        deps={},
        log=tmp_path / "kernel.log",
        jobs=1,
        work_root=tmp_path / "work",
        project_root=PROJECT,
        on_wait=shown.append,
    )
    assert artifact.status == "cached" and recipe.built == 0
    log = (tmp_path / "kernel.log").read_text()
    assert f"waiting for kernel k1: another run is building it (pid {other.pid} on " in log
    assert "cache hit: kernel k1" in log
    assert shown and shown[0] in log


def test_a_holder_that_left_no_owner_file_is_said_to_be_unknown(tmp_path, holder):
    holder(60)
    (tmp_path / "cache" / "kernel" / ".k1.owner.json").unlink()
    with (
        pytest.raises(
            BenchError, match="another run still builds it \\(holder unknown: it left no owner file\\)"
        ),
        Cache(tmp_path / "cache").lock("kernel", "k1", wait_s=0.5),
    ):
        pass


def test_the_record_of_a_killed_holder_is_not_taken_for_the_holder(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / ".k1.owner.json"
    path.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": 0}))
    assert read_owner(path, patience_s=0.2) is None
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": 0}))
    assert read_owner(path)["pid"] == os.getpid()
