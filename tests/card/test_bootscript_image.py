"""boot.scr: the text the profile makes, and that text read back from mkimage's script image."""

import subprocess

from pytest_quill.card import bootscript
from pytest_quill.formats import uimage
from pytest_quill.profile import load_profile


def test_qemu_virt_script_sets_bootargs_then_runs_the_profile_commands():
    profile = load_profile("qemu-virt")
    lines = bootscript.script_text(profile).splitlines()
    assert lines[0] == (
        "setenv bootargs console=ttyAMA0,115200 root=/dev/vda2 rootfstype=ext4 rootwait panic=-1"
    )
    assert lines[1:] == list(profile.boot.commands)


def test_nook_script_names_ttys0_the_sd_card_root_and_ext3():
    text = bootscript.script_text(load_profile("nook-simple-touch"))
    assert bootscript.bootarg(text, "console") == "ttyS0,115200"
    assert bootscript.bootarg(text, "root") == "/dev/mmcblk1p2"
    assert bootscript.bootarg(text, "rootfstype") == "ext3"
    assert bootscript.bootarg(text, "init") is None


def test_compiled_script_is_a_valid_script_image_holding_the_text(tmp_path):
    profile = load_profile("qemu-virt")
    source, image = tmp_path / "boot.cmd", tmp_path / "boot.scr"
    source.write_text(bootscript.script_text(profile))
    subprocess.run(bootscript.mkimage_argv(source, image), check=True, capture_output=True)
    assert uimage.verify(image, profile, image_type="script") == []
    assert bootscript.script_payload(image.read_bytes()) == source.read_text()
