"""The hooks of a run whose project declared a plan: live progress, the gates put
before the tests that need them, skips behind closed gates, each test's span and
outcome, and the record, chart and report at the end."""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from pathlib import Path

import pytest
from pluggy import Result

from .errors import QuillError
from .gate_items import GateItem, decided_items
from .report import allure, metrics, steps
from .report.gate_report import mark_flaky
from .report.live import LiveProgress
from .report.progress import RunWatch
from .run import record
from .run.exit import skip_final_collection
from .run.finish import finish_run
from .run.quill_run import QuillRun, quill_run
from .run.state import unwritable
from .run.verdict import FAILURE_KIND, FLAKY, exit_status

LIVE = pytest.StashKey[LiveProgress]()
OUTCOME = pytest.StashKey[str]()  # the phase that decided a test: "passed", "skipped (setup)"
SKIP_REASON = pytest.StashKey[str]()


class ActiveRun:
    """The hooks of a project that declared a plan: the run's set-up, gates, record."""

    def __init__(self) -> None:
        self.failure_kinds: list[str] = []  # each failed report's, as this process saw them

    @pytest.hookimpl(trylast=True)  # after the session header
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        config = session.config
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if hasattr(config, "workerinput") or terminal is None:
            return
        run = quill_run(config)
        if run.options.progress == "off":
            return
        watch = RunWatch(
            run.run_dir, lambda recipe: steps.expected(run.options.cache, run.profile.name, recipe)
        )
        logs = run.relpath(run.state.logs)
        live = LiveProgress(
            watch,
            terminal,
            in_place=run.options.progress == "auto" and terminal.isatty(),
            header=[
                f"run folder {run.relpath(run.run_dir)}; build logs {logs}/<artifact>"
                f".log (tail -f them), boot consoles {logs}/console-*.log"
            ],
        )
        live.start()
        config.stash[LIVE] = live

    @pytest.hookimpl(hookwrapper=True, trylast=True)  # inside allure-pytest's: names before it reads
    def pytest_fixture_setup(
        self, fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest
    ) -> Generator[None, None, None]:
        yield
        allure.name_finalizers(getattr(fixturedef, "_finalizers", []))

    # Around every other plugin's selection (-m, -k, --lf, --sw, random order): what
    # is decided and reported follows the tests that really run.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        yield
        run = quill_run(config)
        try:
            run.store.needed = run.plan.artifacts_needed(
                (item.nodeid, getattr(item, "fixturenames", ()), item.get_closest_marker("gate"))
                for item in items
            )
        except QuillError as exc:
            raise pytest.UsageError(exc.one_line()) from None
        decided = decided_items(session, run.plan, items)
        run.gate_reported = frozenset(
            run.plan.with_deps(
                {
                    name
                    for item in decided
                    if isinstance(item, GateItem)
                    for name in run.plan.gates[item.number].needs
                }
            )
        )
        items[:0] = decided
        for item in items:
            for mark in allure.label_marks(item.nodeid, item.iter_markers(), run.plan.stream_of(item.nodeid)):
                item.add_marker(mark)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        run = quill_run(item.config)
        for marker_name in run.plan.checks:
            if item.get_closest_marker(marker_name) is not None:
                decision = run.gates.check(marker_name)
                if not decision.open:
                    pytest.skip(decision.reason)
        marker = item.get_closest_marker("gate")
        if marker is not None:
            decision = run.gates.decision(marker.args[0])
            if not decision.open:
                pytest.skip(decision.reason)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, None, None]:
        start = time.time()
        yield
        run = quill_run(item.config)
        # Kept until the session ends: a run that builds and gates nothing leaves no folder.
        run.tests.append(
            dict(
                nodeid=item.nodeid,
                start=start,
                end=time.time(),
                stream=run.plan.stream_of(item.nodeid),
                outcome=item.stash.get(OUTCOME, "unknown"),
                reason=item.stash.get(SKIP_REASON, ""),
                flaky=str(dict(item.user_properties).get(FLAKY, "")),
            )
        )

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Result[pytest.TestReport], None]:
        result = yield
        report = result.get_result()
        if report.when == "call" and report.passed and (flaky := dict(item.user_properties).get(FLAKY)):
            mark_flaky(item.config, f"passed after a retry: {flaky}")  # after allure's own report
        if call.excinfo is not None and isinstance(call.excinfo.value, QuillError):
            report.longrepr = call.excinfo.value.one_line()  # the harness's failures are one line
            if report.failed:  # a copy: the item's own list is every later report's too
                report.user_properties = [*report.user_properties, (FAILURE_KIND, call.excinfo.value.kind)]
        # The phase that decided the outcome: a skip or error in setup, else the call.
        if report.when == "call" or report.outcome != "passed":
            item.stash[OUTCOME] = (
                report.outcome if report.when == "call" else f"{report.outcome} ({report.when})"
            )
            if hasattr(report, "wasxfail"):  # a quarantined test that failed: not counted, said why
                item.stash[OUTCOME] = "xfailed"
                item.stash[SKIP_REASON] = report.wasxfail
            elif report.skipped and isinstance(report.longrepr, tuple):
                item.stash[SKIP_REASON] = report.longrepr[2].removeprefix("Skipped: ")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:  # a plain test's failure is the product's
            self.failure_kinds.append(str(dict(report.user_properties).get(FAILURE_KIND, "test")))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        if LIVE in config.stash:
            config.stash[LIVE].stop()
        run = quill_run(config)
        try:
            self._finish(run, config, exitstatus)
        except (QuillError, OSError) as exc:  # a full or read-only reports folder: one line, a failure
            failure = (
                exc
                if isinstance(exc, QuillError)
                else unwritable(Path(exc.filename or run.options.reports), exc)
            )
            sys.stderr.write(f"quill: {failure.one_line()}\n")
            self.failure_kinds.append(failure.kind)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.exitstatus = exit_status(session.exitstatus, self.failure_kinds)

    @staticmethod
    def _finish(run: QuillRun, config: pytest.Config, exitstatus: int) -> None:
        began = time.time()
        run.close()
        if run.state.used():
            for test in run.tests:
                run.state.event("test", **test)
            # Its devices' power-off; the controller's begins once xdist's workers exited.
            run.state.event("closing", what="close", start=began, end=time.time())
        if hasattr(config, "workerinput"):
            return
        made = record.build_record(run.state, run.header())
        if exitstatus == pytest.ExitCode.INTERRUPTED:  # what a stopped run lacks, never its ratios
            made.update(interrupted=True, not_made=record.not_made(made, run.plan.recipes, run.state.logs))
        elif record.used_quill(made):
            made["metrics"] = metrics.compute(made)
        if record.used_quill(made) or (made.get("interrupted") and run.state.used()):
            finish_run(run, made, _allure_results(config))

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        skip_final_collection()

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, config: pytest.Config
    ) -> None:
        run = quill_run(config)
        made, chart, record_path = run.record, run.chart_path, run.record_path
        if made is None or chart is None or record_path is None:  # no record written
            return
        write = terminalreporter.write_line
        terminalreporter.section("pytest-quill")
        for line in record.summary_lines(made, run.relpath):
            write(line)
        if "metrics" in made:
            for line in metrics.summary_lines(made["metrics"]):
                write(line)
        write(f"gantt chart: {run.relpath(chart)}")
        if run.report_path:
            write(f"report: {run.relpath(run.report_path)} (one file: open it in a browser)")
        else:
            write(f"report: not made: {run.report_problem}")
        write(f"run record: {run.relpath(record_path)}")


def _allure_results(config: pytest.Config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)
