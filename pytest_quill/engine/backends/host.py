"""Build on this machine with Debian's cross compilers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import BinaryIO

from ...proc import die_with_parent
from .base import Toolchain


class HostBackend:
    name = "host"
    images = None  # no image capability: recipes build their trees here

    def with_toolchain(self, toolchain: Toolchain) -> HostBackend:
        """The host's own tools serve every recipe."""
        return self

    def identity(self, tools: list[str]) -> str:
        """The first --version line of each tool: a new compiler is a new key."""
        lines = []
        for tool in tools:
            exe = shutil.which(tool)
            if exe is None:
                lines.append(f"{tool}: missing")
                continue
            out = subprocess.run([exe, "--version"], capture_output=True, text=True)
            first = (out.stdout or out.stderr).splitlines()[:1]
            lines.append(f"{tool}: {first[0] if first else 'unknown'}")
        return "host\n" + "\n".join(lines)

    def missing(self, tools: list[str]) -> list[str]:
        return [tool for tool in tools if shutil.which(tool) is None]

    def run(
        self, argv: list[str], *, cwd: Path, env: dict[str, str] | None, log: BinaryIO, timeout: float
    ) -> int:
        merged = {**os.environ, **(env or {})}
        # Its own process group, so an interrupted run kills the whole make tree;
        # and killed with us if pytest itself is killed (no orphan make in the tree).
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=merged,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            return proc.wait(timeout=timeout)
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
