"""Hardware profiles: TOML data loaded once into frozen, validated objects.

A profile holds what differs between boards. The schema is the dataclasses below;
the loader walks their type hints (a Rule in Annotated adds a condition), so a new
key is one new field. Errors name the file (or the --quill-set that gave the
value), the key and what is allowed, in one line.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Callable, Literal

from .errors import InputError

# Profiles are the project's data: found under the folder the run names
# (--quill-profiles, default <rootdir>/hardware_profiles), never beside this code;
# outside a pytest run (benchmarks, scripts): the working folder's.
PROFILES_FOLDER = "hardware_profiles"


class Rule(typing.NamedTuple):
    """A condition beyond the type, as Annotated[type, Rule(...)] in the schema."""
    text: str  # what is allowed, for the error
    ok: Callable[[object], bool]


Size = Annotated[int, Rule("greater than 0", lambda n: n > 0)]
Seconds = Annotated[float, Rule("finite and greater than 0", lambda n: 0 < n < float("inf"))]
SafeName = Annotated[str, Rule("safe in a path (the file's stem unless set): letters, digits, "
                               "'.', '_', '+', '-', not starting with '.', no '..'", lambda s:
                               bool(re.fullmatch(r"(?!.*\.\.)[\w+-][\w.+-]*", s, re.ASCII)))]


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
    image_mib: Annotated[int, Rule("a power of two (QEMU's sd-card device needs it)",
                                   lambda n: n > 0 and not n & (n - 1))]
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


@dataclass(frozen=True)
class Qemu:
    binary: str
    machine: str
    cpu: str
    memory_mib: Size
    bios: Path
    disk_interface: Literal["virtio", "sd"]
    usb_keyboard: bool


@dataclass(frozen=True)
class Serial:
    port: str  # a pyserial URL: /dev/ttyUSB0, socket://..., unix://...
    baud: Size
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


def known_profiles(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or Path.cwd() / PROFILES_FOLDER).glob("*.toml"))


def find_profile(name_or_path: str, directory: Path | None = None) -> Path:
    """A profile by name (hardware_profiles/NAME.toml) or by path."""
    directory = directory or Path.cwd() / PROFILES_FOLDER
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path:
        if candidate.is_file():
            return candidate.resolve()
        raise InputError(f"--quill-profile {name_or_path}: no such file")
    path = directory / f"{name_or_path}.toml"
    if path.is_file():
        return path.resolve()  # its relative paths are relative to where it really is
    known = ", ".join(known_profiles(directory)) or f"none in {directory}"
    raise InputError(f"--quill-profile {name_or_path}: unknown profile; known profiles: "
                     f"{known} (or give a path to a .toml file)")


def load_profile(name_or_path: str, overrides: dict[str, str] | None = None,
                 directory: Path | None = None) -> Profile:
    path = find_profile(name_or_path, directory)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    src = _Source(path, dict(overrides or {}))
    for dotted, text in src.overrides.items():
        _apply_override(data, dotted, text, src)
    profile = _build(Profile, {"name": path.stem, **data}, src, prefix="", extra={"path": path})
    _check_facts(profile, src)
    return profile


class _Source(typing.NamedTuple):
    """Where a value came from, for the error: the file, or --quill-set KEY=VALUE."""
    path: Path
    overrides: dict[str, str]

    def error(self, key: str, text: str) -> InputError:
        """KEY TEXT, after the --quill-set that gave KEY (or its table), else the file."""
        bare = key.split("[")[0] + "."
        given = [k for k in self.overrides if bare.startswith(f"{k}.") or k.startswith(bare)]
        where = f"--quill-set {given[0]}={self.overrides[given[0]]}" if given else self.path
        return InputError(f"{where}: {key} {text}")


def _apply_override(data: dict, dotted: str, text: str, src: _Source) -> None:
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
            raise src.error(dotted, f"cannot be set: {section} is not a table of {src.path.name}")
    node[key] = value


def _build(cls, data: object, src: _Source, prefix: str, extra: dict | None = None):
    where = prefix.rstrip(".") or "the top level"
    if not isinstance(data, dict):
        raise src.error(where, f"must be a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [f for f in dataclasses.fields(cls) if not (extra and f.name in extra)]
    allowed = [f.name for f in fields]
    for key in data:
        if key not in allowed:
            raise src.error(prefix + key, f"is an unknown key; allowed in [{where}]: "
                            + ", ".join(allowed))
    values = dict(extra or {})
    for f in fields:
        if f.name in data:
            values[f.name] = _convert(hints[f.name], data[f.name], src, prefix + f.name)
        elif f.default is not dataclasses.MISSING:
            values[f.name] = f.default
        else:
            raise InputError(f"{src.path}: missing key {prefix}{f.name} "
                             f"({_describe(hints[f.name])})")
    return cls(**values)


def _convert(hint, value, src: _Source, key: str):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        converted = _convert(args[0], value, src, key)
        if not args[1].ok(converted):
            raise src.error(key, f"= {value!r} is not allowed; it must be {_describe(hint)}")
        return converted
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)][0]
        return None if value in ("", None) else _convert(inner, value, src, key)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, src, prefix=key + ".")
    if origin is Literal:
        if value not in args:
            raise src.error(key, f"= {value!r} is not allowed; allowed values: "
                            + ", ".join(repr(a) for a in args))
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise src.error(key, f"must be {_describe(hint)}, got {value!r}")
        return tuple(_convert(args[0], item, src, f"{key}[{i}]") for i, item in enumerate(value))
    if hint is Path and isinstance(value, str):
        return (src.path.parent / value).resolve()
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise src.error(key, f"must be {_describe(hint)}, got {value!r}")
    return value


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        return f"{_describe(args[0])}, {args[1].text}"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is tuple:
        return f"a list of {_describe(args[0])}"
    if origin in (typing.Union, types.UnionType):
        return _describe([a for a in args if a is not type(None)][0])
    return "a table" if dataclasses.is_dataclass(hint) else {
        str: "a string", int: "an integer", float: "a number", bool: "true or false",
        Path: "a path string"}.get(hint, str(hint))


def _check_facts(profile: Profile, src: _Source) -> None:
    """What no single key says: the bench's table, the card's layout."""
    kind, card = profile.bench.kind, profile.sdcard
    if getattr(profile.bench, kind) is None:
        raise src.error("bench.kind", f"= {kind!r} needs a [bench.{kind}] table")
    if card.boot_mib >= card.image_mib - 1:
        raise src.error("sdcard.boot_mib", f"= {card.boot_mib} must be smaller than sdcard."
                        f"image_mib - 1 = {card.image_mib - 1} (MiB 0 holds the partition table)")
