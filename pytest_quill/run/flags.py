"""The quill option group: each flag also an ini key of [tool.pytest.ini_options],
and which of them a run was given."""

from __future__ import annotations

import pytest

from ..engine.registry_target import MODES

# The plan, declared after the options exist, refuses a name it does not know (with
# the ones it knows).
ARTIFACTS = "the plan's artifact names"
PROFILES_HELP = "the shipped profiles: qemu-virt (default), nook-simple-touch, nook-twin"

# flag, ini key, metavar, default, help
_VALUED = [
    (
        "--quill-profile",
        "quill_profile",
        "NAME|PATH",
        "qemu-virt",
        f"hardware profile: a name from the profiles folder or a path to a .toml; {PROFILES_HELP}",
    ),
    (
        "--quill-profiles",
        "quill_profiles",
        "DIR",
        "hardware_profiles",
        "folder of the hardware profiles, relative to the rootdir (default hardware_profiles/)",
    ),
    (
        "--quill-cache",
        "quill_cache",
        "DIR",
        None,
        "artifact cache shared by runs (default $XDG_CACHE_HOME/pytest-quill, else ~/.cache/pytest-quill)",
    ),
    (
        "--quill-backend",
        "quill_backend",
        "auto|docker|host",
        "auto",
        "where builds run: auto (Docker when an engine answers, else the host), docker, host",
    ),
    (
        "--quill-reports",
        "quill_reports",
        "DIR",
        "reports",
        "folder for the run record, logs, Gantt chart and run folders (default reports/ under the rootdir)",
    ),
    (
        "--quill-jobs",
        "quill_jobs",
        "N",
        None,
        "make -j for kernel builds (default: the CPU count, at least 2)",
    ),
    (
        "--quill-timeout-factor",
        "quill_timeout_factor",
        "FACTOR",
        "1",
        "multiply every console and boot timeout (slow machines, real hardware)",
    ),
    (
        "--quill-serial-port",
        "quill_serial_port",
        "URL",
        None,
        "serial console of the real board, a pyserial URL such as /dev/ttyUSB0 (overrides the "
        "profile's bench.serial.port)",
    ),
    (
        "--quill-sd-device",
        "quill_sd_device",
        "DEVICE",
        None,
        "write the card image to this whole block device, e.g. /dev/sdX (hardware runs; "
        "checked and refused before anything is written)",
    ),
    (
        "--quill-sd-confirm",
        "quill_sd_confirm",
        "SERIAL|SIZE",
        None,
        "consent for --quill-sd-device: the card's serial or size, as the refusal showed them",
    ),
    (
        "--quill-progress",
        "quill_progress",
        "auto|plain|off",
        "auto",
        "live progress of builds, boots and gates: auto (in place on a terminal, plain lines "
        "otherwise), plain, off",
    ),
    (
        "--quill-cache-registry",
        "quill_cache_registry",
        "HOST[:PORT]/REPOSITORY",
        None,
        (
            "share artifacts through an OCI registry: each is pulled by its cache key before it "
            "would be built, and pushed once built; credentials from docker login or "
            "QUILL_REGISTRY_USER/QUILL_REGISTRY_PASSWORD; TLS unless the host is loopback"
        ),
    ),
    (
        "--quill-cache-registry-mode",
        "quill_cache_registry_mode",
        "|".join(MODES),
        "rw",
        "rw: pull and push; pull: pull only (untrusted branches, forks); off: no registry",
    ),
]
INSECURE = "plain HTTP to a --quill-cache-registry that is not on loopback (a lab's registry without TLS)"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("quill", "pytest-quill: builds, gates and boots as fixtures")
    for flag, ini, metavar, default, text in _VALUED:
        group.addoption(flag, dest=ini, default=None, metavar=metavar, help=text)
        parser.addini(ini, text, type="string", default=default)
    rebuild = (
        f"ignore cached artifacts: with no NAME all of them, else the named ones ({ARTIFACTS}); "
        "write --quill-rebuild=kernel,rootfs before test paths"
    )
    group.addoption(
        "--quill-rebuild", dest="quill_rebuild", nargs="*", default=None, metavar="NAME", help=rebuild
    )
    parser.addini(
        "quill_rebuild",
        f"artifacts always rebuilt, space-separated names ({ARTIFACTS})",
        type="args",
        default=[],
    )
    quill_set = (
        "override a profile value for this run, validated like the file, e.g. "
        "--quill-set boot.root_device=/dev/vda2 (repeatable)"
    )
    group.addoption(
        "--quill-set", dest="quill_set", action="append", default=[], metavar="KEY=VALUE", help=quill_set
    )
    parser.addini(
        "quill_set",
        "profile overrides, KEY=VALUE each (the command line's come after them)",
        type="args",
        default=[],
    )
    keep = "leave the booted QEMU running after the run and print how to attach to its console"
    group.addoption(
        "--quill-keep-bench", dest="quill_keep_bench", action="store_true", default=None, help=keep
    )
    parser.addini("quill_keep_bench", keep, type="bool", default=False)
    group.addoption(
        "--quill-cache-registry-insecure",
        dest="quill_cache_registry_insecure",
        action="store_true",
        default=None,
        help=INSECURE,
    )
    parser.addini("quill_cache_registry_insecure", INSECURE, type="bool", default=False)


def given(config: pytest.Config) -> list[str]:
    """The quill options this run was given, on the command line or in the ini
    file (a value other than the default): a project that gives one expects the
    plugin to act on it."""
    names = [flag for flag, ini, *_ in _VALUED if config.getoption(ini) is not None]
    names += [
        flag
        for flag, dest in (
            ("--quill-rebuild", "quill_rebuild"),
            ("--quill-keep-bench", "quill_keep_bench"),
            ("--quill-cache-registry-insecure", "quill_cache_registry_insecure"),
        )
        if config.getoption(dest) is not None
    ]
    names += ["--quill-set"] if config.getoption("quill_set") else []
    set_in_ini = [ini for _, ini, _, default, _ in _VALUED if config.getini(ini) != default]
    set_in_ini += [
        ini
        for ini in ("quill_rebuild", "quill_set", "quill_keep_bench", "quill_cache_registry_insecure")
        if config.getini(ini)
    ]
    return names + [f"{ini} (ini)" for ini in set_in_ini]
