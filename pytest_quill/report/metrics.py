"""The plan's own metrics, measured from a run record (reports/quill-run.json).

Work intervals nest: an artifact is built inside some test's setup, a gate is
decided inside a test, and a worker waits inside a test too. So "busy" is the
union of a worker's work intervals minus its waits, never a plain sum, and
the sequential time is the sum of those busy times over the workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .rundata import (
    ArtifactResult,
    BootResult,
    Figures,
    GateResult,
    RunRecord,
    Span,
    as_record,
)

# The plan's targets as the plan states them, shown beside the measured figures.
TARGETS = {
    "time_reduction": {"text": "40-50%"},
    "utilization": {"text": "> 70%"},
    "sync_overhead": {"text": "< 10%"},
}

SINGLE_PROCESS_WORKER = "main"  # the worker name of every event under -n 0
SECTIONS = ("artifacts", "gates", "waits", "tests")
Timed = ArtifactResult | GateResult | Span | BootResult


def compute(record: RunRecord | Mapping[str, Any]) -> Figures:
    """wall_s, critical_path_s, sequential_s, time_reduction, utilization,
    sync_overhead (None when the record lacks what a figure needs), plus
    critical_chain (the names along the critical path) and workers."""
    made = as_record(record)
    wall = _wall(made)
    workers = _worker_count(made)
    busy = _busy_by_worker(made)
    waited = _waits_by_worker(made)
    sequential = sum(busy.values())
    chain, critical = _critical_path(made)
    capacity = workers * wall if wall else 0.0
    return {
        "wall_s": _seconds(wall),
        "critical_path_s": _seconds(critical),
        "critical_chain": chain,
        "sequential_s": _seconds(sequential),
        "workers": workers,
        "time_reduction": _ratio(1 - wall / sequential) if wall is not None and sequential else None,
        "utilization": _ratio(sequential / capacity) if capacity else None,
        "sync_overhead": _ratio(sum(waited.values()) / capacity) if capacity else None,
    }


def summary_lines(metrics: Figures) -> list[str]:
    """The terminal summary: the times, then each ratio measured beside the plan's
    figure. No verdict: the plan's figures are for cold parallel builds, and a
    warm run (seconds of work) is not judged by them."""
    chain = " -> ".join(metrics.get("critical_chain") or []) or "n/a"
    lines = [
        f"wall {_show_s(metrics.get('wall_s'))} on {metrics.get('workers', '?')} worker(s), "
        f"sequential work {_show_s(metrics.get('sequential_s'))}, "
        f"critical path {_show_s(metrics.get('critical_path_s'))} ({chain})"
    ]
    for name, target in TARGETS.items():
        value = metrics.get(name)
        shown = "n/a" if value is None else f"{value * 100:5.1f}%"
        lines.append(f"{name.replace('_', ' '):<15} {shown:>6}  (plan: {target['text']})")
    return lines


def intervals(record: RunRecord, section: str) -> list[tuple[str, float, float]]:
    """(worker, start, end) of every complete entry of a record section."""
    found = []
    for entry in _section(record, section):
        if (took := _duration(entry)) is not None and entry.start is not None:
            found.append((entry.worker or SINGLE_PROCESS_WORKER, entry.start, entry.start + took))
    return found


def _section(record: RunRecord, section: str) -> tuple[Timed, ...]:
    sections: dict[str, tuple[Timed, ...]] = {
        "artifacts": record.artifacts,
        "gates": record.gates,
        "waits": record.waits,
        "tests": record.tests,
    }
    return sections[section]


def _wall(record: RunRecord) -> float | None:
    started, finished = record.started, record.finished
    if started is not None and finished is not None and finished >= started:
        return float(finished) - float(started)
    spans = [(s, e) for section in SECTIONS for _, s, e in intervals(record, section)]
    if not spans:
        return None
    return max(e for _, e in spans) - min(s for s, _ in spans)


def _worker_count(record: RunRecord) -> int:
    if record.workers > 0:
        return record.workers
    seen = {w for section in SECTIONS for w, _, _ in intervals(record, section)}
    return max(1, len(seen))


def _busy_by_worker(record: RunRecord) -> dict[str, float]:
    work = _by_worker(
        intervals(record, "artifacts") + intervals(record, "gates") + intervals(record, "tests")
    )
    waits = _by_worker(intervals(record, "waits"))
    return {
        worker: _length(_subtract(_union(spans), _union(waits.get(worker, []))))
        for worker, spans in work.items()
    }


def _waits_by_worker(record: RunRecord) -> dict[str, float]:
    return {
        worker: _length(_union(spans)) for worker, spans in _by_worker(intervals(record, "waits")).items()
    }


def own_spans(record: RunRecord) -> list[ArtifactResult]:
    """The artifact entries with start moved to when their deps were ready: an
    entry opens when its build is asked for, then waits for (or builds) its
    deps, and that time belongs to the deps, not to it."""
    ends = {e.name: e.end for e in record.artifacts if e.end is not None}
    spans = []
    for entry in record.artifacts:
        if _duration(entry) is None or entry.start is None or entry.end is None:
            continue
        ready = max((ends[d] for d in entry.deps if d in ends and d != entry.name), default=entry.start)
        spans.append(replace(entry, start=min(max(entry.start, ready), entry.end)))
    return spans


def _critical_path(record: RunRecord) -> tuple[list[str], float | None]:
    """The longest chain of artifact builds (through their deps) and the boot."""
    durations: dict[str, float] = {}
    deps: dict[str, list[str]] = {}
    for entry in own_spans(record):
        durations[entry.name] = max(_duration(entry) or 0.0, durations.get(entry.name, 0.0))
        deps[entry.name] = [d for d in entry.deps if d != entry.name]
    chains: dict[str, tuple[list[str], float]] = {}

    def chain_to(name: str, visiting: frozenset[str]) -> tuple[list[str], float]:
        if name not in chains:
            before = [
                chain_to(d, visiting | {name}) for d in deps[name] if d in durations and d not in visiting
            ]
            path, length = max(before, key=lambda c: c[1], default=([], 0.0))
            chains[name] = (path + [name], length + durations[name])
        return chains[name]

    ends = [chain_to(name, frozenset()) for name in durations]
    boot_span = _boot_span(record)
    if boot_span is not None:
        boot_deps = record.boot.deps if record.boot else None
        before = [chain_to(d, frozenset()) for d in boot_deps if d in durations] if boot_deps else ends
        path, length = max(before, key=lambda c: c[1], default=([], 0.0))
        ends = [(path + ["boot"], length + boot_span)]
    if not ends:
        return [], None
    return max(ends, key=lambda c: c[1])


def _boot_span(record: RunRecord) -> float | None:
    """The boot's own time: from when the card was ready, else boot_time_s."""
    boot = record.boot or BootResult()
    if _duration(boot) is None or boot.start is None or boot.end is None:
        return float(boot.boot_time_s) if boot.boot_time_s is not None else None
    card_ready = max(
        (e.end for e in record.artifacts if e.end is not None and (not boot.deps or e.name in boot.deps)),
        default=boot.start,
    )
    return float(boot.end) - min(max(float(boot.start), card_ready), float(boot.end))


def _duration(entry: Timed) -> float | None:
    if entry.start is None or entry.end is None or entry.end < entry.start:
        return None
    return float(entry.end) - float(entry.start)


def _by_worker(spans: list[tuple[str, float, float]]) -> dict[str, list[tuple[float, float]]]:
    grouped: dict[str, list[tuple[float, float]]] = {}
    for worker, start, end in spans:
        grouped.setdefault(worker, []).append((start, end))
    return grouped


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


Interval = tuple[float, float]


def _subtract(spans: list[Interval], holes: list[Interval]) -> list[Interval]:
    """Both sorted and disjoint (outputs of _union)."""
    left = []
    for start, end in spans:
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                left.append((start, hole_start))
            start = max(start, hole_end)
            if start >= end:
                break
        if start < end:
            left.append((start, end))
    return left


def _length(spans: list[tuple[float, float]]) -> float:
    return sum(end - start for start, end in spans)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _ratio(value: float) -> float:
    return round(value, 4)


def _show_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"
