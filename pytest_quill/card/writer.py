"""Write a card image to a real card: refuse the wrong disk, ask consent, then
`bmaptool copy --bmap card.bmap card.img DEVICE`: only the ranges the map lists
(the image's holes are don't-care by construction, see diskimage), each checked
against the map's checksum as it is read from the image; then read those ranges
back from the device and check them against the same map.

Refusals, a missing consent and a missing map are InputErrors raised before a
byte is written; an image that differs from its map is a VerifyError, raised
before asking (the whole image is read against the map first: bmaptool's own
check would stop only at the bad range, with the card partly written); a
failing card is a BenchError naming the range and the offset.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BenchError, InputError, QuillError, VerifyError
from ..formats import bmap
from ..formats.terminal import strip_ansi
from ..proc import die_with_parent
from ..profile import Profile
from . import blockdev

BMAPTOOL = "bmaptool"
# bmaptool --debug's line per batch written; its only progress output off a terminal.
WROTE = re.compile(r"wrote (\d+) blocks out of (\d+)")
MISMATCH = re.compile(r"checksum mismatch for blocks range (\d+)-(\d+)")
Progress = Callable[[str, int, int], None]  # (phase "write"|"verify", done bytes, total bytes)


@dataclass(frozen=True)
class WriteReport:
    device: str
    image_bytes: int
    written_bytes: int  # the bytes card.bmap maps
    ranges: int
    sha256: str  # of the written ranges, as read back from the device
    seconds: float
    bmap: str = ""


def write_card(
    image: Path,
    device: str | Path,
    profile: Profile,
    *,
    confirm: str | None = None,
    prompt: Callable[[str], bool] | None = None,
    progress: Progress | None = None,
    sysfs_root: Path = blockdev.SYS,
    proc_root: Path = blockdev.PROC,
    dev_root: Path = blockdev.DEV,
    allow_files: bool = False,
) -> WriteReport:
    """--quill-sd-device DEVICE [--quill-sd-confirm SERIAL|SIZE]: the whole path."""
    target = check_target(
        image,
        device,
        profile,
        sysfs_root=sysfs_root,
        proc_root=proc_root,
        dev_root=dev_root,
        allow_files=allow_files,
    )
    check_image(image, block_map(image))  # a missing, foreign or unmet map: before asking
    require_consent(target, confirm, prompt)
    return write_image(image, target.node, progress=progress)


def check_target(
    image: Path,
    device: str | Path,
    profile: Profile,
    *,
    sysfs_root: Path = blockdev.SYS,
    proc_root: Path = blockdev.PROC,
    dev_root: Path = blockdev.DEV,
    allow_files: bool = False,
) -> blockdev.BlockDevice:
    target = blockdev.inspect(device, sysfs_root=sysfs_root, dev_root=dev_root, allow_files=allow_files)
    reason = blockdev.refusal(
        target, profile.sdcard, image.stat().st_size, proc_root=proc_root, dev_root=dev_root
    )
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


def require_consent(
    target: blockdev.BlockDevice, confirm: str | None, prompt: Callable[[str], bool] | None
) -> None:
    """--quill-sd-confirm must name the device's serial or size; else ask PROMPT."""
    accepted = {value for value in (target.serial, str(target.size_bytes)) if value}
    if confirm is not None:
        if confirm.strip() in accepted:
            return
        raise InputError(
            f"refusing {target.describe()}: --quill-sd-confirm {confirm} matches "
            "neither its serial nor its size in bytes"
        )
    question = (
        f"Erase {target.path} ({target.model or 'unknown model'}, "
        f"{target.size_bytes / 1e9:.1f} GB) and write the card image? "
    )
    if prompt is not None and prompt(question):
        return
    raise InputError(
        f"refusing {target.describe()}: no consent; rerun with --quill-sd-confirm "
        f"{target.serial or target.size_bytes}" + (f" (or {target.size_bytes})" if target.serial else "")
    )


def block_map(image: Path) -> bmap.BlockMap:
    """The image's map (card.bmap beside card.img), checked to be this image's size."""
    path = bmap.beside(image)
    if not path.is_file():
        raise InputError(
            f"{image}: no {path.name} beside it; the card recipe writes one "
            f"(bmaptool create -o {path.name} {image.name})"
        )
    try:
        found = bmap.read(path)
    except ValueError as error:
        raise InputError(str(error)) from None
    if found.image_size != image.stat().st_size:
        raise InputError(
            f"{path}: maps an image of {found.image_size} bytes, {image} has "
            f"{image.stat().st_size}: not this image's map"
        )
    return found


def check_image(image: Path, mapping: bmap.BlockMap) -> None:
    """VerifyError naming the first range of IMAGE that differs from its map."""
    with open(image, "rb") as source:
        try:
            mismatches, _ = bmap.check(source.fileno(), mapping)
        except OSError as error:
            raise VerifyError(f"{image}: {error}; not written") from None
    if mismatches:
        more = f" (and {len(mismatches) - 1} more ranges)" if len(mismatches) > 1 else ""
        raise VerifyError(
            f"{image}: {mismatches[0].range.describe()} differ from "
            f"{mapping.path.name}'s checksum{more}; nothing written"
        )


def write_ranges(image: Path) -> list[tuple[int, int]]:
    """The byte ranges written to the card: the ones card.bmap maps."""
    return block_map(image).byte_ranges()


def write_image(image: Path, node: Path, *, progress: Progress | None = None) -> WriteReport:
    """bmaptool copy IMAGE to NODE through its map, then read the ranges back."""
    started = time.monotonic()
    mapping = block_map(image)
    report = progress or (lambda phase, done, whole: None)
    bmaptool_copy(image, mapping, node, report)
    found = verify_written(image, mapping, node, report)
    return WriteReport(
        str(node),
        image.stat().st_size,
        mapping.mapped_bytes,
        len(mapping.ranges),
        found,
        time.monotonic() - started,
        str(mapping.path),
    )


def bmaptool_copy(image: Path, mapping: bmap.BlockMap, node: Path, report: Progress) -> None:
    """bmaptool copy: it opens a block device O_EXCL (refused while anything holds
    it), checks each range of the image against the map, writes it and syncs.
    A regular file as NODE is truncated to the image first (bmaptool's rule)."""
    total = mapping.mapped_bytes
    argv = [BMAPTOOL, "--debug", "copy", "--bmap", str(mapping.path), str(image), str(node)]
    try:
        tool = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            preexec_fn=die_with_parent,
        )
    except OSError as error:
        raise InputError(
            f"{BMAPTOOL}: cannot run it ({error.strerror}); install Debian's "
            "bmap-tools (scripts/apt-packages.txt)"
        ) from None
    lines, done = [], 0
    for line in tool.stderr or ():  # a pipe: always there
        lines.append(strip_ansi(line.rstrip()))
        wrote = WROTE.search(line)
        if wrote:
            blocks, whole = int(wrote.group(1)), int(wrote.group(2))
            done = total if blocks == whole else blocks * mapping.block_size
            report("write", done, total)
    if tool.wait() != 0:
        raise _copy_error(image, mapping, node, lines)
    if done != total:
        report("write", total, total)


def _copy_error(image: Path, mapping: bmap.BlockMap, node: Path, lines: list[str]) -> QuillError:
    text = "\n".join(lines)
    mismatch = MISMATCH.search(text)
    if mismatch:
        first, last = int(mismatch.group(1)), int(mismatch.group(2))
        item = next((r for r in mapping.ranges if (r.first, r.last) == (first, last)), None)
        where = item.describe() if item else f"blocks {first}-{last}"
        return VerifyError(
            f"{image}: {where} differ from {mapping.path.name}'s checksum; "
            f"bmaptool stopped there, {node} is partly written"
        )
    return BenchError(f"{node}: write failed: {BMAPTOOL}: {_tool_error(lines)}")


def _tool_error(lines: list[str]) -> str:
    """bmaptool's own error, else the last line of its traceback."""
    marker = "bmaptool: ERROR: "
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.startswith(marker) and "here is the traceback" not in line:
            rest = [more for more in lines[index + 1 :] if more and not more.startswith("bmap")]
            return " ".join([line[len(marker) :].rstrip(":"), *rest[:1]])
    return next((line for line in reversed(lines) if line.strip()), "no output")


def verify_written(image: Path, mapping: bmap.BlockMap, node: Path, report: Progress | None = None) -> str:
    """Read the mapped ranges back from NODE past the page cache and check each
    against the map; the sha256 of all of them. A range that differs is named
    with the offset of its first differing byte."""
    report = report or (lambda phase, done, whole: None)
    try:
        device = os.open(node, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        raise BenchError(f"{node}: cannot open to read back: {error.strerror}") from None
    try:
        os.posix_fadvise(device, 0, 0, os.POSIX_FADV_DONTNEED)
        mismatches, digest = bmap.check(
            device, mapping, progress=lambda done, whole: report("verify", done, whole)
        )
        if mismatches:
            item = mismatches[0].range
            more = f" (and {len(mismatches) - 1} more ranges)" if len(mismatches) > 1 else ""
            raise BenchError(
                f"{node}: read back differs from {mapping.path.name} in "
                f"{item.describe()}, first at offset "
                f"{_first_difference(image, device, item)}{more}"
            )
    except OSError as error:
        raise BenchError(f"{node}: {error}") from None
    finally:
        os.close(device)
    return digest


def _first_difference(image: Path, device: int, item: bmap.Range) -> int:
    with open(image, "rb") as source:
        for offset in range(item.start, item.end, bmap.CHUNK):
            length = min(bmap.CHUNK, item.end - offset)
            want, got = os.pread(source.fileno(), length, offset), os.pread(device, length, offset)
            if want != got:
                return offset + next(i for i, (a, b) in enumerate(zip(want, got + bytes(length))) if a != b)
    return item.start
