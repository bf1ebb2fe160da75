"""Quality gates: `@pytest.mark.gate(N)` means "this test needs gate N open".

A gate is decided once per run by whichever worker first needs it, from the
artifacts and checks its decider asks for, and published in the run's shared
folder; every worker reads the same decision. A closed gate skips the tests
behind it with the root failure as the reason; lower gates are decided first,
so the reason is always the first thing that went wrong.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import QuillError
from ..report.rundata import GateResult, from_json
from .store import ArtifactUnavailable
from .verdict import report_once

if TYPE_CHECKING:  # the run hands itself to the deciders; it imports this module
    from .quill_run import QuillRun


@dataclass(frozen=True)
class GateSpec:
    number: int
    name: str
    decide: Callable[[QuillRun], None]  # raises QuillError when closed
    needs: tuple[str, ...]  # artifacts the decision builds: built early by idle workers
    # Work the decider will take up that may begin before the gates below are
    # decided: the worker that claims the gate begins it first (a failure there is
    # the decider's to meet again, or a lower gate's to report).
    ahead: Callable[[QuillRun], None] | None = None


# A gate's or check's decision: what gate_items.py and the deciders' callers read.
Decision = GateResult

_OPEN = ("", "", "")


class Gates:
    """This worker's view of the run's gate decisions."""

    def __init__(self, run: QuillRun, gates: dict[int, GateSpec], checks: dict[str, GateSpec]):
        self.run = run  # QuillRun: what the deciders are handed
        self.gates = gates
        self.checks = checks
        self._claimed_ahead: set[str] = set()  # claimed by this worker before its turn

    def decision(self, number: int) -> Decision:
        spec = self.gates[number]
        closed = f"gate {number} ({spec.name}) closed:"
        decided = self._shared(
            f"gate-{number}", spec, closed, lambda: self._decide_gate(number, spec, closed)
        )
        if f"gate-{number + 1}" in self._claimed_ahead:
            self.decision(number + 1)  # claimed while this one was decided: its turn is now
        return decided

    def claim_next(self, number: int) -> bool:
        """Claim gate NUMBER + 1 while deciding gate NUMBER, so that its decider's work
        may begin here; this worker then decides it right after gate NUMBER. False
        when another worker has it already."""
        what = f"gate-{number + 1}"
        if self.run.state.result(what) is None and self.run.state.claim(what):
            self._claimed_ahead.add(what)
            return True
        return False

    def _decide_gate(self, number: int, spec: GateSpec, closed: str) -> tuple[str, str, str]:
        """Its work ahead first, then the gates below, then its decider."""
        if spec.ahead is not None:
            try:
                spec.ahead(self.run)
            except QuillError:
                pass  # what went wrong closes a gate below, or this one when its decider meets it
        with self._building_meanwhile_only_up_to(number):
            return self._lower_closed(number) or self._run(spec, closed, f"gate-{number}")

    @contextlib.contextmanager
    def _building_meanwhile_only_up_to(self, number: int) -> Iterator[None]:
        """While this worker decides gate NUMBER, the workers that need it wait on
        it: what it builds while it waits on a lower gate is work of the gates up to
        NUMBER, never a higher gate's (an edit run's card, built here, held gate 2
        for 1.3 s while its check took 0.3 s; another idle worker builds it)."""
        store = self.run.store
        before = store.needed
        needs = {name for n, spec in self.gates.items() if n <= number for name in spec.needs}
        store.needed = before & self.run.plan.with_deps(needs)
        try:
            yield
        finally:
            store.needed = before

    def require(self, number: int) -> Decision:
        """Gate NUMBER's decision when open. Closed, its failure is raised where the
        run first reports it (this test, or the gate's own item) and is a skip with
        the same line everywhere else: a run counts one failure per cause."""
        decided = self.decision(number)
        if not decided.open:
            report_once(self.run.state, decided.cause, decided.failure, decided.reason)
        return decided

    def check(self, marker: str) -> Decision:
        spec = self.checks[marker]
        closed = f"{spec.name} not ready:"
        return self._shared(
            f"check-{marker}", spec, closed, lambda: self._run(spec, closed, f"check-{marker}")
        )

    def _shared(
        self, what: str, spec: GateSpec, closed: str, decide: Callable[[], tuple[str, str, str]]
    ) -> GateResult:
        """Decide once per run (the first worker to ask), read by every worker."""
        state = self.run.state

        def refused(reason: str) -> GateResult:  # nobody decided it: its decider is gone
            return GateResult(spec.number, spec.name, False, f"{closed} {reason}", what, "bench")

        if state.result(what) is None and (what in self._claimed_ahead or state.claim(what)):
            self._claimed_ahead.discard(what)
            start = time.time()
            try:
                reason, cause, failure = decide()
            except BaseException:  # interrupted: the other workers must not wait forever
                state.publish(what, refused("interrupted while deciding").to_json())
                raise
            decided = GateResult(
                spec.number, spec.name, not reason, reason, cause, failure, start=start, end=time.time()
            )
            if spec.number:
                state.event("gate", **decided.to_json())
            state.publish(what, decided.to_json())
            return decided
        published = self.run.store.wait(
            what, what.replace("-", " "), lambda gone: refused(f"worker {gone} died deciding it").to_json()
        )
        return from_json(GateResult, published)

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
            return (
                f"{closed} decider crashed: {type(exc).__name__}: {exc} (log: {self.run.relpath(log)})",
                own,
                "bench",
            )
