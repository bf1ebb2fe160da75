"""The Nook plan's bench and booted device, one of each per process: the bench made
for the run's profile and powered off when the session ends, the card booted once
(a boot that failed is not tried again by the same process).

The run's first boot is real and judged (gate 4); its booted state is then kept
(bench/snapshots.py) where the bench can, and every other device of the run (the
other workers', a retried test's) starts from that state instead of booting
again: the same card, the same bench, the shell already up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..bench.base import Bench, BenchOptions, bench_for
from ..bench.snapshots import SnapshotStore
from ..boot.attempts import Policy, attempt
from ..boot.device import Device
from ..boot.judge import BootReport, stages
from ..engine.cache import SUMS, read_sums
from ..errors import QuillError
from ..report.rundata import BootResult, from_json
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


class BootStopped(Exception):
    """No further boot attempt: nobody will take this boot (boot_ahead.py)."""


def boot(run: QuillRun, label: str, go_on: Callable[[], bool] = lambda: True) -> Device:
    """A booted device (the bench's closer powers it off), after as many attempts as
    the profile's bench.attempts allow for the faults it retries (boot/attempts.py);
    the device holds them. A boot that failed fails this process's later asks at
    once, with its cause and every attempt's. A retry starts only while go_on()."""
    if BOOT_FAILED in run.stash:
        first = run.stash[BOOT_FAILED]
        raise type(first)(f"not booting again, this worker's boot failed: {first.message}", log=first.log)
    card = run.artifact("sdcard").file(CARD_IMAGE)
    bench = the_bench(run)

    def log_of(number: int) -> Path:
        suffix = "" if number == 1 else f"-attempt{number}"
        return run.state.logs / f"console-{label}-{run.worker}{suffix}.log"

    def boot_once(number: int) -> Device:
        if number > 1 and not go_on():
            raise BootStopped(f"{label}: stopped before attempt {number}")
        return Device.boot_card(bench, card, log_of(number))

    outcome = attempt(boot_once, lambda n: str(log_of(n)), policy_of(run))
    if outcome.result is not None:
        outcome.result.attempts = tuple(outcome.attempts)
        return outcome.result
    assert outcome.fault is not None  # an attempt ends with a fault when nothing booted
    failure = outcome.fault
    if len(outcome.attempts) > 1:
        failure = type(failure)(f"{failure.message} ({outcome.summary()})", log=failure.log)
    run.stash[BOOT_FAILED] = failure
    raise failure


def keep_state(run: QuillRun, device: Device) -> str:
    """Keep the judged DEVICE's booted state for the run's other devices: where it is
    kept, or why it is not (a bench that cannot, a QEMU that refused). A state an
    earlier run kept for the same card and bench, whole, is theirs as it is (the
    first kept wins): saving this one too would only pause the judged device."""
    key = device.bench.state_key(card_digest(run))
    if key is None:
        return f"not kept: a {run.profile.bench.kind} bench cannot restore a state"
    store = states(run)
    if (kept := store.find(key)) is not None:  # kept by an earlier boot of this card and bench
        return str(kept)
    try:
        return str(device.bench.save_state(store, key))
    except (QuillError, OSError) as why:
        return f"not kept: {why}"


def fresh_device(run: QuillRun, label: str) -> Device:
    """A device with a shell for tests: started from the state kept after the run's
    judged first boot when there is one for this card and bench, booted otherwise."""
    judged = _judged_boot(run)
    card = run.artifact("sdcard").file(CARD_IMAGE)
    bench = the_bench(run)
    key = bench.state_key(card_digest(run)) if judged is not None else None
    state = states(run).find(key) if key is not None else None
    if judged is None or state is None:
        return boot(run, label)
    log = run.state.logs / f"console-{label}-{run.worker}.log"
    try:
        return Device.restore_card(bench, card, state, log, judged)
    except QuillError:  # a state QEMU would not take back is no reason to fail: boot for real
        return boot(run, label)


def card_digest(run: QuillRun) -> str:
    """The sha256 of the run's card image, as its artifact's sums record it: the run
    checked them against the image when it looked the card up (or just made it)."""
    return read_sums(run.artifact("sdcard").file(SUMS))[CARD_IMAGE]


def states(run: QuillRun) -> SnapshotStore:
    return SnapshotStore(run.options.cache / "snapshots")


def _judged_boot(run: QuillRun) -> BootReport | None:
    """The run's first boot as gate 4 judged it (any worker's), if it has been."""
    boots = [from_json(BootResult, event) for event in run.state.events() if event["kind"] == "boot"]
    seen = boots[0].stages if boots else None
    if not seen:
        return None
    # In the judge's order: the record sorts its keys, and two stages may share a time.
    in_order = {stage.name: seen[stage.name] for stage in stages(run.profile) if stage.name in seen}
    return BootReport(stages=in_order, budget_s=boots[0].budget_s or 0.0, log=boots[0].log or "")


def policy_of(run: QuillRun) -> Policy:
    """How many attempts a boot, and a device test, gets on the run's bench."""
    return Policy(run.profile.bench.attempts, run.profile.bench.retry_stuck)


def reboot(run: QuillRun, device: Device, label: str) -> None:
    """Power the lost DEVICE off and start the card again (fresh_device): the object
    the tests hold talks to the new device from now on."""
    device.power_off()
    device.take_over(fresh_device(run, label))
