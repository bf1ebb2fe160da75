"""A real board at the bench: its serial console through pyserial, power by hand or command.

The port is held exclusively for the whole power cycle (one run owns the
board). A device path is opened before power-on so the bootloader's first
bytes are kept; a network port (socket://, rfc2217://) is served by something
that may only listen once the board is powered (ser2net, or QEMU in CI), so it
is opened right after.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import serial

from ..errors import BenchError, DeviceLost
from ..profile import Profile, Size
from . import operator
from .base import Bench, BenchOptions
from .console import Console
from .streams import SerialStream
from .tools import CARD_TOOLS, missing_tools

_NETWORK_OPEN_S = 15
_POWER_COMMAND_S = 60


@dataclass(frozen=True)
class Serial:
    port: str  # a pyserial URL: /dev/ttyUSB0, socket://..., unix://...
    baud: Size
    power: Literal["prompt", "command"]
    power_on_command: str
    power_off_command: str


class SerialBoard(Bench):
    def __init__(self, profile: Profile, run_dir: Path, options: BenchOptions):
        super().__init__(profile, run_dir, options)
        self.config = self.profile.bench.settings(Serial)
        self.port = self.options.serial_port or self.config.port
        self._console: Console | None = None

    @property
    def _is_network(self) -> bool:
        return "://" in self.port

    def check(self) -> list[str]:
        port_problems = [] if self._is_network else self._port_problems()
        return port_problems + self._power_problems() + missing_tools(CARD_TOOLS)

    def _port_problems(self) -> list[str]:
        if not Path(self.port).exists():
            return [
                f"no serial port at {self.port}: connect the Nook's serial adapter at "
                f"{self.port} or pass --quill-serial-port"
            ]
        try:
            self._open().close()
        except BenchError as error:
            return [error.message]
        return []

    def _power_problems(self) -> list[str]:
        if self.config.power == "prompt":
            return (
                []
                if operator.terminal_available()
                else [
                    f"power is by operator prompt but no terminal is attached: run at the bench "
                    f'with a terminal, or set bench.serial.power = "command" ({self.profile.path})'
                ]
            )
        if not self.config.power_on_command:
            return [
                f'bench.serial.power = "command" needs bench.serial.power_on_command ({self.profile.path})'
            ]
        commands = [self.config.power_on_command, self.config.power_off_command]
        return [
            f"power command {command!r}: {shlex.split(command)[0]} not found on PATH"
            for command in commands
            if command and shutil.which(shlex.split(command)[0]) is None
        ]

    def _open(self) -> serial.SerialBase:
        try:
            return serial.serial_for_url(self.port, baudrate=self.config.baud, exclusive=True)
        except serial.SerialException as error:
            holders = _holders(self.port)
            held = f" (held by {holders})" if holders else ""
            raise BenchError(f"serial port {self.port} cannot be opened{held}: {error}") from None

    def _open_network(self) -> serial.SerialBase:
        deadline = time.monotonic() + _NETWORK_OPEN_S
        while True:
            try:
                return self._open()
            except BenchError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def power_on(self, card_image: Path, log_path: Path) -> Console:
        if self._console is not None:
            raise BenchError(f"serial board on {self.port} already powered on")
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        port = None if self._is_network else self._open()
        try:
            self._power(
                "on",
                f"Insert the card written from {card_image} into the Nook, "
                "press Enter here, then power the Nook on.",
            )
            port = port or self._open_network()
        except BaseException:
            if port is not None:
                port.close()
            raise
        self._console = Console(SerialStream(port), log_path, self.options.timeout_factor, health=self.health)
        return self._console

    def health(self) -> DeviceLost | None:
        """None while the port is there; a device port that vanished (unplugged) ends waits."""
        if self._is_network or Path(self.port).exists():
            return None
        return DeviceLost(f"serial port {self.port} vanished (adapter unplugged?)")

    def _power(self, state: str, instructions: str) -> None:
        if self.config.power == "prompt":
            _ask_operator(instructions, self.port)
            return
        command = getattr(self.config, f"power_{state}_command")
        if not command:
            return
        if state == "on":
            self.launched = command
        done = subprocess.run(
            command,
            shell=True,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=_POWER_COMMAND_S,
        )
        if done.returncode != 0:
            raise BenchError(
                f"power {state} command {command!r} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()[-200:]}"
            )

    def send_keys(self, text: str) -> None:
        _ask_operator(
            f"Type on the Nook's USB keyboard, exactly:\n\n    {text}\n\nthen press Enter here.", self.port
        )

    def leave_running(self) -> list[str]:
        """The board stays powered; the port is released for a terminal program."""
        if self._console is None:
            return []
        self._console.close()
        self._console = None
        off = self.config.power_off_command or "power the board off by hand"
        return [
            f"the board on {self.port} is left powered on",
            f"its console: python3 -m serial.tools.miniterm {self.port} {self.config.baud}",
            f"stop it: {off}",
        ]

    def power_off(self) -> None:
        if self._console is None:
            return
        try:
            self._power("off", "You may power the Nook off now; press Enter here.")
        finally:
            self._console.close()
            self._console = None


def _ask_operator(instructions: str, port: str) -> None:
    """Show instructions on the controlling terminal (pytest's capture cannot hide it)."""
    if operator.ask(f"\n[quill bench {port}] {instructions}\n") is None:
        raise BenchError(
            f"the bench at {port} needs an operator but no terminal is attached: "
            "connect the Nook's serial adapter and run at the bench, or set "
            'bench.serial.power = "command"'
        )


def _holders(port: str) -> str:
    """Processes that have port open, as "pid 123 (minicom)", from /proc."""
    try:
        target = os.path.realpath(port)
    except OSError:
        return ""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if any(os.path.realpath(fd) == target for fd in (proc / "fd").iterdir()):
                found.append(f"pid {proc.name} ({(proc / 'comm').read_text().strip()})")
        except OSError:
            continue
    return ", ".join(found)


SECTION = Serial


def bench_class() -> type[Bench]:
    return SerialBoard
