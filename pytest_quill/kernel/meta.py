"""What a kernel build records (its meta.json, engine/meta.py): the fields gate 2, the
card and the suites read. The nested records stay JSON, each in the shape of the
module that makes it: vmlinux (verify.vmlinux_record), uimage (formats/uimage.py
as_meta), config_check (config.py), ccache_stats (make.py), integration, compat, source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.meta import RecipeMeta


@dataclass(frozen=True)
class KernelMeta(RecipeMeta):
    release: str  # kernel.release: the modules' folder under lib/modules
    modules: tuple[str, ...]  # built as modules (=m), in load order
    builtin: tuple[str, ...]  # of those wanted, built in (=y)
    vmlinux: dict[str, Any] | None  # entry and allocated sections; None: not read
    uimage: dict[str, Any]  # the uImage header's fields
    sizes: dict[str, int]  # uImage and zImage, bytes
    ccache: bool  # built through ccache
    ccache_stats: dict[str, Any]  # this build's hits and misses ({} without ccache)
    config_check: dict[str, Any]  # the final config against what SquireOS needs
    integration: dict[str, Any]  # how the SquireOS sources joined the tree
    compat: dict[str, Any]  # the compat patches applied: folder, patches
    kconfig_chain: tuple[str, ...] | None  # the Kconfig files that source SquireOS's; None: none does
    source: dict[str, Any]  # the tree's identity

    def environment(self) -> dict[str, str]:
        return {"release": self.release}
