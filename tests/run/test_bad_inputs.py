"""Bad inputs, as a new user gives them: each is a usage error (exit 4) before any
work, one line naming the option or key and what is allowed, no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.mounts import tmpfs

PROJECT = Path(__file__).resolve().parents[2]
ONE_TEST = "def test_one(): pass"


def usage_error(pytester, *args) -> str:
    """Run pytest with ARGS; assert exit 4 and no traceback; return the ERROR line."""
    pytester.makepyfile(test_one=ONE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert result.ret == 4, result.stdout.str() + result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert errors, result.stderr.str()
    assert "\n" not in errors[0]
    return errors[0].removeprefix("ERROR: ")


def broken_profile(folder: Path, old: str, new: str, name: str = "broken") -> Path:
    text = (PROJECT / "hardware_profiles" / "qemu-virt.toml").read_text()
    assert old in text
    path = folder / f"{name}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


# -- folders -------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--quill-cache", "--quill-reports"])
def test_a_folder_option_pointing_to_a_file(pytester, flag):
    target = pytester.path / "a-file"
    target.write_text("not a folder")
    line = usage_error(pytester, flag, str(target))
    assert line == f"{flag} {target}: exists and is not a folder; give a folder"


@pytest.mark.parametrize("flag", ["--quill-cache", "--quill-reports"])
def test_a_folder_option_under_a_file_cannot_be_created(pytester, flag):
    parent = pytester.path / "a-file"
    parent.write_text("not a folder")
    line = usage_error(pytester, flag, str(parent / "sub" / "dir"))
    assert line == (f"{flag} {parent}/sub/dir: cannot be created: {parent} is a file, not a folder")


@pytest.mark.parametrize("flag", ["--quill-cache", "--quill-reports"])
def test_a_folder_option_on_a_read_only_filesystem(pytester, flag):
    with tmpfs(pytester.path / "ro", size="1m", read_only=True) as folder:
        line = usage_error(pytester, flag, str(folder))
        assert line == f"{flag} {folder}: is not writable: Read-only file system"
        line = usage_error(pytester, flag, str(folder / "new"))
        assert line == (f"{flag} {folder}/new: cannot be created in {folder}: Read-only file system")


def test_a_cache_where_no_folder_can_be_made(pytester):
    line = usage_error(pytester, "--quill-cache", "/proc/quill-cache")
    assert line.startswith("--quill-cache /proc/quill-cache: cannot be created in /proc: ")


def test_a_good_folder_that_does_not_exist_yet_is_not_made_by_the_check(pytester):
    pytester.makepyfile(test_one=ONE_TEST)
    cache = pytester.path / "later" / "cache"
    result = pytester.runpytest_subprocess("--quill-cache", str(cache))
    assert result.ret == 0
    assert not (pytester.path / "later").exists()
    assert not list(pytester.path.glob(".quill-probe-*"))


# -- numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-2", "fast"])
def test_a_timeout_factor_that_is_not_finite_and_positive(pytester, value):
    line = usage_error(pytester, f"--quill-timeout-factor={value}")
    assert line == f"--quill-timeout-factor {value}: must be a finite number greater than 0"


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "many"])
def test_jobs_that_are_not_a_positive_whole_number(pytester, value):
    line = usage_error(pytester, f"--quill-jobs={value}")
    assert line == f"--quill-jobs {value}: must be a whole number greater than 0"


def test_a_lock_wait_bound_that_is_not_a_number(pytester, monkeypatch):
    monkeypatch.setenv("QUILL_LOCK_WAIT_S", "forever")
    line = usage_error(pytester)
    assert line == "QUILL_LOCK_WAIT_S=forever: must be a finite number of seconds greater than 0"


# -- --quill-set -------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            "sdcard.image_mib=0",
            "sdcard.image_mib = 0 is not allowed; it must be an integer, a power "
            "of two (QEMU's sd-card device needs it)",
        ),
        (
            "sdcard.image_mib=48",
            "sdcard.image_mib = 48 is not allowed; it must be an integer, a "
            "power of two (QEMU's sd-card device needs it)",
        ),
        ("sdcard.boot_mib=0", "sdcard.boot_mib = 0 is not allowed; it must be an integer, greater than 0"),
        (
            "sdcard.boot_mib=64",
            "sdcard.boot_mib = 64 must be smaller than sdcard.image_mib - 1 = 63 "
            "(MiB 0 holds the partition table)",
        ),
        ("uimage.max_bytes=0", "uimage.max_bytes = 0 is not allowed; it must be an integer, greater than 0"),
        (
            "rootfs.max_compressed_bytes=-5",
            "rootfs.max_compressed_bytes = -5 is not allowed; it must be an integer, greater than 0",
        ),
        (
            "budgets.boot_to_shell_s=-1",
            "budgets.boot_to_shell_s = -1 is not allowed; it must be a number, finite and greater than 0",
        ),
        (
            "budgets.module_load_s=nan",
            "budgets.module_load_s = nan is not allowed; it must be a number, finite and greater than 0",
        ),
        (
            "budgets.os_memory_mib=0",
            "budgets.os_memory_mib = 0 is not allowed; it must be an integer, greater than 0",
        ),
        (
            "bench.qemu.memory_mib=0",
            "bench.qemu.memory_mib = 0 is not allowed; it must be an integer, greater than 0",
        ),
        ('name="../../etc"', "name = '../../etc' is not allowed; it must be a string, safe in a path"),
        ("boot.colour=red", "boot.colour is an unknown key; allowed in [boot]: bootloader_files,"),
        (
            "sdcard.root_fs=zfs",
            "sdcard.root_fs = 'zfs' is not allowed; allowed values: 'ext2', 'ext3', 'ext4'",
        ),
        ('bench.kind="serial"', "bench.kind = 'serial' needs a [bench.serial] table"),
    ],
)
def test_a_bad_quill_set_names_the_quill_set(pytester, setting, message):
    line = usage_error(pytester, "--quill-set", setting)
    assert line.startswith(f"--quill-set {setting}: {message}"), line
    assert "qemu-virt.toml" not in line


def test_a_quill_set_without_a_value(pytester):
    line = usage_error(pytester, "--quill-set", "sdcard.image_mib")
    assert line == "--quill-set sdcard.image_mib: expected KEY=VALUE, e.g. boot.console=ttyS0"


def test_a_quill_set_into_a_value_that_is_not_a_table(pytester):
    line = usage_error(pytester, "--quill-set", "boot.console.speed=9600")
    assert line == (
        "--quill-set boot.console.speed=9600: boot.console.speed cannot be set: "
        "console is not a table of qemu-virt.toml"
    )


# -- profile files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("image_mib = 64", "image_mib = 0", "sdcard.image_mib = 0 is not allowed"),
        (
            "boot_mib = 16",
            "boot_mib = 128",
            "sdcard.boot_mib = 128 must be smaller than sdcard.image_mib - 1 = 63",
        ),
        ("boot_to_shell_s = 20", "boot_to_shell_s = -20", "budgets.boot_to_shell_s = -20 is not allowed"),
        ("boot_to_shell_s = 20", "boot_to_shell_s = inf", "budgets.boot_to_shell_s = inf is not allowed"),
        ("max_bytes = 8_000_000", "max_bytes = 0", "uimage.max_bytes = 0 is not allowed"),
        (
            "[target]",
            'name = "../x"\n\n[target]',
            "name = '../x' is not allowed; it must be a string, safe in a path",
        ),
    ],
)
def test_a_bad_value_in_a_profile_file_names_the_file_and_the_key(pytester, old, new, message):
    path = broken_profile(pytester.path, old, new)
    line = usage_error(pytester, "--quill-profile", str(path))
    assert line.startswith(f"{path}: {message}"), line


def test_a_profile_file_whose_name_is_not_safe_in_a_path(pytester):
    path = broken_profile(pytester.path, "image_mib = 64", "image_mib = 64", name="my..board")
    line = usage_error(pytester, "--quill-profile", str(path))
    assert re.match(
        rf"{re.escape(str(path))}: name = 'my\.\.board' is not allowed; it must be "
        r"a string, safe in a path \(the file's stem unless set\)",
        line,
    ), line


def test_an_unknown_backend(pytester):
    line = usage_error(pytester, "--quill-backend", "podman")
    assert line == "--quill-backend podman: unknown; allowed values: auto, docker, host"
