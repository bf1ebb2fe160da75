"""What a recipe gets: where to write, where to log, how to run a tool."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any, Generic, TypeVar

from ..errors import BenchError, BuildError
from ..profile import Profile
from ..secrets import redact
from .backends.base import Backend
from .logscan import first_error_line
from .meta import Meta
from .space import NO_SPACE, disk_full_line

STEP = "step: "  # a log line "[quill HH:MM:SS] step: LABEL" starts a step
_SHELLS = {"sh", "bash", "dash"}
M = TypeVar("M", bound=Meta)


def step_label(argv: list) -> str:
    """A command as a short step name: `make -j2 -C /t O=/o ARCH=arm zImage modules`
    is "make zImage modules", `sh /x/fetch-packages.sh /w armhf` "fetch-packages.sh armhf"."""
    words = [str(word) for word in argv]
    program, rest = os.path.basename(words[0]) if words else "?", words[1:]
    if program in _SHELLS and rest[:1] in (["-c"], ["-ec"]):
        script = rest[1].split() if len(rest) > 1 else [program]
        return " ".join(list(takewhile(lambda word: not set(word) & set("<>|;&"), script))[:3])
    if program in _SHELLS and rest and not rest[0].startswith("-"):
        program, rest = os.path.basename(rest[0]), rest[1:]
    plain = [
        word
        for word in rest
        if word and not word.startswith("-") and not any(char in word for char in "=/ ") and len(word) <= 24
    ]
    return " ".join([program, *plain[:3]])


@dataclass(frozen=True)
class Artifact(Generic[M]):
    """A published artifact: a folder of files plus meta.json (meta: its recipe's
    Meta, read and checked by engine/meta.py)."""

    name: str
    key: str
    path: Path
    status: str  # built | cached | pulled
    log: Path
    meta: M

    def file(self, relative: str) -> Path:
        return self.path / relative


@dataclass
class BuildContext:
    name: str
    profile: Profile
    out: Path  # empty folder; published atomically when build() returns
    log_path: Path
    backend: Backend
    deps: dict[str, Artifact[Any]]
    jobs: int  # make -j: leaves room for the other artifact built beside this one
    work_root: Path  # persistent workspaces (incremental trees) under the cache
    project_root: Path

    def note(self, message: str) -> None:
        with open(self.log_path, "a") as log:  # a URL's password never reaches the log
            log.write(f"[quill {time.strftime('%H:%M:%S')}] {redact(message)}\n")

    def step(self, label: str) -> None:
        """Mark where the build is: the live progress shows LABEL from here on,
        and the next build of the recipe estimates it from this one."""
        self.note(STEP + label)

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path | None = None,
        env: dict | None = None,
        timeout: float = 3600,
        check: bool = True,
        step: str | None = None,
    ) -> int:
        """Run a tool through the backend, its output appended to the log; a step
        of its own (named STEP, else after the tool and its plain words)."""
        self.step(step or step_label(argv))
        self.note("$ " + " ".join(str(a) for a in argv))
        start = os.path.getsize(self.log_path) if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            code = self.backend.run(
                [str(a) for a in argv], cwd=cwd or self.out, env=env, log=log, timeout=timeout
            )
        if code != 0 and check:
            said = self._said_since(start)
            full = [line.strip() for line in said.splitlines() if NO_SPACE in line]
            if full:  # the disk, not the recipe: where, and how much space there is
                raise BenchError(disk_full_line(cwd or self.out, said=full[0]), log=str(self.log_path))
            raise BuildError(first_error_line(said), log=str(self.log_path))
        return code

    def workspace(self, label: str) -> Path:
        path = self.work_root / label
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def scratch(self, label: str) -> Iterator[Path]:
        """A fresh folder under workspace(label) for a tree made in steps (an
        unpacked source, an exported image): removed when the block ends, however
        it ends (a half-extracted tree never stays behind). Move what must stay
        out of it (os.replace) before the block ends."""
        path = self.workspace(label) / f".scratch-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def _said_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")
