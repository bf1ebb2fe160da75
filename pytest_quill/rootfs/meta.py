"""What a rootfs build records (its meta.json, engine/meta.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.meta import RecipeMeta


@dataclass(frozen=True)
class RootfsMeta(RecipeMeta):
    arch: str  # the Debian architecture: armhf, armel
    sha256: str  # of rootfs.tar.gz
    compressed_bytes: int  # rootfs.tar.gz's size
    entries: int  # the tarball's members (manifest.tsv's lines)
    backend: str  # what built it: host, docker
    libc_min_kernel: str  # the oldest kernel its libc runs on; "" when unknown
    suite: str  # Debian's: bookworm
    userland: str  # rootfs.userland
    packages: tuple[str, ...]  # installed: "name version arch"
    build_packages: tuple[str, ...]  # used to build it, not installed
    dev_method: str  # how /dev is filled: mdev, devtmpfs...
