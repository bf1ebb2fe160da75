"""The serial-board bench: port checks on real ttys (a pty), and its whole power/console
path against QEMU serving its serial port on TCP, so CI runs the code the bench runs."""

import json
import os
import subprocess
import sys

import pytest
import serial

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.bench.serial import SerialBoard
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile

pytestmark = pytest.mark.timeout(120)


def board(tmp_path, port=None, **overrides):
    profile = load_profile("nook-simple-touch", overrides)
    return bench_for(profile, tmp_path, BenchOptions(serial_port=port))


@pytest.fixture
def pty_port():
    """A real tty device nobody holds."""
    main, secondary = os.openpty()
    yield os.ttyname(secondary)
    os.close(main)
    os.close(secondary)


def test_no_port_says_what_to_connect(tmp_path):
    bench = board(tmp_path, port="/dev/ttyUSB9")
    assert isinstance(bench, SerialBoard)
    assert bench.check()[0] == (
        "no serial port at /dev/ttyUSB9: connect the Nook's serial "
        "adapter at /dev/ttyUSB9 or pass --quill-serial-port"
    )


def test_a_free_port_is_ready(tmp_path, pty_port):
    bench = board(
        tmp_path,
        port=pty_port,
        **{"bench.serial.power": "command", "bench.serial.power_on_command": "/bin/true"},
    )
    assert bench.check() == []


def test_a_held_port_names_its_holder(tmp_path, pty_port):
    held = serial.Serial(pty_port, exclusive=True)
    try:
        problems = board(tmp_path, port=pty_port).check()
    finally:
        held.close()
    assert problems[0].startswith(f"serial port {pty_port} cannot be opened (held by pid {os.getpid()} (")


def test_operator_power_without_a_terminal_is_a_bench_problem(tmp_path, pty_port):
    # A new session has no controlling terminal, as in CI.
    script = (
        "import json, sys; from pytest_quill.bench.base import BenchOptions, bench_for; "
        "from pytest_quill.profile import load_profile; "
        "print(json.dumps(bench_for(load_profile('nook-simple-touch'), sys.argv[1], "
        "BenchOptions(serial_port=sys.argv[2])).check()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), pty_port],
        capture_output=True,
        text=True,
        start_new_session=True,
        check=True,
    )
    assert json.loads(done.stdout)[0].startswith("power is by operator prompt but no terminal is attached")


def test_the_board_path_runs_against_qemu_serial(tmp_path, qemu_as_board):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    bench = qemu_as_board(card)
    assert bench.check() == []
    console = bench.power_on(card, tmp_path / "console.log")
    try:
        console.expect("U-Boot [0-9]", timeout=30)
        console.expect("=> $", timeout=60)
        console.sendline("version")
        console.expect("arm-linux-gnueabihf-gcc", timeout=10)
    finally:
        bench.power_off()
    pid = int((tmp_path / "qemu.pid").read_text())
    assert (
        not os.path.exists(f"/proc/{pid}/cmdline") or b"qemu" not in open(f"/proc/{pid}/cmdline", "rb").read()
    )
    assert b"U-Boot 20" in (tmp_path / "console.log").read_bytes()


def test_a_failing_power_command_is_a_bench_error(tmp_path):
    relay = "sh -c 'echo relay offline >&2; exit 2'"
    bench = board(
        tmp_path,
        port="socket://127.0.0.1:1",
        **{"bench.serial.power": "command", "bench.serial.power_on_command": relay},
    )
    with pytest.raises(BenchError, match=r"^power on command .* exited 2: relay offline$"):
        bench.power_on(tmp_path / "card.img", tmp_path / "console.log")
