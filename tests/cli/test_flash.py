"""quill flash on a fake machine (sysfs, /proc and /dev as folders, files standing
in for devices): the plugin's refusals word for word, nothing written; a good
card gets the cached image through bmaptool and is read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill import cli
from pytest_quill.cli.flash import Machine
from pytest_quill.formats import bmap
from tests.support.block_devices import GARBAGE, MIB, FakeMachine, untouched_proof
from tests.support.quill_cli import run_quill


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "machine")


def flash(machine, device, options, *more, answer=None, asked=None):
    """quill flash --device DEVICE ... on the fake machine: (exit status, stdout, stderr)."""

    def prompt(question: str) -> bool:
        (asked if asked is not None else []).append(question)
        return bool(answer)

    fake = Machine(**machine.roots(), allow_files=True, prompt=prompt)
    return cli.main(["flash", "--device", str(device), *more, *options], machine=fake)


def refusal(capsys, machine, device, options, *more) -> str:
    """The one line a refused flash says; asserts exit 4 and the device untouched."""
    before = untouched_proof(device)
    assert flash(machine, device, options, *more) == 4
    assert untouched_proof(device) == before
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.rstrip("\n")


def test_a_non_removable_disk_is_refused_as_the_plugin_refuses_it(capsys, machine, seeded):
    disk = machine.disk("sda", "sata", 256 * MIB, removable=False, model="Samsung SSD")
    assert refusal(capsys, machine, disk, seeded, "--confirm", "SERIAL42") == (
        f"quill: refusing {disk} (Generic Samsung SSD, {256 * MIB} bytes, serial SERIAL42): "
        "not removable and not on USB or MMC (transport other)"
    )


def test_a_card_of_the_wrong_size_is_refused(capsys, machine, seeded):
    card = machine.disk("sdb", "usb", 32 * MIB, removable=True)
    assert refusal(capsys, machine, card, seeded, "--confirm", "SERIAL42") == (
        f"quill: refusing {card} (Generic Card Reader, {32 * MIB} bytes, serial SERIAL42): "
        f"{32 * MIB} bytes, smaller than sdcard.min_device_bytes = {64 * MIB} or the image "
        f"({64 * MIB})"
    )


def test_no_consent_is_refused_with_the_confirm_to_give(capsys, machine, seeded):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, serial="9A3C")
    assert refusal(capsys, machine, card, seeded) == (
        f"quill: refusing {card} (Generic Card Reader, {128 * MIB} bytes, serial 9A3C): no "
        f"consent; rerun with --quill-sd-confirm 9A3C (or {128 * MIB})"
    )
    assert refusal(capsys, machine, card, seeded, "--confirm", "1234").endswith(
        "--quill-sd-confirm 1234 matches neither its serial nor its size in bytes"
    )


def test_the_console_script_refuses_what_is_no_block_device(machine, seeded):
    """This machine's own /dev, through the installed script: one line, exit 4."""
    result = run_quill("flash", "--device", "/dev/null", *seeded)
    assert (result.returncode, result.stderr) == (4, "quill: refusing /dev/null: not a block device\n")


def test_a_removable_card_gets_the_cached_image_and_is_read_back(capsys, machine, seeded):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    assert flash(machine, card, seeded, "--quill-sd-confirm", str(64 * MIB)) == 0
    out = capsys.readouterr().out
    image = next(Path(line.split(" ", 2)[2]) for line in out.splitlines() if line.startswith("card image "))
    source, written = image.read_bytes(), card.read_bytes()
    ranges = bmap.read(bmap.beside(image)).byte_ranges()
    assert ranges == [(0, 4096), (MIB, 12288), (40 * MIB, 2 * MIB)]
    for start, length in ranges:
        assert written[start : start + length] == source[start : start + length]
    mapped = sum(length for _, length in ranges)
    assert f"wrote {mapped} bytes in 3 ranges to {card} in " in out
    assert "read back: sha256 " in out


def test_a_yes_at_the_prompt_is_consent(capsys, machine, seeded):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, serial="9A3C", fill=GARBAGE)
    asked = []
    assert flash(machine, card, seeded, answer=True, asked=asked) == 0
    assert asked == [f"Erase {card} (Generic Card Reader, 0.1 GB) and write the card image? "]
    assert card.read_bytes()[:4] == b"\x55\xaa\x55\xaa"


def test_with_no_card_cached_it_says_which_run_makes_one(capsys, machine, empty):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    assert flash(machine, card, empty, "--confirm", "SERIAL42") == 3
    assert capsys.readouterr().err == (
        "quill: no card cached for profile qemu-virt (kernel is not cached either); make one "
        f"with: pytest -n 3 suites/ --quill-profile qemu-virt --quill-cache {empty[1]} "
        f"--quill-reports {empty[3]} --quill-backend host\n"
    )
    assert card.read_bytes()[:4] == GARBAGE
