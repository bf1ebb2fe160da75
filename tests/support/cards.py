"""Small synthetic kernel and rootfs artifacts in the streams' layout, and the
card the recipe makes of them, so the card recipe and its read-back run here in
a second."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

from pytest_quill.card import image as diskimage
from pytest_quill.card import recipe as sdcard
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.profile import load_profile

RELEASE = "6.1.0-quill"
MODULES = ("squireos_core", "jester", "typewriter", "wisdom")
CONFIG_EXT4 = "# Linux/arm 6.1.0 Kernel Configuration\nCONFIG_EXT4_FS=y\nCONFIG_VFAT_FS=y\n"
CONFIG_NOOK = ("#\n# Linux kernel version: 2.6.29-omap1\n#\nCONFIG_EXT2_FS=y\nCONFIG_EXT3_FS=y\n"
               "# CONFIG_EXT4_FS is not set\nCONFIG_VFAT_FS=y\n")


def make_kernel(folder: Path, config: str = CONFIG_EXT4, load: int = 0x40008000) -> Artifact:
    folder.mkdir(parents=True)
    payload = folder / "zImage"
    payload.write_bytes(hashlib.sha256(b"kernel").digest() * 2048)  # 64 KiB
    subprocess.run(["mkimage", "-A", "arm", "-O", "linux", "-T", "kernel", "-C", "none",
                    "-a", hex(load), "-e", hex(load), "-n", "synthetic", "-d", str(payload),
                    str(folder / "uImage")], check=True, capture_output=True)
    payload.unlink()
    (folder / "config").write_text(config)
    tree = folder / "modules/lib/modules" / RELEASE
    drivers = tree / "kernel/drivers/squireos"
    drivers.mkdir(parents=True)
    for module in MODULES:
        (drivers / f"{module}.ko").write_bytes(module.encode() * 512)
    deps = [f"kernel/drivers/squireos/{m}.ko: kernel/drivers/squireos/squireos_core.ko"
            for m in MODULES[1:]]
    (tree / "modules.dep").write_text("kernel/drivers/squireos/squireos_core.ko:\n"
                                      + "\n".join(deps) + "\n")
    return Artifact("kernel", "k" * 16, folder, "built", folder / "build.log",
                    {"release": RELEASE})


def tar_entry(name, kind, mode, data=b"", link="", major=0, minor=0):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname = kind, mode, link
    info.devmajor, info.devminor, info.size = major, minor, len(data)
    info.uid = info.gid = 0
    return info, data


ROOT_ENTRIES = [
    tar_entry(".", tarfile.DIRTYPE, 0o755),
    tar_entry("bin", tarfile.DIRTYPE, 0o755),
    tar_entry("bin/busybox", tarfile.REGTYPE, 0o755, b"\x7fELF" + b"busybox" * 4000),
    tar_entry("bin/sh", tarfile.SYMTYPE, 0o777, link="busybox"),
    tar_entry("dev", tarfile.DIRTYPE, 0o755),
    tar_entry("dev/console", tarfile.CHRTYPE, 0o600, major=5, minor=1),
    tar_entry("dev/null", tarfile.CHRTYPE, 0o666, major=1, minor=3),
    tar_entry("etc", tarfile.DIRTYPE, 0o755),
    tar_entry("etc/inittab", tarfile.REGTYPE, 0o644, b"::sysinit:/etc/init.d/rcS\n"),
    tar_entry("init", tarfile.REGTYPE, 0o755, b"#!/bin/sh\nexec /bin/busybox init\n"),
    tar_entry("lib", tarfile.SYMTYPE, 0o777, link="usr/lib"),
    tar_entry("usr", tarfile.DIRTYPE, 0o755),
    tar_entry("usr/lib", tarfile.DIRTYPE, 0o755),
]
_TYPES = {tarfile.DIRTYPE: "dir", tarfile.REGTYPE: "file", tarfile.SYMTYPE: "symlink",
          tarfile.CHRTYPE: "char"}


def make_rootfs(folder: Path, entries=ROOT_ENTRIES) -> Artifact:
    folder.mkdir(parents=True)
    with tarfile.open(folder / "rootfs.tar.gz", "w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data))
    lines = []
    for info, data in entries:
        digest = hashlib.sha256(data).hexdigest() if info.type == tarfile.REGTYPE else "-"
        lines.append(f"/{info.name.lstrip('.')}\t{info.mode:04o}\t{len(data)}\t{digest}\t"
                     f"{_TYPES[info.type]}")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n")
    return Artifact("rootfs", "r" * 16, folder, "built", folder / "build.log", {})


def build_context(profile, out: Path, kernel: Artifact, rootfs: Artifact) -> BuildContext:
    out.mkdir(parents=True)
    return BuildContext(name="sdcard", profile=profile, out=out, log_path=out.parent / "sd.log",
                        backend=HostBackend(), deps={"kernel": kernel, "rootfs": rootfs},
                        jobs=1, work_root=out.parent / "work", project_root=Path.cwd())


def build_card(base: Path, profile, kernel=None, rootfs=None):
    kernel = kernel or make_kernel(base / "kernel")
    rootfs = rootfs or make_rootfs(base / "rootfs")
    ctx = build_context(profile, base / "card", kernel, rootfs)
    meta = sdcard.RECIPE.build(ctx)
    card = Artifact("sdcard", "s" * 16, ctx.out, "built", ctx.log_path, meta)
    return card, kernel, rootfs


MTOOLS = {"MTOOLS_SKIP_CHECK": "1"}


def nook_with_loaders(loaders, **settings):
    files = f'["{loaders}/MLO", "{loaders}/u-boot.bin"]'
    return load_profile("nook-simple-touch",
                        overrides={"boot.bootloader_files": files, **settings})


def tampered(nook_card, tmp_path, *commands):
    """A copy of the good Nook card, changed by mtools COMMANDS on partition 1."""
    profile, card, kernel, rootfs = nook_card
    copy = tmp_path / "card"
    subprocess.run(["cp", "-a", str(card.path), str(copy)], check=True)
    image = f"{copy}/card.img@@{diskimage.layout(profile.sdcard)[0].start}"
    for command in commands:
        subprocess.run([command[0], "-i", image, *command[1:]], check=True, env=MTOOLS,
                       capture_output=True)
    return Artifact("sdcard", "t" * 16, copy, "built", card.log, card.meta)
