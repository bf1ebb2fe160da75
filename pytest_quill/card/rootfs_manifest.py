"""The rootfs artifact's manifest.tsv, and an entry of it held against what
debugfs finds on the card's partition 2 (card read-back, gate 3)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .image import ExtEntry

# debugfs's type names -> the manifest's, with the manifest's spellings accepted.
EXT_TYPES = {
    "regular": "file",
    "directory": "dir",
    "symlink": "symlink",
    "character special": "char",
    "block special": "block",
    "FIFO": "fifo",
    "socket": "socket",
}
MANIFEST_TYPES = {
    "f": "file",
    "reg": "file",
    "regular": "file",
    "hardlink": "file",
    "d": "dir",
    "directory": "dir",
    "l": "symlink",
    "link": "symlink",
    "c": "char",
    "chr": "char",
    "b": "block",
    "blk": "block",
    "p": "fifo",
    "s": "socket",
}


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # absolute in the root filesystem ("/bin/sh")
    mode: int  # permission bits
    size: int
    sha256: str  # "-" or "" for what has no content (a folder, a link, a device)
    type: str  # file | dir | symlink | char | block | fifo | socket

    def fault(self, found: ExtEntry | None, dumped: Path | None) -> str:
        """How the card's entry differs ("missing", "with another mode"...), or "ok"."""
        if found is None:
            return "missing"
        if EXT_TYPES.get(found.type, found.type) != self.type:
            return "of another type"
        if self.type != "symlink" and found.mode & 0o7777 != self.mode:
            return "with another mode"
        if dumped is not None and (
            not dumped.is_file() or hashlib.sha256(dumped.read_bytes()).hexdigest() != self.sha256
        ):
            return "with another content"
        return "ok"


def read(path: Path) -> list[ManifestEntry]:
    """manifest.tsv: path, octal mode, size, sha256 or '-', type."""
    entries = []
    for line in path.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) < 5 or line.startswith("#") or fields[0] == "path":
            continue
        kind = fields[4].strip()
        entries.append(
            ManifestEntry(
                path="/" + fields[0].removeprefix(".").strip("/"),
                mode=int(fields[1], 8) & 0o7777,
                size=int(fields[2]),
                sha256=fields[3].strip(),
                type=MANIFEST_TYPES.get(kind, kind),
            )
        )
    return entries
