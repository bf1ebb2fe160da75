"""The quill options of a run (flags.py names them), read and checked: a bad value
or an unusable folder is one InputError line naming the option."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ..engine.cache import default_cache, lock_wait_s
from ..engine.registry_target import MODES, parse_target, require_client
from ..errors import InputError

Number = TypeVar("Number", int, float)


@dataclass(frozen=True)
class Options:
    profile: str
    profiles: Path
    cache: Path
    backend: str
    reports: Path
    jobs: int
    timeout_factor: float
    serial_port: str | None
    sd_device: str | None
    sd_confirm: str | None
    rebuild: frozenset[str] | None
    overrides: dict
    progress: str = "auto"
    keep_bench: bool = False
    cache_registry: str = ""  # host[:port]/repository, checked; "" without one
    cache_registry_mode: str = "rw"
    cache_registry_insecure: bool = False


def read_options(config: pytest.Config) -> Options:
    """The options, every value and folder checked: InputError names the first bad one."""

    def value(ini: str) -> Any:  # a flag's value, else its ini key's
        given = config.getoption(ini)
        return given if given is not None else config.getini(ini)

    root = Path(config.rootpath)
    lock_wait_s()  # QUILL_LOCK_WAIT_S, read when a run waits on another's build
    return Options(
        profile=value("quill_profile"),
        profiles=(root / value("quill_profiles")).resolve(),
        cache=usable_folder(Path(value("quill_cache") or default_cache()).expanduser(), "--quill-cache"),
        backend=value("quill_backend"),
        reports=usable_folder(root / value("quill_reports"), "--quill-reports"),
        jobs=_number(value("quill_jobs") or max(2, os.cpu_count() or 2), "--quill-jobs", int),
        timeout_factor=_number(value("quill_timeout_factor"), "--quill-timeout-factor", float),
        serial_port=value("quill_serial_port") or None,
        sd_device=value("quill_sd_device") or None,
        sd_confirm=value("quill_sd_confirm") or None,
        rebuild=_rebuild(
            config.getoption("quill_rebuild")
            if config.getoption("quill_rebuild") is not None
            else config.getini("quill_rebuild") or None
        ),
        overrides=_overrides([*config.getini("quill_set"), *config.getoption("quill_set")]),
        progress=_choice(value("quill_progress"), "--quill-progress", ("auto", "plain", "off")),
        keep_bench=bool(value("quill_keep_bench")),
        **_cache_registry(
            value("quill_cache_registry") or "",
            value("quill_cache_registry_mode"),
            bool(value("quill_cache_registry_insecure")),
        ),
    )


def _cache_registry(reference: str, mode: str, insecure: bool) -> dict:
    """The shared cache's options, checked before any work: a wrong reference or mode, or
    no registry client installed, is one InputError line."""
    mode = _choice(mode.strip().lower(), "--quill-cache-registry-mode", MODES)
    if reference.strip() and mode != "off":
        parse_target(reference, insecure)
        require_client("--quill-cache-registry")
    return {
        "cache_registry": reference.strip(),
        "cache_registry_mode": mode,
        "cache_registry_insecure": insecure,
    }


def usable_folder(path: Path, flag: str, writable: bool = True) -> Path:
    """PATH resolved, once it is sure a run can write there: a folder it can write
    in, or one it can create (probed in the nearest existing parent, nothing left).
    Not WRITABLE (a reader: quill status, boot): a folder, or nothing yet."""
    path = path.resolve()
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path}: exists and is not a folder; give a folder")
    if not writable:
        return path
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"{flag} {path}: cannot be created: {probe} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".quill-probe-", dir=probe))
    except OSError as exc:
        what = "is not writable" if probe == path else f"cannot be created in {probe}"
        raise InputError(f"{flag} {path}: {what}: {exc.strerror}") from None
    return path


def _number(text: Any, flag: str, kind: type[Number]) -> Number:
    allowed = "a whole number" if kind is int else "a finite number"
    try:
        number = kind(text)
    except (TypeError, ValueError):
        number = None
    if number is None or not (number > 0 and math.isfinite(number)):
        raise InputError(f"{flag} {text}: must be {allowed} greater than 0")
    return number


def _choice(text: str, flag: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise InputError(f"{flag} {text}: must be one of {', '.join(allowed)}")
    return text


def _rebuild(names: list[str] | None) -> frozenset[str] | None:
    if names is None:
        return None
    return frozenset(n for name in names for n in name.split(",") if n)


def _overrides(pairs: list[str]) -> dict:
    found = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--quill-set {pair}: expected KEY=VALUE, e.g. boot.console=ttyS0")
        found[key.strip()] = text.strip()
    return found
