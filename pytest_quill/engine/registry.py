"""Artifacts shared across machines through an OCI registry, with ORAS (the `oras` package).

A published cache entry is one OCI manifest tagged "<artifact name>-<cache key>" in the
user's repository (`host[:port]/repository`): its meta.json is the config blob, every other
file one layer titled with its path in the entry. SHA256SUMS stays local: the manifest's
digests are the registry's sums.

A pull reads the manifest, writes each blob into a scratch folder and hashes the written
file against the manifest's digest and size itself (a registry, its storage or a proxy may
hand back other bytes); the caller publishes the folder by rename, so a failed pull leaves
nothing behind. Every failure is a RegistryError in one line, and never carries a
credential: whatever a library says is redacted first.

Each request is tried once, with a timeout: a registry that is down or stops answering is a
miss that the run builds past, not the two minutes of back-off oras would spend retrying.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path, PurePosixPath
from typing import Any

import oras.defaults
import oras.oci
import oras.provider
import requests
from oras.auth.token import TokenAuth
from oras.container import Container

from ..digest import file_sha256
from ..errors import BenchError, InputError
from .cache import META, damage, entry_files

MODES = ("rw", "pull", "off")
META_TYPE = "application/vnd.pytest-quill.meta.v1+json"
FILE_TYPE = "application/vnd.pytest-quill.file.v1"
TITLE = "org.opencontainers.image.title"
ANNOTATION_NAME = "io.github.pytest-quill.artifact"
ANNOTATION_KEY = "io.github.pytest-quill.key"
USER_ENV, PASSWORD_ENV = "QUILL_REGISTRY_USER", "QUILL_REGISTRY_PASSWORD"
INSECURE_HINT = "plain HTTP is used only on loopback or when insecure is asked for"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
CHUNKED_ABOVE = 32 << 20  # larger blobs go up in chunks, not read into memory whole
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)"
                         r"[a-z0-9]+)*)*")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class RegistryError(BenchError):
    """The shared cache could not be used: the run says so in one line and builds."""

    kind = "registry"


@dataclass(frozen=True)
class Transfer:
    reference: str  # host/repository:tag, never with credentials
    seconds: float
    files: int
    bytes: int


@dataclass(frozen=True)
class Target:
    host: str  # host[:port]
    repository: str
    insecure: bool

    @property
    def scheme(self) -> str:
        return "http" if self.insecure or is_loopback(self.host) else "https"

    def reference(self, tag: str) -> str:
        return f"{self.host}/{self.repository}:{tag}"


def parse_target(text: str, insecure: bool = False) -> Target:
    """`host[:port]/repository` (InputError naming what is wrong otherwise)."""
    given = text.strip()
    if "://" in given:
        raise InputError(f"cache registry {given!r}: write host:port/repository without a "
                         f"scheme ({INSECURE_HINT})")
    if "@" in given:
        raise InputError(f"cache registry {redact_userinfo(given)!r}: no credentials or digest "
                         f"in the reference; credentials come from Docker's config (docker "
                         f"login) or {USER_ENV}/{PASSWORD_ENV}")
    host, _, repository = given.partition("/")
    if not host or not ("." in host or ":" in host or host == "localhost"):
        raise InputError(f"cache registry {given!r}: start with the registry's host, as in "
                         f"registry.example.org/team/quill or 127.0.0.1:5000/quill")
    if not _REPOSITORY.fullmatch(repository):
        raise InputError(f"cache registry {given!r}: the repository after the host must be "
                         f"lowercase path components (a-z 0-9 . _ -), without a tag")
    return Target(host, repository, insecure)


def redact_userinfo(text: str) -> str:
    """A reference with the part before '@' hidden (where a URL would carry user:password)."""
    before, _, after = text.rpartition("@")
    return f"***@{after}" if before else text


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1, with or without a port ([::1]:5000)."""
    name = host[1:].partition("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0] \
        if host.count(":") == 1 else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in MODES:
        raise InputError(f"cache registry mode {text!r}: use one of {', '.join(MODES)}")
    return mode


def docker_config_path(environ: Mapping[str, str]) -> Path:
    """Docker's own rule: $DOCKER_CONFIG/config.json, else ~/.docker/config.json."""
    folder = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(folder) / "config.json"


def docker_auth_config(environ: Mapping[str, str]) -> dict:
    """The credential parts of Docker's config (auths, credsStore, credHelpers), as oras
    reads them; oras alone would read ~/.docker only and ignore $DOCKER_CONFIG."""
    path = docker_config_path(environ)
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        return {"auths": {}}
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: Docker config unreadable ({type(error).__name__}); fix it, "
                         f"or point DOCKER_CONFIG at another folder") from None
    if not isinstance(config, dict):
        raise InputError(f"{path}: Docker config is not a JSON object; fix it, or point "
                         f"DOCKER_CONFIG at another folder")
    return {"auths": config.get("auths") or {}, "credsStore": config.get("credsStore"),
            "credHelpers": config.get("credHelpers") or {}}


class _TimedSession(requests.Session):
    """Every request with a bound: connecting, and each wait for more bytes."""

    def request(self, method: str, url: str,  # type: ignore[override]
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
        return super().request(method, url, **kwargs)


class _ChallengeAuth(TokenAuth):
    """Bearer tokens where the registry asks for them (GHCR, Docker Hub, GitLab, Harbor),
    Basic where it asks for that (distribution with htpasswd): oras' token backend would
    take a Basic realm for a token server's address."""

    basic_asked = False

    def authenticate_request(self, original: requests.Response, headers: dict | None,
                             refresh: bool = False) -> tuple[dict, bool]:
        challenge = original.headers.get("Www-Authenticate", "")
        if not challenge.lower().startswith("basic"):
            headers, _answered = super().authenticate_request(original, headers, refresh)
        elif getattr(self, "_basic_auth", None):
            self.basic_asked = True
            headers = {**(headers or {}), **self.preemptive_header()}
        # Unanswered, the request goes once more and its 401 reaches our message; oras
        # would raise a bare "Cannot respond to request for authentication" instead.
        return headers or {}, True

    def preemptive_header(self) -> dict:
        """Once the registry asked for Basic, send it at once (no body sent twice)."""
        secret = getattr(self, "_basic_auth", None)
        return {"Authorization": f"Basic {secret}"} if self.basic_asked and secret else {}


class _Client(oras.provider.Registry):
    """oras' registry client, one try per request, its last HTTP status kept for the
    message when a call fails."""

    def __init__(self, target: Target):
        super().__init__(hostname=target.host, insecure=target.scheme == "http")
        self.session = _TimedSession()
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # as oras does
        self.auth = _ChallengeAuth()
        self.auth.session, self.auth.prefix = self.session, self.prefix
        self.auth._tls_verify = self._tls_verify
        self.last_status = 0

    def do_request(self, url: str, method: str = "GET", data: dict | bytes | None = None,
                   headers: dict | None = None, json: dict | None = None,
                   stream: bool = False) -> requests.Response:
        headers = {**(headers or {}), **self.auth.preemptive_header()}
        self.last_status = 0
        response = oras.provider.Registry.do_request.__wrapped__(  # past oras' retry loop
            self, url, method, data, headers, json, stream)
        self.last_status = response.status_code
        return response


class ArtifactRegistry:
    """The shared cache at TARGET in MODE "rw" or "pull" (see open_registry)."""

    def __init__(self, target: Target, mode: str, environ: Mapping[str, str] = os.environ):
        self.target, self.mode = target, mode
        self.client = _Client(target)
        self.client.auth._auth_config = docker_auth_config(environ)
        self.credentials = self._load_credentials(environ)
        self.secrets = self._secrets()

    def push(self, folder: Path, name: str, key: str) -> Transfer:
        """Upload a published entry under its tag. RegistryError in pull-only mode, for an
        entry whose files differ from its sums, or when the registry refuses."""
        reference = self.target.reference(tag_of(name, key))
        if self.mode != "rw":
            raise RegistryError(f"{reference}: not pushed, the cache registry is pull-only "
                                f"(mode {self.mode})")
        broken = damage(folder) if (folder / META).is_file() else f"{META} is missing"
        if broken:
            raise RegistryError(f"{reference}: not pushed, {folder} is damaged: {broken}")
        started = time.monotonic()
        container = self._container(name, key)
        files = {title: path for title, path in entry_files(folder).items() if title != META}
        with self._said(reference, "pushing"):
            layers = [self._upload(container, title, path) for title, path in files.items()]
            config, _ = oras.oci.ManifestConfig(str(folder / META), META_TYPE)
            self._upload_blob(container, str(folder / META), config, META)
            manifest = oras.oci.NewManifest()
            manifest.update(config=config, layers=layers,
                            annotations={ANNOTATION_NAME: name, ANNOTATION_KEY: key})
            self._check(self.client.upload_manifest(manifest, container), reference,
                        "the manifest")
        size = sum(layer["size"] for layer in layers) + config["size"]
        return Transfer(reference, time.monotonic() - started, len(layers) + 1, size)

    def pull(self, name: str, key: str, scratch: Path) -> Transfer | None:
        """The entry into SCRATCH (empty), every file checked against the manifest: None
        when the registry has no such tag, RegistryError (SCRATCH emptied) on any failure."""
        reference = self.target.reference(tag_of(name, key))
        started = time.monotonic()
        container = self._container(name, key)
        try:
            with self._said(reference, "pulling"):
                manifest = self._manifest(container, reference)
                if manifest is None:
                    return None
                blobs = checked_blobs(manifest, reference, name, key)
                for title, blob in blobs.items():
                    self._download(container, blob, scratch / title, reference, title)
        except BaseException:
            empty(scratch)
            raise
        return Transfer(reference, time.monotonic() - started, len(blobs),
                        sum(blob["size"] for blob in blobs.values()))

    def _container(self, name: str, key: str) -> Container:
        container = Container(f"{self.target.repository}:{tag_of(name, key)}",
                                             registry=self.target.host)
        if container.api_prefix != self.target.repository:  # a first part that looks like a host
            raise InputError(f"cache registry {self.target.host}/{self.target.repository}: "
                             f"the repository's first part reads as a host; rename it")
        return container

    def _upload(self, container: Container, title: str, path: Path) -> dict:
        layer = oras.oci.NewLayer(str(path), media_type=FILE_TYPE)
        layer["annotations"] = {TITLE: title}
        self._upload_blob(container, str(path), layer, title)
        return layer

    def _upload_blob(self, container: Container, path: str, layer: dict, title: str) -> None:
        response = self.client.upload_blob(path, container, layer,
                                           do_chunked=layer["size"] > CHUNKED_ABOVE)
        self._check(response, container.uri, title)

    def _manifest(self, container: Container, reference: str) -> dict | None:
        response = self.client.do_request(
            f"{self.client.prefix}://{container.manifest_url()}", "GET",
            headers={"Accept": oras.defaults.default_manifest_media_type})
        if response.status_code == 404:
            return None
        self._check(response, reference, "the manifest")
        try:
            manifest = response.json()
        except ValueError:
            raise RegistryError(f"{reference}: the manifest is not JSON") from None
        if not isinstance(manifest, dict):
            raise RegistryError(f"{reference}: the manifest is not a JSON object")
        return manifest

    def _download(self, container: Container, blob: dict, path: Path, reference: str, title: str) -> None:
        """The blob's bytes into PATH, never more than the manifest's size, then hashed."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.client.get_blob(container, blob["digest"], stream=True) as response:
            self._check(response, reference, title)
            written = 0
            with open(path, "xb") as stream:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    written += len(chunk)
                    if written > blob["size"]:
                        raise RegistryError(f"{reference}: {title} is longer than the "
                                            f"manifest's {blob['size']} bytes; not used")
                    stream.write(chunk)
        if written != blob["size"]:
            raise RegistryError(f"{reference}: {title} is truncated ({written} of "
                                f"{blob['size']} bytes); not used")
        if f"sha256:{file_sha256(path)}" != blob["digest"]:
            raise RegistryError(f"{reference}: {title} differs from the sha256 in its manifest "
                                f"(a damaged or tampered blob); not used")

    def _check(self, response: requests.Response, reference: str, what: str) -> None:
        if response.status_code in (200, 201, 202):
            return
        raise RegistryError(f"{reference}: {what}: {self.refusal(response.status_code)}")

    def refusal(self, status: int) -> str:
        host = self.target.host
        if status == 401 and self.credentials:
            user, source = self.credentials
            return (f"the registry refused the credentials of {user} (from {source}); "
                    f"check them, or docker login {host}")
        if status == 401:
            return (f"the registry asks for credentials: docker login {host}, or set "
                    f"{USER_ENV} and {PASSWORD_ENV}")
        if status == 403:
            return "access denied for these credentials"
        if status == 404:
            return "not found (HTTP 404)"
        return f"HTTP {status}"

    @contextmanager
    def _said(self, reference: str, doing: str) -> Iterator[None]:
        """What a library raises while talking to the registry as one RegistryError line:
        the registry's refusal by its HTTP status, else the library's reason, redacted."""
        try:
            yield
        except (RegistryError, InputError):
            raise
        except (OSError, ValueError, KeyError) as error:  # requests' errors are OSErrors
            status = self.client.last_status
            if isinstance(error, OSError) and not isinstance(error, requests.RequestException):
                said = f"failed writing locally: {error.strerror}"
            elif status >= 400:  # a refusal oras turned into a ValueError of its own
                said = f"failed: {self.refusal(status)}"
            else:
                said = f"failed: {self.redact(why(error))}"
            raise RegistryError(f"{reference}: {doing} {said}") from None

    def _load_credentials(self, environ: Mapping[str, str]) -> tuple[str, str] | None:
        """(user, where it came from): the environment first, then Docker's config."""
        user, password = environ.get(USER_ENV, ""), environ.get(PASSWORD_ENV, "")
        if bool(user) != bool(password):
            raise InputError(f"{USER_ENV} and {PASSWORD_ENV}: set both or neither")
        if user:
            self.client.auth.set_basic_auth(user, password)
            return user, USER_ENV
        self.client.auth.load_configs(self._container("probe", "0"))
        secret = getattr(self.client.auth, "_basic_auth", None)
        if not secret:
            return None
        return _basic_user(secret), f"Docker config {docker_config_path(environ)}"

    def _secrets(self) -> list[str]:
        secret = getattr(self.client.auth, "_basic_auth", None)
        if not secret:
            return []
        try:
            pair = base64.b64decode(secret).decode()
        except ValueError:
            return [secret]
        return [secret, pair, pair.partition(":")[2]]

    def redact(self, text: str) -> str:
        for secret in sorted(filter(None, self.secrets), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def why(error: BaseException) -> str:
    """A library's exception as a short reason."""
    text = str(error)
    if isinstance(error, requests.exceptions.SSLError):
        return f"TLS failed ({_ssl_reason(text)}); {INSECURE_HINT}"
    for known, said in (("Connection refused", "connection refused: is the registry running?"),
                        ("Name or service not known", "unknown host name"),
                        ("Temporary failure in name resolution", "unknown host name"),
                        ("IncompleteRead", "the registry stopped sending mid-blob"),
                        ("Connection broken", "the connection broke mid-transfer"),
                        ("Connection aborted", "the registry closed the connection"),
                        ("Connection reset", "the registry reset the connection"),
                        ("Read timed out", f"no answer within {READ_TIMEOUT_S:.0f} s"),
                        ("timed out", f"no connection within {CONNECT_TIMEOUT_S:.0f} s")):
        if known in text:
            return said
    return f"{type(error).__name__}: {text.splitlines()[0][:200]}" if text else \
        type(error).__name__


def _ssl_reason(text: str) -> str:
    for known in ("WRONG_VERSION_NUMBER", "CERTIFICATE_VERIFY_FAILED", "wrong version number",
                  "certificate verify failed"):
        if known in text:
            return known.lower().replace("_", " ")
    return "handshake"


def tag_of(name: str, key: str) -> str:
    return f"{name}-{key}"


def checked_blobs(manifest: dict, reference: str, name: str, key: str) -> dict[str, dict]:
    """The files a manifest names, by their path in the entry (meta.json from the config),
    after checking that it is this artifact's and that no path leaves the entry."""
    annotations = manifest.get("annotations") or {}
    if annotations.get(ANNOTATION_NAME) != name or annotations.get(ANNOTATION_KEY) != key:
        raise RegistryError(f"{reference}: the manifest is not {name} {key}'s; not used")
    config = manifest.get("config") or {}
    if config.get("mediaType") != META_TYPE:
        raise RegistryError(f"{reference}: the manifest's config is not a pytest-quill meta")
    blobs = {META: _blob(config, reference, META)}
    for layer in manifest.get("layers") or []:
        title = (layer.get("annotations") or {}).get(TITLE, "") if isinstance(layer, dict) else ""
        if not _safe_title(title) or title in blobs:
            raise RegistryError(f"{reference}: a layer's title {title!r} is not a new relative "
                                f"path inside the entry; not used")
        blobs[title] = _blob(layer, reference, title)
    return blobs


def _blob(entry: dict, reference: str, title: str) -> dict:
    digest, size = entry.get("digest"), entry.get("size")
    if not (isinstance(digest, str) and _DIGEST.fullmatch(digest) and isinstance(size, int)
            and size >= 0):
        raise RegistryError(f"{reference}: {title} has no sha256 digest and size in the "
                            f"manifest; not used")
    return {"digest": digest, "size": size}


def _safe_title(title: str) -> bool:
    path = PurePosixPath(title)
    return (bool(title) and "\\" not in title and "\0" not in title and not path.is_absolute()
            and all(part not in ("", ".", "..") for part in title.split("/")))


def _basic_user(secret: str) -> str:
    try:
        return base64.b64decode(secret).decode().partition(":")[0] or "an unnamed user"
    except ValueError:
        return "an unnamed user"


def empty(folder: Path) -> None:
    for child in folder.iterdir() if folder.is_dir() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def open_registry(reference: str, mode: str = "rw", insecure: bool = False,
                  environ: Mapping[str, str] = os.environ) -> ArtifactRegistry | None:
    """The shared cache a run uses: None when no reference is given or the mode is off."""
    mode = parse_mode(mode)
    if not reference.strip() or mode == "off":
        return None
    return ArtifactRegistry(parse_target(reference, insecure), mode, environ)
