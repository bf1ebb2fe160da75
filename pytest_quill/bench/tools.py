"""Host tools a bench needs, checked by name, each problem naming the package to install."""

from __future__ import annotations

import shutil

# Tools that make and read back the card image, whichever bench runs it.
CARD_TOOLS = {
    "mkimage": "u-boot-tools",
    "mkfs.vfat": "dosfstools",
    "mcopy": "mtools",
    "sfdisk": "fdisk",
    "mke2fs": "e2fsprogs",
}


def missing_tools(tools: dict[str, str]) -> list[str]:
    """One problem per executable (key) not on PATH, naming its Debian package (value)."""
    return [
        f"{tool} not found on PATH (apt-get install {package})"
        for tool, package in tools.items()
        if shutil.which(tool) is None
    ]
