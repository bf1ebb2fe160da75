"""The steps of a build, read back from its log, and what the last builds of the
same recipe took: the live progress's estimate ("~60%").

A step starts at a "[quill HH:MM:SS] step: LABEL" line (BuildContext.step, and
every BuildContext.run). Its units are kbuild's object lines ("  CC      x.o"),
the best measure of how far a kernel or busybox compile is. The history is a
small file per profile and recipe in the cache folder (never in an artifact's
key): per step label, the most units and seconds a build of it took.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..engine.context import STEP

_MARK = re.compile(r"^\[quill (\d\d):(\d\d):(\d\d)\] (.*)$")
_UNIT = re.compile(r"^ {2}[A-Z][A-Z0-9_]{1,9} +\S")
DAY_S = 24 * 3600
START = "start"  # the label of what a build does before its first step
# Estimates by units only when the last full build had enough of them to mean
# something; else by time, when it took long enough to be worth one.
MIN_UNITS = 50
MIN_SECONDS = 10


@dataclass
class Step:
    label: str
    start: int  # second of the day, as the log's clock said
    end: int
    units: int = 0

    def seconds(self) -> int:
        return (self.end - self.start) % DAY_S


def clock_s(hours: int, minutes: int, seconds: int) -> int:
    return hours * 3600 + minutes * 60 + seconds


def steps_of(text: str) -> list[Step]:
    """The steps of the last build in a log (a log may say more than one run's)."""
    steps: list[Step] = []
    for line in text.splitlines():
        mark = _MARK.match(line)
        if mark is None:
            if steps and _UNIT.match(line):
                steps[-1].units += 1
            continue
        at = clock_s(*(int(part) for part in mark.group(1, 2, 3)))
        message = mark.group(4)
        if message.startswith("building "):
            steps = [Step(START, at, at)]
        elif message.startswith(STEP):
            if steps:
                steps[-1].end = at
            steps.append(Step(message[len(STEP) :].strip(), at, at))
        elif steps:
            steps[-1].end = at
    return steps


def history_file(cache: Path, profile: str, recipe: str) -> Path:
    return cache / "progress" / f"{profile}-{recipe}.json"


def expected(cache: Path, profile: str, recipe: str) -> dict[str, dict]:
    """label -> {"units", "seconds"} of the fullest builds seen; {} when none."""
    try:
        return json.loads(history_file(cache, profile, recipe).read_text())
    except (OSError, ValueError):
        return {}


def remember(cache: Path, profile: str, recipe: str, log: Path) -> None:
    """Fold a finished build's steps into the recipe's history."""
    try:
        steps = steps_of(log.read_text(errors="replace"))
    except OSError:
        return
    known = expected(cache, profile, recipe)
    for step in steps:
        seen = known.get(step.label, {})
        known[step.label] = {
            "units": max(step.units, seen.get("units", 0)),
            "seconds": max(step.seconds(), seen.get("seconds", 0)),
        }
    path = history_file(cache, profile, recipe)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        tmp.replace(path)
    except OSError:
        pass  # an estimate is a comfort, never a reason to fail a run


def estimate(step: Step, now_s: int, known: dict[str, dict]) -> str:
    """How far STEP is against the fullest build of it seen: "~48% (412/866 objects)",
    "~30% of 5:12"; with nothing to compare (a first build), the objects made so far."""
    last = known.get(step.label)
    if not last:
        return f"({step.units} objects)" if step.units else ""
    if last["units"] >= MIN_UNITS:
        share = step.units / last["units"]
        return f"~{min(share, 0.99):.0%} ({step.units}/{last['units']} objects)"
    if last["seconds"] >= MIN_SECONDS:
        share = ((now_s - step.start) % DAY_S) / last["seconds"]
        return f"~{min(share, 0.99):.0%} of {clock(last['seconds'])}"
    return ""


def clock(seconds: float) -> str:
    """m:ss, or h:mm:ss past an hour."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
