"""What a block device is, from sysfs and /proc, and why a card must not be written to it.

Every path comes from `sysfs_root`, `proc_root` and `dev_root`, so a fake
machine (a folder tree, image files standing in for devices) answers the same
questions as the real one.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..profile import SdCard

SYS, PROC, DEV = Path("/sys"), Path("/proc"), Path("/dev")


@dataclass(frozen=True)
class BlockDevice:
    path: Path  # as the user gave it (/dev/sdb, /dev/disk/by-id/...)
    node: Path  # the device node it resolves to
    name: str  # sdb, mmcblk0, sdb1
    is_partition: bool
    is_block: bool  # False for an image file standing in (tests, benchmarks)
    size_bytes: int
    removable: bool
    transport: str  # usb | mmc | other
    model: str
    serial: str
    partitions: tuple[str, ...]
    holders: tuple[str, ...]  # dm/md devices built on the disk or its partitions

    def describe(self) -> str:
        return (
            f"{self.path} ({self.model or 'unknown model'}, {self.size_bytes} bytes, "
            f"serial {self.serial or 'unknown'})"
        )


def inspect(
    device: str | Path, *, sysfs_root: Path = SYS, dev_root: Path = DEV, allow_files: bool = False
) -> BlockDevice:
    """The device's facts; InputError when it is not a block device at all."""
    path = Path(device)
    if not path.exists():
        raise InputError(f"refusing {path}: no such device")
    node = path.resolve()
    mode = os.stat(node).st_mode
    if not (stat.S_ISBLK(mode) or (allow_files and stat.S_ISREG(mode))):
        raise InputError(f"refusing {path}: not a block device")
    entry = sysfs_root / "class/block" / node.name
    if not entry.exists():
        raise InputError(f"refusing {path}: {node.name} is not in {sysfs_root}/class/block")
    folder = entry.resolve()
    is_partition = (folder / "partition").exists()
    disk = folder.parent if is_partition else folder
    partitions = tuple(sorted(p.name for p in folder.iterdir() if (p / "partition").exists()))
    return BlockDevice(
        path=path,
        node=node,
        name=node.name,
        is_partition=is_partition,
        is_block=stat.S_ISBLK(mode),
        size_bytes=int(_read(folder / "size") or 0) * 512,
        removable=_read(disk / "removable") == "1",
        transport=_transport(disk),
        model=_model(disk),
        serial=_serial(disk, sysfs_root),
        partitions=partitions,
        holders=_holders(folder, partitions),
    )


def refusal(
    device: BlockDevice, card: SdCard, image_bytes: int, *, proc_root: Path = PROC, dev_root: Path = DEV
) -> str | None:
    """The one line that says why writing the card there is refused, or None."""
    reason = _refusal_reason(device, card, image_bytes, proc_root, dev_root)
    return f"refusing {device.describe()}: {reason}" if reason else None


def _refusal_reason(
    device: BlockDevice, card: SdCard, image_bytes: int, proc_root: Path, dev_root: Path
) -> str | None:
    if device.is_partition:
        return f"{device.name} is a partition; give the whole device"
    ours = {device.name, *device.partitions, *device.holders}
    mounts = _mounts(proc_root, dev_root)
    if any(target == "/" and source in ours for source, target in mounts):
        return "it holds / (the running system)"
    swapped = sorted(ours & _swaps(proc_root, dev_root))
    if swapped:
        return f"{', '.join(swapped)} is in use as swap"
    mounted = sorted({f"{source} on {target}" for source, target in mounts if source in ours})
    if mounted:
        return f"mounted: {', '.join(mounted)}; unmount it first"
    if device.holders:
        return f"in use by {', '.join(device.holders)}"
    if not device.removable and device.transport not in ("usb", "mmc"):
        return f"not removable and not on USB or MMC (transport {device.transport})"
    if device.size_bytes < max(card.min_device_bytes, image_bytes):
        return (
            f"{device.size_bytes} bytes, smaller than sdcard.min_device_bytes = "
            f"{card.min_device_bytes} or the image ({image_bytes})"
        )
    if device.size_bytes > card.max_device_bytes:
        return (
            f"{device.size_bytes} bytes, larger than sdcard.max_device_bytes = "
            f"{card.max_device_bytes}: not a card"
        )
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def _transport(disk: Path) -> str:
    parts = disk.parts
    if any(part.startswith("usb") for part in parts):
        return "usb"
    if "mmc_host" in parts or disk.name.startswith("mmcblk"):
        return "mmc"
    return "other"


def _model(disk: Path) -> str:
    """SCSI (USB readers) has vendor + model; an MMC card has a name."""
    words = [_read(disk / "device/vendor"), _read(disk / "device/model") or _read(disk / "device/name")]
    return " ".join(word for word in words if word)


def _serial(disk: Path, sysfs_root: Path) -> str:
    """The card's own serial (MMC), else the nearest USB device's."""
    top = (sysfs_root / "devices").resolve()
    folder = (disk / "device").resolve() if (disk / "device").exists() else disk
    while folder != top and top in folder.parents:
        serial = _read(folder / "serial")
        if serial:
            return serial
        folder = folder.parent
    return ""


def _holders(folder: Path, partitions: tuple[str, ...]) -> tuple[str, ...]:
    names: set[str] = set()
    for place in (folder, *(folder / p for p in partitions)):
        if (place / "holders").is_dir():
            names.update(p.name for p in (place / "holders").iterdir())
    return tuple(sorted(names))


def _device_name(source: str, dev_root: Path) -> str | None:
    """/dev/sdb1 or /dev/disk/by-uuid/... -> sdb1; None for what is no device."""
    if not source.startswith("/dev/"):
        return None
    return (dev_root / source[len("/dev/") :]).resolve().name


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def _mounts(proc_root: Path, dev_root: Path) -> list[tuple[str, str]]:
    mounts = []
    for line in _read(proc_root / "self/mounts").splitlines():
        fields = line.split()
        name = _device_name(_unescape(fields[0]), dev_root) if len(fields) > 1 else None
        if name:
            mounts.append((name, _unescape(fields[1])))
    return mounts


def _swaps(proc_root: Path, dev_root: Path) -> set[str]:
    lines = _read(proc_root / "swaps").splitlines()[1:]
    names = (_device_name(_unescape(line.split()[0]), dev_root) for line in lines if line.split())
    return {name for name in names if name}
