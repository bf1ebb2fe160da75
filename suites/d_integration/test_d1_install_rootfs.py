"""D1: the root partition holds the rootfs tarball's tree and the kernel's
modules for its release, and every block it uses is real data on the image."""

import pytest

from pytest_quill.card import readback

pytestmark = pytest.mark.gate(2)


def test_root_filesystem_holds_every_manifest_entry_with_its_checksum(sd_card, profile, rootfs_tarball):
    assert readback.check_root_tree(sd_card.file("card.img"), profile, rootfs_tarball) == []


def test_kernel_modules_are_installed_for_the_kernels_release(sd_card, profile, kernel_uimage):
    assert sd_card.meta.release == kernel_uimage.meta.release
    assert readback.check_modules(sd_card.file("card.img"), profile, kernel_uimage) == []


def test_every_block_the_root_filesystem_uses_is_written_data(sd_card, profile):
    assert readback.check_used_blocks_written(sd_card.file("card.img"), profile) == []
