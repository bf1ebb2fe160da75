"""A bound on a whole pull from the shared cache. The per-request timeouts bound each wait
for more bytes, so a registry that trickles a byte now and then would never trip them: a
pull gets a deadline, and when it passes every connection the pull has used is shut down,
which ends a read that is still waiting at once. The transport's connections say, on each
request, which pull they serve (the deadline of their thread).

A slower pull is not worth waiting for: the artifact is built here instead."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager, ProxyManager

_active = threading.local()  # the deadline of the pull this thread is doing, if any


@dataclass(frozen=True)
class PullBound:
    """How long a pull may take: a floor (the manifest, small entries), plus its bytes at
    the slowest rate worth waiting for."""

    floor_s: float = 60.0
    bytes_per_s: float = 512 * 1024

    def seconds(self, size: int) -> float:
        return self.floor_s + size / self.bytes_per_s


class Deadline:
    """While the block runs, this thread's requests are cut when SECONDS have passed since
    its start (extend_to moves the end once the pull's size is known)."""

    def __init__(self, seconds: float):
        self.started = time.monotonic()
        self.seconds = seconds
        self.expired = False
        self._connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._done = False
        self._watcher = threading.Thread(target=self._watch, name="quill-registry-deadline", daemon=True)

    def __enter__(self) -> Deadline:
        _active.deadline = self
        self._watcher.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        _active.deadline = None
        self._done = True
        self._changed.set()
        self._watcher.join()

    def extend_to(self, seconds: float) -> None:
        self.seconds = seconds
        self._changed.set()

    def watch(self, connection: HTTPConnection) -> None:
        with self._lock:
            if connection not in self._connections:
                self._connections.append(connection)
            expired = self.expired
        if expired:
            _cut(connection)

    def _watch(self) -> None:
        while not self._done:
            self._changed.clear()
            left = self.started + self.seconds - time.monotonic()
            if left <= 0:
                with self._lock:
                    self.expired = True
                    connections = list(self._connections)
                for connection in connections:
                    _cut(connection)
                return
            self._changed.wait(left)


def _cut(connection: HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already


class _Watched(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline = getattr(_active, "deadline", None)
        if deadline is not None:
            deadline.watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPS(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _Watched


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPS


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, its connections (direct or through an HTTP proxy) watched."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # a SOCKS proxy keeps its own connections
            _watched(manager)
        return manager


def _watched(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
