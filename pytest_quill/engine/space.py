"""Disk full, said in one line: which path, how much space there is, how much was written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device", as tools print it


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def disk_full_line(path: Path, said: str | None = None, written: int | None = None) -> str:
    """Disk full at PATH (or as a tool SAID it, PATH being where it ran), with the
    free space there; and, when the build's WRITTEN bytes are known (its staging
    folder, removed by now), that it needs more than that."""
    where = _existing(Path(path))
    try:
        stat = os.statvfs(where)
    except OSError as exc:
        space = f"free space unknown: {exc.strerror}"
    else:
        space = (
            f"{size(stat.f_bavail * stat.f_frsize)} free of "
            f"{size(stat.f_blocks * stat.f_frsize)} on {mount_point(where)}"
            + (", no inode left" if stat.f_files and not stat.f_favail else "")
        )
    if said:
        return f"disk full: {said} ({space}, where {path} is)"
    if written:
        return (
            f"disk full writing {path}: the build had written {size(written)} when the "
            f"disk filled and needs more; {space} once its staging folder is removed"
        )
    return f"disk full writing {path}: {space}"


def size(count: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.1f} {unit}"
    return f"{count} bytes"


def folder_bytes(folder: Path) -> int:
    """Bytes a folder's files take on the disk (what removing it gives back)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def mount_point(path: Path) -> Path:
    path = _existing(Path(path)).resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
