"""Kernel release numbers as tuples: "2.6.29-omap1" -> (2, 6, 29)."""

from __future__ import annotations

import re


def version_tuple(text: str, parts: int = 3) -> tuple[int, ...]:
    """The first PARTS numbers of TEXT, padded with 0: a release family ("6.1")
    is its first release (6, 1, 0)."""
    numbers = [int(number) for number in re.findall(r"\d+", text)[:parts]]
    return tuple(numbers + [0] * (parts - len(numbers)))


def format_version(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)
