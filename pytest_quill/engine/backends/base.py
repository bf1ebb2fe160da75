"""The interface every backend offers to recipes."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class Backend(Protocol):
    name: str  # "host" or "docker": shown in the run record

    def identity(self, tools: list[str]) -> str:
        """What makes this backend's output differ: toolchain versions, image id."""

    def run(self, argv: list[str], *, cwd: Path, env: dict | None, log: BinaryIO,
            timeout: float) -> int:
        """Run argv with cwd (same path on every backend), stdout+stderr into log."""
