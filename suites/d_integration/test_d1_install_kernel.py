"""D1: the boot partition holds the bootloader files first, the kernel's uImage,
and a compiled boot.scr whose bootargs are the profile's."""

import pytest

from pytest_quill.card import bootscript, readback
from pytest_quill.card import image as diskimage

pytestmark = pytest.mark.gate(2)


def test_boot_files_are_in_the_profiles_order_bootloader_first(sd_card, profile):
    boot, _ = diskimage.layout(profile.sdcard)
    names = diskimage.fat_names(sd_card.file("card.img"), boot)
    expected = [path.name for path in profile.boot.bootloader_files] + ["uImage", "boot.scr"]
    assert names[: len(expected)] == expected == list(sd_card.meta.boot_files)


def test_boot_files_match_their_sources_byte_for_byte(sd_card, profile, kernel_uimage):
    assert readback.check_boot_files(sd_card.file("card.img"), profile, kernel_uimage, sd_card) == []


def test_boot_scr_is_a_compiled_script_with_the_profiles_bootargs(sd_card, profile):
    assert readback.check_boot_script(sd_card.file("card.img"), profile) == []


def test_boot_script_names_the_profiles_console_root_device_and_fs_type(sd_card, profile):
    text = sd_card.file("boot.cmd").read_text()
    assert text == bootscript.script_text(profile)
    assert bootscript.bootarg(text, "console") == f"{profile.boot.console},{profile.boot.baud}"
    assert bootscript.bootarg(text, "root") == profile.boot.root_device
    assert bootscript.bootarg(text, "rootfstype") == profile.sdcard.root_fs
