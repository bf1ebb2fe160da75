"""Write a card image to a real card: refuse the wrong disk, ask consent, write
only the image's data (its holes are don't-care by construction, see
diskimage), fsync, read back from the device and compare.

Refusals and a missing consent are InputErrors raised before a byte is
written; a failing card is a BenchError naming the offset.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import BenchError, InputError
from ..profile import Profile
from . import blockdev
from . import image as diskimage

CHUNK = 4 << 20
ALIGN = 4096  # device writes in whole pages
Progress = Callable[[str, int, int], None]  # (phase "write"|"verify", done bytes, total bytes)


@dataclass(frozen=True)
class WriteReport:
    device: str
    image_bytes: int
    written_bytes: int
    ranges: int
    sha256: str  # of the written ranges, as read back from the device
    seconds: float


def write_card(image: Path, device: str | Path, profile: Profile, *, confirm: str | None = None,
               prompt: Callable[[str], bool] | None = None, progress: Progress | None = None,
               sysfs_root: Path = blockdev.SYS, proc_root: Path = blockdev.PROC,
               dev_root: Path = blockdev.DEV, allow_files: bool = False) -> WriteReport:
    """--quill-sd-device DEVICE [--quill-sd-confirm SERIAL|SIZE]: the whole path."""
    target = check_target(image, device, profile, sysfs_root=sysfs_root, proc_root=proc_root,
                          dev_root=dev_root, allow_files=allow_files)
    require_consent(target, confirm, prompt)
    return write_image(image, target.node, progress=progress, exclusive=target.is_block)


def check_target(image: Path, device: str | Path, profile: Profile, *,
                 sysfs_root: Path = blockdev.SYS, proc_root: Path = blockdev.PROC,
                 dev_root: Path = blockdev.DEV, allow_files: bool = False) -> blockdev.BlockDevice:
    target = blockdev.inspect(device, sysfs_root=sysfs_root, dev_root=dev_root,
                              allow_files=allow_files)
    reason = blockdev.refusal(target, profile.sdcard, image.stat().st_size,
                              proc_root=proc_root, dev_root=dev_root)
    if reason:
        raise InputError(reason)
    return target


def check_target_early(device: str | Path, profile: Profile) -> blockdev.BlockDevice:
    """check_target before the image exists, against the image size the profile makes."""
    target = blockdev.inspect(device)
    reason = blockdev.refusal(target, profile.sdcard, profile.sdcard.image_mib << 20)
    if reason:
        raise InputError(reason)
    return target


def require_consent(target: blockdev.BlockDevice, confirm: str | None,
                    prompt: Callable[[str], bool] | None) -> None:
    """--quill-sd-confirm must name the device's serial or size; else ask PROMPT."""
    accepted = {value for value in (target.serial, str(target.size_bytes)) if value}
    if confirm is not None:
        if confirm.strip() in accepted:
            return
        raise InputError(f"refusing {target.describe()}: --quill-sd-confirm {confirm} matches "
                         "neither its serial nor its size in bytes")
    question = (f"Erase {target.path} ({target.model or 'unknown model'}, "
                f"{target.size_bytes / 1e9:.1f} GB) and write the card image? ")
    if prompt is not None and prompt(question):
        return
    raise InputError(f"refusing {target.describe()}: no consent; rerun with --quill-sd-confirm "
                     f"{target.serial or target.size_bytes}"
                     + (f" (or {target.size_bytes})" if target.serial else ""))


def write_ranges(image: Path) -> list[tuple[int, int]]:
    """The image's data, rounded out to whole pages and merged."""
    with open(image, "rb") as handle:
        data = diskimage.data_ranges(handle.fileno())
    size = image.stat().st_size
    merged: list[tuple[int, int]] = []
    for start, length in data:
        begin = start // ALIGN * ALIGN
        end = min(size, -(-(start + length) // ALIGN) * ALIGN)
        if merged and begin <= sum(merged[-1]):
            previous = merged.pop()
            begin, end = previous[0], max(end, sum(previous))
        merged.append((begin, end - begin))
    return merged


def write_image(image: Path, node: Path, *, progress: Progress | None = None,
                exclusive: bool = True) -> WriteReport:
    """Write IMAGE's data ranges to NODE, fsync, read them back and compare."""
    started = time.monotonic()
    ranges = write_ranges(image)
    total = sum(length for _, length in ranges)
    report = progress or (lambda phase, done, whole: None)
    # O_EXCL on a block device: the kernel refuses it while anything holds the device.
    flags = os.O_WRONLY | os.O_CLOEXEC | (os.O_EXCL if exclusive else 0)
    with open(image, "rb") as source:
        expected = _copy(source.fileno(), node, flags, ranges, total, report)
    found = _hash_back(node, ranges, total, report)
    for (start, wrote), (_, read) in zip(expected[1], found[1]):
        if wrote != read:
            raise BenchError(f"{node}: read back differs from {image} in the range at offset "
                             f"{start}")
    return WriteReport(str(node), image.stat().st_size, total, len(ranges), found[0],
                       time.monotonic() - started)


def _copy(source: int, node: Path, flags: int, ranges, total: int, report: Progress):
    """Write the ranges; the image's per-range digests, for the read-back."""
    try:
        device = os.open(node, flags)
    except OSError as error:
        raise BenchError(f"{node}: cannot open for writing: {error.strerror}") from None
    whole, digests, done = hashlib.sha256(), [], 0
    try:
        for start, length in ranges:
            digest = hashlib.sha256()
            for offset, block in _blocks(source, start, length, "image"):
                _write_all(device, block, offset, node)
                digest.update(block)
                whole.update(block)
                done += len(block)
                report("write", done, total)
            digests.append((start, digest.hexdigest()))
        os.fsync(device)
    except OSError as error:
        raise BenchError(f"{node}: fsync failed: {error.strerror}") from None
    finally:
        os.close(device)
    return whole.hexdigest(), digests


def _write_all(device: int, block: bytes, offset: int, node: Path) -> None:
    view = memoryview(block)
    while view:
        try:
            count = os.pwrite(device, view, offset)
        except OSError as error:
            raise BenchError(f"{node}: write failed at offset {offset}: {error.strerror}") \
                from None
        if count == 0:
            raise BenchError(f"{node}: write failed at offset {offset}: no space left")
        view, offset = view[count:], offset + count


def _hash_back(node: Path, ranges, total: int, report: Progress):
    """The same digests, read from the device past the page cache."""
    device = os.open(node, os.O_RDONLY | os.O_CLOEXEC)
    whole, digests, done = hashlib.sha256(), [], 0
    try:
        os.posix_fadvise(device, 0, 0, os.POSIX_FADV_DONTNEED)
        for start, length in ranges:
            digest = hashlib.sha256()
            for _, block in _blocks(device, start, length, str(node)):
                digest.update(block)
                whole.update(block)
                done += len(block)
                report("verify", done, total)
            digests.append((start, digest.hexdigest()))
    finally:
        os.close(device)
    return whole.hexdigest(), digests


def _blocks(fd: int, start: int, length: int, name: str):
    offset, end = start, start + length
    while offset < end:
        try:
            block = os.pread(fd, min(CHUNK, end - offset), offset)
        except OSError as error:
            raise BenchError(f"{name}: read failed at offset {offset}: {error.strerror}") \
                from None
        if not block:
            raise BenchError(f"{name}: read failed at offset {offset}: end of data")
        yield offset, block
        offset += len(block)
