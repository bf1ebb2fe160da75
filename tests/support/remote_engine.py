"""A second Docker engine for tests: dockerd on a free loopback TCP port, its
data, state and pidfile in a scratch folder, no TLS (loopback only), a bridge
of its own and no iptables rules (this machine's engine keeps docker0 and its
rules: `--bridge=none` would make dockerd delete docker0); stopped and removed
when the block ends. Its builds and commands use the host network."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import docker
import pytest
import requests

from pytest_quill.engine.backends import remote
from tests.support.services import free_tcp_port, stop

START_S = 60


@contextmanager
def remote_engine(certificates: Path | None = None):
    """tcp://127.0.0.1:PORT of a fresh engine that sees none of this machine's images;
    with CERTIFICATES (ca.pem, server-cert.pem, server-key.pem, and the client's
    cert.pem, key.pem) it speaks TLS only and verifies its clients."""
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("a second engine needs dockerd and root")
    # Short: containerd's socket lives under the exec root, and socket paths are bounded.
    folder = Path(tempfile.mkdtemp(prefix="qd-", dir="/tmp"))
    port = free_tcp_port()
    url = f"tcp://127.0.0.1:{port}"
    bridge = _own_bridge(f"qbr{port}", port)
    tls = (
        ["--tls=false"]
        if certificates is None
        else [
            "--tlsverify",
            "--tlscacert",
            str(certificates / "ca.pem"),
            "--tlscert",
            str(certificates / "server-cert.pem"),
            "--tlskey",
            str(certificates / "server-key.pem"),
        ]
    )
    argv = [
        "dockerd",
        "-H",
        url,
        *tls,
        f"--bridge={bridge}",
        "--iptables=false",
        "--ip-masq=false",
        "--data-root",
        str(folder / "data"),
        "--exec-root",
        str(folder / "exec"),
        "--pidfile",
        str(folder / "dockerd.pid"),
    ]
    try:
        with open(folder / "dockerd.log", "wb") as log:
            daemon = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        try:
            _wait_answering(url, daemon, folder / "dockerd.log", certificates)
            yield url
        finally:
            stop(daemon, 60)
    finally:
        subprocess.run(["ip", "link", "delete", bridge], capture_output=True)
        _unmount_under(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _unmount_under(folder: Path) -> None:
    """What dockerd leaves mounted in its exec root (its network namespace's file)."""
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted(p for p in points if p.startswith(f"{folder}/")):
        subprocess.run(["umount", "-l", point], capture_output=True)


def _own_bridge(name: str, port: int) -> str:
    """A bridge for the test engine alone, on a /24 of 10.213/16 picked by the port."""
    address = f"10.213.{port % 250 + 1}.1/24"
    for argv in (
        ["ip", "link", "add", name, "type", "bridge"],
        ["ip", "addr", "add", address, "dev", name],
        ["ip", "link", "set", name, "up"],
    ):
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["ip", "link", "delete", name], capture_output=True)
            pytest.skip(f"cannot make a bridge for a second engine: {done.stderr.strip()}")
    return name


def _wait_answering(url: str, daemon: subprocess.Popen, log: Path, certificates: Path | None) -> None:
    began = time.monotonic()
    while time.monotonic() - began < START_S:
        if daemon.poll() is not None:
            pytest.fail(f"dockerd exited ({daemon.returncode}): {log.read_text()[-800:]}")
        if _answers(url, certificates):
            return
        time.sleep(0.3)
    pytest.fail(f"dockerd did not answer on {url} within {START_S} s: {log.read_text()[-800:]}")


def _answers(url: str, certificates: Path | None) -> bool:
    """A plain engine answers a ping; a TLS one the plugin's own probe, as its clients see it."""
    if certificates is None:
        try:
            return bool(docker.DockerClient(base_url=url, timeout=5).ping())
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return False
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DOCKER_TLS_VERIFY", "1")
        env.setenv("DOCKER_CERT_PATH", str(certificates))
        return remote.probe(url, 5) is None


def bind_mounts(client) -> list[str]:
    """The bind mounts of every container on the engine (running or not)."""
    found = []
    for container in client.containers.list(all=True):
        attrs = container.attrs
        found += [m["Source"] for m in attrs.get("Mounts", []) if m.get("Type") == "bind"]
        found += attrs.get("HostConfig", {}).get("Binds") or []
    return found
