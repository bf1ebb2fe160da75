"""The run drawn as a Gantt chart: one lane per worker, a self-contained SVG.

Each lane has three tracks because the work nests: the upper track holds the
artifact builds, the boot and the waits; the thin middle one the gate
decisions (which build artifacts and wait for lower gates inside them); the
lower one the tests, coloured by stream, that all of this ran inside. An
artifact is drawn from when its deps were ready (metrics.own_spans).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from xml.sax.saxutils import escape

from . import metrics
from .streams import STREAMS, stream_of

WIDTH = 1200
LEFT = 110  # room for the lane names
RIGHT = 30
TOP = 78  # title and metrics lines
LANE_HEIGHT = 68
WORK_TRACK = (6, 26)  # y offset and height inside a lane
GATE_TRACK = (34, 11)
TEST_TRACK = (47, 16)
CHAR_WIDTH = 6.6  # of the 11 px sans-serif labels, to decide whether a label fits

STREAM_COLOURS = dict(zip(STREAMS.values(), ("#4e79a7", "#59a14f", "#f28e2b", "#b07aa1")))
OTHER_STREAM = "#bab0ac"
ARTIFACT = {"built": "#2f4b7c", "cached": "#8da0cb", "failed": "#d62728"}
GATE = "#edc948"
GATE_CLOSED = "#ff9896"
BOOT = "#17becf"
WAIT_STROKE = "#7f7f7f"

_STYLE = """
text { font-family: DejaVu Sans, Arial, sans-serif; font-size: 11px; fill: #222; }
.title { font-size: 15px; font-weight: bold; }
.lane-name { font-size: 12px; font-weight: bold; }
.bar-label { fill: #fff; pointer-events: none; }
.dark-label { fill: #222; pointer-events: none; }
.axis { stroke: #444; }
.grid { stroke: #ddd; }
.failed { stroke: #d62728; stroke-width: 2; }
.gate-mark { font-size: 9px; font-weight: bold; pointer-events: none; }
"""


def render_svg(record: dict) -> str:
    """The chart of a run record as one SVG document (no external resources)."""
    lanes = _lanes(record)
    start, end = _span(record)
    scale = _Scale(start, end, WIDTH - LEFT - RIGHT)
    lanes_bottom = TOP + LANE_HEIGHT * max(1, len(lanes))
    legend_y = lanes_bottom + 44
    height = legend_y + 48
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f"<style>{_STYLE}</style>",
        _wait_pattern(),
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        *_title(record),
        *_axis(scale, lanes_bottom),
    ]
    for index, worker in enumerate(lanes):
        parts.extend(_lane(record, worker, TOP + index * LANE_HEIGHT, scale, index))
    parts.extend(_legend(legend_y))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(record: dict, path: str | Path) -> Path:
    """Write the chart of a run record to path (folders made as needed)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_svg(record), encoding="utf-8")
    return target


class _Scale:
    """Seconds since the run started -> x in pixels."""

    def __init__(self, start: float, end: float, pixels: float):
        self.start = start
        self.seconds = max(end - start, 1e-6)
        self.pixels = pixels

    def x(self, t: float) -> float:
        return LEFT + (t - self.start) / self.seconds * self.pixels

    def width(self, t0: float, t1: float) -> float:
        return max((t1 - t0) / self.seconds * self.pixels, 1.0)


def _lanes(record: dict) -> list[str]:
    workers = {w for section in ("artifacts", "gates", "waits", "tests")
               for w, _, _ in metrics.intervals(record, section)}
    boot = record.get("boot") or {}
    if boot.get("start") is not None:
        workers.add(boot.get("worker") or metrics.SINGLE_PROCESS_WORKER)
    return sorted(workers, key=_natural)


def _natural(worker: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", worker))


def _span(record: dict) -> tuple[float, float]:
    times = [t for section in ("artifacts", "gates", "waits", "tests")
             for _, s, e in metrics.intervals(record, section) for t in (s, e)]
    start = record.get("started")
    start = float(min(times, default=0.0) if start is None else start)
    end = record.get("finished")
    end = float(max(times, default=start + 1.0) if end is None else end)
    return start, max(end, start + 1e-3)


def _title(record: dict) -> list[str]:
    computed = metrics.compute(record)
    heading = (f"quill run: profile {record.get('profile', '?')}, backend "
               f"{record.get('backend', '?')}, {computed['workers']} worker(s)")
    summary = metrics.summary_lines(computed)
    ratios = "  |  ".join(" ".join(line.split()) for line in summary[1:])
    return [f'<text class="title" x="{LEFT}" y="22">{escape(heading)}</text>',
            f'<text x="{LEFT}" y="42">{escape(summary[0])}</text>',
            f'<text x="{LEFT}" y="58">{escape(ratios)}</text>']


def _axis(scale: _Scale, bottom: float) -> list[str]:
    step = _tick_step(scale.seconds)
    parts = [f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + scale.pixels}" y2="{bottom}"/>']
    for i in range(int(scale.seconds / step) + 1):
        x = scale.x(scale.start + i * step)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{i * step:g}</text>')
    parts.append(f'<text x="{LEFT + scale.pixels}" y="{bottom + 34}" text-anchor="end">'
                 "seconds since the run started</text>")
    return parts


def _tick_step(seconds: float) -> float:
    """A 1/2/5 x 10^k step giving at most about 12 ticks."""
    raw = seconds / 12
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _lane(record: dict, worker: str, y: float, scale: _Scale, index: int) -> list[str]:
    shade = "#f7f7f7" if index % 2 == 0 else "#ffffff"
    parts = [f'<g class="lane" data-worker="{escape(worker)}">',
             f'<rect x="0" y="{y}" width="{WIDTH}" height="{LANE_HEIGHT}" fill="{shade}"/>',
             f'<text class="lane-name" x="10" y="{y + WORK_TRACK[0] + 17}">{escape(worker)}</text>',
             f'<text x="10" y="{y + TEST_TRACK[0] + 13}" fill="#666">tests</text>']
    for entry in _entries(record, "tests", worker):
        stream = entry.get("stream") or stream_of(entry.get("nodeid", ""))
        colour = STREAM_COLOURS.get(stream, OTHER_STREAM)
        failed = entry.get("outcome") in ("failed", "error")
        parts.append(_bar(scale, y, TEST_TRACK, entry, colour, "",
                          f"{entry.get('nodeid', '?')} [{stream or 'no stream'}] "
                          f"{entry.get('outcome', '')}", "test", failed))
    own = {**record, "artifacts": metrics.own_spans(record)}
    for entry in _entries(own, "artifacts", worker):
        status = entry.get("status", "built")
        parts.append(_bar(scale, y, WORK_TRACK, entry, ARTIFACT.get(status, ARTIFACT["built"]),
                          entry.get("name", "?"), f"{entry.get('name', '?')} {status}"
                          + (f": {entry['error']}" if entry.get("error") else ""),
                          "artifact", status == "failed"))
    boot = record.get("boot") or {}
    if boot.get("start") is not None and (boot.get("worker") or metrics.SINGLE_PROCESS_WORKER) == worker:
        parts.append(_bar(scale, y, WORK_TRACK, boot, BOOT, "boot",
                          f"boot {boot.get('boot_time_s', '')} s to a shell", "boot", False))
    for entry in _entries(record, "waits", worker):
        parts.append(_bar(scale, y, WORK_TRACK, entry, "url(#wait)", "wait",
                          f"waits for {entry.get('what', '?')}", "wait", False))
    for entry in _entries(record, "gates", worker):
        is_open = entry.get("open", True)
        parts.append(_bar(scale, y, GATE_TRACK, entry, GATE if is_open else GATE_CLOSED, "",
                          f"gate {entry.get('number', '?')} ({entry.get('name', '')}) "
                          + ("open" if is_open else f"closed: {entry.get('reason', '')}"),
                          "gate", not is_open))
        parts.append(_gate_mark(scale, y, entry))
    parts.append("</g>")
    return parts


def _entries(record: dict, section: str, worker: str) -> list[dict]:
    return [e for e in record.get(section) or []
            if (e.get("worker") or metrics.SINGLE_PROCESS_WORKER) == worker
            and e.get("start") is not None and e.get("end") is not None]


def _bar(scale: _Scale, lane_y: float, track: tuple[int, int], entry: dict, fill: str,
         label: str, tooltip: str, kind: str, failed: bool) -> str:
    start, end = float(entry["start"]), float(entry["end"])
    x, width = scale.x(start), scale.width(start, end)
    y, height = lane_y + track[0], track[1]
    outline = ' class="failed"' if failed else ' stroke="#fff" stroke-width="0.5"'
    title = f"{tooltip}: {start - scale.start:.1f}-{end - scale.start:.1f} s ({end - start:.1f} s)"
    parts = [f'<g class="bar {kind}"><title>{escape(title)}</title>',
             f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{height}" fill="{fill}"{outline}/>']
    if label and len(label) * CHAR_WIDTH + 6 <= width:
        text_class = "dark-label" if kind == "wait" else "bar-label"
        parts.append(f'<text class="{text_class}" x="{x + width / 2:.2f}" y="{y + height / 2 + 4}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</g>")
    return "".join(parts)


def _gate_mark(scale: _Scale, lane_y: float, entry: dict) -> str:
    """"G<n>" inside the start of a long decision, else just after a short one
    (gates decided back to back would otherwise write over each other)."""
    start, end = float(entry["start"]), float(entry["end"])
    inside = scale.width(start, end) >= 24
    x = scale.x(start) + 3 if inside else scale.x(end) + 3
    return (f'<text class="gate-mark" x="{x:.2f}" y="{lane_y + GATE_TRACK[0] + GATE_TRACK[1] - 1}">'
            f'G{escape(str(entry.get("number", "?")))}</text>')


def _wait_pattern() -> str:
    return ('<defs><pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e0e0e0"/>'
            f'<line x1="0" y1="0" x2="0" y2="6" stroke="{WAIT_STROKE}" stroke-width="2"/>'
            "</pattern></defs>")


def _legend(y: float) -> list[str]:
    keys = [(ARTIFACT["built"], "artifact built"), (ARTIFACT["cached"], "artifact from cache"),
            (ARTIFACT["failed"], "artifact failed"), (GATE, "gate open"), (GATE_CLOSED, "gate closed"),
            ("url(#wait)", "waiting"), (BOOT, "boot")]
    tests = [(colour, f"test: {stream}") for stream, colour in STREAM_COLOURS.items()]
    parts = ['<g class="legend">']
    for row, items in enumerate((keys, tests + [(OTHER_STREAM, "test: other")])):
        for column, (fill, text) in enumerate(items):
            x, item_y = LEFT + column * 150, y + row * 22
            parts.append(f'<rect x="{x}" y="{item_y}" width="14" height="14" fill="{fill}" stroke="#999"/>')
            parts.append(f'<text x="{x + 20}" y="{item_y + 11}">{escape(text)}</text>')
    parts.append("</g>")
    return parts
