"""The Nook plan's fixtures beside the artifacts': the run, its profile, the bench,
a bench of a test's own, the booted device and each device test's console slice."""

from __future__ import annotations

from collections.abc import Iterator

import allure
import pytest

from ..bench.base import Bench, BenchOptions, bench_for
from ..boot.device import Device
from ..errors import QuillError
from ..profile import Profile
from ..report.console_text import readable
from ..run.quill_run import QuillRun, quill_run
from . import boot_ahead
from .device import DEVICE, fresh_device, the_bench


@pytest.fixture(scope="session")
def quill(request: pytest.FixtureRequest) -> QuillRun:
    """The run itself: profile, gate decisions, artifacts, the record's events."""
    return quill_run(request.config)


@pytest.fixture(scope="session")
def profile(quill: QuillRun) -> Profile:
    return quill.profile


@pytest.fixture(scope="session")
def bench(quill: QuillRun) -> Bench:
    return the_bench(quill)


@pytest.fixture
def spare_bench(quill: QuillRun) -> Iterator[Bench]:
    """A bench of the test's own, for a test that powers a board on and off
    itself: the run's shared device keeps running (with or without xdist).
    Only QEMU can be had twice; a real board is the run's alone."""
    if quill.profile.bench.kind != "qemu":
        pytest.skip("a real board is the run's alone: only a QEMU bench can be had twice")
    spare = bench_for(
        quill.profile,
        quill.run_dir / f"spare-{quill.worker}",
        BenchOptions(timeout_factor=quill.options.timeout_factor),
    )
    yield spare
    spare.close()


@pytest.fixture(autouse=True)
def console_slice(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each device test gets the console output of its own time attached."""
    if "device" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("device").console.log_path
    start = log.stat().st_size
    yield
    with open(log, "rb") as console:
        console.seek(start)
        allure.attach(
            readable(console.read()),
            name="console during this test",
            attachment_type=allure.attachment_type.TEXT,
        )


@pytest.fixture(scope="session")
def device(quill: QuillRun) -> Device:
    """A booted device with a shell: the first boot's on the worker that judged it;
    on the others (QEMU instances are not shared), the same card started from the
    state kept after that boot, or booted when there is none."""
    if DEVICE not in quill.stash:
        quill.stash[DEVICE] = _booted_ahead(quill) or fresh_device(quill, "tests")
    return quill.stash[DEVICE]


def _booted_ahead(run: QuillRun) -> Device | None:
    """The boot this worker began ahead of gate 4, when a test that is not behind
    gate 4 asks for the device before gate 4 took it; a boot that failed there was
    not gate 4's: a fresh device then (which says why it cannot boot again)."""
    try:
        early = boot_ahead.take(run)
    except QuillError:
        return None
    return early[0] if early else None
