"""Writing the card through a place's storage, against a real coordinator, the exporter
(tests/labgrid_sdmux.py: a loop device stands in for the SD mux's card reader) and
an OpenSSH server for labgrid's commands on the exporter's host.

The boot from a card written this way is tests/e2e/test_labgrid_bench.py's."""

import os
import subprocess

import pytest
from labgrid.util.ssh import sshmanager

from pytest_quill.bench.labgrid import Labgrid
from pytest_quill.bench.labgrid_place import PlaceLease
from pytest_quill.bench.labgrid_storage import PlaceStorage
from pytest_quill.errors import BenchError
from tests import labgrid_sdmux as sdmux
from tests.labgrid_lab import Lab
from tests.sshd import start_sshd

pytestmark = pytest.mark.timeout(120)

MEDIUM_BYTES = 4 << 20


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Place sd-1: a console it never opens, a card reader and a USB-SD-Mux over one loop
    device; place sdwire-1: an SDWire alone (its own reader). Each medium MEDIUM_BYTES.
    This process reaches the exporter's host over ssh."""
    folder = tmp_path_factory.mktemp("lab")
    loops = {}
    for name in ("sd-1", "sdwire-1"):
        medium = folder / f"{name}.img"
        medium.write_bytes(bytes(MEDIUM_BYTES))
        loops[name] = sdmux.attach_loop(medium)
    tools = sdmux.write_mux_tools(folder / "bin")
    sshd = start_sshd(folder / "sshd", {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"})
    path = os.environ["PATH"]
    os.environ["PATH"] = sshd.env()["PATH"]
    lab = Lab(folder)
    # A console per group (one dict twice would be a YAML alias: the exporter edits each).
    console = {"cls": "NetworkSerialPort", "host": "127.0.0.1", "port": 4001}
    try:
        lab.export(
            {
                "b1": {
                    "console": dict(console),
                    "reader": {"cls": "USBMassStorage", "path": loops["sd-1"]},
                    "sdmux": {
                        "cls": "USBSDMuxDevice",
                        "path": loops["sd-1"],
                        "control_path": str(folder / "sd-1-mux"),
                    },
                },
                "b2": {
                    "console": dict(console),
                    "sdwire": {
                        "cls": "USBSDWireDevice",
                        "path": loops["sdwire-1"],
                        "control_serial": str(folder / "sdwire-1-mux"),
                    },
                },
            },
            command=sdmux.COMMAND,
        )
        lab.add_place("sd-1", "b1")
        lab.add_place("sdwire-1", "b2")
        lab.loops, lab.folder = loops, folder
        yield lab
    finally:
        lab.stop()
        sshmanager.close_all()
        os.environ["PATH"] = path
        sshd.stop()
        for loop in loops.values():
            sdmux.detach_loop(loop)


def held(lab, place: str):
    """The place acquired: (its lease, to release; its storage; what the storage said)."""
    said = []
    lease = PlaceLease(Labgrid(coordinator=lab.address, place=place), said.append)
    target = lease.acquire()
    return lease, PlaceStorage.of(target, place, said.append), said


def card(folder, size: int, bmap: bool):
    """A card of SIZE bytes: data at its start and end, a hole between."""
    image = folder / "card.img"
    with open(image, "wb") as out:
        out.write(os.urandom(64 << 10))
        out.truncate(size - (64 << 10))
        out.seek(0, os.SEEK_END)
        out.write(os.urandom(64 << 10))
    if bmap:
        subprocess.run(["bmaptool", "create", "-o", str(folder / "card.bmap"), str(image)], check=True)
    return image


@pytest.mark.parametrize(
    "place, bmap, mode, where, mux",
    [
        ("sd-1", True, "bmaptool", "reader", "sdmux"),
        ("sd-1", False, "dd", "reader", "sdmux"),
        ("sdwire-1", True, "bmaptool", "sdwire", "sdwire"),  # the SDWire is its own reader
    ],
)
def test_the_card_is_written_between_host_and_dut(lab, tmp_path, place, bmap, mode, where, mux):
    image = card(tmp_path, 3 << 20, bmap)
    mux_file = lab.folder / f"{place}-mux"
    before = len(sdmux.events(mux_file))
    lease, storage, said = held(lab, place)
    try:
        storage.write(image)
    finally:
        lease.release()
    with open(lab.loops[place], "rb") as medium:
        assert medium.read(image.stat().st_size) == image.read_bytes()
    assert sdmux.events(mux_file)[before:] == ["mux host", "mux dut"]
    where = f"{where} (127.0.0.1:{lab.loops[place]})"
    assert said[1:6] == [
        f"switched SD mux {mux} to host",
        f"medium in {where}: {MEDIUM_BYTES} bytes",
        f"writing {image} to {where} with {mode}",
        said[4],
        f"switched SD mux {mux} to dut",
    ]
    assert said[4].startswith(f"wrote the card to {where} with {mode} in ")


def test_a_medium_smaller_than_the_card_is_refused_in_one_line(lab, tmp_path):
    image = card(tmp_path, MEDIUM_BYTES + (1 << 20), bmap=True)
    lease, storage, said = held(lab, "sd-1")
    try:
        with pytest.raises(BenchError) as refused:
            storage.write(image)
    finally:
        lease.release()
    assert refused.value.message == (
        f"place sd-1: storage reader (127.0.0.1:{lab.loops['sd-1']}) holds {MEDIUM_BYTES} "
        f"bytes, the card {image} needs {MEDIUM_BYTES + (1 << 20)}: put a bigger card in it"
    )
    assert not any(line.startswith("writing") for line in said)
    # the board never gets a half-written card
    assert sdmux.events(lab.folder / "sd-1-mux")[-1] == "mux host"


@pytest.mark.parametrize("place, mux, says", [("sd-1", "sdmux", "dut"), ("sdwire-1", "sdwire", "DUT")])
def test_a_mux_that_does_not_switch_is_the_benchs_fault_and_nothing_is_written(
    lab, tmp_path, place, mux, says
):
    """The mux takes the switch to the host without error and stays on the board's
    side: the mode it reports stops the write before a byte goes to the reader."""
    mux_file = lab.folder / f"{place}-mux"
    mux_file.write_text("dut\n")
    with open(lab.loops[place], "rb") as medium:
        before = medium.read(64 << 10)
    image = card(tmp_path, 1 << 20, bmap=True)
    sdmux.stick(mux_file)
    lease, storage, said = held(lab, place)
    try:
        with pytest.raises(BenchError) as refused:
            storage.write(image)
    finally:
        lease.release()
        sdmux.stick(mux_file, stuck=False)
    assert refused.value.message == (
        f"place {place}: SD mux {mux} reports mode {says!r} after switching to host: "
        "the mux did not switch (power-cycle it or check its USB link)"
    )
    assert sdmux.events(mux_file)[-1] == "mux stuck"
    assert not any(line.startswith("writing") for line in said)
    with open(lab.loops[place], "rb") as medium:
        assert medium.read(64 << 10) == before
