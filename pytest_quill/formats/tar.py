"""A deterministic tar.gz of a directory tree: the same tree gives the same bytes.

Entries sorted by path, one fixed mtime, numeric owner 0:0 with no names,
gzip without a file name and with mtime 0. Device nodes come only from the
project's own list (written as entries: no root needed to make them); the
tree's own device nodes, FIFOs and sockets are left out, whatever put them
there. No apt caches, docs, locales or man pages. Returns one `Entry` per member,
for the manifest kept beside the tarball.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import stat
import tarfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

MTIME = 0

# Never shipped, whatever the tree holds: package caches and documentation.
EXCLUDED = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/cache/debconf",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
    "usr/lib/locale",
)


@dataclass(frozen=True)
class Device:
    """A device node to write as a tar entry: type "char" or "block"."""

    path: str
    mode: int
    type: str
    major: int
    minor: int


@dataclass(frozen=True)
class Entry:
    """One member: a manifest.tsv line (sha256 is '-' for non-files)."""

    path: str
    mode: int
    size: int
    sha256: str
    type: str  # file | dir | symlink | char | block

    def line(self) -> str:
        return f"{self.path}\t{self.mode:04o}\t{self.size}\t{self.sha256}\t{self.type}\n"


def member_path(name: str) -> str:
    """A member's name as a path relative to the tree's root ("./bin/sh" -> "bin/sh")."""
    return posixpath.normpath("/" + name).lstrip("/")


def write(tree: Path, dest: Path, devices: tuple[Device, ...] = ()) -> list[Entry]:
    """Write tree (plus devices, which win over tree entries at their paths) to dest."""
    members = _tree_members(tree, skip={d.path for d in devices})
    members.update({d.path: _device_member(d) for d in devices})
    for parent in _missing_parents(members):
        members[parent] = _directory_member(parent)
    entries = []
    with (
        open(dest, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for path in sorted(members, key=lambda p: p.split("/")):
            info, source = members[path]
            data = source.read_bytes() if source else b""
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
            entries.append(_entry(info, data))
    return entries


def write_manifest(entries: list[Entry], dest: Path) -> None:
    dest.write_text("".join(entry.line() for entry in entries))


def excluded(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in EXCLUDED)


def _tree_members(tree: Path, skip: set[str]) -> dict[str, tuple[tarfile.TarInfo, Path | None]]:
    members = {}
    for folder, dirs, files in os.walk(tree):
        for name in dirs + files:
            full = Path(folder) / name
            path = full.relative_to(tree).as_posix()
            if path in skip or excluded(path):
                continue
            member = _member_of(full, path)
            if member:
                members[path] = member
        dirs[:] = [d for d in dirs if not excluded((Path(folder) / d).relative_to(tree).as_posix())]
    return members


def _member_of(full: Path, path: str) -> tuple[tarfile.TarInfo, Path | None] | None:
    """The normalised tar header of a file, folder or symlink; None for the rest."""
    st = full.lstat()
    info = _info(path, stat.S_IMODE(st.st_mode))
    if stat.S_ISLNK(st.st_mode):
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, os.readlink(full), 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISREG(st.st_mode):
        info.type, info.size = tarfile.REGTYPE, st.st_size
        return info, full
    else:
        return None
    return info, None


def _device_member(device: Device) -> tuple[tarfile.TarInfo, None]:
    info = _info(device.path, device.mode)
    info.type = {"char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE}[device.type]
    info.devmajor, info.devminor = device.major, device.minor
    return info, None


def _directory_member(path: str) -> tuple[tarfile.TarInfo, None]:
    info = _info(path, 0o755)
    info.type = tarfile.DIRTYPE
    return info, None


def _missing_parents(members: Collection[str]) -> set[str]:
    parents: set[str] = set()
    for path in members:
        parts = path.split("/")
        parents.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return parents - set(members)


def _info(path: str, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.mode, info.mtime = mode, MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


_TYPE_NAMES = {
    tarfile.REGTYPE: "file",
    tarfile.DIRTYPE: "dir",
    tarfile.SYMTYPE: "symlink",
    tarfile.CHRTYPE: "char",
    tarfile.BLKTYPE: "block",
}


def _entry(info: tarfile.TarInfo, data: bytes) -> Entry:
    digest = hashlib.sha256(data).hexdigest() if info.isreg() else "-"
    return Entry(info.name, info.mode, info.size, digest, _TYPE_NAMES[info.type])
