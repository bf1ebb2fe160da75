"""The run's shared folder: what every worker of one run can see.

Workers are separate processes (xdist), so anything decided once per run
lives here as files: a claim (created with O_EXCL: exactly one worker wins),
a result (written to a temp file and renamed: readers never see half of it),
and one append-only event file per worker (no two writers share a file).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from ..proc import pid_alive

POLL_S = 0.2


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


class RunState:
    def __init__(self, run_dir: Path, worker: str):
        self.dir = run_dir
        self.worker = worker
        self.state = run_dir / "state"
        self.logs = run_dir / "logs"
        self._events = self.state / f"events-{worker}.jsonl"

    def _ensure(self) -> None:
        """The folder appears on first use: runs that build nothing leave nothing."""
        self.state.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)

    def used(self) -> bool:
        """Did this run claim, decide or build anything yet?"""
        return self.state.is_dir()

    def claim(self, what: str) -> bool:
        """True for exactly one worker of the run: the one that does `what`."""
        self._ensure()
        try:
            fd = os.open(self.state / f"{what}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as claim:
            json.dump({"worker": self.worker, "pid": os.getpid(), "host": socket.gethostname()},
                      claim)
        return True

    def claimed(self, what: str) -> bool:
        return (self.state / f"{what}.claim").exists()

    def claimant_gone(self, what: str) -> str | None:
        """The claimant's worker id when its process died without a result."""
        try:
            claim = json.loads((self.state / f"{what}.claim").read_text())
        except (OSError, ValueError):
            return None  # being written right now
        if claim.get("host") != socket.gethostname():
            return None
        return None if pid_alive(claim["pid"]) else claim["worker"]

    def publish(self, what: str, data: dict) -> None:
        self._ensure()
        write_json_atomic(self.state / f"{what}.json", data)

    def result(self, what: str) -> dict | None:
        try:
            return json.loads((self.state / f"{what}.json").read_text())
        except FileNotFoundError:
            return None

    def event(self, kind: str, **fields) -> None:
        self._ensure()
        line = json.dumps({"kind": kind, "worker": self.worker, **fields}, sort_keys=True)
        with open(self._events, "a") as events:
            events.write(line + "\n")

    def events(self) -> list[dict]:
        found = []
        if not self.state.is_dir():
            return found
        for path in sorted(self.state.glob("events-*.jsonl")):
            for line in path.read_text().splitlines():
                if line.strip():
                    found.append(json.loads(line))
        return found


def wait_until(ready, on_idle, poll: float = POLL_S):
    """Call ready() until it returns something; on_idle() may do useful work meanwhile."""
    while True:
        value = ready()
        if value is not None:
            return value
        if not on_idle():
            time.sleep(poll)
