"""What blockdev reads from a fake machine (tests/support/block_devices.py):
sysfs, /proc and /dev as folders laid out like the real kernel's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_quill.card import blockdev
from pytest_quill.errors import InputError
from tests.support.block_devices import MIB, FakeMachine


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "machine")


def inspect(machine, device):
    return blockdev.inspect(device, sysfs_root=machine.sys, dev_root=machine.dev, allow_files=True)


def test_usb_reader_is_removable_usb_with_the_usb_device_serial(machine):
    node = machine.disk(
        "sdb", "usb", 128 * MIB, removable=True, partitions=2, model="SD/MMC Reader", serial="000000009A3C"
    )
    device = inspect(machine, node)
    assert (device.name, device.transport, device.removable, device.size_bytes) == (
        "sdb",
        "usb",
        True,
        128 * MIB,
    )
    assert (device.model, device.serial, device.partitions) == (
        "Generic SD/MMC Reader",
        "000000009A3C",
        ("sdb1", "sdb2"),
    )
    assert not device.is_partition and not device.is_block


def test_mmc_card_has_its_own_name_and_serial(machine):
    node = machine.disk(
        "mmcblk0", "mmc", 64 * MIB, removable=False, partitions=1, model="SD32G", serial="0x1a2b3c4d"
    )
    device = inspect(machine, node)
    assert (device.transport, device.model, device.serial, device.partitions) == (
        "mmc",
        "SD32G",
        "0x1a2b3c4d",
        ("mmcblk0p1",),
    )


def test_a_by_id_link_resolves_to_the_disk(machine):
    node = machine.disk("sdc", "usb", 64 * MIB, removable=True)
    (machine.dev / "disk/by-id").mkdir(parents=True)
    os.symlink("../../sdc", machine.dev / "disk/by-id/usb-Reader-0:0")
    assert inspect(machine, machine.dev / "disk/by-id/usb-Reader-0:0").node == node


def test_a_partition_is_seen_as_one(machine):
    machine.disk("sdb", "usb", 64 * MIB, removable=True, partitions=1)
    device = inspect(machine, machine.dev / "sdb1")
    assert device.is_partition and device.name == "sdb1"


def test_a_plain_file_is_not_a_block_device_unless_files_are_allowed(machine):
    node = machine.disk("sdb", "usb", 64 * MIB, removable=True)
    with pytest.raises(InputError, match=r"^refusing .*/sdb: not a block device$"):
        blockdev.inspect(node, sysfs_root=machine.sys, dev_root=machine.dev)


def test_a_missing_device_is_refused(machine):
    with pytest.raises(InputError, match="no such device"):
        inspect(machine, machine.dev / "sdz")


def test_this_machines_own_disks_are_read_from_the_real_sysfs():
    disks = [p.name for p in Path("/sys/block").iterdir()] if Path("/sys/block").is_dir() else []
    real = [d for d in disks if Path(f"/dev/{d}").exists() and not d.startswith(("loop", "zram"))]
    if not real:
        pytest.skip("no disk in /sys/block")
    device = blockdev.inspect(f"/dev/{real[0]}")
    assert device.is_block and device.size_bytes > 0 and not device.is_partition
