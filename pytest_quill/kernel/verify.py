"""The kernel artifact's verifier (gate 2), and what it needs recorded at build time.

Beyond the build's own checks (config, modules, uImage header), what a build
cannot show: does the kernel start where the uImage says it is? System.map's
text start (stext, else _text) must sit at the same offset within its 1 MiB
as the uImage's load address (0xc0008000 and 0x80008000: 0x8000 both); no
section may be placed ahead of it, and vmlinux may hold no .got (PIE code)
and no .note.gnu.build-id (binutils 2.40 links it first and objcopy drops
it: the Image is 0x40 bytes off and dies before the first printk). vmlinux
is not kept: its sections are read when it is built and go in the meta.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine.context import Artifact
from ..errors import VerifyError
from ..formats import elf, kconfig, uimage
from ..profile import Profile
from . import config as kernel_config
from . import modules as kernel_modules
from .meta import KernelMeta

OUTPUT_FILES = ("uImage", "zImage", "config", "System.map")
TEXT_SYMBOLS = ("stext", "_text")  # not _stext: on 6.1 it is .text's start, past .head.text
MIB = 1 << 20
BUILD_ID = ".note.gnu.build-id"
GOT = ".got"


def vmlinux_record(vmlinux: Path) -> dict[str, Any]:
    """What the checks need of vmlinux: its entry and its allocated sections."""
    image = elf.Elf(vmlinux)
    return {
        "entry": f"0x{image.elf.header['e_entry']:08x}",
        "sections": [
            {"name": s.name, "address": f"0x{s.address:08x}", "size": s.size}
            for s in image.sections()
            if s.alloc
        ],
    }


def verify(artifact: Artifact[KernelMeta], profile: Profile) -> list[str]:
    """One line per broken fact of the kernel artifact (gate 2)."""
    missing = [
        f"{artifact.file(name)}: missing" for name in OUTPUT_FILES if not artifact.file(name).is_file()
    ]
    if missing:
        return missing
    final = kconfig.parse_config(artifact.file("config").read_text())
    problems = uimage.verify(artifact.file("uImage"), profile)
    problems += image_problems(
        artifact.file("uImage"),
        artifact.file("zImage"),
        artifact.file("System.map"),
        artifact.meta.vmlinux,
    )
    problems += kernel_config.problem_lines(artifact.meta.config_check)
    if artifact.meta.kconfig_chain is None:
        problems.append(
            f"{kernel_config.SQUIREOS_KCONFIG} is not sourced by any file "
            f"ARCH={profile.target.arch} reads (kernel.kconfig_parent = "
            f"{profile.kernel.kconfig_parent})"
        )
    problems += kernel_modules.check(artifact.path, artifact.meta.release, final, profile.kernel.squireos)
    return problems


def image_problems(
    uimage_file: Path, zimage: Path, system_map: Path, vmlinux: dict[str, Any] | None
) -> list[str]:
    """The uImage wraps this build's zImage, and the kernel inside starts where it says."""
    try:
        header = uimage.read_header(uimage_file)
    except VerifyError:
        return []  # uimage.verify has said it
    problems = []
    if header.size != zimage.stat().st_size:
        problems.append(
            f"{uimage_file}: holds {header.size} bytes of data, {zimage.name} "
            f"is {zimage.stat().st_size}: not this build's image"
        )
    if vmlinux is None:
        return problems + [
            f"{uimage_file.parent / 'meta.json'}: no vmlinux record (its "
            f"sections, read at build time): built by an older kernel recipe"
        ]
    return problems + entry_problems(system_map.read_text(errors="replace"), header.entry, vmlinux)


def text_start(system_map: str) -> tuple[str, int] | None:
    """System.map's text start: (symbol, address) of stext, else _text."""
    found = {}
    for line in system_map.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] in TEXT_SYMBOLS and fields[2] not in found:
            found[fields[2]] = int(fields[0], 16)
    for name in TEXT_SYMBOLS:
        if name in found:
            return name, found[name]
    return None


def entry_problems(system_map: str, entry: int, vmlinux: dict[str, Any]) -> list[str]:
    """One line per fact that puts the kernel elsewhere than the uImage ENTRY."""
    start = text_start(system_map)
    if start is None:
        return [
            f"System.map: no {' or '.join(TEXT_SYMBOLS)} symbol: where the kernel's text starts is unknown"
        ]
    name, address = start
    sections = [{**s, "address": int(s["address"], 16)} for s in vmlinux.get("sections", [])]
    ahead = [s for s in sections if s["size"] and address - address % MIB <= s["address"] < address]
    problems, named = [], set()
    delta = address % MIB - entry % MIB
    if delta:
        where = f"0x{abs(delta):x} bytes {'after' if delta > 0 else 'before'}"
        cause = "the kernel does not start where the bootloader puts it"
        if ahead:
            names = ", ".join(s["name"] for s in ahead)
            cause = f"a section ({names}) sits ahead of the kernel's text" + (
                "; link vmlinux without --build-id" if BUILD_ID in names else ""
            )
            named = {s["name"] for s in ahead}
        problems.append(
            f"System.map: {name} at 0x{address:08x}, {where} the uImage entry 0x{entry:08x}: {cause}"
        )
    else:
        problems += [
            f"vmlinux: section {s['name']} at 0x{s['address']:08x} sits ahead of the "
            f"kernel's text ({name} at 0x{address:08x})"
            for s in ahead
        ]
        named = {s["name"] for s in ahead}
    for section in sections:
        if section["name"] == GOT:
            problems.append(
                f"vmlinux: a .got section ({section['size']} bytes at "
                f"0x{section['address']:08x}): GOT relocations in a kernel, "
                f"its code was compiled position-independent (build with -fno-pie)"
            )
        elif section["name"] == BUILD_ID and BUILD_ID not in named:
            problems.append(
                f"vmlinux: a {BUILD_ID} section at 0x{section['address']:08x}: "
                f"objcopy drops it from the Image; link vmlinux without --build-id"
            )
    return problems
