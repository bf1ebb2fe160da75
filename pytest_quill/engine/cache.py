"""The content-addressed cache shared by runs: name/key -> a published folder.

An entry exists only once it is complete: builds write into a staging folder
and rename it into place. A lock per key makes a second run (or a second
checkout sharing the cache) wait for the first and then reuse its entry; the
holder writes who it is beside the lock, so the waiter can say whom it waits
for, and the wait has a bound (QUILL_LOCK_WAIT_S). Staging folders found
while holding the key's lock belong to a build that was killed: they are
removed, never trusted.

Nor is a published entry trusted by its path: publish() records the sha256 of
each of its files in SHA256SUMS (`sha256sum -c SHA256SUMS` checks it by hand),
and damage() compares them again before any reuse.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..digest import file_sha256
from ..errors import BenchError, InputError
from ..proc import pid_alive
from .meta import META
from .space import disk_full_line, folder_bytes, is_disk_full

SUMS = "SHA256SUMS"
LOCK_WAIT_ENV = "QUILL_LOCK_WAIT_S"
DEFAULT_LOCK_WAIT_S = 3600.0


def default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "pytest-quill")


def lock_wait_s() -> float:
    """How long a run waits for another run's build of the same key ($QUILL_LOCK_WAIT_S)."""
    text = os.environ.get(LOCK_WAIT_ENV, "")
    if not text.strip():
        return DEFAULT_LOCK_WAIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise InputError(f"{LOCK_WAIT_ENV}={text}: must be a finite number of seconds greater than 0")
    return seconds


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def entry(self, name: str, key: str) -> Path:
        return self.root / name / key

    def lookup(self, name: str, key: str) -> Path | None:
        path = self.entry(name, key)
        return path if (path / META).is_file() else None

    @contextmanager
    def lock(
        self, name: str, key: str, on_wait: Callable[[str], None] | None = None, wait_s: float | None = None
    ) -> Iterator[str]:
        """Hold the key's lock; yields "" or, when another run held it, the line that
        said so (also given to on_wait the moment the wait begins). BenchError naming
        the holder after wait_s (default $QUILL_LOCK_WAIT_S, else an hour)."""
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        lock, owner_file = FileLock(str(folder / f"{key}.lock")), folder / f".{key}.owner.json"
        waited = ""
        try:
            lock.acquire(timeout=0)
        except Timeout:
            bound = lock_wait_s() if wait_s is None else wait_s
            holder = describe_owner(read_owner(owner_file))
            waited = (
                f"waiting for {name} {key}: another run is building it ({holder}); "
                f"giving up after {bound:.0f} s ({LOCK_WAIT_ENV})"
            )
            if on_wait:
                on_wait(waited)
            started = time.monotonic()
            try:
                lock.acquire(timeout=bound, poll_interval=0.5)
            except Timeout:
                holder = describe_owner(read_owner(owner_file))
                raise BenchError(
                    f"gave up after {time.monotonic() - started:.0f} s waiting for "
                    f"{name} {key}: another run still builds it ({holder}); "
                    f"{LOCK_WAIT_ENV} sets the bound"
                ) from None
            waited += f"; waited {time.monotonic() - started:.0f} s"
        try:
            write_owner(owner_file)
            self._remove_stale_staging(name, key)
            yield waited
        finally:
            owner_file.unlink(missing_ok=True)
            lock.release()

    @contextmanager
    def staging(self, name: str, key: str) -> Iterator[Path]:
        """A folder to build into; removed unless publish() took it. Disk full while it
        fills: BenchError naming the path, the space and what the build had written."""
        path = self.root / name / f".staging-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir(parents=True)
            yield path
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            written = folder_bytes(path)
            shutil.rmtree(path, ignore_errors=True)  # first: the free space said is real
            raise BenchError(disk_full_line(Path(exc.filename or path), written=written)) from None
        finally:
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)

    def publish(self, staging: Path, name: str, key: str) -> Path:
        """Record the sums of a complete build and move it into place (call with the
        key's lock held)."""
        record_sums(staging)
        target = self.entry(name, key)
        if target.exists():  # --quill-rebuild: the old entry goes, the new one comes in whole
            trash = target.with_name(f".trash-{key}-{uuid.uuid4().hex[:8]}")
            os.rename(target, trash)
            os.rename(staging, target)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(staging, target)
        return target

    def _remove_stale_staging(self, name: str, key: str) -> None:
        for stale in (self.root / name).glob(f".staging-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in (self.root / name).glob(f".trash-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)


def record_sums(folder: Path) -> None:
    lines = [f"{file_sha256(path)}  {name}\n" for name, path in entry_files(folder).items()]
    (folder / SUMS).write_text("".join(lines))


def entry_files(folder: Path) -> dict[str, Path]:
    """Every file of an entry but its sums, by its path in the entry."""
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path != folder / SUMS
    }


def damage(folder: Path) -> str:
    """What of an entry differs from the sums publish() recorded: "" when nothing.
    A missing, changed or added file, or unreadable sums, is damage."""
    try:
        recorded = read_sums(folder / SUMS)
    except FileNotFoundError:
        return f"{SUMS} is missing, so its files cannot be checked"
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return f"{SUMS} is unreadable: {error}"
    present = entry_files(folder)
    missing = sorted(recorded.keys() - present.keys())
    added = sorted(present.keys() - recorded.keys())
    if missing:
        return f"{missing[0]} is missing"
    if added:
        return f"{added[0]} is not among the files its build recorded"
    for name, path in present.items():
        if file_sha256(path) != recorded[name]:
            return f"{name} differs from the sha256 recorded when it was built"
    return ""


def read_sums(path: Path) -> dict[str, str]:
    """sha256sum's text format: "<64 hex digits>  <path>" per line."""
    sums = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        digest, gap, name = line.partition("  ")
        if not gap or len(digest) != 64 or digest.strip("0123456789abcdef") or not name:
            raise ValueError(f'line {number} is not "<sha256>  <file>"')
        sums[name] = digest
    return sums


def write_owner(path: Path) -> None:
    """Who holds the lock, for a run that has to wait: pid, host, since when."""
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(), "cwd": os.getcwd()}
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(owner))
    os.replace(temporary, path)


def read_owner(path: Path, patience_s: float = 1.0) -> dict[str, Any] | None:
    """The holder's record. It writes it just after taking the lock, so allow a
    moment; a record of a dead process of this machine (killed) is not the holder's."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            owner = json.loads(path.read_text())
            if owner.get("host") != socket.gethostname() or pid_alive(int(owner["pid"])):
                return owner
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def describe_owner(owner: dict[str, Any] | None) -> str:
    if not owner:
        return "holder unknown: it left no owner file"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(owner.get("since", 0)))
    ago = max(0, time.time() - owner.get("since", 0))
    return (
        f"pid {owner.get('pid')} on {owner.get('host')} since {since}, {ago / 60:.0f} min "
        f"ago, in {owner.get('cwd')}"
    )
