"""Is a rootfs tarball fit for the profile's device? One line per broken fact.

The facts (NOOK.md, mistakes 5-7): init and the mount points are there, every
ELF file is for the profile's machine (not the build machine's), no libc or
static binary needs a newer kernel than the profile's, init uses nothing the
kernel lacks (devtmpfs on 2.6.29), and the tarball fits the size budget.
"""

from __future__ import annotations

import posixpath
import re
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..engine.context import Artifact
from ..formats import elf
from ..formats.tar import member_path
from ..formats.version import format_version, version_tuple
from ..profile import Profile

TARBALL = "rootfs.tar.gz"

MOUNT_POINTS = ("proc", "sys", "dev", "tmp")
CONSOLE = ("dev/console", 5, 1)
INIT = "sbin/init"
BUSYBOX = "bin/busybox"
# Text files busybox init runs: its table, the scripts, and a script /init.
INIT_FILES = re.compile(r"^(etc/inittab|etc/init\.d/[^/]+|etc/rc[^/]*|init|sbin/init)$")
LIBC = re.compile(r"(^|/)libc(\.so\.\d+|-[\d.]+\.so)$")
# The ARM float calling convention each Debian ARM architecture is built for.
FLOAT_ABI_OF = {"armhf": "hard", "armel": "soft"}
# What an init file may use, and the kernel fact that allows it.
KERNEL_FEATURES = {"devtmpfs": lambda kernel: kernel.has_devtmpfs}


@dataclass(frozen=True)
class Contents:
    """What the checks read from a tarball, read once."""

    members: dict[str, tarfile.TarInfo]
    elves: dict[str, elf.ElfInfo]
    init_texts: dict[str, str]
    busybox: bytes
    compressed_bytes: int


def verify(artifact: Artifact, profile: Profile) -> list[str]:
    return verify_tarball(artifact.file(TARBALL), profile)


def verify_tarball(tarball: Path, profile: Profile) -> list[str]:
    contents = read_contents(tarball)
    return (
        check_required(contents)
        + check_machines(contents, profile)
        + check_float_abi(contents, profile)
        + check_min_kernel(contents, profile)
        + check_init_features(contents, profile)
        + check_applet_links(contents)
        + check_size(contents, profile)
    )


def read_contents(tarball: Path) -> Contents:
    members, elves, texts, busybox = {}, {}, {}, b""
    with tarfile.open(tarball, "r:gz") as tar:
        for info in tar:
            path = member_path(info.name)
            members[path] = info
            if not info.isreg():
                continue
            reader = tar.extractfile(info)  # a regular member always has one
            data = reader.read() if reader is not None else b""
            if elf.is_elf(data):
                elves[path] = _parse_elf(data)
            elif INIT_FILES.match(path):
                texts[path] = data.decode(errors="replace")
            if path == BUSYBOX:
                busybox = data
    return Contents(members, elves, texts, busybox, tarball.stat().st_size)


def check_required(contents: Contents) -> list[str]:
    problems = _check_init(contents)
    path, major, minor = CONSOLE
    console = contents.members.get(path)
    if console is None:
        problems.append(f"{path}: missing (the kernel opens it before init runs)")
    elif not console.ischr() or (console.devmajor, console.devminor) != (major, minor):
        problems.append(f"{path}: not the char device {major},{minor} ({_describe(console)})")
    for point in MOUNT_POINTS:
        member = contents.members.get(point)
        if member is None or not member.isdir():
            problems.append(f"{point}: mount point missing ({_describe(member)})")
    return problems


def check_machines(contents: Contents, profile: Profile) -> list[str]:
    wanted = profile.target.elf_machine
    return [
        f"{path}: ELF machine {info.machine}, profile {profile.name} needs {wanted} (target.elf_machine)"
        for path, info in contents.elves.items()
        if info.machine != wanted
    ]


def check_float_abi(contents: Contents, profile: Profile) -> list[str]:
    """armhf files on an armel profile (or the reverse): the wrong Debian port."""
    arch = profile.target.debian_arch
    wanted = FLOAT_ABI_OF.get(arch)
    if wanted is None:
        return []
    return [
        f"{path}: {info.arm_float_abi}-float ARM ABI, profile {profile.name} is {arch} "
        f"({wanted}-float, target.debian_arch)"
        for path, info in contents.elves.items()
        if info.arm_float_abi and info.arm_float_abi != wanted
    ]


def check_min_kernel(contents: Contents, profile: Profile) -> list[str]:
    kernel = version_tuple(profile.kernel.version)
    too_new = [
        f"{path} needs kernel {format_version(needed)}, profile {profile.name} has {profile.kernel.version}"
        for path, needed in kernel_floors(contents).items()
        if needed > kernel
    ]
    # musl and other libcs check nothing at start-up: without the note there
    # is no fact to judge by, and a silent pass would hide mistake 7.
    unstated = [
        f"{path}: static program with no GNU ABI tag: its minimum kernel is unknown, "
        f"so it cannot be judged against {profile.kernel.version} (profile {profile.name})"
        for path, info in contents.elves.items()
        if not info.abi_min_kernel and _is_static_program(path, info)
    ]
    return too_new + unstated


def check_init_features(contents: Contents, profile: Profile) -> list[str]:
    problems = []
    for feature, kernel_has in KERNEL_FEATURES.items():
        if kernel_has(profile.kernel):
            continue
        for path, text in contents.init_texts.items():
            if _uses(text, feature):
                problems.append(
                    f"{path}: init uses {feature}, kernel {profile.kernel.version} of "
                    f"profile {profile.name} has none (kernel.has_{feature} = false)"
                )
    return problems


def check_applet_links(contents: Contents) -> list[str]:
    """Links to busybox must name an applet it has (the list is made on the host)."""
    if not contents.busybox:
        return []
    # Its applet names are NUL-separated strings: one split, not a scan per link.
    strings = set(contents.busybox.split(b"\0")[1:-1])
    return [
        f"{path}: links to {BUSYBOX}, which has no applet {posixpath.basename(path)}"
        for path, member in contents.members.items()
        if member.issym()
        and _resolve(contents, path) == BUSYBOX
        and posixpath.basename(path).encode() not in strings
    ]


def check_size(contents: Contents, profile: Profile) -> list[str]:
    budget = profile.rootfs.max_compressed_bytes
    if contents.compressed_bytes <= budget:
        return []
    return [
        f"{TARBALL}: {contents.compressed_bytes:,} bytes compressed, over profile "
        f"{profile.name}'s budget rootfs.max_compressed_bytes = {budget:,}"
    ]


def kernel_floors(contents: Contents) -> dict[str, tuple[int, int, int]]:
    """The minimum kernel of each file that checks it at start-up: the libc and static binaries."""
    return {
        path: info.abi_min_kernel
        for path, info in contents.elves.items()
        if info.abi_min_kernel and (LIBC.search(path) or _is_static_program(path, info))
    }


def _check_init(contents: Contents) -> list[str]:
    member = contents.members.get(INIT)
    if member is None:
        return [f"{INIT}: missing"]
    target = _resolve(contents, INIT)
    resolved = contents.members.get(target) if target else None
    if resolved is None:
        return [f"{INIT}: links to {member.linkname}, which is not in the tarball"]
    if not resolved.isreg() or not resolved.mode & stat.S_IXUSR:
        return [f"{INIT}: not an executable file ({_describe(resolved)})"]
    return []


def _resolve(contents: Contents, path: str, depth: int = 0) -> str | None:
    """Follow symlinks inside the tree (absolute targets are the tree's root)."""
    member = contents.members.get(path)
    if member is None or depth > 16:
        return None
    if not member.issym():
        return path
    target = member.linkname
    joined = target if target.startswith("/") else posixpath.join(posixpath.dirname(path), target)
    return _resolve(contents, member_path(joined), depth + 1)


def _parse_elf(data: bytes) -> elf.ElfInfo:
    try:
        return elf.parse(data)
    except ValueError as exc:
        return elf.ElfInfo(f"unreadable ({exc})", 0, "", "", None, None)


def _is_static_program(path: str, info: elf.ElfInfo) -> bool:
    """No loader: a static executable (EXEC), or a static PIE (DYN not named like a library)."""
    if info.interpreter:
        return False
    return info.type == "EXEC" or (info.type == "DYN" and ".so" not in posixpath.basename(path))


def _uses(text: str, word: str) -> bool:
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    return any(re.search(rf"\b{re.escape(word)}\b", line) for line in lines)


def _describe(member: tarfile.TarInfo | None) -> str:
    if member is None:
        return "absent"
    kind = {
        tarfile.REGTYPE: "file",
        tarfile.DIRTYPE: "directory",
        tarfile.SYMTYPE: "symlink",
        tarfile.CHRTYPE: "char device",
        tarfile.BLKTYPE: "block device",
    }.get(member.type, "other")
    extra = f" {member.devmajor},{member.devminor}" if member.ischr() or member.isblk() else ""
    return f"{kind}{extra}, mode {member.mode:04o}"
