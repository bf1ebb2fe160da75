"""A kernel's cold build beside the same build in a fresh workspace served by a
shared ccache on Redis (what a second CI runner gets).

    .venv/bin/python benchmarks/ccache.py [--profile nook-twin] [--set KEY=VALUE]
        [--backend docker|host] [--redis redis://HOST:PORT] [--jobs 2]

Without --redis, an empty redis-server is started on a loopback port (and
stopped). Both workspaces are fresh folders under reports/benchmarks/, so
both builds compile: the first fills Redis, the second reads it. Prints wall
seconds and ccache's counters; writes reports/benchmarks/ccache-PROFILE.json.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

from figures import FOLDER, PROJECT, save
from redis_server import RedisUnavailable, redis_server

from pytest_quill.engine.backends.docker import DockerBackend
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.cache import Cache
from pytest_quill.engine.produce import build_or_reuse, key_of
from pytest_quill.kernel.recipe import RECIPE, verify
from pytest_quill.profile import load_profile

SOURCE = PROJECT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"


def produce(profile, backend, workspace: Path, jobs: int):
    """The kernel as a run's store makes it, in WORKSPACE (cache, work and log)."""
    backend = backend.with_toolchain(RECIPE.toolchain(profile))
    key = key_of(RECIPE, profile, backend, {}, PROJECT)
    log = workspace / "logs" / f"kernel-{key}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return build_or_reuse(
        RECIPE,
        key,
        profile=profile,
        backend=backend,
        cache=Cache(workspace / "artifacts"),
        deps={},
        log=log,
        jobs=jobs,
        work_root=workspace / "work",
        project_root=PROJECT,
    )


def build(profile, backend_name: str, workspace: Path, jobs: int) -> dict:
    backend = (
        DockerBackend(PROJECT, mounts=(workspace,), log_dir=workspace / "logs")
        if backend_name == "docker"
        else HostBackend()
    )
    started = time.monotonic()
    artifact = produce(profile, backend, workspace, jobs)
    seconds = round(time.monotonic() - started, 1)
    stats = artifact.meta.ccache_stats
    asked = stats["remote_storage_hit"] + stats["remote_storage_miss"]
    return {
        "seconds": seconds,
        "status": artifact.status,
        "key": artifact.key,
        "verify": verify(artifact, profile),
        "ccache": stats,
        "remote_hit_ratio": round(stats["remote_storage_hit"] / asked, 3) if asked else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="nook-twin")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--backend", choices=("docker", "host"), default="docker")
    parser.add_argument("--redis", default="", help="an existing server (default: start one)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    settings = dict(pair.split("=", 1) for pair in args.set)
    if args.profile == "nook-twin":
        settings.setdefault("kernel.source", str(SOURCE))
    with contextlib.ExitStack() as stack:
        try:
            url = args.redis or stack.enter_context(redis_server())
        except RedisUnavailable as unavailable:
            raise SystemExit(f"{unavailable}; or pass --redis redis://HOST:PORT") from None
        profile = load_profile(
            args.profile, {**settings, "kernel.ccache_remote": url}, directory=PROJECT / "hardware_profiles"
        )
        root = FOLDER / f"ccache-{int(time.time())}"
        print(f"{profile.name} on {args.backend}, ccache remote {url}, workspaces in {root}")
        phases = {}
        for label, folder in (
            ("cold build (fills Redis)", "runner-1"),
            ("fresh workspace, remote cache", "runner-2"),
        ):
            phases[folder] = phase = build(profile, args.backend, root / folder, args.jobs)
            print(
                f"{label:<32} {phase['seconds']:>7.1f} s  remote hits "
                f"{phase['ccache']['remote_storage_hit']}/"
                f"{phase['ccache']['remote_storage_hit'] + phase['ccache']['remote_storage_miss']}"
                f" ({phase['remote_hit_ratio']:.0%}), verify: {phase['verify'] or 'ok'}",
                flush=True,
            )
    save(
        f"ccache-{profile.name}",
        {"profile": profile.name, "backend": args.backend, "jobs": args.jobs, "phases": phases},
    )
    return 1 if any(p["verify"] for p in phases.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
