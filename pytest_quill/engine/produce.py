"""One artifact from its recipe: reused from the cache when its key is there and
its files still match the sums recorded when it was built, else built into a
staging folder and published whole. What the plugin's store
does for each artifact, and what the benchmarks time. No pytest inside."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BenchError, QuillError
from ..profile import Profile
from .backends.base import Backend
from .cache import Cache, damage
from .context import Artifact, BuildContext
from .meta import BadMeta, M, read_meta, write_meta
from .recipe import Recipe
from .registry_share import Sharing, pull_entry, push_entry, share_cached
from .space import disk_full_line, is_disk_full
from .tools import builds_own_images, check_tools


def key_of(
    recipe: Recipe[Any],
    profile: Profile,
    backend: Backend,
    deps: dict[str, Artifact[Any]],
    project_root: Path,
) -> str:
    """Everything that changes the output: recipe, its inputs, toolchain, deps."""
    inputs = {
        "recipe": recipe.name,
        "version": recipe.version,
        "fingerprint": recipe.fingerprint(profile, project_root),
        "backend": toolchain_identity(recipe, profile, backend),
        "deps": {name: dep_identity(art) for name, art in sorted(deps.items())},
    }
    blob = json.dumps(inputs, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def dep_identity(artifact: Artifact[Any]) -> str:
    """A dependency as its key and what its build recorded: a forced rebuild of a
    kernel that is not bit-reproducible (a new uImage CRC under the same key)
    makes a new card key, so no card keeps the old kernel. The meta's fields only,
    not its schema: the keys of entries made before meta.json had one still hold."""
    recorded = json.dumps(artifact.meta.to_json(), sort_keys=True, default=str).encode()
    return f"{artifact.key}:{hashlib.sha256(recorded).hexdigest()[:12]}"


def toolchain_identity(recipe: Recipe[Any], profile: Profile, backend: Backend) -> str:
    """The versions of the recipe's tools, from the backend that runs them. A
    recipe that builds its own images has its toolchain in its fingerprint."""
    if builds_own_images(recipe, profile, backend):
        return backend.name
    return backend.identity(list(recipe.tools))


def build_or_reuse(
    recipe: Recipe[M],
    key: str,
    *,
    profile: Profile,
    backend: Backend,
    cache: Cache,
    deps: dict[str, Artifact[Any]],
    log: Path,
    jobs: int,
    work_root: Path,
    project_root: Path,
    rebuild: bool = False,
    on_wait: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    sharing: Sharing | None = None,
) -> Artifact[M]:
    """The published artifact. Waiting on another run's build of the key is said in
    the log (and to on_wait); so is an entry whose files differ from its sums or
    whose meta.json cannot be read as the recipe's meta (engine/meta.py), and to
    on_warning: it is then built again; before building, every program the
    recipe will call must be on the backend (BenchError naming it and its package);
    disk full is a BenchError naming the path and the space, with nothing left behind.
    With a shared cache (sharing), a key missing here is pulled before it is built
    (status "pulled"), and what is built is pushed; its failures are warnings."""

    def note(line: str, to: Callable[[str], None] | None = on_wait) -> None:
        with open(log, "a") as said:
            said.write(f"[quill {time.strftime('%H:%M:%S')}] {line}\n")
        if to:
            to(line)

    def shared_note(line: str, warning: bool) -> None:
        note(line, to=on_warning if warning else None)

    try:
        with cache.lock(recipe.name, key, on_wait=note):
            found = cache.lookup(recipe.name, key)
            untrusted = ""
            if found and not rebuild:
                if damaged := damage(found):
                    untrusted = f"is damaged ({damaged})"
                else:
                    try:
                        meta = read_meta(found, recipe.meta_type)
                    except BadMeta as bad:
                        untrusted = f"is not trusted ({bad})"
                    else:
                        with open(log, "a") as said:
                            said.write(
                                f"cache hit: {recipe.name} {key} at {found}\n"
                                f"(built by the log at {found / 'build.log'})\n"
                            )
                        if sharing:
                            share_cached(sharing, found, recipe.name, key, shared_note)
                        return Artifact(recipe.name, key, found, "cached", log, meta)
            if untrusted:
                note(
                    f"warning: the cached {recipe.name} {key} {untrusted}; building it again: {found}",
                    to=on_warning,
                )
            pulled = (
                pull_entry(sharing, cache, recipe.name, key, recipe.meta_type, deps, log, shared_note)
                if sharing and not rebuild
                else None
            )
            if pulled:
                return pulled
            check_tools(recipe, profile, backend, log=str(log))
            with cache.staging(recipe.name, key) as out:
                ctx = BuildContext(
                    name=recipe.name,
                    profile=profile,
                    out=out,
                    log_path=log,
                    backend=backend,
                    deps=deps,
                    jobs=jobs,
                    work_root=work_root,
                    project_root=project_root,
                )
                ctx.note(f"building {recipe.name} {key} with the {backend.name} backend")
                made = recipe.build(ctx)
                write_meta(out, made)
                shutil.copyfile(log, out / "build.log")
                path = cache.publish(out, recipe.name, key)
    except QuillError as exc:
        if exc.log is None:
            exc.log = str(log)
        _log_failure(log, exc.message.strip().splitlines()[0] if exc.message.strip() else exc.kind)
        raise
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        line = disk_full_line(Path(exc.filename or cache.entry(recipe.name, key)))
        raise BenchError(line, log=str(log)) from None
    if sharing:
        push_entry(sharing, path, recipe.name, key, shared_note)
    return Artifact(recipe.name, key, path, "built", log, made)


def _log_failure(log: Path, line: str) -> None:
    try:
        with open(log, "a") as said:
            said.write(f"[quill {time.strftime('%H:%M:%S')}] failed: {line}\n")
    except OSError:
        pass  # the disk is full: the error itself still says it
