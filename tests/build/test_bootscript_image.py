"""boot.scr: the text the profile makes, and the reader of mkimage's script images."""

import subprocess

import pytest

from pytest_quill.build import bootscript
from pytest_quill.profile import load_profile


@pytest.fixture
def compiled(tmp_path):
    def compile_text(text: str, image_type: str = "script") -> bytes:
        source, image = tmp_path / "boot.cmd", tmp_path / "boot.scr"
        source.write_text(text)
        argv = bootscript.mkimage_argv(source, image)
        argv[argv.index("-T") + 1] = image_type
        subprocess.run(argv, check=True, capture_output=True)
        return image.read_bytes()
    return compile_text


def test_qemu_virt_script_sets_bootargs_then_runs_the_profile_commands():
    profile = load_profile("qemu-virt")
    lines = bootscript.script_text(profile).splitlines()
    assert lines[0] == ("setenv bootargs console=ttyAMA0,115200 root=/dev/vda2 rootfstype=ext4 "
                        "rootwait panic=-1")
    assert lines[1:] == list(profile.boot.commands)


def test_nook_script_names_ttys0_the_sd_card_root_and_ext3():
    text = bootscript.script_text(load_profile("nook-simple-touch"))
    assert bootscript.bootarg(text, "console") == "ttyS0,115200"
    assert bootscript.bootarg(text, "root") == "/dev/mmcblk1p2"
    assert bootscript.bootarg(text, "rootfstype") == "ext3"


def test_reader_returns_the_text_mkimage_wrapped(compiled):
    text = bootscript.script_text(load_profile("qemu-virt"))
    image = bootscript.read_script_image(compiled(text))
    assert image.text == text
    assert (image.image_type, image.arch, image.name) == (6, 2, "quill boot script")


def test_reader_refuses_a_script_left_as_text():
    with pytest.raises(ValueError, match="not a compiled script"):
        bootscript.read_script_image(b"setenv bootargs console=ttyS0,115200\n" * 3)


def test_reader_refuses_a_kernel_image_in_place_of_a_script(compiled):
    with pytest.raises(ValueError, match="image type 2, not 6"):
        bootscript.read_script_image(compiled("echo not a script\n", image_type="kernel"))


@pytest.mark.parametrize("offset, fault", [(40, "header CRC"), (80, "data CRC")])
def test_reader_catches_a_flipped_byte(compiled, offset, fault):
    data = bytearray(compiled("echo one\necho two\n"))
    data[offset] ^= 0xFF
    with pytest.raises(ValueError, match=fault):
        bootscript.read_script_image(bytes(data))
