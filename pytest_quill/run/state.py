"""The run's shared folder: what every worker of one run can see.

Workers are separate processes (xdist), so anything decided once per run
lives here as files: a claim (written whole beside, then linked into place:
exactly one worker wins, and nobody sees it half written), a result (written
to a temp file and renamed: readers never see half of it), and one
append-only event file per worker (no two writers share a file).

No wait here is unbounded: a claim that stays unreadable, or whose worker
could not write its result (a full disk, a read-only folder: it withdraws the
claim), is a BenchError naming the folder for whoever waits on it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..engine.space import disk_full_line, is_disk_full
from ..errors import BenchError
from ..proc import pid_alive

# How often a waiting worker looks for another's result. Every hand-over on the
# run's critical path (artifact -> gate -> boot -> the other workers' devices)
# waits half of it on average; a look is two small file reads.
POLL_S = 0.05
# A claim is never seen half written; one unreadable this long was damaged.
CLAIM_STALE_S = 5.0
# What the shared folder's files hold: JSON objects (report/rundata.py reads run data from them).
Json = dict[str, Any]
T = TypeVar("T")


def write_json_atomic(path: Path, data: Json) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def unwritable(path: Path, error: OSError) -> BenchError:
    """The one line for a write the run's folder refused."""
    if is_disk_full(error):
        return BenchError(disk_full_line(path))
    return BenchError(
        f"cannot write {path}: {error.strerror or error}; the run's folder must be writable (--quill-reports)"
    )


class RunState:
    def __init__(self, run_dir: Path, worker: str):
        self.dir = run_dir
        self.worker = worker
        self.state = run_dir / "state"
        self.logs = run_dir / "logs"
        self._events = self.state / f"events-{worker}.jsonl"

    def _ensure(self) -> None:
        """The folder appears on first use: runs that build nothing leave nothing."""
        for folder in (self.state, self.logs):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise unwritable(folder, error) from None

    def used(self) -> bool:
        """Did this run claim, decide or build anything yet?"""
        return self.state.is_dir()

    def claim(self, what: str) -> bool:
        """True for exactly one worker of the run: the one that does `what`.
        BenchError naming the path when the claim cannot be written."""
        self._ensure()
        draft = self.state / f".{what}.claim.{os.getpid()}"
        try:
            draft.write_text(
                json.dumps({"worker": self.worker, "pid": os.getpid(), "host": socket.gethostname()})
            )
            os.link(draft, self.state / f"{what}.claim")  # EEXIST: another worker won
        except FileExistsError:
            return False
        except OSError as error:
            raise unwritable(draft, error) from None
        finally:
            draft.unlink(missing_ok=True)
        return True

    def claimed(self, what: str) -> bool:
        return (self.state / f"{what}.claim").exists()

    def claimant_gone(self, what: str) -> str | None:
        """The claimant's worker id when its process died without a result.
        BenchError naming the folder when its claim was withdrawn (its result could
        not be written) or stays unreadable (damaged: claims appear whole)."""
        path = self.state / f"{what}.claim"
        try:
            claim = json.loads(path.read_text())
        except (OSError, ValueError):
            self._unreadable_claim(what, path)  # raises unless it may yet appear
            return None
        if claim.get("host") != socket.gethostname():
            return None
        return None if pid_alive(claim["pid"]) else str(claim["worker"])

    def claimant(self, what: str) -> str:
        """Who claimed `what`, in words."""
        try:
            claim = json.loads((self.state / f"{what}.claim").read_text())
            return f"worker {claim['worker']} (pid {claim['pid']} on {claim['host']})"
        except (OSError, ValueError, KeyError, TypeError):
            return "its claimant"

    def _unreadable_claim(self, what: str, path: Path) -> None:
        """BenchError when the claim is withdrawn or damaged; a moment for a new one."""
        if (self.state / f"{what}.withdrawn").exists():
            raise BenchError(
                f"{what} given up: its worker could not write its result in "
                f"{self.state} (disk full or read-only); free space there or "
                "choose another --quill-reports"
            )
        try:
            info = path.stat()
        except OSError as error:
            raise BenchError(
                f"{path}: claimed, then gone without a result ({error.strerror}); "
                f"the run's folder {self.state} was changed from outside: "
                "run again"
            ) from None
        age = time.time() - info.st_mtime
        if age < CLAIM_STALE_S:
            return  # a moment for a filesystem that shows a new file late
        found = "empty" if info.st_size == 0 else "not a claim"
        raise BenchError(
            f"{path}: {found} for {age:.0f} s and nobody is writing it; the "
            f"run's folder {self.state} is damaged (a full disk?): free space "
            "there, then run again"
        )

    def publish(self, what: str, data: Json) -> None:
        """The result of `what`, for every worker. When it cannot be written, the claim
        is withdrawn (nobody waits for it any more) and BenchError names the path."""
        path = self.state / f"{what}.json"
        try:
            self._ensure()
            write_json_atomic(path, data)
        except (OSError, BenchError) as error:
            self._withdraw(what)
            raise error if isinstance(error, BenchError) else unwritable(path, error) from None

    def _withdraw(self, what: str) -> None:
        """A rename, which needs no free space."""
        try:
            os.rename(self.state / f"{what}.claim", self.state / f"{what}.withdrawn")
        except OSError:
            pass  # withdrawn already

    def result(self, what: str) -> Json | None:
        try:
            return json.loads((self.state / f"{what}.json").read_text())
        except FileNotFoundError:
            return None

    def event(self, kind: str, **fields: Any) -> None:
        self._ensure()
        line = json.dumps({"kind": kind, "worker": self.worker, **fields}, sort_keys=True)
        try:
            with open(self._events, "a") as events:
                events.write(line + "\n")
        except OSError as error:
            raise unwritable(self._events, error) from None

    def events(self) -> list[Json]:
        found: list[Json] = []
        if not self.state.is_dir():
            return found
        for path in sorted(self.state.glob("events-*.jsonl")):
            for line in path.read_text(errors="replace").splitlines():
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue  # blank, or cut short by a full disk: the rest still counts
        return found


def wait_until(ready: Callable[[], T | None], on_idle: Callable[[], bool], poll: float = POLL_S) -> T:
    """Call ready() until it returns something; on_idle() may do useful work meanwhile."""
    while True:
        value = ready()
        if value is not None:
            return value
        if not on_idle():
            time.sleep(poll)
