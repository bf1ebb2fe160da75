"""The live progress in the terminal, printed by the controller while the
workers build and boot (a thread: the controller's own loop has no hook to
print from while it waits on the workers).

On a terminal one status line updates in place and the lines worth keeping
(steps, artifacts made, gates) print above it; without one (CI, a pipe) the
kept lines print as they come and each thing still going says where it is at
most every PLAIN_EVERY_S.
"""

from __future__ import annotations

import threading
import time
import traceback

import pytest

from .progress import Progress, RunWatch

TTY_POLL_S = 1.0
PLAIN_POLL_S = 2.0
PLAIN_EVERY_S = 20.0


class LiveProgress:
    """terminal: pytest's TerminalReporter (write, write_line, ensure_newline)."""

    def __init__(self, watch: RunWatch, terminal: pytest.TerminalReporter, in_place: bool, header: list[str]):
        self.watch = watch
        self.header = header  # said once the run starts on something (a run that builds
        # and gates nothing says nothing)
        self.terminal = terminal
        self.in_place = in_place
        self._told: dict[str, float] = {}  # plain: when each status was last printed
        self._shown = ""  # in place: the status line on screen now
        self._line = ""  # the terminal's current line right after our status was drawn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="quill-progress", daemon=True)
        # pytest's writes and this thread's, one at a time: a test's dot written from
        # the main thread never lands inside a line of ours (between its text and its
        # end, or between our look at the current line and our write).
        self._lock = threading.RLock()
        self._unlocked_write = terminal._tw.write
        terminal._tw.write = self._locked_write  # type: ignore[method-assign]

    def _locked_write(self, msg: str, **kwargs: bool) -> None:
        with self._lock:
            self._unlocked_write(msg, **kwargs)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """The last news, then the status line cleared: the summary follows."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._show(time.time())
        with self._lock:
            self._clear()
        self.terminal._tw.write = self._unlocked_write  # type: ignore[method-assign]

    def _loop(self) -> None:
        poll = TTY_POLL_S if self.in_place else PLAIN_POLL_S
        while not self._stop.wait(poll):
            try:
                self._show(time.time())
            except Exception:  # a progress line is never worth a run; its bug is logged
                with open(self.watch.logs / "progress-error.log", "a") as log:
                    traceback.print_exc(file=log)
                return

    def _show(self, now: float) -> None:
        progress = self.watch.poll(now)
        with self._lock:
            self._print(progress, now)

    def _print(self, progress: Progress, now: float) -> None:
        if self.header and self.watch.state.is_dir():
            for line in self.header:
                self._keep(line)
            self.header = []
        for line in progress.lines:
            self._keep(line)
        for what, status in progress.going.items():
            if status in progress.lines:
                self._told[what] = now
        if self.in_place:
            self._status(" | ".join(progress.going.values()))
            return
        for what, status in progress.going.items():
            if now - self._told.setdefault(what, now) >= PLAIN_EVERY_S:
                self._keep(status)
                self._told[what] = now

    def _keep(self, line: str) -> None:
        text = f"quill: {line}"
        if self._ours():  # the kept line takes the status line's place
            self.terminal.write("\r\x1b[K" + text + "\n", flush=True)
        else:
            self._newline()
            self.terminal.write_line(text)
        self._shown = ""

    def _status(self, text: str) -> None:
        if not text:
            self._clear()
            return
        if not self._ours():
            self._newline()
        width = max(20, self.terminal._tw.fullwidth - 1)
        self.terminal.write("\r\x1b[K" + f"quill: {text}"[:width], flush=True)
        self._shown, self._line = text, self._current_line()

    def _clear(self) -> None:
        if self._ours():
            self.terminal.write("\r\x1b[K", flush=True)
            self._line = self._current_line()  # empty to the eye
        self._shown = ""

    def _ours(self) -> bool:
        """Is the terminal's current line still our status (nothing written after it)?"""
        return bool(self._shown) and self._current_line() == self._line

    def _newline(self) -> None:
        """Start on a line of our own: under xdist pytest's dots leave no other trace."""
        if self._current_line() and self._current_line() != self._line:
            self.terminal.write("\n")
        self.terminal.currentfspath = None

    def _current_line(self) -> str:
        """What the terminal's current line holds so far (pytest's writer keeps it;
        its width is no guide once escape codes are in it)."""
        return getattr(self.terminal._tw, "_current_line", "")
