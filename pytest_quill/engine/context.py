"""What a recipe gets: where to write, where to log, how to run a tool."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError
from ..profile import Profile
from .backends.base import Backend
from .logscan import first_error_line


@dataclass(frozen=True)
class Artifact:
    """A published artifact: a folder of files plus meta.json."""

    name: str
    key: str
    path: Path
    status: str  # built | cached
    log: Path
    meta: dict = field(default_factory=dict)

    def file(self, relative: str) -> Path:
        return self.path / relative


@dataclass
class BuildContext:
    name: str
    profile: Profile
    out: Path  # empty folder; published atomically when build() returns
    log_path: Path
    backend: Backend
    deps: dict[str, Artifact]
    jobs: int  # make -j: leaves room for the other artifact built beside this one
    work_root: Path  # persistent workspaces (incremental trees) under the cache
    project_root: Path

    def note(self, message: str) -> None:
        with open(self.log_path, "a") as log:
            log.write(f"[quill {time.strftime('%H:%M:%S')}] {message}\n")

    def run(self, argv: list[str], *, cwd: Path | None = None, env: dict | None = None,
            timeout: float = 3600, check: bool = True) -> int:
        """Run a tool through the backend, its output appended to the log."""
        self.note("$ " + " ".join(str(a) for a in argv))
        start = os.path.getsize(self.log_path) if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            code = self.backend.run([str(a) for a in argv], cwd=cwd or self.out, env=env,
                                    log=log, timeout=timeout)
        if code != 0 and check:
            raise BuildError(self._error_since(start), log=str(self.log_path))
        return code

    def workspace(self, label: str) -> Path:
        path = self.work_root / label
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _error_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return first_error_line(log.read().decode(errors="replace"))
