"""An empty Redis server for ccache's remote storage: Debian's redis-server on a
free loopback port, no persistence, a scratch folder; stopped when the block
ends. Used by the ccache benchmark and the ccache e2e tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

START_S = 20


class RedisUnavailable(RuntimeError):
    pass


@contextmanager
def redis_server():
    """redis://127.0.0.1:PORT of a fresh, empty server."""
    program = shutil.which("redis-server")
    if program is None:
        raise RedisUnavailable("redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="quill-bench-redis-"))
    port = free_port()
    server = subprocess.Popen(
        [
            program,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_answering(port, server, folder / "redis.log")
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_answering(port: int, server: subprocess.Popen, log: Path) -> None:
    began = time.monotonic()
    while time.monotonic() - began < START_S:
        if server.poll() is not None:
            raise RedisUnavailable(
                f"redis-server exited ({server.returncode}): {log.read_text()[-500:] if log.exists() else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RedisUnavailable(f"redis-server did not answer on 127.0.0.1:{port} in {START_S} s")
