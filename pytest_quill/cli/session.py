"""The device's console handed to the person at the terminal, until the escape key.

What the device prints is read from the console's log, which the console's own
reader writes every byte to as it comes (raw, so the terminal sees the shell's
line editing as the device meant it); what is typed goes to the console byte
for byte (the terminal in raw mode: Ctrl-C is the device's). The console's
expect side only watches for the end: the device gone (the bench says so), its
console closed, or a panic.
"""

from __future__ import annotations

import codecs
import os
import select
import termios
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from ..bench.console import Console
from ..errors import BootError, DeviceLost, GuestEnded, NoAnswer

ESCAPE = b"\x1d"
ESCAPE_NAME = "Ctrl-]"
_NEVER = r"(?!)"  # a pattern nothing matches: expect() returns only on the console's end
_POLL_S = 0.05


def attach(console: Console, stdin: int, stdout: BinaryIO) -> tuple[str, bool]:
    """Copy both ways until the escape key, the end of input or the console's end.
    Returns why it ended, and whether that was the device failing (a panic)."""
    ended = threading.Event()
    why: list[tuple[str, bool]] = []  # the watcher's word on the device's end
    start = console.log_path.stat().st_size
    copier = threading.Thread(
        target=_copy_output, args=(console, start, stdout, ended), name="quill-output", daemon=True
    )
    watcher = threading.Thread(target=_watch_end, args=(console, ended, why), name="quill-watch", daemon=True)
    with _raw(stdin):
        copier.start()
        watcher.start()
        try:
            console.sendline()  # a fresh prompt to start from
            typed = _copy_input(console, stdin, ended)
        finally:
            ended.set()
            watcher.join()
            copier.join()
    return why[0] if why else typed


def _copy_input(console: Console, stdin: int, ended: threading.Event) -> tuple[str, bool]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while not ended.is_set():
        ready, _, _ = select.select([stdin], [], [], _POLL_S * 4)
        if not ready:
            continue
        data = os.read(stdin, 1024)
        if not data:
            return "end of input", False
        typed, escape, _ = data.partition(ESCAPE)
        console.send(decoder.decode(typed))  # into a device that went: the watcher says why
        if escape:
            return f"{ESCAPE_NAME} pressed", False
    return "", False  # the watcher said why


def _copy_output(console: Console, start: int, stdout: BinaryIO, ended: threading.Event) -> None:
    with open(console.log_path, "rb") as log:
        log.seek(start)
        while True:
            data = log.read(65536)
            if data:
                stdout.write(data)
                stdout.flush()
            elif ended.is_set():
                return
            else:
                time.sleep(_POLL_S)


def _watch_end(console: Console, ended: threading.Event, why: list[tuple[str, bool]]) -> None:
    while not ended.is_set():
        try:
            console.expect(_NEVER, 1.0, what="the end of the session")
        except (DeviceLost, GuestEnded) as error:  # the bench's word: QEMU ended, the port went
            why.append((f"the device is gone: {error.message.partition(' after waiting')[0]}", False))
        except NoAnswer:  # a quiet second
            continue
        except BootError as error:  # a bad pattern: a panic, an oops, a reset
            why.append((error.one_line(), True))
        ended.set()


@contextmanager
def _raw(fd: int) -> Iterator[None]:
    """The terminal in raw mode (every key to the device), restored whatever happens."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
