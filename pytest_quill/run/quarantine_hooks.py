"""The quarantine in a run: marks at collection, outcomes from the reports, the
summary's lines and the pass streaks kept in pytest's cache between runs."""

from __future__ import annotations

import datetime

import pytest

from .quarantine import FILE_NAME, LIFT_AFTER_PASSES, Quarantine, next_streaks

PROPERTY = "quarantined"  # the JUnit property; also how the controller knows a worker's test
STREAKS_KEY = "quill/quarantine-passes"


class QuarantineHooks:
    def __init__(self, quarantine: Quarantine, today: datetime.date):
        self.quarantine = quarantine
        self.today = today
        self.outcomes: dict[str, str] = {}  # quarantined test -> "passed" / "failed"
        self.reasons: dict[str, str] = {}
        self.lift: dict[str, int] = {}  # tests whose entry passes showed unneeded -> passes in a row

    # After every selection: only tests that run are marked. Gates are not test
    # functions and are never quarantined.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            entry = self.quarantine.entry_for(item.nodeid, self.today)
            if entry is not None and isinstance(item, pytest.Function):
                item.add_marker(pytest.mark.xfail(reason=entry.mark_reason(), run=True, strict=False))
                item.user_properties.append((PROPERTY, entry.mark_reason()))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        reason = dict(report.user_properties).get(PROPERTY)
        if reason is None:
            return
        self.reasons[report.nodeid] = str(reason)
        if hasattr(report, "wasxfail") and report.skipped:  # it failed, in setup or call
            self.outcomes[report.nodeid] = "failed"
        elif report.when == "call" and report.passed:
            self.outcomes.setdefault(report.nodeid, "passed")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(session.config, "cache", None)  # None with -p no:cacheprovider
        if hasattr(session.config, "workerinput") or cache is None or not self.outcomes:
            return
        streaks = next_streaks(cache.get(STREAKS_KEY, {}), self.outcomes)
        cache.set(STREAKS_KEY, streaks)
        self.lift = {
            nodeid: streaks[nodeid] for nodeid in self.outcomes if streaks[nodeid] >= LIFT_AFTER_PASSES
        }

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = self.summary_lines()
        if lines:
            terminalreporter.section("quarantine")
            for line in lines:
                terminalreporter.write_line(line)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{nodeid}: {outcome}, not counted ({self.reasons[nodeid]})"
            for nodeid, outcome in sorted(self.outcomes.items())
        ]
        lines += [
            f"{nodeid}: passed {passes} runs in a row: its {FILE_NAME} entry can go"
            for nodeid, passes in sorted(self.lift.items())
        ]
        lines += [
            f"{self.quarantine.path}: the entry for {entry.test!r} ended on {entry.until} "
            f"and no longer applies: remove it, or renew it with a reason"
            for entry in self.quarantine.expired(self.today)
        ]
        return lines
