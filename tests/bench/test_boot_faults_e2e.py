"""Real bench faults during a boot, each classified and retried as the policy
says (#26): QEMU killed during the first attempt, a power relay that fails the
first time, a console connection dropped mid-boot. The boot itself is the real
one (the main run's card, U-Boot to a shell), judged by the code a run uses.

Needs the card of the last `pytest -n 3 suites/` run (make test runs that first)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pytest_quill.bench.base import bench_for
from pytest_quill.boot.attempts import BOOTED, INFRASTRUCTURE, Policy, attempt
from pytest_quill.boot.device import Device
from pytest_quill.profile import load_profile
from tests.support.tcp_proxy import tcp_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "reports" / "quill-run.json"


@pytest.fixture
def card() -> Path:
    if not RECORD.is_file():
        pytest.fail(f"{RECORD} missing: run `pytest -n 3 suites/` (make run) first")
    sdcard = next(a for a in json.loads(RECORD.read_text())["artifacts"] if a["name"] == "sdcard")
    return ROOT / sdcard["path"] / "card.img"


def qemu_children() -> list[int]:
    """This process's QEMU children, found as an outside killer finds them (/proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, name, _, parent = stat.read_text().split()[:4]
        except OSError:
            continue
        if int(parent) == os.getpid() and name.startswith("(qemu-system"):
            found.append(int(pid))
    return found


def kill_when_booting(log: Path, seconds: float = 120) -> threading.Thread:
    """SIGKILL the device's QEMU once its console shows U-Boot: a QEMU that dies
    under the harness mid-boot, as an OOM killer or a crash would."""

    def watch() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if log.is_file() and b"U-Boot" in log.read_bytes():
                for pid in qemu_children():
                    os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=watch, daemon=True)
    killer.start()
    return killer


def test_qemu_killed_in_the_first_attempt_is_infrastructure_and_retried(card, tmp_path):
    bench = bench_for(load_profile("qemu-virt"), tmp_path)
    logs = {number: tmp_path / f"console-attempt{number}.log" for number in (1, 2)}
    killer = kill_when_booting(logs[1])

    def boot(number: int) -> Device:
        return Device.boot_card(bench, card, logs[number])

    started = time.monotonic()
    with bench:
        outcome = attempt(boot, lambda n: str(logs[n]), Policy(attempts=2))
        killer.join(1)
        assert outcome.result is not None, outcome.summary()
        assert outcome.result.output("cat /proc/squireos/motto").startswith("By quill")
    assert [a.cause for a in outcome.attempts] == [INFRASTRUCTURE, BOOTED] and outcome.flaky
    assert "killed" in outcome.attempts[0].error or "ended" in outcome.attempts[0].error
    print(f"fault: QEMU SIGKILLed mid-boot; {outcome.summary()}; {time.monotonic() - started:.1f} s")


def test_a_power_relay_that_fails_once_is_retried_and_the_boot_is_flaky(qemu_as_board, card, tmp_path):
    relay = tmp_path / "relay-answered"
    # The relay's first command fails (as a USB relay that does not enumerate), later ones work.
    flaky_relay = f"test -e {relay} || {{ touch {relay}; exit 3; }}; "
    steady = qemu_as_board(card)
    board = bench_for(
        load_profile(
            "nook-simple-touch",
            {
                "bench.serial.power": "command",
                "bench.serial.power_on_command": flaky_relay + steady.config.power_on_command,
                "bench.serial.power_off_command": steady.config.power_off_command,
            },
        ),
        tmp_path,
        steady.options,
    )
    logs = {number: tmp_path / f"console-attempt{number}.log" for number in (1, 2)}
    started = time.monotonic()
    with board:
        outcome = attempt(
            lambda n: Device.boot_card(board, card, logs[n]), lambda n: str(logs[n]), Policy(attempts=2)
        )
        assert outcome.result is not None, outcome.summary()
    assert [a.cause for a in outcome.attempts] == [INFRASTRUCTURE, BOOTED] and outcome.flaky
    assert "power on command" in outcome.attempts[0].error
    assert "exited 3" in outcome.attempts[0].error
    print(f"fault: power relay fails once; {outcome.summary()}; {time.monotonic() - started:.1f} s")


def test_a_console_dropped_mid_boot_is_infrastructure_and_retried(qemu_as_board, card, tmp_path):
    """The board's console is a network serial port (ser2net, a console server);
    its connection is cut once U-Boot shows, while the board runs on."""
    pid = tmp_path / "qemu.pid"
    # Off means gone: the next power-on's QEMU needs the console's port back.
    off = f"kill $(cat {pid}) 2>/dev/null; while kill -0 $(cat {pid}) 2>/dev/null; do sleep 0.05; done"
    board = qemu_as_board(card, **{"bench.serial.power_off_command": off})
    logs = {number: tmp_path / f"console-attempt{number}.log" for number in (1, 2)}
    started = time.monotonic()
    with tcp_proxy(board.port.removeprefix("socket://"), cut_once_at=b"U-Boot") as link:
        cut = bench_for(
            board.profile, tmp_path, dataclasses.replace(board.options, serial_port=f"socket://{link}")
        )
        with cut:
            outcome = attempt(
                lambda n: Device.boot_card(cut, card, logs[n]), lambda n: str(logs[n]), Policy(attempts=2)
            )
            assert outcome.result is not None, outcome.summary()
    assert [a.cause for a in outcome.attempts] == [INFRASTRUCTURE, BOOTED] and outcome.flaky
    assert outcome.attempts[0].error.startswith("the console closed"), outcome.attempts[0].error
    assert b"U-Boot" in logs[1].read_bytes()
    print(f"fault: console dropped mid-boot; {outcome.summary()}; {time.monotonic() - started:.1f} s")
