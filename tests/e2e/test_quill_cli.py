"""The quill command on what `make test`'s run of `pytest -n 3 suites/` left in
the cache: status finds that run's keys, boot hands over a real shell on QEMU
and powers it off at the escape key or when the device powers itself off."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from pytest_quill.cli.session import ESCAPE
from pytest_quill.engine.cache import default_cache
from pytest_quill.engine.meta import read_meta
from pytest_quill.kernel.meta import KernelMeta
from pytest_quill.proc import pid_alive
from tests.support.module_strings import D3

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "reports" / "quill-run.json"
QUILL = Path(sys.executable).parent / "quill"
PROMPT = "QUILL-SH# "  # the shell prompt the boot gate's device sets up


@pytest.fixture(scope="module")
def main_run() -> dict:
    if not RECORD.is_file():
        pytest.fail(f"{RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    record = json.loads(RECORD.read_text())
    if (record["profile"], record["cache"]) != ("qemu-virt", default_cache()):
        pytest.fail(
            f"{RECORD} is not the record of a run of qemu-virt on the default cache "
            f"(profile {record['profile']}, cache {record['cache']}): run "
            "`pytest -n 3 suites/` (make run) first"
        )
    return record


def made(main_run: dict, name: str) -> dict:
    return next(a for a in main_run["artifacts"] if a["name"] == name)


def test_status_finds_the_keys_the_main_run_used_and_its_gates(main_run):
    result = subprocess.run([str(QUILL), "status"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in ("kernel", "rootfs", "sdcard"):
        line = next(line for line in lines if line.startswith(f"{name} "))
        assert line.split()[1] == made(main_run, name)["key"]
        assert f"  {made(main_run, name)['path']}  " in line
    for gate in (
        "gate 1 (build): open",
        "gate 2 (artifacts): open",
        "gate 3 (convergence): open",
        "gate 4 (boot): open",
    ):
        assert f"  {gate}" in lines


def qemu_of(pid: int) -> list[int]:
    """The QEMU processes PID started."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            name = stat.read_text().split("(", 1)[1].rsplit(")", 1)[0]
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and name.startswith("qemu-system"):
            found.append(int(stat.parent.name))
    return found


def quill_boot(tmp_path: Path, *options: str) -> pexpect.spawn:
    child = pexpect.spawn(
        str(QUILL),
        ["boot", "--reports", str(tmp_path), *options],
        cwd=str(ROOT),
        encoding="utf-8",
        codec_errors="replace",
        timeout=300,
    )
    child.logfile_read = sys.stdout
    return child


@pytest.fixture
def session(tmp_path):
    """quill boot --real-boot on a terminal (a pty), up to the device's shell; its QEMU's pids."""
    child = quill_boot(tmp_path, "--real-boot")
    try:
        child.expect(r"quill: shell after [\d.]+ s \(bootloader.*; its state kept for the next quill boot")
        child.expect(PROMPT)
        qemu = qemu_of(child.pid)
        assert len(qemu) == 1
        yield child, qemu[0]
    finally:
        child.close(force=True)


def gone(pid: int, within_s: float = 15) -> bool:
    deadline = time.monotonic() + within_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not pid_alive(pid)


def test_boot_gives_a_shell_until_the_escape_key(session, main_run):
    child, qemu = session
    kernel = read_meta(Path(made(main_run, "kernel")["path"]), KernelMeta)
    child.send("uname -r\r")
    child.expect(r"uname -r\r\n(\S+)\r\n")  # what a person types is echoed
    assert child.match.group(1) == kernel.release
    child.expect(PROMPT)
    child.send("cat /proc/squireos/motto\r")
    child.expect(D3.MOTTO)
    child.expect(PROMPT)
    child.send(ESCAPE.decode())
    child.expect("quill: Ctrl-] pressed; bench powered off; its console log and card: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert gone(qemu)


def test_boot_starts_from_the_state_its_last_boot_kept(session, tmp_path):
    first, _ = session  # a real boot, whose state is kept
    first.send(ESCAPE.decode())
    first.expect(pexpect.EOF)
    child = quill_boot(tmp_path)
    try:
        child.expect(r"quill: shell after [\d.]+ s, from the state kept after this card's last boot")
        child.expect(PROMPT)
        child.send("cat /proc/squireos/motto\r")
        child.expect(D3.MOTTO)
        child.expect(PROMPT)
        child.send(ESCAPE.decode())
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    booted = [b"U-Boot 20" in log.read_bytes() for log in tmp_path.glob("boots/*/console.log")]
    assert sorted(booted) == [False, True]  # the first session booted, the second did not


def test_the_device_powering_off_ends_the_session(session):
    child, qemu = session
    child.send("poweroff -f\r")
    child.expect(
        r"quill: the device is gone: QEMU \(pid \d+\) ended: the guest reset or "
        r"powered itself off \(-no-reboot ends QEMU then\); bench powered off"
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert gone(qemu)
