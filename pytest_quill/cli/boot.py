"""quill boot: the cached card booted on the profile's bench, as the boot gate
boots it (Device.boot_card: judged by stages), then its console handed to you.

A real boot's state is kept in the cache (bench/snapshots.py, where the bench can
and the cache is writable); while the card and the bench are unchanged the next
`quill boot` starts from it, shell up in about a second. --real-boot boots anyway."""

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

from ..bench.base import Bench, BenchOptions, bench_for
from ..bench.snapshots import SnapshotStore
from ..boot.device import Device
from ..boot.judge import BootReport
from ..digest import file_sha256
from ..errors import BenchError, QuillError
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
    parser.add_argument(
        "--real-boot",
        action="store_true",
        help="boot the card even when the state of its last boot on this bench is kept",
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
        device, how = start(bench, image, log, SnapshotStore(found.cache / "snapshots"), args.real_boot)
        device.console.hand_over()
        say(f"{how}; {session.ESCAPE_NAME} ends the session and powers the bench off")
        why, failed = session.attach(device.console, sys.stdin.fileno(), sys.stdout.buffer)
    print()  # the device's last line may lack its end
    say(f"{why}; bench powered off; its console log and card: {near(folder)}")
    return EXIT_FAILED if failed else EXIT_OK


def start(bench: Bench, image: Path, log: Path, states: SnapshotStore, real: bool) -> tuple[Device, str]:
    """The device with its shell up, and how it came up: from the kept state of this
    card on this bench, else booted (and its state kept for the next time)."""
    key = bench.state_key(file_sha256(image))
    state = states.find(key) if key is not None and not real else None
    if state is not None:
        started = time.monotonic()
        device = Device.restore_card(bench, image, state, log, BootReport())
        return device, (
            f"shell after {time.monotonic() - started:.1f} s, from the state kept after this "
            "card's last boot (--real-boot boots it)"
        )
    device = Device.boot_card(bench, image, log)
    stages = ", ".join(f"{name} {at:.1f} s" for name, at in device.boot.stages.items())
    how = f"shell after {device.boot.boot_to_shell_s:.1f} s ({stages})"
    if key is not None and os.access(states.root.parent, os.W_OK):  # a read-only cache serves as is
        try:
            bench.save_state(states, key)
            how += "; its state kept for the next quill boot"
        except (QuillError, OSError) as why:
            how += f"; its state not kept: {why}"
    return device, how


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
