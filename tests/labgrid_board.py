"""QEMU boards for a labgrid lab, as the exporter's host would have real ones.

Each board has two ptys that live as long as the board, not as long as QEMU,
so ser2net serves them across power cycles: the console (QEMU's serial socket
pumped to and from it while powered) and a keyboard (each byte typed with QMP
input-send-event, then echoed: a serial-to-USB-keyboard adapter). Power is an HTTP
relay in labgrid's "simplerest" model: GET /INDEX/1 starts QEMU on the board's
own card, /INDEX/0 stops it, /INDEX says which.

A board with an SD mux (tests/labgrid_sdmux.py) starts with a blank card that
only a write through the place makes bootable: a loop device over its card
file is the mux's card reader, and the relay powers it on only with the mux
at dut (a real board cannot boot a card the host holds). At each power-on it
keeps a copy of the card it boots (booted_cards), for the tests to compare with
the run's.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import termios
import threading
import time
import tty
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from pytest_quill.bench.base import bench_for
from pytest_quill.bench.keys import KEY_EVENT_S, key_batches
from pytest_quill.bench.qmp import Qmp
from pytest_quill.bench.streams import connect_unix
from pytest_quill.errors import BenchError
from pytest_quill.proc import die_with_parent
from pytest_quill.profile import load_profile
from tests.labgrid_sdmux import attach_loop, detach_loop, record
from tests.support.services import free_tcp_port

_QUIT_S = 10


class Pty:
    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # ser2net sets its own modes too; no echo in between
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)

    def read(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        try:
            os.write(self.master, data)
        except BlockingIOError:
            pass  # nobody reads the port (no ser2net client): a real UART drops it too

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class PowerRefused(Exception):
    pass


class QemuBoard:
    def __init__(self, index: int, card: Path, folder: Path, sd_mux: bool = False):
        self.index = index
        self.folder = Path(tempfile.mkdtemp(prefix=f"quill-lg{index}-"))  # short socket paths
        self.disk = folder / f"board-{index}-card.img"  # the board's own card, kept across boots
        self.mux = self.loop = None
        self.booted_cards: list[Path] = []  # with a mux: the card as each boot found it
        if sd_mux:
            with open(self.disk, "wb") as blank:
                blank.truncate(card.stat().st_size)
            self.mux = folder / f"board-{index}-mux"  # the mux's control path: its mode
            self.mux.write_text("host\n")
            self.loop = attach_loop(self.disk)
        else:
            shutil.copyfile(card, self.disk)
        self.qemu_log = folder / f"board-{index}-qemu.log"
        self.console, self.keyboard = Pty(), Pty()
        self.boots = 0
        self._proc: subprocess.Popen | None = None
        self._serial = None
        self._qmp: Qmp | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=pump, daemon=True) for pump in (self._pump_console, self._pump_keyboard)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def on(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def power(self, on: bool) -> None:
        with self._lock:
            if on and not self.on:
                mode = self.mux.read_text().strip() if self.mux is not None else "dut"
                if mode != "dut":
                    raise PowerRefused(f"board {self.index}: its card is at the SD mux's {mode}, not at dut")
                self._start()
            elif not on:
                self._stop()

    def _start(self) -> None:
        self._stop()  # a QEMU that ended by itself (poweroff) leaves its sockets
        termios.tcflush(self.console.slave, termios.TCIOFLUSH)  # nothing of the last boot
        argv = bench_for(load_profile("qemu-virt"), self.folder).command(self.disk, self.folder)
        with open(self.qemu_log, "ab") as log:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self._serial = connect_unix(self.folder / "serial.sock", 15, "serial socket", lambda: self.on)
        self._qmp = Qmp(self.folder / "qmp.sock", timeout=15)
        self.boots += 1
        if self.mux is not None:
            self._keep_booted_card()
            record(self.mux, "power on")

    def _keep_booted_card(self) -> None:
        copy = self.disk.with_name(f"{self.disk.stem}-boot-{self.boots}.img")
        subprocess.run(["cp", "--sparse=always", str(self.disk), str(copy)], check=True)
        self.booted_cards.append(copy)

    def _stop(self) -> None:
        if self._qmp is not None:
            with contextlib.suppress(BenchError, OSError):  # already gone
                self._qmp.execute("quit")
            self._qmp.close()
            self._qmp = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=_QUIT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        for leftover in self.folder.glob("*.sock"):
            leftover.unlink()

    def _pump_console(self) -> None:
        while not self._stopping.is_set():
            try:
                self._pump_console_once(self._serial)
            except (OSError, ValueError):
                pass  # powered off (the socket closed) while in use: the next round has none

    def _pump_console_once(self, serial) -> None:
        ready, _, _ = select.select([self.console.master] + ([serial] if serial else []), [], [], 0.2)
        if self.console.master in ready:
            typed = self.console.read()
            if serial is not None and typed:
                serial.sendall(typed)
        if serial is not None and serial in ready:
            self.console.write(serial.recv(4096))

    def _pump_keyboard(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self.keyboard.master], [], [], 0.2)
            for char in self.keyboard.read().decode() if ready else "":
                batches = key_batches(char)
                with self._lock, contextlib.suppress(BenchError, OSError):  # QEMU ended itself
                    for batch in batches if self._qmp is not None else []:
                        self._qmp.execute("input-send-event", {"events": batch})
                time.sleep(sum(map(len, batches)) * KEY_EVENT_S)  # the guest takes one event a poll
                self.keyboard.write(char.encode())

    def close(self) -> None:
        self.power(False)
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self.console.close()
        self.keyboard.close()
        if self.loop is not None:
            detach_loop(self.loop)
        shutil.rmtree(self.folder, ignore_errors=True)


class PowerRelay:
    """The boards' power switch: an HTTP server on loopback for labgrid's simplerest model."""

    def __init__(self, boards: dict[int, QemuBoard]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                index, _, value = self.path.strip("/").partition("/")
                board = boards[int(index)]
                status = 200
                try:
                    if value:
                        board.power(value == "1")
                    reply = b"1" if board.on else b"0"
                except PowerRefused as refused:
                    status, reply = 409, str(refused).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        # One thread serves every request: QEMU dies with the thread that started it
        # (die_with_parent), so that thread must live as long as the lab.
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{index}}/{{value}}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Ser2net:
    """One ser2net serving every board's console and keyboard on loopback (rfc2217)."""

    def __init__(self, boards: list[QemuBoard], folder: Path):
        self.ports: dict[str, int] = {}
        connections = []
        for board in boards:
            for role, pty in (("console", board.console), ("keyboard", board.keyboard)):
                port = self.ports[f"{board.index}-{role}"] = free_tcp_port()
                connections.append(
                    f"connection: &board{board.index}{role}\n"
                    f"  accepter: telnet(rfc2217,mode=server),tcp,127.0.0.1,{port}\n"
                    f"  connector: serialdev(nouucplock=true),{pty.path},115200n81,local\n"
                )
        config = folder / "ser2net.yaml"
        config.write_text("\n".join(connections))
        self.log = folder / "ser2net.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["/usr/sbin/ser2net", "-n", "-d", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def exported_board(board: QemuBoard, ser2net: Ser2net, relay: PowerRelay) -> dict:
    """The board's resources for the exporter's configuration (its SD mux's for
    tests/labgrid_sdmux.py's exporter)."""

    def port(role: str) -> dict:
        return {
            "cls": "NetworkSerialPort",
            "host": "127.0.0.1",
            "port": ser2net.ports[f"{board.index}-{role}"],
            "speed": 115200,
        }

    storage = (
        {
            "reader": {"cls": "USBMassStorage", "path": board.loop},
            "sdmux": {"cls": "USBSDMuxDevice", "path": board.loop, "control_path": str(board.mux)},
        }
        if board.mux
        else {}
    )
    return {
        "console": port("console"),
        "keyboard": port("keyboard"),
        "power": {"cls": "NetworkPowerPort", "model": "simplerest", "host": relay.url, "index": board.index},
        **storage,
    }
