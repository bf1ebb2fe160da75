"""The Nook typewriter MVP, declared with the plan: artifacts, gates, bench and device.

Streams A and B make the kernel and the rootfs (built side by side under
xdist), D1 makes the card from both; the gates say what must hold before the
tests that need it run. A project loads this module as a plugin from its root
conftest (`pytest_plugins = ["pytest_quill.mvp"]`); the work itself lives in
the stream folders.
"""

from __future__ import annotations

import dataclasses
import time

import allure
import pytest

from .bench import operator
from .bench.base import Bench, BenchOptions, bench_class, bench_for
from .boot.device import Device
from .card import readback, writer
from .card import recipe as card_recipe
from .errors import BenchError, QuillError, VerifyError
from .kernel import recipe as kernel_recipe
from .plan import Plan
from .report.console_text import readable
from .rootfs import recipe as rootfs_recipe
from .rootfs import verify as rootfs_verify
from .run.quill_run import RUN_KEY, QuillRun, quill_run

BENCH = pytest.StashKey[Bench]()  # this process's bench
DEVICE = pytest.StashKey[Device]()  # this process's booted device
BOOT_FAILED = pytest.StashKey[QuillError]()  # why this process's boot failed: not tried again


def pytest_quill_declare(plan: Plan) -> None:
    plan.artifact(kernel_recipe.RECIPE, fixture="kernel_uimage",
                  verify=lambda kernel, profile, deps: kernel_recipe.verify(kernel, profile))
    plan.artifact(rootfs_recipe.RECIPE, fixture="rootfs_tarball",
                  verify=lambda rootfs, profile, deps: rootfs_verify.verify(rootfs, profile))
    plan.artifact(card_recipe.RECIPE, fixture="sd_card",
                  verify=lambda card, profile, deps: readback.verify(
                      card, profile, deps["kernel"], deps["rootfs"]))
    plan.check("hardware", "bench")(bench_ready)
    plan.gate(1, "build", needs=("kernel", "rootfs"))(build_gate)
    plan.gate(2, "artifacts")(artifacts_gate)
    plan.gate(3, "convergence", needs=("sdcard",))(convergence_gate)
    plan.gate(4, "boot")(boot_gate)


def refuse(problems: list[str], error=VerifyError) -> None:
    """The first three broken facts in one line; the suites' tests name each one."""
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise error("; ".join(problems[:3]) + more)


def the_bench(run: QuillRun) -> Bench:
    """This process's bench for the run's profile (QEMU or the board)."""
    if BENCH not in run.stash:
        options = BenchOptions(timeout_factor=run.options.timeout_factor,
                               serial_port=run.options.serial_port,
                               keep=run.options.keep_bench)
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


def bench_ready(run: QuillRun) -> None:
    refuse(the_bench(run).check(), BenchError)


def build_gate(run: QuillRun) -> None:
    run.artifact("kernel")
    run.artifact("rootfs")


def artifacts_gate(run: QuillRun) -> None:
    refuse(kernel_recipe.verify(run.artifact("kernel"), run.profile))
    refuse(rootfs_verify.verify(run.artifact("rootfs"), run.profile))


def convergence_gate(run: QuillRun) -> None:
    """The card is made and reads back as meant (and is written, when a card is given).
    The bench is the hardware check's: a card can converge with no board attached."""
    card = run.artifact("sdcard")
    refuse(readback.verify(card, run.profile, run.artifact("kernel"), run.artifact("rootfs")))
    if run.options.sd_device:
        report = writer.write_card(card.file("card.img"), run.options.sd_device, run.profile,
                                   confirm=run.options.sd_confirm, prompt=operator.consent)
        run.state.event("card", **dataclasses.asdict(report))


def boot_gate(run: QuillRun) -> None:
    """The first boot of the run: judged once, its device kept for this worker's tests."""
    start = time.time()
    device = run.stash.get(DEVICE, None) or _boot(run, "first-boot")
    run.state.event("boot", start=start, end=time.time(), bench_command=device.bench.launched,
                    **device.boot.record())
    run.stash[DEVICE] = device


def _boot(run: QuillRun, label: str) -> Device:
    """A booted device (the bench's closer powers it off); a boot that failed once
    fails this process's later asks at once, with its first cause."""
    if BOOT_FAILED in run.stash:
        first = run.stash[BOOT_FAILED]
        raise type(first)(f"not booting again, this worker's boot failed: {first.message}",
                          log=first.log)
    card = run.artifact("sdcard").file("card.img")
    log = run.state.logs / f"console-{label}-{run.worker}.log"
    try:
        return Device.boot_card(the_bench(run), card, log)
    except QuillError as failure:
        run.stash[BOOT_FAILED] = failure
        raise


@pytest.fixture(scope="session")
def quill(request) -> QuillRun:
    """The run itself: profile, gate decisions, artifacts, the record's events."""
    return quill_run(request.config)


@pytest.fixture(scope="session")
def profile(quill):
    return quill.profile


@pytest.fixture(scope="session")
def bench(quill):
    return the_bench(quill)


@pytest.fixture
def spare_bench(quill):
    """A bench of the test's own, for a test that powers a board on and off
    itself: the run's shared device keeps running (with or without xdist).
    Only QEMU can be had twice; a real board is the run's alone."""
    if quill.profile.bench.kind != "qemu":
        pytest.skip("a real board is the run's alone: only a QEMU bench can be had twice")
    spare = bench_for(quill.profile, quill.run_dir / f"spare-{quill.worker}",
                      BenchOptions(timeout_factor=quill.options.timeout_factor))
    yield spare
    spare.close()


@pytest.fixture(autouse=True)
def console_slice(request):
    """Each device test gets the console output of its own time attached."""
    if "device" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("device").console.log_path
    start = log.stat().st_size
    yield
    with open(log, "rb") as console:
        console.seek(start)
        allure.attach(readable(console.read()), name="console during this test",
                      attachment_type=allure.attachment_type.TEXT)


@pytest.fixture(scope="session")
def device(quill) -> Device:
    """A booted device with a shell: the first boot's on the worker that judged it,
    a fresh boot of the same card on the others (QEMU instances are not shared)."""
    if DEVICE not in quill.stash:
        quill.stash[DEVICE] = _boot(quill, "tests")
    return quill.stash[DEVICE]


def pytest_terminal_summary(terminalreporter, config):
    """Devices --quill-keep-bench left running, and how to reach and stop them."""
    if RUN_KEY not in config.stash:
        return
    kept = [event for event in quill_run(config).state.events() if event["kind"] == "bench-kept"]
    for event in kept:
        terminalreporter.write_line(f"[quill bench {event['worker']}] " +
                                    f"\n[quill bench {event['worker']}] ".join(event["lines"]))


def pytest_sessionstart(session):
    """What would be refused later is refused before anything is built: a bench
    whose library is not installed, a kernel input that is missing, a card device
    that will be refused."""
    run = quill_run(session.config)
    try:
        bench_class(run.profile.bench.kind, run.profile.path)
        if not hasattr(session.config, "workerinput"):
            # The kernel's inputs (its source, patches, module sources) are read for its key
            # in gate 1 otherwise: a missing one would be a failed gate, not bad input.
            kernel_recipe.RECIPE.fingerprint(run.profile, run.project_root)
        if run.options.sd_device and not hasattr(session.config, "workerinput"):
            writer.check_target_early(run.options.sd_device, run.profile)
    except QuillError as exc:
        raise pytest.UsageError(exc.one_line()) from None
