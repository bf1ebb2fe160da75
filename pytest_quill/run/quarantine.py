"""Quarantine: tests that fail for a known reason outside the product (a relay
that sticks, an adapter that drops) keep running without failing the run.

The project's quarantine.toml lists them, each with the reason and the day the
entry ends: a quarantine that outlives its cause unnoticed hides a failure, so
an expired entry no longer applies and is reported, and a quarantined test
that keeps passing is reported so its entry can go. A quarantined test is an
xfail (not strict) to pytest, so JUnit, Allure and -rx show it as every other
tool expects; gates are never quarantined (a closed gate holds its tests back
whatever they are).
"""

from __future__ import annotations

import datetime
import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

FILE_NAME = "quarantine.toml"
KEYS = {
    "test": "a node id or a pattern (fnmatch: *, ?, [..])",
    "reason": "why it is quarantined (text)",
    "until": "the last day it holds (a TOML date: 2027-01-31)",
}
LIFT_AFTER_PASSES = 5  # passes in a row, over runs, after which an entry is reported as not needed


@dataclass(frozen=True)
class Entry:
    test: str
    reason: str
    until: datetime.date

    def matches(self, nodeid: str) -> bool:
        return nodeid == self.test or fnmatch.fnmatchcase(nodeid, self.test)

    def expired(self, today: datetime.date) -> bool:
        return today > self.until

    def mark_reason(self) -> str:
        return f"quarantined until {self.until}: {self.reason}"


@dataclass(frozen=True)
class Quarantine:
    path: Path
    entries: tuple[Entry, ...] = ()

    def entry_for(self, nodeid: str, today: datetime.date) -> Entry | None:
        """The first entry in force that names the test."""
        return next(
            (entry for entry in self.entries if entry.matches(nodeid) and not entry.expired(today)), None
        )

    def expired(self, today: datetime.date) -> list[Entry]:
        return [entry for entry in self.entries if entry.expired(today)]


def load(project_root: Path) -> Quarantine:
    """The project's quarantine (none without the file); InputError naming the
    file, the entry and the key for anything malformed."""
    path = project_root / FILE_NAME
    if not path.is_file():
        return Quarantine(path)
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not TOML: {exc}") from None
    if unknown := sorted(set(data) - {"quarantine"}):
        raise InputError(f"{path}: unknown table {unknown[0]!r}; write entries as [[quarantine]]")
    tables = data.get("quarantine", [])
    if not isinstance(tables, list):
        raise InputError(f"{path}: quarantine must be an array of tables ([[quarantine]])")
    return Quarantine(
        path, tuple(_entry(path, number, table) for number, table in enumerate(tables, start=1))
    )


def _entry(path: Path, number: int, table: dict[str, Any]) -> Entry:
    where = f"{path}: [[quarantine]] entry {number}"
    if unknown := sorted(set(table) - set(KEYS)):
        raise InputError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(KEYS)}")
    for key, meaning in KEYS.items():
        if key not in table:
            raise InputError(f"{where}: {key} is missing: {meaning}")
    for key in ("test", "reason"):
        if not isinstance(table[key], str) or not table[key].strip():
            raise InputError(f"{where}: {key} must be a non-empty string: {KEYS[key]}")
    until = table["until"]
    if not isinstance(until, datetime.date) or isinstance(until, datetime.datetime):
        raise InputError(f"{where}: until = {until!r} is not a date: {KEYS['until']}")
    return Entry(table["test"], table["reason"].strip(), until)


def next_streaks(streaks: dict[str, int], outcomes: dict[str, str]) -> dict[str, int]:
    """Passes in a row of each quarantined test after this run's outcomes
    ("passed" or anything else); tests that did not run keep their count."""
    updated = dict(streaks)
    for nodeid, outcome in outcomes.items():
        updated[nodeid] = updated.get(nodeid, 0) + 1 if outcome == "passed" else 0
    return updated
