"""The run itself as one Allure result, "quill run": from the run's start to its
end (so the report's duration is the run's, builds in fixture set-up included),
the Gantt chart attached and linked, the plan's figures and the boot as
parameters. Written by the controller once the record is made."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from . import metrics
from .progress import stages_text
from .rundata import RunRecord, as_record

NAME = "quill run: timeline, figures, boot"
EPIC = "Nook typewriter MVP"


def write_run_result(
    results_dir: str | Path, record: RunRecord | Mapping[str, Any], chart: Path | None
) -> Path:
    """<uuid>-result.json in the results folder, its attachments beside it."""
    made = as_record(record)
    started, finished = made.started or 0.0, made.finished or 0.0
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    attachments: list[dict[str, str]] = []
    if chart is not None and chart.is_file():
        attachments.append(
            _copy(folder, chart, "run gantt (timeline of every worker)", "image/svg+xml", "svg")
        )
    attachments.append(
        _write(
            folder,
            json.dumps(made.to_json(), indent=1, sort_keys=True),
            "run record (quill-run.json)",
            "application/json",
            "json",
        )
    )
    result = {
        "uuid": str(uuid.uuid4()),
        "name": NAME,
        "fullName": "pytest_quill.run",
        "historyId": hashlib.md5(b"pytest_quill.run").hexdigest(),
        "testCaseId": hashlib.md5(b"pytest_quill.run").hexdigest(),
        "status": _status(made),
        "stage": "finished",
        "start": int(started * 1000),
        "stop": int(finished * 1000),
        "labels": [{"name": "epic", "value": EPIC}, {"name": "tag", "value": "run"}],
        "parameters": [{"name": name, "value": value} for name, value in _figures(made)],
        "links": [
            {
                "name": "Gantt chart of the run",
                "type": "link",
                "url": os.path.relpath(chart, folder.parent / "allure-report"),
            }
        ]
        if chart
        else [],
        "descriptionHtml": _description(made, chart, folder),
        "attachments": attachments,
    }
    if made.interrupted:
        result["statusDetails"] = {"message": "interrupted: not made: " + ", ".join(made.not_made)}
    path = folder / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=1))
    return path


def _status(record: RunRecord) -> str:
    """passed when every gate opened; else unknown (the gate's own result is the failure)."""
    closed = any(not gate.open for gate in record.gates)
    return "unknown" if closed or record.interrupted else "passed"


def _wall(record: RunRecord) -> float:
    return (record.finished or 0.0) - (record.started or 0.0)


def _figures(record: RunRecord) -> list[tuple[str, str]]:
    figures = [
        ("profile", record.profile),
        ("workers", str(record.workers)),
        ("wall", f"{_wall(record):.1f} s"),
    ]
    for line in metrics.summary_lines(record.metrics)[1:] if record.metrics is not None else []:
        name, _, rest = line.partition("  ")
        figures.append((name.strip(), " ".join(rest.split())))
    if record.boot:
        figures.append(("boot to shell", f"{record.boot.boot_time_s} s ({stages_text(record.boot.stages)})"))
    for gate in record.gates:
        figures.append((f"gate {gate.number} ({gate.name})", "open" if gate.open else gate.reason))
    return figures


def _description(record: RunRecord, chart: Path | None, folder: Path) -> str:
    lines = [
        f"<p>The whole run: {escape(str(record.workers))} worker(s), "
        f"{_wall(record):.1f} s from start to end, "
        "builds and boots included.</p>"
    ]
    if chart is not None:
        link = os.path.relpath(chart, folder.parent / "allure-report")
        lines.append(
            f'<p><a href="{escape(link)}">Gantt chart of the run</a> '
            "(also attached below): one lane per worker.</p>"
        )
    return "\n".join(lines)


def _copy(folder: Path, source: Path, name: str, mime: str, ext: str) -> dict[str, str]:
    target = f"{uuid.uuid4()}-attachment.{ext}"
    shutil.copyfile(source, folder / target)
    return {"name": name, "source": target, "type": mime}


def _write(folder: Path, text: str, name: str, mime: str, ext: str) -> dict[str, str]:
    target = f"{uuid.uuid4()}-attachment.{ext}"
    (folder / target).write_text(text)
    return {"name": name, "source": target, "type": mime}
