"""The run record, reports/quill-run.json, merged by the controller from the
events every worker appended to the run's shared folder. Its shape is
documented in docs/record.md; SCHEMA_VERSION changes when a reader would
misread it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..errors import InputError
from ..report.progress import stages_text
from ..report.steps import START, steps_of
from .state import RunState, write_json_atomic

NAME = "quill-run.json"
SCHEMA_VERSION = 1


def build_record(state: RunState, header: dict) -> dict:
    events = state.events()
    by_kind: dict[str, list[dict]] = {}
    for event in events:
        by_kind.setdefault(event.pop("kind"), []).append(event)
    record = {
        "schema_version": SCHEMA_VERSION,
        **header,
        "finished": time.time(),
        "run_dir": str(state.dir),
        "artifacts": sorted(by_kind.get("artifact", []), key=lambda e: e["start"]),
        "gates": sorted(by_kind.get("gate", []), key=lambda e: e["number"]),
        "waits": sorted(by_kind.get("wait", []), key=lambda e: e["start"]),
        "tests": sorted(by_kind.get("test", []), key=lambda e: e["start"]),
    }
    boots = by_kind.get("boot", [])
    if boots:
        record["boot"] = min(boots, key=lambda e: e["start"])
    return record


def used_quill(record: dict) -> bool:
    """Only runs that built or gated something replace the last run's record."""
    return bool(record["artifacts"] or record["gates"])


def write_record(record: dict, reports: Path) -> Path:
    path = reports / NAME
    write_json_atomic(path, record)
    write_json_atomic(Path(record["run_dir"]) / NAME, record)
    return path


def read_record(path: Path) -> dict:
    """A record written by this version's shape; InputError in one line when the
    file is not JSON or of another schema version."""
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"run record {path}: none yet; a run that builds or gates something "
                         "writes it") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"run record {path}: unreadable ({exc}); delete it, the next run "
                         "writes it again") from None
    version = record.get("schema_version") if isinstance(record, dict) else None
    if version != SCHEMA_VERSION:
        raise InputError(f"run record {path}: schema version {version!r}, this pytest-quill "
                         f"reads {SCHEMA_VERSION}; rerun the suites to write it again")
    return record


def not_made(record: dict, names, logs: Path) -> list[str]:
    """The artifacts an interrupted run did not make, each with where it was."""
    made = {art["name"] for art in record["artifacts"] if art["status"] != "failed"}
    missing = []
    for name in names:
        if name in made:
            continue
        try:
            steps = steps_of((logs / f"{name}.log").read_text(errors="replace"))
        except OSError:
            steps = []
        at = steps[-1].label if steps and steps[-1].label != START else ""
        missing.append(f"{name} (stopped at {at})" if at else
                       f"{name} (started)" if steps else f"{name} (not started)")
    return missing


def summary_lines(record: dict, relpath) -> list[str]:
    lines = [f"profile {record['profile']}, {record['workers']} worker(s), "
             f"backend {record.get('backend', '?')}"]
    if record.get("interrupted"):
        lines.append("interrupted: not made: " + (", ".join(record.get("not_made") or []) or
                                                  "nothing (all made)"))
    for gate in record["gates"]:
        label = f"gate {gate['number']} ({gate['name']})"
        if gate["open"]:
            lines.append(f"{label}: open")
        elif gate["reason"].startswith(label):
            lines.append(gate["reason"])
        else:
            lines.append(f"{label}: closed, {gate['reason'].split(' closed:')[0]} is")
    for art in record["artifacts"]:
        took = art["end"] - art["start"]
        lines.append(f"{art['name']:<8} {art['status']:<7} {took:7.1f} s on {art['worker']}"
                     f"  log: {art['log']}{_shared(art)}")
    lines += _boot_lines(record.get("boot"), relpath)
    card = next((art for art in record["artifacts"] if art["name"] == "sdcard"
                 and "card.img" in art.get("files", [])), None)
    if card:
        lines.append(f"card image: {Path(card['path']) / 'card.img'}")
    lines.append(f"logs: {relpath(Path(record['run_dir']) / 'logs')}")
    return lines


def _shared(art: dict) -> str:
    """Where a shared cache's copy came from or went (the reference has no credentials)."""
    for kind, word in (("pulled", "from"), ("pushed", "pushed to")):
        if art.get(kind):
            return f"  {word} {art[kind]['reference']} in {art[kind]['seconds']:.1f} s"
    return ""


def _boot_lines(boot: dict | None, relpath) -> list[str]:
    if not boot:
        return []
    budget = f" (budget {boot['budget_s']} s)" if boot.get("budget_s") else ""
    lines = [f"boot: shell in {boot['boot_time_s']} s{budget} on {boot.get('worker', '?')}: "
             f"{stages_text(boot)}"]
    if boot.get("log"):
        lines.append(f"boot console log: {relpath(Path(boot['log']))}")
    return lines
