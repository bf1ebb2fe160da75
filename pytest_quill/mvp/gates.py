"""Where the Nook plan's gates and its hardware check are decided: each decider
returns when its gate is open and raises the one-line QuillError that closes it."""

from __future__ import annotations

import dataclasses
import time

from ..bench import operator
from ..card import writer
from ..errors import BenchError
from ..problems import refuse
from ..run.quill_run import QuillRun
from . import boot_ahead
from .device import CARD_IMAGE, DEVICE, boot, keep_state, the_bench


def bench_ready(run: QuillRun) -> None:
    refuse(the_bench(run).check(), BenchError)


def build_gate(run: QuillRun) -> None:
    run.artifact("kernel")
    run.artifact("rootfs")


def artifacts_gate(run: QuillRun) -> None:
    refuse(verified(run, "kernel"))
    refuse(verified(run, "rootfs"))


def convergence_gate(run: QuillRun) -> None:
    """The card is made and reads back as meant (and is written, when a card is given).
    The bench is the hardware check's: a card can converge with no board attached.
    Where the bench boots the image itself, gate 4's boot starts meanwhile."""
    boot_ahead.beside_gate_3(run)
    try:
        _converge(run)
    except BaseException:
        boot_ahead.finish(run)
        raise


def _converge(run: QuillRun) -> None:
    refuse(verified(run, "sdcard"))
    if run.options.sd_device:
        report = writer.write_card(
            run.artifact("sdcard").file(CARD_IMAGE),
            run.options.sd_device,
            run.profile,
            confirm=run.options.sd_confirm,
            prompt=operator.consent,
        )
        run.state.event("card", **dataclasses.asdict(report))


def boot_gate(run: QuillRun) -> None:
    """The first boot of the run: judged once, its device kept for this worker's tests
    and its booted state for the other devices of the run."""
    start = time.time()
    device = run.stash.get(DEVICE, None)
    if device is None:
        early = boot_ahead.take(run)
        device, start = early if early else (boot(run, boot_ahead.LABEL), start)
    kept = keep_state(run, device)
    run.state.event(
        "boot",
        start=start,
        end=time.time(),
        bench_command=device.bench.launched,
        attempts=[attempt.record() for attempt in device.attempts],
        flaky=len(device.attempts) > 1,
        state=kept,
        **device.boot.record(),
    )
    run.stash[DEVICE] = device


def verified(run: QuillRun, name: str) -> list[str]:
    """The broken facts of artifact NAME, by its recipe's own verifier."""
    recipe, made = run.plan.recipes[name], run.artifact(name)
    return recipe.verify(made, run.profile, {dep: run.artifact(dep) for dep in recipe.deps})
