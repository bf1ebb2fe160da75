"""The Nook plan's bench and booted device, one of each per process: the bench made
for the run's profile and powered off when the session ends, the card booted once
(a boot that failed is not tried again by the same process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..bench.base import Bench, BenchOptions, bench_for
from ..boot.attempts import Policy, attempt
from ..boot.device import Device
from ..errors import QuillError
from ..run.quill_run import QuillRun

CARD_IMAGE = "card.img"  # the file of the sdcard artifact a bench boots
BENCH = pytest.StashKey[Bench]()  # this process's bench
DEVICE = pytest.StashKey[Device]()  # this process's booted device
BOOT_FAILED = pytest.StashKey[QuillError]()  # why this process's boot failed: not tried again


def the_bench(run: QuillRun) -> Bench:
    """This process's bench for the run's profile (QEMU or the board)."""
    if BENCH not in run.stash:
        options = BenchOptions(
            timeout_factor=run.options.timeout_factor,
            serial_port=run.options.serial_port,
            keep=run.options.keep_bench,
        )
        run.stash[BENCH] = bench_for(run.profile, run.run_dir, options)
        run.on_close(lambda: _close_bench(run, run.stash[BENCH]))
    return run.stash[BENCH]


def _close_bench(run: QuillRun, bench: Bench) -> None:
    """Power off; with --quill-keep-bench, leave the device running and say how to
    reach it (an event: the controller prints it, xdist workers cannot)."""
    if not run.options.keep_bench:
        bench.close()
    elif lines := bench.leave_running():
        run.state.event("bench-kept", lines=lines)


def boot(run: QuillRun, label: str) -> Device:
    """A booted device (the bench's closer powers it off), after as many attempts as
    the profile's bench.attempts allow for the faults it retries (boot/attempts.py);
    the device holds them. A boot that failed fails this process's later asks at
    once, with its cause and every attempt's."""
    if BOOT_FAILED in run.stash:
        first = run.stash[BOOT_FAILED]
        raise type(first)(f"not booting again, this worker's boot failed: {first.message}", log=first.log)
    card = run.artifact("sdcard").file(CARD_IMAGE)
    bench = the_bench(run)

    def log_of(number: int) -> Path:
        suffix = "" if number == 1 else f"-attempt{number}"
        return run.state.logs / f"console-{label}-{run.worker}{suffix}.log"

    outcome = attempt(
        lambda number: Device.boot_card(bench, card, log_of(number)), lambda n: str(log_of(n)), policy_of(run)
    )
    if outcome.result is not None:
        outcome.result.attempts = tuple(outcome.attempts)
        return outcome.result
    assert outcome.fault is not None  # an attempt ends with a fault when nothing booted
    failure = outcome.fault
    if len(outcome.attempts) > 1:
        failure = type(failure)(f"{failure.message} ({outcome.summary()})", log=failure.log)
    run.stash[BOOT_FAILED] = failure
    raise failure


def policy_of(run: QuillRun) -> Policy:
    """How many attempts a boot, and a device test, gets on the run's bench."""
    return Policy(run.profile.bench.attempts, run.profile.bench.retry_stuck)


def reboot(run: QuillRun, device: Device, label: str) -> None:
    """Power the lost DEVICE off and boot the card again: the object the tests hold
    talks to the fresh boot from now on."""
    device.power_off()
    device.take_over(boot(run, label))
