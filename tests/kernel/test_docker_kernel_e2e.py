"""The kernel recipe through the Docker backend: the real linux-source-6.1,
compiled in the builder image at the host's paths, and the result passes the
same verifier as a host build. It shares the default cache's workspaces (the
source tree, the O= build tree, ccache) with `pytest suites/`: after `make
run` this is an incremental build; on its own, a cold one (minutes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.engine.backends.docker import ensure_engine
from pytest_quill.engine.cache import default_cache
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.errors import BenchError
from pytest_quill.kernel import recipe as kernel
from pytest_quill.kernel import verify as kernel_verify
from pytest_quill.profile import load_profile
from tests.support.builders import kernel_docker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    try:
        ensure_engine()
    except BenchError as exc:
        pytest.skip(
            f"no Docker engine answers and the private engine script cannot start one: {exc.one_line()}"
        )
    profile = load_profile("qemu-virt")
    root = tmp_path_factory.mktemp("docker-kernel")
    out = root / "out"
    out.mkdir()
    work = Path(default_cache()) / "work"
    backend = kernel_docker(profile, PROJECT, mounts=(root, work), log_dir=root / "logs")
    ctx = BuildContext(
        name="kernel",
        profile=profile,
        out=out,
        log_path=root / "build.log",
        backend=backend,
        deps={},
        jobs=2,
        work_root=work,
        project_root=PROJECT,
    )
    meta = kernel.RECIPE.build(ctx)
    return profile, Artifact("kernel", "docker", out, "built", ctx.log_path, meta)


def test_the_docker_built_kernel_passes_the_verifier(built):
    profile, artifact = built
    assert kernel_verify.verify(artifact, profile) == []
    assert artifact.meta.ccache is True
