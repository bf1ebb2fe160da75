"""One process's view of a quill run: who it is (options, profile, plan, worker), its
parts (the shared folder, the store of artifacts, the gates, where builds happen),
what the plan keeps per process, and what the finished run left."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..engine.cache import Cache
from ..engine.context import Artifact
from ..profile import Profile
from .builders import Builders, cache_registry
from .gates import Gates
from .options import Options
from .state import RunState
from .store import Store

if TYPE_CHECKING:
    from ..plan import Plan

KEEP_RUNS = 10
STALE_S = 24 * 3600
RUN_KEY = pytest.StashKey["QuillRun"]()


def quill_run(config: pytest.Config) -> QuillRun:
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
    builders: Builders = field(init=False)
    store: Store = field(init=False)
    gates: Gates = field(init=False)
    # What the project's declaration keeps per process (the bench, the booted
    # device), each under its own typed pytest.StashKey.
    stash: pytest.Stash = field(default_factory=pytest.Stash)
    tests: list = field(default_factory=list)  # this process's test spans, for the record
    # Artifacts whose failure a selected gate's own result reports (so their
    # fixtures skip instead): decided at collection, the same on every worker.
    gate_reported: frozenset[str] = frozenset()
    # What the finished run left (run/finish.py), for the terminal summary.
    record: dict | None = None  # the controller's merged record, once written
    record_path: Path | None = None
    chart_path: Path | None = None  # the run's Gantt chart
    report_path: Path | None = None  # the HTML report's index.html, when Allure made one
    report_problem: str = ""  # why Allure made no report
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = RunState(self.run_dir, self.worker)
        self.builders = Builders(
            self.options, self.state, self.project_root, lambda *asked: self.store.wait(*asked)
        )
        self.store = Store(
            state=self.state,
            cache=Cache(self.options.cache / "artifacts"),
            recipes=self.plan.recipes,
            profile=self.profile,
            backend=self.builders.backend,
            rebuild=self.options.rebuild,
            jobs=self.options.jobs,
            project_root=self.project_root,
            relpath=self.relpath,
            registry=cache_registry(self.options),
            verifiers=self.plan.verifiers,
        )
        self.gates = Gates(self, self.plan.gates, self.plan.checks)

    def artifact(self, name: str) -> Artifact:
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
        return {
            "profile": self.profile.name,
            "workers": self.workers,
            "backend": (self.state.result("backend") or {}).get("name") or "none",
            "started": self.started,
            "project": str(self.project_root),
            "cache": str(self.options.cache),
        }


def new_run_dir(reports: Path) -> Path:
    """Where this run's shared state and logs go; created on first use."""
    return reports / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"


def prune_runs(reports: Path) -> None:
    """Keep the newest finished runs; a run still going (another pytest sharing
    reports/) has no record yet and is left alone unless a day old."""
    runs = sorted((reports / "runs").iterdir()) if (reports / "runs").is_dir() else []
    finished = [run for run in runs if (run / "quill-run.json").exists()]
    abandoned = [run for run in runs if run not in finished and time.time() - run.stat().st_mtime > STALE_S]
    for old in finished[:-KEEP_RUNS] + abandoned:
        shutil.rmtree(old, ignore_errors=True)
