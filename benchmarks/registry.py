"""The shared artifact cache's transfers: pushing this machine's cached kernel, rootfs and
card to a registry, and pulling them (checked against their manifests) into an empty
cache, the part of a fresh runner's start that replaces the builds.

    .venv/bin/python benchmarks/registry.py [--cache DIR] [--runs 3]

The registry is Debian's docker-registry (distribution 2.8) on a free loopback port, its
storage in a temporary folder; the entries are the newest complete ones of each artifact in
the cache (default: the runs' default cache). Prints the figures; writes
reports/benchmarks/registry.json. Not measured here: the judged boot that follows.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from figures import save

from pytest_quill.engine.cache import Cache, damage, default_cache
from pytest_quill.engine.registry import open_registry

ARTIFACTS = ("kernel", "rootfs", "sdcard")


def newest_entries(cache: Cache) -> dict[str, Path]:
    found = {}
    for name in ARTIFACTS:
        entries = [
            path
            for path in (cache.root / name).glob("*")
            if path.is_dir() and not path.name.startswith(".") and not damage(path)
        ]
        if entries:
            found[name] = max(entries, key=lambda path: path.stat().st_mtime)
    return found


def start_registry(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host = f"127.0.0.1:{probe.getsockname()[1]}"
    config = folder / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {folder / 'storage'}\nhttp:\n  addr: {host}\n"
    )
    server = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{host}/v2/", timeout=1)
            return server, host
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    server.kill()
    raise SystemExit(f"docker-registry did not answer on {host}")


def transfer_times(entries: dict[str, Path], host: str, scratch: Path, runs: int) -> dict:
    shared = open_registry(f"{host}/quill/bench", "rw", environ={"DOCKER_CONFIG": str(scratch)})
    assert shared is not None
    push = {name: shared.push(path, name, path.name).seconds for name, path in entries.items()}
    pulls: dict[str, list[float]] = {name: [] for name in entries}
    for run in range(runs):
        empty = Cache(scratch / f"empty-{run}")
        for name, path in entries.items():
            with empty.staging(name, path.name) as staging:
                pulled = shared.pull(name, path.name, staging)
                assert pulled is not None
                empty.publish(staging, name, path.name)
                pulls[name].append(pulled.seconds)
    return {
        "push_s": {name: round(seconds, 3) for name, seconds in push.items()},
        "pull_median_s": {name: round(statistics.median(times), 3) for name, times in pulls.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(default_cache()))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    entries = newest_entries(Cache(args.cache / "artifacts"))
    if not entries:
        raise SystemExit(f"no cached artifacts under {args.cache}: run the suites once first")
    with tempfile.TemporaryDirectory(prefix="quill-registry-bench-") as folder:
        server, host = start_registry(Path(folder))
        try:
            figures = transfer_times(entries, host, Path(folder), args.runs)
        finally:
            server.terminate()
            server.wait(timeout=10)
    sizes = {
        name: sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) for name, path in entries.items()
    }
    figures.update(
        runs=args.runs, bytes=sizes, pull_all_median_s=round(sum(figures["pull_median_s"].values()), 3)
    )
    for name in entries:
        print(
            f"{name:<8} {sizes[name] / 1e6:7.1f} MB  push {figures['push_s'][name]:6.2f} s  "
            f"pull {figures['pull_median_s'][name]:6.2f} s (median of {args.runs})"
        )
    print(f"all three pulled into an empty cache: {figures['pull_all_median_s']:.2f} s")
    save("registry", figures)


if __name__ == "__main__":
    main()
