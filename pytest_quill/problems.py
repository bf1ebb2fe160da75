"""Checks answer with problems, one line per broken fact; a decider refuses on them."""

from __future__ import annotations

from .errors import QuillError, VerifyError


def refuse(problems: list[str], error: type[QuillError] = VerifyError) -> None:
    """The first three broken facts in one line; the suites' tests name each one."""
    if problems:
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        raise error("; ".join(problems[:3]) + more)
