"""Quality gates: `@pytest.mark.gate(N)` means "this test needs gate N open".

A gate is decided once per run by whichever worker first needs it, from the
artifacts and checks its decider asks for, and published in the run's shared
folder; every worker reads the same decision. A closed gate skips the tests
behind it with the root failure as the reason; lower gates are decided first,
so the reason is always the first thing that went wrong.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Callable

from .errors import QuillError

_GATES: dict[int, "GateSpec"] = {}
_CHECKS: dict[str, "GateSpec"] = {}  # marker name -> the check its tests need first


@dataclass(frozen=True)
class GateSpec:
    number: int
    name: str
    decide: Callable  # decide(run) -> None, raises QuillError when closed
    needs: tuple[str, ...]  # artifacts the decision builds: built early by idle workers


@dataclass(frozen=True)
class Decision:
    number: int
    name: str
    open: bool
    reason: str


def gate(number: int, name: str, needs: tuple[str, ...] = ()):
    """Declare gate `number`; the decorated function decides it."""

    def register(decide: Callable) -> Callable:
        _GATES[number] = GateSpec(number, name, decide, tuple(needs))
        return decide

    return register


def check(marker: str, name: str):
    """Declare what tests marked `marker` need before any gate: decided once per
    run like a gate, so e.g. hardware tests skip with "connect the serial
    adapter" before anything is built for them."""

    def register(decide: Callable) -> Callable:
        _CHECKS[marker] = GateSpec(0, name, decide, ())
        return decide

    return register


def gates() -> dict[int, GateSpec]:
    return dict(_GATES)


def checks() -> dict[str, GateSpec]:
    return dict(_CHECKS)


class Gates:
    """This worker's view of the run's gate decisions."""

    def __init__(self, run):
        self.run = run  # QuillRun: state, store, profile, bench...

    def decision(self, number: int) -> Decision:
        what = f"gate-{number}"
        state = self.run.state
        if state.result(what) is None and state.claim(what):
            state.publish(what, self._decide(number))
        else:
            spec = _GATES[number]
            self.run.store.wait(what, f"gate {number}", lambda gone: {
                "number": number, "name": spec.name, "open": False,
                "reason": f"gate {number} ({spec.name}) closed: worker {gone} died deciding it"})
        return Decision(**{k: v for k, v in state.result(what).items()
                           if k in ("number", "name", "open", "reason")})

    def check(self, marker: str) -> Decision:
        what = f"check-{marker}"
        spec = _CHECKS[marker]
        state = self.run.state
        if state.result(what) is None and state.claim(what):
            start = time.time()
            reason = self._run_check(spec)
            state.publish(what, {"number": 0, "name": spec.name, "open": not reason,
                                 "reason": reason, "start": start, "end": time.time()})
        else:
            self.run.store.wait(what, f"check {marker}", lambda gone: {
                "number": 0, "name": spec.name, "open": False,
                "reason": f"{spec.name} not ready: worker {gone} died checking it"})
        return Decision(**{k: v for k, v in state.result(what).items()
                           if k in ("number", "name", "open", "reason")})

    def _run_check(self, spec: GateSpec) -> str:
        try:
            spec.decide(self.run)
            return ""
        except QuillError as exc:
            return f"{spec.name} not ready: {exc.one_line()}"

    def _decide(self, number: int) -> dict:
        spec = _GATES[number]
        start = time.time()
        reason = self._lower_closed(number) or self._run_decider(spec)
        decision = {"number": number, "name": spec.name, "open": not reason, "reason": reason,
                    "start": start, "end": time.time()}
        self.run.state.event("gate", **decision)
        return decision

    def _lower_closed(self, number: int) -> str:
        for lower in sorted(n for n in _GATES if n < number):
            decided = self.decision(lower)
            if not decided.open:
                return decided.reason
        return ""

    def _run_decider(self, spec: GateSpec) -> str:
        try:
            spec.decide(self.run)
            return ""
        except QuillError as exc:
            return f"gate {spec.number} ({spec.name}) closed: {exc.one_line()}"
        except Exception as exc:  # a decider bug must close the gate, not hang the workers
            log = self.run.state.logs / f"gate-{spec.number}.log"
            log.write_text(traceback.format_exc())
            return (f"gate {spec.number} ({spec.name}) closed: decider crashed: "
                    f"{type(exc).__name__}: {exc} (log: {self.run.relpath(log)})")
