"""Kernel sources given as a tarball (.tar.xz, .tar.gz): its content identity,
and the kernel's top folder inside it once unpacked.

The identity is the sha256 of the tarball file, remembered on disk by path,
size and mtime (a 52 MB file is hashed once, not on every run and worker).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..digest import file_sha256
from ..engine.cache import default_cache

SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2")
MEMORY = "source-digests"  # under the default cache folder
TOP_DEPTH = 3  # nst-kernel/src is two levels down


def is_tarball(source: str) -> bool:
    return source.endswith(SUFFIXES)


def tarball_sha256(path: Path, memory: Path | None = None) -> str:
    """The sha256 of PATH, from the memory when its path, size and mtime are unchanged."""
    stat = path.stat()
    stamp = {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    folder = memory or Path(default_cache()) / MEMORY
    memo = folder / (hashlib.sha256(str(path).encode()).hexdigest()[:20] + ".json")
    try:
        saved = json.loads(memo.read_text())
        if {key: saved.get(key) for key in stamp} == stamp and saved.get("sha256"):
            return saved["sha256"]
    except (OSError, ValueError):
        pass
    digest = file_sha256(path)
    try:  # written whole (rename) or not at all: a reader never sees half a record
        folder.mkdir(parents=True, exist_ok=True)
        temporary = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({**stamp, "sha256": digest}))
        os.replace(temporary, memo)
    except OSError:
        pass  # a read-only cache only costs the hash next time
    return digest


def is_kernel_top(folder: Path) -> bool:
    """A kernel tree's top folder: Makefile, arch/, and Kconfig (3.x on) or Kbuild
    (2.6.x has no top-level Kconfig: its root is arch/$ARCH/Kconfig)."""
    return ((folder / "Makefile").is_file() and (folder / "arch").is_dir()
            and ((folder / "Kconfig").is_file() or (folder / "Kbuild").is_file()))


def find_top(unpacked: Path, depth: int = TOP_DEPTH) -> Path | None:
    """The shallowest kernel top folder under UNPACKED (e.g. nst-kernel/src), None if none."""
    level = [unpacked]
    for _ in range(depth + 1):
        tops = [folder for folder in level if is_kernel_top(folder)]
        if tops:
            return sorted(tops)[0]
        level = sorted(child for folder in level for child in folder.iterdir()
                       if child.is_dir() and not child.is_symlink())
    return None
