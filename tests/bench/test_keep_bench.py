"""--quill-keep-bench: the booted QEMU outlives the run, and the run says how to reach
its console and how to stop it; what it says is tried here for real."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.profile import load_profile

pytestmark = pytest.mark.timeout(120)

PROJECT = Path(__file__).resolve().parents[2]
# A run that powers the bench on, reaches U-Boot, leaves it running and ends.
KEEPER = """
import sys
from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.profile import load_profile
bench = bench_for(load_profile('qemu-virt'), sys.argv[1], BenchOptions(keep=True))
bench.power_on(sys.argv[2], sys.argv[1] + '/console.log').expect('=> $', 60)
print('\\n'.join(bench.leave_running()), flush=True)
"""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def ask_u_boot(socket_path: str, command: str, answer: str) -> str:
    """What U-Boot says to command over the kept serial socket, as a person would attach."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(socket_path)
        sock.settimeout(20)
        sock.sendall(command.encode() + b"\n")
        said = b""
        while answer.encode() not in said:
            said += sock.recv(4096)
    return said.decode(errors="replace")


@pytest.fixture
def stop_later():
    """Kills what a test left running if the test failed before stopping it."""
    pids = []
    yield pids.append
    for pid in pids:
        if alive(pid):
            os.kill(pid, 9)


def kept_lines(text: str) -> tuple[int, str, str]:
    """(pid, console socket, stop command) from the lines a kept bench prints."""
    pid = int(re.search(r"QEMU \(pid (\d+)\) left running: qemu-system-arm ", text).group(1))
    console = re.search(r"its console: socat -,raw,echo=0 UNIX-CONNECT:(\S+serial\.sock) ", text).group(1)
    stop = re.search(r"stop it: (kill \d+; rm -rf /tmp/quill-qemu-\w+)", text).group(1)
    return pid, console, stop


def test_a_kept_qemu_outlives_its_run_answers_on_its_console_and_stops_as_told(tmp_path, stop_later):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    done = subprocess.run(
        [sys.executable, "-c", KEEPER, str(tmp_path), str(card)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert done.returncode == 0, done.stderr
    pid, console, stop = kept_lines(done.stdout)
    stop_later(pid)
    assert alive(pid)  # its starter has exited
    assert "arm-linux-gnueabihf-gcc" in ask_u_boot(console, "version", "GNU ld")
    subprocess.run(stop, shell=True, check=True)  # whenever QEMU's own clean-up runs
    assert not Path(stop.rsplit(" ", 1)[1]).exists()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid)
    assert not Path(console).parent.exists()


def test_without_keep_a_bench_leaves_nothing_running(tmp_path):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    bench = bench_for(load_profile("qemu-virt"), tmp_path, BenchOptions())
    bench.power_on(card, tmp_path / "console.log").expect("U-Boot [0-9]", 30)
    pid, folder = bench._proc.pid, bench._folder
    bench.close()
    assert not alive(pid) and not folder.exists()


RUN_TEST = """
def test_power_on(bench, tmp_path):
    card = tmp_path / "blank.img"
    card.write_bytes(bytes(1 << 20))
    bench.power_on(card, tmp_path / "console.log").expect("=> $", 60)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["main", "xdist"])
def test_a_run_with_keep_bench_prints_how_to_attach_and_stop(pytester, stop_later, workers):
    """The terminal says it, from the controller even when a worker booted the device."""
    pytester.makeconftest('pytest_plugins = ["pytest_quill.mvp"]')
    pytester.makepyfile(test_keep=RUN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--quill-keep-bench", *workers)
    printed = result.stdout.str()
    assert result.ret == 0, printed + result.stderr.str()
    worker = "gw0" if workers else "main"
    assert f"[quill bench {worker}] QEMU (pid " in printed
    pid, console, stop = kept_lines(printed)
    stop_later(pid)
    assert "arm-linux-gnueabihf-gcc" in ask_u_boot(console, "version", "GNU ld")
    subprocess.run(stop, shell=True, check=True)  # whenever QEMU's own clean-up runs
    assert not Path(stop.rsplit(" ", 1)[1]).exists()
