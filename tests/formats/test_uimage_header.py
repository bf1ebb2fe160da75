"""The uImage reader/verifier against images made by the real mkimage."""

import dataclasses
import os
import subprocess
import zlib

import pytest

from pytest_quill.formats import uimage
from pytest_quill.profile import load_profile


@pytest.fixture
def made(tmp_path, profile):
    """A uImage made by mkimage from 100 KB of random 'zImage' at the profile's addresses."""
    zimage = tmp_path / "zImage"
    zimage.write_bytes(os.urandom(100_000))
    image = tmp_path / "uImage"
    subprocess.run(uimage.mkimage_argv(zimage, image, profile), check=True, capture_output=True)
    return image


def test_header_fields_match_what_mkimage_wrote(made, profile):
    header = uimage.read_header(made)
    assert header.magic == uimage.MAGIC
    assert (header.load, header.entry) == (0x40008000, 0x40008000)
    assert header.name == "QuillKernel-6.1-virt"
    assert header.size == 100_000
    assert (header.os, header.arch, header.type, header.compression) == (5, 2, 2, 0)
    assert header.data_crc == zlib.crc32((made.parent / "zImage").read_bytes())
    assert header.as_meta()["load"] == "0x40008000"


def test_an_image_made_for_the_profile_verifies_clean(made, profile):
    assert uimage.verify(made, profile) == []


def test_a_flipped_data_byte_breaks_the_data_crc(made, profile):
    raw = bytearray(made.read_bytes())
    raw[5000] ^= 0xFF
    made.write_bytes(bytes(raw))
    assert [p for p in uimage.verify(made, profile) if "data CRC" in p]


def test_a_changed_header_breaks_the_header_crc(made, profile):
    raw = bytearray(made.read_bytes())
    raw[40] ^= 0x01  # inside the name
    made.write_bytes(bytes(raw))
    problems = uimage.verify(made, profile)
    assert any("header CRC" in p for p in problems), problems


def test_addresses_of_another_board_are_named_with_both_values(made):
    nook = load_profile("nook-simple-touch")
    problems = uimage.verify(made, nook)
    assert f"{made}: uImage load address 0x40008000, profile says 0x80008000" in problems
    assert f"{made}: uImage entry point 0x40008000, profile says 0x80008000" in problems
    assert any("uImage name 'QuillKernel-6.1-virt'" in p for p in problems)


def test_an_image_over_the_size_budget_is_reported(made, profile):
    small = dataclasses.replace(profile, uimage=dataclasses.replace(profile.uimage, max_bytes=50_000))
    assert any("over the profile's budget of 50000" in p for p in uimage.verify(made, small))


def test_a_truncated_image_is_reported_by_size(made, profile):
    made.write_bytes(made.read_bytes()[:-10])
    assert any("header says 100000 data bytes, the file has 99990" in p for p in uimage.verify(made, profile))


def test_a_zimage_is_not_a_uimage(made, profile):
    zimage = made.parent / "zImage"
    (problem,) = uimage.verify(zimage, profile)
    assert "magic" in problem and "0x27051956" in problem


def test_a_gzip_compressed_image_is_refused(tmp_path, profile, made):
    image = tmp_path / "gz.uImage"
    argv = uimage.mkimage_argv(made.parent / "zImage", image, profile)
    argv[argv.index("-C") + 1] = "gzip"
    subprocess.run(argv, check=True, capture_output=True)
    assert any("compression code 1" in p for p in uimage.verify(image, profile))
