"""The quill command as a user runs it, against a cache of its own: empty, or
seeded at the keys a run of the options would compute (host backend: no Docker
asked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.synthetic_inputs import kernel_meta, rootfs_meta
from pytest_quill import cli
from pytest_quill.card.meta import CardMeta
from pytest_quill.cli import cached, common
from pytest_quill.engine.cache import META, Cache
from pytest_quill.engine.meta import meta_json
from pytest_quill.mvp.device import CARD_IMAGE
from tests.support.block_devices import sparse_card

PROJECT = Path(__file__).resolve().parents[2]
QUILL = Path(sys.executable).parent / "quill"
KERNEL_BYTES = 3_000_000
BUILT_AGO_S = 2 * 3600


def options(cache: Path, reports: Path) -> list[str]:
    return ["--cache", str(cache), "--reports", str(reports), "--backend", "host"]


def run_quill(*argv: str) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it (no terminal: no prompt)."""
    return subprocess.run(
        [str(QUILL), *argv],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=120,
    )


def seed(base: Path) -> list[str]:
    """Options whose cache under BASE holds every artifact at the keys quill computes,
    published as a run publishes them (with their sums)."""
    argv = options(base / "cache", base / "reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(PROJECT)
        found = common.setup(cli.parser().parse_args(["status", *argv]))
    store = Cache(found.cache / "artifacts")
    while True:
        todo = [e for e in cached.entries(found) if e.artifact is None and e.key]
        if not todo:
            return argv
        with store.staging(todo[0].name, todo[0].key) as out:
            FILES[todo[0].name](out)
            (out / META).write_text(json.dumps(meta_json(SEEDED[todo[0].name])))
            os.utime(out / META, (time.time() - BUILT_AGO_S,) * 2)
            store.publish(out, todo[0].name, todo[0].key)


SEEDED = {
    "kernel": kernel_meta(release="6.1.0-seeded"),
    "rootfs": rootfs_meta(),
    "sdcard": CardMeta(
        size_bytes=64 << 20,
        data_bytes=0,
        partitions=(),
        boot_files=("uImage", "boot.scr"),
        release="6.1.0-seeded",
        boot_script_uboot={},
    ),
}
FILES = {
    "kernel": lambda out: (out / "uImage").write_bytes(os.urandom(KERNEL_BYTES)),
    "rootfs": lambda out: (out / "rootfs.tar.gz").write_bytes(os.urandom(1000)),
    "sdcard": lambda out: sparse_card(out / CARD_IMAGE),
}
