"""quill flash: the cached card onto a real card, through the plugin's writer
(card/writer.py): the same refusals, consent and read-back as
`pytest -m hardware --quill-sd-device`, without a run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..bench import operator
from ..card import blockdev, writer
from .cached import cached_card
from .common import EXIT_OK, Commands, add_common, setup


@dataclass(frozen=True)
class Machine:
    """Where the writer reads what a device is, and whom it asks for consent
    (this machine and its terminal; a fake machine in tests)."""

    sysfs_root: Path = blockdev.SYS
    proc_root: Path = blockdev.PROC
    dev_root: Path = blockdev.DEV
    allow_files: bool = False  # a regular file may stand for the card
    prompt: Callable[[str], bool] = operator.consent


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "flash",
        help="write the cached card to a real SD card",
        description="Write the profile's cached card image to a whole removable device with "
        "bmaptool, then read it back. A partition, a mounted or system disk, a "
        "non-removable disk or a size outside the profile's sdcard bounds is "
        "refused before a byte is written; consent is --confirm or a yes on the "
        "terminal.",
    )
    parser.add_argument(
        "--device",
        "--quill-sd-device",
        required=True,
        metavar="/dev/sdX",
        help="the whole card device (not a partition)",
    )
    parser.add_argument(
        "--confirm",
        "--quill-sd-confirm",
        default=None,
        metavar="SERIAL|SIZE",
        help="consent: the device's serial or its size in bytes, as the refusal shows them",
    )
    add_common(parser)
    parser.set_defaults(command=run)


def run(args: argparse.Namespace, machine: Machine = Machine()) -> int:
    found = setup(args)
    image = cached_card(found, args)
    print(f"card image {image}")
    report = writer.write_card(
        image,
        args.device,
        found.profile,
        confirm=args.confirm,
        prompt=machine.prompt,
        progress=show_progress,
        sysfs_root=machine.sysfs_root,
        proc_root=machine.proc_root,
        dev_root=machine.dev_root,
        allow_files=machine.allow_files,
    )
    print(
        f"\nwrote {report.written_bytes} bytes in {report.ranges} ranges to {report.device} "
        f"in {report.seconds:.1f} s; read back: sha256 {report.sha256}"
    )
    return EXIT_OK


def show_progress(phase: str, done: int, total: int) -> None:
    """One line updated in place on a terminal; only each phase's end otherwise."""
    if sys.stdout.isatty():
        print(f"\r{phase} {done * 100 // max(total, 1):3d}%", end="", flush=True)
    elif done == total:
        print(f"{phase}: {done} bytes")
