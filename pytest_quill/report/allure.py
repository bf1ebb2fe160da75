"""Allure: the plan's labels for each test, the run-level files, attachments.

Run-level files (environment.properties, categories.json) and the cleaning of
the results folder belong to the xdist controller only: workers writing or
cleaning them race each other (--clean-alluredir does).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import allure
import pytest
from allure_commons.types import AttachmentType

from ..digest import file_sha256
from ..engine.cache import META, SUMS
from ..engine.meta import BadMeta, Meta, read_meta
from ..errors import QuillError
from .rundata import ArtifactResult, RunRecord, as_record
from .streams import story_of

EPIC = "Nook typewriter MVP"

# Attachment kinds -> Allure types; any other kind is an extension, shown as text.
KINDS = {
    "text": AttachmentType.TEXT,
    "log": AttachmentType.TEXT,
    "json": AttachmentType.JSON,
    "svg": AttachmentType.SVG,
    "html": AttachmentType.HTML,
    "png": AttachmentType.PNG,
    "csv": AttachmentType.CSV,
    "xml": AttachmentType.XML,
}

# A failure message as allure-pytest writes it: "[module.]Class: text", or
# "Skipped: gate N (name) closed: <root failure>" for a test behind a closed gate.
_SKIPPED = r"^(?:Skipped: )?"
_GATE_CLOSED = r"gate \d \(\w+\) closed: "


def _error_classes() -> dict[str, str]:
    """Class name -> kind, for every failure class loaded (those of errors.py
    and their subclasses elsewhere, e.g. artifacts.ArtifactUnavailable)."""
    found, todo = {}, [QuillError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls.kind
        todo.extend(cls.__subclasses__())
    return found


def _category(
    name: str,
    statuses: list[str],
    kinds: tuple[str, ...],
    gates: tuple[int, ...] = (),
    also: tuple[str, ...] = (),
) -> dict:
    """One Allure category: a failure class of these kinds raised (or a class
    in also), or the kind named after a closed gate's reason, or (when the
    reason names no kind) one of these gates closed. Java Allure 2
    full-matches, Allure 3 searches: the regex is anchored and ends in
    [\\s\\S]* so that both read it the same."""
    classes = [c for c, kind in _error_classes().items() if kind in kinds] + list(also)
    alternatives = [rf"(?:[\w.]*\.)?(?:{'|'.join(classes)})\b", rf"{_GATE_CLOSED}(?:{'|'.join(kinds)}): "]
    if gates:
        any_kind = "|".join(sorted(set(_error_classes().values())))
        alternatives.append(rf"gate [{''.join(map(str, gates))}] \(\w+\) closed: (?!(?:{any_kind}): )")
    return {
        "name": name,
        "matchedStatuses": statuses,
        "messageRegex": rf"{_SKIPPED}(?:{'|'.join(alternatives)})[\s\S]*",
    }


def categories() -> list[dict]:
    """categories.json: in report order; the messages they match do not overlap."""
    return [
        _category("Bench / infrastructure", ["broken", "skipped"], ("bench",), gates=(3,)),
        _category("Input (bad profile or option)", ["failed", "broken", "skipped"], ("input",)),
        _category(
            "Build (artifact not made or not verified)",
            ["failed", "broken", "skipped"],
            ("build", "verify"),
            gates=(1, 2),
        ),
        _category("Boot (no shell, panic, reset)", ["failed", "broken", "skipped"], ("boot",), gates=(4,)),
        _category("Product defect", ["failed", "broken"], ("product",), also=("AssertionError",)),
    ]


def labels_for(
    nodeid: str, markers: Iterable[pytest.Mark], stream: str | None = None
) -> list[tuple[str, str]]:
    """(label, value) pairs of a test: epic, feature and parentSuite = its
    stream (the plan's: Plan.stream_of), story = its task set, a tag per gate(n)
    marker and for hardware. markers: the item's marks (anything with .name and .args)."""
    labels = [("epic", EPIC)]
    story = story_of(nodeid)
    if stream:
        labels += [("feature", stream), ("parentSuite", stream)]
    if story:
        labels.append(("story", story))
    for mark in markers:
        if mark.name == "gate" and mark.args:
            labels.append(("tag", f"gate {mark.args[0]}"))
        elif mark.name == "hardware":
            labels.append(("tag", "hardware"))
    return labels


def label_marks(
    nodeid: str, markers: Iterable[pytest.Mark], stream: str | None = None
) -> list[pytest.MarkDecorator]:
    """labels_for as the marks allure-pytest reads: item.add_marker(each)."""
    return [allure.label(name, value) for name, value in labels_for(nodeid, markers, stream)]


def attach_file(path: str | Path, name: str, kind: str = "text") -> bool:
    """Attach a file to the running test (a log, the uImage header, a
    manifest...). kind: a key of KINDS, else a file extension shown as text
    ("toml", "dts"). False when the file does not exist: a missing log must
    not hide the failure being reported."""
    return _attach(allure.attach.file, path, name, kind)


def attach_run_file(path: str | Path, name: str, kind: str = "text") -> bool:
    """Attach a file to the whole run (the Gantt, the profile): controller only,
    at session finish, while allure-pytest is still configured."""
    return _attach(allure.global_attach.file, path, name, kind)


def _attach(attach: Callable[..., object], path: str | Path, name: str, kind: str) -> bool:
    source = Path(path)
    if not source.is_file():
        return False
    if kind in KINDS:
        attach(str(source), name=name, attachment_type=KINDS[kind])
    else:  # allure-pytest only keeps an extension given with a plain mime type
        attach(str(source), name=name, attachment_type="text/plain", extension=kind)
    return True


# pytest's own finalizers of a fixture, which allure-pytest shows as teardown
# steps named after them: a yield fixture's teardown is a functools.partial
# (shown by its index), the bookkeeping after it a lambda.
_FINALIZER_NAMES = {"_teardown_yield_fixture": "teardown", "<lambda>": "done"}


def name_finalizers(finalizers: list[Callable[[], object]]) -> None:
    """Give pytest's unnamed fixture finalizers the names the report shows."""
    for finalizer in finalizers:
        inner = getattr(finalizer, "func", finalizer)  # a partial's function
        shown = _FINALIZER_NAMES.get(getattr(inner, "__name__", ""))
        if shown and getattr(finalizer, "__name__", None) != shown:
            try:
                finalizer.__name__ = shown
            except (AttributeError, TypeError):
                pass  # a builtin: allure-pytest shows its index, as before


def write_run_files(
    results_dir: str | Path,
    record: RunRecord | Mapping[str, Any],
    profile_name: str,
    extra_env: Mapping[str, object] | None = None,
    meta_types: Mapping[str, type[Meta]] | None = None,
) -> list[Path]:
    """environment.properties and categories.json (controller only); META_TYPES: each
    artifact's meta class, whose environment() adds to the artifact's entries."""
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    entries = {
        **environment(record, profile_name, meta_types),
        **{k: str(v) for k, v in (extra_env or {}).items()},
    }
    properties = folder / "environment.properties"
    properties.write_text(
        "".join(f"{_escape(k, True)}={_escape(v, False)}\n" for k, v in entries.items()), encoding="utf-8"
    )
    categories_file = folder / "categories.json"
    categories_file.write_text(json.dumps(categories(), indent=2) + "\n", encoding="utf-8")
    return [properties, categories_file]


def environment(
    record: RunRecord | Mapping[str, Any],
    profile_name: str,
    meta_types: Mapping[str, type[Meta]] | None = None,
) -> dict[str, str]:
    """What the run was made of: profile, backend, tool versions, commit, the
    artifacts' keys, what their meta shows (the kernel release) and the sha256 of
    their files."""
    record = as_record(record)
    entries = {"profile": profile_name, "backend": record.backend, "workers": str(record.workers)}
    for artifact in record.artifacts:
        entries.update(_artifact_entries(artifact, (meta_types or {}).get(artifact.name)))
    entries["qemu"] = _first_line(["qemu-system-arm", "--version"])
    entries["u-boot-qemu"] = _first_line(["dpkg-query", "-W", "-f=${Version}", "u-boot-qemu"])
    entries["git.commit"] = _git_commit(record.project or ".")
    for name, value in (record.metrics or {}).items():
        if isinstance(value, (int, float)):
            entries[f"metrics.{name}"] = str(value)
    return {k: v for k, v in entries.items() if v}


def _artifact_entries(artifact: ArtifactResult, meta_type: type[Meta] | None) -> dict[str, str]:
    name = artifact.name or "?"
    entries = {f"{name}.key": artifact.key, f"{name}.status": artifact.status}
    for kind, copy in (("pulled", artifact.pulled), ("pushed", artifact.pushed)):
        if copy:
            entries[f"{name}.{kind}"] = f"{copy.reference} in {copy.seconds:.1f} s"
    folder = Path(artifact.path) if artifact.path else None
    if folder is None or not folder.is_dir():
        return entries
    if meta_type is not None:
        try:
            shown = read_meta(folder, meta_type).environment()
        except BadMeta as bad:  # the run read it: changed since, by hand
            shown = {"meta": str(bad)}
        entries.update({f"{name}.{key}": value for key, value in shown.items()})
    for path in sorted(
        p for p in folder.iterdir() if p.is_file() and p.name not in (META, SUMS) and p.suffix != ".log"
    ):
        entries[f"{name}.{path.name}.sha256"] = file_sha256(path)
    return entries


def _first_line(argv: list[str]) -> str:
    """A tool's answer, or "not found" (the report still says it was looked for)."""
    lines = (_output(argv) or "").splitlines()
    return lines[0] if lines else "not found"


def _output(argv: list[str]) -> str | None:
    """stdout of a command that succeeded, else None."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _git_commit(project: str) -> str:
    git = ["git", "-C", project]
    commit = _output(git + ["rev-parse", "--short=12", "HEAD"])
    if not commit:
        return ""
    changed = _output(git + ["status", "--porcelain", "--untracked-files=no"])
    return f"{commit}+dirty" if changed else commit


def _escape(text: str, is_key: bool) -> str:
    """Java .properties escaping: backslash, line breaks, and in keys the
    separators and spaces."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if is_key:
        for char in " =:#!":
            text = text.replace(char, "\\" + char)
    return text
