"""A gate's or check's decision in its own Allure result: open or closed, why,
when and how long it took; the boot gate's result also carries the first boot:
its stages as steps and its whole console log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import allure

from .console_text import readable


def report_decision(decided: dict, boot: dict | None = None) -> None:
    """Say DECIDED (a gate's or check's published decision) in the running result."""
    state = "open" if decided.get("open") else "closed"
    reason = decided.get("reason", "")
    allure.dynamic.parameter("decision", state)
    if reason:
        allure.dynamic.parameter("reason", reason)
    if decided.get("start") is not None and decided.get("end") is not None:
        allure.dynamic.parameter("decided at", time.strftime(
            "%H:%M:%S", time.localtime(decided["start"])))
        allure.dynamic.parameter("took", f"{decided['end'] - decided['start']:.1f} s")
    with allure.step(f"{state}: {reason}" if reason else state):
        pass
    if boot:
        report_boot(boot)


def report_boot(boot: dict) -> None:
    """The first boot: a step per stage reached, the stages and the console log attached."""
    budget = f" (budget {boot['budget_s']} s)" if boot.get("budget_s") else ""
    with allure.step(f"first boot: shell in {boot['boot_time_s']} s{budget}"):
        for stage, at in (boot.get("stages") or {}).items():
            with allure.step(f"{stage} reached at {at} s"):
                pass
    allure.attach(json.dumps({"boot_time_s": boot["boot_time_s"], "stages": boot.get("stages"),
                              "budget_s": boot.get("budget_s")}, indent=1),
                  name="first boot: stage times", attachment_type=allure.attachment_type.JSON)
    log = Path(boot.get("log") or "")
    if log.is_file():
        allure.attach(readable(log.read_bytes()), name="first boot: whole console log",
                      attachment_type=allure.attachment_type.TEXT)
