"""One process's view of a quill run: profile, shared folder, cache, store, gates."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..engine import backends
from ..engine.cache import Cache
from ..errors import BenchError, QuillError
from ..profile import Profile
from .gates import Gates
from .options import Options
from .state import RunState
from .store import Store

if TYPE_CHECKING:
    from ..plan import Plan

KEEP_RUNS = 10
STALE_S = 24 * 3600
RUN_KEY = pytest.StashKey["QuillRun"]()


def quill_run(config) -> QuillRun:
    """The run of this pytest config (made by the plugin at configure time)."""
    return config.stash[RUN_KEY]


@dataclass
class QuillRun:
    options: Options
    profile: Profile
    plan: Plan
    worker: str  # xdist worker id, or "main" without xdist
    workers: int
    run_dir: Path
    project_root: Path
    started: float
    state: RunState = field(init=False)
    store: Store = field(init=False)
    gates: Gates = field(init=False)
    # What the project's declaration keeps per process (the bench, the booted
    # device), each under its own typed pytest.StashKey.
    stash: pytest.Stash = field(default_factory=pytest.Stash)
    tests: list = field(default_factory=list)  # this process's test spans, for the record
    # Artifacts whose failure a selected gate's own result reports (so their
    # fixtures skip instead): decided at collection, the same on every worker.
    gate_reported: frozenset[str] = frozenset()
    record: dict | None = None  # the controller's merged record, once written
    record_path: Path | None = None
    chart_path: Path | None = None  # the run's Gantt chart
    report_path: Path | None = None  # the HTML report's index.html, when Allure made one
    report_problem: str = ""  # why Allure made no report
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self):
        self.state = RunState(self.run_dir, self.worker)
        self.store = Store(
            state=self.state, cache=Cache(self.options.cache / "artifacts"),
            recipes=self.plan.recipes, profile=self.profile,
            backend=self._backend, rebuild=self.options.rebuild, jobs=self.options.jobs,
            project_root=self.project_root, relpath=self.relpath,
            registry=self._cache_registry(), verifiers=self.plan.verifiers)
        self.gates = Gates(self, self.plan.gates, self.plan.checks)
        self._made_backend = None

    def _cache_registry(self):
        """The shared cache in an OCI registry (--quill-cache-registry), None without one."""
        if not self.options.cache_registry or self.options.cache_registry_mode == "off":
            return None
        from ..engine.registry import open_registry  # oras, the registry extra: loaded here only

        return open_registry(self.options.cache_registry, self.options.cache_registry_mode,
                             self.options.cache_registry_insecure)

    def _backend(self):
        if self._made_backend is None:
            mounts = (self.options.cache, self.options.reports)
            self._made_backend = backends.make(self.backend_name(), self.project_root, mounts,
                                               self.options.reports / "docker")
        return self._made_backend

    def backend_name(self) -> str:
        """docker or host, decided once per run by the first worker that builds."""
        decided = self.state.result("backend")
        if decided is None and self.state.claim("backend"):
            try:
                decided = {"name": backends.resolve(self.options.backend), "error": ""}
            except QuillError as exc:
                decided = {"name": "", "error": exc.one_line()}
            self.state.publish("backend", decided)
        elif decided is None:
            decided = self.store.wait("backend", "backend", lambda gone: {
                "name": "", "error": f"worker {gone} died choosing the backend"})
        if decided["error"]:
            raise BenchError(decided["error"])
        return decided["name"]

    def artifact(self, name: str):
        return self.store.get(name)

    def on_close(self, closer: Callable[[], None]) -> None:
        """closer() runs when this process's session ends (power off a device...)."""
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def relpath(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.project_root)
        except ValueError:
            return str(path)

    def header(self) -> dict:
        return {"profile": self.profile.name, "workers": self.workers,
                "backend": (self.state.result("backend") or {}).get("name") or "none",
                "started": self.started, "project": str(self.project_root),
                "cache": str(self.options.cache)}


def new_run_dir(reports: Path) -> Path:
    """Where this run's shared state and logs go; created on first use."""
    return reports / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def prune_runs(reports: Path) -> None:
    """Keep the newest finished runs; a run still going (another pytest sharing
    reports/) has no record yet and is left alone unless a day old."""
    runs = sorted((reports / "runs").iterdir()) if (reports / "runs").is_dir() else []
    finished = [run for run in runs if (run / "quill-run.json").exists()]
    abandoned = [run for run in runs if run not in finished
                 and time.time() - run.stat().st_mtime > STALE_S]
    for old in finished[:-KEEP_RUNS] + abandoned:
        shutil.rmtree(old, ignore_errors=True)
