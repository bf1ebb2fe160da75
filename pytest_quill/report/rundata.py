"""The run's data as types, and the one place that knows its JSON shape.

Here, below run/, so that the reports read the record the run writes without
importing the run.

What a run decides and makes (each artifact's result, each gate's decision, the
first boot, the tests) travels between modules as these frozen classes; only
to_json()/from_json() here turn them into the JSON of the run's shared folder
and of the run record, reports/quill-run.json (docs/record.md). SCHEMA_VERSION
changes when a reader of the old shape would misread the new one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InputError

# CorruptRecord and Json: the run and the reports import them from here.
from ..typed_json import CorruptRecord as CorruptRecord
from ..typed_json import Entry as _Entry
from ..typed_json import Json as Json
from ..typed_json import read_as

NAME = "quill-run.json"
SCHEMA_VERSION = 1

# The plan's figures (report/metrics.py): a name -> a number, a chain of names, or None.
Figures = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class SharedCopy(_Entry):
    """An artifact pulled from, or pushed to, the shared registry (no credentials)."""

    reference: str
    seconds: float
    files: int
    bytes: int


@dataclass(frozen=True)
class ArtifactResult(_Entry):
    """One artifact as a run made it (or failed to): `artifacts[]` of the record."""

    name: str
    status: str  # built, cached, pulled, failed
    key: str = ""
    path: str = ""  # the published folder in the cache
    log: str = ""
    error: str = ""  # empty, or the one line of its failure
    worker: str = ""
    start: float | None = None
    end: float | None = None
    backend: str = ""
    deps: tuple[str, ...] = ()
    files: tuple[str, ...] | None = None  # the folder's names; None when it failed
    root: str = ""  # failed: the artifact whose failure it was (a dep's, when a dep failed)
    failure: str = ""  # failed: that failure's kind (errors.QuillError.kind)
    pulled: SharedCopy | None = None
    pushed: SharedCopy | None = None
    # The recipe's metadata: in the run's shared folder only (the cache has it too).
    meta: Json | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def absent(self) -> set[str]:
        gone = {name for name in ("files", "pulled", "pushed", "meta") if getattr(self, name) is None}
        return (
            gone
            | ({"worker"} if not self.worker else set())
            | (set() if self.failed else {"root", "failure"})
        )


@dataclass(frozen=True)
class GateResult(_Entry):
    """A gate's or check's decision: `gates[]` of the record (checks are published only)."""

    number: int
    name: str
    open: bool
    reason: str = ""  # empty when open; else the line the tests behind it are skipped with
    # Closed: "lower" (a lower gate closed first), "artifact-NAME" (an artifact
    # failed to be made), or "gate-N"/"check-MARKER" (its own decider refused).
    cause: str = ""
    failure: str = ""  # the failure's class (errors.QuillError.kind): build, verify, bench...
    worker: str = ""
    start: float | None = None  # None: not decided (its decider was interrupted or died)
    end: float | None = None

    def absent(self) -> set[str]:
        undecided = self.start is None or self.end is None
        return ({"worker"} if not self.worker else set()) | ({"start", "end"} if undecided else set())


@dataclass(frozen=True)
class Span(_Entry):
    """A worker's wait (`waits[]`: what it waited for), a test (`tests[]`) or a
    process's end (`closing[]`: its closers, after its last test)."""

    worker: str = ""
    start: float | None = None
    end: float | None = None
    what: str = ""  # waits: `gate N`, `artifact NAME`, `backend`...
    nodeid: str = ""  # tests: pytest's node id
    outcome: str = ""
    reason: str = ""
    stream: str | None = None
    flaky: str = ""  # tests: passed only after a retry, each attempt said (run/record.attempts_text)

    def absent(self) -> set[str]:
        if not self.nodeid:
            return {"nodeid", "outcome", "reason", "stream", "flaky"}
        return {"what"} | (set() if self.flaky else {"flaky"})


@dataclass(frozen=True)
class BootAttempt(_Entry):
    """One attempt at the first boot (boot/attempts.py): how it ended and its log."""

    number: int
    cause: str  # booted, infrastructure, stuck, reset, bad sign
    error: str = ""  # the fault's one line; empty when it booted
    log: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class BootResult(_Entry):
    """The run's first boot, as its judge saw it: the record's `boot`."""

    boot_time_s: float | None = None  # power-on to shell
    stages: Mapping[str, float] | None = None  # seconds from power-on to each stage's line
    budget_s: float | None = None
    within_budget: bool | None = None
    log: str | None = None  # its console log
    bench_command: str | None = None  # how the device was started; empty: by the operator
    worker: str = ""
    start: float | None = None
    end: float | None = None
    deps: tuple[str, ...] | None = None  # the artifacts it booted, when the plan says
    attempts: tuple[BootAttempt, ...] = ()  # every attempt, the last the one that booted
    flaky: bool = False  # booted, but not at the first attempt
    state: str | None = None  # where its booted state was kept for the run's other devices, or why not

    def absent(self) -> set[str]:
        gone = {"deps"} if self.deps is None else set()
        gone |= {"state"} if self.state is None else set()
        return gone | ({"attempts"} if not self.attempts else set())


@dataclass(frozen=True)
class RunRecord(_Entry):
    """reports/quill-run.json: the whole run, merged by the controller (run/record.py)."""

    profile: str = "?"
    workers: int = 0  # xdist workers; 0 when unknown (the record's own workers then)
    backend: str = "?"  # docker, host, or none when no build was asked
    started: float | None = None
    finished: float | None = None
    project: str = ""
    cache: str = ""
    run_dir: str = ""
    artifacts: tuple[ArtifactResult, ...] = ()
    gates: tuple[GateResult, ...] = ()
    waits: tuple[Span, ...] = ()
    tests: tuple[Span, ...] = ()
    closing: tuple[Span, ...] = ()
    boot: BootResult | None = None
    metrics: Figures | None = None  # absent in an interrupted run
    interrupted: bool = False
    not_made: tuple[str, ...] = ()  # interrupted: each artifact not made and where it was
    streams: tuple[str, ...] = ()  # the plan's streams, in its order (absent: none declared)

    def absent(self) -> set[str]:
        gone = {name for name in ("boot", "metrics") if getattr(self, name) is None}
        gone |= set() if self.streams else {"streams"}
        return gone | (set() if self.interrupted else {"interrupted", "not_made"})

    def to_json(self) -> Json:
        return {"schema_version": SCHEMA_VERSION, **super().to_json()}

    @classmethod
    def from_json(cls, data: Any) -> RunRecord:
        """The record of DATA (its JSON form); CorruptRecord naming the first bad value.
        Keys it does not know are ignored (newer writers may add some)."""
        return read_as(cls, data, "")


def from_json(cls: type[T], data: Any, where: str = "") -> T:
    """An entry of the run's shared folder (an artifact's or a gate's published
    result, an event) as its type; CorruptRecord naming the first bad value."""
    return read_as(cls, data, where)


def as_record(record: RunRecord | Mapping[str, Any]) -> RunRecord:
    """RECORD itself, or the record of its JSON form (a script's json.load, a test's dict)."""
    return record if isinstance(record, RunRecord) else RunRecord.from_json(dict(record))


def read_json(path: Path) -> Json:
    """The record at PATH as it is on disk, checked: its schema version, then its shape.
    InputError in one line when it is missing, not JSON, of another version or corrupt."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(
            f"run record {path}: none yet; a run that builds or gates something writes it"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(
            f"run record {path}: unreadable ({exc}); delete it, the next run writes it again"
        ) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(
            f"run record {path}: schema version {version!r}, this pytest-quill "
            f"reads {SCHEMA_VERSION}; rerun the suites to write it again"
        )
    try:
        RunRecord.from_json(data)
    except CorruptRecord as exc:
        raise InputError(
            f"run record {path}: corrupt ({exc}); delete it, the next run writes it again"
        ) from None
    return data


def read_record(path: Path) -> RunRecord:
    """The record at PATH; InputError in one line as read_json says."""
    return RunRecord.from_json(read_json(path))
