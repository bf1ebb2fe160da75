"""C1: the bench is ready: tools present, the console reachable, power under control.

A failure here is the lab's (BenchError), not the product's."""

import pytest

from pytest_quill.bench.tools import CARD_TOOLS, missing_tools
from pytest_quill.errors import BenchError

pytestmark = pytest.mark.timeout(180)


def test_card_tools_are_present():
    missing = missing_tools(CARD_TOOLS)
    if missing:
        raise BenchError("; ".join(missing))


@pytest.mark.hardware
def test_bench_is_ready(bench):
    problems = bench.check()
    if problems:
        raise BenchError("; ".join(problems))


@pytest.mark.hardware
def test_the_bench_powers_on_into_the_bootloader(spare_bench, profile, tmp_path):
    """The console and power work before any card exists: QEMU's U-Boot answers on
    a blank disk, on a bench of its own (the run's booted device stays up). A real
    board needs the card, so it is first powered in D2."""
    blank = tmp_path / "blank.img"
    blank.write_bytes(bytes(1 << 20))
    try:
        console = spare_bench.power_on(blank, tmp_path / "console.log")
        console.expect(profile.boot.bootloader_banner, timeout=60, what="the bootloader banner")
    finally:
        spare_bench.power_off()
