"""A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8) on a
free loopback port, its storage in a test's folder, with or without htpasswd users, and
stopped within a bound whatever the test did to it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.registry_token import TokenServer
from tests.support.services import free_tcp_port, stop

SERVER = "docker-registry"
READY_WAIT_S = 15.0
STOP_WAIT_S = 5.0


@dataclass
class RegistryServer:
    host: str  # host:port, as a reference names it
    storage: Path  # distribution's filesystem storage root
    log: Path
    process: subprocess.Popen

    def repository(self, name: str = "quill/artifacts") -> str:
        return f"{self.host}/{name}"

    def blob_file(self, digest: str) -> Path:
        """Where distribution keeps a blob's bytes ("sha256:<hex>")."""
        hex_digest = digest.removeprefix("sha256:")
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def missing_tools() -> str:
    """ "" when a registry (and htpasswd for its users) can run here, else what is missing."""
    absent = [tool for tool in (SERVER, "htpasswd") if shutil.which(tool) is None]
    return ", ".join(absent)


@contextmanager
def registry_server(
    folder: Path,
    users: dict[str, str] | None = None,
    address: str = "127.0.0.1",
    tls: bool = False,
    token: TokenServer | None = None,
) -> Iterator[RegistryServer]:
    """A registry listening on ADDRESS:<free port> until the block ends. USERS (name ->
    password) turn htpasswd authentication on (bcrypt, as distribution requires), TOKEN
    Bearer tokens from that server instead; TLS serves HTTPS with a self-signed
    certificate for ADDRESS (folder/cert.pem)."""
    folder.mkdir(parents=True, exist_ok=True)
    storage, log = folder / "storage", folder / "registry.log"
    host = f"{address}:{free_tcp_port_on(address)}"
    config = folder / "config.yml"
    config.write_text(
        server_config(
            host,
            storage,
            folder / "htpasswd" if users else None,
            self_signed(folder, address) if tls else None,
        )
        + (token.auth_config() if token else "")
    )
    if users:
        write_htpasswd(folder / "htpasswd", users)
    with open(log, "wb") as log_stream:
        process = subprocess.Popen(
            [SERVER, "serve", str(config)],
            stdout=log_stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = RegistryServer(host, storage, log, process)
    try:
        wait_ready(server, folder / "cert.pem" if tls else None)
        yield server
    finally:
        if process.poll() is None:
            stop(process, STOP_WAIT_S)


def free_tcp_port_on(address: str) -> int:
    """tests.support.services' free port, on another address than loopback when asked."""
    if address == "127.0.0.1":
        return free_tcp_port()
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def server_config(
    host: str, storage: Path, htpasswd: Path | None, tls: tuple[Path, Path] | None = None
) -> str:
    auth = f"auth:\n  htpasswd:\n    realm: quill-tests\n    path: {htpasswd}\n" if htpasswd else ""
    https = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n" if tls else ""
    return (
        f"version: 0.1\n"
        f"log:\n  level: info\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
        f"  delete:\n    enabled: true\n"
        f"http:\n  addr: {host}\n  secret: quill-tests-only\n{https}"
        f"{auth}"
    )


def self_signed(folder: Path, address: str) -> tuple[Path, Path]:
    """A certificate for ADDRESS (an IP) and its key, valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={address}",
            "-addext",
            f"subjectAltName=IP:{address}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def write_htpasswd(path: Path, users: dict[str, str]) -> None:
    lines = [
        subprocess.run(
            ["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True
        ).stdout.strip()
        for user, password in users.items()
    ]
    path.write_text("\n".join(lines) + "\n")


def wait_ready(server: RegistryServer, cert: Path | None = None) -> None:
    """Until /v2/ answers (200, or 401 with authentication), over HTTPS trusting CERT when
    given; the server's log on failure."""
    url = f"https://{server.host}/v2/" if cert else f"http://{server.host}/v2/"
    deadline = time.monotonic() + READY_WAIT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{SERVER} ended with {server.process.returncode}: {server.log.read_text()[-2000:]}"
            )
        try:
            answer = requests.get(url, timeout=1, verify=str(cert) if cert else True)
            if answer.status_code in (200, 401):
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"{SERVER} did not answer on {server.host} within {READY_WAIT_S:.0f} s: "
        f"{server.log.read_text()[-2000:]}"
    )


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine's own that is not loopback (where a registry
    counts as remote), or None when the machine has none."""
    shown = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True, check=False
    ).stdout
    for line in shown.splitlines():
        fields = line.split()
        if "inet" in fields:
            return fields[fields.index("inet") + 1].partition("/")[0]
    return None
