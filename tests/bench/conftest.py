"""A QEMU that plays the Nook at the bench: its serial port on TCP, power by command."""

import shutil

import pytest

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.profile import load_profile
from tests.support.services import free_tcp_port


@pytest.fixture
def qemu_as_board(tmp_path):
    """qemu_as_board(card) -> a nook-simple-touch bench whose board is QEMU booting card,
    powered on and off by shell commands, its console at socket://127.0.0.1:PORT."""

    def make(card, **overrides):
        port = free_tcp_port()
        disk = tmp_path / "board-card.img"  # the board's own card: the artifact stays as built
        shutil.copyfile(card, disk)
        argv = bench_for(load_profile("qemu-virt"), tmp_path).command(disk, tmp_path)
        argv[argv.index("-serial") + 1] = f"tcp:127.0.0.1:{port},server=on,wait=on"
        del argv[argv.index("-qmp") : argv.index("-qmp") + 2]  # a board has no QMP
        power_on = " ".join(argv) + f" > {tmp_path}/qemu.log 2>&1 & echo $! > {tmp_path}/qemu.pid"
        settings = {
            "bench.serial.power": "command",
            "bench.serial.power_on_command": power_on,
            # Like a relay, switching off a board that is already off is no error.
            "bench.serial.power_off_command": f"kill $(cat {tmp_path}/qemu.pid) 2>/dev/null || true",
            **overrides,
        }
        return bench_for(
            load_profile("nook-simple-touch", settings),
            tmp_path,
            BenchOptions(serial_port=f"socket://127.0.0.1:{port}"),
        )

    return make
