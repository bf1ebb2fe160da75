"""The Nook typewriter MVP, declared as fixtures and gates with pytest-quill.

Streams A and B make the kernel and the rootfs (built side by side under
xdist), D1 makes the card from both; the gates say what must hold before the
tests that need it run. The work lives in pytest_quill.build and
pytest_quill.bench; this file only wires the plan together.
"""

import dataclasses
import time

import allure
import pytest

from pytest_quill import artifact, gate
from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.boot.device import Device
from pytest_quill.kernel import recipe as kernel
from pytest_quill.card import readback, recipe as sdcard, writer
from pytest_quill.rootfs import recipe as rootfs, verify as rootfs_verify
from pytest_quill.errors import BenchError, QuillError, VerifyError
from pytest_quill.run.gates import check
from pytest_quill.plugin import quill_run

kernel_uimage = artifact(kernel.RECIPE, fixture="kernel_uimage")
rootfs_tarball = artifact(rootfs.RECIPE, fixture="rootfs_tarball")
sd_card = artifact(sdcard.RECIPE, fixture="sd_card")


def _refuse(problems: list[str], error=VerifyError) -> None:
    """The first three broken facts in one line; the suites' tests name each one."""
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise error("; ".join(problems[:3]) + more)


def the_bench(run):
    """This process's bench for the run's profile (QEMU or the board)."""
    if "bench" not in run.extras:
        options = BenchOptions(timeout_factor=run.options.timeout_factor,
                               serial_port=run.options.serial_port)
        run.extras["bench"] = bench_for(run.profile, run.run_dir, options)
        run.on_close(run.extras["bench"].close)
    return run.extras["bench"]


@check("hardware", "bench")
def bench_ready(run):
    _refuse(the_bench(run).check(), BenchError)


@gate(1, "build", needs=("kernel", "rootfs"))
def build_gate(run):
    run.artifact("kernel")
    run.artifact("rootfs")


@gate(2, "artifacts")
def artifacts_gate(run):
    _refuse(kernel.verify(run.artifact("kernel"), run.profile))
    _refuse(rootfs_verify.verify(run.artifact("rootfs"), run.profile))


@gate(3, "convergence", needs=("sdcard",))
def convergence_gate(run):
    card = run.artifact("sdcard")
    _refuse(readback.verify(card, run.profile, run.artifact("kernel"), run.artifact("rootfs")))
    bench_ready(run)
    if run.options.sd_device:
        report = writer.write_card(card.file("card.img"), run.options.sd_device, run.profile,
                                   confirm=run.options.sd_confirm, prompt=_ask_operator)
        run.state.event("card", **dataclasses.asdict(report))


def _ask_operator(question: str) -> bool:
    """Consent at the terminal (pytest holds stdin, so ask /dev/tty); none in CI."""
    try:
        with open("/dev/tty", "r+") as tty:
            tty.write(question + "[y/N] ")
            tty.flush()
            return tty.readline().strip().lower() in ("y", "yes")
    except OSError:
        return False


@gate(4, "boot")
def boot_gate(run):
    """The first boot of the run: judged once, its device kept for this worker's tests."""
    start = time.time()
    device = run.extras.get("device") or _boot(run, "first-boot")
    run.state.event("boot", start=start, end=time.time(), **device.boot.record())
    run.extras["device"] = device


def _boot(run, label: str) -> Device:
    card = run.artifact("sdcard").file("card.img")
    log = run.state.logs / f"console-{label}-{run.worker}.log"
    device = Device.boot_card(the_bench(run), card, log)
    run.on_close(device.power_off)
    return device


@pytest.fixture(scope="session")
def quill(request):
    """The run itself: profile, gate decisions, artifacts, the record's events."""
    return quill_run(request.config)


@pytest.fixture(scope="session")
def profile(quill):
    return quill.profile


@pytest.fixture(scope="session")
def bench(quill):
    return the_bench(quill)


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
        allure.attach(console.read(), name="console during this test",
                      attachment_type=allure.attachment_type.TEXT)


@pytest.fixture(scope="session")
def device(quill):
    """A booted device with a shell: the first boot's on the worker that judged it,
    a fresh boot of the same card on the others (QEMU instances are not shared)."""
    if "device" not in quill.extras:
        quill.extras["device"] = _boot(quill, "tests")
    return quill.extras["device"]


def pytest_sessionstart(session):
    """A card device that will be refused is refused before anything is built."""
    run = quill_run(session.config)
    if not run.options.sd_device or hasattr(session.config, "workerinput"):
        return
    try:
        writer.check_target_early(run.options.sd_device, run.profile)
    except QuillError as exc:
        raise pytest.UsageError(exc.one_line()) from None
