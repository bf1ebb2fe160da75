"""What a run needs that a user never edits, shipped inside the package: the
builder Dockerfiles, the rootfs recipe and its container scripts, the kernel
compat patches, the private Docker engine's start script.

A profile names one of these files as `quill:REL` (e.g.
`docker_builder = "quill:docker/builder.dockerfile"`); any other path in a
profile is the user's, relative to the profile's file.
"""

from __future__ import annotations

from pathlib import Path

SCHEME = "quill:"
ROOT = Path(__file__).resolve().parent


def path(rel: str) -> Path:
    """The shipped file or folder REL (it may not exist: the caller's check names it)."""
    return (ROOT / rel).resolve()


def resolve(value: str, base: Path) -> Path:
    """A profile's path value: `quill:REL` from the package, else relative to BASE."""
    if value.startswith(SCHEME):
        return path(value.removeprefix(SCHEME))
    return (base / value).resolve()
