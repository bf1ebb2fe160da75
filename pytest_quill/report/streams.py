"""Where a test belongs in the plan: its story, from its file's name. Its stream
(its suite folder's) is the plan's to say: Plan.stream_of.

suites/a_kernel/test_a1_config.py::test_x -> story "A1".
"""

from __future__ import annotations

import re

_STORY_FILE = re.compile(r"^test_([a-z])(\d+)(?:_|\.py$)")


def story_of(nodeid: str) -> str | None:
    """The task set from the file name: test_a1_*.py -> "A1"."""
    filename = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    match = _STORY_FILE.match(filename)
    return f"{match.group(1).upper()}{match.group(2)}" if match else None
