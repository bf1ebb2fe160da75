"""A build's use of the shared artifact cache (registry.py): before building a key, pull its
entry, checked against the manifest and then by the artifact's own verifier, and publish
it like a build; after publishing a build, push it (read-write mode only). A registry that
fails is one warning line and the build goes on here; a pulled entry that fails either
check is never published, so never used and never pushed again. An entry reused from the
local cache is pushed too when the registry lacks it (a registry added, or emptied, after
the build)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import META, Cache
from .context import Artifact
from .meta import BadMeta, M, read_meta
from .registry_errors import RegistryError

if TYPE_CHECKING:  # the client (oras) is loaded by open_registry, for runs that share
    from .registry import ArtifactRegistry, Transfer

# The artifact's own verifier (gate 2's, the card's read-back): one line per broken fact.
Verifier = Callable[[Artifact[Any], dict[str, Artifact[Any]]], list[str]]
# What is said: a line for the build log, and whether it is a warning for the terminal.
Note = Callable[[str, bool], None]


@dataclass(frozen=True)
class Sharing:
    registry: ArtifactRegistry
    verify: Verifier | None = None
    # Told each transfer ("pulled" or "pushed") for the run's record.
    on_transfer: Callable[[str, Transfer], None] = field(default=lambda kind, transfer: None)


def pull_entry(
    sharing: Sharing,
    cache: Cache,
    name: str,
    key: str,
    kind: type[M],
    deps: dict[str, Artifact[Any]],
    log: Path,
    note: Note,
) -> Artifact[M] | None:
    """The key's entry published from the registry, or None (not there, or refused: said).
    Its meta.json is read as KIND, as a cached entry's is (engine/meta.py), before the
    verifier sees it."""
    registry = sharing.registry
    with cache.staging(name, key) as scratch:
        try:
            transfer = registry.pull(name, key, scratch)
        except RegistryError as error:
            note(f"warning: {error.one_line()}; building it here", True)
            return None
        if transfer is None:
            note(f"not in the cache registry: {registry.target.reference(name, key)}", False)
            return None
        try:
            meta = read_meta(scratch, kind, where=f"{transfer.reference}: {META}")
        except BadMeta as bad:
            note(f"warning: {bad}; pulled, but not used: building it here", True)
            return None
        staged = Artifact(name=name, key=key, path=scratch, status="pulled", log=log, meta=meta)
        problems = sharing.verify(staged, deps) if sharing.verify else []
        if problems:
            note(
                f"warning: {transfer.reference}: pulled, but its verifier refuses it "
                f"({'; '.join(problems[:3])}); not used, building it here",
                True,
            )
            return None
        path = cache.publish(scratch, name, key)
    note(
        f"pulled {name} {key} from {transfer.reference}: {transfer.files} files, "
        f"{transfer.bytes} bytes in {transfer.seconds:.2f} s",
        False,
    )
    sharing.on_transfer("pulled", transfer)
    return replace(staged, path=path)


def push_entry(sharing: Sharing, path: Path, name: str, key: str, note: Note) -> None:
    """A freshly built entry to the registry in read-write mode; a failure is a warning."""
    if sharing.registry.mode != "rw":
        return
    try:
        transfer = sharing.registry.push(path, name, key)
    except RegistryError as error:
        note(f"warning: {error.one_line()}", True)
        return
    note(f"pushed {name} {key} to {transfer.reference} in {transfer.seconds:.2f} s", False)
    sharing.on_transfer("pushed", transfer)


def share_cached(sharing: Sharing, path: Path, name: str, key: str, note: Note) -> None:
    """An entry reused from the local cache, pushed in read-write mode when the registry lacks
    it; asking and pushing fail as warnings."""
    if sharing.registry.mode != "rw":
        return
    try:
        present = sharing.registry.has(name, key)
    except RegistryError as error:
        note(f"warning: {error.one_line()}", True)
        return
    if not present:
        push_entry(sharing, path, name, key, note)
