"""A boot script held against the U-Boot it will run in (gate 3).

The U-Boot is the card's own `u-boot.bin` (boot.bootloader_files: the Nook's
1.1.4) or else the bench's QEMU firmware (bench.qemu.bios: Debian's qemu_arm
2023.01). Its default environment and command table are read from the binary
(formats/uboot.py), and the script is refused, one line per fact, when it
is not the image format the environment runs scripts with (autoscr/source
need `mkimage -T script`), uses a command the binary does not have, reads an
mmc device other than the one the environment loads boot.scr from, loads to
an address outside the RAM the environment uses, or reads a variable nobody
sets.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from ..digest import file_sha256
from ..errors import QuillError
from ..formats import uboot, uimage
from ..profile import Profile
from . import bootscript
from . import image as diskimage
from .uboot_environment import LOADS, RUN_TIME, Environment

ADDRESS_ARGS = {
    "fatload": [3],
    "load": [3],
    "ext2load": [3],
    "ext4load": [3],
    "autoscr": [1],
    "source": [1],
    "go": [1],
    "bootm": [1, 2, 3],
    "bootz": [1, 2, 3],
    "booti": [1, 2, 3],
}
HEX = re.compile(r"(?:0x)?[0-9a-fA-F]+")
TEXT = re.compile(rb"[\t\n\r\x20-\x7e]*")
REGION = 0x10000000  # the RAM a board's load addresses share: one 256 MiB window


def uboot_path(profile: Profile) -> tuple[Path | None, str]:
    """The U-Boot binary the card's script runs in and the profile key naming it."""
    loaders = [p for p in profile.boot.bootloader_files if p.name.lower() == "u-boot.bin"]
    if loaders:
        return loaders[0], "boot.bootloader_files"
    qemu = profile.bench.qemu
    if profile.bench.kind == "qemu" and qemu is not None and str(qemu.bios):
        return qemu.bios, "bench.qemu.bios"
    return None, ""


def environment(profile: Profile) -> tuple[Environment | None, str]:
    """The script's U-Boot environment and the profile key naming it, or None and why
    there is no check."""
    path, key = uboot_path(profile)
    if path is None:
        return None, (
            "no U-Boot to check boot.scr against: no u-boot.bin in "
            "boot.bootloader_files and no bench.qemu.bios"
        )
    try:
        return Environment.of(uboot.read(path)), key
    except (OSError, ValueError) as error:
        return None, f"boot.scr not checked against a U-Boot: {key} {path}: {error}"


def describe(profile: Profile) -> dict[str, Any]:
    """For the card's meta: which U-Boot judges its boot script, or why none does."""
    env, why = environment(profile)
    if env is None:
        return {"checked": False, "reason": why}
    found = env.uboot
    return {
        "checked": True,
        "path": str(found.path),
        "from": why,
        "sha256": found.sha256,
        "version": found.version,
        "variables": len(found.env),
        "commands": len(found.commands),
        "runs_scripts_with": env.runner[1] if env.runner else None,
        "run_time_variables": {
            name: why for name, why in RUN_TIME.items() if name in env.defined and name not in found.env
        },
    }


def identity(profile: Profile) -> dict[str, str | None] | None:
    """The judging U-Boot's file identity, for the card's cache key."""
    path, key = uboot_path(profile)
    if path is None:
        return None
    return {"from": key, "path": str(path), "sha256": file_sha256(path) if path.is_file() else None}


def check_card(image: Path, profile: Profile) -> list[str]:
    """The boot.scr on the card's partition 1 against the profile's U-Boot."""
    env, _ = environment(profile)
    if env is None:
        return []  # the card's meta says why (describe)
    boot, _ = diskimage.layout(profile.sdcard)
    with tempfile.TemporaryDirectory(prefix="quill-uboot-") as work:
        try:
            data = diskimage.fat_read(image, boot, "boot.scr", Path(work) / "boot.scr")
        except QuillError:
            return []  # check_boot_files names the missing file
    return script_image_problems(data, env, f"{image}: boot.scr")


def script_image_problems(data: bytes, env: Environment, where: str) -> list[str]:
    """A boot.scr's bytes: its format for this U-Boot, then its commands."""
    problems = []
    compiled = len(data) >= uimage.HEADER_SIZE and uimage.HEADER.unpack_from(data)[0] == uimage.MAGIC
    if compiled and uimage.HEADER.unpack_from(data)[9] == uimage.TYPE_CODES["script"]:
        try:
            text = bootscript.script_payload(data)
        except ValueError as error:
            return [f"{where}: {error}"]
    else:
        text = data.decode(errors="replace") if TEXT.fullmatch(data) else ""
        if env.runner:
            variable, command = env.runner
            problems.append(
                f"{where}: not a script image (mkimage -T script); this U-Boot runs "
                f"boot.scr with `{command}` ({variable}, {env.label}), which needs "
                "that header"
            )
    return problems + script_problems(text, env, where)


def script_problems(text: str, env: Environment, where: str) -> list[str]:
    """Each command of a script's TEXT against ENV: one line per misfit."""
    problems, defined = [], set(env.defined)
    for number, command in uboot.script_commands(text):
        words = uboot.words(command)
        at = f"{where} line {number}: `{command}`"
        problems += [f"{at}: {line}" for line in _command_problems(words, env, defined)]
        defined |= uboot.sets(words)
    return problems


def _command_problems(words: list[str], env: Environment, defined: set[str]) -> list[str]:
    name = uboot.command_name(words[0])
    problems = [_variable_problem(v, env) for v in uboot.variables(" ".join(words)) if v not in defined]
    if words[0] == "for" or re.fullmatch(r"\w+=.*", words[0]):
        return problems  # a loop or a shell variable: no command
    if env.uboot.commands and name not in env.uboot.commands:
        problems.append(_missing_command(name, env))
    if name == "run":
        problems += [
            _variable_problem(v, env, run=True)
            for v in words[1:]
            if not uboot.VARIABLE.search(v) and v not in defined
        ]
    problems += _device_problems(name, words, env)
    for index in ADDRESS_ARGS.get(name, []):
        if index < len(words) and words[index] != "-":
            problems += _address_problems(words[index].split(":")[0].split("#")[0], env)
    return problems


def _missing_command(name: str, env: Environment) -> str:
    found = env.uboot
    line = f"this U-Boot has no command `{name}` ({len(found.commands)} commands in {found.path})"
    prefixed = [c for c in found.commands if c.startswith(name)]
    if len(prefixed) == 1:
        line += f"; `{name}` would run `{prefixed[0]}` as an abbreviation: write what is meant"
    if name in ("source", "autoscr") and env.runner:
        line += f"; it runs scripts with `{uboot.command_name(env.runner[1])}` ({env.runner[0]})"
    return line


def _variable_problem(variable: str, env: Environment, run: bool = False) -> str:
    if run:
        return f"no variable {variable} to run: not in the {env.label}, not set earlier by the script"
    return (
        f"${{{variable}}} is not in the {env.label}, not set earlier by the script, and "
        "not a variable this U-Boot sets at run time"
    )


def _device_problems(name: str, words: list[str], env: Environment) -> list[str]:
    if env.boot_device is None:
        return []
    interface, device, variable, loader = env.boot_device
    if name == "mmcinit" and interface == "mmc":
        used = ("mmc", _resolve(words[1], env) if len(words) > 1 else device)
    elif name in LOADS and len(words) > 2:
        used = (_resolve(words[1], env), _resolve(words[2], env).split(":")[0])
    else:
        return []
    if used[0] != interface or used[1] == device:
        return []
    how = f"{interface} ${{{variable}}} = {device}" if variable else f"{interface} {device}"
    return [
        f"this U-Boot loads boot.scr from {how}, the card this script is on ({loader}, "
        f"{env.label}); {interface} {used[1]} is another device"
    ]


def _address_problems(word: str, env: Environment) -> list[str]:
    if uboot.VARIABLE.search(word) or not HEX.fullmatch(word):
        return []  # a variable: checked as one
    address = int(word, 16)
    known = {
        name: int(value, 16)
        for name, value in env.uboot.env.items()
        if "addr" in name and re.fullmatch(r"0x[0-9a-fA-F]+", value)
    }
    if not known:
        return []
    low = min(known.values()) // REGION * REGION
    high = (max(known.values()) // REGION + 1) * REGION - 1
    if low <= address <= high:
        return []
    shown = sorted(known, key=lambda n: (n not in ("loadaddr", "kernel_addr_r"), n))[:2]
    return [
        f"address 0x{address:08x} is outside the RAM this U-Boot's environment loads to "
        f"(0x{low:08x}-0x{high:08x}: " + ", ".join(f"{n}=0x{known[n]:08x}" for n in shown) + f"; {env.label})"
    ]


def _resolve(word: str, env: Environment, depth: int = 4) -> str:
    """WORD with the default environment's variables put in (unknown ones left)."""
    for _ in range(depth):
        word = uboot.VARIABLE.sub(lambda m: env.uboot.env.get(m[1] or m[2] or m[3], m[0]), word)
    return word
