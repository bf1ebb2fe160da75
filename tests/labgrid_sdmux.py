"""labgrid's exporter with SD muxes and a card reader this machine cannot have.

`python -m tests.labgrid_sdmux EXPORTER-ARGS...` is labgrid-exporter with three
export classes replaced: "USBMassStorage", "USBSDMuxDevice" and
"USBSDWireDevice" publish the same Network... resources as the real ones, but
their local device is the `path` the configuration gives (a loop device over a
QEMU board's card file) instead of one udev found. Everything else (the serial
ports, the power port, the coordinator's protocol) is the real exporter's.

The client drives them as at a real lab: labgrid's USBStorageDriver runs
`cat /sys/class/block/...`, bmaptool or dd over ssh on the exporter's host, its
USBSDMuxDriver runs `usbsdmux CONTROL_PATH MODE` there and its USBSDWireDriver
`sd-mux-ctrl --dut|--ts -e SERIAL`: `write_mux_tools` makes both programs for
the sshd's PATH. Here the control path (or the SDWire's serial) is a file: they
keep the mode in it (for the board's power relay to read) and append each
switch to FILE.log.
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

# A mux whose control file has a sibling FILE.stuck takes a switch without error
# and keeps its mode, as a mux with a failing relay does.
_TOOLS = {
    # usbsdmux CONTROL_PATH host|dut|off|client|get, as labgrid calls pengutronix's tool
    "usbsdmux": """#!/bin/sh
case "$2" in
  get) cat "$1" ;;
  host|dut|off|client)
    if [ -e "$1.stuck" ]; then echo "$(date +%s.%N) mux stuck" >> "$1.log"; exit 0; fi
    echo "$2" > "$1"; echo "$(date +%s.%N) mux $2" >> "$1.log" ;;
  *) echo "usbsdmux: unknown mode $2" >&2; exit 2 ;;
esac
""",
    # sd-mux-ctrl --dut|--ts -e SERIAL, and -e SERIAL -u for its mode, as labgrid calls
    # it for an SDWire (ts: the host)
    "sd-mux-ctrl": """#!/bin/sh
case "$1" in
  --dut) mode=dut ;;
  --ts) mode=host ;;
  -e) if [ "$(cat "$2")" = host ]; then echo "SD connected to: TS"; else echo "SD connected to: DUT"; fi
      exit 0 ;;
  *) echo "sd-mux-ctrl: unknown call $*" >&2; exit 2 ;;
esac
if [ -e "$3.stuck" ]; then echo "$(date +%s.%N) mux stuck" >> "$3.log"; exit 0; fi
echo "$mode" > "$3"; echo "$(date +%s.%N) mux $mode" >> "$3.log"
""",
}


def stick(control_path: Path, stuck: bool = True) -> None:
    """Make the mux at CONTROL_PATH ignore switches (or switch again)."""
    flag = control_path.with_name(control_path.name + ".stuck")
    if stuck:
        flag.touch()
    else:
        flag.unlink(missing_ok=True)


class _LoopDevice:
    """The local side of an export: a block device named by the configuration."""

    def __init__(self, path: str, control_path: str | None = None, control_serial: str | None = None):
        self.path = path
        self.control = {"control_path": control_path, "control_serial": control_serial}
        self.busnum, self.devnum, self.vendor_id, self.model_id = 1, 2, 0x0424, 0x4041
        self.avail = False

    def poll(self) -> None:
        # A card reader whose USB device is there, with or without a medium in it.
        self.avail = Path("/sys/class/block", Path(self.path).name).exists()


@attr.s(eq=False)
class LoopExport(exporter.ResourceExport):
    """USBMassStorage / USBSDMuxDevice / USBSDWireDevice over a loop device, published as
    labgrid's own."""

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.data["cls"] = f"Network{self.cls}"
        self.local = _LoopDevice(**self.local_params)

    def _get_params(self):
        params = {
            "host": self.host,
            "busnum": self.local.busnum,
            "devnum": self.local.devnum,
            "path": self.local.path,
            "vendor_id": self.local.vendor_id,
            "model_id": self.local.model_id,
        }
        # An SD mux's control (not a bare reader's): the key its resource class has.
        return {**params, **{key: value for key, value in self.local.control.items() if value}}


def attach_loop(file: Path) -> str:
    """A loop device over FILE (root only): the exporter's card reader with a card in it."""
    return subprocess.run(
        ["losetup", "--find", "--show", str(file)], check=True, capture_output=True, text=True
    ).stdout.strip()


def detach_loop(device: str) -> None:
    subprocess.run(["losetup", "--detach", device], check=True)


def write_mux_tools(bin_dir: Path) -> Path:
    """The fake `usbsdmux` and `sd-mux-ctrl` in BIN_DIR, for the exporter host's PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, text in _TOOLS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir


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
    for cls in ("USBMassStorage", "USBSDMuxDevice", "USBSDWireDevice"):
        exporter.exports[cls] = LoopExport
    exporter.main()


if __name__ == "__main__":
    main()
