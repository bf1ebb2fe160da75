"""Hardware profiles: TOML data loaded once into frozen, validated objects.

A profile holds what differs between boards. The schema is the dataclasses
below; the loader walks their type hints, so a new key is one new field.
Errors name the file, the key and what is allowed, in one line.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import InputError

# Profiles are the project's data: found under the folder the run names
# (--quill-profiles, default <rootdir>/hardware_profiles), never beside this code.
PROFILES_FOLDER = "hardware_profiles"


def default_profiles_dir() -> Path:
    """For callers outside a pytest run (benchmarks, scripts): the working folder's."""
    return Path.cwd() / PROFILES_FOLDER


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
    config_update: Literal["olddefconfig", "oldconfig"]
    cross_compile: str
    kconfig_parent: str  # the Kconfig file that ARCH really reads for drivers
    squireos: Literal["m", "y"]  # modules or built in
    image_target: str  # zImage, or uImage for trees that make it themselves
    perl_timeconst_fix: bool  # 2.6.29's timeconst.pl breaks on modern Perl
    docker_builder: Path  # Dockerfile of the toolchain image
    has_devtmpfs: bool
    filesystems: tuple[str, ...]  # root filesystems this kernel can mount


@dataclass(frozen=True)
class UImage:
    load: int
    entry: int
    name: str
    max_bytes: int


@dataclass(frozen=True)
class Rootfs:
    recipe: Path  # minimal-boot.dockerfile
    suite: str  # Debian suite the packages (and busybox's toolchain) come from
    packages: tuple[str, ...]  # Debian packages unpacked into the tree
    init_features: tuple[str, ...]  # what init may use, e.g. "devtmpfs"
    max_compressed_bytes: int
    # debian: busybox-static from the suite; busybox-musl: busybox built here
    # against musl, for kernels older than Debian's glibc runs on (3.2).
    userland: Literal["debian", "busybox-musl"] = "debian"


@dataclass(frozen=True)
class SdCard:
    image_mib: int  # a power of two: QEMU's sd-card needs it
    boot_mib: int
    root_fs: Literal["ext2", "ext3", "ext4"]
    min_device_bytes: int
    max_device_bytes: int


@dataclass(frozen=True)
class Boot:
    bootloader_files: tuple[Path, ...]  # copied first, in this order (MLO first)
    console: str
    baud: int
    root_device: str
    bootargs_extra: str
    commands: tuple[str, ...]  # boot.scr lines after bootargs are set
    bootloader_banner: str  # the line that starts every bootloader run
    shell_prompt: str  # regex of the shell prompt init leaves on the console


@dataclass(frozen=True)
class Qemu:
    binary: str
    machine: str
    cpu: str
    memory_mib: int
    bios: Path
    disk_interface: Literal["virtio", "sd"]
    usb_keyboard: bool


@dataclass(frozen=True)
class Serial:
    port: str  # a pyserial URL: /dev/ttyUSB0, socket://..., unix://...
    baud: int
    power: Literal["prompt", "command"]
    power_on_command: str
    power_off_command: str


@dataclass(frozen=True)
class Bench:
    kind: Literal["qemu", "serial"]
    qemu: Qemu | None = None
    serial: Serial | None = None


@dataclass(frozen=True)
class Budgets:
    boot_to_shell_s: float
    os_memory_mib: int
    module_load_s: float


@dataclass(frozen=True)
class Profile:
    name: str
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
        """A section as plain data, for cache keys and reports."""
        return _plain(getattr(self, name))


def known_profiles(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or default_profiles_dir()).glob("*.toml"))


def find_profile(name_or_path: str, directory: Path | None = None) -> Path:
    """A profile by name (hardware_profiles/NAME.toml) or by path."""
    directory = directory or default_profiles_dir()
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path:
        if candidate.is_file():
            return candidate.resolve()
        raise InputError(f"--quill-profile {name_or_path}: no such file")
    path = directory / f"{name_or_path}.toml"
    if path.is_file():
        return path.resolve()  # its relative paths are relative to where it really is
    known = ", ".join(known_profiles(directory)) or f"none in {directory}"
    raise InputError(
        f"--quill-profile {name_or_path}: unknown profile; known profiles: {known} "
        f"(or give a path to a .toml file)"
    )


def load_profile(
    name_or_path: str, overrides: dict[str, str] | None = None, directory: Path | None = None
) -> Profile:
    path = find_profile(name_or_path, directory)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    for dotted, text in (overrides or {}).items():
        _apply_override(data, dotted, text, path)
    data = {"name": path.stem, **data}
    profile = _build(Profile, data, path, prefix="", extra={"path": path})
    _check_bench(profile)
    return profile


def _apply_override(data: dict, dotted: str, text: str, path: Path) -> None:
    """--quill-set section.key=value: TOML syntax first, a bare string else."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    *sections, key = dotted.split(".")
    node = data
    for section in sections:
        node = node.setdefault(section, {})
        if not isinstance(node, dict):
            raise InputError(f"--quill-set {dotted}: {section} is not a section of {path.name}")
    node[key] = value


def _build(cls, data: object, path: Path, prefix: str, extra: dict | None = None):
    where = prefix.rstrip(".") or "the top level"
    if not isinstance(data, dict):
        raise InputError(f"{path}: [{where}] must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not (extra and f.name in extra)]
    allowed = [f.name for f in fields]
    for key in data:
        if key not in allowed:
            raise InputError(
                f"{path}: unknown key {prefix}{key}; allowed in [{where}]: {', '.join(allowed)}"
            )
    values = dict(extra or {})
    for f in fields:
        if f.name not in data:
            if f.default is not dataclasses.MISSING:
                values[f.name] = f.default
                continue
            raise InputError(f"{path}: missing key {prefix}{f.name} ({_describe(hints[f.name])})")
        values[f.name] = _convert(hints[f.name], data[f.name], path, prefix + f.name)
    return cls(**values)


def _convert(hint, value, path: Path, key: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        return None if value in ("", None) else _convert(inner, value, path, key)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path, prefix=key + ".")
    if origin is Literal:
        if value not in args:
            raise InputError(
                f"{path}: {key} = {value!r} is not allowed; allowed values: "
                + ", ".join(repr(a) for a in args)
            )
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise InputError(f"{path}: {key} must be {_describe(hint)}, got {value!r}")
        return tuple(_convert(args[0], item, path, f"{key}[{i}]") for i, item in enumerate(value))
    if hint is Path:
        if not isinstance(value, str):
            raise InputError(f"{path}: {key} must be a path string, got {value!r}")
        return (path.parent / value).resolve()
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise InputError(f"{path}: {key} must be {_describe(hint)}, got {value!r}")
    return value


def _describe(hint) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    if origin in (typing.Union, types.UnionType):
        return _describe([a for a in typing.get_args(hint) if a is not type(None)][0])
    if dataclasses.is_dataclass(hint):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            Path: "a path string"}.get(hint, str(hint))


def _check_bench(profile: Profile) -> None:
    bench = profile.bench
    if getattr(bench, bench.kind) is None:
        raise InputError(
            f"{profile.path}: bench.kind = {bench.kind!r} needs a [bench.{bench.kind}] table"
        )
    if profile.sdcard.image_mib & (profile.sdcard.image_mib - 1):
        raise InputError(
            f"{profile.path}: sdcard.image_mib = {profile.sdcard.image_mib} must be a power of two "
            "(QEMU's sd-card device needs it)"
        )


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
