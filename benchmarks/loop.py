"""The developer's loop on this machine, in one table: the warm rerun, one
SquireOS .c edited, the wall against the critical path of both, the 2.6.29
twin's power-on to shell, and (with --ci) CI's whole run from a clean clone.

Each run is a whole process (`pytest -n 3 suites/`), as a developer starts it,
on the machine's artifact cache (warm after one run). The edit runs work in a
project of their own (`quill init`), so the checkout's sources are never
touched. Prints the table; writes it to docs/performance.md (its section "The
developer's loop") and reports/benchmarks/loop.json; each run's record is kept in
reports/benchmarks/loop-runs/ (its timeline explains an outlier).

    .venv/bin/python benchmarks/loop.py [--runs 3] [--ci] [--nst-kernel PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import FOLDER, save

from pytest_quill.report import metrics

PROJECT = Path(__file__).resolve().parent.parent
PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-p",
    "no:randomly",
    "-n",
    "3",
    "suites/",
    "-q",
    "--quill-progress",
    "off",
]
EDITED = Path("squireos/kernel/drivers/squireos/wisdom.c")
NST_KERNEL = PROJECT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"
GOALS = {
    "warm": "<= 10 s",
    "edit": "<= 15 s",
    "ratio": "<= 1.2",
    "twin_boot": "<= 2 s",
    "ci": "<= 20 min cold",
}
DOC_SECTION = "## The developer's loop"  # docs/performance.md's, rewritten by each run
DOC_BEFORE = "## Measuring it yourself"  # where it goes the first time


def main() -> int:
    args = parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="quill-loop-"))
    try:
        rows = {"warm": [timed_run(PROJECT, scratch / f"warm-{i}") for i in range(args.runs)]}
        project = own_project(scratch / "project")
        rows["edit"] = [timed_run(project, scratch / f"edit-{i}", edit=i) for i in range(args.runs)]
        if args.nst_kernel.is_file():
            rows["twin"] = [
                timed_run(PROJECT, scratch / f"twin-{i}", twin=args.nst_kernel) for i in range(args.runs)
            ]
        if args.ci:
            rows["ci"] = [ci_run(scratch / "ci")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures = summarize(rows)
    date = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    lines = table(figures)
    print("\n" + "\n".join(lines))
    write_doc(lines, date)
    save(
        "loop",
        {
            "date": date,
            "cpus": os.cpu_count(),
            "figures": figures,
            "runs": rows,
        },
    )
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per loop (median; default 3)")
    parser.add_argument(
        "--ci", action="store_true", help="also time .ci/run in a clean clone (tens of minutes)"
    )
    parser.add_argument(
        "--nst-kernel",
        type=Path,
        default=NST_KERNEL,
        help="the nst-kernel tarball for the twin row (default ../shared's)",
    )
    return parser.parse_args()


def own_project(folder: Path) -> Path:
    quill = Path(sys.executable).parent / "quill"
    subprocess.run([str(quill), "init", str(folder)], check=True, capture_output=True)
    return folder


def timed_run(cwd: Path, reports: Path, edit: int | None = None, twin: Path | None = None) -> dict:
    """One whole `pytest -n 3 suites/` process: its wall and its record's figures."""
    if edit is not None:  # a new comment: a new key for the kernel, an incremental rebuild
        with open(cwd / EDITED, "a") as source:
            source.write(f"/* loop benchmark edit {time.time_ns()} */\n")
    extra = ["--quill-profile", "nook-twin", "--quill-set", f"kernel.source={twin}"] if twin else []
    others = busy_share()
    began = time.monotonic()
    done = subprocess.run(
        [*PYTEST, "--quill-reports", str(reports), *extra], cwd=cwd, capture_output=True, text=True
    )
    wall = time.monotonic() - began
    record = json.loads((reports / "quill-run.json").read_text())
    kept = FOLDER / "loop-runs" / f"{reports.name}.json"  # an outlier's timeline, to explain it
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(reports / "quill-run.json", kept)
    figures = metrics.compute(record)
    failed = [line for line in done.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    if done.returncode:  # a red run's figures are not the loop's: say why it was red, keep its output
        output = FOLDER / "loop-runs" / f"{reports.name}.log"
        output.write_text(done.stdout + done.stderr)
        said = f"{reports.name}: exit {done.returncode}, output in {output}"
        print(said, *failed, sep="\n  ", file=sys.stderr)
    return {
        "exit_code": done.returncode,
        "failed": failed,
        "process_s": round(wall, 2),
        "wall_s": figures["wall_s"],
        "critical_path_s": figures["critical_path_s"],
        "boot_shell_s": (record.get("boot") or {}).get("stages", {}).get("shell"),
        "kernel": next((a["status"] for a in record["artifacts"] if a["name"] == "kernel"), None),
        "busy_before": others,
    }


def busy_share(seconds: float = 1.0) -> float | None:
    """The share of the machine's CPU time others used just before a run, while
    this script waits (from /proc/stat): on a shared machine a run's figures
    move with it. None where there is no /proc/stat."""

    def times() -> list[int]:
        with open("/proc/stat") as stat:
            return [int(field) for field in stat.readline().split()[1:9]]

    try:
        before = times()
        time.sleep(seconds)
        spent = [now - then for now, then in zip(times(), before)]
    except OSError:
        return None
    idle = spent[3] + spent[4]  # idle and iowait
    return round(1 - idle / sum(spent), 2) if sum(spent) else None


def ci_run(folder: Path) -> dict:
    """.ci/run in a clean clone, with a copy of shared/ beside it, as CI runs it."""
    shutil.copytree(PROJECT.parent / "shared", folder / "shared", symlinks=True)
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(folder / "main")], check=True)
    began = time.monotonic()
    done = subprocess.run(
        ["bash", ".ci/run"],
        cwd=folder / "main",
        env={**os.environ, "CI": "true"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    return {"exit_code": done.returncode, "process_s": round(time.monotonic() - began, 1)}


def summarize(rows: dict) -> dict:
    def median(runs: list[dict], key: str) -> float | None:
        values = [run[key] for run in runs if run.get(key) is not None]
        return round(statistics.median(values), 2) if values else None

    figures = {}
    for name in ("warm", "edit"):
        runs = rows[name]
        figures[name] = {
            "process_s": median(runs, "process_s"),
            "all_s": [r["process_s"] for r in runs],
            "critical_path_s": median(runs, "critical_path_s"),
            "ratio": round(median(runs, "process_s") / median(runs, "critical_path_s"), 2)
            if median(runs, "critical_path_s")
            else None,
            "green": all(r["exit_code"] == 0 for r in runs),
        }
    shares = [run.get("busy_before") for runs in rows.values() for run in runs]
    shares = [share for share in shares if share is not None]
    if shares:
        figures["busy_before"] = {"min": min(shares), "max": max(shares)}
    if "twin" in rows:
        figures["twin_boot"] = {
            "shell_s": median(rows["twin"], "boot_shell_s"),
            "green": all(r["exit_code"] == 0 for r in rows["twin"]),
        }
    if "ci" in rows:
        figures["ci"] = {
            "minutes": round(rows["ci"][0]["process_s"] / 60, 1),
            "green": rows["ci"][0]["exit_code"] == 0,
        }
    return figures


def table(figures: dict) -> list[str]:
    """The five loops as a Markdown table (goal and measure), then how busy others
    kept the machine."""
    lines = ["| loop | goal | measured |", "|---|---|---|"]
    for name in ("warm", "edit"):
        row = figures[name]
        lines.append(
            f"| {name} run (median of {len(row['all_s'])}: {row['all_s']}) | {GOALS[name]} | "
            f"{row['process_s']} s, critical path {row['critical_path_s']} s"
            f"{'' if row['green'] else ' (RED)'} |"
        )
    lines.append(
        f"| process / critical path | {GOALS['ratio']} | warm {figures['warm']['ratio']}, "
        f"edit {figures['edit']['ratio']} |"
    )
    twin = figures.get("twin_boot")
    shown = f"{twin['shell_s']} s" if twin else "not measured (no nst-kernel tarball)"
    lines.append(f"| twin power-on -> shell | {GOALS['twin_boot']} | {shown} |")
    ci = figures.get("ci")
    shown = "not measured (--ci)"
    if ci:
        shown = f"{ci['minutes']} min" + ("" if ci["green"] else " (RED)")
    lines.append(f"| CI (.ci/run), clean clone | {GOALS['ci']} | {shown} |")
    busy = figures.get("busy_before")
    if busy:
        lines += [
            "",
            f"The machine's CPUs were {busy['min']:.0%}-{busy['max']:.0%} busy with others' work "
            "in the second before each run (/proc/stat).",
        ]
    return lines


def write_doc(lines: list[str], date: str) -> None:
    """The table as docs/performance.md's loop section, replacing the last one."""
    doc = PROJECT / "docs" / "performance.md"
    text = doc.read_text()
    section = (
        f"{DOC_SECTION}\n\n`.venv/bin/python benchmarks/loop.py`, {date}, {os.cpu_count()} cores, "
        "whole processes of `pytest -n 3 suites/` on a warm artifact cache:\n\n" + "\n".join(lines) + "\n\n"
    )
    if DOC_SECTION in text:
        before, rest = text.split(DOC_SECTION, 1)
        after = rest[rest.index("\n## ") + 1 :] if "\n## " in rest else ""
    else:
        before, after = text.split(DOC_BEFORE, 1)
        after = DOC_BEFORE + after
    doc.write_text(before + section + after)


if __name__ == "__main__":
    sys.exit(main())
