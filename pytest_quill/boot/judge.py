"""The first boot judged by stages, each timed from power-on.

Stages come in order; a panic, an oops or a second bootloader banner (the
board reset) ends the boot at once with the console lines that show it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..bench.console import Console
from ..errors import NoAnswer
from ..profile import Profile

# busybox init with an "askfirst" console waits for Enter before the shell.
_ASKFIRST = r"Please press Enter to activate this console"
_NUDGE_S = 5.0  # a quiet console this long at the shell stage gets an Enter


@dataclass(frozen=True)
class Stage:
    name: str
    pattern: str
    timeout_s: float  # from the previous stage, before the timeout factor


def stages(profile: Profile) -> list[Stage]:
    """What a good boot shows, in order. Timeouts are generous: TCG on a shared host."""
    return [
        Stage("bootloader", profile.boot.bootloader_banner, 60),
        # U-Boot's autoboot countdown (2 s in Debian's) and the load come first.
        Stage("kernel_start", r"Starting kernel", 90),
        Stage("linux", r"Linux version \S+", 60),
        # 6.1 says "Run /sbin/init as init process"; 2.6.29 only "Freeing init memory".
        Stage("init", r"Run \S+ as init process|Freeing (unused kernel|init)\b.*memory", 180),
        Stage("shell", profile.boot.shell_prompt, 120),
    ]


@dataclass
class BootReport:
    stages: dict[str, float] = field(default_factory=dict)  # name -> seconds since power-on
    budget_s: float = 0.0
    log: str = ""

    @property
    def boot_to_shell_s(self) -> float:
        return self.stages["shell"]

    @property
    def within_budget(self) -> bool:
        return self.boot_to_shell_s <= self.budget_s

    def record(self) -> dict:
        """The run record's "boot" entry."""
        return {
            "boot_time_s": round(self.boot_to_shell_s, 2),
            "budget_s": self.budget_s,
            "within_budget": self.within_budget,
            "stages": {name: round(at, 2) for name, at in self.stages.items()},
            "log": self.log,
        }


def first_boot(console: Console, profile: Profile) -> BootReport:
    """Watch a boot from power-on to the shell; BootError at the first bad sign."""
    report = BootReport(budget_s=profile.budgets.boot_to_shell_s, log=str(console.log_path))
    for stage in stages(profile):
        _reach(console, stage, profile)
        report.stages[stage.name] = console.elapsed()
        if stage.name == "bootloader":
            console.watch(profile.boot.bootloader_banner, "the board reset (a second bootloader banner)")
    return report


def _reach(console: Console, stage: Stage, profile: Profile) -> None:
    """The stage's pattern within its timeout, answering askfirst prompts meanwhile
    (an init that keeps asking does not reset the stage's clock). A shell stage that
    stays quiet gets an Enter: a late kernel line (the USB keyboard's) printed after
    the prompt leaves no prompt at the end of the output to match."""
    if stage.name == "kernel_start" and profile.boot.autoboot_prompt and profile.boot.bootloader_prompt:
        _stop_countdown(console, stage, profile)
        return
    what = f"stage {stage.name} ({stage.pattern!r})"
    shell = stage.name == "shell"
    patterns = [stage.pattern, _ASKFIRST] if shell else [stage.pattern]
    started, pressed = time.monotonic(), 0
    while True:
        left = stage.timeout_s - (time.monotonic() - started) / console.timeout_factor
        if left <= 0:
            raise NoAnswer(
                f"timed out after waiting {time.monotonic() - started:.1f} s for "
                f"{what}, Enter pressed {pressed} times; last lines: "
                f"{console.last_lines(3)}",
                log=str(console.log_path),
            )
        wait = min(left, _NUDGE_S) if shell else left
        try:
            if console.expect(patterns, wait, what=what) == 0:
                return
        except NoAnswer:
            if wait == left:  # the stage's own time ran out
                raise
        console.sendline()
        pressed += 1


def _stop_countdown(console: Console, stage: Stage, profile: Profile) -> None:
    """The kernel_start stage through the bootloader's own `boot`: a key at the
    autoboot countdown, then `boot` at its prompt, which runs bootcmd (boot.scr
    and all) at once instead of after the countdown. A key that comes after the
    countdown is over changes nothing: the boot goes on by itself."""
    what = f"stage {stage.name} ({stage.pattern!r})"
    answers: dict[str, str | None] = {
        stage.pattern: None,
        profile.boot.autoboot_prompt: " ",
        profile.boot.bootloader_prompt: "boot\n",
    }
    started = time.monotonic()
    while True:
        left = stage.timeout_s - (time.monotonic() - started) / console.timeout_factor
        patterns = list(answers)
        answer = answers.pop(patterns[console.expect(patterns, max(0.0, left), what=what)])
        if answer is None:
            return
        console.send(answer)
