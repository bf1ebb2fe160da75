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
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import QuillError
from .store import ArtifactUnavailable


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
    # Closed: "lower" (a lower gate closed first), "artifact-NAME" (an artifact
    # failed to be made), or "gate-N"/"check-MARKER" (its own decider refused).
    cause: str = ""
    failure: str = ""  # the failure's class (errors.QuillError.kind): build, verify, bench...


_OPEN = ("", "", "")


class Gates:
    """This worker's view of the run's gate decisions."""

    def __init__(self, run, gates: dict[int, GateSpec], checks: dict[str, GateSpec]):
        self.run = run  # QuillRun: what the deciders are handed
        self.gates = gates
        self.checks = checks

    def decision(self, number: int) -> Decision:
        spec = self.gates[number]
        closed = f"gate {number} ({spec.name}) closed:"
        return self._shared(f"gate-{number}", spec, closed,
                            lambda: self._lower_closed(number) or self._run(spec, closed,
                                                                             f"gate-{number}"))

    def check(self, marker: str) -> Decision:
        spec = self.checks[marker]
        closed = f"{spec.name} not ready:"
        return self._shared(f"check-{marker}", spec, closed,
                            lambda: self._run(spec, closed, f"check-{marker}"))

    def _shared(self, what: str, spec: GateSpec, closed: str, decide) -> Decision:
        """Decide once per run (the first worker to ask), read by every worker."""
        state = self.run.state
        if state.result(what) is None and state.claim(what):
            start = time.time()
            try:
                reason, cause, failure = decide()
            except BaseException:  # interrupted: the other workers must not wait forever
                state.publish(what, {"number": spec.number, "name": spec.name, "open": False,
                                     "cause": what, "failure": "bench",
                                     "reason": f"{closed} interrupted while deciding"})
                raise
            decided = {"number": spec.number, "name": spec.name, "open": not reason,
                       "reason": reason, "cause": cause, "failure": failure,
                       "start": start, "end": time.time()}
            if spec.number:
                state.event("gate", **decided)
            state.publish(what, decided)
        else:
            self.run.store.wait(what, what.replace("-", " "), lambda gone: {
                "number": spec.number, "name": spec.name, "open": False, "cause": what,
                "failure": "bench", "reason": f"{closed} worker {gone} died deciding it"})
        fields = Decision.__dataclass_fields__
        return Decision(**{k: v for k, v in state.result(what).items() if k in fields})

    def _lower_closed(self, number: int) -> tuple[str, str, str] | None:
        for lower in sorted(n for n in self.gates if n < number):
            decided = self.decision(lower)
            if not decided.open:
                return decided.reason, "lower", decided.failure
        return None

    def _run(self, spec: GateSpec, closed: str, own: str) -> tuple[str, str, str]:
        """(reason in one line, cause, kind) when the decider refuses; _OPEN when it passes."""
        try:
            spec.decide(self.run)
            return _OPEN
        except ArtifactUnavailable as exc:
            return f"{closed} {exc.one_line()}", f"artifact-{exc.root}", exc.kind
        except QuillError as exc:
            return f"{closed} {exc.one_line()}", own, exc.kind
        except Exception as exc:  # a decider bug must close the gate, not hang the workers
            log = self.run.state.logs / f"decider-{spec.name}.log"
            log.write_text(traceback.format_exc())
            return (f"{closed} decider crashed: {type(exc).__name__}: {exc} "
                    f"(log: {self.run.relpath(log)})", own, "bench")
