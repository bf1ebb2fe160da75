"""A dead device stops the waiting (issue 14, item 4): once the device stops answering,
the worker's remaining device tests fail at once with that first cause, one line, no
traceback. Inner pytest runs on a real QEMU at its U-Boot prompt (U-Boot's shell runs
the console's commands; no kernel needed), each fault made for real."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pytest_quill.bench.base import bench_for
from pytest_quill.boot.device import Device
from pytest_quill.boot.judge import BootReport
from pytest_quill.errors import GuestEnded
from pytest_quill.profile import load_profile
from pytest_quill.run.verdict import EXIT_BENCH

pytestmark = pytest.mark.timeout(180)

QEMU_DEVICE = """
import pytest
from pytest_quill.bench.base import bench_for
from pytest_quill.boot.device import Device
from pytest_quill.boot.judge import BootReport
from pytest_quill.profile import load_profile
from pytest_quill.run.verdict import EXIT_BENCH


@pytest.fixture(scope="session")
def device(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    card = folder / "blank.img"
    card.write_bytes(bytes(1 << 20))
    bench = bench_for(load_profile("qemu-virt"), folder)
    console = bench.power_on(card, folder / "console.log")
    console.expect("=> $", timeout=90, what="the U-Boot prompt")
    console.prompt = "=> "
    yield Device(bench, console, BootReport())
    bench.power_off()
"""

# A board whose serial port is a pty (QEMU's -serial pty): when the board goes, so
# does the port's device node, as when a USB serial adapter is pulled.
SERIAL_DEVICE = """
import re, subprocess, time
from pathlib import Path
import pytest
from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.boot.device import Device
from pytest_quill.boot.judge import BootReport
from pytest_quill.profile import load_profile
from pytest_quill.run.verdict import EXIT_BENCH


def qemu_on_a_pty(folder):
    argv = bench_for(load_profile("qemu-virt"), folder).command(folder / "blank.img", folder)
    argv[argv.index("-serial") + 1] = "pty"
    del argv[argv.index("-qmp"):argv.index("-qmp") + 2]
    qemu = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = qemu.stdout.readline()
    return qemu, re.search(r"(/dev/pts/[0-9]+)", line).group(1)


@pytest.fixture(scope="session")
def device(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    (folder / "blank.img").write_bytes(bytes(1 << 20))
    qemu, pts = qemu_on_a_pty(folder)
    port = folder / "ttyNOOK"
    port.symlink_to(pts)
    settings = {"bench.serial.power": "command", "bench.serial.power_on_command": '"true"',
                "bench.serial.power_off_command": '""'}
    bench = bench_for(load_profile("nook-simple-touch", settings), folder,
                      BenchOptions(serial_port=str(port)))
    console = bench.power_on(folder / "blank.img", folder / "console.log")
    console.sendline()
    console.expect("=> $", timeout=90, what="the U-Boot prompt")
    console.prompt = "=> "
    device = Device(bench, console, BootReport())
    device.qemu = qemu
    yield device
    qemu.kill()
    qemu.wait()
    bench.power_off()
"""

# The plugin acts (one-line harness failures) only in a project that declares a plan.
A_PLAN = """

def pytest_quill_declare(plan):
    plan.gate(4, "boot")(lambda run: None)
"""

AFTER_THE_FAULT = """

def test_2_a_command(device):
    device.run("version", timeout=60)


def test_3_keys(device):
    device.send_keys("a")


def test_4_output(device):
    device.output("echo still here", timeout=60)
"""


def run_with_fault(pytester, device_conftest: str, fault: str, status: int) -> tuple[dict, str]:
    """Run test_1 (the fault) then three device tests, expecting exit STATUS; each
    test's failure message (JUnit) by name, and everything printed."""
    pytester.makeconftest(device_conftest + A_PLAN)
    pytester.makepyfile(
        test_dead="import os, signal\n\n\ndef test_1_fault(device):\n"
        + "".join(f"    {line}\n" for line in fault.splitlines())
        + AFTER_THE_FAULT
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "--junitxml=junit.xml"
    )
    printed = result.stdout.str() + result.stderr.str()
    assert result.ret == status, printed
    messages = {
        case.get("name"): case.find("failure").text.strip()
        for case in ET.parse(pytester.path / "junit.xml").iter("testcase")
    }
    assert "Traceback" not in printed, printed
    assert all("\n" not in message for message in messages.values()), messages
    return messages, printed


def assert_the_rest_fail_with(messages: dict, first: str) -> None:
    """The three later tests fail at once, each naming test_1's cause."""
    cause = re.sub(r" \(log: .*\)$", "", first)
    cause = cause.split("; last lines:")[0]
    for name in ("test_2_a_command", "test_3_keys", "test_4_output"):
        assert messages[name].startswith(
            f"not waiting again, the device stopped answering earlier: {cause}"
        ), messages[name]


# fault: test_1's body; first: how its failure must start (QMP's silence is said as the
# harness's own error, no raw socket TimeoutError, with what became of QEMU). A bench
# that lost the device makes the run the bench's (exit 69); a device that stopped
# answering while the bench is sound, the product's (exit 1).
FAULTS = {
    "a command that times out": (
        QEMU_DEVICE,
        'device.run("sleep 30", timeout=1)',
        r"timed out after waiting 1\.\d s for the end of `sleep 30` "
        r"\([0-9.]+ s after power-on\); last lines: .*sleep 30",
    ),
    "QEMU killed mid-run": (
        QEMU_DEVICE,
        'os.kill(device.bench._proc.pid, signal.SIGKILL)\ndevice.run("version", timeout=60)',
        r"QEMU \(pid \d+\) was killed by SIGKILL after waiting [0-4]\.\d s "
        r"for the end of `version`",
    ),
    "QEMU stopped mid-run": (
        QEMU_DEVICE,
        'os.kill(device.bench._proc.pid, signal.SIGSTOP)\ndevice.run("version", timeout=60)',
        r"QEMU \(pid \d+\) is stopped \(SIGSTOP, or held in a debugger\) "
        r"after waiting [0-4]\.\d s for the end of `version`",
    ),
    "QMP not answering": (
        QEMU_DEVICE,
        'os.kill(device.bench._proc.pid, signal.SIGSTOP)\ndevice.send_keys("a")',
        r"QMP input-send-event: QEMU did not answer within 10 s on "
        r"/tmp/quill-qemu-\w+/qmp\.sock: QEMU \(pid \d+\) is stopped",
    ),
    "the serial port vanishing": (
        SERIAL_DEVICE,
        'assert device.run("version", timeout=30).ok\ndevice.qemu.kill()\ndevice.run("version", timeout=60)',
        r"serial port \S+/ttyNOOK vanished \(adapter unplugged\?\) "
        r"after waiting [0-4]\.\d s for the end of `version`",
    ),
}


@pytest.mark.parametrize("name", FAULTS)
def test_a_dead_device_fails_the_rest_at_once_with_the_first_cause(pytester, name):
    device_conftest, fault, first_pattern = FAULTS[name]
    status = 1 if name == "a command that times out" else EXIT_BENCH
    messages, _ = run_with_fault(pytester, device_conftest, fault, status)
    first = messages["test_1_fault"]
    assert re.match(first_pattern, first), first
    assert_the_rest_fail_with(messages, first)


def test_a_guest_that_resets_itself_is_the_devices_fault_not_the_benchs(tmp_path):
    """With -no-reboot, a guest's reset ends QEMU with code 0: a failed boot (GuestEnded,
    a NoAnswer: an AssertionError, "failed"), never a broken bench (DeviceLost)."""
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    bench = bench_for(load_profile("qemu-virt"), tmp_path)
    try:
        console = bench.power_on(card, tmp_path / "console.log")
        console.expect("=> $", timeout=90, what="the U-Boot prompt")
        console.prompt = "=> "
        with pytest.raises(
            GuestEnded,
            match=r"^QEMU \(pid \d+\) ended: the guest reset or "
            r"powered itself off .* for the end of `reset`",
        ):
            Device(bench, console, BootReport()).run("reset", timeout=60)
    finally:
        bench.power_off()
