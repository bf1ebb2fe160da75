"""The recipe protocol: what the engine asks of every artifact's maker."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..profile import Profile
from .backends.base import Toolchain
from .context import Artifact, BuildContext


class Recipe(Protocol):
    """Read-only attributes (properties here): a recipe's class attributes fit them."""

    @property
    def name(self) -> str:
        """The record's name: "kernel", "rootfs", "sdcard"."""

    @property
    def deps(self) -> tuple[str, ...]:
        """The artifacts it is made from."""

    @property
    def tools(self) -> tuple[str, ...]:
        """Programs whose --version enters the key; each must be on the backend before
        a build starts (engine/tools.py) unless needs(profile) says otherwise."""

    @property
    def version(self) -> str:
        """Bumped when the recipe's output changes."""

    @property
    def evidence(self) -> tuple[str, ...]:
        """Files of the output attached to the report."""

    @property
    def runs_on(self) -> str:
        """Where its build runs: "any" backend, or "host" only."""

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
