"""D1: the card is partitioned as the profile says: a power-of-two image, a
bootable FAT partition, then the root filesystem the kernel can mount."""

import pytest

from pytest_quill.card import image as diskimage
from pytest_quill.card import readback
from pytest_quill.card import recipe as sdcard

pytestmark = pytest.mark.gate(2)


def test_card_image_is_the_profiles_power_of_two_size(sd_card, profile):
    size = sd_card.file("card.img").stat().st_size
    assert size == profile.sdcard.image_mib << 20 == sd_card.meta.size_bytes
    assert size & (size - 1) == 0


def test_image_fits_the_smallest_card_the_profile_accepts(sd_card, profile):
    assert sd_card.meta.size_bytes <= profile.sdcard.min_device_bytes


def test_partition_table_is_dos_with_bootable_fat_then_root(sd_card, profile):
    assert readback.check_partitions(sd_card.file("card.img"), profile) == []
    assert sd_card.meta.partitions == tuple(p.as_dict() for p in diskimage.layout(profile.sdcard))


def test_boot_partition_is_fat_and_root_partition_is_the_profiles_filesystem(sd_card, profile, kernel_uimage):
    assert readback.check_filesystems(sd_card.file("card.img"), profile, kernel_uimage) == []


def test_root_filesystem_type_is_built_into_the_kernel(profile, kernel_uimage):
    assert profile.sdcard.root_fs in profile.kernel.filesystems
    assert sdcard.kernel_config_problems(profile, kernel_uimage.file("config")) == []
