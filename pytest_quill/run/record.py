"""The run record, reports/quill-run.json, merged by the controller from the
events every worker appended to the run's shared folder, and its lines in the
terminal summary. Its types and JSON shape are report/rundata.py's
(docs/record.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..report.progress import stages_text
from ..report.rundata import (
    NAME,
    ArtifactResult,
    BootResult,
    CorruptRecord,
    GateResult,
    RunRecord,
    Span,
    as_record,
    from_json,
)
from ..report.steps import START, steps_of
from .state import RunState, write_json_atomic

T = TypeVar("T")


def collect(state: RunState, header: Mapping[str, Any]) -> RunRecord:
    """The record of the run so far: HEADER (QuillRun.header()) and every worker's events."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for event in state.events():
        by_kind.setdefault(event.pop("kind", ""), []).append(event)

    def entries(kind: type[T], name: str) -> list[T]:
        found = []
        for event in by_kind.get(name, []):
            try:
                found.append(from_json(kind, event))
            except CorruptRecord:
                continue  # as a line cut short: the rest still counts
        return found

    boots = entries(BootResult, "boot")
    return RunRecord(
        profile=str(header.get("profile", "?")),
        workers=int(header.get("workers", 0)),
        backend=str(header.get("backend", "?")),
        started=header.get("started"),
        finished=time.time(),
        project=str(header.get("project", "")),
        cache=str(header.get("cache", "")),
        run_dir=str(state.dir),
        artifacts=tuple(sorted(entries(ArtifactResult, "artifact"), key=_start)),
        gates=tuple(sorted(entries(GateResult, "gate"), key=lambda g: g.number)),
        waits=tuple(sorted(entries(Span, "wait"), key=_start)),
        tests=tuple(sorted(entries(Span, "test"), key=_start)),
        closing=tuple(sorted(entries(Span, "closing"), key=_start)),
        boot=min(boots, key=_start) if boots else None,
        streams=tuple(header.get("streams", ())),
    )


def _start(entry: ArtifactResult | Span | BootResult) -> float:
    return entry.start if entry.start is not None else 0.0


def build_record(state: RunState, header: Mapping[str, Any]) -> dict[str, Any]:
    """collect()'s JSON form: plugin.py's until it hands finish.end_run the run."""
    return collect(state, header).to_json()


def write_record(record: RunRecord, reports: Path) -> Path:
    """reports/quill-run.json, and its copy in the run's folder; the first's path."""
    path = reports / NAME
    for target in (path, Path(record.run_dir) / NAME):
        write_json_atomic(target, record.to_json())
    return path


def used_quill(record: RunRecord | Mapping[str, Any]) -> bool:
    """Only runs that built or gated something replace the last run's record."""
    made = as_record(record)
    return bool(made.artifacts or made.gates)


def not_made(record: RunRecord | Mapping[str, Any], names: Iterable[str], logs: Path) -> list[str]:
    """The artifacts an interrupted run did not make, each with where it was."""
    made = {art.name for art in as_record(record).artifacts if not art.failed}
    missing = []
    for name in names:
        if name in made:
            continue
        try:
            steps = steps_of((logs / f"{name}.log").read_text(errors="replace"))
        except OSError:
            steps = []
        at = steps[-1].label if steps and steps[-1].label != START else ""
        missing.append(
            f"{name} (stopped at {at})" if at else f"{name} (started)" if steps else f"{name} (not started)"
        )
    return missing


def summary_lines(
    record: RunRecord | Mapping[str, Any],
    relpath: Callable[[Path], str],
    image: tuple[str, str] | None = None,
) -> list[str]:
    """The record in the terminal summary; IMAGE: (artifact, file) the plan boots
    (Plan.image), whose path is said when the run made it."""
    made = as_record(record)
    lines = [f"profile {made.profile}, {made.workers} worker(s), backend {made.backend}"]
    if made.interrupted:
        lines.append("interrupted: not made: " + (", ".join(made.not_made) or "nothing (all made)"))
    lines += [_gate_line(gate) for gate in made.gates]
    for art in made.artifacts:
        took = (art.end or 0.0) - (art.start or 0.0)
        lines.append(
            f"{art.name:<8} {art.status:<7} {took:7.1f} s on {art.worker}  log: {art.log}{_shared(art)}"
        )
    lines += _boot_lines(made.boot, relpath)
    lines += _flaky_lines(made.tests)
    lines += _image_lines(made, image)
    lines.append(f"logs: {relpath(Path(made.run_dir) / 'logs')}")
    return lines


def _image_lines(made: RunRecord, image: tuple[str, str] | None) -> list[str]:
    if image is None:
        return []
    artifact, file = image
    found = next((art for art in made.artifacts if art.name == artifact and file in (art.files or ())), None)
    return [f"card image: {Path(found.path) / file}"] if found else []


def _gate_line(gate: GateResult) -> str:
    label = f"gate {gate.number} ({gate.name})"
    if gate.open:
        return f"{label}: open"
    if gate.reason.startswith(label):
        return gate.reason
    return f"{label}: closed, {gate.reason.split(' closed:')[0]} is"


def _shared(art: ArtifactResult) -> str:
    """Where a shared cache's copy came from or went (the reference has no credentials)."""
    for copy, word in ((art.pulled, "from"), (art.pushed, "pushed to")):
        if copy:
            return f"  {word} {copy.reference} in {copy.seconds:.1f} s"
    return ""


def _boot_lines(boot: BootResult | None, relpath: Callable[[Path], str]) -> list[str]:
    if not boot:
        return []
    budget = f" (budget {boot.budget_s} s)" if boot.budget_s else ""
    lines = [
        f"boot: shell in {boot.boot_time_s} s{budget} on {boot.worker or '?'}: {stages_text(boot.stages)}"
    ]
    if boot.log:
        lines.append(f"boot console log: {relpath(Path(boot.log))}")
    return lines


class _Attempt(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def cause(self) -> str: ...
    @property
    def error(self) -> str: ...
    @property
    def log(self) -> str: ...


def attempts_text(attempts: Iterable[_Attempt]) -> str:
    """Each attempt of a boot or a test in order: how it ended and, for a fault, its
    line and log."""
    return "; ".join(
        f"attempt {a.number}: {a.cause}" + (f" ({a.error}; log {a.log})" if a.error else "") for a in attempts
    )


def _flaky_lines(tests: Iterable[Span]) -> list[str]:
    """What passed only after a retry: a device test, or the boot gate's first boot."""
    return [f"flaky: {test.nodeid.removeprefix('::')}: {test.flaky}" for test in tests if test.flaky]
