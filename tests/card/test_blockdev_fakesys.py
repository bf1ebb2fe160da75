"""A fake machine (sysfs, /proc, /dev as folders; image files standing in for
devices) laid out like the real kernel's, and what blockdev reads from it.
Imported by test_writer_card.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_quill.card import blockdev
from pytest_quill.errors import InputError

MIB = 1 << 20
# Where the kernel puts each kind of disk under /sys/devices.
PARENTS = {
    "usb": ("pci0000:00/0000:00:14.0/usb2/2-1", "2-1:1.0/host6/target6:0:0/6:0:0:0"),
    "mmc": ("platform/soc/4809c000.mmc/mmc_host/mmc0", "mmc0:aaaa"),
    "sata": ("pci0000:00/0000:00:1f.2/ata1", "host0/target0:0:0/0:0:0:0"),
}


class FakeMachine:
    def __init__(self, root: Path):
        self.root = root
        self.sys, self.proc, self.dev = root / "sys", root / "proc", root / "dev"
        for folder in (self.sys / "class/block", self.proc / "self", self.dev):
            folder.mkdir(parents=True)
        self.mounts([])
        self.swaps([])

    def disk(self, name: str, bus: str, size: int, *, removable: bool, partitions: int = 0,
             model: str = "Card Reader", serial: str = "SERIAL42", fill: bytes = b"") -> Path:
        """A disk in sysfs and its stand-in file under dev/ (FILL repeated, else sparse)."""
        parent, device = PARENTS[bus]
        top = self.sys / "devices" / parent
        folder = top / device / "block" / name
        folder.mkdir(parents=True)
        (folder / "size").write_text(f"{size // 512}\n")
        (folder / "removable").write_text("1\n" if removable else "0\n")
        (folder / "holders").mkdir()
        os.symlink(folder.parent.parent, folder / "device")
        if bus == "mmc":
            (top / device / "name").write_text(model + "\n")
            (top / device / "serial").write_text(serial + "\n")
        else:
            (top / device / "vendor").write_text("Generic\n")
            (top / device / "model").write_text(model + "\n")
            (top / "serial").write_text(serial + "\n")
        self._link(name, folder)
        node = self._node(name, size, fill)
        for number in range(1, partitions + 1):
            part = name + ("p" if name[-1].isdigit() else "") + str(number)
            (folder / part).mkdir()
            (folder / part / "partition").write_text(f"{number}\n")
            (folder / part / "size").write_text(f"{size // 512 // partitions}\n")
            (folder / part / "holders").mkdir()
            self._link(part, folder / part)
            self._node(part, 0, b"")
        return node

    def mounts(self, lines: list[str]) -> None:
        (self.proc / "self/mounts").write_text(
            "".join(line + "\n" for line in ["proc /proc proc rw 0 0", *lines]))

    def swaps(self, devices: list[str]) -> None:
        (self.proc / "swaps").write_text(
            "Filename\tType\tSize\tUsed\tPriority\n"
            + "".join(f"{d}\tpartition\t1024\t0\t-2\n" for d in devices))

    def _link(self, name: str, folder: Path) -> None:
        os.symlink(os.path.relpath(folder, self.sys / "class/block"),
                   self.sys / "class/block" / name)

    def _node(self, name: str, size: int, fill: bytes) -> Path:
        node = self.dev / name
        with open(node, "wb") as handle:
            if fill:
                handle.write(fill * (size // len(fill)))
            handle.truncate(size)
        return node

    def roots(self) -> dict:
        return {"sysfs_root": self.sys, "proc_root": self.proc, "dev_root": self.dev}


@pytest.fixture
def machine(tmp_path):
    return FakeMachine(tmp_path / "machine")


def inspect(machine, device):
    return blockdev.inspect(device, sysfs_root=machine.sys, dev_root=machine.dev,
                            allow_files=True)


def test_usb_reader_is_removable_usb_with_the_usb_device_serial(machine):
    node = machine.disk("sdb", "usb", 128 * MIB, removable=True, partitions=2,
                        model="SD/MMC Reader", serial="000000009A3C")
    device = inspect(machine, node)
    assert (device.name, device.transport, device.removable, device.size_bytes) == \
        ("sdb", "usb", True, 128 * MIB)
    assert (device.model, device.serial, device.partitions) == \
        ("Generic SD/MMC Reader", "000000009A3C", ("sdb1", "sdb2"))
    assert not device.is_partition and not device.is_block


def test_mmc_card_has_its_own_name_and_serial(machine):
    node = machine.disk("mmcblk0", "mmc", 64 * MIB, removable=False, partitions=1,
                        model="SD32G", serial="0x1a2b3c4d")
    device = inspect(machine, node)
    assert (device.transport, device.model, device.serial, device.partitions) == \
        ("mmc", "SD32G", "0x1a2b3c4d", ("mmcblk0p1",))


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
