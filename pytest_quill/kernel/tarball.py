"""Kernel sources given as a tarball (.tar.xz, .tar.gz): what names one, and
the kernel's top folder inside it once unpacked.

Its identity is the sha256 of its bytes (kernel/tree.py), hashed by every
process that asks: 52 MB take about 0.2 s. Nothing remembers it by path, size
or mtime, which a file changed in place can keep.
"""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2")
TOP_DEPTH = 3  # nst-kernel/src is two levels down


def is_tarball(source: str) -> bool:
    return source.endswith(SUFFIXES)


def is_kernel_top(folder: Path) -> bool:
    """A kernel tree's top folder: Makefile, arch/, and Kconfig (3.x on) or Kbuild
    (2.6.x has no top-level Kconfig: its root is arch/$ARCH/Kconfig)."""
    return (
        (folder / "Makefile").is_file()
        and (folder / "arch").is_dir()
        and ((folder / "Kconfig").is_file() or (folder / "Kbuild").is_file())
    )


def find_top(unpacked: Path, depth: int = TOP_DEPTH) -> Path | None:
    """The shallowest kernel top folder under UNPACKED (e.g. nst-kernel/src), None if none."""
    level = [unpacked]
    for _ in range(depth + 1):
        tops = [folder for folder in level if is_kernel_top(folder)]
        if tops:
            return sorted(tops)[0]
        level = sorted(
            child
            for folder in level
            for child in folder.iterdir()
            if child.is_dir() and not child.is_symlink()
        )
    return None
