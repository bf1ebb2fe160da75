"""What a card build records (its meta.json, engine/meta.py). layout.json beside the
image holds the whole layout, each file with its sha256; the meta the part others read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.meta import RecipeMeta


@dataclass(frozen=True)
class CardMeta(RecipeMeta):
    size_bytes: int  # card.img's size
    data_bytes: int  # what bmaptool writes of it (card.bmap's mapped ranges)
    partitions: tuple[dict[str, Any], ...]  # image.Partition.as_dict() of each
    boot_files: tuple[str, ...]  # partition 1's files, in the order written
    release: str  # the kernel's, whose modules are on partition 2
    boot_script_uboot: dict[str, Any]  # which U-Boot judged boot.scr, or why none did (uboot_env.describe)

    def environment(self) -> dict[str, str]:
        return {"release": self.release}
