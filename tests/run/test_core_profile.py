"""Profiles load into typed objects; bad ones fail in one line naming file and key."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_quill.errors import InputError
from pytest_quill.profile import known_profiles, load_profile

PROJECT = Path(__file__).resolve().parents[2]


def test_shipped_profiles_load_with_their_facts():
    virt = load_profile("qemu-virt")
    nook = load_profile("nook-simple-touch")
    assert virt.uimage.load == 0x40008000 and nook.uimage.load == 0x80008000
    assert virt.bench.qemu.bios.name == "u-boot.bin" and nook.bench.serial.port == "/dev/ttyUSB0"
    assert nook.kernel.config_update == "oldconfig" and nook.kernel.has_devtmpfs is False
    assert nook.boot.console == "ttyS0" and nook.sdcard.root_fs == "ext3"
    assert [p.name for p in nook.boot.bootloader_files] == ["MLO", "u-boot.bin"]
    assert known_profiles() == ["nook-simple-touch", "qemu-virt"]


def test_profile_is_immutable():
    profile = load_profile("qemu-virt")
    with pytest.raises(AttributeError):
        profile.kernel.version = "2.6.29"


def broken(tmp_path, old, new):
    text = (PROJECT / "hardware_profiles" / "qemu-virt.toml").read_text()
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, message", [
    ('cpu = "cortex-a15"\ndescription', 'cpu = "cortex-a15"\ncolour = "red"\ndescription',
     r"broken.toml: unknown key target.colour; allowed in \[target\]: arch, debian_arch,"),
    ('root_fs = "ext4"', 'root_fs = "btrfs"',
     r"broken.toml: sdcard.root_fs = 'btrfs' is not allowed; allowed values: 'ext2', 'ext3', 'ext4'"),
    ("baud = 115200", 'baud = "fast"', r"broken.toml: boot.baud must be an integer, got 'fast'"),
    ('console = "ttyAMA0"\n', "", r"broken.toml: missing key boot.console \(a string\)"),
    ("image_mib = 64", "image_mib = 48", r"sdcard.image_mib = 48 must be a power of two"),
    ('kind = "qemu"', 'kind = "serial"', r"bench.kind = 'serial' needs a \[bench.serial\] table"),
])
def test_bad_profile_names_file_key_and_allowed_values(tmp_path, old, new, message):
    with pytest.raises(InputError) as caught:
        load_profile(str(broken(tmp_path, old, new)))
    assert re.search(message, caught.value.one_line()), caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_override_is_validated_like_the_file():
    assert load_profile("qemu-virt", {"boot.root_device": "/dev/vdb2"}).boot.root_device == "/dev/vdb2"
    with pytest.raises(InputError, match="sdcard.root_fs = 'zfs' is not allowed"):
        load_profile("qemu-virt", {"sdcard.root_fs": "zfs"})


def test_unknown_profile_on_the_command_line_is_a_usage_error(pytester):
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess("--quill-profile", "no-such-board")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: --quill-profile no-such-board: unknown profile; "
                                 "known profiles: nook-simple-touch, qemu-virt*"])
    assert "Traceback" not in result.stderr.str()


def test_bad_profile_file_on_the_command_line_is_a_usage_error(pytester, tmp_path):
    path = broken(tmp_path, 'root_fs = "ext4"', 'root_fs = "btrfs"')
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess("--quill-profile", str(path))
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *broken.toml: sdcard.root_fs = 'btrfs' is not allowed*"])


def test_quill_option_group_is_in_help(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["pytest-quill:*", "*--quill-profile=QUILL_PROFILE*",
                                 "*--quill-cache=QUILL_CACHE*", "*--quill-backend=QUILL_BACKEND*",
                                 "*--quill-rebuild*", "*--quill-set*"])


def test_suites_use_only_registered_markers():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-m", "pytest", "--strict-markers", "--collect-only",
                           "-q", "-p", "no:cacheprovider", "suites/"],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.lower().splitlines()[-1]


def test_profile_can_be_chosen_in_the_ini_file(pytester):
    pytester.makeini("[pytest]\nquill_profile = nook-simple-touch\n")
    pytester.makeconftest(
        "def pytest_report_header(config):\n"
        "    from pytest_quill.plugin import quill_run\n"
        "    return 'profile: ' + quill_run(config).profile.name\n")
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["profile: nook-simple-touch"])
