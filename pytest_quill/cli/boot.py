"""quill boot: the cached card booted on the profile's bench, as the boot gate
boots it (Device.boot_card: judged by stages), then its console handed to you."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import NoReturn

from ..bench.base import BenchOptions, bench_for
from ..boot.device import Device
from ..errors import BenchError
from ..problems import refuse
from . import session
from .cached import cached_card
from .common import EXIT_FAILED, EXIT_OK, Commands, add_common, near, setup

KEEP_BOOTS = 5


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "boot",
        help="boot the cached card on the profile's bench and open its console",
        description="Boot the profile's cached card on its bench (QEMU for qemu-virt), wait "
        f"for the shell, then hand you the console. {session.ESCAPE_NAME} ends "
        "the session and powers the bench off; so does the end of input.",
    )
    parser.add_argument(
        "--timeout-factor",
        "--quill-timeout-factor",
        type=float,
        default=1.0,
        metavar="N",
        help="multiply the boot's timeouts (slow machines)",
    )
    add_common(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    found = setup(args)
    image = cached_card(found, args)
    folder = boot_folder(found.reports / "boots")
    bench = bench_for(found.profile, folder, BenchOptions(timeout_factor=args.timeout_factor))
    refuse(bench.check(), BenchError)
    log = folder / "console.log"
    say(f"booting {image} on the {found.profile.bench.kind} bench; console log: {near(log)}")
    _end_on_signals()
    with bench:  # powered off whatever ends the session
        device = Device.boot_card(bench, image, log)
        stages = ", ".join(f"{name} {at:.1f} s" for name, at in device.boot.stages.items())
        say(
            f"shell after {device.boot.boot_to_shell_s:.1f} s ({stages}); "
            f"{session.ESCAPE_NAME} ends the session and powers the bench off"
        )
        why, failed = session.attach(device.console, sys.stdin.fileno(), sys.stdout.buffer)
    print()  # the device's last line may lack its end
    say(f"{why}; bench powered off; its console log and card: {near(folder)}")
    return EXIT_FAILED if failed else EXIT_OK


def boot_folder(boots: Path) -> Path:
    """A new folder for this boot's console log and card; the oldest beyond
    KEEP_BOOTS go (each holds a card)."""
    boots.mkdir(parents=True, exist_ok=True)
    for old in sorted(boots.iterdir())[: -KEEP_BOOTS + 1]:
        shutil.rmtree(old, ignore_errors=True)
    folder = boots / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    folder.mkdir()
    return folder


def say(line: str) -> None:
    print(f"quill: {line}", flush=True)


def _end_on_signals() -> None:
    """A hang-up or a kill ends the session like the escape key: the terminal is
    restored and the bench powered off on the way out."""

    def leave(number: int, _frame: FrameType | None) -> NoReturn:
        raise SystemExit(128 + number)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, leave)
