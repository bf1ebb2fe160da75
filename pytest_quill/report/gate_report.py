"""A gate's or check's decision in its own Allure result: open or closed, why,
when and how long it took; the boot gate's result also carries the first boot:
its stages as steps and its whole console log."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import allure
import pytest
from allure_commons.model2 import StatusDetails

from .console_text import readable
from .rundata import BootResult, GateResult, from_json


def report_decision(
    decided: GateResult | Mapping[str, Any], boot: BootResult | Mapping[str, Any] | None = None
) -> None:
    """Say DECIDED (a gate's or check's published decision, or its JSON form) in the
    running result, and the BOOT it made."""
    if not isinstance(decided, GateResult):
        decided = from_json(GateResult, dict(decided))
    state = "open" if decided.open else "closed"
    allure.dynamic.parameter("decision", state)
    if decided.reason:
        allure.dynamic.parameter("reason", decided.reason)
    if decided.start is not None and decided.end is not None:
        allure.dynamic.parameter("decided at", time.strftime("%H:%M:%S", time.localtime(decided.start)))
        allure.dynamic.parameter("took", f"{decided.end - decided.start:.1f} s")
    with allure.step(f"{state}: {decided.reason}" if decided.reason else state):
        pass
    if boot:
        report_boot(boot if isinstance(boot, BootResult) else from_json(BootResult, dict(boot)))


def report_boot(boot: BootResult) -> None:
    """The first boot: a step per stage reached, the stages and the console log attached."""
    budget = f" (budget {boot.budget_s} s)" if boot.budget_s else ""
    for attempt in boot.attempts[:-1]:  # the faults retried before the boot that counts
        with allure.step(f"attempt {attempt.number}: {attempt.cause}: {attempt.error}"):
            _attach_log(Path(attempt.log), f"attempt {attempt.number}: console log")
    with allure.step(f"first boot: shell in {boot.boot_time_s} s{budget}"):
        for stage, at in (boot.stages or {}).items():
            with allure.step(f"{stage} reached at {at} s"):
                pass
    allure.attach(
        json.dumps(
            {"boot_time_s": boot.boot_time_s, "stages": boot.stages, "budget_s": boot.budget_s}, indent=1
        ),
        name="first boot: stage times",
        attachment_type=allure.attachment_type.JSON,
    )
    _attach_log(Path(boot.log or ""), "first boot: whole console log")


def _attach_log(log: Path, name: str) -> None:
    if log.is_file():
        allure.attach(readable(log.read_bytes()), name=name, attachment_type=allure.attachment_type.TEXT)


def mark_flaky(config: pytest.Config, why: str) -> None:
    """Allure's flaky flag on the running test's result, which passed: allure-pytest
    has no call for it, so it is set on the result it still holds open (before the
    test ends, as an item's teardown can)."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    result = listener.allure_logger.get_test(None) if listener is not None else None
    if result is not None:
        result.statusDetails = StatusDetails(flaky=True, message=why)
