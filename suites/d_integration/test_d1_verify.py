"""D1: the card read back as a whole (gate 3), and, at the bench, written to the
real card given with --quill-sd-device and read back from it."""

import pytest

from pytest_quill.card import readback, writer

pytestmark = pytest.mark.gate(3)


def test_card_image_reads_back_with_no_broken_fact(sd_card, profile, kernel_uimage, rootfs_tarball):
    assert readback.verify(sd_card, profile, kernel_uimage, rootfs_tarball) == []


@pytest.mark.hardware
def test_real_card_is_written_and_reads_back_equal(sd_card, profile, request):
    device = request.config.getoption("quill_sd_device")
    if not device:
        pytest.skip("no --quill-sd-device given: no real card to write")
    report = writer.write_card(
        sd_card.file("card.img"), device, profile, confirm=request.config.getoption("quill_sd_confirm")
    )
    assert report.written_bytes >= sd_card.meta.data_bytes > 0
