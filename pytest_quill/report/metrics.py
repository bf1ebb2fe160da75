"""The plan's own metrics, measured from a run record (reports/quill-run.json).

Work intervals nest: an artifact is built inside some test's setup, a gate is
decided inside a test, and a worker waits inside a test too. So "busy" is the
union of a worker's work intervals minus its waits, never a plain sum, and
the sequential time is the sum of those busy times over the workers.
"""

from __future__ import annotations

# The plan's targets as the plan states them, shown beside the measured figures.
TARGETS = {
    "time_reduction": {"text": "40-50%"},
    "utilization": {"text": "> 70%"},
    "sync_overhead": {"text": "< 10%"},
}

SINGLE_PROCESS_WORKER = "main"  # the worker name of every event under -n 0


def compute(record: dict) -> dict:
    """wall_s, critical_path_s, sequential_s, time_reduction, utilization,
    sync_overhead (None when the record lacks what a figure needs), plus
    critical_chain (the names along the critical path) and workers."""
    wall = _wall(record)
    workers = _worker_count(record)
    busy = _busy_by_worker(record)
    waited = _waits_by_worker(record)
    sequential = sum(busy.values())
    chain, critical = _critical_path(record)
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


def summary_lines(metrics: dict) -> list[str]:
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


def intervals(record: dict, section: str) -> list[tuple[str, float, float]]:
    """(worker, start, end) of every complete entry of a record section."""
    found = []
    for entry in record.get(section) or []:
        start, end = entry.get("start"), entry.get("end")
        if start is None or end is None or end < start:
            continue
        found.append((entry.get("worker") or SINGLE_PROCESS_WORKER, float(start), float(end)))
    return found


def _wall(record: dict) -> float | None:
    started, finished = record.get("started"), record.get("finished")
    if started is not None and finished is not None and finished >= started:
        return float(finished) - float(started)
    spans = [(s, e) for section in ("artifacts", "gates", "waits", "tests")
             for _, s, e in intervals(record, section)]
    if not spans:
        return None
    return max(e for _, e in spans) - min(s for s, _ in spans)


def _worker_count(record: dict) -> int:
    declared = record.get("workers") or 0
    if declared > 0:
        return int(declared)
    seen = {w for section in ("artifacts", "gates", "waits", "tests")
            for w, _, _ in intervals(record, section)}
    return max(1, len(seen))


def _busy_by_worker(record: dict) -> dict[str, float]:
    work = _by_worker(intervals(record, "artifacts") + intervals(record, "gates")
                      + intervals(record, "tests"))
    waits = _by_worker(intervals(record, "waits"))
    return {worker: _length(_subtract(_union(spans), _union(waits.get(worker, []))))
            for worker, spans in work.items()}


def _waits_by_worker(record: dict) -> dict[str, float]:
    return {worker: _length(_union(spans))
            for worker, spans in _by_worker(intervals(record, "waits")).items()}


def own_spans(record: dict) -> list[dict]:
    """The artifact entries with "start" moved to when their deps were ready:
    an entry opens when its build is asked for, then waits for (or builds)
    its deps, and that time belongs to the deps, not to it."""
    ends = {e.get("name"): e["end"] for e in record.get("artifacts") or [] if e.get("end") is not None}
    spans = []
    for entry in record.get("artifacts") or []:
        if _duration(entry) is None:
            continue
        ready = max((ends[d] for d in entry.get("deps") or [] if d in ends and d != entry.get("name")),
                    default=entry["start"])
        spans.append({**entry, "start": min(max(entry["start"], ready), entry["end"])})
    return spans


def _critical_path(record: dict) -> tuple[list[str], float | None]:
    """The longest chain of artifact builds (through their deps) and the boot."""
    durations: dict[str, float] = {}
    deps: dict[str, list[str]] = {}
    for entry in own_spans(record):
        name = entry.get("name")
        if name is None:
            continue
        durations[name] = max(_duration(entry), durations.get(name, 0.0))
        deps[name] = [d for d in entry.get("deps") or [] if d != name]
    chains: dict[str, tuple[list[str], float]] = {}

    def chain_to(name: str, visiting: frozenset) -> tuple[list[str], float]:
        if name not in chains:
            before = [chain_to(d, visiting | {name}) for d in deps[name]
                      if d in durations and d not in visiting]
            path, length = max(before, key=lambda c: c[1], default=([], 0.0))
            chains[name] = (path + [name], length + durations[name])
        return chains[name]

    ends = [chain_to(name, frozenset()) for name in durations]
    boot_span = _boot_span(record)
    if boot_span is not None:
        boot_deps = (record.get("boot") or {}).get("deps")
        before = [chain_to(d, frozenset()) for d in boot_deps if d in durations] if boot_deps else ends
        path, length = max(before, key=lambda c: c[1], default=([], 0.0))
        ends = [(path + ["boot"], length + boot_span)]
    if not ends:
        return [], None
    return max(ends, key=lambda c: c[1])


def _boot_span(record: dict) -> float | None:
    """The boot's own time: from when the card was ready, else boot_time_s."""
    boot = record.get("boot") or {}
    if _duration(boot) is None:
        return float(boot["boot_time_s"]) if boot.get("boot_time_s") is not None else None
    card_ready = max((e["end"] for e in record.get("artifacts") or []
                      if e.get("end") is not None
                      and (not boot.get("deps") or e.get("name") in boot["deps"])),
                     default=boot["start"])
    return float(boot["end"]) - min(max(float(boot["start"]), card_ready), float(boot["end"]))


def _duration(entry: dict) -> float | None:
    start, end = entry.get("start"), entry.get("end")
    if start is None or end is None or end < start:
        return None
    return float(end) - float(start)


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


Span = tuple[float, float]


def _subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
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
