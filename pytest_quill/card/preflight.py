"""Before the card is made: the profile and the kernel's final config against the
card's layout (the facts the Nook broke, NOOK.md 8-11). The recipe refuses to
build on any of them; the card's read-back checks the config again."""

from __future__ import annotations

import re
from pathlib import Path

from ..formats import kconfig
from ..formats.version import version_tuple
from ..profile import Profile
from .image import MIB


def preflight(profile: Profile) -> list[str]:
    """Problems with the card the profile asks for, found before building."""
    problems = []
    card, boot = profile.sdcard, profile.boot
    if card.root_fs not in profile.kernel.filesystems:
        problems.append(
            f"sdcard.root_fs = {card.root_fs} is not in kernel.filesystems "
            f"{list(profile.kernel.filesystems)} of {profile.path}"
        )
    example = ", ".join(f'"/path/{path.name}"' for path in boot.bootloader_files)
    for path in boot.bootloader_files:
        if not path.is_file():
            problems.append(
                f"boot.bootloader_files: {path} does not exist; put the file there or point to "
                f"it with --quill-set 'boot.bootloader_files=[{example}]'"
            )
    names = [path.name.upper() for path in boot.bootloader_files]
    if "MLO" in names and names[0] != "MLO":
        problems.append(
            f"boot.bootloader_files: MLO is number {names.index('MLO') + 1}; "
            "the OMAP ROM loads the first file of the boot partition: MLO first"
        )
    number = re.search(r"(\d+)$", boot.root_device)
    if boot.root_device.startswith("/dev/") and (number is None or number.group(1) != "2"):
        problems.append(
            f"boot.root_device = {boot.root_device} is not partition 2; the card's "
            "root filesystem is partition 2"
        )
    if boot.console.startswith("ttyO") and version_tuple(profile.kernel.version) < (2, 6, 37):
        problems.append(
            f"boot.console = {boot.console}: the omap-serial ttyO names came with "
            f"Linux 2.6.37; kernel {profile.kernel.version} names its serial "
            "ports ttyS (console=ttyS0 on the Nook)"
        )
    if card.image_mib * MIB > card.min_device_bytes:
        problems.append(
            f"sdcard.image_mib = {card.image_mib} MiB is larger than "
            f"sdcard.min_device_bytes = {card.min_device_bytes}"
        )
    if card.boot_mib + 2 > card.image_mib:
        problems.append(f"sdcard.boot_mib = {card.boot_mib} leaves no root partition in {card.image_mib} MiB")
    return problems


def kernel_config_problems(profile: Profile, config_path: Path) -> list[str]:
    """What the kernel's final .config says about the card's root: its FS type
    built in (a module cannot mount /), and its device name."""
    if not config_path.is_file():
        return [f"{config_path}: the kernel artifact has no final .config"]
    text = config_path.read_text(errors="replace")
    symbols = kconfig.parse_config(text)
    return _root_fs_problems(profile, config_path, text, symbols) + _root_device_problems(
        profile, config_path, symbols
    )


def _root_device_problems(profile: Profile, config_path: Path, symbols: dict) -> list[str]:
    device = profile.boot.root_device
    if symbols.get("MMC_OMAP_CONSISTENT_NAMES") == "y" and device.startswith("/dev/mmcblk0"):
        return [
            f"{config_path}: boot.root_device = {device} is the internal eMMC: with "
            "MMC_OMAP_CONSISTENT_NAMES=y the eMMC registers first, the SD card is mmcblk1"
        ]
    return []


def _root_fs_problems(profile: Profile, config_path: Path, text: str, symbols: dict) -> list[str]:
    version = _config_version(text) or version_tuple(profile.kernel.version, 2)
    root_fs = profile.sdcard.root_fs
    for alternative in _root_fs_symbols(root_fs, version):
        if all(symbols.get(name) == "y" for name in alternative):
            return []
    wanted = " or ".join("+".join(f"CONFIG_{n}=y" for n in alt) for alt in _root_fs_symbols(root_fs, version))
    first = _root_fs_symbols(root_fs, version)[0][0]
    has = f"CONFIG_{first}={symbols[first]}" if symbols.get(first, "n") != "n" else f"no CONFIG_{first}"
    return [f"{config_path}: root FS {root_fs} (sdcard.root_fs) needs {wanted}; the kernel has {has}"]


def _root_fs_symbols(root_fs: str, version: tuple[int, ...]) -> list[tuple[str, ...]]:
    """Config symbols that let the kernel mount ROOT_FS, as alternatives."""
    if root_fs == "ext2":
        return [("EXT2_FS",), ("EXT4_FS", "EXT4_USE_FOR_EXT2")]
    if root_fs == "ext3":
        # Since 4.3 the ext4 driver registers "ext3" itself.
        return [("EXT3_FS",), ("EXT4_FS",)] if version >= (4, 3) else [("EXT3_FS",)]
    return [("EXT4_FS",)]


def _config_version(text: str) -> tuple[int, ...] | None:
    match = re.search(r"^# Linux\S*(?: kernel version:)? (\d+\.\d+)", text, re.M)
    return version_tuple(match.group(1), 2) if match else None
