"""What a boot script can rely on in one U-Boot, read from its default
environment and its binary (formats/uboot.py): the command that runs boot.scr,
the device it loads boot.scr from, and the variables a script may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formats import uboot
from ..formats.uboot import UBoot

# Variables U-Boot's code sets at run time, not in its default environment: a
# script may read one when the binary holds its name (its code sets it).
RUN_TIME = {
    # Set at start to the address of U-Boot's own device tree; on QEMU's virt
    # board that is the tree QEMU generates, so a kernel gets it as its DTB.
    "fdtcontroladdr": "U-Boot's device tree, set at start",
    "filesize": "bytes read by the last load command",
    "fileaddr": "where the last load command loaded",
    "bootdevice": "the device the ROM booted from, set by the board code",
    "stdin": "console input",
    "stdout": "console output",
    "stderr": "console errors",
    "ver": "the version string",
}
# Set by one board's code (the Nook's: SD or eMMC): accepted only where the
# default environment itself reads it (the Nook's autodetectmmc does).
BOARD_SET = {"bootdevice"}
LOADS = {
    "fatload",
    "fatls",
    "fatinfo",
    "fatsize",
    "fatsave",
    "fatwrite",
    "load",
    "ls",
    "size",
    "fstype",
    "ext2load",
    "ext2ls",
    "ext4load",
    "ext4ls",
    "ext4size",
}
SCRIPT_NAMES = ("boot.scr", "boot.scr.uimg")


@dataclass(frozen=True)
class Environment:
    """What a script can rely on in one U-Boot."""

    uboot: UBoot
    label: str  # "default environment of PATH": where the lines say a fact comes from
    runner: tuple[str, str] | None  # (variable, command) that runs boot.scr
    # (interface, device, device variable, variable that loads) of boot.scr's load
    boot_device: tuple[str, str, str, str] | None
    defined: frozenset[str]  # variables a script may read

    @classmethod
    def of(cls, found: UBoot) -> Environment:
        env = found.env
        label = f"default environment of {found.path}"
        commands = [(name, c) for name, value in env.items() for c in uboot.commands_of(value)]
        runner = next(
            ((name, c) for name, c in commands if uboot.command_name(c) in ("autoscr", "source")), None
        )
        devices = [_boot_device(env, name, c) for name, c in commands if _loads_script(c)]
        defined = set(env) | {v for _, c in commands for v in uboot.sets(uboot.words(c))}
        reads = {v for value in env.values() for v in uboot.variables(value)}
        defined |= {
            name for name in RUN_TIME if found.has_string(name) and (name not in BOARD_SET or name in reads)
        }
        device = next((d for d in devices if d), None)
        return cls(found, label, runner, device, frozenset(defined))


def _loads_script(command: str) -> bool:
    words = uboot.words(command)
    return words[0] in LOADS and len(words) > 4 and words[4].rsplit("/", 1)[-1] in SCRIPT_NAMES


def _boot_device(env: dict[str, str], name: str, command: str) -> tuple[str, str, str, str] | None:
    """(interface, device, device variable, NAME) of the load that reads boot.scr, if
    the default environment says which: `fatload mmc ${mmcbootdev} ...`, mmcbootdev=0."""
    argv = uboot.words(command)
    interface, device = argv[1], argv[2].split(":")[0]
    variable = uboot.variables(device)[0] if uboot.VARIABLE.fullmatch(device) else ""
    value = env.get(variable, "") if variable else device
    if uboot.VARIABLE.search(interface) or not value.isdigit():
        return None
    return interface, value, variable, name
