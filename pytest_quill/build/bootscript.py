"""boot.scr: the U-Boot script text made from the profile, and its compiled form.

The Nook's U-Boot ignores uEnv.txt and runs only a script wrapped by
`mkimage -T script` (a legacy image: 64-byte header, then a list of part
sizes, then the text). The reader below checks such an image without U-Boot.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from ..profile import Profile

IMAGE_MAGIC = 0x27051956
IH_TYPE_SCRIPT = 6
IH_ARCH_ARM = 2
_HEADER = struct.Struct(">IIIIIIIBBBB32s")


def bootargs(profile: Profile) -> str:
    boot = profile.boot
    args = (f"console={boot.console},{boot.baud} root={boot.root_device} "
            f"rootfstype={profile.sdcard.root_fs} {boot.bootargs_extra}")
    return args.strip()


def script_text(profile: Profile) -> str:
    lines = [f"setenv bootargs {bootargs(profile)}", *profile.boot.commands]
    return "\n".join(lines) + "\n"


def mkimage_argv(text_path, scr_path) -> list[str]:
    return ["mkimage", "-A", "arm", "-O", "linux", "-T", "script", "-C", "none",
            "-n", "quill boot script", "-d", str(text_path), str(scr_path)]


@dataclass(frozen=True)
class ScriptImage:
    arch: int
    image_type: int
    compression: int
    name: str
    text: str


def read_script_image(data: bytes) -> ScriptImage:
    """Parse a compiled boot.scr; ValueError names the first broken fact."""
    magic = int.from_bytes(data[:4], "big")
    if magic != IMAGE_MAGIC:
        raise ValueError(f"magic 0x{magic:08x}, not 0x{IMAGE_MAGIC:08x}: not a compiled "
                         "script (text left uncompiled? make it with mkimage -T script)")
    if len(data) < _HEADER.size:
        raise ValueError(f"{len(data)} bytes, shorter than a legacy image header (64)")
    (_magic, header_crc, _time, size, _load, _entry, data_crc, _os, arch, image_type,
     compression, name) = _HEADER.unpack_from(data)
    blank = data[:4] + b"\0\0\0\0" + data[8:_HEADER.size]
    if zlib.crc32(blank) != header_crc:
        raise ValueError("header CRC does not match the header")
    payload = data[_HEADER.size:_HEADER.size + size]
    if len(payload) != size or zlib.crc32(payload) != data_crc:
        raise ValueError(f"data CRC or size ({size} bytes) does not match the data")
    if image_type != IH_TYPE_SCRIPT:
        raise ValueError(f"image type {image_type}, not {IH_TYPE_SCRIPT} (script)")
    if arch != IH_ARCH_ARM:
        raise ValueError(f"architecture {arch}, not {IH_ARCH_ARM} (ARM)")
    return ScriptImage(arch, image_type, compression,
                       name.rstrip(b"\0").decode(errors="replace"), _first_part(payload))


def _first_part(payload: bytes) -> str:
    """A script image's payload: u32 part sizes up to a 0, then the parts."""
    sizes = []
    offset = 0
    while offset + 4 <= len(payload):
        (part,) = struct.unpack_from(">I", payload, offset)
        offset += 4
        if part == 0:
            break
        sizes.append(part)
    if not sizes:
        raise ValueError("script image has no part")
    return payload[offset:offset + sizes[0]].decode(errors="replace")


def bootarg(text: str, key: str) -> str | None:
    """The value of KEY= in the script's `setenv bootargs` line."""
    match = re.search(r"^\s*setenv\s+bootargs\s+(.*)$", text, re.MULTILINE)
    if match is None:
        return None
    for word in match.group(1).strip().strip("'\"").split():
        if word.startswith(key + "="):
            return word[len(key) + 1:]
    return None
