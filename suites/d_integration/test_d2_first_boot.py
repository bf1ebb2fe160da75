"""D2: the first boot of the card reaches a shell, by the expected stages, within budget."""

import re
from pathlib import Path

import pytest

from pytest_quill.bench.console import KERNEL_BAD_PATTERNS, Result
from pytest_quill.boot.judge import stages
from pytest_quill.formats.terminal import strip_ansi

# Gate 4 is the first boot itself: the first test reports its failure once,
# the others look at the booted device and skip when it never came up.
pytestmark = [pytest.mark.gate(4), pytest.mark.hardware, pytest.mark.timeout(900)]


def console_text(device) -> str:
    """The console log of the boot the device comes from (a device started from the
    state kept after the judged boot has that boot's)."""
    return strip_ansi(Path(device.boot.log).read_text(errors="replace")).replace("\r", "")


@pytest.mark.gate(3)
def test_first_boot_reaches_a_shell(quill):
    assert quill.gates.require(4).open


def test_the_shell_runs_commands_exactly(device):
    assert device.run("echo quill-alive") == Result("quill-alive", 0)
    assert device.run("false").status == 1


def test_the_console_log_shows_every_stage_in_order(device, profile):
    # Up to the harness's first command (its prompt, PS1=...): what the boot itself printed.
    text = console_text(device).split("PS1=", 1)[0]
    position = 0
    for stage in stages(profile):
        found = as_it_arrived(stage.pattern).search(text, position)
        assert found, f"stage {stage.name} ({stage.pattern!r}) not in order in the console log"
        position = found.end()
    assert list(device.boot.stages) == [stage.name for stage in stages(profile)]


def as_it_arrived(pattern: str) -> re.Pattern[str]:
    """A stage's pattern as the judge matched it on the console while it arrived,
    where an ending `$` is the end of what had come so far. The whole log may hold
    more on that line: a kernel line printed after the prompt (USB HID's probe, late
    on a busy host) follows it there."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    return re.compile(pattern, re.MULTILINE)


def test_the_board_did_not_reset(device, profile):
    lines = console_text(device).splitlines()
    banners = [n for n, line in enumerate(lines) if re.search(profile.boot.bootloader_banner, line)]
    before_each = "".join(
        f"\n  before line {n + 1}: " + " | ".join(lines[max(0, n - 4) : n]) for n in banners[1:]
    )
    assert len(banners) == 1, f"{len(banners)} bootloader banners in {device.boot.log}{before_each}"


def test_the_kernel_booted_with_the_cards_bootargs(device, profile):
    cmdline = device.output("cat /proc/cmdline").split()
    assert f"root={profile.boot.root_device}" in cmdline
    assert any(arg.startswith(f"console={profile.boot.console}") for arg in cmdline)


def test_the_kernel_log_has_no_warning_oops_or_bug(device):
    log = device.output("dmesg")
    bad = [
        line for line in log.splitlines() if any(re.search(pattern, line) for pattern in KERNEL_BAD_PATTERNS)
    ]
    assert bad == []


def test_boot_to_shell_within_budget(device, profile, record_property):
    record_property("boot", device.boot.record())
    assert device.boot.boot_to_shell_s <= profile.budgets.boot_to_shell_s, (
        f"boot to shell {device.boot.boot_to_shell_s:.1f} s, budget "
        f"{profile.budgets.boot_to_shell_s:.0f} s; stages {device.boot.stages}"
    )


def test_the_running_kernel_is_the_one_built(device, kernel_uimage, profile):
    """The card booted this run's kernel: its release, of the profile's version (2.6.29 on
    the Nook and its twin)."""
    running = device.output("uname -r")
    assert running == kernel_uimage.meta.release
    assert running.startswith(profile.kernel.version)
