"""The Nook's card mistakes (NOOK.md 8-11), each fed in on purpose: caught before
the card is written (preflight, kernel config) or when it is read back."""

import pytest

from pytest_quill.card import image as diskimage
from pytest_quill.card import readback
from pytest_quill.card.preflight import kernel_config_problems, preflight
from pytest_quill.errors import VerifyError
from pytest_quill.profile import load_profile
from tests.support.cards import (
    CONFIG_EXT4,
    CONFIG_NOOK,
    build_card,
    make_kernel,
    nook_with_loaders,
    tampered,
)


def test_good_nook_card_has_mlo_first_ext3_root_and_reads_back_clean(nook_card):
    profile, card, kernel, rootfs = nook_card
    boot, root = diskimage.layout(profile.sdcard)
    image = card.file("card.img")
    assert diskimage.fat_names(image, boot) == ["MLO", "u-boot.bin", "uImage", "boot.scr"]
    assert diskimage.probe(image, root.start)["TYPE"] == "ext3"
    assert readback.verify(card, profile, kernel, rootfs) == []


# Mistake 8: the root partition was ext4; the kernel has no ext4.


def test_mistake_8_ext4_root_for_a_kernel_without_ext4_is_refused_before_writing(tmp_path, loaders):
    profile = nook_with_loaders(loaders, **{"sdcard.root_fs": '"ext4"'})
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK)
    with pytest.raises(VerifyError) as caught:
        build_card(tmp_path, profile, kernel=kernel)
    message = caught.value.one_line()
    assert "sdcard.root_fs = ext4 is not in kernel.filesystems ['ext2', 'ext3', 'vfat']" in message
    assert "root FS ext4 (sdcard.root_fs) needs CONFIG_EXT4_FS=y; the kernel has no CONFIG_EXT4_FS" in message
    assert not (tmp_path / "card" / "card.img").exists()


def test_mistake_8_root_fs_named_by_the_profile_but_not_in_the_kernel_config(tmp_path):
    kernel = make_kernel(
        tmp_path / "kernel", config=CONFIG_EXT4.replace("CONFIG_EXT4_FS=y", "CONFIG_EXT4_FS=m")
    )
    with pytest.raises(
        VerifyError,
        match=r"needs CONFIG_EXT4_FS=y; the kernel has "
        r"CONFIG_EXT4_FS=m",
    ):
        build_card(tmp_path, load_profile("qemu-virt"), kernel=kernel)
    assert not (tmp_path / "card" / "card.img").exists()


def test_ext3_root_is_mountable_by_the_ext4_driver_only_from_kernel_4_3(tmp_path):
    profile = load_profile(
        "qemu-virt", overrides={"sdcard.root_fs": '"ext3"', "kernel.filesystems": '["ext3", "ext4"]'}
    )
    modern, old = tmp_path / "modern.config", tmp_path / "old.config"
    modern.write_text(CONFIG_EXT4)
    old.write_text(CONFIG_EXT4.replace("Linux/arm 6.1.0", "Linux/arm 3.18.0"))
    assert kernel_config_problems(profile, modern) == []
    assert kernel_config_problems(profile, old) == [
        f"{old}: root FS ext3 (sdcard.root_fs) needs CONFIG_EXT3_FS=y; the kernel has no CONFIG_EXT3_FS"
    ]


# Mistake 9: boot.scr left as text, uEnv.txt relied on, MLO and u-boot.bin missing.


def test_mistake_9_missing_bootloader_file_names_the_path_and_how_to_give_it(tmp_path, loaders):
    profile = load_profile(
        "nook-simple-touch",
        overrides={"boot.bootloader_files": f'["{tmp_path}/nowhere/MLO", "{loaders}/u-boot.bin"]'},
    )
    problems = preflight(profile)
    assert problems == [
        f"boot.bootloader_files: {tmp_path}/nowhere/MLO does not exist; put the "
        "file there or point to it with --quill-set "
        '\'boot.bootloader_files=["/path/MLO", "/path/u-boot.bin"]\''
    ]


def test_mistake_9_mlo_not_first_in_the_profile_is_refused(loaders):
    profile = load_profile(
        "nook-simple-touch", overrides={"boot.bootloader_files": f'["{loaders}/u-boot.bin", "{loaders}/MLO"]'}
    )
    assert preflight(profile) == [
        "boot.bootloader_files: MLO is number 2; the OMAP ROM loads the first file of the boot "
        "partition: MLO first"
    ]


def boot_scr_problems(nook_card, tmp_path, data: bytes) -> list[str]:
    tmp_path.mkdir(exist_ok=True)
    replacement = tmp_path / "boot.scr"
    replacement.write_bytes(data)
    card = tampered(nook_card, tmp_path, ["mcopy", "-o", str(replacement), "::boot.scr"])
    return readback.check_boot_script(card.file("card.img"), nook_card[0])


def test_mistake_9_boot_scr_left_as_text_is_caught(nook_card, tmp_path):
    problems = boot_scr_problems(nook_card, tmp_path, b"setenv bootargs console=ttyS0,115200\n")
    assert len(problems) == 1
    assert problems[0].endswith(
        "boot.scr on partition 1 is not a compiled script (mkimage -T "
        "script): 37 bytes, shorter than a 64-byte uImage header"
    )


def test_a_kernel_image_or_a_broken_crc_in_place_of_boot_scr_is_caught(nook_card, tmp_path):
    _, card, kernel, _ = nook_card
    problems = boot_scr_problems(nook_card, tmp_path / "a", kernel.file("uImage").read_bytes())
    assert "type code 2, the profile needs script (6)" in problems[0]
    flipped = bytearray(card.file("boot.scr").read_bytes())
    flipped[-2] ^= 0xFF
    problems = boot_scr_problems(nook_card, tmp_path / "b", bytes(flipped))
    assert "data CRC" in problems[0] and "does not match the data" in problems[0]


def test_mistake_9_uenv_txt_and_a_missing_mlo_are_caught(nook_card, tmp_path):
    profile, _, kernel, rootfs = nook_card
    uenv = tmp_path / "uEnv.txt"
    uenv.write_text("bootargs=console=ttyS0\n")
    card = tampered(nook_card, tmp_path, ["mdel", "::MLO"], ["mcopy", str(uenv), "::uEnv.txt"])
    problems = readback.check_boot_files(card.file("card.img"), profile, kernel, card)
    assert any("partition 1 has no MLO" in p for p in problems)
    assert any(
        "starts with ['u-boot.bin', 'uImage'], expected ['MLO', 'u-boot.bin'] first" in p for p in problems
    )
    assert any("holds uEnv.txt; this boot must not rely on it" in p for p in problems)


# A card left over from a kernel that has ttyO names (2.6.37 on): preflight
# refuses to make one for the Nook's 2.6.29, so the stale card is made so.
STALE_FOR_A_NEWER_KERNEL = {"kernel.version": '"3.0"'}


# Mistakes 10 and 11: console ttyO0 for ttyS0, root on the eMMC (mmcblk0p2).


@pytest.mark.parametrize(
    "setting, fact",
    [
        (
            {"boot.console": '"ttyO0"', **STALE_FOR_A_NEWER_KERNEL},
            "console=ttyO0,115200, the profile says console=ttyS0,115200 (boot.console/baud)",
        ),
        (
            {"boot.root_device": '"/dev/mmcblk0p2"'},
            "root=/dev/mmcblk0p2, the profile says root=/dev/mmcblk1p2 (boot.root_device)",
        ),
    ],
)
def test_mistakes_10_and_11_a_card_made_with_the_wrong_bootargs_is_named(tmp_path, loaders, setting, fact):
    wrong = nook_with_loaders(loaders, **setting)
    kernel = make_kernel(tmp_path / "kernel", config=CONFIG_NOOK)
    card, kernel, rootfs = build_card(tmp_path, wrong, kernel=kernel)
    problems = readback.verify(card, nook_with_loaders(loaders), kernel, rootfs)
    assert problems == [f"{card.file('card.img')}: boot.scr: {fact}"]


def test_mistake_11_root_device_that_is_not_partition_2_is_refused(loaders):
    profile = nook_with_loaders(loaders, **{"boot.root_device": '"/dev/mmcblk1p1"'})
    assert preflight(profile) == [
        "boot.root_device = /dev/mmcblk1p1 is not partition 2; the card's root filesystem is partition 2"
    ]
