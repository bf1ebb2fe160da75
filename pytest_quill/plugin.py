"""pytest-quill's entry point (pytest11): its options and hook, and, when the project
declares a plan, the run made at configure time and the hooks of an active run."""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import pytest

from . import hooks
from .active_run import ActiveRun
from .engine import backends
from .errors import QuillError
from .plan import Plan
from .profile import load_profile
from .run import quarantine
from .run.flags import add_options, given
from .run.options import read_options
from .run.quarantine_hooks import QuarantineHooks
from .run.quill_run import RUN_KEY, QuillRun, new_run_dir, quill_run
from .run.store import terminal_notice

E2E_MARKER = "e2e: the project's own end-to-end tests (real builds; minutes)"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
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
        quarantined = quarantine.load(config.rootpath)
    except QuillError as exc:
        raise pytest.UsageError(exc.one_line()) from None
    config.stash[RUN_KEY].store.notice = terminal_notice(config)  # a wait is said, even by workers
    config.pluginmanager.register(plan.fixture_plugin(), "quill-artifacts")
    config.pluginmanager.register(ActiveRun(), "quill-run")
    config.pluginmanager.register(QuarantineHooks(quarantined, datetime.date.today()), "quill-quarantine")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistController(), "quill-xdist")


@pytest.hookimpl(tryfirst=True)  # before allure-pytest's own configure cleans the folder
def pytest_cmdline_main(config: pytest.Config) -> None:
    # allure-pytest cleans --alluredir in every process that configures it: under
    # xdist a worker starting late would delete what others wrote. Only the
    # controller (no workerinput) keeps the user's --clean-alluredir.
    if hasattr(config, "workerinput") and getattr(config.option, "clean_alluredir", False):
        config.option.clean_alluredir = False


def _make_run(config: pytest.Config, plan: Plan) -> QuillRun:
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
    """Hands the controller's run folder to every worker, and notes when each
    one said it finished: xdist then waits for the worker processes to exit,
    and the controller's own close (after that wait) shows how long it was."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # an xdist WorkerController
        run = quill_run(node.config)
        node.workerinput["quill_run_dir"] = str(run.run_dir)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        run = quill_run(node.config)
        if run.state.used():
            now = time.time()
            run.state.event("closing", what="finished", worker=node.gateway.id, start=now, end=now)
