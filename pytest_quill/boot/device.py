"""A booted device: what the suites' `device` fixture hands out.

Once the device stops answering (a command timed out, QEMU ended or stopped,
QMP or the serial port failed), every later call fails at once with that first
cause: the worker's remaining tests do not each wait out their timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..bench.base import Bench
from ..bench.console import Console, Result
from ..errors import DEVICE_GONE, ProductError, QuillError
from .attempts import Attempt
from .judge import BootReport, first_boot

_SHELL_SETUP_S = 60
T = TypeVar("T")


class Device:
    def __init__(self, bench: Bench, console: Console, boot: BootReport):
        self.bench = bench
        self.console = console
        self.boot = boot
        self.gone: QuillError | None = None  # the first sign the device stopped answering
        self.attempts: tuple[Attempt, ...] = ()  # how it came to boot, when its booter counted

    @classmethod
    def boot_card(cls, bench: Bench, card_image: Path, log_path: Path) -> Device:
        """Power on, judge the first boot, ready the shell; BootError/BenchError else.
        Every wait is bounded (judge's stages, the shell's setup).

        The bench is powered off again when the boot fails."""
        console = bench.power_on(card_image, log_path)
        try:
            report = first_boot(console, bench.profile)
            console.setup_shell(_SHELL_SETUP_S)
        except BaseException:
            bench.power_off()
            raise
        return cls(bench, console, report)

    @classmethod
    def restore_card(
        cls, bench: Bench, card_image: Path, state: Path, log_path: Path, judged: BootReport
    ) -> Device:
        """Start from a saved STATE of the booted card (no boot: its shell is up) and
        ready the shell; JUDGED is the boot the state was saved after, what the
        device's boot says. The bench is powered off again when that fails."""
        console = bench.restore(card_image, state, log_path)
        try:
            console.setup_shell(_SHELL_SETUP_S)
        except BaseException:
            bench.power_off()
            raise
        return cls(bench, console, judged)

    def run(self, command: str, timeout: float = 60) -> Result:
        return self._talk(self.console.run, command, timeout)

    def output(self, command: str, timeout: float = 60) -> str:
        """The output of a command that must succeed; ProductError naming it else."""
        result = self.run(command, timeout)
        if not result.ok:
            raise ProductError(
                f"`{command}` exited {result.status}: {result.output[-300:]}", log=str(self.console.log_path)
            )
        return result.output

    def send_keys(self, text: str) -> None:
        self._talk(self.bench.send_keys, text)

    def _talk(self, action: Callable[..., T], *args: object) -> T:
        if self.gone is not None:
            raise type(self.gone)(
                "not waiting again, the device stopped answering earlier: "
                + self.gone.message.splitlines()[0],
                log=self.gone.log,
            )
        try:
            return action(*args)
        except DEVICE_GONE as gone:
            self.gone = gone
            raise

    def power_off(self) -> None:
        self.bench.power_off()

    def take_over(self, fresh: Device) -> None:
        """Talk to FRESH (a new boot of the same card on the same bench) from now on:
        the fixtures that handed this device out hand out the fresh one."""
        self.console, self.boot, self.attempts = fresh.console, fresh.boot, fresh.attempts
        self.gone = None
