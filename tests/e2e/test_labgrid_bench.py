"""The labgrid bench through a real lab on loopback: labgrid-coordinator and
labgrid-exporter started here, three QEMU boards exported as places (console and
keyboard through ser2net, power by an HTTP relay), and the suites run through it.
Board 1 also has an SD mux and a card reader (tests/labgrid_sdmux.py: a loop device
over its blank card, reached over ssh as an exporter's host is): each boot on it
boots the card the run wrote through the place.

Needs the qemu-virt card in the cache (`pytest -n 3 suites/`, make test runs it first):
boards 2 and 3 boot it from their own slot."""

import argparse
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pytest_quill.bench.base import bench_for
from pytest_quill.boot.device import Device
from pytest_quill.cli.cached import cached_card
from pytest_quill.cli.common import setup
from pytest_quill.formats import bmap
from pytest_quill.profile import load_profile
from tests.labgrid_board import PowerRelay, QemuBoard, Ser2net, exported_board
from tests.labgrid_lab import Lab
from tests.labgrid_sdmux import COMMAND, events, write_mux_tools
from tests.sshd import start_sshd
from tests.support.child_runs import pytest_argv
from tests.support.run_output import why_red
from tests.support.signals import interruptible

pytestmark = [pytest.mark.e2e, pytest.mark.long_file]

ROOT = Path(__file__).resolve().parents[2]
BOARDS = 3
MOTTO = "By quill and candlelight, we write eternal words"


@pytest.fixture(scope="module")
def card() -> Path:
    args = argparse.Namespace(
        profile="qemu-virt",
        profiles="hardware_profiles",
        cache=None,
        reports="reports",
        backend="auto",
        overrides=None,
    )
    return cached_card(setup(args), args)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, card):
    """Places qemu-1..3, tagged board=qemu-virt, each a QEMU board booting card;
    qemu-1's card is written through its SD mux (ssh to the exporter's host: lab.sshd)."""
    folder = tmp_path_factory.mktemp("lab")
    boards = {index: QemuBoard(index, card, folder, sd_mux=index == 1) for index in range(1, BOARDS + 1)}
    relay, ser2net, lab = PowerRelay(boards), Ser2net(list(boards.values()), folder), Lab(folder)
    tools = write_mux_tools(folder / "bin")
    lab.sshd = start_sshd(folder / "sshd", {"PATH": f"{tools}:{os.environ['PATH']}"})
    try:
        lab.export(
            {f"board-{i}": exported_board(b, ser2net, relay) for i, b in boards.items()}, command=COMMAND
        )
        for index in boards:
            lab.add_place(f"qemu-{index}", f"board-{index}", {"board": "qemu-virt"})
        lab.boards = boards
        yield lab
    finally:
        lab.stop()
        lab.sshd.stop()
        ser2net.close()
        relay.close()
        for board in boards.values():
            board.close()


def lab_profile(folder: Path, lab: Lab, **labgrid) -> Path:
    """qemu-virt's profile with its bench at the lab (its relative paths made absolute)."""
    text = (ROOT / "hardware_profiles" / "qemu-virt.toml").read_text()
    text = text.replace('"../', f'"{ROOT}/').replace('kind = "qemu"', 'kind = "labgrid"')
    settings = {"coordinator": lab.address, "acquire_timeout_s": 900, **labgrid}
    text += "\n[bench.labgrid]\n" + "".join(
        f"{key} = {json.dumps(value)}\n" for key, value in settings.items()
    )
    path = folder / "qemu-virt-lab.toml"
    path.write_text(text)
    return path


def acquired_spans(log: str) -> list[tuple[str, float, float]]:
    """(place, acquired at, released at) from a run's labgrid.log."""
    acquired = re.findall(r"pid (\d+)\] acquired place (\S+) as \S+ at ([\d.]+)", log)
    released = dict(re.findall(r"pid (\d+)\] released place \S+ at ([\d.]+)", log))
    return [(place, float(start), float(released[pid])) for pid, place, start in acquired]


@pytest.mark.timeout(600)
def test_the_place_boots_types_and_is_released(lab, card, tmp_path):
    bench = bench_for(load_profile(str(lab_profile(tmp_path, lab, place="qemu-2"))), tmp_path)
    with bench:
        device = Device.boot_card(bench, card, tmp_path / "console.log")
        assert device.output("cat /proc/squireos/motto") == MOTTO
        assert "acquired: " in lab.client("-p", "qemu-2", "show").stdout
        device.output("rm -f /tmp/typed; (sh -c 'read -r line < /dev/tty1; echo \"$line\" > /tmp/typed' &)")
        device.send_keys("Quill, write!\n")
        assert device.output("sleep 1; cat /tmp/typed") == "Quill, write!"
    assert not lab.boards[2].on
    assert "acquired: None" in lab.client("-p", "qemu-2", "show").stdout
    log = (tmp_path / "labgrid.log").read_text()
    [(place, start, end)] = acquired_spans(log)
    assert place == "qemu-2" and start < end


@pytest.mark.timeout(600)
def test_a_kept_bench_leaves_the_board_on_and_says_how_to_give_it_back(lab, card, tmp_path):
    bench = bench_for(load_profile(str(lab_profile(tmp_path, lab, place="qemu-2"))), tmp_path)
    Device.boot_card(bench, card, tmp_path / "console.log")
    console, when_done = bench.leave_running()
    assert lab.boards[2].on and "acquired: " in lab.client("-p", "qemu-2", "show").stdout
    assert console.startswith("place qemu-2 left on and acquired; its console: rfc2217://")
    for command in when_done.removeprefix("when done: ").split("; "):
        user, _, _, address, *args = command.split()  # LG_USERNAME=U labgrid-client -x ADDRESS
        assert address == lab.address
        lab.client(*args, check=True, user=user.removeprefix("LG_USERNAME="))
    assert not lab.boards[2].on
    assert "acquired: None" in lab.client("-p", "qemu-2", "show").stdout
    assert "Reservation" not in lab.client("reservations").stdout  # free for the next run


def pytest_run(folder: Path, lab: Lab, profile: Path, *args: str) -> subprocess.Popen:
    """A run as a user at the lab would start it: its ssh reaches the exporter's host."""
    return subprocess.Popen(
        # Ctrl-C as a shell gives it, whatever this run inherited
        interruptible(
            pytest_argv(*args, "-rfEs", "--quill-profile", str(profile), reports=folder / "reports")
        ),
        cwd=ROOT,
        env=lab.sshd.env(),
        stdout=open(folder / "stdout", "w"),
        stderr=open(folder / "stderr", "w"),
        text=True,
        start_new_session=True,
    )


def run_log(folder: Path) -> str:
    return "".join(log.read_text() for log in (folder / "reports" / "runs").glob("*/labgrid.log"))


def overlap(spans) -> bool:
    ordered = sorted(spans, key=lambda span: span[1])
    return any(later[1] < earlier[2] for earlier, later in zip(ordered, ordered[1:]))


@pytest.mark.timeout(1800)
@pytest.mark.parametrize(
    "wanted",
    [{"tags": ["board=qemu-virt"]}, {"place": "qemu-1"}],
    ids=["three-places-by-tag", "one-place-by-name"],
)
def test_the_suites_pass_through_the_lab(lab, tmp_path, wanted):
    """By tag, each worker boots its own board; on one place, the workers take turns.
    Every boot of qemu-1 boots the card its run wrote through the mux just before."""
    boots = sum(board.boots for board in lab.boards.values())
    mux_events = len(events(lab.boards[1].mux))
    booted_before = len(lab.boards[1].booted_cards)
    done = pytest_run(tmp_path, lab, lab_profile(tmp_path, lab, **wanted), "-n", "3", "suites/")
    assert done.wait(timeout=1700) == 0, why_red((tmp_path / "stdout").read_text())
    record = json.loads((tmp_path / "reports" / "quill-run.json").read_text())
    device_tests = [
        t
        for t in record["tests"]
        if "/d_integration/test_d" in t["nodeid"] and t["nodeid"].split("/test_d")[1][0] in "234"
    ]
    assert device_tests and all(t["outcome"] == "passed" for t in device_tests)
    spans = acquired_spans(run_log(tmp_path))
    assert spans and sum(board.boots for board in lab.boards.values()) - boots == len(spans)
    places = [place for place, _, _ in spans]
    if "tags" in wanted:
        assert len(set(places)) == len(spans)
    else:
        assert set(places) == {"qemu-1"} and not overlap(spans)
    assert "acquired: None" in lab.client("-p", places[0], "show").stdout
    written = places.count("qemu-1")  # each boot there booted the run's card, just written
    assert events(lab.boards[1].mux)[mux_events:] == ["mux host", "mux dut", "power on"] * written
    wrote = f"wrote the card to reader (127.0.0.1:{lab.boards[1].loop}) with bmaptool in "
    assert run_log(tmp_path).count(wrote) == written
    run_card = Path(next(a["path"] for a in record["artifacts"] if a["name"] == "sdcard"))
    card_map = bmap.read(run_card / "card.bmap")
    for booted in lab.boards[1].booted_cards[booted_before:]:
        with open(booted, "rb") as disk:  # every byte the card's map defines; the rest
            assert bmap.check(disk.fileno(), card_map)[0] == []  # is the last boot's
    if not booted_before and written:  # the blank card's first write: all of it
        assert lab.boards[1].booted_cards[0].read_bytes() == (run_card / "card.img").read_bytes()


def wait_for_log(folder: Path, text: str, run: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while text not in run_log(folder):
        assert run.poll() is None, (folder / "stdout").read_text()[-3000:]
        assert time.monotonic() < deadline, f"no {text!r} in {folder}'s labgrid.log"
        time.sleep(0.5)


@pytest.mark.timeout(1800)
def test_two_runs_wanting_one_place_take_turns_and_the_second_says_for_whom(lab, tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    started = []
    for folder in runs:
        folder.mkdir()
        started.append(
            pytest_run(
                folder,
                lab,
                lab_profile(folder, lab, place="qemu-3"),
                "-p",
                "no:xdist",
                "suites/d_integration/test_d3_squireos.py",
            )
        )
        wait_for_log(folder, "place qemu-3", started[-1])  # acquired, or waiting for it
    for run, folder in zip(started, runs):
        assert run.wait(timeout=1700) == 0, (folder / "stdout").read_text()[-3000:]
    first, second = run_log(runs[0]), run_log(runs[1])
    [(_, first_start, first_end)] = acquired_spans(first)
    [(_, second_start, second_end)] = acquired_spans(second)
    assert first_end <= second_start  # never both on one board
    holder = re.search(r"acquired place qemu-3 as (\S+) ", first).group(1)
    assert holder.endswith(f".quill-{started[0].pid}")
    waited = re.search(r"waiting for place qemu-3: held by (\S+) since", second)
    assert waited and waited.group(1).endswith(f"/{holder}"), second


@pytest.mark.timeout(900)
def test_ctrl_c_releases_the_place_and_powers_the_board_off(lab, tmp_path):
    run = pytest_run(
        tmp_path,
        lab,
        lab_profile(tmp_path, lab, place="qemu-1"),
        "-p",
        "no:xdist",
        "suites/d_integration/test_d3_squireos.py",
    )
    wait_for_log(tmp_path, "acquired place qemu-1", run)
    # Powered on: its card written, now booting or testing, the place held. (A
    # fixed wait raced the run: a boot and this file's tests can end within it.)
    deadline = time.monotonic() + 600
    while not lab.boards[1].on:
        assert run.poll() is None, (tmp_path / "stdout").read_text()[-3000:]
        assert time.monotonic() < deadline, "board 1 never powered on"
        time.sleep(0.1)
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=120) != 0
    assert "released place qemu-1" in run_log(tmp_path)
    assert "acquired: None" in lab.client("-p", "qemu-1", "show").stdout
    assert not lab.boards[1].on
