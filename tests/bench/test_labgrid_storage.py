"""Writing the card through a place's storage, against a real coordinator, the exporter
(tests/labgrid_sdmux.py: a loop device stands in for the SD mux's card reader) and
an OpenSSH server for labgrid's commands on the exporter's host.

The boot from a card written this way is tests/e2e/test_labgrid_bench.py's."""

import os
import subprocess

import pytest
from labgrid.util.ssh import sshmanager

from pytest_quill.bench.labgrid_place import PlaceLease
from pytest_quill.bench.labgrid_storage import PlaceStorage
from pytest_quill.errors import BenchError
from pytest_quill.profile import Labgrid
from tests import labgrid_sdmux as sdmux
from tests.labgrid_lab import Lab
from tests.sshd import start_sshd

pytestmark = pytest.mark.timeout(120)

MEDIUM_BYTES = 4 << 20


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Place sd-1: a console it never opens, a card reader and an SD mux over one loop
    device of MEDIUM_BYTES; this process reaches the exporter's host over ssh."""
    folder = tmp_path_factory.mktemp("lab")
    medium = folder / "medium.img"
    medium.write_bytes(bytes(MEDIUM_BYTES))
    loop = sdmux.attach_loop(medium)
    usbsdmux = sdmux.write_usbsdmux(folder / "bin")
    sshd = start_sshd(folder / "sshd", {"PATH": f"{usbsdmux.parent}{os.pathsep}"
                                                f"{os.environ['PATH']}"})
    path = os.environ["PATH"]
    os.environ["PATH"] = sshd.env()["PATH"]
    lab = Lab(folder)
    try:
        lab.export({"b1": {
            "console": {"cls": "NetworkSerialPort", "host": "127.0.0.1", "port": 4001},
            "reader": {"cls": "USBMassStorage", "path": loop},
            "sdmux": {"cls": "USBSDMuxDevice", "path": loop,
                      "control_path": str(folder / "mux")}}}, command=sdmux.COMMAND)
        lab.add_place("sd-1", "b1")
        lab.loop, lab.mux = loop, folder / "mux"
        yield lab
    finally:
        lab.stop()
        sshmanager.close_all()
        os.environ["PATH"] = path
        sshd.stop()
        sdmux.detach_loop(loop)


@pytest.fixture
def storage(lab):
    said = []
    lease = PlaceLease(Labgrid(coordinator=lab.address, place="sd-1"), said.append)
    target = lease.acquire()
    try:
        yield PlaceStorage.of(target, "sd-1", said.append), said
    finally:
        lease.release()


def card(folder, size: int, bmap: bool):
    """A card of SIZE bytes: data at its start and end, a hole between."""
    image = folder / "card.img"
    with open(image, "wb") as out:
        out.write(os.urandom(64 << 10))
        out.truncate(size - (64 << 10))
        out.seek(0, os.SEEK_END)
        out.write(os.urandom(64 << 10))
    if bmap:
        subprocess.run(["bmaptool", "create", "-o", str(folder / "card.bmap"), str(image)],
                       check=True)
    return image


@pytest.mark.parametrize("bmap, mode", [(True, "bmaptool"), (False, "dd")])
def test_the_card_is_written_between_host_and_dut(lab, storage, tmp_path, bmap, mode):
    place, said = storage
    image = card(tmp_path, 3 << 20, bmap)
    before = len(sdmux.events(lab.mux))
    place.write(image)
    with open(lab.loop, "rb") as medium:
        assert medium.read(image.stat().st_size) == image.read_bytes()
    assert sdmux.events(lab.mux)[before:] == ["mux host", "mux dut"]
    where = f"reader (127.0.0.1:{lab.loop})"
    assert said[1:] == ["switched SD mux sdmux to host",
                        f"medium in {where}: {MEDIUM_BYTES} bytes",
                        f"writing {image} to {where} with {mode}",
                        said[4], "switched SD mux sdmux to dut"]
    assert said[4].startswith(f"wrote the card to {where} with {mode} in ")


def test_a_medium_smaller_than_the_card_is_refused_in_one_line(lab, storage, tmp_path):
    place, said = storage
    image = card(tmp_path, MEDIUM_BYTES + (1 << 20), bmap=True)
    with pytest.raises(BenchError) as refused:
        place.write(image)
    assert refused.value.message == (
        f"place sd-1: storage reader (127.0.0.1:{lab.loop}) holds {MEDIUM_BYTES} bytes, "
        f"the card {image} needs {MEDIUM_BYTES + (1 << 20)}: put a bigger card in it")
    assert not any(line.startswith("writing") for line in said)
    assert sdmux.events(lab.mux)[-1] == "mux host"  # the board never gets a half-written card
