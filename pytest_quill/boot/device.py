"""A booted device: what the suites' `device` fixture hands out."""

from __future__ import annotations

from pathlib import Path

from ..bench.base import Bench
from ..bench.console import Console, Result
from ..errors import ProductError
from .judge import BootReport, first_boot

_SHELL_SETUP_S = 60


class Device:
    def __init__(self, bench: Bench, console: Console, boot: BootReport):
        self.bench = bench
        self.console = console
        self.boot = boot

    @classmethod
    def boot_card(cls, bench: Bench, card_image: Path, log_path: Path) -> Device:
        """Power on, judge the first boot, ready the shell; BootError/BenchError else.

        The bench is powered off again when the boot fails."""
        console = bench.power_on(card_image, log_path)
        try:
            report = first_boot(console, bench.profile)
            console.setup_shell(_SHELL_SETUP_S)
        except BaseException:
            bench.power_off()
            raise
        return cls(bench, console, report)

    def run(self, command: str, timeout: float = 60) -> Result:
        return self.console.run(command, timeout)

    def output(self, command: str, timeout: float = 60) -> str:
        """The output of a command that must succeed; ProductError naming it else."""
        result = self.run(command, timeout)
        if not result.ok:
            raise ProductError(f"`{command}` exited {result.status}: {result.output[-300:]}",
                               log=str(self.console.log_path))
        return result.output

    def send_keys(self, text: str) -> None:
        self.bench.send_keys(text)

    def power_off(self) -> None:
        self.bench.power_off()
