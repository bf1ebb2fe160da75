"""The serial-board bench boots the run's real card to a shell: QEMU plays the Nook,
its console on TCP, so the first boot at the bench is judged by the code CI runs.
The board's card is a file here, so a clean shutdown is judged on its bytes.

Needs the card of the last `pytest -n 3 suites/` run (make test runs that first)."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from pytest_quill.boot.device import Device
from pytest_quill.boot.judge import stages
from pytest_quill.card import image as diskimage
from pytest_quill.profile import load_profile

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "reports" / "quill-run.json"


@pytest.fixture
def card() -> Path:
    if not RECORD.is_file():
        pytest.fail(f"{RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    sdcard = next(a for a in json.loads(RECORD.read_text())["artifacts"] if a["name"] == "sdcard")
    return ROOT / sdcard["path"] / "card.img"


def test_the_serial_board_boots_the_card_to_a_shell(qemu_as_board, card, tmp_path):
    with qemu_as_board(card) as bench:
        device = Device.boot_card(bench, card, tmp_path / "console.log")
        assert list(device.boot.stages) == [stage.name for stage in stages(bench.profile)]
        motto = device.output("cat /proc/squireos/motto")
    assert motto == "By quill and candlelight, we write eternal words"


def root_fs_header(disk: Path) -> str:
    _, root = diskimage.layout(load_profile("qemu-virt").sdcard)
    return subprocess.run(
        ["dumpe2fs", "-h", f"{disk}?offset={root.start}"], capture_output=True, text=True, check=True
    ).stdout


def wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_poweroff_unloads_the_modules_and_leaves_the_root_fs_clean(qemu_as_board, card, tmp_path):
    with qemu_as_board(card) as bench:
        device = Device.boot_card(bench, card, tmp_path / "console.log")
        assert "needs_recovery" in root_fs_header(tmp_path / "board-card.img")  # mounted rw
        device.console.sendline("poweroff")
        device.console.expect("reboot: Power down", timeout=60, what="the kernel powering off")
        qemu_pid = int((tmp_path / "qemu.pid").read_text())
        assert wait_until_gone(qemu_pid, 15), "the board did not power off by itself"
    console = (tmp_path / "console.log").read_text(errors="replace")
    assert "squireos: shutting down" in console
    assert console.index("squireos: unloaded wisdom") < console.index("squireos: unloaded squireos_core")
    header = root_fs_header(tmp_path / "board-card.img")
    assert "needs_recovery" not in header  # the journal was flushed: / went read-only
    assert "Filesystem state:         clean" in header
