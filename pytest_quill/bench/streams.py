"""Byte streams a console reads: a connected socket (QEMU) or a pyserial port (a board)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import serial

from ..errors import BenchError, DeviceLost

_POLL_S = 0.1  # how long a read waits, so a closing console is noticed quickly


class ByteStream(Protocol):
    def read(self) -> bytes:
        """Bytes received, b"" when none came within a short poll; EOFError at the end."""

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class SocketStream:
    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._sock.settimeout(_POLL_S)

    def read(self) -> bytes:
        try:
            data = self._sock.recv(4096)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise EOFError(str(exc)) from None
        if not data:
            raise EOFError("the socket was closed by the other end")
        return data

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise DeviceLost(f"the console socket failed: {exc}") from None

    def close(self) -> None:
        self._sock.close()


class SerialStream:
    def __init__(self, port: serial.SerialBase):
        self._port = port
        self._port.timeout = _POLL_S

    def read(self) -> bytes:
        try:
            return self._port.read(max(1, self._port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise EOFError(str(exc)) from None

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceLost(f"serial port {self._port.port} failed: {exc}") from None

    def close(self) -> None:
        self._port.close()


def connect_unix(
    path: Path, timeout: float, what: str, alive: Callable[[], bool] = lambda: True
) -> socket.socket:
    """Connect once QEMU has made the socket; it appears a moment after QEMU starts."""
    deadline = time.monotonic() + timeout
    while alive():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise BenchError(f"{what} {path}: QEMU did not open it within {timeout:.0f} s") from None
            time.sleep(0.05)
    raise BenchError(f"{what} {path}: QEMU exited before opening it")
