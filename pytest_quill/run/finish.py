"""What a finished run leaves: its record, the Gantt chart, each build's step
history (the next run's estimates) and the one-file Allure report."""

from __future__ import annotations

from pathlib import Path

from ..errors import QuillError
from ..report import html, run_result, steps
from ..report.publish import publish_run
from . import record
from .quill_run import QuillRun, prune_runs


def finish_run(run: QuillRun, made: dict, results: str | None) -> None:
    """The record, the Gantt, the history of each build's steps and the report."""
    for art in made["artifacts"]:
        if art["status"] == "built":
            steps.remember(run.options.cache, run.profile.name, art["name"],
                           run.state.logs / f"{art['name']}.log")
    run.record_path = record.write_record(made, run.options.reports)
    run.record = made
    written = publish_run(made, run.options.reports, results, run.profile.path)
    run.chart_path = written[0]
    if not results:
        run.report_problem = "no Allure results (give --alluredir reports/allure-results)"
    elif (cli := html.allure_cli(run.project_root)) is None:
        run.report_problem = html.MISSING_CLI
    else:
        run_result.write_run_result(results, made, run.chart_path)
        try:
            run.report_path = html.generate(results, html.report_beside(Path(results)), cli)
        except QuillError as exc:
            run.report_problem = exc.one_line()
    prune_runs(run.options.reports)
