"""A TCP proxy on loopback that passes requests through at once and hands the answers back
a few bytes at a time, slowly: a registry behind a link that trickles, each wait short
enough for any read timeout, the whole transfer too long to wait for."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 16  # bytes handed back per step


@contextmanager
def trickle_proxy(upstream: str, pause_s: float = 0.05) -> Iterator[str]:
    """host:port of a proxy to UPSTREAM (host:port) until the block ends; every answer
    comes back CHUNK bytes every PAUSE_S seconds."""
    host, _, port = upstream.rpartition(":")
    listener = socket.create_server(("127.0.0.1", 0))
    open_sockets: list[socket.socket] = [listener]
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection((host, int(port)))
            open_sockets.extend((client, server))
            threading.Thread(target=pump, args=(client, server, 0.0), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, pause_s), daemon=True).start()

    def pump(source: socket.socket, sink: socket.socket, pause: float) -> None:
        try:
            while data := source.recv(CHUNK if pause else 1 << 16):
                if pause:
                    time.sleep(pause)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        for end in open_sockets:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()
