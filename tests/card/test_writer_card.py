"""The card writer on a fake machine: each refusal is one line and writes nothing;
a good card gets exactly the ranges of the image's map (bmaptool copy), read
back and checked against the map; a corrupted range is named."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pytest_quill.card import blockdev, readback, writer
from pytest_quill.card import image as diskimage
from pytest_quill.engine.context import Artifact
from pytest_quill.errors import BenchError, InputError, VerifyError
from pytest_quill.formats import bmap
from pytest_quill.profile import load_profile
from tests.support.block_devices import (
    GARBAGE,
    MIB,
    FakeMachine,
    make_map,
    sparse_card,
    untouched_proof,
)
from tests.support.cards import CONFIG_NOOK, build_card, make_kernel


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "machine")


@pytest.fixture
def image(tmp_path):
    return sparse_card(tmp_path / "card.img")


def refused(machine, image, profile, device, **options) -> str:
    """The refusal's line; asserts the device kept every byte."""
    before = untouched_proof(device) if device.is_file() else None
    with pytest.raises(InputError) as caught:
        writer.write_card(
            image, device, profile, confirm="SERIAL42", allow_files=True, **machine.roots(), **options
        )
    assert before is None or untouched_proof(device) == before
    line = caught.value.one_line()
    assert "\n" not in str(caught.value)
    return line


def test_refuses_a_non_removable_sata_disk(machine, image, profile):
    disk = machine.disk("sda", "sata", 256 * MIB, removable=False, model="Samsung SSD")
    assert refused(machine, image, profile, disk) == (
        f"refusing {disk} (Generic Samsung SSD, {256 * MIB} bytes, serial SERIAL42): "
        "not removable and not on USB or MMC (transport other)"
    )


def test_refuses_a_card_with_a_mounted_partition(machine, image, profile):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2)
    machine.mounts(["/dev/sdb1 /media/user/BOOT vfat rw 0 0"])
    assert refused(machine, image, profile, card).endswith(
        "mounted: sdb1 on /media/user/BOOT; unmount it first"
    )


def test_refuses_the_disk_holding_root(machine, image, profile):
    disk = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2)
    machine.mounts(["/dev/sdb2 / ext4 rw 0 0"])
    assert refused(machine, image, profile, disk).endswith("it holds / (the running system)")


def test_refuses_a_disk_holding_swap(machine, image, profile):
    disk = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2)
    machine.swaps(["/dev/sdb2"])
    assert refused(machine, image, profile, disk).endswith("sdb2 is in use as swap")


def test_refuses_a_card_held_by_device_mapper(machine, image, profile):
    disk = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=1)
    (machine.sys / "class/block/sdb1/holders/dm-0").mkdir()
    assert refused(machine, image, profile, disk).endswith("in use by dm-0")


def test_refuses_a_too_small_card(machine, image, profile):
    card = machine.disk("sdb", "usb", 32 * MIB, removable=True)
    assert refused(machine, image, profile, card).endswith(
        f"{32 * MIB} bytes, smaller than sdcard.min_device_bytes = {64 * MIB} or the image ({64 * MIB})"
    )


def test_refuses_a_device_larger_than_any_card(machine, image, profile):
    disk = machine.disk("sdb", "usb", 128 * (1 << 30), removable=True)
    assert "larger than sdcard.max_device_bytes" in refused(machine, image, profile, disk)


def test_refuses_a_partition(machine, image, profile):
    machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=1)
    line = refused(machine, image, profile, machine.dev / "sdb1")
    assert line.endswith("sdb1 is a partition; give the whole device")


def test_refuses_without_consent_and_shows_serial_and_size(machine, image, profile):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, serial="9A3C")
    before = untouched_proof(card)
    with pytest.raises(InputError) as caught:
        writer.write_card(image, card, profile, allow_files=True, **machine.roots())
    assert caught.value.one_line() == (
        f"refusing {card} (Generic Card Reader, {128 * MIB} bytes, serial 9A3C): no consent; "
        f"rerun with --quill-sd-confirm 9A3C (or {128 * MIB})"
    )
    assert untouched_proof(card) == before


def test_refuses_a_wrong_confirmation_and_a_declined_prompt(machine, image, profile):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, serial="9A3C")
    before = untouched_proof(card)
    with pytest.raises(InputError, match="--quill-sd-confirm 1234 matches neither"):
        writer.write_card(image, card, profile, confirm="1234", allow_files=True, **machine.roots())
    questions = []
    with pytest.raises(InputError, match="no consent"):
        writer.write_card(
            image,
            card,
            profile,
            prompt=lambda q: questions.append(q) and False,
            allow_files=True,
            **machine.roots(),
        )
    assert questions == [f"Erase {card} (Generic Card Reader, 0.1 GB) and write the card image? "]
    assert untouched_proof(card) == before


def test_this_machines_own_disk_is_refused():
    disks = [p.name for p in Path("/sys/block").iterdir() if not p.name.startswith(("loop", "zram"))]
    if not disks or not Path(f"/dev/{disks[0]}").exists():
        pytest.skip("no disk of this machine to ask about")
    device = blockdev.inspect(f"/dev/{disks[0]}")
    line = blockdev.refusal(device, load_profile("qemu-virt").sdcard, 64 * MIB)
    assert line and line.startswith(f"refusing /dev/{disks[0]} (")


def test_writes_only_the_mapped_ranges_through_bmaptool(machine, image, profile):
    """End to end through bmaptool, a regular file standing in for the card. bmaptool
    truncates a regular file before writing, so outside the map it reads zeros; a
    block device keeps its old bytes there (see the nook tests below)."""
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    seen = []
    report = writer.write_card(
        image,
        card,
        profile,
        confirm=str(64 * MIB),
        allow_files=True,
        progress=lambda *step: seen.append(step),
        **machine.roots(),
    )
    ranges = writer.write_ranges(image)
    assert ranges == [(0, 4096), (MIB, 12288), (40 * MIB, 2 * MIB)]
    assert report.written_bytes == sum(length for _, length in ranges) < 4 * MIB
    assert report.ranges == len(ranges) == 3
    assert report.bmap == str(bmap.beside(image))
    data = card.read_bytes()
    source = image.read_bytes()
    for start, length in ranges:
        assert data[start : start + length] == source[start : start + length]
    assert data[10 * MIB : 10 * MIB + 4] == bytes(4) and len(data) == 64 * MIB
    assert seen[-1] == ("verify", report.written_bytes, report.written_bytes)
    assert ("write", report.written_bytes, report.written_bytes) in seen


def test_an_image_without_its_map_is_refused_before_consent(machine, image, profile):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    bmap.beside(image).unlink()
    asked = []
    with pytest.raises(InputError, match=r"card.img: no card.bmap beside it; the card recipe"):
        writer.write_card(image, card, profile, prompt=asked.append, allow_files=True, **machine.roots())
    assert asked == [] and card.read_bytes()[:4] == GARBAGE


def test_an_image_changed_after_its_map_is_stopped_by_bmaptool_and_named(tmp_path, image):
    with open(image, "r+b") as handle:
        handle.seek(41 * MIB + 7)
        handle.write(b"X")
    with pytest.raises(VerifyError) as caught:
        writer.write_image(image, tmp_path / "card")
    assert caught.value.one_line() == (
        f"{image}: blocks 10240-10751 (bytes {40 * MIB}-{42 * MIB - 1}) differ from "
        f"card.bmap's checksum; bmaptool stopped there, {tmp_path / 'card'} is partly written"
    )


def test_an_image_changed_after_its_map_is_refused_before_consent_and_any_write(machine, image, profile):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    with open(image, "r+b") as handle:
        handle.seek(41 * MIB + 7)
        handle.write(b"X")
    before, asked = untouched_proof(card), []
    with pytest.raises(VerifyError) as caught:
        writer.write_card(image, card, profile, prompt=asked.append, allow_files=True, **machine.roots())
    assert caught.value.one_line() == (
        f"{image}: blocks 10240-10751 (bytes {40 * MIB}-{42 * MIB - 1}) differ from "
        "card.bmap's checksum; nothing written"
    )
    assert asked == [] and untouched_proof(card) == before


def written_card(tmp_path, image):
    card = tmp_path / "card"
    writer.write_image(image, card)
    return card


def test_a_corrupted_range_on_the_card_is_named_with_its_offset(tmp_path, image):
    card = written_card(tmp_path, image)
    with open(card, "r+b") as handle:
        handle.seek(MIB + 5000)
        handle.write(b"\xff")
    with pytest.raises(BenchError) as caught:
        writer.verify_written(image, writer.block_map(image), card)
    assert caught.value.one_line() == (
        f"{card}: read back differs from card.bmap in blocks 256-258 "
        f"(bytes {MIB}-{MIB + 12287}), first at offset {MIB + 5000}"
    )


def test_a_card_shorter_than_the_map_is_named_with_the_offset(tmp_path, image):
    card = written_card(tmp_path, image)
    os.truncate(card, 41 * MIB)
    with pytest.raises(BenchError, match=rf"^{card}: read failed at offset {40 * MIB}: "):
        writer.verify_written(image, writer.block_map(image), card)


@pytest.fixture(scope="module")
def nook_card(tmp_path_factory):
    """An ext3 card: ext3 has no lazily initialised inode tables, so the zeros
    mke2fs leaves as holes matter there."""
    base = tmp_path_factory.mktemp("nook")
    (base / "MLO").write_bytes(b"x-loader" * 2000)
    (base / "u-boot.bin").write_bytes(b"u-boot" * 20000)
    profile = load_profile(
        "nook-simple-touch",
        overrides={
            "boot.bootloader_files": f'["{base}/MLO", "{base}/u-boot.bin"]',
            "sdcard.image_mib": "64",
            "sdcard.min_device_bytes": str(64 * MIB),
        },
    )
    kernel = make_kernel(base / "kernel", config=CONFIG_NOOK)
    return (profile, *build_card(base, profile, kernel=kernel))


def written_over_garbage(machine: FakeMachine, image: Path, profile) -> Path:
    device = machine.disk(
        "mmcblk0", "mmc", profile.sdcard.min_device_bytes, removable=False, fill=GARBAGE, serial="0xfeed"
    )
    writer.write_card(image, device, profile, confirm="0xfeed", allow_files=True, **machine.roots())
    return device


def fsck_root(device: Path, profile, tmp_path: Path) -> subprocess.CompletedProcess:
    _, root = diskimage.layout(profile.sdcard)
    copy = tmp_path / "p2.img"
    with open(device, "rb") as source, open(copy, "wb") as dest:
        source.seek(root.start)
        dest.write(source.read(root.size))
    return subprocess.run(["e2fsck", "-fn", str(copy)], capture_output=True, text=True)


def mapped_over_garbage(image: Path, device: Path) -> Path:
    """What bmaptool copy leaves on a block device: the map's ranges from the image,
    the card's old bytes everywhere else (a regular file, it would truncate first)."""
    device.write_bytes(GARBAGE * (image.stat().st_size // len(GARBAGE)))
    with open(image, "rb") as source, open(device, "r+b") as dest:
        for start, length in writer.write_ranges(image):
            os.pwrite(dest.fileno(), os.pread(source.fileno(), length, start), start)
    return device


def test_a_nook_card_written_through_bmaptool_reads_back_and_checks_clean(tmp_path, machine, nook_card):
    profile, card, kernel, rootfs = nook_card
    device = written_over_garbage(machine, card.file("card.img"), profile)
    written = tmp_path / "written"
    written.mkdir()
    os.link(device, written / "card.img")
    for name in ("boot.scr", "card.bmap"):
        (written / name).write_bytes(card.file(name).read_bytes())
    on_card = Artifact("sdcard", "w" * 16, written, "built", card.log, card.meta)
    assert readback.verify(on_card, profile, kernel, rootfs) == []
    fsck = fsck_root(device, profile, tmp_path)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_a_nook_card_over_garbage_keeps_old_bytes_outside_its_map_and_checks_clean(tmp_path, nook_card):
    """The holes the map leaves out are don't-care: the card's old bytes stay there
    and the root filesystem still checks clean."""
    profile, card, _, _ = nook_card
    device = mapped_over_garbage(card.file("card.img"), tmp_path / "mmcblk0")
    assert GARBAGE in device.read_bytes()[60 * MIB :]
    fsck = fsck_root(device, profile, tmp_path)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_the_same_card_with_its_zeroed_blocks_as_holes_fails_fsck_over_garbage(tmp_path, nook_card):
    """A map made from an image whose zeroed blocks are holes leaves those blocks out."""
    profile, card, _, _ = nook_card
    punched = tmp_path / "punched.img"
    subprocess.run(["cp", "--sparse=always", str(card.file("card.img")), str(punched)], check=True)
    make_map(punched)
    fsck = fsck_root(mapped_over_garbage(punched, tmp_path / "mmcblk0"), profile, tmp_path)
    assert fsck.returncode != 0 and "Inode bitmap differences" in fsck.stdout


def test_a_device_that_fails_a_write_is_reported_with_the_offset(image):
    with pytest.raises(BenchError, match=r"^/dev/full: (write|fsync) failed"):
        writer.write_image(image, Path("/dev/full"))
