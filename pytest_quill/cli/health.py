"""quill health: whether the profile's bench can run a card now (the tools,
the QEMU binary and its firmware, the serial console, the power control, a
labgrid place), without building or booting anything."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from ..bench.base import BenchOptions, bench_for
from .common import EXIT_BENCH, EXIT_OK, add_common, setup


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "health",
        help="check the profile's bench (tools, console, power) before a run",
        description="Ask the profile's bench whether it can run a card: one line per problem "
        f"and exit {EXIT_BENCH} (the bench's, not the product's), else exit 0.",
    )
    add_common(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    found = setup(args)
    folder = Path(tempfile.mkdtemp(prefix="quill-health-"))
    bench = bench_for(found.profile, folder, BenchOptions())
    try:
        problems = bench.check()
    finally:
        bench.close()
        shutil.rmtree(folder, ignore_errors=True)
    for problem in problems:
        print(f"quill: bench not ready: {problem}", file=sys.stderr)
    if problems:
        return EXIT_BENCH
    print(f"quill: the {found.profile.bench.kind} bench of {found.profile.name} is ready")
    return EXIT_OK
