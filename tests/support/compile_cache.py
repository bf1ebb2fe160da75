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
from pytest_quill.profile import Profile
from tests.support.artifacts import produce

ROOT = Path(__file__).resolve().parents[2]
NST_KERNEL = ROOT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"


@dataclass(frozen=True)
class CompileCache:
    url: str  # redis://127.0.0.1:PORT, reachable from the builders' host network
    profile: Profile  # nook-twin with kernel.ccache_remote = url
    first: Artifact  # the cold build that filled it


def kernel_in_fresh_workspace(folder: Path, profile: Profile) -> Artifact:
    """The kernel built by the local engine in a workspace of its own (an empty
    local ccache folder, as a new CI runner has)."""
    try:
        ensure_engine()
    except BenchError as exc:
        pytest.skip(f"no Docker engine: {exc}")
    backend = DockerBackend(ROOT, mounts=(folder,), log_dir=folder / "logs")
    return produce(kernel_recipe.RECIPE, profile, backend, folder)
