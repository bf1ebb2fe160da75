"""A kernel compile cache shared through Redis, as the e2e tests use it: one cold
build fills it, later builds in fresh workspaces start from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_quill.engine.backends.docker import DockerBackend, ensure_engine
from pytest_quill.engine.context import Artifact
from pytest_quill.errors import BenchError
from pytest_quill.kernel import recipe as kernel_recipe
from pytest_quill.profile import Profile, load_profile
from tests.support.artifacts import produce

ROOT = Path(__file__).resolve().parents[2]
NST_KERNEL = ROOT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"
# The scale-out tests prove where a kernel is compiled and where its objects are
# cached, not what it boots: the nook-twin's tree on the smallest config that
# still builds the SquireOS modules (419 compiles and ~2 min cold on 2 cores,
# against 747 and ~3.5 min for versatile_defconfig).
SMALLEST = {
    "kernel.config_base": "allnoconfig",
    "kernel.config_fragment": str(Path(__file__).parent / "data" / "nook-twin-smallest.config"),
}


def smallest_twin(settings: dict[str, str] | None = None) -> Profile:
    """nook-twin on the Nook's kernel tree and the smallest config (SMALLEST)."""
    return load_profile("nook-twin", {"kernel.source": str(NST_KERNEL), **SMALLEST, **(settings or {})})


@dataclass(frozen=True)
class CompileCache:
    url: str  # redis://127.0.0.1:PORT, reachable from the builders' host network
    profile: Profile  # smallest_twin with kernel.ccache_remote = url
    first: Artifact  # the cold build that filled it, by the local engine

    @property
    def compiles(self) -> int:
        """The compiles of the cold build: what a build from the cache asks it for."""
        return int(self.first.meta.ccache_stats["misses"])


def kernel_in_fresh_workspace(folder: Path, profile: Profile) -> Artifact:
    """The kernel built by the local engine in a workspace of its own (an empty
    local ccache folder, as a new CI runner has)."""
    try:
        ensure_engine()
    except BenchError as exc:
        pytest.skip(f"no Docker engine: {exc}")
    backend = DockerBackend(ROOT, mounts=(folder,), log_dir=folder / "logs")
    return produce(kernel_recipe.RECIPE, profile, backend, folder)
