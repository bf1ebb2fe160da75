"""bmaptool's block map (`bmaptool create`, format 1.x and 2.x): the image's size,
its block size, and the ranges of blocks that hold data, each with a checksum.
`bmaptool copy` writes only those ranges; `check` reads them back from any file
or device and names the ranges whose checksum differs.
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CHUNK = 4 << 20


@dataclass(frozen=True)
class Range:
    first: int  # block numbers, both included
    last: int
    checksum: str | None
    start: int  # bytes
    end: int  # bytes, excluded (the image's end for its last block)

    def describe(self) -> str:
        return f"blocks {self.first}-{self.last} (bytes {self.start}-{self.end - 1})"


@dataclass(frozen=True)
class BlockMap:
    path: Path
    version: str
    image_size: int
    block_size: int
    blocks: int
    checksum_type: str  # sha256 (format 2), sha1 (format 1)
    ranges: tuple[Range, ...]

    @property
    def mapped_bytes(self) -> int:
        return sum(r.end - r.start for r in self.ranges)

    def byte_ranges(self) -> list[tuple[int, int]]:
        """(offset, length) of each mapped range."""
        return [(r.start, r.end - r.start) for r in self.ranges]


@dataclass(frozen=True)
class Mismatch:
    range: Range
    found: str  # the checksum of what was read


def beside(image: Path) -> Path:
    """Where bmaptool looks for an image's map: card.bmap beside card.img."""
    return image.with_suffix(".bmap")


def read(path: Path) -> BlockMap:
    """The map in PATH; ValueError naming the file when it is not a sound map
    or its own checksum (BmapFileChecksum) does not match its text."""
    try:
        text = path.read_text()
        root = ElementTree.fromstring(text)
        version = root.get("version", "")
        image_size = _number(root, "ImageSize")
        block_size = _number(root, "BlockSize")
        blocks = _number(root, "BlocksCount")
        kind = (root.findtext("ChecksumType") or "sha1").strip()
        ranges = tuple(_range(item, block_size, image_size, kind) for item in root.iter("Range"))
    except (ElementTree.ParseError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a block map bmaptool wrote: {error}") from None
    if root.tag != "bmap" or not version.startswith(("1.", "2.")) or block_size <= 0:
        raise ValueError(f"{path}: not a bmap of format 1.x or 2.x ({root.tag} {version})")
    _check_own_checksum(path, text, root, kind)
    return BlockMap(path, version, image_size, block_size, blocks, kind, ranges)


def _number(root: ElementTree.Element, tag: str) -> int:
    text = root.findtext(tag)
    if text is None:
        raise ValueError(f"no {tag}")
    return int(text)


def _check_own_checksum(path: Path, text: str, root: ElementTree.Element, kind: str) -> None:
    """bmaptool's checksum of the map: taken with its own value written as zeros."""
    field, kind = (
        ("BmapFileChecksum", kind) if root.find("BmapFileChecksum") is not None else ("BmapFileSHA1", "sha1")
    )
    stated = (root.findtext(field) or "").strip()
    if not stated:
        return  # format 1.0-1.2 has none
    found = hashlib.new(kind, text.replace(stated, "0" * len(stated), 1).encode()).hexdigest()
    if found != stated:
        raise ValueError(
            f"{path}: the map's own {kind} is {found}, it states {stated}: "
            "the map was changed after bmaptool wrote it"
        )


def _range(item: ElementTree.Element, block_size: int, image_size: int, kind: str) -> Range:
    text = (item.text or "").strip()
    first_text, _, last_text = text.partition("-")
    first, last = int(first_text), int(last_text or first_text)
    checksum = item.get("chksum") or item.get("sha1")
    if checksum is not None and kind not in hashlib.algorithms_available:
        raise ValueError(f"checksum type {kind} unknown")
    return Range(first, last, checksum, first * block_size, min((last + 1) * block_size, image_size))


def check(
    fd: int, block_map: BlockMap, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Mismatch], str]:
    """Read every mapped range of the open file FD; the ranges whose checksum
    differs from the map's, and the sha256 of all the mapped bytes read.
    A failed or short read is an OSError naming the offset."""
    whole, mismatches, done = hashlib.sha256(), [], 0
    for item in block_map.ranges:
        digest = hashlib.new(block_map.checksum_type)
        for offset in range(item.start, item.end, CHUNK):
            length = min(CHUNK, item.end - offset)
            try:
                block = os.pread(fd, length, offset)
            except OSError as error:
                raise OSError(f"read failed at offset {offset}: {error.strerror}") from None
            if len(block) != length:
                raise OSError(
                    f"read failed at offset {offset}: {len(block)} of {length} bytes, the end of the data"
                )
            digest.update(block)
            whole.update(block)
            done += length
            if progress:
                progress(done, block_map.mapped_bytes)
        if item.checksum and digest.hexdigest() != item.checksum:
            mismatches.append(Mismatch(item, digest.hexdigest()))
    return mismatches, whole.hexdigest()
