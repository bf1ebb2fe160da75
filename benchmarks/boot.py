"""First boot on the QEMU bench: power-on -> shell, median of several boots.

    .venv/bin/python benchmarks/boot.py [--card PATH] [--runs 5] [--profile qemu-virt] [--set KEY=VALUE]

The card defaults to the sdcard artifact of the last run (reports/quill-run.json,
written by `pytest -n 3 suites/`). Prints each boot's stage times and the
medians; writes reports/benchmarks/boot-PROFILE.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from figures import save

from pytest_quill.bench.base import BenchOptions, bench_for
from pytest_quill.boot.device import Device
from pytest_quill.profile import load_profile

PROJECT = Path(__file__).resolve().parent.parent
RECORD = PROJECT / "reports" / "quill-run.json"


def last_card() -> Path:
    if not RECORD.is_file():
        raise SystemExit(f"{RECORD} missing: run `pytest -n 3 suites/` first, or pass --card")
    cards = [a for a in json.loads(RECORD.read_text())["artifacts"] if a["name"] == "sdcard"]
    if not cards or not cards[0].get("path"):
        raise SystemExit(f"{RECORD} has no sdcard artifact: pass --card")
    return PROJECT / cards[0]["path"] / "card.img"


def boot_once(profile, card: Path, logs: Path, index: int) -> dict:
    with bench_for(profile, logs, BenchOptions()) as bench:
        device = Device.boot_card(bench, card, logs / f"console-{index}.log")
        return device.boot.record()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--card", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", default="qemu-virt")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a profile value, as --quill-set (e.g. kernel.source=PATH)",
    )
    args = parser.parse_args()
    profile = load_profile(
        args.profile, dict(pair.split("=", 1) for pair in args.set), directory=PROJECT / "hardware_profiles"
    )
    card = args.card or last_card()
    logs = Path(tempfile.mkdtemp(prefix="boot-bench-"))
    boots = []
    for index in range(args.runs):
        boots.append(boot_once(profile, card, logs, index))
        stages = "  ".join(f"{name} {at:5.2f}" for name, at in boots[-1]["stages"].items())
        print(
            f"boot {index + 1}: shell at {boots[-1]['boot_time_s']:5.2f} s   ({stages})"
            f"   load {os.getloadavg()[0]:.2f}"
        )  # a shared host stretches the boot
    medians = {
        name: round(statistics.median(b["stages"][name] for b in boots), 2) for name in boots[0]["stages"]
    }
    result = {
        "profile": profile.name,
        "card": str(card),
        "runs": args.runs,
        "median_boot_to_shell_s": medians["shell"],
        "median_stages_s": medians,
        "budget_s": profile.budgets.boot_to_shell_s,
        "boots": boots,
        "host": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)},
        "console_logs": str(logs),
    }
    print(
        f"median power-on -> shell: {medians['shell']:.2f} s over {args.runs} boots "
        f"(budget {profile.budgets.boot_to_shell_s:.0f} s); stages {medians}"
    )
    save(f"boot-{profile.name}", result)


if __name__ == "__main__":
    main()
