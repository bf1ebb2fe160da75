"""One container's life on an engine: its output pumped into the log, its exit
awaited with a bound, and containers of dead processes of this machine reaped."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from typing import BinaryIO

import docker
import docker.errors
import requests
from docker.models.containers import Container

from ...errors import BenchError
from ...proc import pid_alive

OWNER_LABEL = "io.pytest-quill.owner"  # host:pid of the process that made a container


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def copy_output(container: Container, log: BinaryIO) -> None:
    try:
        for chunk in container.logs(stream=True, follow=True):
            log.write(chunk)
            log.flush()
    except (requests.exceptions.RequestException, docker.errors.APIError):
        pass  # the container was removed under the stream (timeout, interrupt): nothing left


def wait(container: Container, argv: list[str], timeout: float) -> int:
    started = time.monotonic()
    try:
        return container.wait(timeout=timeout)["StatusCode"]
    except requests.exceptions.RequestException as exc:
        # The SDK reports a read timeout as a ConnectionError: the clock tells them apart.
        if time.monotonic() - started >= timeout:
            raise subprocess.TimeoutExpired(argv, timeout) from None
        raise BenchError(f"Docker engine stopped answering while running {argv[0]}: {exc}") from None


def start_and_wait(container: Container, argv: list[str], log: BinaryIO, timeout: float) -> int:
    """Start the container, its output pumped into LOG; its exit code (the caller removes it)."""
    container.start()
    pump = threading.Thread(target=copy_output, args=(container, log), daemon=True)
    pump.start()
    code = wait(container, argv, timeout)
    pump.join(timeout=30)
    return code


def remove_orphans(client: docker.DockerClient) -> None:
    """Containers left by a process of this machine that died without cleaning up (SIGKILL)."""
    host = socket.gethostname()
    # Other processes remove their containers meanwhile (and may reap the same orphan).
    for container in client.containers.list(all=True, filters={"label": OWNER_LABEL}, ignore_removed=True):
        owner_host, _, pid = container.labels.get(OWNER_LABEL, "").rpartition(":")
        if owner_host == host and pid.isdigit() and not pid_alive(int(pid)):
            try:
                container.remove(force=True)
            except docker.errors.APIError:
                pass  # gone, or being removed by another reaper (409): either way not ours to do
