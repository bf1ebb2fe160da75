"""The interface every backend offers to recipes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class Toolchain:
    """What a recipe's commands need from a backend that runs them in a container:
    the builder image's Dockerfile (None: the recipe makes its own images through
    the backend's image capability) and source trees to mount read-only."""

    dockerfile: Path | None = None
    sources: tuple[Path, ...] = ()


class ImageBuilder(Protocol):
    """Images for recipes that make their own (the rootfs on Docker)."""

    def base_image(self, debian_arch: str, suite: str, log: BinaryIO) -> str:
        """A Debian base image for the architecture, made locally when it cannot be pulled."""

    def build_image(
        self,
        dockerfile: Path,
        context: Path,
        platform: str | None,
        buildargs: dict[str, str],
        tag: str,
        log: BinaryIO,
    ) -> str:
        """Build a Dockerfile; return the image id."""

    def export_rootfs(self, image: str, dest_tar: Path, log: BinaryIO) -> None:
        """The image's filesystem as a tar."""


class Backend(Protocol):
    name: str  # "host" or "docker": shown in the run record

    @property
    def images(self) -> ImageBuilder | None:
        """None: this backend builds no images."""

    def with_toolchain(self, toolchain: Toolchain) -> Backend:
        """This backend set up for one recipe's builder image and source mounts."""

    def identity(self, tools: list[str]) -> str:
        """What makes this backend's output differ: toolchain versions, image id."""

    def missing(self, tools: list[str]) -> list[str]:
        """The tools that are not there, in order (checked before a build starts)."""

    def run(
        self, argv: list[str], *, cwd: Path, env: dict[str, str] | None, log: BinaryIO, timeout: float
    ) -> int:
        """Run argv with cwd (same path on every backend), stdout+stderr into log."""
