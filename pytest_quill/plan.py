"""The plan: which artifacts a run can make, which gates and checks it decides.

One Plan per pytest config (kept in its stash), filled by the
`pytest_quill_declare(plan)` hook of the project's conftest (the Nook MVP:
pytest_quill.mvp). Nothing is registered at import time, so two configs in one
process (pytester) never see each other's plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

from .engine.cache import META
from .engine.context import Artifact
from .engine.recipe import Recipe
from .errors import InputError
from .report import allure
from .run.gates import GateSpec
from .run.quill_run import QuillRun, quill_run
from .run.store import ArtifactUnavailable, PlanVerifier
from .run.verdict import report_once

# A gate's or check's decider: returns when open, raises the QuillError that closes it.
Decider = Callable[[QuillRun], None]


@dataclass(frozen=True)
class BootImage:
    """The file of an artifact a bench boots and a card writer writes (quill boot, flash)."""

    artifact: str
    file: str


@dataclass
class Plan:
    recipes: dict[str, Recipe] = field(default_factory=dict)
    fixtures: dict[str, str] = field(default_factory=dict)  # fixture name -> artifact name
    gates: dict[int, GateSpec] = field(default_factory=dict)
    checks: dict[str, GateSpec] = field(default_factory=dict)  # marker -> its check
    check_markers: dict[str, str] = field(default_factory=dict)  # marker -> what it means
    streams: dict[str, str] = field(default_factory=dict)  # suite folder -> its stream
    image: BootImage | None = None

    @property
    def declared(self) -> bool:
        """Whether the project declared anything: the plugin stays inert until it does."""
        return bool(self.recipes or self.gates or self.checks)

    @property
    def verifiers(self) -> dict[str, PlanVerifier]:
        """Each artifact's own check (Recipe.verify): a copy pulled from a shared cache
        passes it before it is used. A stand-in recipe that checks nothing has none."""
        return {
            name: recipe.verify
            for name, recipe in self.recipes.items()
            if callable(getattr(recipe, "verify", None))
        }

    def artifact(self, recipe: Recipe, fixture: str | None = None) -> None:
        """Declare an artifact and the session fixture that yields it."""
        self.recipes[recipe.name] = recipe
        self.fixtures[fixture or recipe.name] = recipe.name

    def stream(self, folder: str, name: str) -> None:
        """Tests under a suite folder named FOLDER belong to stream NAME (record, report)."""
        self.streams[folder] = name

    def boot_image(self, artifact: str, file: str) -> None:
        """Declare which file of which artifact a bench boots (quill boot, quill flash)."""
        self.image = BootImage(artifact, file)

    def stream_of(self, nodeid: str) -> str | None:
        """The stream of a test from its folders, None outside the declared ones."""
        folders = nodeid.split("::", 1)[0].split("/")[:-1]
        return next((self.streams[f] for f in folders if f in self.streams), None)

    def gate(
        self, number: int, name: str, needs: tuple[str, ...] = (), ahead: Decider | None = None
    ) -> Callable[[Decider], Decider]:
        """Declare gate `number`; the decorated function decides it. AHEAD: work the
        decider takes up that may begin before the gates below are decided (begun
        by the worker that claims the gate)."""

        def register(decide: Decider) -> Decider:
            self.gates[number] = GateSpec(number, name, decide, tuple(needs), ahead)
            return decide

        return register

    def check(self, marker: str, name: str, about: str = "") -> Callable[[Decider], Decider]:
        """What tests marked `marker` need before any gate: decided once per run
        like a gate, so hardware tests skip with "connect the serial adapter"
        before anything is built for them. ABOUT: the marker's help line."""

        def register(decide: Decider) -> Decider:
            self.checks[marker] = GateSpec(0, name, decide, ())
            self.check_markers[marker] = about or f"needs the {name} check open"
            return decide

        return register

    def markers(self) -> list[str]:
        """The markers of the plan's tests, for pytest's --markers and --strict-markers."""
        gates = ", ".join(f"{number} {spec.name}" for number, spec in sorted(self.gates.items()))
        gate = (
            f"gate(number): the test needs quality gate NUMBER open ({gates}); "
            "skipped with the root failure when it is closed"
        )
        return [gate] + [f"{marker}: {about}" for marker, about in self.check_markers.items()]

    def with_deps(self, names: set[str]) -> set[str]:
        closed: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in closed or name not in self.recipes:
                continue
            closed.add(name)
            todo.extend(self.recipes[name].deps)
        return closed

    def artifacts_needed(self, tests: Iterable[tuple[str, Iterable[str], pytest.Mark | None]]) -> set[str]:
        """What the collected tests will ask for, (nodeid, fixture names, gate marker)
        each: their artifact fixtures, their gates' needs, and all of those's deps.
        Idle workers build these early."""
        needed: set[str] = set()
        for nodeid, fixturenames, marker in tests:
            needed |= {self.fixtures[f] for f in fixturenames if f in self.fixtures}
            if marker is None:
                continue
            number = marker.args[0] if marker.args else None
            if number not in self.gates:
                raise InputError(
                    f"{nodeid}: gate({number!r}) is not declared; "
                    f"declared gates: {sorted(self.gates) or 'none'}"
                )
            needed |= {a for n, spec in self.gates.items() if n <= number for a in spec.needs}
        return self.with_deps(needed)

    def check_rebuild(self, names: frozenset[str] | None) -> None:
        unknown = sorted((names or set()) - set(self.recipes))
        if unknown:
            raise InputError(
                f"--quill-rebuild {', '.join(unknown)}: unknown artifact; known: "
                f"{', '.join(sorted(self.recipes)) or 'none declared'}"
            )

    def fixture_plugin(self) -> ModuleType:
        """A module holding one session fixture per declared artifact, for the
        plugin manager to register (pytest reads fixtures of plugin modules)."""
        holder = ModuleType("pytest_quill_artifacts")
        for fixture_name, artifact_name in self.fixtures.items():
            setattr(
                holder,
                fixture_name.replace("-", "_"),
                _artifact_fixture(fixture_name, self.recipes[artifact_name]),
            )
        return holder


def _artifact_fixture(fixture_name: str, recipe: Recipe) -> Callable[..., Artifact]:
    def provide(request: pytest.FixtureRequest) -> Artifact:
        run = quill_run(request.config)
        try:
            made = run.store.get(recipe.name)
        except ArtifactUnavailable as exc:
            if exc.root in run.gate_reported:
                pytest.skip(exc.one_line())
            report_once(run.state, f"artifact-{exc.root}", exc.kind, exc.one_line())
        _attach_evidence(made, recipe)
        return made

    provide.__name__ = fixture_name
    provide.__doc__ = f"The {recipe.name} artifact, built once per run (pytest-quill)."
    return pytest.fixture(scope="session", name=fixture_name)(provide)


def _attach_evidence(made: Artifact, recipe: Recipe) -> None:
    """To the report, once per worker: how it was made, its facts, and the files
    the recipe names as evidence (a manifest, a card layout...)."""
    allure.attach_file(made.file("build.log"), f"{made.name}: build log", "log")
    allure.attach_file(made.file(META), f"{made.name}: facts (meta.json)", "json")
    for relative in recipe.evidence:
        kind = Path(relative).suffix.lstrip(".") or "text"
        allure.attach_file(made.file(relative), f"{made.name}: {relative}", kind)
