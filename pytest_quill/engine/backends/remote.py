"""Engines that do not share this machine's files, and images sent to them.

A bind mount is resolved on the engine's machine, so a remote engine gets the
build's files as archives instead (transfer.py). Remote means: DOCKER_HOST is
ssh://, or tcp:// to a host that is not a loopback address; QUILL_DOCKER_REMOTE=1
asks for archives with any engine (a loopback test engine, a tcp:// name that
happens to be this machine), QUILL_DOCKER_REMOTE=0 for bind mounts. An ssh://
engine is reached through the ssh program (ssh_relay.py).

A tcp:// engine is spoken to over TLS whenever the Docker environment asks for
it, read as the docker CLI and docker.from_env() read it: DOCKER_TLS_VERIFY
(any value but "") verifies the engine's certificate against ca.pem, and
DOCKER_CERT_PATH (default ~/.docker) holds ca.pem, cert.pem and key.pem. An
engine that wants TLS and is asked in plain HTTP says so in the probe's line.

Builder and base images are sent from this machine's engine when it has them
(docker save | docker load through the API) rather than built there: the same
image id keeps the artifact key of a local build, and the remote machine needs
no package mirror (the base is made with mmdebstrap, the toolchain from apt).
"""

from __future__ import annotations

import os
import time
from typing import BinaryIO
from urllib.parse import urlparse

import docker
import docker.errors
import docker.tls
import docker.utils
import requests

from ...errors import BenchError
from ...secrets import redact
from ..registry_target import is_loopback
from . import ssh_relay
from .docker_images import note

FORCE = "QUILL_DOCKER_REMOTE"
_LOCAL_SCHEMES = ("unix", "npipe", "fd")
_SSH_PROBE_S = 20  # a login and the docker CLI's start on the engine's host come first
_TLS_SCHEMES = ("tcp", "https")
TLS_ENVIRONMENT = "DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (its ca.pem, cert.pem, key.pem)"


def is_remote(url: str) -> bool:
    """Whether the engine at URL gets the files as archives (see the module's text)."""
    forced = os.environ.get(FORCE, "").strip().lower()
    if forced in ("1", "yes", "true"):
        return True
    if forced in ("0", "no", "false"):
        return False
    parsed = urlparse(url)
    if parsed.scheme in _LOCAL_SCHEMES or not parsed.scheme:
        return False
    if parsed.scheme == "ssh":
        return True
    return not is_loopback(parsed.hostname or "")


def engine_client(url: str, timeout: int | None) -> docker.DockerClient:
    """A client for URL; ssh:// goes through the ssh program (ssh_relay.py), tcp://
    over TLS when the Docker environment asks for it (tls_config)."""
    if url.startswith("ssh://"):
        return ssh_relay.Relay(url).client(timeout)
    return docker.DockerClient(base_url=url, timeout=timeout, tls=tls_config(url) or False)


def tls_config(url: str) -> docker.tls.TLSConfig | None:
    """The TLS settings DOCKER_TLS_VERIFY / DOCKER_CERT_PATH ask for, for a tcp://
    engine; None for plain HTTP or another kind of engine. BenchError naming the
    folder when its certificates are not all there."""
    if urlparse(url).scheme not in _TLS_SCHEMES:
        return None
    try:
        asked = docker.utils.kwargs_from_env(os.environ).get("tls")
        return asked and _EngineTLS(asked.cert, asked.ca_cert, asked.verify)
    except docker.errors.TLSParameterError:
        folder = os.environ.get("DOCKER_CERT_PATH") or os.path.expanduser("~/.docker")
        missing = [
            name
            for name in ("ca.pem", "cert.pem", "key.pem")
            if not os.path.isfile(os.path.join(folder, name))
        ]
        raise BenchError(
            f"DOCKER_CERT_PATH={folder}: no {', '.join(missing)} there; a TLS "
            "engine needs ca.pem, cert.pem and key.pem (see docs/remote-builds.md)"
        ) from None


class _EngineTLS(docker.tls.TLSConfig):
    """TLS with the engine's own CA: requests, trusting the environment, would
    verify against REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE instead of ca.pem (and
    refuse the engine); an engine on TLS is reached directly, not through a proxy."""

    def configure_client(self, client: docker.APIClient) -> None:
        super().configure_client(client)
        client.trust_env = False


def probe(url: str, timeout: int) -> str | None:
    """None when the engine at URL answers a ping within TIMEOUT s; else why not, in
    one line (for ssh://, what ssh or the docker CLI there said; for tcp://, a TLS
    mismatch said as such)."""
    relay = ssh_relay.Relay(url) if url.startswith("ssh://") else None
    timeout = max(timeout, _SSH_PROBE_S) if relay else timeout
    client = None
    try:
        client = relay.client(timeout) if relay else engine_client(url, timeout)
        client.ping()
    except BenchError as exc:
        return str(exc)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        said = relay.said() if relay else ""
        # The SDK wraps a timeout of its first request (the API version) in its own error.
        if (
            relay
            and not said
            and any(isinstance(error, requests.exceptions.Timeout) for error in (exc, exc.__cause__))
        ):
            said = f"no answer through ssh within {timeout} s"
        return (
            said
            or _tls_reason(url, exc)
            or redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        )
    finally:
        if client is not None:
            client.close()  # its connections: ssh processes, for an ssh:// engine
        if relay is not None:
            relay.close()
    return None


def _tls_reason(url: str, exc: Exception) -> str | None:
    """One line for a TLS mismatch between this client and the engine, else None."""
    said = f"{exc} {exc.__cause__ or ''}"
    if "HTTP request to an HTTPS server" in said:
        return (
            f"the engine wants TLS and was asked in plain HTTP: set {TLS_ENVIRONMENT}, as for the docker CLI"
        )
    if "CERTIFICATE_VERIFY_FAILED" in said or "certificate verify failed" in said:
        folder = os.environ.get("DOCKER_CERT_PATH") or os.path.expanduser("~/.docker")
        return (
            f"the engine's certificate is not signed by {folder}/ca.pem (certificate verify "
            "failed): refused; give DOCKER_CERT_PATH the folder of that engine's CA"
        )
    if tls_config(url) and ("WRONG_VERSION_NUMBER" in said or "wrong version number" in said):
        return (
            f"the engine does not speak TLS but {TLS_ENVIRONMENT.split(' (')[0]} ask for it: "
            "give its TLS port (2376) or unset them"
        )
    return None


def how_to_reach(url: str) -> str:
    """What to check when the engine at URL does not answer."""
    parsed = urlparse(url)
    if parsed.scheme != "ssh":
        return "start that engine"
    port = f"-p {parsed.port} " if parsed.port else ""
    user = f"{parsed.username}@" if parsed.username else ""
    return (
        f"check that `ssh {port}{user}{parsed.hostname} docker version` works from this "
        "machine (a key or agent that logs in without a prompt, the docker CLI on that host)"
    )


def has_image(client: docker.DockerClient, reference: str) -> bool:
    try:
        client.images.get(reference)
    except docker.errors.ImageNotFound:
        return False
    return True


def send_image(remote: docker.DockerClient, local_urls: list[str], tag: str, log: BinaryIO) -> bool:
    """Copy TAG from the first local engine that has it to REMOTE; False when none has it."""
    local = _local_with(local_urls, tag)
    if local is None:
        return False
    started = time.monotonic()
    image_id = local.images.get(tag).id
    for _ in remote.api.load_image(local.api.get_image(tag, chunk_size=1 << 20)):
        pass  # the engine's progress lines: the load is done when they end
    if remote.images.get(tag).id != image_id:
        raise BenchError(f"sending {tag}: the engine loaded another image than {image_id[:19]}")
    note(
        log,
        f"image {tag} = {image_id[:19]} sent from this machine's engine in "
        f"{time.monotonic() - started:.0f} s",
    )
    return True


def _local_with(urls: list[str], tag: str) -> docker.DockerClient | None:
    for url in urls:
        if url.startswith("unix://") and not os.path.exists(url[len("unix://") :]):
            continue
        try:
            client = engine_client(url, timeout=None)
            if has_image(client, tag):
                return client
        except (BenchError, docker.errors.DockerException, requests.exceptions.RequestException):
            continue
    return None
