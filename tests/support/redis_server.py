"""A Redis server for ccache's remote storage: Debian's redis-server on a free
loopback port, no persistence, its folder a scratch one; stopped when the block
ends. Used by the ccache e2e tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tests.support.services import free_tcp_port, stop

START_S = 20


class RedisUnavailable(RuntimeError):
    pass


@contextmanager
def redis_server():
    """redis://127.0.0.1:PORT of a fresh, empty server."""
    program = shutil.which("redis-server")
    if program is None:
        raise RedisUnavailable("redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="quill-redis-"))
    port = free_tcp_port()
    server = subprocess.Popen(
        [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_answering(port, server, folder / "redis.log")
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(server, 20)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_answering(port: int, server: subprocess.Popen, log: Path) -> None:
    began = time.monotonic()
    while time.monotonic() - began < START_S:
        if server.poll() is not None:
            raise RedisUnavailable(f"redis-server exited ({server.returncode}): "
                                   f"{log.read_text()[-500:] if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RedisUnavailable(f"redis-server did not answer on 127.0.0.1:{port} in {START_S} s")
