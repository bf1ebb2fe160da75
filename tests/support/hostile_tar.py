"""Hostile tar archives, built with tarfile, and a listing of a folder that
says whether anything in it changed (contents, modes, owners, link targets)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Member:
    """One member to write: NAME as it is stored (absolute or with `..` on purpose)."""

    name: str
    kind: str = "file"  # file | dir | symlink | hardlink | char | block | fifo
    data: bytes = b"pwned\n"
    link: str = ""
    mode: int = 0o644
    uid: int = 0

    def info(self) -> tarfile.TarInfo:
        info = tarfile.TarInfo(self.name)
        info.mode, info.uid, info.gid = self.mode, self.uid, self.uid
        info.type = {
            "file": tarfile.REGTYPE,
            "dir": tarfile.DIRTYPE,
            "symlink": tarfile.SYMTYPE,
            "hardlink": tarfile.LNKTYPE,
            "char": tarfile.CHRTYPE,
            "block": tarfile.BLKTYPE,
            "fifo": tarfile.FIFOTYPE,
        }[self.kind]
        info.linkname = self.link
        if self.kind in ("char", "block"):
            info.devmajor, info.devminor = 1, 3
        if self.kind == "file":
            info.size = len(self.data)
        return info


def write_tar(path: Path, members: list[Member], mode: str = "w") -> Path:
    """The archive at PATH ("w:xz", "w:gz" or "w" for a plain tar), in pax format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            info = member.info()
            archive.addfile(info, io.BytesIO(member.data) if info.isreg() else None)
    return path


def listing(folder: Path) -> dict[str, tuple]:
    """Every entry under FOLDER (and FOLDER itself): type, mode, owner, content or target."""
    found = {".": _describe(folder)}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            found[str(path.relative_to(folder))] = _describe(path)
    return found


def _describe(path: Path) -> tuple:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        content: object = os.readlink(path)
    elif stat.S_ISREG(info.st_mode):
        content = path.read_bytes()
    else:
        content = None
    return (
        stat.S_IFMT(info.st_mode),
        stat.S_IMODE(info.st_mode),
        info.st_uid,
        info.st_gid,
        info.st_nlink,
        content,
    )


def sentinel(folder: Path) -> Path:
    """A folder outside every destination, with what a hostile archive would aim at."""
    (folder / "sub").mkdir(parents=True)
    (folder / "secret").write_text("keep me\n")
    (folder / "victim.c").write_text("/* a file a stale-file sweep would delete */\n")
    (folder / "Makefile").write_text("obj-y += mine/\n")
    (folder / "Kconfig").write_text('menu "Mine"\nendmenu\n')
    (folder / "sub" / "file").write_text("deep\n")
    return folder


def climb(dest_depth: int, target: Path) -> str:
    """A relative name that leaves a folder DEST_DEPTH levels below / for TARGET."""
    return "../" * (dest_depth + 2) + str(target).lstrip("/")
