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
