"""The kernel recipe through the Docker backend: the real linux-source-6.1,
unpacked and compiled cold in the builder image (minutes), at the host's paths,
and the result passes the same verifier as a host build."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.build import kernel
from pytest_quill.build.backends.docker import DockerBackend, ensure_engine
from pytest_quill.build.context import Artifact, BuildContext
from pytest_quill.errors import BenchError
from pytest_quill.profile import load_profile

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    try:
        ensure_engine(PROJECT)
    except BenchError as exc:
        pytest.skip(f"no Docker engine answers and scripts/dockerd.sh cannot start one: "
                    f"{exc.one_line()}")
    profile = load_profile("qemu-virt")
    root = tmp_path_factory.mktemp("docker-kernel")
    out = root / "out"
    out.mkdir()
    backend = DockerBackend(profile, PROJECT, mounts=(root,), log_dir=root / "logs")
    ctx = BuildContext(name="kernel", profile=profile, out=out, log_path=root / "build.log",
                       backend=backend, deps={}, jobs=2, work_root=root / "work",
                       project_root=PROJECT)
    meta = kernel.RECIPE.build(ctx)
    return profile, Artifact("kernel", "docker", out, "built", ctx.log_path, meta)


def test_the_docker_built_kernel_passes_the_verifier(built):
    profile, artifact = built
    assert kernel.verify(artifact, profile) == []
    assert artifact.meta["ccache"] is True

