"""Which state of a Debian suite a rootfs was built from: the sha256 of the
suite's package index for one architecture, read from the mirror's InRelease.

A new package version in the suite changes that index, so it belongs in the
rootfs cache key: a tree cached before the change is not reused after it.
Offline, the digest last seen for the same mirror, suite and architecture is
used (a laptop away from the network still reuses its rootfs); never seen
and unreachable, the key says so and the build itself reports the mirror.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..engine.cache import default_cache

TIMEOUT_S = 15


def index_digests(mirror: str, suite: str, arches: tuple[str, ...], memory: Path | None = None) -> list[str]:
    """For each architecture, the sha256 of dists/SUITE/main/binary-ARCH/Packages.xz
    as InRelease lists it, from one fetch of InRelease."""
    try:
        text = _fetch(f"{mirror}/dists/{suite}/InRelease")
    except (urllib.error.URLError, OSError):
        return [last_seen(mirror, suite, arch, memory) for arch in arches]
    digests = {arch: packages_sha256(text, arch) for arch in arches}
    for arch, digest in digests.items():
        if digest:
            _remember(_memory_file(mirror, suite, arch, memory), digest)
    return [digests[arch] or "no index" for arch in arches]


def last_seen(mirror: str, suite: str, arch: str, memory: Path | None = None) -> str:
    """The digest the last index_digests call saw, without asking the mirror."""
    remembered = _memory_file(mirror, suite, arch, memory)
    return remembered.read_text().strip() if remembered.is_file() else "unreachable"


def packages_sha256(inrelease: str, arch: str) -> str | None:
    """The SHA256 section's entry for main/binary-ARCH/Packages.xz, None when absent."""
    wanted = f"main/binary-{arch}/Packages.xz"
    in_sha256 = False
    for line in inrelease.splitlines():
        if not line.startswith(" "):
            in_sha256 = line.strip() == "SHA256:"
            continue
        fields = line.split()
        if in_sha256 and len(fields) == 3 and fields[2] == wanted:
            return fields[0]
    return None


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return response.read().decode(errors="replace")


def _memory_file(mirror: str, suite: str, arch: str, memory: Path | None) -> Path:
    name = hashlib.sha256(f"{mirror} {suite} {arch}".encode()).hexdigest()[:16]
    return (memory or Path(default_cache()) / "debian-index") / name


def _remember(path: Path, digest: str) -> None:
    """Written whole or not at all: a reader never sees half a digest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(digest + "\n")
    os.replace(partial, path)
