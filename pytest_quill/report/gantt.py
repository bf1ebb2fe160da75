"""The run drawn as a Gantt chart: one lane per worker, a self-contained SVG.

Each lane has three tracks because the work nests: the upper track holds the
artifact builds, the boot and the waits; the thin middle one the gate
decisions (which build artifacts and wait for lower gates inside them); the
lower one the tests, coloured by stream, that all of this ran inside. An
artifact is drawn from when its deps were ready (metrics.own_spans).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any, TypeVar

from . import metrics
from .gantt_svg import (
    ARTIFACT,
    BOOT,
    GATE,
    GATE_CLOSED,
    GATE_TRACK,
    LANE_HEIGHT,
    LEFT,
    OTHER_STREAM,
    RIGHT,
    STREAM_PALETTE,
    STYLE,
    TEST_TRACK,
    TOP,
    WIDTH,
    WORK_TRACK,
    Scale,
    axis,
    bar,
    gate_mark,
    legend,
    wait_pattern,
)
from .rundata import ArtifactResult, BootResult, GateResult, RunRecord, Span, as_record

__all__ = ["LEFT", "RIGHT", "WIDTH", "render_svg", "stream_colours", "write"]
T = TypeVar("T", ArtifactResult, BootResult, GateResult, Span)


def render_svg(record: RunRecord | Mapping[str, Any]) -> str:
    """The chart of a run record (or its JSON form) as one SVG document (no
    external resources)."""
    record = as_record(record)
    lanes = _lanes(record)
    start, end = _span(record)
    scale = Scale(start, end, WIDTH - LEFT - RIGHT)
    colours = stream_colours(record)
    lanes_bottom = TOP + LANE_HEIGHT * max(1, len(lanes))
    legend_y = lanes_bottom + 44
    height = legend_y + 48
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f"<style>{STYLE}</style>",
        wait_pattern(),
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        *_title(record),
        *axis(scale, lanes_bottom),
    ]
    for index, worker in enumerate(lanes):
        parts.extend(_lane(record, worker, TOP + index * LANE_HEIGHT, scale, index, colours))
    parts.extend(legend(legend_y, colours))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(record: RunRecord | Mapping[str, Any], path: str | Path) -> Path:
    """Write the chart of a run record to path (folders made as needed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_svg(record), encoding="utf-8")
    return target


def stream_colours(record: RunRecord) -> dict[str, str]:
    """A colour per stream: the plan's, in its order, then any other a test names."""
    named = sorted({test.stream for test in record.tests if test.stream} - set(record.streams))
    return {
        stream: STREAM_PALETTE[index % len(STREAM_PALETTE)]
        for index, stream in enumerate([*record.streams, *named])
    }


def _lanes(record: RunRecord) -> list[str]:
    workers = {w for section in metrics.SECTIONS for w, _, _ in metrics.intervals(record, section)}
    if record.boot is not None and record.boot.start is not None:
        workers.add(record.boot.worker or metrics.SINGLE_PROCESS_WORKER)
    return sorted(workers, key=_natural)


def _natural(worker: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", worker))


def _span(record: RunRecord) -> tuple[float, float]:
    times = [
        t for section in metrics.SECTIONS for _, s, e in metrics.intervals(record, section) for t in (s, e)
    ]
    start = float(min(times, default=0.0) if record.started is None else record.started)
    end = float(max(times, default=start + 1.0) if record.finished is None else record.finished)
    return start, max(end, start + 1e-3)


def _title(record: RunRecord) -> list[str]:
    computed = metrics.compute(record)
    heading = (
        f"quill run: profile {record.profile}, backend {record.backend}, {computed['workers']} worker(s)"
    )
    summary = metrics.summary_lines(computed)
    ratios = "  |  ".join(" ".join(line.split()) for line in summary[1:])
    return [
        f'<text class="title" x="{LEFT}" y="22">{escape(heading)}</text>',
        f'<text x="{LEFT}" y="42">{escape(summary[0])}</text>',
        f'<text x="{LEFT}" y="58">{escape(ratios)}</text>',
    ]


def _lane(
    record: RunRecord, worker: str, y: float, scale: Scale, index: int, colours: dict[str, str]
) -> list[str]:
    shade = "#f7f7f7" if index % 2 == 0 else "#ffffff"
    parts = [
        f'<g class="lane" data-worker="{escape(worker)}">',
        f'<rect x="0" y="{y}" width="{WIDTH}" height="{LANE_HEIGHT}" fill="{shade}"/>',
        f'<text class="lane-name" x="10" y="{y + WORK_TRACK[0] + 17}">{escape(worker)}</text>',
        f'<text x="10" y="{y + TEST_TRACK[0] + 13}" fill="#666">tests</text>',
    ]
    for test in _entries(record.tests, worker):
        stream = test.stream
        parts.append(
            bar(
                scale,
                y,
                TEST_TRACK,
                _when(test),
                colours.get(stream or "", OTHER_STREAM),
                "",
                f"{test.nodeid or '?'} [{stream or 'no stream'}] {test.outcome}",
                "test",
                test.outcome in ("failed", "error"),
            )
        )
    for art in _entries(metrics.own_spans(record), worker):
        status = art.status or "built"
        parts.append(
            bar(
                scale,
                y,
                WORK_TRACK,
                _when(art),
                ARTIFACT.get(status, ARTIFACT["built"]),
                art.name or "?",
                f"{art.name or '?'} {status}" + (f": {art.error}" if art.error else ""),
                "artifact",
                art.failed,
            )
        )
    for boot in _entries((record.boot,) if record.boot else (), worker):
        parts.append(
            bar(
                scale,
                y,
                WORK_TRACK,
                _when(boot),
                BOOT,
                "boot",
                f"boot {_shown(boot.boot_time_s)} s to a shell",
                "boot",
                False,
            )
        )
    for wait in _entries(record.waits, worker):
        parts.append(
            bar(
                scale,
                y,
                WORK_TRACK,
                _when(wait),
                "url(#wait)",
                "wait",
                f"waits for {wait.what or '?'}",
                "wait",
                False,
            )
        )
    for gate in _entries(record.gates, worker):
        parts.append(
            bar(
                scale,
                y,
                GATE_TRACK,
                _when(gate),
                GATE if gate.open else GATE_CLOSED,
                "",
                f"gate {gate.number} ({gate.name}) " + ("open" if gate.open else f"closed: {gate.reason}"),
                "gate",
                not gate.open,
            )
        )
        parts.append(gate_mark(scale, y, _when(gate), gate.number))
    parts.append("</g>")
    return parts


def _entries(entries: Iterable[T], worker: str) -> list[T]:
    """The complete entries of WORKER's lane."""
    return [
        e
        for e in entries
        if (e.worker or metrics.SINGLE_PROCESS_WORKER) == worker and e.start is not None and e.end is not None
    ]


def _when(entry: ArtifactResult | BootResult | GateResult | Span) -> tuple[float, float]:
    return float(entry.start or 0.0), float(entry.end or 0.0)


def _shown(value: float | None) -> str:
    return "" if value is None else str(value)
