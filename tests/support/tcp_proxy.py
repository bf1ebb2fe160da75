"""A TCP proxy on loopback with a bad link's faults: answers that trickle back a
few bytes at a time (a registry each of whose waits is short enough for any read
timeout, the whole transfer too long to wait for), or a connection cut once the
answers show a pattern (a serial server that drops the console mid-boot)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 16  # bytes handed back per step when trickling
_CONNECT_S = 30  # the upstream may start listening a moment after the client came


@contextmanager
def tcp_proxy(upstream: str, trickle_s: float = 0.0, cut_once_at: bytes | None = None) -> Iterator[str]:
    """host:port of a proxy to UPSTREAM (host:port) until the block ends. With
    TRICKLE_S, every answer comes back CHUNK bytes every TRICKLE_S seconds; with
    CUT_ONCE_AT, the first connection whose answers show it is closed at both ends
    (later connections pass untouched)."""
    host, _, port = upstream.rpartition(":")
    listener = socket.create_server(("127.0.0.1", 0))
    open_sockets: list[socket.socket] = [listener]
    cut = threading.Event()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = _connect(host, int(port))
            open_sockets.extend((client, server))
            watch = None if cut.is_set() else cut_once_at
            threading.Thread(target=pump, args=(client, server, 0.0, None), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, trickle_s, watch), daemon=True).start()

    def pump(source: socket.socket, sink: socket.socket, pause: float, watch: bytes | None) -> None:
        seen = b""
        try:
            while data := source.recv(CHUNK if pause else 1 << 16):
                if pause:
                    time.sleep(pause)
                sink.sendall(data)
                seen = (seen + data)[-4096:]
                if watch is not None and watch in seen and not cut.is_set():
                    cut.set()
                    break
        except OSError:
            pass
        finally:
            for end in (source, sink):
                _shut(end)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        for end in open_sockets:
            _shut(end)
            end.close()


def _connect(host: str, port: int) -> socket.socket:
    deadline = time.monotonic() + _CONNECT_S
    while True:
        try:
            return socket.create_connection((host, port))
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _shut(end: socket.socket) -> None:
    try:
        end.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
