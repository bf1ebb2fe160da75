"""What every quill subcommand takes: the profile and the folders a run would use.

Each option also answers to the plugin's own spelling (--quill-profile,
--quill-set, ...): the plugin's messages, which quill shows unchanged, name
those, and a command a message suggests must work as written.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ..engine.backends import BACKENDS
from ..engine.cache import default_cache
from ..errors import InputError
from ..plan import Plan
from ..profile import PROFILES_FOLDER, Profile, load_profile, names_a_file
from ..run.options import usable_folder
from .declared import declared_plan

# 4 for bad input, as pytest's own usage error: the same mistake, the same code.
# 2: the bench is not ready (infrastructure: the lab's problem, not the product's).
EXIT_OK, EXIT_FAILED, EXIT_BENCH, EXIT_NOT_CACHED, EXIT_INPUT = 0, 1, 2, 3, 4
# What parser.add_subparsers() returns: each subcommand adds its parser to it.
Commands = argparse._SubParsersAction


def add_common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("what a run would use (as pytest's --quill-* options)")
    group.add_argument(
        "--profile",
        "--quill-profile",
        default="qemu-virt",
        metavar="NAME|PATH",
        help="hardware profile: a name from --profiles or a .toml path (default qemu-virt)",
    )
    group.add_argument(
        "--profiles",
        "--quill-profiles",
        default=PROFILES_FOLDER,
        metavar="FOLDER",
        help="folder of the profiles (default ./hardware_profiles)",
    )
    group.add_argument(
        "--cache",
        "--quill-cache",
        default=None,
        metavar="FOLDER",
        help="artifact cache (default $XDG_CACHE_HOME/pytest-quill, else ~/.cache/pytest-quill)",
    )
    group.add_argument(
        "--reports",
        "--quill-reports",
        default="reports",
        metavar="FOLDER",
        help="the runs' reports folder: last run record, logs (default ./reports)",
    )
    group.add_argument(
        "--backend",
        "--quill-backend",
        default="auto",
        choices=BACKENDS,
        help="the backend whose toolchain the keys name, as the run's (default auto)",
    )
    group.add_argument(
        "--set",
        "--quill-set",
        dest="overrides",
        action="append",
        default=None,
        type=key_value,
        metavar="KEY=VALUE",
        help="override a profile value, as the run did (repeatable)",
    )


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text}: expected KEY=VALUE, e.g. boot.console=ttyS0")
    return key.strip(), value.strip()


@dataclass(frozen=True)
class Setup:
    """The profile and folders of the options, checked; the project's plan."""

    profile: Profile
    plan: Plan
    cache: Path
    reports: Path
    backend: str  # auto | docker | host, resolved when a key is computed
    project_root: Path


def setup(args: argparse.Namespace) -> Setup:
    """InputError naming the first bad option, or saying this is no project."""
    root = Path.cwd()
    profiles = (root / args.profiles).resolve()
    if not names_a_file(args.profile) and not profiles.is_dir():
        raise InputError(
            f"{root} is not a pytest-quill project (no {args.profiles}/ here): run "
            "quill from your project's folder, start one with `quill init FOLDER`, "
            "or give --profiles FOLDER or --profile PATH.toml"
        )
    plan = declared_plan(root)
    profile = load_profile(args.profile, dict(args.overrides or ()), profiles)
    return Setup(
        profile=profile,
        plan=plan,
        # Read only: no subcommand writes into the cache (a read-only one serves).
        cache=usable_folder(Path(args.cache or default_cache()).expanduser(), "--cache", writable=False),
        reports=(root / args.reports).resolve(),
        backend=args.backend,
        project_root=root,
    )


def near(path: Path) -> str:
    """PATH from the working folder when it is under it, else whole."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
