"""quill status: what the cache holds for a profile, and the last run's gates."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..engine.cache import META
from ..engine.space import folder_bytes
from ..report.rundata import NAME, read_json, read_record
from ..run import record as run_record
from .cached import Entry, entries, run_command
from .common import EXIT_OK, add_common, near, setup


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "status",
        help="what is cached for a profile and the last run's gates",
        description="Each artifact's cache key (as a run with these options computes it, "
        "nothing is built), its size, age and folder; then the last run's gates "
        "(the record in --reports).",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the last run record (docs/record.md) as JSON, for scripts"
    )
    add_common(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    found = setup(args)
    if args.json:
        print(json.dumps(read_json(found.reports / NAME), indent=2))
        return EXIT_OK
    listed = entries(found)
    print(f"profile {found.profile.name}: {found.profile.path}")
    print(f"cache {found.cache}")
    for entry in listed:
        print(entry_line(entry))
    missing = [entry.name for entry in listed if entry.artifact is None]
    if missing:
        print(f"not cached: {', '.join(missing)}; make them with: {run_command(args)}")
    image = (found.plan.image.artifact, found.plan.image.file) if found.plan.image else None
    for line in last_run_lines(found.reports / NAME, found.profile.name, image):
        print(line)
    return EXIT_OK


def entry_line(entry: Entry) -> str:
    if entry.damage:
        return f"{entry.name:<8} {entry.key:<20}  damaged: {entry.damage}; a run builds it again"
    if entry.artifact is None:
        why = (
            f"not cached ({entry.missing_dep} is not: its key is part of this one's)"
            if entry.missing_dep
            else f"not cached  (key for the {entry.backend} backend)"
        )
        return f"{entry.name:<8} {entry.key or '-':<20}  {why}"
    path = entry.artifact.path
    built = (path / META).stat().st_mtime
    return (
        f"{entry.name:<8} {entry.key:<20}  {folder_bytes(path) / 1e6:8.1f} MB  "
        f"{age(time.time() - built):>9}  {path}  ({entry.backend})"
    )


def age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


def last_run_lines(path: Path, profile: str, image: tuple[str, str] | None = None) -> list[str]:
    """The record's gates, when the last run there was of this profile (IMAGE: the
    plan's boot image, record.summary_lines)."""
    shown = near(path)
    if not path.is_file():
        return [f"last run: none recorded ({shown} is missing)"]
    record = read_record(path)
    finished = record.finished or 0.0
    ended = time.strftime("%Y-%m-%d %H:%M", time.localtime(finished))
    if record.profile != profile:
        return [
            f"last run ({shown}, {ended}): of profile {record.profile}, not {profile}; "
            "--reports names the folder of this profile's runs"
        ]
    return [
        f"last run ({shown}, {ended}, {age(time.time() - finished)}):",
        *(f"  {line}" for line in run_record.summary_lines(record, near, image)),
    ]
