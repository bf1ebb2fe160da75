"""The labgrid bench kind: a place of a lab's coordinator ([bench.labgrid]).

Its bench, labgrid_bench.LabgridBench, needs labgrid (pytest-quill[labgrid]), so
it is imported only when the bench is made: a profile loads without labgrid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from ..profile import Seconds
from ..tables import Rule
from .base import Bench

# Module-level, not inside the class's annotations: get_type_hints evaluates those
# with the class's namespace as globals, where a lambda would not find `re`.
HostPort = Annotated[str, Rule("HOST:PORT", lambda s: bool(re.fullmatch(r"[\w.-]+:\d+", s)))]
PlaceTags = Annotated[
    tuple[str, ...],
    Rule(
        "key=value pairs, keys [a-z][a-z0-9_]+",
        lambda tags: all(re.fullmatch(r"[a-z][a-z0-9_]+=[\w.-]*", tag) for tag in tags),
    ),
]


@dataclass(frozen=True)
class Labgrid:
    coordinator: HostPort  # of the labgrid coordinator (gRPC)
    # The place reserved and acquired for the run, by name, or "" for any place with the tags.
    place: str = ""
    tags: PlaceTags = ()  # "key=value" place tags (labgrid-client set-tags); any free match will do
    acquire_timeout_s: Seconds = 600  # how long to wait while another run holds the place


SECTION = Labgrid


def bench_class() -> type[Bench]:
    from .labgrid_bench import LabgridBench  # labgrid itself: only for a labgrid run

    return LabgridBench
