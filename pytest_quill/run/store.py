"""The run's artifacts: built once per run, in parallel, cached by content.

Why not the FileLock recipe: it serialises independent builds and retries a
failed one on every worker. Here each artifact is claimed by one worker of the
run (runstate), its result (published folder or failure) is written once and
read by all, and a worker that would only wait builds another needed artifact
meanwhile, so kernel and rootfs build side by side whatever order xdist hands
out tests in.
"""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..engine.backends.base import Backend
from ..engine.backends.host import HostBackend
from ..engine.cache import LOCK_WAIT_ENV, Cache, lock_wait_s
from ..engine.context import Artifact
from ..engine.meta import BadMeta, meta_json, meta_of
from ..engine.produce import build_or_reuse, key_of
from ..engine.recipe import Recipe
from ..engine.registry_share import Sharing
from ..errors import BenchError, QuillError
from ..profile import Profile
from ..report.rundata import ArtifactResult, SharedCopy, from_json
from .state import Json, RunState, wait_until

if TYPE_CHECKING:  # the registry client (oras) is loaded only by runs that share
    from ..engine.registry import ArtifactRegistry, Transfer

# An artifact's own verifier, as the plan declares it (gate 2's, the card's read-back):
# (artifact, profile, the artifacts it is made from) -> one line per broken fact.
PlanVerifier = Callable[[Artifact[Any], Profile, dict[str, Artifact[Any]]], list[str]]


def recipe_backend(recipe: Recipe, profile: Profile, backend: Callable[[], Backend]) -> Backend:
    """The backend a recipe's build runs on (the host for host-only recipes: backend()
    is not asked), set up for its toolchain; its key's toolchain identity comes from it."""
    chosen: Backend = HostBackend() if recipe.runs_on == "host" else backend()
    return chosen.with_toolchain(recipe.toolchain(profile))


def terminal_notice(config: pytest.Config) -> Callable[[str], None]:
    """A line on the terminal now, from any process of the run: pytest's capture is
    lifted for it (an xdist worker's stderr is the terminal's; its stdout is not)."""
    capture = config.pluginmanager.getplugin("capturemanager")  # None: -p no:capture

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            sys.stderr.write(f"\n[quill] {line}\n")
            sys.stderr.flush()

    return say


class ArtifactUnavailable(QuillError):
    """The artifact failed, or one it is made from did: the root cause, once.
    root: the artifact whose making failed; kind: that failure's class."""

    def __init__(self, message: str, log: str | None = None, root: str = "", kind: str = "build"):
        super().__init__(message, log)
        self.root = root
        self.kind = kind


@dataclass
class Store:
    """This worker's view of the run's artifacts."""

    state: RunState
    cache: Cache
    recipes: dict[str, Recipe]
    profile: Profile
    backend: Callable[[], Backend]  # made on first use: Docker is asked only when needed
    rebuild: AbstractSet[str] | None  # None: nothing; empty set: all
    jobs: int
    project_root: Path
    relpath: Callable[[Path], str]
    needed: set[str] = field(default_factory=set)
    # Says a line on the terminal now (terminal_notice), for what the run waits on.
    notice: Callable[[str], None] = field(default=lambda line: None)
    # The shared cache in an OCI registry (engine/registry.py), None without one; and the
    # plan's verifier per artifact, which a pulled entry passes before it is used.
    registry: ArtifactRegistry | None = None
    verifiers: dict[str, PlanVerifier] = field(default_factory=dict)

    def get(self, name: str) -> Artifact:
        what = f"artifact-{name}"
        if self.state.result(what) is None and self.state.claim(what):
            self._produce(name)
        else:
            self.wait(
                what,
                f"artifact {name}",
                lambda gone: ArtifactResult(
                    name,
                    "failed",
                    root=name,
                    failure="bench",
                    error=f"{name} not made: worker {gone} died while making it",
                ).to_json(),
            )
        return self._read(self._result(name))

    def _result(self, name: str) -> ArtifactResult | None:
        """The published result of artifact NAME, None while nobody published one."""
        found = self.state.result(f"artifact-{name}")
        return None if found is None else from_json(ArtifactResult, found)

    def _claim_helpable(self) -> str | None:
        """Claim a needed artifact nobody has claimed yet whose deps are ready."""
        for name in sorted(self.needed):
            what = f"artifact-{name}"
            if self.state.claimed(what) or not self._deps_ready(name):
                continue
            if self.state.claim(what):
                return name
        return None

    def _deps_ready(self, name: str) -> bool:
        for dep in self.recipes[name].deps:
            result = self._result(dep)
            if result is None or result.failed:
                return False
        return True

    def wait(self, what: str, label: str, orphan: Callable[[str], Json]) -> Json:
        """Wait for another worker's result, building what we can meanwhile.

        orphan(worker) is the result published when that worker died first. A wait
        with nothing to build meanwhile has the bound of a wait on another run
        (QUILL_LOCK_WAIT_S): BenchError naming the worker that still has it.
        """
        if (published := self.state.result(what)) is not None:
            return published
        since, bound = [time.time()], lock_wait_s()

        def ready() -> Json | None:
            result = self._result_or_orphan(what, orphan)
            if result is None and time.time() - since[0] > bound:
                raise BenchError(
                    f"gave up after {bound:.0f} s waiting for {label}: "
                    f"{self.state.claimant(what)} still has it; {LOCK_WAIT_ENV} "
                    "sets the bound"
                )
            return result

        def build_meanwhile() -> bool:
            name = self._claim_helpable()
            if name is None:
                return False
            # Time spent building is work, not waiting: the wait is recorded in pieces.
            self.state.event("wait", what=label, start=since[0], end=time.time())
            self._produce(name)
            since[0] = time.time()
            return True

        result = wait_until(ready, build_meanwhile)
        self.state.event("wait", what=label, start=since[0], end=time.time())
        return result

    def _result_or_orphan(self, what: str, orphan: Callable[[str], Json]) -> Json | None:
        result = self.state.result(what)
        if result is None and (gone := self.state.claimant_gone(what)):
            result = orphan(gone)
            self.state.publish(what, result)
        return result

    def _produce(self, name: str) -> None:
        recipe = self.recipes[name]
        log = self.state.logs / f"{name}.log"
        entry = _Entry(
            ArtifactResult(name, "", log=self.relpath(log), deps=tuple(recipe.deps), worker=self.state.worker)
        )
        try:
            deps = {dep: self.get(dep) for dep in recipe.deps}  # waits are their own events
            entry.set(start=time.time())
            artifact = self._build_or_reuse(recipe, deps, log, entry)
            entry.set(
                status=artifact.status,
                path=str(artifact.path),
                meta=meta_json(artifact.meta),
                files=tuple(sorted(p.name for p in artifact.path.iterdir())),
            )
        except ArtifactUnavailable as exc:
            entry.fail(f"{name} not made: {exc.message}", exc.root, exc.kind, log=exc.log or entry.result.log)
        except QuillError as exc:
            # A bench failure (no engine, a missing program, a full disk) is no build failure.
            said = "not made" if exc.kind == "bench" else "build failed"
            entry.fail(
                f"{name} {said}: {exc.message}",
                name,
                exc.kind,
                log=self.relpath(Path(exc.log)) if exc.log else entry.result.log,
            )
        except Exception as exc:  # a recipe bug still closes the gate once, with its trace logged
            with open(log, "a") as out:
                traceback.print_exc(file=out)
            entry.fail(f"{name} build crashed: {type(exc).__name__}: {exc}", name, "build")
        end = time.time()
        entry.set(end=end, start=end if entry.result.start is None else entry.result.start)
        result = entry.result
        # First: nobody may wait on a lost result. The record has no meta (the cache has).
        self.state.publish(f"artifact-{name}", result.to_json())
        self.state.event("artifact", **replace(result, meta=None).to_json())

    def _build_or_reuse(
        self, recipe: Recipe, deps: dict[str, Artifact], log: Path, entry: _Entry
    ) -> Artifact:
        backend = recipe_backend(recipe, self.profile, self.backend)
        key = key_of(recipe, self.profile, backend, deps, self.project_root)
        entry.set(backend=backend.name, key=key)
        return build_or_reuse(
            recipe,
            key,
            profile=self.profile,
            backend=backend,
            cache=self.cache,
            deps=deps,
            log=log,
            jobs=self.jobs,
            work_root=self.cache.root.parent / "work",
            project_root=self.project_root,
            rebuild=self._rebuilds(recipe.name),
            on_wait=lambda line: self._waiting(recipe.name, line),
            on_warning=lambda line: self.notice(f"{recipe.name}: {line}"),
            sharing=self._sharing(recipe.name, entry),
        )

    def _sharing(self, name: str, entry: _Entry) -> Sharing | None:
        """The registry's transfers go into the artifact's record entry ("pulled" or
        "pushed": the reference, never with credentials, and the seconds it took)."""

        def record(kind: str, transfer: Transfer) -> None:
            entry.set(
                **{
                    kind: SharedCopy(
                        transfer.reference, round(transfer.seconds, 3), transfer.files, transfer.bytes
                    )
                }
            )

        def verify(artifact: Artifact, deps: dict[str, Artifact]) -> list[str]:
            plans = self.verifiers.get(name)
            return plans(artifact, self.profile, deps) if plans else []

        if self.registry is None:
            return None
        return Sharing(self.registry, verify=verify, on_transfer=record)

    def _waiting(self, name: str, line: str) -> None:
        """Another run holds the key's lock (the build log has the line already):
        the run's events and the terminal say so too, naming that run."""
        self.state.event("cache-wait", what=name, line=line, start=time.time())
        self.notice(f"{name}: {line}")

    def _rebuilds(self, name: str) -> bool:
        return self.rebuild is not None and (not self.rebuild or name in self.rebuild)

    def _read(self, result: ArtifactResult | None) -> Artifact:
        if result is None:  # published before any wait ends: only a bug gets here
            raise BenchError("an artifact's result vanished from the run's folder; run again")
        if result.failed:
            raise ArtifactUnavailable(
                result.error,
                log=result.log or None,
                root=result.root or result.name,
                kind=result.failure or "build",
            )
        try:  # as its maker read or wrote it: only a bug or a hand edit fails here
            meta = meta_of(
                result.meta, self.recipes[result.name].meta_type, f"{self.state.state}: {result.name}"
            )
        except BadMeta as bad:
            raise BenchError(f"{bad}; run again") from None
        return Artifact(result.name, result.key, Path(result.path), result.status, Path(result.log), meta)


class _Entry:
    """An artifact's result while its worker makes it: each step fills in more."""

    def __init__(self, result: ArtifactResult):
        self.result = result

    def set(self, **changes: Any) -> None:
        self.result = replace(self.result, **changes)

    def fail(self, error: str, root: str, kind: str, log: str | None = None) -> None:
        self.set(status="failed", error=error, root=root, failure=kind, log=log or self.result.log)
