"""The U-Boot reader: default environment and command table, on the Nook's
U-Boot 1.1.4, on Debian's qemu_arm 2023.01, and on a binary made here; and the
reading of U-Boot's command language."""

import struct
from pathlib import Path

import pytest

from pytest_quill.formats import uboot

ROOT = Path(__file__).resolve().parents[2]
NOOK_UBOOT = ROOT.parent / "shared/nook/boot/u-boot.bin"
DEBIAN_UBOOT = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")

NOOK_COMMANDS = [
    "ggflash",
    "ibatck",
    "autoscr",
    "bdinfo",
    "go",
    "reset",
    "bootm",
    "boot",
    "bootd",
    "iminfo",
    "charger",
    "battery",
    "epd",
    "calc",
    "clock",
    "coninfo",
    "date",
    "fastboot",
    "fatload",
    "fatsave",
    "fatls",
    "fatinfo",
    "gpio",
    "imd",
    "imm",
    "inm",
    "imw",
    "icrc32",
    "iprobe",
    "iloop",
    "ibus",
    "itest",
    "loads",
    "loadb",
    "loady",
    "md",
    "mm",
    "nm",
    "mw",
    "cp",
    "cmp",
    "crc32",
    "base",
    "loop",
    "mtest",
    "sleep",
    "mmcinit",
    "mspflash",
    "printenv",
    "setenv",
    "setenvmem",
    "saveenv",
    "run",
    "version",
    "echo",
    "test",
    "exit",
    "help",
    "?",
]


def real(path: Path) -> uboot.UBoot:
    if not path.is_file():
        pytest.skip(
            f"{path} is absent (the Nook's boot files live in ../shared/nook/boot; "
            "Debian's in the u-boot-qemu package)"
        )
    return uboot.read(path)


def test_nook_u_boot_1_1_4_default_environment():
    found = real(NOOK_UBOOT)
    env = found.env
    assert found.version.startswith("U-Boot 1.1.4")
    assert (found.env_offset, len(env)) == (0x25118, 24)
    assert env["bootcmd"].startswith("run autodetectmmc;if run loadbootscript; then run bootscript;else ")
    assert env["bootcmd"].endswith("fi")
    assert (env["loadaddr"], env["loadaddrrd"]) == ("0x81c00000", "0x81f00000")
    assert env["loadbootscript"] == "fatload mmc ${mmcbootdev} ${loadaddr} boot.scr"
    assert env["bootscript"] == "echo Running bootscript from ${bootdevice}...; autoscr ${loadaddr}"
    assert (env["mmcbootdev"], env["mmcromdev"]) == ("0", "0")
    assert env["autodetectmmc"].startswith(
        'if itest.s ${bootdevice} == "SD"; then setenv '
        "mmcbootdev 0; setenv mmcromdev 0;else setenv "
        "mmcbootdev 1;"
    )
    assert env["autodetectmmc"].endswith("fi;mmcinit $mmcbootdev")


def test_nook_u_boot_1_1_4_command_table():
    found = real(NOOK_UBOOT)
    assert (found.link_base, found.stride) == (0x80E80000, 24)
    assert list(found.commands) == NOOK_COMMANDS
    assert not {"mmc", "source", "ext2load", "load"} & set(found.commands)
    assert found.has_string("bootdevice") and not found.has_string("fdtcontroladdr")


def test_debian_qemu_arm_u_boot_2023_01_default_environment():
    found = real(DEBIAN_UBOOT)
    env = found.env
    assert found.version.startswith("U-Boot 2023.01")
    assert (found.env_offset, len(env)) == (0x8C8A6, 50)
    assert env["bootcmd"] == "run distro_bootcmd"
    assert env["boot_targets"].split() == ["qfw", "usb0", "scsi0", "virtio0", "nvme0", "dhcp"]
    assert (env["kernel_addr_r"], env["scriptaddr"], env["loadaddr"]) == (
        "0x40400000",
        "0x40200000",
        "0x40200000",
    )
    assert env["boot_scripts"] == "boot.scr.uimg boot.scr"
    assert env["boot_a_script"] == (
        "load ${devtype} ${devnum}:${distro_bootpart} ${scriptaddr} ${prefix}${script}; source ${scriptaddr}"
    )
    # Set by U-Boot's code at start, not a default: its name is in the binary only.
    assert "fdtcontroladdr" not in env and found.has_string("fdtcontroladdr")


def test_debian_qemu_arm_u_boot_2023_01_command_table():
    found = real(DEBIAN_UBOOT)
    assert (found.link_base, found.stride, len(found.commands)) == (0, 28, 99)
    assert {"virtio", "fatload", "load", "source", "ext2load", "ext4load", "bootz", "bootm", "setenv"} <= set(
        found.commands
    )
    assert not {"mmc", "mmcinit", "autoscr"} & set(found.commands)


# A binary made here: an environment after a CRC, names, usage texts and a
# command table of 5-word records linked at 0x20000000.

BASE = 0x20000000
NAMES = ["bootm", "echo", "help", "printenv", "setenv", "frob"]


def synthetic_uboot(path: Path) -> Path:
    blob = bytearray(b"\x11" * 64)
    blob += b"\xde\xad\xbe\xef" + b"bootcmd=run go;echo done\0bootdelay=3\0go=frob 1\0\0"
    strings = {}
    for name in NAMES:
        blob += b"\0"
        strings[name] = len(blob)
        blob += name.encode() + b"\0"
        strings[name + " usage"] = len(blob)
        blob += f"{name} - does {name} things".encode() + b"\0"
    blob += b"\0" * (-len(blob) % 4)
    for name in NAMES:  # name, maxargs, repeatable, handler, usage
        blob += struct.pack("<5I", BASE + strings[name], 16, 1, BASE + 0x40, BASE + strings[name + " usage"])
    blob += b"\0" * 64
    path.write_bytes(bytes(blob))
    return path


def test_a_made_binary_gives_its_environment_link_base_and_table(tmp_path):
    path = synthetic_uboot(tmp_path / "u-boot.bin")
    found = uboot.read(path)
    assert found.env == {"bootcmd": "run go;echo done", "bootdelay": "3", "go": "frob 1"}
    assert (found.env_offset, found.version) == (68, "")
    assert (found.link_base, found.stride, list(found.commands)) == (BASE, 20, NAMES)


def test_a_binary_without_an_environment_is_refused(tmp_path):
    path = tmp_path / "u-boot.bin"
    path.write_bytes(b"u-boot 1.1.4" * 13000)
    with pytest.raises(ValueError, match="no U-Boot default environment"):
        uboot.read(path)


def test_a_binary_without_a_command_table_still_gives_its_environment(tmp_path):
    path = tmp_path / "u-boot.bin"
    path.write_bytes(b"\0\0bootcmd=boot\0baudrate=115200\0\0" + b"\x01" * 100)
    found = uboot.read(path)
    assert found.env == {"bootcmd": "boot", "baudrate": "115200"}
    assert (found.commands, found.link_base) == ((), None)


# The command language.


def test_commands_are_cut_at_unquoted_separators_with_keywords_set_aside():
    line = (
        'if itest.s ${bootdevice} == "SD; x"; then setenv a 0 && echo ok;else mmcinit 1;'
        "fi;for t in ${list}; do run x; done || echo no"
    )
    assert uboot.commands_of(line) == [
        'itest.s ${bootdevice} == "SD; x"',
        "setenv a 0",
        "echo ok",
        "mmcinit 1",
        "for t in ${list}",
        "run x",
        "echo no",
    ]
    assert list(uboot.script_commands("# a comment\nbootm ${loadaddr}\n\n")) == [(2, "bootm ${loadaddr}")]


def test_words_variables_and_what_a_command_sets():
    assert uboot.words('setenv bootargs "console=ttyS0 root=/dev/mmcblk1p2"') == [
        "setenv",
        "bootargs",
        '"console=ttyS0 root=/dev/mmcblk1p2"',
    ]
    assert uboot.command_name("itest.s") == "itest"
    assert uboot.variables("mmcinit $mmcbootdev; fatload mmc ${a}:$(b) ${a} x $?") == ["mmcbootdev", "a", "b"]
    assert [
        uboot.sets(uboot.words(c))
        for c in ("setenv x 1", "env set y 2", "setexpr z 1 + 1", "devnum=0", "for t in a", "echo x=1")
    ] == [{"x"}, {"y"}, {"z"}, {"devnum"}, {"t"}, set()]
