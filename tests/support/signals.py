"""SIGINT as a shell's Ctrl-C delivers it, whatever disposition the test run inherited.

A parent that ignores SIGINT (nohup, `cmd &` in a script, some CI runners) passes SIG_IGN
on to pytest and to every child it starts, and Python installs its KeyboardInterrupt
handler only where SIGINT starts at its default: a test that interrupts a process sets
the disposition it relies on instead of inheriting it."""

from __future__ import annotations

import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def interruptible(argv: Sequence[str]) -> list[str]:
    """ARGV started with SIGINT at its default disposition (coreutils' env resets it
    before the exec; a preexec_fn would run Python in a forked child of a threaded process)."""
    return ["env", "--default-signal=INT", *argv]


@contextmanager
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    """In this process, SIGINT raises KeyboardInterrupt until the block ends."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
