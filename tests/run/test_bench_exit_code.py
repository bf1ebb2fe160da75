"""A run that failed only for its bench exits 69, not 1 (#26 item 4): the bench
check before the hardware tests names the part that is missing, once, and the
tests behind it skip with the same line. A product failure beside it makes it 1."""

from __future__ import annotations

import pytest

from pytest_quill.run.verdict import EXIT_BENCH

pytestmark = pytest.mark.timeout(120)

HARDWARE_TEST = """
import pytest

@pytest.mark.hardware
def test_on_the_device():
    pass
"""
PRODUCT_FAILURE = """

def test_the_product():
    assert 1 + 1 == 3
"""


def run_without_qemu(pytester, *options):
    return pytester.runpytest_subprocess(
        *options,
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "--quill-reports",
        str(pytester.path / "reports"),
        "--quill-set",
        "bench.qemu.binary=qemu-system-nope",
        "-rfs",
    )


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["main", "xdist"])
def test_a_bench_not_ready_is_one_failure_naming_the_part_and_exit_6(pytester, workers):
    pytester.makepyfile(test_device=HARDWARE_TEST)
    result = run_without_qemu(pytester, *workers)

    assert result.ret == EXIT_BENCH == 69, result.stdout.str()
    result.assert_outcomes(failed=1, skipped=1)
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert [line.split(" - ")[0] for line in failed] == ["FAILED ::quill check: bench (hardware)"]
    assert "bench not ready: qemu-system-nope not found on PATH (apt-get install qemu-system-arm)" in (
        result.outlines
    )
    result.stdout.fnmatch_lines(["SKIPPED * bench not ready: qemu-system-nope not found on PATH*"])


def test_a_product_failure_beside_a_bench_fault_is_exit_1(pytester):
    pytester.makepyfile(test_device=HARDWARE_TEST + PRODUCT_FAILURE)
    result = run_without_qemu(pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.assert_outcomes(failed=2, skipped=1)


def test_a_product_failure_alone_is_exit_1(pytester):
    pytester.makepyfile(test_device=PRODUCT_FAILURE)
    result = run_without_qemu(pytester)

    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
