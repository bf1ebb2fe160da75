"""Servers the tests start on loopback (dockerd, redis, labgrid, ser2net, a QEMU's
console): a free port for them, and a stop that never leaves one behind."""

from __future__ import annotations

import socket
import subprocess


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen, wait_s: float) -> None:
    """SIGTERM, then SIGKILL when it has not ended within wait_s."""
    process.terminate()
    try:
        process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
