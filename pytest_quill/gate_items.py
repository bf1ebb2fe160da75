"""Each gate and check a run decides is a result of its own: open passes, closed
by its own cause fails (once per run, with the reason and the log's path),
closed by a lower gate skips. So a closed gate makes the run's exit code 1
even when every test behind it is a skip, and JUnit and Allure show it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .plan import Plan
from .report.gate_report import report_decision
from .report.rundata import BootResult, from_json
from .run.gates import Decision
from .run.quill_run import quill_run
from .run.record import attempts_text
from .run.state import RunState
from .run.verdict import FLAKY, report_once


class _Decided(pytest.Item):
    # Plugins that read every item's fixtures (labgrid's) meet these too: they use none.
    fixturenames: tuple[str, ...] = ()

    def decision(self) -> Decision:
        raise NotImplementedError

    def published(self) -> str:
        """The name of the decision in the run's shared folder."""
        raise NotImplementedError

    def runtest(self) -> None:
        decided = self.decision()
        state = quill_run(self.config).state
        published = state.result(self.published()) or {}
        boot = _boot_within(state, published)
        report_decision(published, boot)
        if boot and boot.get("flaky"):  # the record, JUnit and Allure say it; it passes all the same
            self.user_properties.append((FLAKY, attempts_text(from_json(BootResult, boot).attempts)))
        if decided.open:
            return
        if decided.cause == "lower":
            pytest.skip(decided.reason)
        report_once(state, decided.cause, decided.failure, decided.reason)

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, self.name


class GateItem(_Decided):
    def __init__(self, *, number: int, checks: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.number = number
        self.checks = checks  # every test behind this gate needs these checks open too

    def decision(self) -> Decision:
        gates = quill_run(self.config).gates
        for marker in self.checks:  # nothing is built for tests that cannot run anyway
            if not (check := gates.check(marker)).open:
                pytest.skip(check.reason)
        return gates.decision(self.number)

    def published(self) -> str:
        return f"gate-{self.number}"


class CheckItem(_Decided):
    def __init__(self, *, marker: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.marker = marker

    def decision(self) -> Decision:
        return quill_run(self.config).gates.check(self.marker)

    def published(self) -> str:
        return f"check-{self.marker}"


def _boot_within(state: RunState, decided: dict) -> dict | None:
    """The boot this decision judged (the boot gate's first boot), if it judged one:
    the boot ended within the decision, and may have begun before it (a plan may
    start its boot while the gates below are still being decided)."""
    if "start" not in decided or "end" not in decided:
        return None
    return next(
        (
            event
            for event in state.events()
            if event["kind"] == "boot" and decided["start"] <= event["end"] <= decided["end"]
        ),
        None,
    )


def decided_items(session: pytest.Session, plan: Plan, items: list[pytest.Item]) -> list[pytest.Item]:
    """The checks and gates the selected tests need, lowest gate first."""
    wanted = [m.args[0] for item in items if (m := item.get_closest_marker("gate")) and m.args]
    top = max(wanted, default=0)
    checks: list[pytest.Item] = [
        CheckItem.from_parent(session, name=f"quill check: {spec.name} ({marker})", marker=marker)
        for marker, spec in plan.checks.items()
        if any(item.get_closest_marker(marker) for item in items)
    ]
    gates: list[pytest.Item] = [
        GateItem.from_parent(
            session,
            name=f"quill gate {number} ({spec.name})",
            number=number,
            checks=_shared_checks(plan, items, number),
        )
        for number, spec in sorted(plan.gates.items())
        if number <= top
    ]
    return checks + gates


def _shared_checks(plan: Plan, items: list[pytest.Item], number: int) -> tuple[str, ...]:
    """The checks every selected test that needs gate NUMBER (or a higher one) carries."""
    behind = [
        item for item in items if (m := item.get_closest_marker("gate")) and m.args and m.args[0] >= number
    ]
    return tuple(marker for marker in plan.checks if all(item.get_closest_marker(marker) for item in behind))
