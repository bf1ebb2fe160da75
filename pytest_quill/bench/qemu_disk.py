"""The QEMU bench's disks: an overlay over the card for each power-on (QEMU opens
the card, the artifact in the cache, read-only as its backing file), the device
states saved into one (savevm) and started from (-loadvm), and the key a state
is kept under (bench/snapshots.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..digest import file_sha256
from ..errors import BenchError
from .qmp import Qmp
from .snapshots import SnapshotStore, StateKey, bench_digest

STATE_TAG = "quill"  # the one saved state in a disk overlay

# How the card is attached per profile.bench.qemu.disk_interface. The drive id
# is not "sd0": QEMU uses that name itself.
_DISK_DEVICES = {
    "virtio": ["-device", "virtio-blk-device,drive=card"],
    "sd": ["-device", "sdhci-pci", "-device", "sd-card,drive=card"],
}


def drive(interface: str, disk: Path) -> list[str]:
    """QEMU's arguments attaching DISK by INTERFACE. The bench's own disks are
    overlays; a card image given as is (a test's) is raw."""
    image = "qcow2" if disk.suffix == ".qcow2" else "raw"
    if interface == "sd-slot":  # the board's own slot takes the drive
        return ["-drive", f"if=sd,file={disk},format={image}"]
    return ["-drive", f"if=none,file={disk},format={image},id=card", *_DISK_DEVICES[interface]]


def overlay(card_image: Path, disk: Path, state: Path | None) -> Path:
    """DISK made: a new overlay over the card, or a copy of a saved STATE's pointed
    at the card where it is now."""
    disk.parent.mkdir(parents=True, exist_ok=True)
    backing = ["-F", "raw", "-b", str(card_image.resolve())]
    if state is None:
        _qemu_img("create", "-q", "-f", "qcow2", *backing, str(disk))
        return disk
    try:
        shutil.copyfile(state, disk)
    except OSError as gone:  # another run replaced the state meanwhile
        raise BenchError(f"the kept state {state} could not be copied: {gone}") from None
    _qemu_img("rebase", "-u", *backing, str(disk))
    return disk


def bench_identity(binary: str, settings: dict[str, object], firmware: Path) -> str:
    """What a saved state needs of the bench: QEMU's version, the firmware's digest,
    every setting (StateKey.bench)."""
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    bench = {"settings": settings, "version": version.splitlines()[:1], "firmware": file_sha256(firmware)}
    return bench_digest(bench)


def save_state(qmp: Qmp, disk: Path, store: SnapshotStore, key: StateKey) -> Path:
    """Keep the running device's state in STORE under KEY: the device is paused
    while its overlay DISK is saved into and copied whole. The kept disk's path."""
    qmp.execute("stop")
    try:
        said = qmp.execute("human-monitor-command", {"command-line": f"savevm {STATE_TAG}"})
        if said:  # the monitor answers errors as text
            raise BenchError(f"QEMU could not save the device's state: {str(said).strip()}")
        return store.publish(key, disk)
    finally:
        qmp.execute("cont")


def _qemu_img(*args: str) -> None:
    done = subprocess.run(["qemu-img", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"qemu-img {args[0]} failed: {(done.stderr or done.stdout).strip()}")
