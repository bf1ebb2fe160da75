"""A partitioned disk image in a plain file: no root, no loop device, no mount.

Writing goes through a `run(argv, env=None)` callable (BuildContext.run in a
recipe, so every tool lands in the build log); reading captures the tools'
output here. Offsets are bytes from the start of the image.

An image hole means "don't care": `bmaptool create` leaves holes out of the
card's map, so they are never written. mke2fs zeroes inode tables and the
journal by punching holes, so the blocks a filesystem uses are written back as
real zeros (`materialize`) before the map is made.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildError
from ..profile import SdCard

SECTOR = 512
MIB = 1 << 20
# mtools cannot fill a FAT32 this small ("No directory slots"): FAT16 below it.
FAT32_MIN_MIB = 33
FAT_TYPE_IDS = {"fat16": "e", "fat32": "c"}  # LBA variants: U-Boot and the OMAP ROM read both
LINUX_TYPE_ID = "83"
DISK_ID = "0x5155494c"  # "QUIL": fixed, so PARTUUID=5155494c-02 names the root on any build
_MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1"}

Runner = Callable[..., object]


@dataclass(frozen=True)
class Partition:
    number: int
    start: int  # bytes
    size: int  # bytes
    type: str  # MBR type id as sfdisk prints it
    bootable: bool
    fs: str  # fat16 | fat32 | ext2 | ext3 | ext4

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def layout(sdcard: SdCard) -> tuple[Partition, Partition]:
    """p1 FAT (boot flag) after a 1 MiB gap, p2 the root FS to the end."""
    fat = "fat32" if sdcard.boot_mib >= FAT32_MIN_MIB else "fat16"
    boot = Partition(1, MIB, sdcard.boot_mib * MIB, FAT_TYPE_IDS[fat], True, fat)
    root_start = boot.start + boot.size
    root = Partition(2, root_start, sdcard.image_mib * MIB - root_start, LINUX_TYPE_ID, False, sdcard.root_fs)
    return boot, root


def create(image: Path, size: int) -> None:
    with open(image, "wb") as handle:
        handle.truncate(size)


def partition(image: Path, partitions: tuple[Partition, ...], run: Runner) -> None:
    lines = ["label: dos", f"label-id: {DISK_ID}", "unit: sectors", ""]
    for part in partitions:
        flag = ", bootable" if part.bootable else ""
        lines.append(f"start={part.start // SECTOR}, size={part.size // SECTOR}, type={part.type}{flag}")
    script = image.with_name(image.name + ".sfdisk")
    script.write_text("\n".join(lines) + "\n")
    try:
        # sfdisk reads its script on stdin only.
        run(["sh", "-c", 'exec sfdisk --quiet "$1" < "$2"', "sfdisk", str(image), str(script)])
    finally:
        script.unlink()


def make_fat(image: Path, part: Partition, label: str, run: Runner) -> None:
    sectors = part.start // SECTOR
    run(
        [
            "mkfs.vfat",
            "-F",
            part.fs[3:],
            "-n",
            label,
            "-h",
            str(sectors),
            "--offset",
            str(sectors),
            str(image),
            str(part.size // 1024),
        ]
    )


def copy_to_fat(image: Path, part: Partition, files: list[tuple[Path, str]], run: Runner) -> None:
    """One file at a time, in order: the directory keeps that order (MLO first)."""
    for source, name in files:
        run(["mcopy", "-i", f"{image}@@{part.start}", str(source), f"::{name}"], env=_MTOOLS_ENV)


def mke2fs_argv(image: Path, part: Partition, label: str, tree: Path) -> list[str]:
    """mke2fs -d at the partition's offset: owners and device nodes as the caller
    sees them (root, or fakeroot's view)."""
    return [
        "mke2fs",
        "-q",
        "-F",
        "-t",
        part.fs,
        "-L",
        label,
        "-E",
        f"offset={part.start},root_owner=0:0",
        "-d",
        str(tree),
        str(image),
        f"{part.size // 1024}k",
    ]


def needed_ranges(image: Path, boot: Partition, root: Partition) -> list[tuple[int, int]]:
    """The bytes that matter on a card: the MBR and the gap before p1 (so no stale
    partition table survives there), the FAT's metadata, the root FS's used blocks."""
    return [(0, boot.start), fat_metadata_range(image, boot), *ext_used_ranges(image, root)]


def fat_metadata_range(image: Path, part: Partition) -> tuple[int, int]:
    """Boot sector, reserved sectors, the FATs, the FAT16 root directory and the
    first cluster (FAT32's root directory), from the boot sector's BPB."""
    with open(image, "rb") as handle:
        handle.seek(part.start)
        bpb = handle.read(64)
    sector, per_cluster, reserved, fats, root_entries = struct.unpack_from("<HBHBH", bpb, 11)
    (per_fat16,) = struct.unpack_from("<H", bpb, 22)
    (per_fat32,) = struct.unpack_from("<I", bpb, 36)  # FAT32 keeps it here, per_fat16 is 0
    sectors = reserved + fats * (per_fat16 or per_fat32) + per_cluster
    return part.start, sectors * sector + root_entries * 32


def materialize(image: Path, ranges: list[tuple[int, int]]) -> int:
    """Turn the holes inside RANGES into written zeros; returns the bytes written."""
    written = 0
    with open(image, "r+b") as handle:
        data = data_ranges(handle.fileno())
        for start, length in ranges:
            for hole_start, hole_length in _holes_within(data, start, length):
                handle.seek(hole_start)
                handle.write(bytes(hole_length))
                written += hole_length
    return written


def unwritten_bytes(image: Path, ranges: list[tuple[int, int]]) -> int:
    """How many bytes inside RANGES are holes of the image."""
    with open(image, "rb") as handle:
        return bytes_outside(ranges, data_ranges(handle.fileno()))


def bytes_outside(ranges: list[tuple[int, int]], covered: list[tuple[int, int]]) -> int:
    """How many bytes inside RANGES no range of COVERED (sorted) holds."""
    return sum(length for start, size in ranges for _, length in _holes_within(covered, start, size))


def data_ranges(fd: int) -> list[tuple[int, int]]:
    """(offset, length) of every data extent of an open file, via SEEK_DATA/SEEK_HOLE."""
    end = os.fstat(fd).st_size
    ranges = []
    position = 0
    while position < end:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole remains
            break
        stop = os.lseek(fd, start, os.SEEK_HOLE)
        ranges.append((start, stop - start))
        position = stop
    return ranges


def _holes_within(data: list[tuple[int, int]], start: int, length: int) -> Iterator[tuple[int, int]]:
    position, end = start, start + length
    for data_start, data_length in data:
        data_end = data_start + data_length
        if data_end <= position or data_start >= end:
            continue
        if data_start > position:
            yield position, data_start - position
        position = max(position, data_end)
    if position < end:
        yield position, end - position


# Reading the image back.


def output(argv: list[str], env: dict[str, str] | None = None) -> str:
    """A read-only tool's stdout; BuildError with its first stderr line on failure."""
    done = subprocess.run(argv, capture_output=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        reason = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[0]
        raise BuildError(f"{argv[0]} on {argv[-1]}: {reason}")
    return done.stdout.decode(errors="replace")


def partition_table(image: Path) -> dict[str, Any]:
    return json.loads(output(["sfdisk", "--json", str(image)]))["partitiontable"]


def probe(image: Path, offset: int) -> dict[str, str]:
    """blkid's view of the filesystem at OFFSET: TYPE, VERSION, LABEL..."""
    text = output(["blkid", "--probe", "--output", "export", "--offset", str(offset), str(image)])
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def fat_names(image: Path, part: Partition) -> list[str]:
    """The root directory's entries in directory order (long names)."""
    text = output(["mdir", "-i", f"{image}@@{part.start}", "-b", "::"], env=_MTOOLS_ENV)
    return [line.removeprefix("::/") for line in text.splitlines() if line.startswith("::/")]


def fat_read(image: Path, part: Partition, name: str, dest: Path) -> bytes:
    output(["mcopy", "-n", "-i", f"{image}@@{part.start}", f"::{name}", str(dest)], env=_MTOOLS_ENV)
    return dest.read_bytes()


def ext_used_ranges(image: Path, part: Partition) -> list[tuple[int, int]]:
    """Byte ranges of the blocks the ext filesystem marks in use (not its free list)."""
    text = output(["dumpe2fs", f"{image}?offset={part.start}"])
    block_size, block_count = _dumpe2fs_number(text, "Block size"), _dumpe2fs_number(text, "Block count")
    free = []
    for field in re.findall(r"^\s+Free blocks: (.*)$", text, re.M):
        for item in filter(None, (piece.strip() for piece in field.split(","))):
            first, _, last = item.partition("-")
            free.append((int(first), int(last or first) + 1))
    used, position = [], 0
    for first, stop in sorted(free) + [(block_count, block_count)]:
        if first > position:
            used.append((part.start + position * block_size, (first - position) * block_size))
        position = max(position, stop)
    return used


def _dumpe2fs_number(text: str, field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+)", text, re.M)
    if found is None:
        raise BuildError(f"dumpe2fs: no {field!r} in its output")
    return int(found.group(1))


@dataclass(frozen=True)
class ExtEntry:
    path: str
    type: str  # regular | directory | symlink | character special | block special | FIFO | socket
    mode: int
    uid: int
    gid: int
    size: int


def ext_stat_and_dump(
    image: Path, part: Partition, stat_paths: list[str], dump: dict[str, Path], workdir: Path
) -> dict[str, ExtEntry]:
    """One debugfs session: stat each path, dump some files to local paths.
    Paths missing from the filesystem are missing from the result."""
    commands = [f'stat "{path}"' for path in stat_paths]
    commands += [f'dump -p "{path}" "{dest}"' for path, dest in dump.items()]
    script = workdir / "debugfs.commands"
    script.write_text("\n".join(commands) + "\n")
    return _parse_stats(output(["debugfs", "-f", str(script), f"{image}?offset={part.start}"]))


_STAT_HEAD = re.compile(r"Type: (?P<type>[\w ]+?)\s+Mode:\s+(?P<mode>[0-7]+)")
_STAT_OWNER = re.compile(r"User:\s+(?P<uid>\d+)\s+Group:\s+(?P<gid>\d+).*?Size: (?P<size>\d+)")


def _parse_stats(text: str) -> dict[str, ExtEntry]:
    entries = {}
    for block in text.split("debugfs: ")[1:]:
        command, _, body = block.partition("\n")
        if not command.startswith("stat "):
            continue
        head, owner = _STAT_HEAD.search(body), _STAT_OWNER.search(body)
        if head is None or owner is None:
            continue
        path = command[len("stat ") :].strip().strip('"')
        entries[path] = ExtEntry(
            path, head["type"], int(head["mode"], 8), int(owner["uid"]), int(owner["gid"]), int(owner["size"])
        )
    return entries
