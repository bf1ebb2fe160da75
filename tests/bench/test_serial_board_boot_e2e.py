"""The serial-board bench boots the run's real card to a shell: QEMU plays the Nook,
its console on TCP, so the first boot at the bench is judged by the code CI runs.

Needs the card of the last `pytest -n 3 suites/` run (make test runs that first)."""

import json
from pathlib import Path

import pytest

from pytest_quill.bench.device import Device
from pytest_quill.bench.judge import stages

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
