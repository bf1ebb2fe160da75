"""labgrid's exporter with an SD mux and a card reader this machine cannot have.

`python -m tests.labgrid_sdmux EXPORTER-ARGS...` is labgrid-exporter with two
export classes replaced: "USBMassStorage" and "USBSDMuxDevice" publish the same
NetworkUSBMassStorage and NetworkUSBSDMuxDevice resources as the real ones, but
their local device is the `path` the configuration gives (a loop device over a
QEMU board's card file) instead of one udev found. Everything else (the serial
ports, the power port, the coordinator's protocol) is the real exporter's.

The client drives them as at a real lab: labgrid's USBStorageDriver runs
`cat /sys/class/block/...`, bmaptool or dd over ssh on the exporter's host, and
its USBSDMuxDriver runs `usbsdmux CONTROL_PATH MODE` there: `write_usbsdmux`
makes that program for the sshd's PATH. It keeps the mode in CONTROL_PATH (for
the board's power relay to read) and appends each switch to CONTROL_PATH.log.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import attr
from labgrid.remote import exporter

# labgrid's command, as the tests' Lab starts it (the project root on PYTHONPATH)
COMMAND = [sys.executable, "-m", "tests.labgrid_sdmux"]

_USBSDMUX = """#!/bin/sh
# usbsdmux CONTROL_PATH host|dut|off|client|get, as pengutronix's tool is called by labgrid
case "$2" in
  get) cat "$1" ;;
  host|dut|off|client) echo "$2" > "$1"; echo "$(date +%s.%N) mux $2" >> "$1.log" ;;
  *) echo "usbsdmux: unknown mode $2" >&2; exit 2 ;;
esac
"""


class _LoopDevice:
    """The local side of an export: a block device named by the configuration."""

    def __init__(self, path: str, control_path: str | None = None):
        self.path, self.control_path = path, control_path
        self.busnum, self.devnum, self.vendor_id, self.model_id = 1, 2, 0x0424, 0x4041
        self.avail = False

    def poll(self) -> None:
        # A card reader whose USB device is there, with or without a medium in it.
        self.avail = Path("/sys/class/block", Path(self.path).name).exists()


@attr.s(eq=False)
class LoopExport(exporter.ResourceExport):
    """USBMassStorage / USBSDMuxDevice over a loop device, published as labgrid's own."""

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.data["cls"] = f"Network{self.cls}"
        self.local = _LoopDevice(**self.local_params)

    def _get_params(self):
        params = {"host": self.host, "busnum": self.local.busnum, "devnum": self.local.devnum,
                  "path": self.local.path, "vendor_id": self.local.vendor_id,
                  "model_id": self.local.model_id}
        if self.local.control_path is not None:  # an SD mux, not a bare reader
            params["control_path"] = self.local.control_path
        return params


def attach_loop(file: Path) -> str:
    """A loop device over FILE (root only): the exporter's card reader with a card in it."""
    return subprocess.run(["losetup", "--find", "--show", str(file)], check=True,
                          capture_output=True, text=True).stdout.strip()


def detach_loop(device: str) -> None:
    subprocess.run(["losetup", "--detach", device], check=True)


def write_usbsdmux(bin_dir: Path) -> Path:
    """The fake `usbsdmux` program in BIN_DIR (for the exporter host's PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    program = bin_dir / "usbsdmux"
    program.write_text(_USBSDMUX)
    program.chmod(0o755)
    return program


def record(control_path: Path, event: str) -> None:
    """Add EVENT (e.g. "power on", by the board's relay) to the mux's log."""
    with open(_log(control_path), "a") as log:
        log.write(f"{time.time():.6f} {event}\n")


def events(control_path: Path) -> list[str]:
    """What happened to the mux's card, in order: "mux host", "mux dut", "power on"..."""
    log = _log(control_path)
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split(" ", 1)[1] for line in lines]


def _log(control_path: Path) -> Path:
    return control_path.with_name(control_path.name + ".log")


def main() -> None:
    exporter.exports["USBMassStorage"] = LoopExport
    exporter.exports["USBSDMuxDevice"] = LoopExport
    exporter.main()


if __name__ == "__main__":
    main()
