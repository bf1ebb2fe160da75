"""The pytest runs the e2e tests start in this checkout, as a user would."""

from __future__ import annotations

import sys
from pathlib import Path


def pytest_argv(*args: str, reports: Path) -> list[str]:
    """A quiet pytest run of ARGS writing its reports to REPORTS, and nothing to
    the checkout's .pytest_cache."""
    return [
        sys.executable,
        "-m",
        "pytest",
        *args,
        "-p",
        "no:cacheprovider",
        "-q",
        "--quill-reports",
        str(reports),
    ]
