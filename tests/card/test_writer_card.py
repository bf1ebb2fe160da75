"""The card writer on a fake machine: each refusal is one line and writes nothing;
a good card gets exactly the image's data, read back and compared."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from pytest_quill.card import blockdev, readback, writer
from pytest_quill.card import image as diskimage
from pytest_quill.engine.context import Artifact
from pytest_quill.errors import BenchError, InputError
from pytest_quill.profile import load_profile
from tests.card.test_blockdev_fakesys import MIB, FakeMachine
from tests.card.test_sdcard_image import build_card
from tests.card.test_sdcard_synthetic import CONFIG_NOOK, make_kernel

GARBAGE = b"\xa5OLD"


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "machine")


@pytest.fixture
def image(tmp_path):
    """64 MiB, sparse: data at 0, 1 MiB + 100 and 40 MiB, holes elsewhere."""
    path = tmp_path / "card.img"
    with open(path, "wb") as handle:
        handle.truncate(64 * MIB)
        for offset, data in ((0, b"\x55\xaa" * 256), (MIB + 100, b"boot" * 3000),
                             (40 * MIB, os.urandom(2 * MIB))):
            handle.seek(offset)
            handle.write(data)
    return path


def untouched_proof(path: Path) -> tuple:
    """What any write would change: mtime, size, the data extents and their bytes."""
    info = path.stat()
    with open(path, "rb") as handle:
        extents = diskimage.data_ranges(handle.fileno())
        content = hashlib.sha256()
        for start, length in extents:
            content.update(os.pread(handle.fileno(), length, start))
    return info.st_mtime_ns, info.st_size, extents, content.hexdigest()


def refused(machine, image, profile, device, **options) -> str:
    """The refusal's line; asserts the device kept every byte."""
    before = untouched_proof(device) if device.is_file() else None
    with pytest.raises(InputError) as caught:
        writer.write_card(image, device, profile, confirm="SERIAL42", allow_files=True,
                          **machine.roots(), **options)
    assert before is None or untouched_proof(device) == before
    line = caught.value.one_line()
    assert "\n" not in str(caught.value)
    return line


def test_refuses_a_non_removable_sata_disk(machine, image, profile):
    disk = machine.disk("sda", "sata", 256 * MIB, removable=False, model="Samsung SSD")
    assert refused(machine, image, profile, disk) == (
        f"refusing {disk} (Generic Samsung SSD, {256 * MIB} bytes, serial SERIAL42): "
        "not removable and not on USB or MMC (transport other)")


def test_refuses_a_card_with_a_mounted_partition(machine, image, profile):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2)
    machine.mounts(["/dev/sdb1 /media/user/BOOT vfat rw 0 0"])
    assert refused(machine, image, profile, card).endswith(
        "mounted: sdb1 on /media/user/BOOT; unmount it first")


def test_refuses_the_disk_holding_root(machine, image, profile):
    disk = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2)
    machine.mounts(["/dev/sdb2 / ext4 rw 0 0"])
    assert refused(machine, image, profile, disk).endswith(
        "it holds / (the running system)")


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
        f"{32 * MIB} bytes, smaller than sdcard.min_device_bytes = {64 * MIB} or the image "
        f"({64 * MIB})")


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
        f"rerun with --quill-sd-confirm 9A3C (or {128 * MIB})")
    assert untouched_proof(card) == before


def test_refuses_a_wrong_confirmation_and_a_declined_prompt(machine, image, profile):
    card = machine.disk("sdb", "usb", 128 * MIB, removable=True, serial="9A3C")
    before = untouched_proof(card)
    with pytest.raises(InputError, match="--quill-sd-confirm 1234 matches neither"):
        writer.write_card(image, card, profile, confirm="1234", allow_files=True,
                          **machine.roots())
    questions = []
    with pytest.raises(InputError, match="no consent"):
        writer.write_card(image, card, profile, prompt=lambda q: questions.append(q) and False,
                          allow_files=True, **machine.roots())
    assert questions == [f"Erase {card} (Generic Card Reader, 0.1 GB) and write the card image? "]
    assert untouched_proof(card) == before


def test_this_machines_own_disk_is_refused():
    disks = [p.name for p in Path("/sys/block").iterdir() if not p.name.startswith(("loop",
                                                                                    "zram"))]
    if not disks or not Path(f"/dev/{disks[0]}").exists():
        pytest.skip("no disk of this machine to ask about")
    device = blockdev.inspect(f"/dev/{disks[0]}")
    line = blockdev.refusal(device, load_profile("qemu-virt").sdcard, 64 * MIB)
    assert line and line.startswith(f"refusing /dev/{disks[0]} (")


def test_writes_only_the_image_data_and_leaves_the_holes_alone(machine, image, profile):
    card = machine.disk("sdb", "usb", 64 * MIB, removable=True, fill=GARBAGE)
    seen = []
    report = writer.write_card(image, card, profile, confirm=str(64 * MIB), allow_files=True,
                               progress=lambda *step: seen.append(step), **machine.roots())
    ranges = writer.write_ranges(image)
    assert report.written_bytes == sum(length for _, length in ranges) < 4 * MIB
    assert report.ranges == len(ranges) == 3
    data = card.read_bytes()
    source = image.read_bytes()
    for start, length in ranges:
        assert data[start:start + length] == source[start:start + length]
    assert data[10 * MIB:10 * MIB + 4] == GARBAGE and data[60 * MIB:60 * MIB + 4] == GARBAGE
    assert seen[-1] == ("verify", report.written_bytes, report.written_bytes)
    assert ("write", report.written_bytes, report.written_bytes) in seen


@pytest.fixture(scope="module")
def nook_card(tmp_path_factory):
    """An ext3 card: ext3 has no lazily initialised inode tables, so the zeros
    mke2fs leaves as holes matter there."""
    base = tmp_path_factory.mktemp("nook")
    (base / "MLO").write_bytes(b"x-loader" * 2000)
    (base / "u-boot.bin").write_bytes(b"u-boot" * 20000)
    profile = load_profile("nook-simple-touch", overrides={
        "boot.bootloader_files": f'["{base}/MLO", "{base}/u-boot.bin"]',
        "sdcard.image_mib": "64", "sdcard.min_device_bytes": str(64 * MIB)})
    kernel = make_kernel(base / "kernel", config=CONFIG_NOOK)
    return (profile, *build_card(base, profile, kernel=kernel))


def written_over_garbage(machine: FakeMachine, image: Path, profile) -> Path:
    device = machine.disk("mmcblk0", "mmc", profile.sdcard.min_device_bytes, removable=False,
                          fill=GARBAGE, serial="0xfeed")
    writer.write_card(image, device, profile, confirm="0xfeed", allow_files=True,
                      **machine.roots())
    return device


def fsck_root(device: Path, profile, tmp_path: Path) -> subprocess.CompletedProcess:
    _, root = diskimage.layout(profile.sdcard)
    copy = tmp_path / "p2.img"
    with open(device, "rb") as source, open(copy, "wb") as dest:
        source.seek(root.start)
        dest.write(source.read(root.size))
    return subprocess.run(["e2fsck", "-fn", str(copy)], capture_output=True, text=True)


def test_a_nook_card_written_over_garbage_reads_back_and_checks_clean(tmp_path, machine,
                                                                       nook_card):
    """The holes the writer skips are don't-care: the card's old bytes stay there and
    the root filesystem still checks clean."""
    profile, card, kernel, rootfs = nook_card
    device = written_over_garbage(machine, card.file("card.img"), profile)
    written = tmp_path / "written"
    written.mkdir()
    os.link(device, written / "card.img")
    (written / "boot.scr").write_bytes(card.file("boot.scr").read_bytes())
    on_card = Artifact("sdcard", "w" * 16, written, "built", card.log, card.meta)
    assert readback.verify(on_card, profile, kernel, rootfs) == []
    fsck = fsck_root(device, profile, tmp_path)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_the_same_card_with_its_zeroed_blocks_as_holes_fails_fsck_over_garbage(
        tmp_path, machine, nook_card):
    profile, card, _, _ = nook_card
    punched = tmp_path / "punched.img"
    subprocess.run(["cp", "--sparse=always", str(card.file("card.img")), str(punched)],
                   check=True)
    fsck = fsck_root(written_over_garbage(machine, punched, profile), profile, tmp_path)
    assert fsck.returncode != 0 and "Inode bitmap differences" in fsck.stdout


def test_a_device_that_fails_a_write_is_reported_with_the_offset(image):
    with pytest.raises(BenchError, match=r"^/dev/full: (write|fsync) failed"):
        writer.write_image(image, Path("/dev/full"), exclusive=False)
