"""boot.scr: the U-Boot script text made from the profile, and its compiled form.

The Nook's U-Boot ignores uEnv.txt and runs only a script wrapped by
`mkimage -T script` (a legacy image: 64-byte header, then a list of part
sizes, then the text). uimage.verify checks the header; this reads the text.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from ..formats.uimage import HEADER_SIZE
from ..profile import Profile


def bootargs(profile: Profile) -> str:
    boot = profile.boot
    args = (
        f"console={boot.console},{boot.baud} root={boot.root_device} "
        f"rootfstype={profile.sdcard.root_fs} {boot.bootargs_extra}"
    )
    return args.strip()


def script_text(profile: Profile) -> str:
    lines = [f"setenv bootargs {bootargs(profile)}", *profile.boot.commands]
    return "\n".join(lines) + "\n"


def mkimage_argv(text_path: Path, scr_path: Path) -> list[str]:
    return [
        "mkimage",
        "-A",
        "arm",
        "-O",
        "linux",
        "-T",
        "script",
        "-C",
        "none",
        "-n",
        "quill boot script",
        "-d",
        str(text_path),
        str(scr_path),
    ]


def script_payload(data: bytes) -> str:
    """The text of a compiled script (header checked by uimage.verify): after the
    64-byte header, u32 part sizes up to a 0, then the parts; the script is part 1."""
    sizes, offset = [], HEADER_SIZE
    while offset + 4 <= len(data):
        (part,) = struct.unpack_from(">I", data, offset)
        offset += 4
        if part == 0:
            break
        sizes.append(part)
    if not sizes:
        raise ValueError("the script image has no part")
    return data[offset : offset + sizes[0]].decode(errors="replace")


def bootarg(text: str, key: str) -> str | None:
    """The value of KEY= in the script's `setenv bootargs` line."""
    match = re.search(r"^\s*setenv\s+bootargs\s+(.*)$", text, re.MULTILINE)
    if match is None:
        return None
    for word in match.group(1).strip().strip("'\"").split():
        if word.startswith(key + "="):
            return word[len(key) + 1 :]
    return None
