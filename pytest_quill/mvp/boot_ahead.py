"""The boot gate's boot, started while the convergence gate still checks the card.

A QEMU bench boots the card image itself, so nothing gate 3 does to the card
(its read-back; writing a real card when one is given) changes what it boots.
The boot begins as soon as the card exists, in a thread (QEMU and the console
do the work, the thread mostly waits), on the worker that will decide gate 4:
the one that claimed it (gate 4's work ahead, run/gates.py), or else the one
deciding gate 3, which claims gate 4 then and decides it right after. The boot
is judged as it runs, as ever, but the run takes it as gate 4's only once the
gates below are open; when gate 3 closes, the bench is powered off at once and
no further attempt starts. A real board boots the card gate 3 writes: it boots
after gate 3, as before.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from ..boot.device import Device
from ..run.quill_run import QuillRun
from .device import BOOT_FAILED, DEVICE, boot, the_bench

GATE = 4  # the boot gate (declaration.py)
HARDWARE = "hardware"  # the bench's check (declaration.py)
LABEL = "first-boot"  # its console log's name, as a boot gate's own boot


@dataclass
class EarlyBoot:
    started: float
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    device: Device | None = None
    failure: Exception | None = None


EARLY = pytest.StashKey[EarlyBoot]()  # this process's boot started ahead of gate 4


def beside_gate_3(run: QuillRun) -> None:
    """Gate 3's decider: claim gate 4 and boot ahead, unless another worker decides
    gate 4 already (it boots), or the bench is not ready (its check says why)."""
    if run.profile.bench.kind == "qemu" and run.gates.check(HARDWARE).open and run.gates.claim_next(GATE - 1):
        start(run)


def start(run: QuillRun) -> None:
    """Boot the run's card in the background, where the bench boots the image file
    (once the card is made: QuillError when it cannot be)."""
    if run.profile.bench.kind != "qemu":
        return  # a real board boots the card gate 3 writes
    if EARLY in run.stash or DEVICE in run.stash or BOOT_FAILED in run.stash:
        return  # booting, booted, or its boot failed: not again
    run.artifact("sdcard")  # made before the thread asks for it; unavailable: gate 3 says so
    the_bench(run)  # made here, so that its closer (which powers it off) runs after finish()
    early = run.stash[EARLY] = EarlyBoot(started=time.time())
    run.on_close(lambda: finish(run))

    def booting() -> None:
        try:
            early.device = boot(run, LABEL, go_on=lambda: not early.stop.is_set())
        except Exception as failure:  # raised where gate 4 takes the boot
            early.failure = failure
        finally:
            early.done.set()
        # The thread that started QEMU outlives it: QEMU is killed when its starter
        # ends (proc.die_with_parent). A daemon, it ends with the process.
        threading.Event().wait()

    threading.Thread(target=booting, name="quill-boot-ahead", daemon=True).start()


def take(run: QuillRun) -> tuple[Device, float] | None:
    """The early boot's device and when it started (its failure is raised here, as
    gate 4's own boot would raise it); None when no boot was started ahead."""
    early = run.stash.get(EARLY, None)
    if early is None:
        return None
    early.done.wait()
    del run.stash[EARLY]
    if early.failure is not None:
        raise early.failure
    assert early.device is not None  # a boot that did not fail returned its device
    return early.device, early.started


def finish(run: QuillRun) -> None:
    """Nobody will take the early boot (gate 3 closed, the session ends): the bench
    is powered off, which ends the attempt under way, and no other one starts."""
    early = run.stash.get(EARLY, None)
    if early is not None:
        del run.stash[EARLY]
        early.stop.set()
        the_bench(run).power_off()
        early.done.wait()
