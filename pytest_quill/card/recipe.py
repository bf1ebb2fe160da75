"""Stream D1: the SD card image, made from the kernel and rootfs artifacts.

No root, loop device or mount: sfdisk on a plain file, mkfs.vfat and mtools at
the FAT's offset, `mke2fs -d` at the root partition's offset (under fakeroot
when not root, so owners are 0:0 and device nodes exist), then `bmaptool create`
writes card.bmap beside card.img: the ranges a card needs, with their checksums.
Every fact the Nook broke (NOOK.md 8-11) is checked before the first byte is
written.
"""

from __future__ import annotations

import json
import os
import shlex
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from ..digest import file_sha256
from ..engine.context import Artifact, BuildContext
from ..engine.recipe import Toolchain
from ..errors import BuildError, VerifyError
from ..formats import bmap, tar
from ..profile import Profile
from . import bootscript, readback, uboot_env
from . import image as diskimage
from .image import Partition
from .meta import CardMeta
from .preflight import kernel_config_problems, preflight

MIB = diskimage.MIB
BOOT_LABEL = "QUILLBOOT"
ROOT_LABEL = "quillroot"
# Room mke2fs needs beyond the files: inode tables, journal, directories.
ROOT_FILL_LIMIT = 0.8


class SdCardRecipe:
    name = "sdcard"
    deps = ("kernel", "rootfs")
    tools = ("sfdisk", "mcopy", "mkimage", "debugfs", "fakeroot", "tar", "bmaptool")
    version = "2"  # 2: card.bmap beside card.img
    # Attached to the report beside the build log.
    evidence = ("layout.json", "boot.cmd", "card.bmap")
    # The image tools are host tools, whatever built the kernel: an old-toolchain
    # builder image (the Nook's) has an mke2fs without -d.
    runs_on = "host"
    meta_type = CardMeta

    def needs(self, profile: Profile) -> tuple[str, ...]:
        return (*self.tools, "mkfs.vfat", "mke2fs", "dumpe2fs", "blkid", "mdir")

    def toolchain(self, profile: Profile) -> Toolchain:
        return Toolchain()

    def fingerprint(self, profile: Profile, project_root: Path) -> dict:
        boot = profile.section("boot")
        boot["bootloader_files"] = [_file_identity(p) for p in profile.boot.bootloader_files]
        here = Path(__file__).parent
        code = {
            name: file_sha256(here / name)
            for name in ("recipe.py", "preflight.py", "image.py", "bootscript.py", "uboot_env.py")
        }
        # The U-Boot that judges boot.scr is named in the meta (bench.qemu.bios for qemu-virt).
        return {
            "sdcard": profile.section("sdcard"),
            "boot": boot,
            "kernel_filesystems": list(profile.kernel.filesystems),
            "code": code,
            "uboot": uboot_env.identity(profile),
        }

    def build(self, ctx: BuildContext) -> CardMeta:
        profile = ctx.profile
        kernel, rootfs = ctx.deps["kernel"], ctx.deps["rootfs"]
        problems = preflight(profile) + kernel_config_problems(profile, kernel.file("config"))
        if problems:
            raise VerifyError("; ".join(problems), log=str(ctx.log_path))
        release: str = kernel.meta.release  # the card reads the kernel's meta, whatever its class
        modules = kernel.file(f"modules/lib/modules/{release}")
        if not release or not modules.is_dir():
            raise VerifyError(
                f"{kernel.path}: no modules/lib/modules/{release} (kernel meta's release)",
                log=str(ctx.log_path),
            )
        image = ctx.out / "card.img"
        boot_part, root_part = diskimage.layout(profile.sdcard)
        diskimage.create(image, profile.sdcard.image_mib * MIB)
        diskimage.partition(image, (boot_part, root_part), ctx.run)
        boot_files = self._fill_boot(ctx, image, boot_part, kernel)
        with tempfile.TemporaryDirectory(prefix="quill-sdcard-") as work:
            self._fill_root(ctx, image, root_part, Path(work), rootfs, modules, release)
        # Holes are left out of the map: what the filesystem uses must be data.
        diskimage.materialize(image, diskimage.needed_ranges(image, boot_part, root_part))
        ctx.run(["bmaptool", "create", "-o", str(bmap.beside(image)), str(image)])
        files = boot_files + [
            {
                "partition": 2,
                "path": f"/lib/modules/{release}/{p.relative_to(modules)}",
                "size": p.stat().st_size,
                "sha256": file_sha256(p),
            }
            for p in sorted(modules.rglob("*"))
            if p.is_file()
        ]
        return self._publish(ctx, image, (boot_part, root_part), files, release)

    def verify(
        self, artifact: Artifact[CardMeta], profile: Profile, deps: dict[str, Artifact[Any]]
    ) -> list[str]:
        """The card read back (card/readback.py): its layout, files and boot script
        against the profile and the kernel and rootfs it was made from."""
        return readback.verify(artifact, profile, deps["kernel"], deps["rootfs"])

    def _fill_boot(
        self, ctx: BuildContext, image: Path, part: Partition, kernel: Artifact[Any]
    ) -> list[dict]:
        script = ctx.out / "boot.cmd"
        script.write_text(bootscript.script_text(ctx.profile))
        ctx.run(bootscript.mkimage_argv(script, ctx.out / "boot.scr"))
        diskimage.make_fat(image, part, BOOT_LABEL, ctx.run)
        sources = [(path, path.name) for path in ctx.profile.boot.bootloader_files]
        sources += [(kernel.file("uImage"), "uImage"), (ctx.out / "boot.scr", "boot.scr")]
        diskimage.copy_to_fat(image, part, sources, ctx.run)
        return [
            {"partition": 1, "path": name, "size": source.stat().st_size, "sha256": file_sha256(source)}
            for source, name in sources
        ]

    def _fill_root(
        self,
        ctx: BuildContext,
        image: Path,
        part: Partition,
        work: Path,
        rootfs: Artifact[Any],
        modules: Path,
        release: str,
    ) -> None:
        tarball = rootfs.file("rootfs.tar.gz")
        tar_bytes, links = _tar_listing(tarball)
        needed = tar_bytes + _tree_bytes(modules)
        if needed > part.size * ROOT_FILL_LIMIT:
            raise BuildError(
                f"root tree of {needed // MIB} MiB (rootfs + modules) does not fit "
                f"partition 2 of {part.size // MIB} MiB (sdcard.image_mib)",
                log=str(ctx.log_path),
            )
        tree = work / "root"
        tree.mkdir()
        # /lib may be a link to usr/lib: follow the rootfs's own links.
        target = tree / _resolve(f"lib/modules/{release}", links)
        # One session: fakeroot's owners and device nodes live as long as it does.
        ctx.run(
            _as_root(
                ["tar", "-xzpf", str(tarball), "-C", str(tree), "--numeric-owner"],
                ["mkdir", "-p", str(target)],
                ["cp", "-a", f"{modules}/.", str(target)],
                ["chown", "-R", "0:0", str(target.parent)],
                diskimage.mke2fs_argv(image, part, ROOT_LABEL, tree),
            )
        )

    def _publish(
        self,
        ctx: BuildContext,
        image: Path,
        partitions: tuple[Partition, ...],
        files: list[dict],
        release: str,
    ) -> CardMeta:
        mapping = bmap.read(bmap.beside(image))
        data_bytes = mapping.mapped_bytes  # what bmaptool writes to a card
        layout = {
            "image": image.name,
            "size_bytes": image.stat().st_size,
            "disk_id": diskimage.DISK_ID,
            "data_bytes": data_bytes,
            "bmap": mapping.path.name,
            "mapped_ranges": len(mapping.ranges),
            "partitions": [p.as_dict() for p in partitions],
            "files": files,
        }
        (ctx.out / "layout.json").write_text(json.dumps(layout, indent=1) + "\n")
        return CardMeta(
            size_bytes=image.stat().st_size,
            data_bytes=data_bytes,
            partitions=tuple(p.as_dict() for p in partitions),
            boot_files=tuple(f["path"] for f in files if f["partition"] == 1),
            release=release,
            boot_script_uboot=uboot_env.describe(ctx.profile),
        )


def _as_root(*steps: list[str]) -> list[str]:
    """STEPS as one command run as root: as they are when root, else under fakeroot,
    whose view (owners 0:0, device nodes) lasts for one session only."""
    script = " && ".join(shlex.join(step) for step in steps)
    return (["fakeroot"] if os.geteuid() != 0 else []) + ["sh", "-ec", script]


def _tar_listing(tarball: Path) -> tuple[int, dict[str, str]]:
    """The bytes a tarball unpacks to, and its symlinks (path -> target)."""
    size, links = 0, {}
    with tarfile.open(tarball) as members:
        for member in members:
            size += member.size
            if member.issym():
                links[tar.member_path(member.name)] = member.linkname
    return size, links


def _resolve(relative: str, links: dict[str, str]) -> str:
    """RELATIVE inside the rootfs with its links followed as the target sees them
    (an absolute link /usr/lib means <root>/usr/lib), never leaving the root."""
    parts, hops = relative.split("/"), 0
    resolved: list[str] = []
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            resolved = resolved[:-1]
            continue
        link = links.get("/".join(resolved + [part]))
        if link is None:
            resolved.append(part)
            continue
        hops += 1
        if hops > 40:
            raise BuildError(f"rootfs: too many levels of symbolic links at {relative}")
        resolved = [] if link.startswith("/") else resolved
        parts = link.split("/") + parts
    return "/".join(resolved)


def _tree_bytes(tree: Path) -> int:
    total = 0
    for folder, _dirs, names in os.walk(tree):
        total += sum(os.lstat(os.path.join(folder, name)).st_size for name in names)
    return total


def _file_identity(path: Path) -> dict:
    return {"name": path.name, "sha256": file_sha256(path) if path.is_file() else None}


RECIPE = SdCardRecipe()
