"""The recipe protocol: what the engine asks of every artifact's maker."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..profile import Profile
from .backends.base import Toolchain
from .context import Artifact, BuildContext


class Recipe(Protocol):
    name: str  # the record's name: "kernel", "rootfs", "sdcard"
    deps: tuple[str, ...]  # artifacts it is made from
    tools: tuple[str, ...]  # programs whose --version enters the key
    # Every program of tools must be on the backend before a build starts
    # (engine/tools.py), unless the recipe says per profile what its build calls
    # with an optional method: needs(profile) -> tuple[str, ...].
    version: str  # bump when the recipe's output changes
    evidence: tuple[str, ...]  # files of the output attached to the report
    runs_on: str  # "any" backend, or "host" only

    def needs(self, profile: Profile) -> tuple[str, ...]:
        """The programs the build calls for this profile, checked before it starts."""

    def toolchain(self, profile: Profile) -> Toolchain:
        """The builder image and source mounts for a container backend."""

    def fingerprint(self, profile: Profile, project_root: Path) -> dict:
        """JSON-able: every input that changes the output."""

    def build(self, ctx: BuildContext) -> dict:
        """Write the outputs into ctx.out; return meta (JSON-able)."""

    def verify(self, artifact: Artifact, profile: Profile, deps: dict[str, Artifact]) -> list[str]:
        """One line per broken fact of a made ARTIFACT (built, reused or pulled from a
        shared cache), given the artifacts it is made from: gate 2 and the card's
        convergence ask it, and a pulled copy passes it before it is used."""
