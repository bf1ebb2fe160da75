"""The recipe protocol: what the engine asks of every artifact's maker."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..profile import Profile
from .backends.base import Toolchain
from .context import Artifact, BuildContext
from .meta import Meta

M = TypeVar("M", bound=Meta)


class Recipe(Protocol[M]):
    """Read-only attributes (properties here): a recipe's class attributes fit them.
    M: the type of its meta (engine/meta.py), a frozen dataclass of its own package."""

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

    @property
    def meta_type(self) -> type[M]:
        """The class of its meta: a cached or pulled entry's meta.json is read as one."""

    def needs(self, profile: Profile) -> tuple[str, ...]:
        """The programs the build calls for this profile, checked before it starts."""

    def toolchain(self, profile: Profile) -> Toolchain:
        """The builder image and source mounts for a container backend."""

    def fingerprint(self, profile: Profile, project_root: Path) -> dict:
        """JSON-able: every input that changes the output."""

    def build(self, ctx: BuildContext) -> M:
        """Write the outputs into ctx.out; return what the build recorded (meta.json)."""

    def verify(self, artifact: Artifact[M], profile: Profile, deps: dict[str, Artifact[Any]]) -> list[str]:
        """One line per broken fact of a made ARTIFACT (built, reused or pulled from a
        shared cache), given the artifacts it is made from: gate 2 and the card's
        convergence ask it, and a pulled copy passes it before it is used."""
