"""What a run is doing right now, read from its shared folder (the same files the
workers decide by: claims, results, build logs, console logs), so the controller
can tell it whatever process does the work, xdist or not.

poll() answers two things: the lines worth keeping (a step began, an artifact
was made or found cached, a gate opened or closed, a boot began) and one
status per thing still going, with its time and estimate.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..formats.terminal import strip_ansi
from .rundata import ArtifactResult, BootResult, GateResult, Json, from_json
from .steps import START, Step, clock, clock_s, estimate, steps_of

_WAITING = "waiting for what it is made from"
_FIRST_BOOT = re.compile(r"^console-first-boot-[\w]+\.log$")


@dataclass
class Progress:
    lines: list[str] = field(default_factory=list)  # new since the last poll
    going: dict[str, str] = field(default_factory=dict)  # what -> its status now


class RunWatch:
    """Polls one run folder; history(recipe) gives the recipe's expected steps."""

    def __init__(self, run_dir: Path, history: Callable[[str], dict[str, dict[str, int]]]):
        self.state = run_dir / "state"
        self.logs = run_dir / "logs"
        self.history = history
        self._steps: dict[str, str] = {}  # artifact -> the step last said
        self._said: set[str] = set()  # artifacts, gates and boots already told

    def poll(self, now: float | None = None) -> Progress:
        now = time.time() if now is None else now
        progress = Progress()
        if not self.state.is_dir():
            return progress
        for claim in sorted(self.state.glob("artifact-*.claim")):
            self._artifact(claim.stem.removeprefix("artifact-"), _read(claim), now, progress)
        for console in sorted(self.logs.glob("console-first-boot-*.log")):
            if _FIRST_BOOT.match(console.name):  # not QEMU's own log beside it
                self._boot(console, now, progress)
        for decided in sorted(self.state.glob("gate-*.json")) + sorted(self.state.glob("check-*.json")):
            self._decision(decided, progress)
        return progress

    def _artifact(self, name: str, claim: Json, now: float, progress: Progress) -> None:
        if name in self._said:
            return
        worker = claim.get("worker", "?")
        result = _read(self.state / f"artifact-{name}.json")
        if result:
            self._said.add(name)
            made = from_json(ArtifactResult, {"name": name, **result})
            progress.lines.append(f"{name} [{worker}] {_outcome(made)}")
            return
        steps = _log_steps(self.logs / f"{name}.log")
        if not steps:
            progress.going[name] = f"{name} [{worker}] {_WAITING}"
            return
        step = steps[-1]
        status = (
            f"{name} [{worker}] {_step_name(step)} "
            f"{clock((_clock_now(now) - step.start) % 86400)} "
            f"{estimate(step, _clock_now(now), self.history(name))}".rstrip()
        )
        progress.going[name] = status
        if self._steps.get(name) != step.label:
            self._steps[name] = step.label
            progress.lines.append(status)

    def _boot(self, console: Path, now: float, progress: Progress) -> None:
        worker = console.stem.rsplit("-", 1)[-1]
        what = f"boot-{worker}"
        began = console.stat().st_ctime
        if any(
            decided.start is not None and decided.end is not None and decided.start <= began <= decided.end
            for decided in self._decided()
        ):
            return  # the gate that booted is decided: its line says the boot
        took = now - began
        if what not in self._said:
            self._said.add(what)
            progress.lines.append(f"boot [{worker}] {clock(took)}, console log {console.name}")
        progress.going[what] = f"boot [{worker}] {clock(took)}: {_last_line(console)}"

    def _decision(self, path: Path, progress: Progress) -> None:
        if path.stem in self._said:
            return
        found = _read(path)
        if not found:
            return
        self._said.add(path.stem)
        decided = from_json(GateResult, found)
        boot = self._boot_event()
        progress.lines.append(decision_line(decided, boot if boot and _within(boot, decided) else None))

    def _decided(self) -> list[GateResult]:
        return [
            from_json(GateResult, found)
            for path in sorted(self.state.glob("gate-*.json"))
            if (found := _read(path))
        ]

    def _boot_event(self) -> BootResult | None:
        for events in sorted(self.state.glob("events-*.jsonl")):
            for line in events.read_text().splitlines():
                if '"kind": "boot"' in line:
                    return from_json(BootResult, json.loads(line))
        return None


def _within(boot: BootResult, decided: GateResult) -> bool:
    """Whether the boot was made by this decision (the boot gate's first boot)."""
    if None in (decided.start, boot.start, boot.end, decided.end):
        return False
    return decided.start <= boot.start <= decided.end  # type: ignore[operator]


def decision_line(decided: GateResult, boot: BootResult | None = None) -> str:
    """A gate or check as it was decided: open (in how long, or the BOOT it made),
    or its reason."""
    label = f"gate {decided.number} ({decided.name})" if decided.number else f"check {decided.name or '?'}"
    reason = decided.reason
    if not decided.open:  # its own cause, or behind the lower gate that closed
        return (
            reason
            if reason.startswith(label) or not decided.number
            else f"{label}: closed, {reason.split(' closed:')[0]} is"
        )
    if boot:
        return f"{label}: open, shell in {boot.boot_time_s} s ({stages_text(boot.stages)})"
    took = (
        f" in {decided.end - decided.start:.1f} s"
        if decided.start is not None and decided.end is not None
        else ""
    )
    return f"{label}: open{took}"


def stages_text(stages: Mapping[str, float] | None) -> str:
    """ "bootloader 1.2 s, kernel 3.4 s, shell 9.8 s": when each stage was reached."""
    reached = sorted((stages or {}).items(), key=lambda stage: stage[1])
    return ", ".join(f"{name} {at} s" for name, at in reached)


def _outcome(result: ArtifactResult) -> str:
    took = f"{result.end - result.start:.1f} s" if result.start is not None and result.end is not None else ""
    if result.failed:
        return f"failed: {result.error} (log: {result.log})"
    if result.pulled:
        return f"pulled from {result.pulled.reference} in {took}"
    return f"{result.status} in {took}" if result.status == "built" else result.status


def _step_name(step: Step) -> str:
    return "starting" if step.label == START else step.label


def _last_line(console: Path, tail: int = 4096) -> str:
    """The console's last words so far, as the reader would see them."""
    with open(console, "rb") as log:
        log.seek(max(0, console.stat().st_size - tail))
        said = strip_ansi(log.read().decode(errors="replace")).replace("\r", "\n")
    lines = [line.strip() for line in said.split("\n") if line.strip()]
    return lines[-1][:60] if lines else "(nothing yet)"


def _log_steps(log: Path) -> list[Step]:
    try:
        return steps_of(log.read_text(errors="replace"))
    except OSError:
        return []


def _clock_now(now: float) -> int:
    local = time.localtime(now)
    return clock_s(local.tm_hour, local.tm_min, local.tm_sec)


def _read(path: Path) -> Json:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # not there yet, or being written
