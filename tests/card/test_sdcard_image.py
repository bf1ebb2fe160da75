"""The card recipe on synthetic qemu-virt inputs, read back with the real tools."""

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from pytest_quill.card import image as diskimage
from pytest_quill.card import readback
from pytest_quill.card import recipe as sdcard
from pytest_quill.engine.context import Artifact
from pytest_quill.formats import bmap
from pytest_quill.profile import load_profile
from tests.support.cards import (
    RELEASE,
    ROOT_ENTRIES,
    build_card,
    make_rootfs,
    tar_entry,
)


@pytest.fixture(scope="module")
def qemu_card(tmp_path_factory):
    profile = load_profile("qemu-virt")
    return (profile, *build_card(tmp_path_factory.mktemp("qemu"), profile))


def test_qemu_virt_card_reads_back_with_no_problem(qemu_card):
    profile, card, kernel, rootfs = qemu_card
    assert readback.verify(card, profile, kernel, rootfs) == []


def test_card_is_the_profile_size_with_bootable_fat16_then_linux(qemu_card):
    profile, card, _, _ = qemu_card
    image = card.file("card.img")
    assert image.stat().st_size == 64 << 20
    table = json.loads(
        subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, check=True).stdout
    )["partitiontable"]
    first, second = table["partitions"]
    assert (table["label"], first["start"], first["size"], first["type"], first["bootable"]) == (
        "dos",
        2048,
        16 << 11,
        "e",
        True,
    )
    assert (second["start"], second["type"], "bootable" in second) == (2048 + (16 << 11), "83", False)
    assert diskimage.probe(image, 1 << 20)["VERSION"] == "FAT16"
    assert diskimage.probe(image, 17 << 20)["TYPE"] == "ext4"


def test_boot_partition_holds_uimage_then_compiled_boot_scr(qemu_card):
    profile, card, kernel, _ = qemu_card
    boot, _ = diskimage.layout(profile.sdcard)
    image = card.file("card.img")
    assert diskimage.fat_names(image, boot) == ["uImage", "boot.scr"]
    uimage = diskimage.fat_read(image, boot, "uImage", card.path.parent / "uImage.back")
    assert uimage == kernel.file("uImage").read_bytes()
    assert card.file("boot.cmd").read_text().startswith("setenv bootargs console=ttyAMA0,115200")


def test_root_partition_has_root_owned_device_nodes_and_the_modules(qemu_card):
    profile, card, _, _ = qemu_card
    _, root = diskimage.layout(profile.sdcard)
    modules_dep = f"/lib/modules/{RELEASE}/modules.dep"
    stats = diskimage.ext_stat_and_dump(
        card.file("card.img"), root, ["/dev/console", modules_dep], {}, card.path.parent
    )
    console = stats["/dev/console"]
    assert (console.type, console.uid, console.gid, console.mode) == ("character special", 0, 0, 0o600)
    assert stats[modules_dep].type == "regular"


def test_layout_and_meta_describe_the_card(qemu_card):
    _, card, kernel, _ = qemu_card
    layout = json.loads(card.file("layout.json").read_text())
    assert [p["fs"] for p in layout["partitions"]] == ["fat16", "ext4"]
    ko = [f for f in layout["files"] if f["path"].endswith("/squireos_core.ko")]
    assert ko and ko[0]["partition"] == 2
    assert card.meta.boot_files == ("uImage", "boot.scr")
    assert card.meta.release == kernel.meta.release
    assert card.meta.size_bytes == layout["size_bytes"] == 64 << 20


def test_image_is_sparse_yet_every_block_the_root_fs_uses_is_data(qemu_card):
    profile, card, _, _ = qemu_card
    _, root = diskimage.layout(profile.sdcard)
    image = card.file("card.img")
    assert diskimage.unwritten_bytes(image, diskimage.ext_used_ranges(image, root)) == 0
    assert 0 < card.meta.data_bytes < image.stat().st_size // 2


def test_card_bmap_maps_every_range_a_card_needs(qemu_card):
    profile, card, _, _ = qemu_card
    image = card.file("card.img")
    mapping = bmap.read(card.file("card.bmap"))
    assert (mapping.image_size, mapping.block_size) == (64 << 20, 4096)
    assert mapping.mapped_bytes == card.meta.data_bytes
    needed = diskimage.needed_ranges(image, *diskimage.layout(profile.sdcard))
    assert diskimage.bytes_outside(needed, mapping.byte_ranges()) == 0
    assert readback.check_block_map(image) == []


def test_a_corrupted_range_of_the_image_is_named_by_its_map(tmp_path, qemu_card):
    _, card, _, _ = qemu_card
    image = tmp_path / "card.img"
    subprocess.run(["cp", "--sparse=always", str(card.file("card.img")), str(image)], check=True)
    assert readback.check_block_map(image) == [
        f"{image}: no card.bmap beside it (bmaptool create): nothing says which ranges a card needs"
    ]
    (tmp_path / "card.bmap").write_bytes(card.file("card.bmap").read_bytes())
    item = bmap.read(tmp_path / "card.bmap").ranges[-1]
    with open(image, "r+b") as handle:
        old = os.pread(handle.fileno(), 1, item.end - 1)
        os.pwrite(handle.fileno(), bytes([old[0] ^ 0xFF]), item.end - 1)
    assert readback.check_block_map(image) == [
        f"{image}: blocks {item.first}-{item.last} (bytes {item.start}-{item.end - 1}) differ "
        "from card.bmap's sha256"
    ]


def test_a_card_with_a_punched_inode_table_is_caught(tmp_path, qemu_card):
    profile, card, kernel, rootfs = qemu_card
    copy = tmp_path / "card"
    copy.mkdir()
    subprocess.run(["cp", "--sparse=always", str(card.file("card.img")), str(copy)], check=True)
    (copy / "boot.scr").write_bytes(card.file("boot.scr").read_bytes())
    # The punched image's own map: bmaptool create leaves its holes out.
    subprocess.run(
        ["bmaptool", "create", "-o", str(copy / "card.bmap"), str(copy / "card.img")],
        check=True,
        capture_output=True,
    )
    punched = Artifact("sdcard", "p" * 16, copy, "built", card.log, card.meta)
    problems = readback.verify(punched, profile, kernel, rootfs)
    assert any("filesystem uses are holes; a sparse write" in p for p in problems), problems


def test_root_tree_content_differing_from_the_manifest_is_named(tmp_path, qemu_card):
    profile, card, kernel, rootfs = qemu_card
    folder = tmp_path / "rootfs"
    folder.mkdir()
    lines = []
    for line in rootfs.file("manifest.tsv").read_text().splitlines():
        path, mode, size, digest, kind = line.split("\t")
        mode = "0700" if path == "/init" else mode
        digest = "0" * 64 if path == "/etc/inittab" else digest
        lines.append("\t".join((path, mode, size, digest, kind)))
    lines.append("/etc/passwd\t0644\t10\t-\tfile")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n")
    other = Artifact("rootfs", "o" * 16, folder, "built", rootfs.log, rootfs.meta)
    problems = readback.check_root_tree(card.file("card.img"), profile, other)
    assert any("1 of 14 manifest entries missing, e.g. /etc/passwd" in p for p in problems)
    assert any("with another mode, e.g. /init" in p for p in problems)
    assert any("with another content, e.g. /etc/inittab" in p for p in problems)


@pytest.fixture
def as_nobody():
    """argv prefix running a command as user nobody; skips where that cannot work
    (not root, no such user, or a checkout nobody cannot read). When the tests
    themselves run as a plain user, every build here already goes through fakeroot."""
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import pytest, pytest_quill"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    if os.geteuid() != 0 or probe.returncode != 0:
        pytest.skip(f"cannot run this checkout's Python as nobody: {probe.stderr.strip()[-200:]}")
    return prefix


def test_a_build_as_a_plain_user_gets_root_owned_files_through_fakeroot(as_nobody):
    base = Path(tempfile.mkdtemp(prefix="quill-nonroot-"))
    os.chmod(base, 0o777)
    script = (
        "import sys; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from tests.support.cards import build_card;"
        "from pytest_quill.card import readback; from pytest_quill.profile import "
        "load_profile; "
        "p = load_profile('qemu-virt', directory=Path(sys.argv[2]) / 'hardware_profiles');"
        "card, k, r = build_card(Path(sys.argv[1]), p);"
        "print(readback.verify(card, p, k, r))"
    )
    try:
        done = subprocess.run(
            [*as_nobody, sys.executable, "-c", script, str(base), str(Path(__file__).parents[2])],
            capture_output=True,
            text=True,
            cwd=base,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "[]"
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=True)


def test_modules_follow_an_absolute_lib_link_inside_the_root_tree(tmp_path):
    entries = [e for e in ROOT_ENTRIES if e[0].name != "lib"]
    entries.append(tar_entry("lib", tarfile.SYMTYPE, 0o777, link="/usr/lib"))
    profile = load_profile("qemu-virt")
    card, kernel, rootfs = build_card(tmp_path, profile, rootfs=make_rootfs(tmp_path / "rootfs", entries))
    _, root = diskimage.layout(profile.sdcard)
    stats = diskimage.ext_stat_and_dump(
        card.file("card.img"), root, [f"/usr/lib/modules/{RELEASE}/modules.dep", "/lib"], {}, tmp_path
    )
    assert stats[f"/usr/lib/modules/{RELEASE}/modules.dep"].type == "regular"
    assert stats["/lib"].type == "symlink"
    assert readback.verify(card, profile, kernel, rootfs) == []


def test_a_root_tree_larger_than_partition_2_is_refused_before_mke2fs(tmp_path):
    big = tar_entry("bin/big", tarfile.REGTYPE, 0o644, bytes(13 << 20))
    profile = load_profile(
        "qemu-virt", overrides={"sdcard.image_mib": "32", "sdcard.min_device_bytes": str(32 << 20)}
    )
    with pytest.raises(
        sdcard.BuildError,
        match=r"root tree of 13 MiB \(rootfs \+ modules\) "
        r"does not fit partition 2 of 15 MiB",
    ):
        build_card(tmp_path, profile, rootfs=make_rootfs(tmp_path / "rootfs", ROOT_ENTRIES + [big]))


def test_fingerprint_follows_the_bootloader_bytes_and_the_boot_settings(tmp_path):
    loader = tmp_path / "MLO"
    loader.write_bytes(b"one")
    setting = {"boot.bootloader_files": f'["{loader}"]'}
    first = sdcard.RECIPE.fingerprint(load_profile("qemu-virt", overrides=setting), Path.cwd())
    loader.write_bytes(b"two")
    second = sdcard.RECIPE.fingerprint(load_profile("qemu-virt", overrides=setting), Path.cwd())
    third = sdcard.RECIPE.fingerprint(
        load_profile("qemu-virt", overrides={**setting, "boot.console": '"ttyS0"'}), Path.cwd()
    )
    assert len({json.dumps(f, sort_keys=True) for f in (first, second, third)}) == 3
    assert str(tmp_path) not in json.dumps(first)


@pytest.mark.parametrize("bits, kib", [(16, 16384), (32, 65536)])
def test_fat_metadata_range_ends_one_cluster_into_the_data_area(tmp_path, bits, kib):
    image = tmp_path / "fat.img"
    subprocess.run(
        ["mkfs.vfat", "-C", "-F", str(bits), str(image), str(kib)], check=True, capture_output=True
    )
    report = subprocess.run(["fsck.fat", "-vn", str(image)], capture_output=True, text=True).stdout
    data_start = int(re.search(r"Data area starts at byte (\d+)", report).group(1))
    cluster = int(re.search(r"(\d+) bytes per cluster", report).group(1))
    part = diskimage.Partition(1, 0, kib * 1024, "e", True, f"fat{bits}")
    assert diskimage.fat_metadata_range(image, part) == (0, data_start + cluster)
