"""Console over a real socket pair: logging, cleaning, bad patterns, timeouts, run()."""

import re
import socket
import subprocess
import time

import pytest

from pytest_quill.bench.console import Console, Result
from pytest_quill.bench.streams import SocketStream
from pytest_quill.errors import BootError, DeviceLost, NoAnswer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def wire(tmp_path):
    """A Console on one end of a socket pair; the test writes the device's side."""
    device_end, console_end = socket.socketpair()
    console = Console(SocketStream(console_end), tmp_path / "console.log")
    yield console, device_end
    device_end.close()
    console.close()


def test_every_byte_is_logged_while_nobody_expects(wire):
    console, device = wire
    device.sendall(b"U-Boot 2023.01\r\n\x1b[6n")
    time.sleep(0.5)
    assert console.log_path.read_bytes() == b"U-Boot 2023.01\r\n\x1b[6n"


def test_expect_sees_text_without_ansi_and_carriage_returns(wire):
    console, device = wire
    device.sendall(b"/ # \x1b[")  # an escape sequence cut between two reads
    time.sleep(0.3)
    device.sendall(b"6nhello\r\r\nworld\r\n")
    console.expect(r"/ # hello\nworld\n", timeout=5)


def test_a_panic_ends_the_expect_at_once_with_its_lines(wire):
    console, device = wire
    device.sendall(
        b'VFS: Cannot open root device "vdz9"\r\n'
        b"Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n"
        b"CPU: 0 PID: 1 Comm: swapper Not tainted 6.1.0\r\n"
    )
    device.close()
    started = time.monotonic()
    with pytest.raises(BootError) as failure:
        console.expect(r"[#$] $", timeout=60, what="the shell prompt")
    assert time.monotonic() - started < 5
    message = failure.value.message
    assert message.startswith("kernel panic at ")
    assert "VFS: Unable to mount root fs on unknown-block(0,0)" in message.splitlines()[0]
    assert "CPU: 0 PID: 1 Comm: swapper" in message
    assert failure.value.log == str(console.log_path)


def test_a_timeout_says_what_was_awaited_the_last_lines_and_the_log(wire):
    console, device = wire
    device.sendall(b"Starting kernel ...\r\n\r\nUncompressing Linux... done\r\n")
    with pytest.raises(NoAnswer) as failure:
        console.expect("Linux version", timeout=0.5, what="stage linux")
    line = failure.value.one_line()
    assert re.match(
        r"timed out after waiting 0\.[5-9] s for stage linux \([0-9.]+ s after "
        r"power-on\); ",
        line,
    ), line
    assert "last lines: Starting kernel ... | Uncompressing Linux... done" in line
    assert line.endswith(f"(log: {console.log_path})")


def test_a_console_that_closes_is_a_lost_device_the_bench_s_fault(wire):
    """No bench said the device reset: a console link that ends (a serial server,
    a socket) is the lab's fault, and a boot attempt that meets it is retried."""
    console, device = wire
    device.sendall(b"Starting kernel ...\r\n")
    device.close()
    with pytest.raises(
        DeviceLost,
        match=r"^the console closed \(the socket was closed by the "
        r"other end\) after waiting [0-9.]+ s for 'login'",
    ):
        console.expect("login", timeout=10)


def test_a_watched_pattern_fails_later_expects(wire):
    console, device = wire
    device.sendall(b"U-Boot 2023.01\r\n")
    console.expect("U-Boot [0-9]", timeout=5)
    console.watch("U-Boot [0-9]", "the board reset")
    device.sendall(b"Starting kernel ...\r\nU-Boot 2023.01\r\n")
    with pytest.raises(BootError, match="^the board reset at .*: U-Boot 2023.01"):
        console.expect("Linux version", timeout=10)


def test_timeouts_scale_with_the_timeout_factor(tmp_path):
    device, console_end = socket.socketpair()
    console = Console(SocketStream(console_end), tmp_path / "console.log", timeout_factor=0.1)
    started = time.monotonic()
    with pytest.raises(BootError, match="timed out"):
        console.expect("never", timeout=10)
    assert time.monotonic() - started < 5
    console.close()
    device.close()


@pytest.fixture
def shell(tmp_path):
    """A Console on a real interactive shell (dash) through a socket pair.

    Its PATH starts with a dmesg that only notes its arguments: the host's
    would change this machine's console log level."""
    (tmp_path / "bin").mkdir()
    stub = f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> {tmp_path}/dmesg.args\n"
    (tmp_path / "bin" / "dmesg").write_text(stub)
    (tmp_path / "bin" / "dmesg").chmod(0o755)
    device_end, console_end = socket.socketpair()
    # A session of its own: no controlling terminal, as on a device's console. Under
    # pytest's terminal, `sh -i` would take it for job control (or stop on SIGTTIN).
    proc = subprocess.Popen(
        ["sh", "-i"],
        stdin=device_end,
        stdout=device_end,
        stderr=device_end,
        start_new_session=True,
        env={"PS1": "$ ", "PATH": f"{tmp_path}/bin:/usr/bin:/bin"},
    )
    console = Console(SocketStream(console_end), tmp_path / "console.log")
    console.expect(r"\$ $", timeout=10)
    console.prompt = "$ "
    yield console
    proc.kill()
    proc.wait()
    device_end.close()
    console.close()


def test_run_returns_exact_output_and_status(shell):
    assert shell.run("printf 'a\\nb\\n'") == Result("a\nb", 0)
    result = shell.run("echo to-stderr >&2; exit_code() { return 3; }; exit_code")
    assert (result.output, result.status) == ("to-stderr", 3)
    assert shell.run("echo QB; echo QE 9").output == "QB\nQE 9"


def test_setup_shell_sets_a_unique_prompt_and_quiets_the_kernel(shell, tmp_path):
    shell.setup_shell(timeout=10)
    assert shell.prompt == "QUILL-SH# "
    assert shell.run('echo "$PS1"').output == "QUILL-SH# "
    assert (tmp_path / "dmesg.args").read_text() == "-n 1\n"
