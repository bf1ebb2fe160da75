"""Helpers shared by the real-build tests of tests/build."""

import shutil
from pathlib import Path

import pytest

from pytest_quill.engine import backends
from pytest_quill.engine.backends.host import HostBackend
from pytest_quill.engine.context import Artifact, BuildContext
from pytest_quill.errors import BenchError
from pytest_quill.rootfs import recipe as rootfs

PROJECT = Path(__file__).resolve().parents[2]


def _build_rootfs(folder: Path, profile, backend=None) -> Artifact:
    out = folder / "out"
    out.mkdir(parents=True)
    ctx = BuildContext(
        name="rootfs",
        profile=profile,
        out=out,
        log_path=folder / "build.log",
        backend=backend or HostBackend(),
        deps={},
        jobs=2,
        work_root=folder / "work",
        project_root=PROJECT,
    )
    meta = rootfs.RECIPE.build(ctx)
    return Artifact("rootfs", "e2e", out, "built", ctx.log_path, meta)


@pytest.fixture(scope="session")
def build_rootfs_cold():
    """build(folder, profile, backend=None): the recipe run from nothing, no cache."""
    return _build_rootfs


@pytest.fixture(scope="session")
def cold_rootfs_twice(tmp_path_factory):
    """cold_rootfs_twice(profile): two builds from nothing, each in a folder of its
    own: on the host, then through Docker when an engine answers, else on the host
    again. The same bytes from both say the build repeats and that the backend
    changes nothing, for one cold build less than saying each apart."""

    def build_twice(profile) -> list[Artifact]:
        first = _build_rootfs(tmp_path_factory.mktemp(f"{profile.name}-cold-host"), profile)
        folder = tmp_path_factory.mktemp(f"{profile.name}-cold-second")
        return [first, _build_rootfs(folder, profile, _docker_if_it_answers(folder))]

    return build_twice


def _docker_if_it_answers(folder: Path):
    """The Docker backend as the store makes it, mounting FOLDER; None (the host's)
    when no engine answers."""
    try:
        name = backends.resolve("docker")
    except BenchError:
        return None
    return backends.make(name, PROJECT, folder, folder / "docker")


@pytest.fixture(scope="session")
def qemu_arm() -> str:
    path = shutil.which("qemu-arm-static") or shutil.which("qemu-arm")
    if path is None:
        pytest.skip("qemu-user-static not installed")
    return path
