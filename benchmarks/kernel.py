"""Kernel artifact timings: cold build, warm rerun (cache hit), one module .c touched.

    .venv/bin/python benchmarks/kernel.py [--profile qemu-virt] [--set KEY=VALUE] [--cache DIR] [--jobs 2]

A cold build needs a fresh --cache (the default is a new folder under
reports/benchmarks/). Prints wall seconds and sizes; writes
reports/benchmarks/kernel-PROFILE.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from figures import FOLDER, save

from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache
from pytest_quill.engine.context import Artifact
from pytest_quill.engine.produce import build_or_reuse, key_of
from pytest_quill.kernel.integration import MODULES_REL
from pytest_quill.kernel.recipe import RECIPE, verify
from pytest_quill.kernel.tree import source_identity, tree_label
from pytest_quill.profile import load_profile

PROJECT = Path(__file__).resolve().parent.parent


def produce(profile, cache: Cache, jobs: int, log: Path, reuse: bool) -> Artifact:
    """The plugin's own step for one artifact: reuse by key, else build and publish."""
    backend = HostBackend()
    key = key_of(RECIPE, profile, backend, {}, PROJECT)
    return build_or_reuse(
        RECIPE,
        key,
        profile=profile,
        backend=backend,
        cache=cache,
        deps={},
        log=log,
        jobs=jobs,
        work_root=cache.root / "work",
        project_root=PROJECT,
        rebuild=not reuse,
    )


def touch_module(profile, cache: Cache) -> Path:
    """Touch wisdom.c in the workspace tree (the project's file stays as it is)."""
    label = tree_label(source_identity(profile.kernel.source))
    source = cache.root / "work" / "kernel-src" / label / "tree" / MODULES_REL / "wisdom.c"
    os.utime(source)
    return source


def timed(label: str, action) -> tuple[dict, Artifact]:
    start = time.monotonic()
    artifact = action()
    seconds = round(time.monotonic() - start, 1)
    print(f"{label:<28} {seconds:>8.1f} s  ({artifact.status})", flush=True)
    return {"phase": label, "seconds": seconds, "status": artifact.status}, artifact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="qemu-virt")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a profile value, as --quill-set (e.g. kernel.source=PATH)",
    )
    parser.add_argument("--cache", type=Path, default=FOLDER / f"kernel-cache-{int(time.time())}")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    profile = load_profile(
        args.profile, dict(pair.split("=", 1) for pair in args.set), directory=PROJECT / "hardware_profiles"
    )
    cache = Cache(args.cache.resolve())
    log = cache.root / "kernel-bench.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"cache {cache.root}, log {log}")
    phases = []
    for label, action in (
        ("cold build", lambda: produce(profile, cache, args.jobs, log, reuse=True)),
        ("warm rerun (cache hit)", lambda: produce(profile, cache, args.jobs, log, reuse=True)),
        (
            "one module .c touched",
            lambda: (touch_module(profile, cache), produce(profile, cache, args.jobs, log, reuse=False))[1],
        ),
    ):
        phase, artifact = timed(label, action)
        phases.append(phase)
    problems = verify(artifact, profile)
    sizes = artifact.meta.sizes
    print(
        f"release {artifact.meta.release}; uImage {sizes['uImage']} B; "
        f"zImage {sizes['zImage']} B; verify: {problems or 'ok'}"
    )
    save(
        f"kernel-{profile.name}",
        {
            "profile": profile.name,
            "jobs": args.jobs,
            "cache": str(cache.root),
            "phases": phases,
            "release": artifact.meta.release,
            "sizes": sizes,
            "verify": problems,
        },
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
