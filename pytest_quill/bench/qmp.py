"""A minimal QMP client over a unix socket: power (quit, system_reset) and keys."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..errors import BenchError
from .streams import connect_unix


class Qmp:
    def __init__(self, path: Path, timeout: float = 10):
        self.path = path
        self._sock = connect_unix(path, timeout, what="QMP socket")
        self._sock.settimeout(timeout)
        self._file = self._sock.makefile("rwb")
        self._read()  # the greeting
        self.execute("qmp_capabilities")

    def execute(self, command: str, arguments: dict | None = None) -> object:
        """Run command; its "return" value. Events in between are skipped."""
        message = {"execute": command, **({"arguments": arguments} if arguments else {})}
        self._file.write(json.dumps(message).encode() + b"\n")
        self._file.flush()
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise BenchError(f"QMP {command} on {self.path}: {reply['error'].get('desc')}")

    def _read(self) -> dict:
        line = self._file.readline()
        if not line:
            raise BenchError(f"QMP socket {self.path} closed (QEMU exited)")
        return json.loads(line)

    def close(self) -> None:
        # A command still buffered for a QEMU that is gone cannot be flushed: drop it.
        with contextlib.suppress(OSError):
            self._file.close()
        self._sock.close()

