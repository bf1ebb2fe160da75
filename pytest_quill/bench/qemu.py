"""The default bench: qemu-system-arm booting the card through U-Boot, as the Nook does.

Each power-on boots its own disk over the card: a qcow2 overlay under the run
folder (cards/, what the device wrote stays there to look at) whose backing file,
the artifact in the cache, QEMU opens read-only. A booted device's state (RAM
and disk) can be saved into its overlay (savevm) and kept (bench/snapshots.py);
a later power-on from that state (-loadvm) answers at its shell in a fraction
of a boot. Its sockets live in a folder in /tmp
(unix socket paths must stay short): a serial socket QEMU waits on before
starting the machine (nothing is lost) and a QMP socket for power and keys. No
TCP ports: instances never collide. The exact command line heads QEMU's own
log (console-*.qemu.log) and is the bench's `launched`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from ..errors import BenchError, DeviceLost, GuestEnded
from ..proc import die_with_parent, stopped
from ..profile import Profile, Size
from . import qemu_disk
from .base import Bench, BenchOptions
from .console import Console
from .keys import KEY_EVENT_S, key_batches
from .qmp import Qmp
from .snapshots import SnapshotStore, StateKey
from .streams import SocketStream, connect_unix
from .tools import CARD_TOOLS, missing_tools

_START_S = 15  # QEMU makes its sockets within a second; TCG on a busy host is slower
_QUIT_S = 10
_QMP_ANSWER_S = 10  # a healthy QEMU answers QMP at once, even under TCG load


@dataclass(frozen=True)
class Qemu:
    binary: str
    machine: str
    cpu: str
    memory_mib: Size
    bios: Path  # the board's U-Boot
    # virtio disk; "sd": an SD card on PCI (virt); "sd-slot": the board's own SD slot (PL181)
    disk_interface: Literal["virtio", "sd", "sd-slot"]
    usb_keyboard: bool
    # How QEMU loads U-Boot: -bios, or -kernel on boards whose -bios QEMU ignores (versatileab).
    firmware_as: Literal["bios", "kernel"] = "bios"
    # The USB host the keyboard hangs on: a device to add, or "" for the board's own (-usb).
    usb_controller: str = "qemu-xhci"


class QemuBench(Bench):
    def __init__(self, profile: Profile, run_dir: Path, options: BenchOptions):
        super().__init__(profile, run_dir, options)
        self.config = self.profile.bench.settings(Qemu)
        self._proc: subprocess.Popen | None = None
        self._folder: Path | None = None
        self._console: Console | None = None
        self._qmp: Qmp | None = None
        self._disk_path: Path | None = None
        # Powering on and off, one thread at a time: a boot under way in another
        # thread (mvp/boot_ahead.py) is cut short by a power-off from the run's.
        self._power = threading.RLock()

    def check(self) -> list[str]:
        tools = {self.config.binary: "qemu-system-arm", "qemu-img": "qemu-utils", **CARD_TOOLS}
        problems = missing_tools(tools)
        if not self.config.bios.is_file():
            problems.append(
                f"U-Boot image {self.config.bios} missing "
                "(apt-get install u-boot-qemu, or set bench.qemu.bios)"
            )
        if shutil.which(self.config.binary) and not self._knows_machine():
            problems.append(
                f"{self.config.binary} has no machine {self._machine_name()!r} (bench.qemu.machine)"
            )
        return problems

    def _machine_name(self) -> str:
        return self.config.machine.split(",")[0]

    def _knows_machine(self) -> bool:
        listing = subprocess.run(
            [self.config.binary, "-machine", "help"], capture_output=True, text=True, timeout=30
        ).stdout
        return any(line.split()[:1] == [self._machine_name()] for line in listing.splitlines())

    def command(self, disk: Path, folder: Path) -> list[str]:
        """The qemu command line for one instance using folder's sockets."""
        config = self.config
        return [
            config.binary,
            "-M",
            config.machine,
            "-cpu",
            config.cpu,
            "-m",
            str(config.memory_mib),
            f"-{config.firmware_as}",
            str(config.bios),
            "-display",
            "none",
            "-monitor",
            "none",
            "-nic",
            "none",
            "-no-reboot",
            "-serial",
            f"unix:{folder / 'serial.sock'},server=on,wait=on",
            "-qmp",
            f"unix:{folder / 'qmp.sock'},server=on,wait=off",
            *qemu_disk.drive(config.disk_interface, disk),
            *(self._usb_keyboard() if config.usb_keyboard else []),
        ]

    def _usb_keyboard(self) -> list[str]:
        controller = self.config.usb_controller
        if not controller:  # the board's own host controller (versatile: OHCI on its PCI)
            return ["-usb", "-device", "usb-kbd"]
        return ["-device", f"{controller},id=usbhost", "-device", "usb-kbd,bus=usbhost.0"]

    def power_on(self, card_image: Path, log_path: Path) -> Console:
        with self._power:
            return self._start(card_image, log_path, None)

    def restore(self, card_image: Path, state: Path, log_path: Path) -> Console:
        with self._power:
            return self._start(card_image, log_path, state)

    def state_key(self, card_digest: str) -> StateKey:
        return StateKey(bench=self._identity, card=card_digest)

    @cached_property
    def _identity(self) -> str:  # asked by every device this bench starts: QEMU runs once for it
        return qemu_disk.bench_identity(self.config.binary, asdict(self.config), self.config.bios)

    def save_state(self, store: SnapshotStore, key: StateKey) -> Path:
        if self._qmp is None or self._disk_path is None:
            raise BenchError("save_state: the QEMU bench is powered off")
        return qemu_disk.save_state(self._qmp, self._disk_path, store, key)

    def _start(self, card_image: Path, log_path: Path, state: Path | None) -> Console:
        if self._proc is not None:
            raise BenchError(
                f"QEMU bench already powered on (pid {self._proc.pid}, console "
                f"{self._console and self._console.log_path}): one device per bench, power it off "
                f"before booting {card_image}"
            )
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        folder = self._folder = Path(tempfile.mkdtemp(prefix="quill-qemu-"))
        disk = self.run_dir / "cards" / f"{log_path.stem}.qcow2"
        self._disk_path = qemu_disk.overlay(Path(card_image), disk, state)
        argv = self.command(disk, folder) + (["-loadvm", qemu_disk.STATE_TAG] if state else [])
        self.launched = shlex.join(argv)
        qemu_log = log_path.with_suffix(".qemu.log")
        with open(qemu_log, "wb") as output:
            output.write(f"$ {self.launched}\n".encode())
            output.flush()
            # --quill-keep-bench: QEMU outlives the run, so it must not die with it.
            proc = self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.options.keep else die_with_parent,
            )
        try:
            return self._connect(proc, folder, log_path, qemu_log)
        except BaseException:
            self.power_off()
            raise

    def health(self) -> DeviceLost | GuestEnded | None:
        """None while QEMU runs; else what became of it, for the console's waits.
        With -no-reboot, QEMU ends with code 0 when the guest resets or powers off:
        the device's doing (a panic that reboots, a bootloader's reset), not the bench's."""
        if self._proc is None:
            return None
        code = self._proc.poll()
        if code == 0:
            return GuestEnded(
                f"QEMU (pid {self._proc.pid}) ended: the guest reset or powered "
                "itself off (-no-reboot ends QEMU then)"
            )
        if code is not None:
            how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
            return DeviceLost(f"QEMU (pid {self._proc.pid}) {how}")
        if stopped(self._proc.pid):
            return DeviceLost(f"QEMU (pid {self._proc.pid}) is stopped (SIGSTOP, or held in a debugger)")
        return None

    def _connect(self, proc: subprocess.Popen, folder: Path, log_path: Path, qemu_log: Path) -> Console:
        alive = lambda: proc.poll() is None  # noqa: E731
        try:
            serial = connect_unix(folder / "serial.sock", _START_S, "serial socket", alive)
        except BenchError as error:
            if alive():
                raise
            reason = self._start_error(qemu_log.read_text(errors="replace"))
            raise BenchError(
                f"{self.config.binary} exited with code {proc.returncode} at start: {reason}",
                log=str(qemu_log),
            ) from error
        self._console = console = Console(
            SocketStream(serial), log_path, self.options.timeout_factor, health=self.health
        )
        self._qmp = qmp = Qmp(folder / "qmp.sock", timeout=_START_S)
        qmp.timeout = _QMP_ANSWER_S
        return console

    def _start_error(self, output: str) -> str:
        """QEMU's own complaint ("qemu-system-arm: unsupported machine type"), else its last line."""
        lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("$ ")]
        own = [line for line in lines if line.startswith(f"{self.config.binary}:")]
        return (own or lines or ["no output"])[0 if own else -1]

    def send_keys(self, text: str) -> None:
        if self._qmp is None:
            raise BenchError("send_keys: the QEMU bench is powered off")
        for batch in key_batches(text):
            try:
                self._qmp.execute("input-send-event", {"events": batch})
            except DeviceLost as lost:
                gone = self.health()
                raise (type(gone) if gone else DeviceLost)(
                    f"{lost.message}: {gone.message if gone else 'QEMU still runs'}",
                    log=str(self._console.log_path) if self._console else None,
                ) from None
            time.sleep(len(batch) * KEY_EVENT_S)  # the guest takes them one poll each

    def power_off(self) -> None:
        with self._power:
            if self._qmp is not None:
                if self.health() is None:  # a stopped QEMU would only time the quit out
                    try:
                        self._qmp.execute("quit")
                    except BenchError:
                        pass  # QEMU already gone (a panic with -no-reboot ends it)
                self._qmp.close()
                self._qmp = None
            if self._proc is not None:
                self._stop_process(self._proc)
            self._release_console()
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def leave_running(self) -> list[str]:
        """QEMU goes on; its serial socket takes the next client that connects."""
        proc, folder, qmp = self._proc, self._folder, self._qmp
        if proc is None or folder is None or qmp is None or self.health():
            self.power_off()
            return []
        pid = proc.pid
        qmp.close()
        self._qmp, self._proc, self._folder = None, None, None
        self._release_console()
        return [
            f"QEMU (pid {pid}) left running: {self.launched}",
            f"its console: socat -,raw,echo=0 UNIX-CONNECT:{folder / 'serial.sock'} "
            f"(or: nc -U {folder / 'serial.sock'}); QMP at {folder / 'qmp.sock'}",
            # -f: QEMU removes its own sockets as it ends, maybe while rm walks the folder
            f"stop it: kill {pid}; rm -rf {folder}",
        ]

    def _release_console(self) -> None:
        if self._console is not None:
            self._console.close()
            self._console = None

    def _stop_process(self, proc: subprocess.Popen) -> None:
        if self.health() is not None and proc.poll() is None:  # stopped: quit cannot work
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=_QUIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._proc = None


SECTION = Qemu


def bench_class() -> type[Bench]:
    return QemuBench
