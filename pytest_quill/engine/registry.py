"""Artifacts shared across machines through an OCI registry, with ORAS (the `oras` package).

A published cache entry is one OCI manifest tagged "<artifact name>-<cache key>" in the
user's repository (registry_manifest.py). SHA256SUMS stays local: the manifest's digests
are the registry's sums, and the entry a pull makes is published like a build's.

A pull reads the manifest, writes each blob into a scratch folder and hashes the written
file against the manifest's digest and size itself (a registry, its storage or a proxy may
hand back other bytes); the caller publishes the folder by rename, so a failed pull leaves
nothing behind. Every failure is a RegistryError in one line, and never carries a
credential: whatever a library says is redacted first.

Each request is tried once, with a timeout (registry_client.py), and a whole pull within a
bound (registry_deadline.py): a registry that is down, stops answering or trickles bytes is
a miss that the run builds past.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import oras.defaults
import oras.oci
import requests
from oras.container import Container

from ..digest import file_sha256
from ..errors import InputError
from .cache import META, damage, entry_files
from .registry_auth import load_credentials
from .registry_client import Client
from .registry_deadline import Deadline, PullBound
from .registry_errors import RegistryError, refusal, why
from .registry_manifest import META_TYPE, checked_blobs, layer_of, manifest_of
from .registry_target import Target, parse_mode, parse_target, tag_of

CHUNKED_ABOVE = 32 << 20  # larger blobs go up in chunks, not read into memory whole


@dataclass(frozen=True)
class Transfer:
    reference: str  # host/repository:tag, never with credentials
    seconds: float
    files: int
    bytes: int


class ArtifactRegistry:
    """The shared cache at TARGET in MODE "rw" or "pull" (see open_registry)."""

    def __init__(
        self,
        target: Target,
        mode: str,
        environ: Mapping[str, str] = os.environ,
        bound: PullBound = PullBound(),
    ):
        self.target, self.mode, self.bound = target, mode, bound
        self.client = Client(target)
        self.credentials = load_credentials(self.client.auth, self._container("any", "0"), environ)

    def push(self, folder: Path, name: str, key: str) -> Transfer:
        """Upload a published entry under its tag. RegistryError in pull-only mode, for an
        entry whose files differ from its sums, or when the registry refuses."""
        reference = self.target.reference(name, key)
        if self.mode != "rw":
            raise RegistryError(
                f"{reference}: not pushed, the cache registry is pull-only (mode {self.mode})"
            )
        broken = damage(folder) if (folder / META).is_file() else f"{META} is missing"
        if broken:
            raise RegistryError(f"{reference}: not pushed, {folder} is damaged: {broken}")
        started = time.monotonic()
        container = self._container(name, key)
        files = entry_files(folder)
        bound = self.bound.seconds(sum(path.stat().st_size for path in files.values()))
        with self._bounded(reference, "pushing", bound), self._said(reference, "pushing"):
            layers = []
            for title, path in files.items():
                if title != META:
                    layers.append(layer_of(str(path), title))
                    self._upload(container, str(path), layers[-1], reference, title)
            config, _ = oras.oci.ManifestConfig(str(folder / META), META_TYPE)
            self._upload(container, str(folder / META), config, reference, META)
            self._check(
                self.client.upload_manifest(manifest_of(config, layers, name, key), container),
                reference,
                "the manifest",
            )
        size = sum(layer["size"] for layer in layers) + config["size"]
        return Transfer(reference, time.monotonic() - started, len(layers) + 1, size)

    def pull(self, name: str, key: str, scratch: Path) -> Transfer | None:
        """The entry into SCRATCH (empty), every file checked against the manifest: None
        when the registry has no such tag, RegistryError (SCRATCH emptied) on any failure,
        or when the pull takes longer than its bound (self.bound)."""
        reference = self.target.reference(name, key)
        started = time.monotonic()
        container = self._container(name, key)
        try:
            with self._bounded(reference, "pulling", self.bound.seconds(0)) as deadline:
                blobs = self._pull_within(deadline, container, reference, name, key, scratch)
        except BaseException:
            empty(scratch)
            raise
        if blobs is None:
            return None
        return Transfer(
            reference, time.monotonic() - started, len(blobs), sum(blob["size"] for blob in blobs.values())
        )

    def _pull_within(
        self, deadline: Deadline, container: Container, reference: str, name: str, key: str, scratch: Path
    ) -> dict[str, dict] | None:
        with self._said(reference, "pulling"):
            manifest = self._manifest(container, reference)
            if manifest is None:
                return None
            blobs = checked_blobs(manifest, reference, name, key)
            deadline.extend_to(self.bound.seconds(sum(blob["size"] for blob in blobs.values())))
            for title, blob in blobs.items():
                self._download(container, blob, scratch / title, reference, title)
        return blobs

    def has(self, name: str, key: str) -> bool:
        """Whether the registry holds the entry's tag (a HEAD of its manifest)."""
        reference = self.target.reference(name, key)
        container = self._container(name, key)
        with self._said(reference, "asking for"):
            response = self.client.do_request(
                f"{self.client.prefix}://{container.manifest_url()}",
                "HEAD",
                headers={"Accept": oras.defaults.default_manifest_media_type},
            )
            if response.status_code == 404:
                return False
            self._check(response, reference, "the manifest")
        return True

    def _container(self, name: str, key: str) -> Container:
        container = Container(f"{self.target.repository}:{tag_of(name, key)}", registry=self.target.host)
        if container.api_prefix != self.target.repository:  # a first part that looks like a host
            raise InputError(
                f"cache registry {self.target.host}/{self.target.repository}: "
                f"the repository's first part reads as a host; rename it"
            )
        return container

    def _upload(self, container: Container, path: str, layer: dict, reference: str, title: str) -> None:
        response = self.client.upload_blob(path, container, layer, do_chunked=layer["size"] > CHUNKED_ABOVE)
        self._check(response, reference, title)

    def _manifest(self, container: Container, reference: str) -> dict | None:
        response = self.client.do_request(
            f"{self.client.prefix}://{container.manifest_url()}",
            "GET",
            headers={"Accept": oras.defaults.default_manifest_media_type},
        )
        if response.status_code == 404:
            return None
        self._check(response, reference, "the manifest")
        try:
            manifest = response.json()
        except ValueError:
            raise RegistryError(f"{reference}: the manifest is not JSON; not used") from None
        if not isinstance(manifest, dict):
            raise RegistryError(f"{reference}: the manifest is not a JSON object; not used")
        return manifest

    def _download(self, container: Container, blob: dict, path: Path, reference: str, title: str) -> None:
        """The blob's bytes into PATH, never more than the manifest's size, then hashed."""
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with self.client.get_blob(container, blob["digest"], stream=True) as response:
            self._check(response, reference, title)
            with open(path, "xb") as stream:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    written += len(chunk)
                    if written > blob["size"]:
                        raise RegistryError(
                            f"{reference}: {title} is longer than the "
                            f"manifest's {blob['size']} bytes; not used"
                        )
                    stream.write(chunk)
        if written != blob["size"]:
            raise RegistryError(
                f"{reference}: {title} is truncated ({written} of {blob['size']} bytes); not used"
            )
        if f"sha256:{file_sha256(path)}" != blob["digest"]:
            raise RegistryError(
                f"{reference}: {title} differs from the sha256 in its manifest "
                f"(a damaged or tampered blob); not used"
            )

    def _check(self, response: requests.Response, reference: str, what: str) -> None:
        if response.status_code not in (200, 201, 202):
            raise RegistryError(
                f"{reference}: {what}: {refusal(response.status_code, self.target.host, self.credentials)}"
            )

    @contextmanager
    def _bounded(self, reference: str, doing: str, seconds: float) -> Iterator[Deadline]:
        """A transfer cut when SECONDS have passed (registry_deadline.py), and said so."""
        deadline = Deadline(seconds)
        try:
            with deadline:
                yield deadline
        except RegistryError:
            if deadline.expired:
                raise RegistryError(
                    f"{reference}: {doing} took longer than "
                    f"{deadline.seconds:.0f} s (the registry is too slow); "
                    f"abandoned"
                ) from None
            raise

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
                said = f"failed: {refusal(status, self.target.host, self.credentials)}"
            else:
                said = f"failed: {self.redact(why(error))}"
            raise RegistryError(f"{reference}: {doing} {said}") from None

    def redact(self, text: str) -> str:
        return self.credentials.redact(text) if self.credentials else text


def empty(folder: Path) -> None:
    for child in folder.iterdir() if folder.is_dir() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def open_registry(
    reference: str,
    mode: str = "rw",
    insecure: bool = False,
    environ: Mapping[str, str] = os.environ,
    bound: PullBound = PullBound(),
) -> ArtifactRegistry | None:
    """The shared cache a run uses: None when no reference is given or the mode is off."""
    mode = parse_mode(mode)
    if not reference.strip() or mode == "off":
        return None
    return ArtifactRegistry(parse_target(reference, insecure), mode, environ, bound)
