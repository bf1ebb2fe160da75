"""The content-addressed cache shared by runs: name/key -> a published folder.

An entry exists only once it is complete: builds write into a staging folder
and rename it into place. A lock per key makes a second run (or a second
checkout sharing the cache) wait for the first and then reuse its entry.
Staging folders found while holding the key's lock belong to a build that was
killed: they are removed, never trusted.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

META = "meta.json"


def default_cache() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "pytest-quill")


class Cache:
    def __init__(self, root: Path):
        self.root = root

    def entry(self, name: str, key: str) -> Path:
        return self.root / name / key

    def lookup(self, name: str, key: str) -> Path | None:
        path = self.entry(name, key)
        return path if (path / META).is_file() else None

    @contextmanager
    def lock(self, name: str, key: str):
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / f"{key}.lock")):
            self._remove_stale_staging(name, key)
            yield

    @contextmanager
    def staging(self, name: str, key: str):
        """A folder to build into; removed unless publish() took it."""
        path = self.root / name / f".staging-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        try:
            yield path
        finally:
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)

    def publish(self, staging: Path, name: str, key: str) -> Path:
        """Move a complete build into place (call with the key's lock held)."""
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
