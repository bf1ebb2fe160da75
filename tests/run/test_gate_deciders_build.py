"""What a gate's decider builds while it waits on a lower gate: work of the gates
up to its own, never a higher gate's (run/gates.py). The workers that need its
gate wait on it; a higher gate's artifact is left to a worker that only waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from pytest_quill.plan import Plan
from pytest_quill.run.gates import Gates, GateSpec
from pytest_quill.run.state import RunState


@dataclass
class Recipe:
    deps: tuple[str, ...] = ()


@dataclass
class Store:
    """The part of the run's store the gates use: what this worker may build
    meanwhile, and a decision another decider published (here, always already)."""

    state: RunState
    needed: set[str]

    def wait(self, what: str, label: str, orphan) -> dict:
        return self.state.result(what)


@dataclass
class Seen:
    """What this worker was allowed to build meanwhile, as each decider ran."""

    store: Store
    while_deciding: dict[int, set[str]] = field(default_factory=dict)

    def decider(self, number: int):
        def decide(run) -> None:
            self.while_deciding[number] = set(self.store.needed)

        return decide


def gates_of_the_mvp_shape(tmp_path) -> tuple[Gates, Seen]:
    plan = Plan(recipes={"kernel": Recipe(), "rootfs": Recipe(), "sdcard": Recipe(("kernel", "rootfs"))})
    state = RunState(tmp_path, "gw0")
    store = Store(state, {"kernel", "rootfs", "sdcard"})
    seen = Seen(store)
    run = SimpleNamespace(state=state, store=store, plan=plan)
    gates = {
        1: GateSpec(1, "build", seen.decider(1), ("kernel", "rootfs")),
        2: GateSpec(2, "artifacts", seen.decider(2), ()),
        3: GateSpec(3, "convergence", seen.decider(3), ("sdcard",)),
    }
    return Gates(run, gates, {}), seen  # type: ignore[arg-type]


def test_a_decider_builds_meanwhile_only_what_its_gate_and_those_below_need(tmp_path):
    gates, seen = gates_of_the_mvp_shape(tmp_path)
    assert gates.decision(2).open
    assert seen.while_deciding == {1: {"kernel", "rootfs"}, 2: {"kernel", "rootfs"}}
    assert seen.store.needed == {"kernel", "rootfs", "sdcard"}  # given back after the decision


def test_the_decider_of_the_gate_that_needs_the_card_may_build_it(tmp_path):
    gates, seen = gates_of_the_mvp_shape(tmp_path)
    assert gates.decision(3).open
    assert seen.while_deciding[3] == {"kernel", "rootfs", "sdcard"}
    assert seen.while_deciding[2] == {"kernel", "rootfs"}
