"""Hardware profiles: TOML data loaded once into frozen, validated objects.

A profile holds what differs between boards. The schema is the dataclasses below
and, for [bench], benches.py with the bench kinds' own tables;
the loader walks their type hints (a Rule in Annotated adds a condition), so a new
key is one new field. Errors name the file (or the --quill-set that gave the
value), the key and what is allowed, in one line.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from ..errors import InputError
from ..tables import Rule, Source, apply_override, build
from .benches import Bench, bench_schema

# Profiles are the project's data: found under the folder the run names
# (--quill-profiles, default <rootdir>/hardware_profiles), never beside this code;
# outside a pytest run (benchmarks, scripts): the working folder's.
PROFILES_FOLDER = "hardware_profiles"

Size = Annotated[int, Rule("greater than 0", lambda n: n > 0)]
Seconds = Annotated[float, Rule("finite and greater than 0", lambda n: 0 < n < float("inf"))]
CcacheRemote = Annotated[
    str,
    Rule(
        "empty, or a redis://, redis+unix:// or http:// URL",
        lambda s: s == "" or bool(re.match(r"(redis|redis\+unix|http|https)://.", s)),
    ),
]
SafeName = Annotated[
    str,
    Rule(
        "safe in a path (the file's stem unless set): letters, digits, "
        "'.', '_', '+', '-', not starting with '.', no '..'",
        lambda s: bool(re.fullmatch(r"(?!.*\.\.)[\w+-][\w.+-]*", s, re.ASCII)),
    ),
]


@dataclass(frozen=True)
class Target:
    arch: str  # the kernel's ARCH
    debian_arch: Literal["armhf", "armel", "arm64", "amd64"]
    elf_machine: Literal["ARM", "AArch64", "X86_64"]
    cpu: str
    description: str


@dataclass(frozen=True)
class Kernel:
    source: str  # "debian:linux-source-6.1", a path to a tree, or a git URL
    version: str  # release family the tree is, e.g. "6.1" or "2.6.29"
    config_base: str  # a make target (tinyconfig) or a defconfig path
    config_fragment: Path | None  # symbols forced on top of config_base
    modules: Path  # folder of the out-of-tree module sources (Kconfig, Makefile, *.c)
    config_update: Literal["olddefconfig", "oldconfig"]
    cross_compile: str
    kconfig_parent: str  # the Kconfig file that ARCH really reads for drivers
    squireos: Literal["m", "y"]  # modules or built in
    image_target: str  # zImage, or uImage for trees that make it themselves
    docker_builder: Path  # Dockerfile of the toolchain image ("quill:docker/builder.dockerfile")
    has_devtmpfs: bool
    filesystems: tuple[str, ...]  # root filesystems this kernel can mount
    # folder of *.patch applied in name order ("quill:kernel/compat/2.6.29"); "" = none
    compat_patches: Path | None = None
    # ccache's remote storage shared by every runner (redis://HOST:PORT, http://...); "" = local only
    ccache_remote: CcacheRemote = ""


@dataclass(frozen=True)
class UImage:
    load: int
    entry: int
    name: str
    max_bytes: Size


@dataclass(frozen=True)
class Rootfs:
    recipe: Path  # minimal-boot.dockerfile
    suite: str  # Debian suite the packages (and busybox's toolchain) come from
    packages: tuple[str, ...]  # Debian packages unpacked into the tree
    init_features: tuple[str, ...]  # what init may use, e.g. "devtmpfs"
    max_compressed_bytes: Size
    # debian: busybox-static from the suite; busybox-musl: busybox built here
    # against musl, for kernels older than Debian's glibc runs on (3.2).
    userland: Literal["debian", "busybox-musl"] = "debian"


@dataclass(frozen=True)
class SdCard:
    image_mib: Annotated[
        int, Rule("a power of two (QEMU's sd-card device needs it)", lambda n: n > 0 and not n & (n - 1))
    ]
    boot_mib: Size
    root_fs: Literal["ext2", "ext3", "ext4"]
    min_device_bytes: Size
    max_device_bytes: Size


@dataclass(frozen=True)
class Boot:
    bootloader_files: tuple[Path, ...]  # copied first, in this order (MLO first)
    console: str
    baud: Size
    root_device: str
    bootargs_extra: str
    commands: tuple[str, ...]  # boot.scr lines after bootargs are set
    bootloader_banner: str  # the line that starts every bootloader run
    shell_prompt: str  # regex of the shell prompt init leaves on the console
    # Regex of the bootloader's autoboot countdown. With bootloader_prompt set, the
    # judge stops the countdown there with a key and types `boot` (bootcmd, the same
    # boot at once), as at a serial console; empty: the countdown runs out.
    autoboot_prompt: str = ""
    bootloader_prompt: str = ""  # regex of the bootloader's command prompt


@dataclass(frozen=True)
class Budgets:
    boot_to_shell_s: Seconds
    os_memory_mib: Size
    module_load_s: Seconds


@dataclass(frozen=True)
class Profile:
    name: SafeName
    path: Path = field(compare=False)
    target: Target
    kernel: Kernel
    uimage: UImage
    rootfs: Rootfs
    sdcard: SdCard
    boot: Boot
    bench: Bench
    budgets: Budgets

    def section(self, name: str) -> dict:
        """A section as plain data (lists, path strings), for cache keys and reports."""
        return json.loads(json.dumps(dataclasses.asdict(getattr(self, name)), default=str))


@functools.cache
def profile_schema() -> type[Profile]:
    """The profile as the loader and the reference read it: its [bench] is bench_schema()."""
    return dataclasses.make_dataclass(
        "Profile",
        [("bench", bench_schema())],
        bases=(Profile,),
        frozen=True,
        namespace={"__module__": __name__},
    )


def known_profiles(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or Path.cwd() / PROFILES_FOLDER).glob("*.toml"))


def names_a_file(name_or_path: str) -> bool:
    """A profile given as a path (a .toml, or with a folder) rather than by name."""
    return name_or_path.endswith(".toml") or "/" in name_or_path


def find_profile(name_or_path: str, directory: Path | None = None) -> Path:
    """A profile by name (hardware_profiles/NAME.toml) or by path."""
    directory = directory or Path.cwd() / PROFILES_FOLDER
    candidate = Path(name_or_path)
    if names_a_file(name_or_path):
        if candidate.is_file():
            return candidate.resolve()
        raise InputError(f"--quill-profile {name_or_path}: no such file")
    path = directory / f"{name_or_path}.toml"
    if path.is_file():
        return path.resolve()  # its relative paths are relative to where it really is
    known = ", ".join(known_profiles(directory)) or f"none in {directory}"
    raise InputError(
        f"--quill-profile {name_or_path}: unknown profile; known profiles: "
        f"{known} (or give a path to a .toml file)"
    )


def load_profile(
    name_or_path: str, overrides: dict[str, str] | None = None, directory: Path | None = None
) -> Profile:
    path = find_profile(name_or_path, directory)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); TOML files are UTF-8: save it as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    src = Source(path, dict(overrides or {}))
    for dotted, text in src.overrides.items():
        apply_override(data, dotted, text, src)
    profile = build(profile_schema(), {"name": path.stem, **data}, src, prefix="", extra={"path": path})
    _check_facts(profile, src)
    return profile


def _check_facts(profile: Profile, src: Source) -> None:
    """What no single key says: the bench's table, the card's layout."""
    kind, card = profile.bench.kind, profile.sdcard
    if getattr(profile.bench, kind) is None:
        raise src.error("bench.kind", f"= {kind!r} needs a [bench.{kind}] table")
    if card.boot_mib >= card.image_mib - 1:
        raise src.error(
            "sdcard.boot_mib",
            f"= {card.boot_mib} must be smaller than sdcard."
            f"image_mib - 1 = {card.image_mib - 1} (MiB 0 holds the partition table)",
        )
