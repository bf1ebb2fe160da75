"""What the cache holds for a profile, found by the keys a run would compute now
(each recipe's fingerprint, its toolchain's identity, its deps' keys: the
store's own functions), without building anything. An entry whose files differ
from the sums its build recorded is not used: a run would build it again.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine import backends
from ..engine.backends.base import Backend
from ..engine.cache import Cache, damage
from ..engine.context import Artifact
from ..engine.meta import BadMeta, read_meta
from ..engine.produce import key_of
from ..engine.recipe import Recipe
from ..errors import InputError, QuillError
from ..run.store import recipe_backend
from ..secrets import redact
from .common import Setup


class NotCached(QuillError):
    kind = "cache"


class DamagedEntry(QuillError):
    """A cached entry that no longer matches its sums: refused before any use."""

    kind = "cache"


@dataclass(frozen=True)
class Entry:
    name: str
    key: str  # "" while a dep is not cached: its key is part of this one's
    artifact: Artifact[Any] | None  # None: not in the cache
    missing_dep: str = ""
    backend: str = ""  # whose toolchain identity is in the key
    damage: str = ""  # what differs from its sums, or its meta.json's fault; artifact is then None


def entries(setup: Setup) -> list[Entry]:
    """Every artifact of the plan, deps first, with its key and its cache entry."""
    cache = Cache(setup.cache / "artifacts")
    made: list[Backend] = []

    def backend() -> Backend:
        if not made:  # asked once, and only for a recipe that is not host-only
            name = backends.resolve(setup.backend)
            made.append(
                backends.make(
                    name, setup.project_root, setup.cache, setup.reports / "docker", (setup.reports,)
                )
            )
        return made[0]

    found: dict[str, Artifact[Any]] = {}
    listed = []
    for recipe in in_dep_order(setup.plan.recipes):
        absent = [dep for dep in recipe.deps if dep not in found]
        if absent:
            listed.append(Entry(recipe.name, "", None, absent[0]))
            continue
        view = recipe_backend(recipe, setup.profile, backend)
        key = key_of(
            recipe, setup.profile, view, {dep: found[dep] for dep in recipe.deps}, setup.project_root
        )
        path = cache.lookup(recipe.name, key)
        damaged = damage(path) if path else ""
        if path and not damaged:
            try:
                meta = read_meta(path, recipe.meta_type)
            except BadMeta as bad:
                damaged = str(bad)
            else:
                found[recipe.name] = Artifact(recipe.name, key, path, "cached", path / "build.log", meta)
        listed.append(Entry(recipe.name, key, found.get(recipe.name), backend=view.name, damage=damaged))
    return listed


def in_dep_order(recipes: dict[str, Recipe[Any]]) -> list[Recipe[Any]]:
    ordered: list[Recipe[Any]] = []

    def visit(name: str) -> None:
        if name in recipes and recipes[name] not in ordered:
            for dep in recipes[name].deps:
                visit(dep)
            ordered.append(recipes[name])

    for name in sorted(recipes):
        visit(name)
    return ordered


def cached_card(setup: Setup, args: argparse.Namespace) -> Path:
    """The card image a run of these options would use, its entry (and those its key
    is made from) checked against their sums; NotCached, or DamagedEntry, naming
    the command that makes it."""
    image = setup.plan.image
    if image is None:
        raise InputError(
            "the project's plan declares no boot image (plan.boot_image(artifact, "
            "file) in its pytest_quill_declare): nothing to boot or write"
        )
    listed = {entry.name: entry for entry in entries(setup)}
    card = listed[image.artifact]
    if card.artifact is not None:
        return card.artifact.file(image.file)
    blocking = card
    while blocking.missing_dep:
        blocking = listed[blocking.missing_dep]
    if blocking.damage:
        entry = Cache(setup.cache / "artifacts").entry(blocking.name, blocking.key)
        raise DamagedEntry(
            f"the cached {blocking.name} {blocking.key} is damaged: "
            f"{blocking.damage} (in {entry}); not using it: a run builds it "
            f"again: {run_command(args)}"
        )
    why = f"{card.missing_dep} is not cached either" if card.missing_dep else f"nothing under key {card.key}"
    raise NotCached(
        f"no card cached for profile {setup.profile.name} ({why}); make one with: {run_command(args)}"
    )


def run_command(args: argparse.Namespace) -> str:
    """The pytest run that makes the artifacts these options name."""
    words = ["pytest", "-n", "3", "suites/", "--quill-profile", args.profile]
    for flag, value, default in (
        ("--quill-profiles", args.profiles, "hardware_profiles"),
        ("--quill-cache", args.cache, None),
        ("--quill-reports", args.reports, "reports"),
        ("--quill-backend", args.backend, "auto"),
    ):
        if value != default:
            words += [flag, value]
    for key, value in args.overrides or ():
        words += ["--quill-set", f"{key}={redact(value)}"]
    return shlex.join(words)
