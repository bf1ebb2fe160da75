"""The Gantt chart's drawing: its geometry, colours and style, the time scale,
and the shapes (a bar with its tooltip, a gate's mark, the axis, the legend).
What is drawn where is report/gantt.py's."""

from __future__ import annotations

import math
from html import escape

WIDTH = 1200
LEFT = 110  # room for the lane names
RIGHT = 30
TOP = 78  # title and metrics lines
LANE_HEIGHT = 68
WORK_TRACK = (6, 26)  # y offset and height inside a lane
GATE_TRACK = (34, 11)
TEST_TRACK = (47, 16)
CHAR_WIDTH = 6.6  # of the 11 px sans-serif labels, to decide whether a label fits

# The streams' colours, in the order the plan names its streams.
STREAM_PALETTE = ("#4e79a7", "#59a14f", "#f28e2b", "#b07aa1")
OTHER_STREAM = "#bab0ac"
ARTIFACT = {"built": "#2f4b7c", "cached": "#8da0cb", "failed": "#d62728"}
GATE = "#edc948"
GATE_CLOSED = "#ff9896"
BOOT = "#17becf"
WAIT_STROKE = "#7f7f7f"

STYLE = """
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


class Scale:
    """Seconds since the run started -> x in pixels."""

    def __init__(self, start: float, end: float, pixels: float):
        self.start = start
        self.seconds = max(end - start, 1e-6)
        self.pixels = pixels

    def x(self, t: float) -> float:
        return LEFT + (t - self.start) / self.seconds * self.pixels

    def width(self, t0: float, t1: float) -> float:
        return max((t1 - t0) / self.seconds * self.pixels, 1.0)


def axis(scale: Scale, bottom: float) -> list[str]:
    step = tick_step(scale.seconds)
    parts = [f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{LEFT + scale.pixels}" y2="{bottom}"/>']
    for i in range(int(scale.seconds / step) + 1):
        x = scale.x(scale.start + i * step)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>')
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{i * step:g}</text>')
    parts.append(
        f'<text x="{LEFT + scale.pixels}" y="{bottom + 34}" text-anchor="end">'
        "seconds since the run started</text>"
    )
    return parts


def tick_step(seconds: float) -> float:
    """A 1/2/5 x 10^k step giving at most about 12 ticks."""
    raw = seconds / 12
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def bar(
    scale: Scale,
    lane_y: float,
    track: tuple[int, int],
    span: tuple[float, float],
    fill: str,
    label: str,
    tooltip: str,
    kind: str,
    failed: bool,
) -> str:
    start, end = span
    x, width = scale.x(start), scale.width(start, end)
    y, height = lane_y + track[0], track[1]
    outline = ' class="failed"' if failed else ' stroke="#fff" stroke-width="0.5"'
    title = f"{tooltip}: {start - scale.start:.1f}-{end - scale.start:.1f} s ({end - start:.1f} s)"
    parts = [
        f'<g class="bar {kind}"><title>{escape(title)}</title>',
        f'<rect x="{x:.2f}" y="{y}" width="{width:.2f}" height="{height}" fill="{fill}"{outline}/>',
    ]
    if label and len(label) * CHAR_WIDTH + 6 <= width:
        text_class = "dark-label" if kind == "wait" else "bar-label"
        parts.append(
            f'<text class="{text_class}" x="{x + width / 2:.2f}" y="{y + height / 2 + 4}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def gate_mark(scale: Scale, lane_y: float, span: tuple[float, float], number: int) -> str:
    """ "G<n>" inside the start of a long decision, else just after a short one
    (gates decided back to back would otherwise write over each other)."""
    start, end = span
    inside = scale.width(start, end) >= 24
    x = scale.x(start) + 3 if inside else scale.x(end) + 3
    return (
        f'<text class="gate-mark" x="{x:.2f}" y="{lane_y + GATE_TRACK[0] + GATE_TRACK[1] - 1}">'
        f"G{number}</text>"
    )


def wait_pattern() -> str:
    return (
        '<defs><pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e0e0e0"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{WAIT_STROKE}" stroke-width="2"/>'
        "</pattern></defs>"
    )


def legend(y: float, stream_colours: dict[str, str]) -> list[str]:
    keys = [
        (ARTIFACT["built"], "artifact built"),
        (ARTIFACT["cached"], "artifact from cache"),
        (ARTIFACT["failed"], "artifact failed"),
        (GATE, "gate open"),
        (GATE_CLOSED, "gate closed"),
        ("url(#wait)", "waiting"),
        (BOOT, "boot"),
    ]
    tests = [(colour, f"test: {stream}") for stream, colour in stream_colours.items()]
    parts = ['<g class="legend">']
    for row, items in enumerate((keys, tests + [(OTHER_STREAM, "test: other")])):
        for column, (fill, text) in enumerate(items):
            x, item_y = LEFT + column * 150, y + row * 22
            parts.append(f'<rect x="{x}" y="{item_y}" width="14" height="14" fill="{fill}" stroke="#999"/>')
            parts.append(f'<text x="{x + 20}" y="{item_y + 11}">{escape(text)}</text>')
    parts.append("</g>")
    return parts
