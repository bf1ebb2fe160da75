"""The tool versions inside a builder image, kept per image id.

An image never changes under its id, so what its tools answered once holds for
good: a warm run computes its keys without starting a container. A container
start was the slowest step of a warm run's cache look-up (0.3-0.5 s per worker),
and took seconds while the host was still writing back a CI run's gigabytes
(4.4 s with 2.3 GB of dirty pages: the engine waits on the disk to start one).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

# Run in the image with the tools as arguments: the first line of each one's
# `--version`, or "missing".
SCRIPT = (
    'for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then '
    'printf "%s: %s\\n" "$t" "$("$t" --version 2>&1 | head -n1)"; '
    'else printf "%s: missing\\n" "$t"; fi; done'
)


def remembered(folder: Path | None, image_id: str, tools: Sequence[str], ask: Callable[[], str]) -> str:
    """The answer kept in FOLDER for IMAGE_ID and TOOLS; else ask() once, kept whole
    (written beside, then renamed) where FOLDER can be written. No folder: ask()."""
    if folder is None:
        return ask()
    name = hashlib.sha256("\n".join((image_id, *tools)).encode()).hexdigest()[:24]
    kept = folder / f"{name}.txt"
    try:
        return kept.read_text()
    except OSError:  # not kept yet, or no folder to keep it in
        pass
    answer = ask()
    partial = folder / f".{name}.{os.getpid()}.part"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_text(answer)
        os.replace(partial, kept)
    except OSError:  # a cache this run may only read (quill boot --cache): asked each time
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return answer
