"""An OpenSSH server on a loopback port, for what goes over ssh: a Docker engine
at ssh://, a labgrid exporter's storage and SD mux.

The programs under test call plain `ssh` (the Docker SDK, labgrid, rsync), as
they would with a user's own ~/.ssh/config. The tests never touch that file:
`bin/ssh` puts this server's client config (port, key, known host) in front,
and goes first on the PATH of the process under test (`Sshd.env`).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_tcp_port, stop

SSHD = "/usr/sbin/sshd"
_START_S = 15


@dataclass
class Sshd:
    folder: Path
    port: int
    process: subprocess.Popen

    host = "127.0.0.1"

    @property
    def bin_dir(self) -> Path:
        return self.folder / "bin"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """BASE (os.environ by default) with this server's `ssh` first on PATH."""
        env = dict(os.environ if base is None else base)
        env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"
        return env

    def run(self, command: str) -> subprocess.CompletedProcess:
        """COMMAND through this server, as the programs under test go through it."""
        return subprocess.run(
            [str(self.bin_dir / "ssh"), self.host, command], capture_output=True, text=True, timeout=60
        )

    def stop(self) -> None:
        stop(self.process, 10)


def start_sshd(folder: Path, session_env: dict[str, str] | None = None) -> Sshd:
    """sshd on 127.0.0.1, root logs in with a key of its own; SESSION_ENV is set
    in every session (sshd's SetEnv), PATH included."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_tcp_port()
    host_key, user_key = folder / "host_key", folder / "user_key"
    for key in (host_key, user_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (folder / "authorized_keys").write_text(user_key.with_suffix(".pub").read_text())
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key.with_suffix('.pub').read_text()}")
    (folder / "sshd_config").write_text(_server_config(folder, port, session_env or {}))
    (folder / "ssh_config").write_text(_client_config(folder, port))
    _write_wrapper(folder)
    Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation folder
    log = open(folder / "sshd.log", "wb")
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(folder / "sshd_config")],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Sshd(folder, port, process)
    _wait_until_answering(server)
    return server


def _server_config(folder: Path, port: int, session_env: dict[str, str]) -> str:
    lines = [
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {folder / 'host_key'}",
        f"PidFile {folder / 'sshd.pid'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "AllowStreamLocalForwarding yes",
    ]
    if session_env:  # one line: sshd takes the first SetEnv it reads
        lines.append("SetEnv " + " ".join(f'{name}="{value}"' for name, value in session_env.items()))
    return "\n".join(lines) + "\n"


def _client_config(folder: Path, port: int) -> str:
    return "\n".join(
        [
            "Host 127.0.0.1",
            f"  Port {port}",
            "  User root",
            f"  IdentityFile {folder / 'user_key'}",
            "  IdentitiesOnly yes",
            f"  UserKnownHostsFile {folder / 'known_hosts'}",
            "  StrictHostKeyChecking yes",
            "  BatchMode yes",
            "",
        ]
    )


def _write_wrapper(folder: Path) -> None:
    wrapper = folder / "bin" / "ssh"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F "{folder / "ssh_config"}" "$@"\n')
    wrapper.chmod(0o755)


def _wait_until_answering(server: Sshd) -> None:
    deadline = time.monotonic() + _START_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"sshd exited with {server.process.returncode}: "
                f"{(server.folder / 'sshd.log').read_text(errors='replace')}"
            )
        if server.run("true").returncode == 0:
            return
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"sshd did not let us in within {_START_S} s: "
                f"{(server.folder / 'sshd.log').read_text(errors='replace')}"
            )
        time.sleep(0.2)
