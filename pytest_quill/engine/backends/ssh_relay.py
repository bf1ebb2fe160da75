"""An ssh:// engine reached through a unix socket of this process.

The Docker SDK's own ssh transport starts one `ssh HOST docker system
dial-stdio` per request and never keeps it (0.34 s a request over loopback;
a build command makes ~15), ignores read timeouts (a container's wait
would never time out), needs paramiko even when it runs the ssh program, and
leaves ssh's messages on stderr. Here a socket in a private folder stands for
the engine: each connection to it is one `ssh ... docker system dial-stdio`,
so the SDK's ordinary unix transport keeps its timeouts, and (in one pool,
client()) its connections; ssh's messages go to a log whose last line says why
an engine does not answer. `ssh` is the user's own program: their config, keys
and agent.
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlparse

import docker
from docker.transport.unixconn import UnixHTTPAdapter

_CHUNK = 1 << 16
_EXIT_S = 10  # an ssh whose client left: time to end by itself (else terminated)
# A host that never answers: ssh says so itself (within remote.py's probe of 20 s),
# and a session whose process is gone does not wait on it for ever.
_CONNECT_S = 15


def ssh_argv(url: str) -> list[str]:
    """The ssh command that reaches the engine of ssh://[USER@]HOST[:PORT], as the
    docker CLI runs it."""
    parsed = urlparse(url)
    return [
        "ssh",
        "-T",
        "-o",
        f"ConnectTimeout={_CONNECT_S}",
        *(["-l", parsed.username] if parsed.username else []),
        *(["-p", str(parsed.port)] if parsed.port else []),
        "--",
        parsed.hostname or "",
        "docker",
        "system",
        "dial-stdio",
    ]


class _OnePool(UnixHTTPAdapter):
    """The SDK's unix transport keeps a pool per request URL (each container's
    id is a new one), so nearly every request would pay a new ssh login: one
    pool for all."""

    def get_connection(self, url: str, proxies: dict[str, str] | None = None) -> Any:
        return super().get_connection(self.socket_path, proxies)


class _RelayedClient(docker.DockerClient):
    relay_closed: weakref.finalize

    def close(self) -> None:
        super().close()  # its connections: their ssh sessions end
        self.relay_closed()  # the socket and its thread: no thread left behind


class Relay:
    """A socket standing for the engine at an ssh:// URL, until close()."""

    def __init__(self, url: str):
        self.argv = ssh_argv(url)
        self._folder = Path(tempfile.mkdtemp(prefix="quill-ssh-"))
        self.socket_path = self._folder / "docker.sock"
        self.log = self._folder / "ssh.log"
        self.log.touch()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.socket_path))
        self._server.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def client(self, timeout: int | None) -> docker.DockerClient:
        """A client of the engine; the relay closes with it (or when it is gone)."""
        made = _RelayedClient(base_url=f"unix://{self.socket_path}", timeout=timeout)
        made.api.get_adapter("http+docker://localhost").close()  # the API version's
        made.api.mount("http+docker://", _OnePool(f"http+unix://{self.socket_path}", timeout))
        made.relay_closed = weakref.finalize(made, self.close)
        return made

    def said(self) -> str:
        """ssh's last line in the log ('' when it said nothing)."""
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return lines[-1].strip() if lines else ""

    def close(self) -> None:
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept()
        except OSError:
            pass
        self._server.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client: socket.socket) -> None:
        """One connection: bytes both ways until either side ends."""
        with open(self.log, "ab") as log:
            # Its own session: a Ctrl-C meant for pytest does not cut a request in half.
            ssh = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True
            )
        # Both PIPEs; stdout buffered (the default), so read1 returns what is there.
        to_ssh, from_ssh = cast(IO[bytes], ssh.stdin), cast(io.BufferedReader, ssh.stdout)
        upstream = threading.Thread(target=_client_to_ssh, args=(client, ssh, to_ssh), daemon=True)
        upstream.start()
        _ssh_to_client(from_ssh, client)
        try:
            client.shutdown(socket.SHUT_RDWR)  # wakes the upstream thread's recv
        except OSError:
            pass
        upstream.join()
        client.close()
        ssh.wait()
        from_ssh.close()


def _client_to_ssh(client: socket.socket, ssh: subprocess.Popen[bytes], to_ssh: IO[bytes]) -> None:
    try:
        while data := client.recv(_CHUNK):
            to_ssh.write(data)
            to_ssh.flush()
    except OSError:
        pass  # either side gone: the connection is over
    try:
        to_ssh.close()  # dial-stdio ends the engine's connection, then ssh ends
    except OSError:
        pass
    try:
        ssh.wait(timeout=_EXIT_S)
    except subprocess.TimeoutExpired:
        ssh.terminate()  # still connecting to an unreachable host: nobody waits for it


def _ssh_to_client(from_ssh: io.BufferedReader, client: socket.socket) -> None:
    try:
        while data := from_ssh.read1(_CHUNK):
            client.sendall(data)
    except OSError:
        pass
