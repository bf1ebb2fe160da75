"""Rootfs artifact timings: two cold builds (each on a fresh cache) and a warm
rerun (cache hit), with the tarball's size and whether the bytes repeat.

    .venv/bin/python benchmarks/rootfs.py [--profile qemu-virt] [--backend host|docker]

Prints wall seconds and sizes; writes reports/benchmarks/rootfs-PROFILE.json. Needs
Debian's archive (the packages are downloaded on every cold build).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from figures import save

from pytest_quill.engine import backends
from pytest_quill.engine.cache import Cache
from pytest_quill.engine.context import Artifact
from pytest_quill.engine.produce import build_or_reuse, key_of
from pytest_quill.profile import load_profile
from pytest_quill.rootfs import recipe as rootfs
from pytest_quill.rootfs import verify as rootfs_verify

PROJECT = Path(__file__).resolve().parent.parent
RECIPE = rootfs.RECIPE


def produce(profile, backend, cache: Cache, log: Path) -> Artifact:
    """The plugin's own step for one artifact: reuse by key, else build and publish."""
    key = key_of(RECIPE, profile, backend, {}, PROJECT)
    return build_or_reuse(
        RECIPE,
        key,
        profile=profile,
        backend=backend,
        cache=cache,
        deps={},
        log=log,
        jobs=2,
        work_root=cache.root / "work",
        project_root=PROJECT,
    )


def timed(label: str, action) -> tuple[dict, Artifact]:
    start = time.monotonic()
    artifact = action()
    seconds = round(time.monotonic() - start, 2)
    print(
        f"{label:<22} {seconds:>8.2f} s  ({artifact.status}, sha256 {artifact.meta.sha256[:16]})",
        flush=True,
    )
    return {
        "phase": label,
        "seconds": seconds,
        "status": artifact.status,
        "sha256": artifact.meta.sha256,
    }, artifact


def sizes(artifact: Artifact) -> dict:
    manifest = artifact.file(rootfs.MANIFEST).read_text().splitlines()
    return {
        "compressed_bytes": artifact.meta.compressed_bytes,
        "uncompressed_file_bytes": sum(int(line.split("\t")[2]) for line in manifest),
        "entries": artifact.meta.entries,
        "libc_min_kernel": artifact.meta.libc_min_kernel,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="qemu-virt")
    parser.add_argument("--backend", default="host", choices=("host", "docker"))
    args = parser.parse_args()
    profile = load_profile(args.profile, directory=PROJECT / "hardware_profiles")
    scratch = Path(tempfile.mkdtemp(prefix="rootfs-bench-"))
    backend = backends.make(backends.resolve(args.backend), PROJECT, scratch, scratch / "docker")
    try:
        first_cache, second_cache = Cache(scratch / "cache1"), Cache(scratch / "cache2")
        cold1, first = timed(
            "cold build 1", lambda: produce(profile, backend, first_cache, scratch / "cold1.log")
        )
        warm, _ = timed(
            "warm (cache hit)", lambda: produce(profile, backend, first_cache, scratch / "warm.log")
        )
        cold2, _ = timed(
            "cold build 2", lambda: produce(profile, backend, second_cache, scratch / "cold2.log")
        )
        result = {
            "profile": profile.name,
            "backend": backend.name,
            "phases": [cold1, warm, cold2],
            **sizes(first),
            "same_sha256_over_cold_builds": cold1["sha256"] == cold2["sha256"],
            "verify_problems": rootfs_verify.verify(first, profile),
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"tarball {result['compressed_bytes']:,} B compressed, "
        f"{result['uncompressed_file_bytes']:,} B of files, {result['entries']} entries; "
        f"same sha256 over two cold builds: {result['same_sha256_over_cold_builds']}; "
        f"verify: {result['verify_problems'] or 'passes'}"
    )
    save(f"rootfs-{profile.name}", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
