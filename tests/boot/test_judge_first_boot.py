"""Boot judging on real console transcripts (a bench-dev boot of QEMU virt through
U-Boot, and the same kernel without its root device), replayed through a socket."""

import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_quill.bench.console import Console
from pytest_quill.bench.streams import SocketStream
from pytest_quill.boot.judge import first_boot, stages
from pytest_quill.errors import BootError, NoAnswer
from pytest_quill.profile import load_profile

pytestmark = pytest.mark.timeout(60)

DATA = Path(__file__).parent / "data"
BOOT = (DATA / "qemu-virt-boot.log").read_bytes()
PANIC = (DATA / "qemu-virt-panic.log").read_bytes()
# qemu-virt's profile stops the autoboot countdown with a key: with this one the
# judge lets it run out, so a fake device hears only what the later stages send.
WAITS = {"boot.bootloader_prompt": ""}
STAGE_NAMES = ["bootloader", "kernel_start", "linux", "init", "shell"]


@dataclass
class Wire:
    device: socket.socket  # what the device sends, the test writes here
    console: Console


@pytest.fixture
def wire(tmp_path):
    device, console_end = socket.socketpair()
    console = Console(SocketStream(console_end), tmp_path / "console.log", timeout_factor=0.05)
    yield Wire(device, console)
    device.close()
    console.close()


@pytest.fixture
def replay(wire):
    """replay(bytes) -> a Console that receives them, as a device would send them."""

    def start(transcript: bytes) -> Console:
        wire.device.sendall(transcript)
        return wire.console

    return start


def test_a_good_boot_reaches_the_shell_by_every_stage(replay):
    profile = load_profile("qemu-virt")
    report = first_boot(replay(BOOT), profile)
    assert list(report.stages) == STAGE_NAMES == [stage.name for stage in stages(profile)]
    times = list(report.stages.values())
    assert times == sorted(times)
    assert report.boot_to_shell_s == report.stages["shell"]
    assert report.within_budget
    assert report.record()["stages"].keys() == set(STAGE_NAMES)


def test_over_budget_is_reported_not_raised(replay):
    profile = load_profile("qemu-virt", {"budgets.boot_to_shell_s": "0.001"})
    report = first_boot(replay(BOOT), profile)
    assert not report.within_budget
    assert report.record()["within_budget"] is False


def test_a_panic_is_a_boot_error_with_its_lines_and_the_log(replay, tmp_path):
    with pytest.raises(BootError) as failure:
        first_boot(replay(PANIC), load_profile("qemu-virt"))
    error = failure.value
    assert re.fullmatch(
        r"kernel panic at [0-9.]+ s after power-on: Kernel panic - not syncing: "
        r"VFS: Unable to mount root fs on unknown-block\(0,0\) \(log: (.*)\)",
        error.one_line(),
    ).group(1) == str(tmp_path / "console.log")
    assert "CPU: 0 PID: 1 Comm: swapper" in error.message


def test_a_second_bootloader_banner_is_a_reset(replay):
    kernel_starts = BOOT.index(b"Starting kernel")
    reset = BOOT[:kernel_starts] + b"Starting kernel ...\r\n\r\n" + BOOT[:kernel_starts]
    with pytest.raises(
        BootError,
        match=r"^the board reset \(a second bootloader banner\) at "
        r".*: U-Boot 2023\.01",
    ):
        first_boot(replay(reset), load_profile("qemu-virt"))


@pytest.mark.parametrize(
    "after_init",
    [
        # busybox init's askfirst: the judge presses Enter, then the shell prompt comes
        b"\r\nPlease press Enter to activate this console. ",
        # the USB keyboard's line after the shell's prompt: the output no longer ends with
        # one, so after a quiet spell the judge presses Enter
        b"/ # [    4.2] input: QEMU QEMU USB Keyboard as /devices/usb1/input0\r\n",
    ],
    ids=["askfirst", "kernel-line-after-the-prompt"],
)
def test_a_console_without_a_prompt_at_its_end_gets_an_enter(wire, after_init):
    init_runs = BOOT.index(b"Run /sbin/init")
    wire.device.sendall(BOOT[:init_runs] + b"Run /sbin/init as init process\r\n" + after_init)

    def press_enter_then_prompt():
        if wire.device.recv(16) == b"\n":
            wire.device.sendall(b"\r\n/ # ")

    answer = threading.Thread(target=press_enter_then_prompt)
    answer.start()
    report = first_boot(wire.console, load_profile("qemu-virt", WAITS))
    answer.join()
    assert list(report.stages) == STAGE_NAMES


def test_a_console_that_keeps_asking_for_enter_still_ends_at_the_stages_timeout(wire):
    """Each Enter brings the askfirst line again (a shell that dies at once): the shell
    stage's clock is not reset by the prompts, so the boot ends, said as a timeout."""
    init_runs = BOOT.index(b"Run /sbin/init")
    ask = b"\r\nPlease press Enter to activate this console. "
    wire.device.sendall(BOOT[:init_runs] + b"Run /sbin/init as init process\r\n" + ask)

    def ask_again_on_every_enter():
        try:
            while wire.device.recv(16):
                wire.device.sendall(ask)
        except OSError:
            pass  # the test closed the device end

    threading.Thread(target=ask_again_on_every_enter, daemon=True).start()
    limit = stages(load_profile("qemu-virt"))[-1].timeout_s * wire.console.timeout_factor
    with pytest.raises(NoAnswer) as failure:
        first_boot(wire.console, load_profile("qemu-virt", WAITS))
    waited = float(
        re.match(r"timed out after waiting ([0-9.]+) s for stage shell ", failure.value.message).group(1)
    )
    assert waited <= limit


def test_a_profile_with_a_bootloader_prompt_stops_the_countdown_and_types_boot(wire):
    """The judge's key at the countdown, then `boot` at the prompt: bootcmd's boot
    at once, every stage still seen in order."""
    countdown = BOOT.index(b"Hit any key to stop autoboot")
    kernel_starts = BOOT.index(b"Starting kernel")
    wire.device.sendall(BOOT[:countdown] + b"Hit any key to stop autoboot:  2 ")
    heard = []

    def stop_then_boot():
        heard.append(wire.device.recv(16))
        wire.device.sendall(b"\x08\x08\x08 0 \r\n=> ")
        heard.append(wire.device.recv(16))
        wire.device.sendall(b"boot\r\n" + BOOT[kernel_starts:])

    device = threading.Thread(target=stop_then_boot)
    device.start()
    report = first_boot(wire.console, load_profile("qemu-virt"))
    device.join()
    assert heard == [b" ", b"boot\n"]
    assert list(report.stages) == STAGE_NAMES


def test_a_key_after_the_countdown_leaves_the_boot_to_go_on(wire):
    """The countdown was over before the key came (a slow host): no prompt, the
    bootloader boots by itself, and the judge never types `boot` into Linux."""
    wire.device.sendall(BOOT)
    report = first_boot(wire.console, load_profile("qemu-virt"))
    assert list(report.stages) == STAGE_NAMES
    wire.device.setblocking(False)
    assert wire.device.recv(16) == b" "  # the key alone


def test_without_a_bootloader_prompt_the_judge_sends_nothing_at_the_countdown(replay, wire):
    first_boot(replay(BOOT), load_profile("qemu-virt", WAITS))
    wire.device.setblocking(False)
    with pytest.raises(BlockingIOError):
        wire.device.recv(16)
