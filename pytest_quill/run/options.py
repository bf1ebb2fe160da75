"""The quill option group; each option can also be set in [tool.pytest.ini_options]."""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..engine.cache import default_cache, lock_wait_s
from ..engine.registry_target import MODES, parse_target, require_client
from ..errors import InputError

# The MVP's artifacts (pytest_quill/mvp.py declares them; the plan checks the names).
ARTIFACTS = "kernel, rootfs, sdcard"
PROFILES_HELP = "the shipped profiles: qemu-virt (default), nook-simple-touch, nook-twin"

# flag, ini key, metavar, default, help
_VALUED = [
    ("--quill-profile", "quill_profile", "NAME|PATH", "qemu-virt",
     f"hardware profile: a name from the profiles folder or a path to a .toml; {PROFILES_HELP}"),
    ("--quill-profiles", "quill_profiles", "DIR", "hardware_profiles",
     "folder of the hardware profiles, relative to the rootdir (default hardware_profiles/)"),
    ("--quill-cache", "quill_cache", "DIR", None,
     "artifact cache shared by runs (default $XDG_CACHE_HOME/pytest-quill, else "
     "~/.cache/pytest-quill)"),
    ("--quill-backend", "quill_backend", "auto|docker|host", "auto",
     "where builds run: auto (Docker when an engine answers, else the host), docker, host"),
    ("--quill-reports", "quill_reports", "DIR", "reports",
     "folder for the run record, logs, Gantt chart and run folders (default reports/ under "
     "the rootdir)"),
    ("--quill-jobs", "quill_jobs", "N", None,
     "make -j for kernel builds (default: the CPU count, at least 2)"),
    ("--quill-timeout-factor", "quill_timeout_factor", "FACTOR", "1",
     "multiply every console and boot timeout (slow machines, real hardware)"),
    ("--quill-serial-port", "quill_serial_port", "URL", None,
     "serial console of the real board, a pyserial URL such as /dev/ttyUSB0 (overrides the "
     "profile's bench.serial.port)"),
    ("--quill-sd-device", "quill_sd_device", "DEVICE", None,
     "write the card image to this whole block device, e.g. /dev/sdX (hardware runs; "
     "checked and refused before anything is written)"),
    ("--quill-sd-confirm", "quill_sd_confirm", "SERIAL|SIZE", None,
     "consent for --quill-sd-device: the card's serial or size, as the refusal showed them"),
    ("--quill-progress", "quill_progress", "auto|plain|off", "auto",
     "live progress of builds, boots and gates: auto (in place on a terminal, plain lines "
     "otherwise), plain, off"),
    ("--quill-cache-registry", "quill_cache_registry", "HOST[:PORT]/REPOSITORY", None,
     ("share artifacts through an OCI registry: each is pulled by its cache key before it "
      "would be built, and pushed once built; credentials from docker login or "
      "QUILL_REGISTRY_USER/QUILL_REGISTRY_PASSWORD; TLS unless the host is loopback")),
    ("--quill-cache-registry-mode", "quill_cache_registry_mode", "|".join(MODES), "rw",
     "rw: pull and push; pull: pull only (untrusted branches, forks); off: no registry"),
]
INSECURE = ("plain HTTP to a --quill-cache-registry that is not on loopback (a lab's registry "
            "without TLS)")


def add_options(parser) -> None:
    group = parser.getgroup("quill", "pytest-quill: the Nook typewriter MVP as fixtures and gates")
    for flag, ini, metavar, default, text in _VALUED:
        group.addoption(flag, dest=ini, default=None, metavar=metavar, help=text)
        parser.addini(ini, text, type="string", default=default)
    rebuild = (f"ignore cached artifacts: with no NAME all of them, else the named ones ({ARTIFACTS}); "
               "write --quill-rebuild=kernel,rootfs before test paths")
    group.addoption("--quill-rebuild", dest="quill_rebuild", nargs="*", default=None,
                    metavar="NAME", help=rebuild)
    parser.addini("quill_rebuild", "artifacts always rebuilt, space-separated names "
                  f"({ARTIFACTS})", type="args", default=[])
    quill_set = ("override a profile value for this run, validated like the file, e.g. "
                 "--quill-set boot.root_device=/dev/vda2 (repeatable)")
    group.addoption("--quill-set", dest="quill_set", action="append", default=[],
                    metavar="KEY=VALUE", help=quill_set)
    parser.addini("quill_set", "profile overrides, KEY=VALUE each (the command line's come "
                  "after them)", type="args", default=[])
    keep = "leave the booted QEMU running after the run and print how to attach to its console"
    group.addoption("--quill-keep-bench", dest="quill_keep_bench", action="store_true",
                    default=None, help=keep)
    parser.addini("quill_keep_bench", keep, type="bool", default=False)
    group.addoption("--quill-cache-registry-insecure", dest="quill_cache_registry_insecure",
                    action="store_true", default=None, help=INSECURE)
    parser.addini("quill_cache_registry_insecure", INSECURE, type="bool", default=False)


def given(config) -> list[str]:
    """The quill options this run was given, on the command line or in the ini
    file (a value other than the default): a project that gives one expects the
    plugin to act on it."""
    names = [flag for flag, ini, *_ in _VALUED if config.getoption(ini) is not None]
    names += [flag for flag, dest in (("--quill-rebuild", "quill_rebuild"),
                                      ("--quill-keep-bench", "quill_keep_bench"),
                                      ("--quill-cache-registry-insecure",
                                       "quill_cache_registry_insecure"))
              if config.getoption(dest) is not None]
    names += ["--quill-set"] if config.getoption("quill_set") else []
    set_in_ini = [ini for _, ini, _, default, _ in _VALUED if config.getini(ini) != default]
    set_in_ini += [ini for ini in ("quill_rebuild", "quill_set", "quill_keep_bench",
                                   "quill_cache_registry_insecure") if config.getini(ini)]
    return names + [f"{ini} (ini)" for ini in set_in_ini]


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


def read_options(config) -> Options:
    """The options, every value and folder checked: InputError names the first bad one."""
    def value(ini: str):
        given = config.getoption(ini)
        return given if given is not None else config.getini(ini)

    root = Path(config.rootpath)
    lock_wait_s()  # QUILL_LOCK_WAIT_S, read when a run waits on another's build
    return Options(
        profile=value("quill_profile"),
        profiles=(root / value("quill_profiles")).resolve(),
        cache=usable_folder(Path(value("quill_cache") or default_cache()).expanduser(),
                            "--quill-cache"),
        backend=value("quill_backend"),
        reports=usable_folder(root / value("quill_reports"), "--quill-reports"),
        jobs=_number(value("quill_jobs") or max(2, os.cpu_count() or 2), "--quill-jobs", int),
        timeout_factor=_number(value("quill_timeout_factor"), "--quill-timeout-factor", float),
        serial_port=value("quill_serial_port") or None,
        sd_device=value("quill_sd_device") or None,
        sd_confirm=value("quill_sd_confirm") or None,
        rebuild=_rebuild(config.getoption("quill_rebuild")
                         if config.getoption("quill_rebuild") is not None
                         else config.getini("quill_rebuild") or None),
        overrides=_overrides([*config.getini("quill_set"), *config.getoption("quill_set")]),
        progress=_choice(value("quill_progress"), "--quill-progress", ("auto", "plain", "off")),
        keep_bench=bool(value("quill_keep_bench")),
        **_cache_registry(value("quill_cache_registry") or "",
                          value("quill_cache_registry_mode"),
                          bool(value("quill_cache_registry_insecure"))),
    )


def _cache_registry(reference: str, mode: str, insecure: bool) -> dict:
    """The shared cache's options, checked before any work: a wrong reference or mode, or
    no registry client installed, is one InputError line."""
    mode = _choice(mode.strip().lower(), "--quill-cache-registry-mode", MODES)
    if reference.strip() and mode != "off":
        parse_target(reference, insecure)
        require_client("--quill-cache-registry")
    return {"cache_registry": reference.strip(), "cache_registry_mode": mode,
            "cache_registry_insecure": insecure}


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


def _number(text, flag: str, kind):
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


def _rebuild(names) -> frozenset[str] | None:
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
