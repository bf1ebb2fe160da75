"""A failure is reported once per run: the first worker to report a cause fails
(a test, a gate's own result), every other place it shows is a skip with the
same line. The exception raised is the failure's class, so Allure shows a
bench problem as broken and a build, verify or boot failure as failed."""

from __future__ import annotations

import pytest

from ..errors import (
    BenchError,
    BootError,
    BuildError,
    InputError,
    ProductError,
    QuillError,
    VerifyError,
)
from .state import RunState

_CLASSES = {
    cls.kind: cls for cls in (InputError, BenchError, BuildError, VerifyError, BootError, ProductError)
}


def error_of(kind: str, message: str) -> QuillError:
    return _CLASSES.get(kind, BuildError)(message)


def report_once(state: RunState, cause: str, kind: str, line: str) -> None:
    """Raise the failure for CAUSE if nobody in this run reported it yet, else skip."""
    if state.claim(f"reported-{cause}"):
        raise error_of(kind, line)
    pytest.skip(line)


# A failed run whose every failure was of the bench or the machine (a console,
# power, QEMU or lab fault, a bench not ready, a full disk, Docker gone) exits
# with this code instead of 1: the product was not judged, and CI may retry or
# call the lab rather than the developer. sysexits.h's EX_UNAVAILABLE, clear of
# pytest's own codes (0 to 6).
EXIT_BENCH = 69
FAILURE_KIND = "quill failure"  # a failed report's user property: the failure's kind
# A passed test's user property: it passed only after a retry; the value says each
# attempt (the record, the summary, JUnit and Allure's flaky flag show it).
FLAKY = "flaky"


def exit_status(status: int, failure_kinds: list[str]) -> int:
    """The run's exit status, from pytest's and the kinds of its failures."""
    only_bench = bool(failure_kinds) and all(kind == BenchError.kind for kind in failure_kinds)
    return EXIT_BENCH if status == pytest.ExitCode.TESTS_FAILED and only_bench else status
