"""What a finished run leaves: its record, the Gantt chart, each build's step
history (the next run's estimates) and the one-file Allure report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import QuillError
from ..report import html, metrics, run_result, steps
from ..report.publish import publish_run
from ..report.rundata import RunRecord, as_record
from . import record
from .quill_run import QuillRun, prune_runs


def end_run(run: QuillRun, interrupted: bool, results: str | None) -> None:
    """The controller's end of a run: the record (what a stopped run did not make,
    never its ratios; a finished run's figures), then what finish_run leaves."""
    made = record.collect(run.state, run.header())
    if interrupted:
        made = replace(
            made, interrupted=True, not_made=tuple(record.not_made(made, run.plan.recipes, run.state.logs))
        )
    elif record.used_quill(made):
        made = replace(made, metrics=metrics.compute(made))
    if record.used_quill(made) or (made.interrupted and run.state.used()):
        finish_run(run, made, results)


def finish_run(run: QuillRun, made: RunRecord | Mapping[str, Any], results: str | None) -> None:
    """The record, the Gantt, the history of each build's steps and the report."""
    typed = as_record(made)
    for art in typed.artifacts:
        if art.status == "built":
            steps.remember(run.options.cache, run.profile.name, art.name, run.state.logs / f"{art.name}.log")
    run.record_path = record.write_record(typed, run.options.reports)
    # The JSON form, as written: plugin.py's terminal summary reads it so.
    run.record = typed.to_json()
    meta_types = {name: recipe.meta_type for name, recipe in run.plan.recipes.items()}
    written = publish_run(typed, run.options.reports, results, run.profile.path, meta_types=meta_types)
    run.chart_path = written[0]
    if not results:
        run.report_problem = "no Allure results (give --alluredir reports/allure-results)"
    elif (cli := html.allure_cli(run.project_root)) is None:
        run.report_problem = html.MISSING_CLI
    else:
        run_result.write_run_result(results, typed, run.chart_path)
        try:
            run.report_path = html.generate(Path(results), html.report_beside(Path(results)), cli)
        except QuillError as exc:
            run.report_problem = exc.one_line()
    prune_runs(run.options.reports)


def summary_lines(run: QuillRun) -> list[str]:
    """The run's lines in the terminal summary: the record's, then the plan's figures."""
    if run.record is None:
        return []
    made = as_record(run.record)
    image = (run.plan.image.artifact, run.plan.image.file) if run.plan.image else None
    lines = record.summary_lines(made, run.relpath, image)
    if made.metrics is not None:
        lines += metrics.summary_lines(made.metrics)
    return lines
