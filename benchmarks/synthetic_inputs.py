"""Small synthetic kernel and rootfs artifacts in the streams' layout (the
same shape as the unit tests' ones), for timing the card recipe without a
real build."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

from pytest_quill.engine.context import Artifact
from pytest_quill.kernel.meta import KernelMeta
from pytest_quill.rootfs.meta import RootfsMeta

RELEASE = "6.1.0-quill"
MODULES = ("squireos_core", "jester", "typewriter", "wisdom")
CONFIG_EXT4 = "# Linux/arm 6.1.0 Kernel Configuration\nCONFIG_EXT4_FS=y\nCONFIG_VFAT_FS=y\n"


def kernel_meta(**facts) -> KernelMeta:
    """A kernel build's meta with nothing in it but RELEASE, and FACTS."""
    blank = dict(
        release=RELEASE, modules=MODULES, builtin=(), vmlinux=None, uimage={}, sizes={}, ccache=False,
        ccache_stats={}, config_check={"problems": []}, integration={}, compat={}, kconfig_chain=None,
        source={},
    )  # fmt: skip
    return KernelMeta(**{**blank, **facts})


def rootfs_meta(**facts) -> RootfsMeta:
    """A rootfs build's meta with nothing in it, and FACTS."""
    blank = dict(
        arch="armhf", sha256="", compressed_bytes=0, entries=0, backend="host", libc_min_kernel="",
        suite="bookworm", userland="debian", packages=(), build_packages=(), dev_method="devtmpfs",
    )  # fmt: skip
    return RootfsMeta(**{**blank, **facts})


def make_kernel(folder: Path, config: str = CONFIG_EXT4, load: int = 0x40008000) -> Artifact:
    folder.mkdir(parents=True)
    payload = folder / "zImage"
    payload.write_bytes(hashlib.sha256(b"kernel").digest() * 2048)  # 64 KiB
    subprocess.run(
        [
            "mkimage",
            "-A",
            "arm",
            "-O",
            "linux",
            "-T",
            "kernel",
            "-C",
            "none",
            "-a",
            hex(load),
            "-e",
            hex(load),
            "-n",
            "synthetic",
            "-d",
            str(payload),
            str(folder / "uImage"),
        ],
        check=True,
        capture_output=True,
    )
    payload.unlink()
    (folder / "config").write_text(config)
    tree = folder / "modules/lib/modules" / RELEASE
    drivers = tree / "kernel/drivers/squireos"
    drivers.mkdir(parents=True)
    for module in MODULES:
        (drivers / f"{module}.ko").write_bytes(module.encode() * 512)
    deps = [f"kernel/drivers/squireos/{m}.ko: kernel/drivers/squireos/squireos_core.ko" for m in MODULES[1:]]
    (tree / "modules.dep").write_text("kernel/drivers/squireos/squireos_core.ko:\n" + "\n".join(deps) + "\n")
    return Artifact("kernel", "k" * 16, folder, "built", folder / "build.log", kernel_meta())


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
_TYPES = {
    tarfile.DIRTYPE: "dir",
    tarfile.REGTYPE: "file",
    tarfile.SYMTYPE: "symlink",
    tarfile.CHRTYPE: "char",
}


def make_rootfs(folder: Path, entries=ROOT_ENTRIES) -> Artifact:
    folder.mkdir(parents=True)
    with tarfile.open(folder / "rootfs.tar.gz", "w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data))
    lines = []
    for info, data in entries:
        digest = hashlib.sha256(data).hexdigest() if info.type == tarfile.REGTYPE else "-"
        lines.append(f"/{info.name.lstrip('.')}\t{info.mode:04o}\t{len(data)}\t{digest}\t{_TYPES[info.type]}")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n")
    return Artifact("rootfs", "r" * 16, folder, "built", folder / "build.log", rootfs_meta())
