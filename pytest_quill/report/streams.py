"""Where a test belongs in the plan: its stream (suite folder) and story (file).

suites/a_kernel/test_a1_config.py::test_x -> stream "A kernel", story "A1".
"""

from __future__ import annotations

import re

STREAMS = {
    "a_kernel": "A kernel",
    "b_rootfs": "B rootfs",
    "c_bench": "C bench",
    "d_integration": "D integration",
}

_STORY_FILE = re.compile(r"^test_([a-z])(\d+)(?:_|\.py$)")


def stream_of(nodeid: str) -> str | None:
    """The stream of a test from its folder, None outside the suites."""
    folders = nodeid.split("::", 1)[0].split("/")[:-1]
    return next((STREAMS[f] for f in folders if f in STREAMS), None)


def story_of(nodeid: str) -> str | None:
    """The task set from the file name: test_a1_*.py -> "A1"."""
    filename = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    match = _STORY_FILE.match(filename)
    return f"{match.group(1).upper()}{match.group(2)}" if match else None
