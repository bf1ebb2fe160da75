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
from html import escape
from pathlib import Path

from . import metrics
from .progress import stages_text

NAME = "quill run: timeline, figures, boot"
EPIC = "Nook typewriter MVP"


def write_run_result(results_dir: str | Path, record: dict, chart: Path | None) -> Path:
    """<uuid>-result.json in the results folder, its attachments beside it."""
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    attachments = []
    if chart is not None and chart.is_file():
        attachments.append(_copy(folder, chart, "run gantt (timeline of every worker)",
                                 "image/svg+xml", "svg"))
    attachments.append(_write(folder, json.dumps(record, indent=1, sort_keys=True, default=str),
                              "run record (quill-run.json)", "application/json", "json"))
    result = {
        "uuid": str(uuid.uuid4()), "name": NAME, "fullName": "pytest_quill.run",
        "historyId": hashlib.md5(b"pytest_quill.run").hexdigest(),
        "testCaseId": hashlib.md5(b"pytest_quill.run").hexdigest(),
        "status": _status(record), "stage": "finished",
        "start": int(record["started"] * 1000), "stop": int(record["finished"] * 1000),
        "labels": [{"name": "epic", "value": EPIC},
                   {"name": "tag", "value": "run"}],
        "parameters": [{"name": name, "value": value} for name, value in _figures(record)],
        "links": [{"name": "Gantt chart of the run", "type": "link",
                   "url": os.path.relpath(chart, folder.parent / "allure-report")}] if chart else [],
        "descriptionHtml": _description(record, chart, folder),
        "attachments": attachments,
    }
    if record.get("interrupted"):
        result["statusDetails"] = {"message": "interrupted: not made: "
                                   + ", ".join(record.get("not_made") or [])}
    path = folder / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=1))
    return path


def _status(record: dict) -> str:
    """passed when every gate opened; else unknown (the gate's own result is the failure)."""
    closed = any(not gate["open"] for gate in record.get("gates") or [])
    return "unknown" if closed or record.get("interrupted") else "passed"


def _figures(record: dict) -> list[tuple[str, str]]:
    figures = [("profile", str(record.get("profile", "?"))),
               ("workers", str(record.get("workers", "?"))),
               ("wall", f"{record['finished'] - record['started']:.1f} s")]
    for line in metrics.summary_lines(record["metrics"])[1:] if "metrics" in record else []:
        name, _, rest = line.partition("  ")
        figures.append((name.strip(), " ".join(rest.split())))
    boot = record.get("boot")
    if boot:
        figures.append(("boot to shell", f"{boot['boot_time_s']} s ({stages_text(boot)})"))
    for gate in record.get("gates") or []:
        figures.append((f"gate {gate['number']} ({gate['name']})",
                        "open" if gate["open"] else gate["reason"]))
    return figures


def _description(record: dict, chart: Path | None, folder: Path) -> str:
    lines = [f"<p>The whole run: {escape(str(record.get('workers')))} worker(s), "
             f"{record['finished'] - record['started']:.1f} s from start to end, "
             "builds and boots included.</p>"]
    if chart is not None:
        link = os.path.relpath(chart, folder.parent / "allure-report")
        lines.append(f'<p><a href="{escape(link)}">Gantt chart of the run</a> '
                     "(also attached below): one lane per worker.</p>")
    return "\n".join(lines)


def _copy(folder: Path, source: Path, name: str, mime: str, ext: str) -> dict:
    target = f"{uuid.uuid4()}-attachment.{ext}"
    shutil.copyfile(source, folder / target)
    return {"name": name, "source": target, "type": mime}


def _write(folder: Path, text: str, name: str, mime: str, ext: str) -> dict:
    target = f"{uuid.uuid4()}-attachment.{ext}"
    (folder / target).write_text(text)
    return {"name": name, "source": target, "type": mime}
