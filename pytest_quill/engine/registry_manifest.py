"""An artifact's entry as one OCI manifest: meta.json the config blob, every other file a
layer titled with its path in the entry, the artifact's name and key as annotations; and
the checks a pulled manifest passes before any of its blobs is fetched."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import oras.oci

from .cache import META
from .registry_errors import RegistryError

META_TYPE = "application/vnd.pytest-quill.meta.v1+json"
FILE_TYPE = "application/vnd.pytest-quill.file.v1"
TITLE = "org.opencontainers.image.title"
ANNOTATION_NAME = "io.github.pytest-quill.artifact"
ANNOTATION_KEY = "io.github.pytest-quill.key"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def layer_of(path: str, title: str) -> dict:
    layer = oras.oci.NewLayer(path, media_type=FILE_TYPE)
    layer["annotations"] = {TITLE: title}
    return layer


def manifest_of(config: dict, layers: list[dict], name: str, key: str) -> dict:
    manifest = oras.oci.NewManifest()
    manifest.update(config=config, layers=layers, annotations={ANNOTATION_NAME: name, ANNOTATION_KEY: key})
    return manifest


def checked_blobs(manifest: dict, reference: str, name: str, key: str) -> dict[str, dict]:
    """The files a manifest names, by their path in the entry (meta.json from the config),
    after checking that it is this artifact's and that no path leaves the entry."""
    annotations = manifest.get("annotations") or {}
    if annotations.get(ANNOTATION_NAME) != name or annotations.get(ANNOTATION_KEY) != key:
        raise RegistryError(f"{reference}: the manifest is not {name} {key}'s; not used")
    config = manifest.get("config") or {}
    if config.get("mediaType") != META_TYPE:
        raise RegistryError(f"{reference}: the manifest's config is not a pytest-quill meta; not used")
    blobs = {META: _blob(config, reference, META)}
    for layer in manifest.get("layers") or []:
        title = (layer.get("annotations") or {}).get(TITLE, "") if isinstance(layer, dict) else ""
        if not _safe_title(title) or title in blobs:
            raise RegistryError(
                f"{reference}: a layer's title {title!r} is not a new relative "
                f"path inside the entry; not used"
            )
        blobs[title] = _blob(layer, reference, title)
    return blobs


def _blob(entry: dict, reference: str, title: str) -> dict:
    digest, size = entry.get("digest"), entry.get("size")
    if not (isinstance(digest, str) and _DIGEST.fullmatch(digest) and isinstance(size, int) and size >= 0):
        raise RegistryError(f"{reference}: {title} has no sha256 digest and size in the manifest; not used")
    return {"digest": digest, "size": size}


def _safe_title(title: str) -> bool:
    path = PurePosixPath(title)
    return (
        bool(title)
        and "\\" not in title
        and "\0" not in title
        and not path.is_absolute()
        and all(part not in ("", ".", "..") for part in title.split("/"))
    )
