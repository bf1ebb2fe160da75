"""A minimal QMP client over a unix socket: power (quit, system_reset) and keys.

A QEMU that stops answering (stopped, hung, gone) is a DeviceLost naming the
command and how long it waited, never a raw socket error."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..errors import BenchError, DeviceLost
from .streams import connect_unix


class Qmp:
    def __init__(self, path: Path, timeout: float = 10):
        self.path = path
        self.timeout = timeout
        self._sock = connect_unix(path, timeout, what="QMP socket")
        self._sock.settimeout(timeout)
        self._file = self._sock.makefile("rwb")
        self._read("the greeting")
        self.execute("qmp_capabilities")

    def execute(self, command: str, arguments: dict | None = None) -> object:
        """Run command; its "return" value. Events in between are skipped."""
        message = {"execute": command, **({"arguments": arguments} if arguments else {})}
        try:
            self._file.write(json.dumps(message).encode() + b"\n")
            self._file.flush()
        except OSError as exc:
            raise DeviceLost(f"QMP {command} on {self.path} could not be sent: {exc}") from None
        while True:
            reply = self._read(command)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise BenchError(f"QMP {command} on {self.path}: {reply['error'].get('desc')}")

    def _read(self, what: str) -> dict:
        try:
            line = self._file.readline()
        except TimeoutError:
            raise DeviceLost(
                f"QMP {what}: QEMU did not answer within {self.timeout:.0f} s on {self.path}"
            ) from None
        except OSError as exc:  # after one timeout the socket file refuses every read
            raise DeviceLost(f"QMP {what} on {self.path} failed: {exc}") from None
        if not line:
            raise DeviceLost(f"QMP socket {self.path} closed (QEMU exited)")
        return json.loads(line)

    def close(self) -> None:
        # A command still buffered for a QEMU that is gone cannot be flushed: drop it.
        with contextlib.suppress(OSError):
            self._file.close()
        self._sock.close()
