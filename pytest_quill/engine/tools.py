"""The programs a build will call, checked on the backend that runs them before
the build starts: a missing one is the bench's problem (BenchError, "broken"),
said in one line with the Debian package that provides it."""

from __future__ import annotations

from ..errors import BenchError
from ..profile import Profile
from .backends.base import Backend
from .recipe import Recipe

# program -> the Debian package that provides it (bookworm). Cross compilers
# (TRIPLET-gcc) come from gcc-TRIPLET and need no line here.
PACKAGE_OF = {
    "make": "make",
    "gcc": "gcc",
    "cc": "gcc",
    "ld": "binutils",
    "nm": "binutils",
    "mkimage": "u-boot-tools",
    "dtc": "device-tree-compiler",
    "sfdisk": "fdisk",
    "fdisk": "fdisk",
    "blkid": "util-linux",
    "flock": "util-linux",
    "mcopy": "mtools",
    "mdir": "mtools",
    "mformat": "mtools",
    "mkfs.vfat": "dosfstools",
    "mkfs.fat": "dosfstools",
    "mke2fs": "e2fsprogs",
    "mkfs.ext4": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "dumpe2fs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "fakeroot": "fakeroot",
    "tar": "tar",
    "gzip": "gzip",
    "xz": "xz-utils",
    "cpio": "cpio",
    "cp": "coreutils",
    "sh": "dash",
    "bc": "bc",
    "perl": "perl-base",
    "bison": "bison",
    "flex": "flex",
    "kmod": "kmod",
    "depmod": "kmod",
    "modinfo": "kmod",
    "ccache": "ccache",
    "git": "git",
    "apt-get": "apt",
    "dpkg-deb": "dpkg",
    "mmdebstrap": "mmdebstrap",
    "qemu-system-arm": "qemu-system-arm",
    "qemu-system-aarch64": "qemu-system-arm",
    "docker": "docker.io",
    "dockerd": "docker.io",
    "bmaptool": "bmap-tools",
    "patch": "patch",
}


def package_of(program: str) -> str | None:
    """The Debian package that provides PROGRAM, None when unknown."""
    if program in PACKAGE_OF:
        return PACKAGE_OF[program]
    for tool in ("gcc", "ld", "nm", "objcopy", "strip"):
        if program.endswith(f"-{tool}"):  # arm-linux-gnueabi-gcc: gcc-arm-linux-gnueabi
            triplet = program.removesuffix(f"-{tool}")
            return f"gcc-{triplet}" if tool == "gcc" else f"binutils-{triplet}"
    return None


def missing_line(owner: str, missing: list[str], where: str) -> str:
    """OWNER: program(s) not found WHERE: NAME (Debian package PKG), ..."""
    named = ", ".join(
        f"{program} (Debian package {package_of(program)})"
        if package_of(program)
        else f"{program} (no Debian package known)"
        for program in missing
    )
    plural = "s" if len(missing) > 1 else ""
    return f"{owner}: program{plural} not found {where}: {named}"


def builds_own_images(recipe: Recipe, profile: Profile, backend: Backend) -> bool:
    """A recipe naming no builder image, on a backend that builds images (the rootfs
    on Docker): its commands run in images it makes itself, its tools are theirs."""
    return backend.images is not None and recipe.toolchain(profile).dockerfile is None


def programs_of(recipe: Recipe, profile: Profile) -> tuple[str, ...]:
    """What the recipe's build will call for this profile."""
    return tuple(recipe.needs(profile))


def check_tools(recipe: Recipe, profile: Profile, backend: Backend, log: str | None = None) -> None:
    """BenchError, one line, when a program the recipe will call is not on BACKEND."""
    if builds_own_images(recipe, profile, backend):
        return
    programs = programs_of(recipe, profile)
    missing = backend.missing(list(programs)) if programs else []
    if missing:
        raise BenchError(missing_line(recipe.name, missing, f"on the {backend.name} backend"), log=log)
