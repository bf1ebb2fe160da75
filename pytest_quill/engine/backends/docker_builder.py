"""A recipe's builder image on a Docker engine: tagged by its Dockerfile's
hash, and found on the engine, sent from this machine's engine to a remote
one, or built there; one maker per image across processes."""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

import docker
import docker.errors

from ...errors import BenchError
from . import docker_images, remote


def builder_tag(dockerfile: Path) -> str:
    """quill-builder/<name>:<hash of the Dockerfile>: a new Dockerfile is a new image."""
    if not dockerfile.is_file():
        raise BenchError(f"builder image {dockerfile}: no such file")
    digest = hashlib.sha256(dockerfile.read_bytes()).hexdigest()[:16]
    return f"quill-builder/{dockerfile.name.removesuffix('.dockerfile')}:{digest}"


def present(client: docker.DockerClient, tag: str) -> str | None:
    """The id of the engine's image TAG, or None when it has none."""
    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        return None


def obtain(
    client: docker.DockerClient, tag: str, dockerfile: Path, log_dir: Path, local_urls: list[str] | None
) -> str:
    """The image's id: the engine's own, else sent from the first engine of
    LOCAL_URLS (a remote engine; None for a local one), else built from DOCKERFILE.
    What sending or building says goes to a log of the image's own in LOG_DIR."""
    with docker_images.image_lock(tag):
        return (
            present(client, tag)
            or _sent(client, tag, log_dir, local_urls)
            or _build(client, tag, dockerfile, log_dir)
        )


def _log_path(log_dir: Path, tag: str) -> Path:
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / f"{tag.replace('/', '_').replace(':', '-')}.log"


def _sent(client: docker.DockerClient, tag: str, log_dir: Path, local_urls: list[str] | None) -> str | None:
    if local_urls is None:
        return None
    with open(_log_path(log_dir, tag), "ab") as log:
        if remote.send_image(client, local_urls, tag, log):
            return client.images.get(tag).id
    return None


def _build(client: docker.DockerClient, tag: str, dockerfile: Path, log_dir: Path) -> str:
    started = time.monotonic()
    with open(_log_path(log_dir, tag), "ab") as log:
        # An empty context: builder Dockerfiles COPY nothing, their hash is the tag.
        with tempfile.TemporaryDirectory(prefix="quill-context-") as context:
            image_id = docker_images.build_image(client, dockerfile, Path(context), None, {}, tag, log)
        docker_images.note(
            log, f"builder image {tag} = {image_id[:19]} built in {time.monotonic() - started:.0f} s"
        )
    return image_id
