"""One console for every bench: pexpect over a byte stream, every byte logged.

A reader thread copies every byte to the log from power-on, whether or not a
test is expecting; pexpect sees the same bytes with ANSI sequences and CRs
removed (busybox ash asks for the cursor position with ESC[6n after each
prompt). Bad patterns (panic, oops, a reset) end any expect at once, and so
does the bench saying the device is gone (QEMU ended or stopped, the serial
port vanished): a wait never outlasts the device.
"""

from __future__ import annotations

import queue
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pexpect
from pexpect.spawnbase import SpawnBase

from ..errors import BenchError, BootError, DeviceLost, GuestEnded, NoAnswer
from ..formats.terminal import ANSI_PARTIAL, strip_ansi
from .streams import ByteStream

# What a healthy kernel never prints; the reason is the report's first words.
KERNEL_BAD_PATTERNS = {
    r"Kernel panic - not syncing": "kernel panic",
    r"\bOops: ": "kernel oops",
    r"\bBUG: ": "kernel BUG",
    r"-+\[ cut here \]-+": "kernel warning (cut here)",
}
_TAIL_CHARS = 16_000
_SETTLE_S = 1.0  # after a bad pattern, how long the rest of its report may take to arrive
_HEALTH_S = 0.5  # how often a wait asks the bench whether the device is still there
_PROMPT = ("QUILL", "-SH# ")  # sent split so the shell's echo of PS1=... never matches


@dataclass(frozen=True)
class Result:
    output: str
    status: int

    @property
    def ok(self) -> bool:
        return self.status == 0


class _StreamSpawn(SpawnBase):
    """pexpect on the reader thread's queue, like pexpect's PopenSpawn."""

    def __init__(self, chunks: queue.Queue, write: Callable[[bytes], object], timeout: float):
        super().__init__(timeout=timeout, encoding="utf-8", codec_errors="replace")
        self._chunks = chunks
        self._write = write
        self._carry = ""  # an ANSI sequence cut at a chunk's end
        self._ended = False
        self.tail = ""  # the last cleaned text, for error reports

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        if self._ended:
            self.flag_eof = True
            raise pexpect.EOF("the console stream ended")
        timeout = self.timeout if timeout == -1 else timeout
        try:
            chunk = self._chunks.get(timeout=min(timeout or 0.01, 0.1))
        except queue.Empty:
            return ""
        if chunk is None:
            self._ended = True
            return self._clean("", final=True)
        return self._clean(self._decoder.decode(chunk + self._queued(), final=False))

    def _queued(self) -> bytes:
        """Every chunk already waiting, at once: pexpect searches its whole buffer
        after each read, and QEMU's UART hands over a few bytes at a time, so a
        read per chunk made a long output's wait quadratic (dmesg: 0.25 s idle,
        1.4 s in a busy run). The stream's end stays queued for the next read."""
        more = []
        while True:
            try:
                chunk = self._chunks.get_nowait()
            except queue.Empty:
                break
            if chunk is None:
                self._chunks.put(None)
                break
            more.append(chunk)
        return b"".join(more)

    def _clean(self, text: str, final: bool = False) -> str:
        text = self._carry + text
        partial = None if final else ANSI_PARTIAL.search(text)
        self._carry = text[partial.start() :] if partial else ""
        if partial:
            text = text[: partial.start()]
        text = strip_ansi(text).replace("\r", "")
        self.tail = (self.tail + text)[-_TAIL_CHARS:]
        return text

    def send(self, s: str | bytes) -> int:
        data = self._encoder.encode(self._coerce_send_string(s), final=False)
        self._write(data)
        return len(data)


class Console:
    """The device's console from power-on: expect, send, and a shell to run commands."""

    def __init__(
        self,
        stream: ByteStream,
        log_path: Path,
        timeout_factor: float = 1.0,
        health: Callable[[], DeviceLost | GuestEnded | None] = lambda: None,
    ):
        """health() is the bench's word on the device: None while it runs, else why it
        is gone, as the error a wait raises (DeviceLost "QEMU (pid 12) was killed by
        SIGKILL": the bench's fault; GuestEnded: the guest's own reset)."""
        self.log_path = Path(log_path)
        self.timeout_factor = timeout_factor
        self.powered_on = time.monotonic()
        self._stream = stream
        self._health = health
        self.ended_because = ""  # why the stream ended, once it did
        self._unsent: DeviceLost | None = None  # a write that failed, said by the next wait
        self._bad = dict(KERNEL_BAD_PATTERNS)
        self._chunks: queue.Queue = queue.Queue()
        self._closing = threading.Event()
        self._log = open(self.log_path, "ab", buffering=0)
        self._reader = threading.Thread(target=self._copy_stream, name="console-reader", daemon=True)
        self._reader.start()
        self._spawn = _StreamSpawn(self._chunks, stream.write, timeout=30)
        self._token = secrets.token_hex(3)
        self._commands = 0
        self.prompt: str | None = None  # the unique prompt, once setup_shell ran

    def _copy_stream(self) -> None:
        while not self._closing.is_set():
            try:
                data = self._stream.read()
            except EOFError as end:
                self.ended_because = str(end)
                break
            if data:
                self._log.write(data)
                self._chunks.put(data)
        self._chunks.put(None)

    def elapsed(self) -> float:
        """Seconds since power-on."""
        return time.monotonic() - self.powered_on

    def watch(self, pattern: str, reason: str) -> None:
        """From now on, seeing pattern ends every expect with BootError(reason)."""
        self._bad[pattern] = reason

    def expect(self, patterns: str | list[str], timeout: float, what: str | None = None) -> int:
        """Index of the first of patterns seen. BootError on a bad pattern, NoAnswer
        when timeout (times the factor) ran out, DeviceLost once the device is gone
        or its console closed, GuestEnded when the bench saw it reset itself."""
        wanted = [patterns] if isinstance(patterns, str) else list(patterns)
        bad = list(self._bad)
        what = what or " or ".join(repr(p) for p in wanted)
        started = time.monotonic()
        deadline = started + timeout * self.timeout_factor
        while True:
            index = self._spawn.expect(
                wanted + bad + [pexpect.TIMEOUT, pexpect.EOF],
                timeout=max(0.0, min(_HEALTH_S, deadline - time.monotonic())),
            )
            if index < len(wanted):
                return index
            if index < len(wanted) + len(bad):
                self._fail_bad(bad[index - len(wanted)])
            waited = f"after waiting {time.monotonic() - started:.1f} s for {what}"
            ended = index == len(wanted) + len(bad) + 1
            gone = self._bench_says(patience_s=_HEALTH_S if ended or self._unsent else 0)
            if gone:
                if not ended:
                    self._last_words(bad)
                raise type(gone)(
                    f"{gone.message} {waited}; last lines: {self.last_lines(6)}", log=str(self.log_path)
                )
            if self._unsent:
                raise DeviceLost(f"{self._unsent.message} {waited}", log=str(self.log_path))
            if ended:  # not by the device (the bench saw no reset): the link to it was lost
                raise DeviceLost(
                    f"the console closed ({self.ended_because or 'end of stream'}) "
                    f"{waited}; last lines: {self.last_lines(6)}",
                    log=str(self.log_path),
                )
            if time.monotonic() >= deadline:
                raise NoAnswer(
                    f"timed out {waited} ({self.elapsed():.1f} s after power-on); "
                    f"last lines: {self.last_lines(6)}",
                    log=str(self.log_path),
                )

    def _last_words(self, bad: list[str]) -> None:
        """Read what the stream still holds after the bench saw the device go (a
        busy reader may be behind): a panic's report there is the device's verdict
        (BootError), not a reset's."""
        index = self._spawn.expect(bad + [pexpect.EOF, pexpect.TIMEOUT], timeout=_SETTLE_S)
        if index < len(bad):
            self._fail_bad(bad[index])

    def _bench_says(self, patience_s: float) -> DeviceLost | GuestEnded | None:
        """Why the device is gone, if it is. A killed QEMU's socket closes a moment
        before the process can be reaped: patience_s lets the bench catch up."""
        deadline = time.monotonic() + patience_s
        while not (gone := self._health()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return gone

    @property
    def before(self) -> str:
        """Text between the previous match and the last one."""
        return self._spawn.before

    @property
    def match(self) -> re.Match:
        return self._spawn.match

    def send(self, text: str) -> None:
        """Send text; a write that fails is said by the next wait, with the bench's
        cause when it knows one (a killed QEMU's socket breaks before it is reaped)."""
        try:
            self._spawn.send(text)
        except DeviceLost as unsent:
            self._unsent = self._unsent or unsent

    def sendline(self, text: str = "") -> None:
        self.send(text + "\n")

    def last_lines(self, count: int) -> str:
        lines = [line for line in self._spawn.tail.splitlines() if line.strip()]
        return " | ".join(lines[-count:]) or "(nothing)"

    def _fail_bad(self, pattern: str) -> None:
        at = self.elapsed()
        # Let the rest of the report arrive (or the device stop) before quoting it.
        self._spawn.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=_SETTLE_S)
        lines = self._spawn.tail.splitlines()
        first = next((i for i, line in enumerate(lines) if re.search(pattern, line)), 0)
        report = [line.strip() for line in lines[first : first + 20] if line.strip()] or [pattern]
        raise BootError(
            f"{self._bad[pattern]} at {at:.1f} s after power-on: {report[0]}\n" + "\n".join(report),
            log=str(self.log_path),
        )

    def setup_shell(self, timeout: float = 30) -> None:
        """A unique prompt and no kernel messages on the console, so run() parses exactly;
        no echo, which with the line editor's redraw was most of a command's time on a
        serial console (45 ms of a 48 ms `true` on QEMU)."""
        self.prompt = prompt = "".join(_PROMPT)
        self.sendline(f"PS1='{_PROMPT[0]}''{_PROMPT[1]}'")
        self.expect(re.escape(prompt), timeout, what="the unique shell prompt")
        self.run("stty -echo; dmesg -n 1", timeout)

    def hand_over(self) -> None:
        """Echo on again, for a person typing at the shell."""
        self.run("stty echo")

    def run(self, command: str, timeout: float = 30) -> Result:
        """Run command in the shell; its output (stdout and stderr) and exit status."""
        if self.prompt is None:
            raise BenchError(f"run({command!r}): the shell's prompt is unknown: setup_shell() first")
        prompt = self.prompt
        self._commands += 1
        tag = f"{self._token}x{self._commands}"
        self.sendline(f"echo 'QB''{tag}'; {command}; echo 'QE''{tag}' $?")
        self.expect(rf"QB{tag}\n(.*?)QE{tag} (\d+)\n", timeout, what=f"the end of `{command}`")
        output, status = self.match.group(1), int(self.match.group(2))
        self.expect(re.escape(prompt), timeout, what=f"the prompt after `{command}`")
        return Result(output.removesuffix("\n"), status)

    def close(self) -> None:
        self._closing.set()
        self._reader.join(timeout=5)
        self._stream.close()
        self._log.close()
