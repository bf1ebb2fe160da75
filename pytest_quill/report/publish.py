"""What the controller leaves behind once the run record is made: the Gantt
in reports/, and in the Allure results the run-level files and attachments.
Controller only (workers share the results folder and would race)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..engine.meta import Meta
from . import allure, gantt
from .rundata import RunRecord, as_record


def publish_run(
    record: RunRecord | Mapping[str, Any],
    reports_dir: str | Path,
    results_dir: str | Path | None,
    profile_path: str | Path | None = None,
    extra_env: Mapping[str, object] | None = None,
    meta_types: Mapping[str, type[Meta]] | None = None,
) -> list[Path]:
    """Write reports/gantt.svg; with Allure on (results_dir not None) also
    environment.properties, categories.json, and the Gantt and the profile
    as run-level attachments (META_TYPES: each artifact's meta class, for what
    the environment shows of it). Returns the files written."""
    made = as_record(record)
    chart = gantt.write(made, Path(reports_dir) / "gantt.svg")
    if results_dir is None:
        return [chart]
    written = allure.write_run_files(results_dir, made, made.profile, extra_env, meta_types)
    allure.attach_run_file(chart, "run gantt", "svg")
    if profile_path is not None:
        allure.attach_run_file(profile_path, "hardware profile", "toml")
    return [chart, *written]
