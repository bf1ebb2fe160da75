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
    assert known_profiles() == ["nook-simple-touch", "nook-twin", "qemu-virt"]
    twin = load_profile("nook-twin")
    assert (twin.kernel.version, twin.kernel.compat_patches) == ("2.6.29", nook.kernel.compat_patches)
    assert twin.bench.qemu.machine == "versatileab" and twin.boot.root_device == "/dev/mmcblk0p2"


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


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            'cpu = "cortex-a15"\ndescription',
            'cpu = "cortex-a15"\ncolour = "red"\ndescription',
            r"broken.toml: target.colour is an unknown key; allowed in \[target\]: arch, debian_arch,",
        ),
        (
            'root_fs = "ext4"',
            'root_fs = "btrfs"',
            r"broken.toml: sdcard.root_fs = 'btrfs' is not allowed; allowed values: 'ext2', 'ext3', 'ext4'",
        ),
        ("baud = 115200", 'baud = "fast"', r"broken.toml: boot.baud must be an integer, got 'fast'"),
        ('console = "ttyAMA0"\n', "", r"broken.toml: missing key boot.console \(a string\)"),
        (
            "image_mib = 64",
            "image_mib = 48",
            r"sdcard.image_mib = 48 is not allowed; it must be an "
            r"integer, a power of two",
        ),
        ("image_mib = 64", "image_mib = 0", r"broken.toml: sdcard.image_mib = 0 is not allowed"),
        (
            "boot_mib = 16",
            "boot_mib = 63",
            r"broken.toml: sdcard.boot_mib = 63 must be smaller than "
            r"sdcard.image_mib - 1 = 63",
        ),
        (
            "module_load_s = 2",
            "module_load_s = nan",
            r"broken.toml: budgets.module_load_s = nan is "
            r"not allowed; it must be a number, finite and "
            r"greater than 0",
        ),
        ("os_memory_mib = 96", "os_memory_mib = -96", r"budgets.os_memory_mib = -96 is not allowed"),
        (
            "max_compressed_bytes = 30_000_000",
            "max_compressed_bytes = 0",
            r"rootfs.max_compressed_bytes = 0 is not allowed; it must be an integer, greater than 0",
        ),
        ('kind = "qemu"', 'kind = "serial"', r"bench.kind = 'serial' needs a \[bench.serial\] table"),
    ],
)
def test_bad_profile_names_file_key_and_allowed_values(tmp_path, old, new, message):
    with pytest.raises(InputError) as caught:
        load_profile(str(broken(tmp_path, old, new)))
    assert re.search(message, caught.value.one_line()), caught.value.one_line()
    assert "\n" not in caught.value.one_line()


def test_override_is_validated_like_the_file_and_named_as_given():
    assert load_profile("qemu-virt", {"boot.root_device": "/dev/vdb2"}).boot.root_device == "/dev/vdb2"
    with pytest.raises(InputError) as caught:
        load_profile("qemu-virt", {"sdcard.root_fs": "zfs"})
    assert caught.value.one_line().startswith(
        "--quill-set sdcard.root_fs=zfs: sdcard.root_fs = 'zfs' is not allowed"
    )


@pytest.mark.parametrize(
    "overrides, source",
    [
        ({"sdcard.boot_mib": "63", "sdcard.image_mib": "64"}, "--quill-set sdcard.boot_mib=63"),
        ({"sdcard": "{image_mib = 0}"}, "--quill-set sdcard={image_mib = 0}"),
        ({"boot.commands": "[1]"}, "--quill-set boot.commands=[1]"),
        ({"boot.console": '"ttyS0"', "budgets.module_load_s": "0"}, "--quill-set budgets.module_load_s=0"),
    ],
)
def test_the_error_names_the_quill_set_that_gave_the_value(overrides, source):
    with pytest.raises(InputError) as caught:
        load_profile("qemu-virt", overrides)
    assert caught.value.one_line().startswith(source + ": "), caught.value.one_line()


def test_a_fact_broken_by_the_file_is_not_blamed_on_an_unrelated_quill_set(tmp_path):
    path = broken(tmp_path, "boot_mib = 16", "boot_mib = 63")
    with pytest.raises(InputError) as caught:
        load_profile(str(path), {"boot.console": '"ttyS0"'})
    assert caught.value.one_line().startswith(f"{path}: sdcard.boot_mib = 63 must be smaller")


@pytest.mark.parametrize("name", ["qemu-virt", "board_2", "nook+v1.2"])
def test_names_safe_in_a_path_are_accepted(name):
    assert load_profile("qemu-virt", {"name": f'"{name}"'}).name == name


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "a..b", "", "tab\tname", "é"])
def test_names_unsafe_in_a_path_are_refused(name):
    with pytest.raises(
        InputError,
        match=r"name = .* is not allowed; it must be a string, safe "
        r"in a path",
    ):
        load_profile("qemu-virt", {"name": f'"{name}"'})


def test_the_sizes_and_budgets_loaded_are_the_files():
    nook = load_profile("nook-simple-touch")
    assert (nook.sdcard.image_mib, nook.sdcard.boot_mib) == (128, 32)
    assert nook.budgets.boot_to_shell_s == 20.0 and isinstance(nook.budgets.boot_to_shell_s, float)
    assert nook.section("budgets") == {"boot_to_shell_s": 20.0, "os_memory_mib": 96, "module_load_s": 2.0}
    assert nook.section("boot")["bootloader_files"][0].endswith("squireos/boot/nook/MLO")


def test_unknown_profile_on_the_command_line_is_a_usage_error(pytester):
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess("--quill-profile", "no-such-board")
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        [
            "ERROR: --quill-profile no-such-board: unknown profile; "
            "known profiles: nook-simple-touch, nook-twin, qemu-virt*"
        ]
    )
    assert "Traceback" not in result.stderr.str()


def test_bad_profile_file_on_the_command_line_is_a_usage_error(pytester, tmp_path):
    path = broken(tmp_path, 'root_fs = "ext4"', 'root_fs = "btrfs"')
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess("--quill-profile", str(path))
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *broken.toml: sdcard.root_fs = 'btrfs' is not allowed*"])


def test_quill_option_group_is_in_help(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-quill:*",
            "*--quill-profile=NAME|PATH*",
            "*--quill-cache=DIR*",
            "*--quill-backend=auto|docker|host*",
            "*--quill-progress=auto|plain|off*",
            "*--quill-rebuild=*NAME*",
            "*--quill-set=KEY=VALUE*",
            "*quill_rebuild (args)*",
            "*quill_set (args)*",
            "*quill_keep_bench (bool)*",
        ]
    )
    said = " ".join(result.stdout.str().split())
    assert "qemu-virt (default), nook-simple-touch, nook-twin" in said
    assert "(the plan's artifact names)" in said
    assert not re.search(r"--quill-[\w-]+=QUILL_", said)  # every placeholder says what it takes


def test_ini_settings_of_the_list_and_flag_options_are_read(pytester):
    pytester.makeini("[pytest]\nquill_rebuild = kernal\nquill_set = boot.root_device\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 4
    assert "--quill-set boot.root_device: expected KEY=VALUE" in result.stderr.str()


def test_suites_use_only_registered_markers():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--strict-markers",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "suites/",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.lower().splitlines()[-1]


def test_profile_can_be_chosen_in_the_ini_file(pytester):
    pytester.makeini(
        "[pytest]\nquill_profile = nook-simple-touch\nquill_set = kernel.source=debian:linux-source-6.1\n"
    )
    pytester.makeconftest(
        "pytest_plugins = ['pytest_quill.mvp']\n"
        "def pytest_report_header(config):\n"
        "    from pytest_quill.plugin import quill_run\n"
        "    return 'profile: ' + quill_run(config).profile.name\n"
    )
    pytester.makepyfile(test_one="def test_one(): pass")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["profile: nook-simple-touch"])
