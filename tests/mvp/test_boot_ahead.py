"""Gate 4's boot started while gate 3 checks the card (mvp/boot_ahead.py): taken as
gate 4's with its own start time, its failure raised where gate 4 takes it, cut
short with no further attempt when nobody will take it, and never started for a
board that boots the card gate 3 writes, nor when another worker already decides
gate 4. The boot is a stand-in here (its own
tests are boot/'s and bench/'s); the thread, the bench's power-off and the
hand-over are real."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from pytest_quill.errors import BootError
from pytest_quill.mvp import boot_ahead

pytestmark = pytest.mark.timeout(30)


class Bench:
    def __init__(self):
        self.powered_off = threading.Event()

    def power_off(self):
        self.powered_off.set()


def a_run(kind: str = "qemu", gate_4_claimed: bool = False):
    closers: list = []
    run = SimpleNamespace(
        profile=SimpleNamespace(bench=SimpleNamespace(kind=kind)),
        gates=SimpleNamespace(
            claim_next=lambda number: number == 3 and not gate_4_claimed,
            check=lambda marker: SimpleNamespace(open=marker == "hardware"),
        ),
        stash=pytest.Stash(),
        artifact=lambda name: None,
        on_close=closers.append,
        closers=closers,
    )
    return run


@pytest.fixture
def bench(monkeypatch):
    made = Bench()
    monkeypatch.setattr(boot_ahead, "the_bench", lambda run: made)
    return made


def test_the_device_booted_ahead_is_taken_with_the_time_its_boot_began(monkeypatch, bench):
    began = []

    def boot(run, label, go_on):
        began.append((threading.current_thread().name, label))
        return "device"

    monkeypatch.setattr(boot_ahead, "boot", boot)
    run = a_run()
    before = time.time()
    boot_ahead.start(run)
    device, started = boot_ahead.take(run)
    assert device == "device" and before <= started <= time.time()
    assert began == [("quill-boot-ahead", "first-boot")]
    assert boot_ahead.take(run) is None  # taken once


def test_its_failure_is_raised_where_gate_4_takes_it(monkeypatch, bench):
    def boot(run, label, go_on):
        raise BootError("kernel panic: VFS: Unable to mount root fs")

    monkeypatch.setattr(boot_ahead, "boot", boot)
    run = a_run()
    boot_ahead.start(run)
    with pytest.raises(BootError, match="Unable to mount root fs"):
        boot_ahead.take(run)


def test_a_boot_nobody_takes_is_cut_short_by_a_power_off_and_not_tried_again(monkeypatch, bench):
    attempts = []

    def boot(run, label, go_on):  # as boot() does: an attempt, then another while go_on()
        while True:
            attempts.append(time.monotonic())
            bench.powered_off.wait()  # a boot under way ends when the bench goes off
            if not go_on():
                raise RuntimeError("stopped before the next attempt")

    monkeypatch.setattr(boot_ahead, "boot", boot)
    run = a_run()
    boot_ahead.start(run)
    assert run.closers, "the session's end finishes a boot nobody took"
    boot_ahead.finish(run)  # gate 3 closed
    assert bench.powered_off.is_set() and len(attempts) == 1
    assert boot_ahead.take(run) is None


def test_a_real_board_boots_after_gate_3_as_before(monkeypatch, bench):
    monkeypatch.setattr(boot_ahead, "boot", lambda run, label, go_on: pytest.fail("booted ahead"))
    run = a_run(kind="serial")
    boot_ahead.start(run)
    assert boot_ahead.take(run) is None and not run.closers


def test_gate_3_boots_ahead_only_when_no_other_worker_decides_gate_4(monkeypatch, bench):
    monkeypatch.setattr(boot_ahead, "boot", lambda run, label, go_on: "device")
    run = a_run(gate_4_claimed=True)  # its claimant began the boot as gate 4's work ahead
    boot_ahead.beside_gate_3(run)
    assert boot_ahead.take(run) is None and not run.closers
    run = a_run()
    boot_ahead.beside_gate_3(run)
    assert boot_ahead.take(run)[0] == "device"
