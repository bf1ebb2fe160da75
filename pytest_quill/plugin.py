"""pytest-quill's hooks: options, markers, the run's set-up, gates, the record."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from . import hooks
from .engine import backends
from .errors import QuillError
from .gate_items import GateItem, decided_items
from .plan import Plan
from .profile import load_profile
from .report import allure, metrics, steps
from .report.live import LiveProgress
from .report.progress import RunWatch
from .run import record
from .run.finish import finish_run
from .run.flags import add_options, given
from .run.options import read_options
from .run.quill_run import RUN_KEY, QuillRun, new_run_dir, quill_run
from .run.state import unwritable
from .run.store import terminal_notice

LIVE = pytest.StashKey[LiveProgress]()
OUTCOME = pytest.StashKey[str]()  # the phase that decided a test: "passed", "skipped (setup)"
SKIP_REASON = pytest.StashKey[str]()

E2E_MARKER = "e2e: the project's own end-to-end tests (real builds; minutes)"


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser):
    add_options(parser)


def pytest_configure(config):
    """Inert unless the project declares a plan (its conftest loads
    pytest_quill.mvp or implements pytest_quill_declare): installed, the plugin
    changes nothing for a project that does not use it."""
    plan = Plan()
    config.hook.pytest_quill_declare(plan=plan)
    if not plan.declared:
        if options := given(config):
            raise pytest.UsageError(
                f"pytest-quill: {options[0]} given, but this project declares no plan: add "
                'pytest_plugins = ["pytest_quill.mvp"] to its root conftest.py, or start a '
                "project with `quill init FOLDER`"
            )
        return
    for line in [*plan.markers(), E2E_MARKER]:
        config.addinivalue_line("markers", line)
    try:
        config.stash[RUN_KEY] = _make_run(config, plan)
    except QuillError as exc:
        raise pytest.UsageError(exc.one_line()) from None
    config.stash[RUN_KEY].store.notice = terminal_notice(config)  # a wait is said, even by workers
    config.pluginmanager.register(plan.fixture_plugin(), "quill-artifacts")
    config.pluginmanager.register(ActiveRun(), "quill-run")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistController(), "quill-xdist")


@pytest.hookimpl(tryfirst=True)  # before allure-pytest's own configure cleans the folder
def pytest_cmdline_main(config):
    # allure-pytest cleans --alluredir in every process that configures it: under
    # xdist a worker starting late would delete what others wrote. Only the
    # controller (no workerinput) keeps the user's --clean-alluredir.
    if hasattr(config, "workerinput") and getattr(config.option, "clean_alluredir", False):
        config.option.clean_alluredir = False


def _allure_results(config) -> str | None:
    return getattr(config.option, "allure_report_dir", None)


def _make_run(config, plan: Plan) -> QuillRun:
    options = read_options(config)
    plan.check_rebuild(options.rebuild)
    profile = load_profile(options.profile, options.overrides, options.profiles)
    worker_input = getattr(config, "workerinput", None)
    if worker_input is None:
        backends.check_name(options.backend)
        run_dir = new_run_dir(options.reports)
        worker, workers = "main", max(1, int(config.getoption("numprocesses", 0) or 0))
    else:
        run_dir = worker_input["quill_run_dir"]
        worker, workers = worker_input["workerid"], worker_input["workercount"]
    return QuillRun(
        options=options,
        profile=profile,
        plan=plan,
        worker=worker,
        workers=workers,
        run_dir=Path(run_dir),
        project_root=config.rootpath,
        started=time.time(),
    )


class _XdistController:
    """Hands the controller's run folder to every worker."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        run = quill_run(node.config)
        node.workerinput["quill_run_dir"] = str(run.run_dir)


class ActiveRun:
    """The hooks of a project that declared a plan: the run's set-up, gates, record."""

    @pytest.hookimpl(trylast=True)  # after the session header
    def pytest_sessionstart(self, session):
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
    def pytest_fixture_setup(self, fixturedef, request):
        yield
        allure.name_finalizers(getattr(fixturedef, "_finalizers", []))

    # Around every other plugin's selection (-m, -k, --lf, --sw, random order): what
    # is decided and reported follows the tests that really run.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session, config, items):
        yield
        run = quill_run(config)
        try:
            run.store.needed = run.plan.artifacts_needed(
                (item.nodeid, item.fixturenames, item.get_closest_marker("gate")) for item in items
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
            for mark in allure.label_marks(item.nodeid, item.iter_markers()):
                item.add_marker(mark)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
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
    def pytest_runtest_protocol(self, item, nextitem):
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
            )
        )

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        result = yield
        report = result.get_result()
        if call.excinfo is not None and isinstance(call.excinfo.value, QuillError):
            report.longrepr = call.excinfo.value.one_line()  # the harness's failures are one line
        # The phase that decided the outcome: a skip or error in setup, else the call.
        if report.when == "call" or report.outcome != "passed":
            item.stash[OUTCOME] = (
                report.outcome if report.when == "call" else f"{report.outcome} ({report.when})"
            )
            if report.skipped and isinstance(report.longrepr, tuple):
                item.stash[SKIP_REASON] = report.longrepr[2].removeprefix("Skipped: ")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        config = session.config
        if LIVE in config.stash:
            config.stash[LIVE].stop()
        run = quill_run(config)
        try:
            self._finish(run, config, exitstatus)
        except (QuillError, OSError) as exc:  # a full or read-only reports folder: one line, exit 1
            failure = (
                exc
                if isinstance(exc, QuillError)
                else unwritable(Path(exc.filename or run.options.reports), exc)
            )
            sys.stderr.write(f"quill: {failure.one_line()}\n")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @staticmethod
    def _finish(run: QuillRun, config, exitstatus) -> None:
        run.close()
        if run.state.used():
            for test in run.tests:
                run.state.event("test", **test)
        if hasattr(config, "workerinput"):
            return
        made = record.build_record(run.state, run.header())
        if exitstatus == pytest.ExitCode.INTERRUPTED:  # what a stopped run lacks, never its ratios
            made.update(interrupted=True, not_made=record.not_made(made, run.plan.recipes, run.state.logs))
        elif record.used_quill(made):
            made["metrics"] = metrics.compute(made)
        if record.used_quill(made) or (made.get("interrupted") and run.state.used()):
            finish_run(run, made, _allure_results(config))

    def pytest_terminal_summary(self, terminalreporter, config):
        if quill_run(config).record is None:
            return
        run = quill_run(config)
        write = terminalreporter.write_line
        terminalreporter.section("pytest-quill")
        for line in record.summary_lines(run.record, run.relpath):
            write(line)
        if "metrics" in run.record:
            for line in metrics.summary_lines(run.record["metrics"]):
                write(line)
        write(f"gantt chart: {run.relpath(run.chart_path)}")
        if run.report_path:
            write(f"report: {run.relpath(run.report_path)} (one file: open it in a browser)")
        else:
            write(f"report: not made: {run.report_problem}")
        write(f"run record: {run.relpath(run.record_path)}")
