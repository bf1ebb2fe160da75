"""Small synthetic root trees, what assemble.sh makes in small, with real ARM
binaries and the cross libc, and the tarball the rootfs recipe packs of them."""

import shutil
from pathlib import Path

from pytest_quill import data
from pytest_quill.formats import tar as tarball
from pytest_quill.rootfs import recipe as rootfs

CROSS_GCC = "arm-linux-gnueabihf-gcc"
ARM_LIBC = Path("/usr/arm-linux-gnueabihf/lib/libc.so.6")
ARMEL_LIBC = Path("/usr/arm-linux-gnueabi/lib/libc.so.6")
SOURCES = data.path("rootfs")
LIBC_PATH = "lib/arm-linux-gnueabihf/libc.so.6"


def make_tree(root: Path, arm_programs: Path, dev_method: str = "devtmpfs") -> Path:
    """What assemble.sh makes, in small: busybox + links, libc, init scripts, mount points."""
    for folder in ("bin", "sbin", "lib/arm-linux-gnueabihf", "etc/init.d", "proc", "sys", "dev", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(arm_programs / "static", root / "bin" / "busybox")
    shutil.copy(ARM_LIBC, root / LIBC_PATH)
    (root / "sbin" / "init").symlink_to("/bin/busybox")
    (root / "bin" / "sh").symlink_to("busybox")
    shutil.copy(SOURCES / "overlay" / "etc" / "inittab", root / "etc" / "inittab")
    shutil.copy(SOURCES / "overlay" / "etc" / "init.d" / "rcS", root / "etc" / "init.d" / "rcS")
    shutil.copy(SOURCES / "dev" / f"{dev_method}.sh", root / "etc" / "init.d" / "dev")
    return root


def pack(root: Path, devices=rootfs.DEVICES) -> Path:
    out = root.parent / "rootfs.tar.gz"
    tarball.write(root, out, devices)
    return out
