"""A fresh runner's first judged boot: a new clone with an empty artifact cache, against a
warm registry, and the same without a registry (everything built here), for the QEMU
profile (qemu-virt) and the 2.6.29 twin (nook-twin).

    .venv/bin/python benchmarks/registry_cold.py [--skip-cold] [--nst-kernel PATH]

Set-up is not timed: the clone (git clone of this checkout's HEAD, ../shared beside it as a
link, this checkout's .venv), the registry (Debian's docker-registry on a free loopback
port) and its filling, by a run of the clone on this machine's warm cache with
--quill-cache-registry; what that run found cached is pushed too. Timed is the whole
process `pytest -n 3 suites/d_integration/test_d2_first_boot.py`, the smallest selection
that decides gates 1 to 4 (the first boot judged), with XDG_CACHE_HOME an empty folder.
Prints the table and the machine's load; writes reports/benchmarks/registry_cold.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import save
from registry import start_registry

from pytest_quill.engine.registry import open_registry
from pytest_quill.engine.registry_share import Sharing, share_cached

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
NST_KERNEL = SHARED / "sources" / "nst-kernel-3f80ffb9.tar.xz"
SELECTION = "suites/d_integration/test_d2_first_boot.py"
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-p",
    "no:randomly",
    "-n",
    "3",
    SELECTION,
    "-q",
    "--quill-progress",
    "off",
]
REPOSITORY = "quill/bench"
GOAL_S = 60.0


def main() -> int:
    args = parse_args()
    profiles = {"qemu-virt": []}
    if args.nst_kernel.is_file():
        profiles["nook-twin"] = [
            "--quill-profile",
            "nook-twin",
            "--quill-set",
            f"kernel.source={os.path.relpath(args.nst_kernel, PROJECT)}",
        ]
    else:
        print(f"no {args.nst_kernel}: the twin is not measured")
    scratch = Path(tempfile.mkdtemp(prefix="quill-registry-cold-"))
    rows: dict[str, dict] = {}
    try:
        clone = make_clone(scratch)
        (scratch / "registry").mkdir()
        server, host = start_registry(scratch / "registry")
        try:
            for name, extra in profiles.items():
                measure(clone, scratch / name, host, extra, args.skip_cold, rows)
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(rows, os.getloadavg())
    save_figures(rows)
    return 0 if all(run["green"] for row in rows.values() for run in row.values()) else 1


def save_figures(rows: dict) -> None:
    """The figures so far (after each run: a cold build that is stopped keeps the others)."""
    save(
        "registry_cold",
        {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "cpus": os.cpu_count(),
            "load_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "selection": SELECTION,
            "goal_s": GOAL_S,
            "profiles": rows,
        },
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skip-cold",
        action="store_true",
        help="only the warm-registry figure (the cold builds take minutes)",
    )
    parser.add_argument(
        "--nst-kernel",
        type=Path,
        default=NST_KERNEL,
        help="the nst-kernel tarball for the twin (default ../shared's)",
    )
    return parser.parse_args()


def make_clone(scratch: Path) -> Path:
    """A clone of HEAD as a fresh runner has it: ../shared beside it, the checkout's venv."""
    clone = scratch / "main"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(clone)], check=True)
    (scratch / "shared").symlink_to(SHARED)
    (clone / ".venv").symlink_to(PROJECT / ".venv")
    twin_u_boot = Path("squireos/boot/twin/out/u-boot.bin")  # built once, outside git
    if (PROJECT / twin_u_boot).is_file():
        (clone / twin_u_boot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / twin_u_boot, clone / twin_u_boot)
    else:
        subprocess.run(["sh", "scripts/twin-u-boot.sh"], cwd=clone, check=True)
    return clone


def measure(clone: Path, folder: Path, host: str, extra: list[str], skip_cold: bool, rows: dict) -> None:
    """ROWS[profile] filled with the profile's runs (FOLDER's name), all saved after each."""
    profile = rows[folder.name] = {}
    registry = ["--quill-cache-registry", f"{host}/{REPOSITORY}"]
    fill = run(clone, folder / "fill", [*extra, *registry], cache=None)
    record = fill.pop("record")
    if not fill["green"]:
        print(f"the filling run failed (exit {fill['exit_code']}): this profile is not measured")
        profile["fill"] = fill
        return
    push_missing(host, record)
    runs = {"warm_registry": ([*extra, *registry], "pulled")}
    if not skip_cold:
        runs["cold"] = (extra, "cold")
    for row, (options, name) in runs.items():
        profile[row] = run(clone, folder / name, options, cache=folder / f"empty-cache-{name}")
        profile[row].pop("record")
        print(f"{folder.name} {row}: {shown(profile[row])}", flush=True)
        save_figures(rows)


def push_missing(host: str, record: dict) -> None:
    """Every artifact of the filling run into the registry, also those it found cached."""
    shared = open_registry(f"{host}/{REPOSITORY}", "rw")
    assert shared is not None
    for artifact in record["artifacts"]:
        share_cached(
            Sharing(shared),
            Path(artifact["path"]),
            artifact["name"],
            artifact["key"],
            lambda line, warning: print(line),
        )


def run(clone: Path, reports: Path, extra: list[str], cache: Path | None) -> dict:
    """One whole process; CACHE an empty folder for XDG_CACHE_HOME (None: the machine's)."""
    env = dict(os.environ)
    if cache is not None:
        cache.mkdir(parents=True)
        env["XDG_CACHE_HOME"] = str(cache)
    began = time.monotonic()
    done = subprocess.run(
        [*PYTEST, "--quill-reports", str(reports), *extra], cwd=clone, env=env, capture_output=True, text=True
    )
    process_s = round(time.monotonic() - began, 1)
    path = reports / "quill-run.json"
    record = json.loads(path.read_text()) if path.is_file() else {"artifacts": [], "gates": []}
    boot = next((gate for gate in record["gates"] if gate["number"] == 4), {})
    if done.returncode != 0 or not boot.get("open"):
        print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
    return {
        "process_s": process_s,
        "exit_code": done.returncode,
        "green": done.returncode == 0 and bool(boot.get("open")),
        "artifacts": {a["name"]: a["status"] for a in record["artifacts"]},
        "record": record,
    }


def print_table(rows: dict, load: tuple[float, float, float]) -> None:
    print(
        f"\nfresh clone, empty cache, `pytest -n 3 {SELECTION}` (gate 4 judged), "
        f"{os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"| profile | warm registry (goal <= {GOAL_S:.0f} s) | no registry (cold build) |")
    print("|---|---|---|")
    for name, row in rows.items():
        why = "not measured (its filling run failed)" if "fill" in row else "not measured (--skip-cold)"
        print(f"| {name} | {shown(row.get('warm_registry'), why)} | {shown(row.get('cold'), why)} |")


def shown(run: dict | None, why: str = "") -> str:
    if run is None:
        return why
    statuses = ", ".join(f"{name} {status}" for name, status in run["artifacts"].items())
    red = "" if run["green"] else f" RED (exit {run['exit_code']})"
    return f"{run['process_s']} s ({statuses}){red}"


if __name__ == "__main__":
    sys.exit(main())
