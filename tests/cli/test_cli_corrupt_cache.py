"""quill boot and quill flash check the cached card against the sums its build
recorded (issue 24, item 2): a flipped byte, a truncated or deleted file is one
line and exit 1 before anything happens: QEMU is never started, no byte reaches
the card, nothing is asked. A real cache seeded at the keys quill computes; the
installed console script for boot, a fake machine with a file for a card for flash."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pytest_quill import cli
from pytest_quill.cli import cached, common
from pytest_quill.cli.flash import Machine
from pytest_quill.engine.cache import record_sums
from tests.support.block_devices import GARBAGE, MIB, FakeMachine, untouched_proof
from tests.support.quill_cli import PROJECT, QUILL, seed

FAKE_QEMU = """#!/bin/sh
echo "$0 $*" >> "{marker}"
exit 1
"""


@pytest.fixture
def seeded_here(tmp_path) -> list[str]:
    """A cache of this test's own, to damage."""
    return seed(tmp_path / "seeded")


def card_entry(argv: list[str]) -> Path:
    found = common.setup(cli.parser().parse_args(["status", *argv]))
    return next(e for e in cached.entries(found) if e.name == "sdcard").artifact.path


def flip_a_byte(path: Path) -> None:
    with open(path, "r+b") as image:
        image.seek(40 * MIB + 5)
        byte = image.read(1)
        image.seek(40 * MIB + 5)
        image.write(bytes([byte[0] ^ 0xFF]))


SPOIL = {
    "flipped byte": (
        lambda entry: flip_a_byte(entry / "card.img"),
        "card.img differs from the sha256 recorded when it was built",
    ),
    "truncated": (
        lambda entry: os.truncate(entry / "card.img", 40 * MIB),
        "card.img differs from the sha256 recorded when it was built",
    ),
    "deleted map": (lambda entry: (entry / "card.bmap").unlink(), "card.bmap is missing"),
    "deleted image": (lambda entry: (entry / "card.img").unlink(), "card.img is missing"),
}


def refusal_line(argv: list[str], entry: Path, reason: str) -> str:
    key = entry.name
    command = (
        "pytest -n 3 suites/ --quill-profile qemu-virt --quill-cache "
        f"{argv[1]} --quill-reports {argv[3]} --quill-backend host"
    )
    return (
        f"quill: the cached sdcard {key} is damaged: {reason} (in {entry}); not using it: "
        f"a run builds it again: {command}\n"
    )


def tree(folder: Path) -> dict[str, tuple]:
    """Every file under FOLDER with its size and mtime: what any write would change."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("how", SPOIL)
def test_boot_refuses_a_damaged_card_before_qemu_starts(tmp_path, seeded_here, how):
    entry = card_entry(seeded_here)
    spoil, reason = SPOIL[how]
    spoil(entry)
    bin_dir, marker = tmp_path / "bin", tmp_path / "qemu-started"
    bin_dir.mkdir()
    (bin_dir / "qemu-system-arm").write_text(FAKE_QEMU.format(marker=marker))
    (bin_dir / "qemu-system-arm").chmod(0o755)
    before = tree(tmp_path / "seeded")
    result = subprocess.run(
        [str(QUILL), "boot", *seeded_here],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        timeout=120,
        check=False,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        refusal_line(seeded_here, entry, reason),
    )
    assert not marker.exists()  # QEMU never started
    assert tree(tmp_path / "seeded") == before  # no boots folder, nothing rewritten


@pytest.mark.parametrize("how", SPOIL)
def test_flash_refuses_a_damaged_card_before_a_byte_is_written(tmp_path, capsys, seeded_here, how):
    entry = card_entry(seeded_here)
    spoil, reason = SPOIL[how]
    spoil(entry)
    machine = FakeMachine(tmp_path / "machine")
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    proof, before, asked = untouched_proof(card), tree(tmp_path / "seeded"), []
    fake = Machine(**machine.roots(), allow_files=True, prompt=asked.append)
    status = cli.main(
        ["flash", "--device", str(card), "--confirm", str(64 * MIB), *seeded_here], machine=fake
    )
    out, err = capsys.readouterr()
    assert (status, out, err) == (1, "", refusal_line(seeded_here, entry, reason))
    assert untouched_proof(card) == proof and asked == []
    assert tree(tmp_path / "seeded") == before


def test_a_damaged_kernel_refuses_the_card_keyed_by_it(tmp_path, capsys, seeded_here):
    """The card's key is made from the kernel's record: a damaged kernel entry leaves
    no card to trust, said with the kernel's damage."""
    found = common.setup(cli.parser().parse_args(["status", *seeded_here]))
    kernel = next(e for e in cached.entries(found) if e.name == "kernel").artifact.path
    (kernel / "uImage").unlink()
    machine = FakeMachine(tmp_path / "machine")
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    proof = untouched_proof(card)
    fake = Machine(**machine.roots(), allow_files=True, prompt=lambda question: True)
    assert cli.main(["flash", "--device", str(card), *seeded_here], machine=fake) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"quill: the cached kernel {kernel.name} is damaged: uImage is "
        f"missing (in {kernel}); not using it: a run builds it again: "
    )
    assert err.count("\n") == 1 and untouched_proof(card) == proof


def test_an_intact_card_is_still_flashed(tmp_path, capsys, seeded_here):
    """The check refuses damage only: the same cache, untouched, is written and read back."""
    machine = FakeMachine(tmp_path / "machine")
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    fake = Machine(**machine.roots(), allow_files=True, prompt=lambda question: False)
    assert (
        cli.main(["flash", "--device", str(card), "--confirm", str(64 * MIB), *seeded_here], machine=fake)
        == 0
    )
    assert "read back: sha256 " in capsys.readouterr().out


def test_flash_refuses_a_card_whose_meta_json_is_of_another_schema(tmp_path, capsys, seeded_here):
    """Its sums agree (a newer pytest-quill wrote it): its meta.json is what is wrong."""
    entry = card_entry(seeded_here)
    meta = json.loads((entry / "meta.json").read_text())
    (entry / "meta.json").write_text(json.dumps({**meta, "schema": 9}))
    record_sums(entry)
    machine = FakeMachine(tmp_path / "machine")
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    proof, asked = untouched_proof(card), []
    fake = Machine(**machine.roots(), allow_files=True, prompt=asked.append)
    status = cli.main(
        ["flash", "--device", str(card), "--confirm", str(64 * MIB), *seeded_here], machine=fake
    )
    out, err = capsys.readouterr()
    reason = f"{entry / 'meta.json'}: CardMeta schema 9, this pytest-quill reads 1"
    assert (status, out, err) == (1, "", refusal_line(seeded_here, entry, reason))
    assert untouched_proof(card) == proof and asked == []
