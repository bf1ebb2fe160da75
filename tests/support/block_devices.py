"""A fake machine (sysfs, /proc, /dev as folders; image files standing in for
devices) laid out like the real kernel's, and sparse card images with their
maps to write onto it."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from pytest_quill.card import image as diskimage
from pytest_quill.formats import bmap

MIB = 1 << 20
# Where the kernel puts each kind of disk under /sys/devices.
PARENTS = {
    "usb": ("pci0000:00/0000:00:14.0/usb2/2-1", "2-1:1.0/host6/target6:0:0/6:0:0:0"),
    "mmc": ("platform/soc/4809c000.mmc/mmc_host/mmc0", "mmc0:aaaa"),
    "sata": ("pci0000:00/0000:00:1f.2/ata1", "host0/target0:0:0/0:0:0:0"),
}


class FakeMachine:
    def __init__(self, root: Path):
        self.root = root
        self.sys, self.proc, self.dev = root / "sys", root / "proc", root / "dev"
        for folder in (self.sys / "class/block", self.proc / "self", self.dev):
            folder.mkdir(parents=True)
        self.mounts([])
        self.swaps([])

    def disk(
        self,
        name: str,
        bus: str,
        size: int,
        *,
        removable: bool,
        partitions: int = 0,
        model: str = "Card Reader",
        serial: str = "SERIAL42",
        fill: bytes = b"",
    ) -> Path:
        """A disk in sysfs and its stand-in file under dev/ (FILL repeated, else sparse)."""
        parent, device = PARENTS[bus]
        top = self.sys / "devices" / parent
        folder = top / device / "block" / name
        folder.mkdir(parents=True)
        (folder / "size").write_text(f"{size // 512}\n")
        (folder / "removable").write_text("1\n" if removable else "0\n")
        (folder / "holders").mkdir()
        os.symlink(folder.parent.parent, folder / "device")
        if bus == "mmc":
            (top / device / "name").write_text(model + "\n")
            (top / device / "serial").write_text(serial + "\n")
        else:
            (top / device / "vendor").write_text("Generic\n")
            (top / device / "model").write_text(model + "\n")
            (top / "serial").write_text(serial + "\n")
        self._link(name, folder)
        node = self._node(name, size, fill)
        for number in range(1, partitions + 1):
            part = name + ("p" if name[-1].isdigit() else "") + str(number)
            (folder / part).mkdir()
            (folder / part / "partition").write_text(f"{number}\n")
            (folder / part / "size").write_text(f"{size // 512 // partitions}\n")
            (folder / part / "holders").mkdir()
            self._link(part, folder / part)
            self._node(part, 0, b"")
        return node

    def mounts(self, lines: list[str]) -> None:
        (self.proc / "self/mounts").write_text(
            "".join(line + "\n" for line in ["proc /proc proc rw 0 0", *lines])
        )

    def swaps(self, devices: list[str]) -> None:
        (self.proc / "swaps").write_text(
            "Filename\tType\tSize\tUsed\tPriority\n"
            + "".join(f"{d}\tpartition\t1024\t0\t-2\n" for d in devices)
        )

    def _link(self, name: str, folder: Path) -> None:
        os.symlink(os.path.relpath(folder, self.sys / "class/block"), self.sys / "class/block" / name)

    def _node(self, name: str, size: int, fill: bytes) -> Path:
        node = self.dev / name
        with open(node, "wb") as handle:
            if fill:
                handle.write(fill * (size // len(fill)))
            handle.truncate(size)
        return node

    def roots(self) -> dict:
        return {"sysfs_root": self.sys, "proc_root": self.proc, "dev_root": self.dev}


GARBAGE = b"\xa5OLD"


def sparse_card(path: Path) -> Path:
    """64 MiB, sparse: data at 0, 1 MiB + 100 and 40 MiB, holes elsewhere; its map beside it."""
    with open(path, "wb") as handle:
        handle.truncate(64 * MIB)
        for offset, data in (
            (0, b"\x55\xaa" * 256),
            (MIB + 100, b"boot" * 3000),
            (40 * MIB, os.urandom(2 * MIB)),
        ):
            handle.seek(offset)
            handle.write(data)
    make_map(path)
    return path


def make_map(image: Path) -> Path:
    subprocess.run(
        ["bmaptool", "create", "-o", str(bmap.beside(image)), str(image)], check=True, capture_output=True
    )
    return bmap.beside(image)


def untouched_proof(path: Path) -> tuple:
    """What any write would change: mtime, size, the data extents and their bytes."""
    info = path.stat()
    with open(path, "rb") as handle:
        extents = diskimage.data_ranges(handle.fileno())
        content = hashlib.sha256()
        for start, length in extents:
            content.update(os.pread(handle.fileno(), length, start))
    return info.st_mtime_ns, info.st_size, extents, content.hexdigest()
