"""The parallel gain, measured side by side: the suites run cold with -n 0 and
with -n 3, each against its own fresh artifact cache (which also holds the
ccache and the incremental trees, so both start from nothing).

Prints both walls, their ratio and each run's critical path; writes
reports/benchmarks/parallel.json (and each run's record next to it).
Takes tens of minutes: it builds everything twice.

    .venv/bin/python benchmarks/parallel.py [--workers 0,3] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import FOLDER, save

from pytest_quill.report import metrics

PROJECT = Path(__file__).resolve().parent.parent
REPORTS = PROJECT / "reports"
RECORD = REPORTS / "quill-run.json"


def main() -> int:
    args = parse_args()
    FOLDER.mkdir(parents=True, exist_ok=True)
    runs = [run_cold(workers, args.pytest_args, args.keep_caches) for workers in args.workers]
    result = {
        "machine": machine(),
        "suites": "suites/",
        "pytest_args": args.pytest_args,
        "runs": runs,
        **compare(runs),
    }
    print_summary(result)
    save("parallel", result)
    return 0 if all(r["exit_code"] in (0, 1) for r in runs) else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        default="0,3",
        type=lambda text: [int(n) for n in text.split(",")],
        help="comma-separated -n values, run in this order (default 0,3)",
    )
    parser.add_argument(
        "--keep-caches",
        action="store_true",
        help="leave the temporary caches in place (they are deleted by default)",
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    return parser.parse_args()


def run_cold(workers: int, extra: list[str], keep_cache: bool) -> dict:
    """One cold run of the suites; its wall and its run record's figures."""
    cache = Path(tempfile.mkdtemp(prefix=f"quill-bench-n{workers}-"))
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "suites/",
        "-n",
        str(workers),
        "--quill-cache",
        str(cache),
        "-q",
        *extra,
    ]
    print(f"== -n {workers}: {' '.join(argv[2:])}", flush=True)
    began = time.time()
    try:
        exit_code = subprocess.call(argv, cwd=PROJECT)
    finally:
        took = time.time() - began
        if not keep_cache:
            shutil.rmtree(cache, ignore_errors=True)
    record = fresh_record(since=began)
    if record is not None:
        (FOLDER / f"parallel-n{workers}-record.json").write_text(json.dumps(record, indent=2) + "\n")
    figures = (record or {}).get("metrics") or (metrics.compute(record) if record else {})
    return {
        "workers": workers,
        "exit_code": exit_code,
        "wall_s": round(took, 1),
        "record": bool(record),
        "cache": str(cache) if keep_cache else None,
        "metrics": figures,
        "artifacts": [
            {k: a.get(k) for k in ("name", "status", "worker", "start", "end")}
            for a in (record or {}).get("artifacts", [])
        ],
    }


def fresh_record(since: float) -> dict | None:
    """This run's record; None when the run wrote none (an older one stays)."""
    if not RECORD.is_file() or RECORD.stat().st_mtime < since:
        return None
    return json.loads(RECORD.read_text())


def compare(runs: list[dict]) -> dict:
    """Each parallel run against the -n 0 run: speedup and wall reduction."""
    single = next((r["wall_s"] for r in runs if r["workers"] == 0), None)
    if not single:
        return {}
    return {
        "versus_n0": [
            {
                "workers": r["workers"],
                "speedup": round(single / r["wall_s"], 3),
                "time_reduction": round(1 - r["wall_s"] / single, 3),
            }
            for r in runs
            if r["workers"] > 0 and r["wall_s"]
        ]
    }


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def print_summary(result: dict) -> None:
    print("\n== parallel gain")
    for run in result["runs"]:
        figures = run["metrics"]
        chain = " -> ".join(figures.get("critical_chain") or []) or "n/a"
        critical = figures.get("critical_path_s")
        print(
            f"-n {run['workers']}: wall {run['wall_s']:.1f} s (exit {run['exit_code']}), "
            f"critical path {'n/a' if critical is None else f'{critical:.1f} s'} ({chain})"
        )
        for line in metrics.summary_lines(figures)[1:] if figures else []:
            print(f"      {line}")
    for gain in result.get("versus_n0", []):
        print(
            f"-n 0 wall / -n {gain['workers']} wall: {gain['speedup']:.2f}x, "
            f"wall reduced by {gain['time_reduction'] * 100:.1f}% (plan: 40-50%)"
        )


if __name__ == "__main__":
    sys.exit(main())
