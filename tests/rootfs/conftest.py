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
    """cold_rootfs_twice(profile): two builds from nothing, each in a folder of its own."""

    def build_twice(profile) -> list[Artifact]:
        return [_build_rootfs(tmp_path_factory.mktemp(f"{profile.name}-cold{n}"), profile) for n in (1, 2)]

    return build_twice


@pytest.fixture(scope="session")
def qemu_arm() -> str:
    path = shutil.which("qemu-arm-static") or shutil.which("qemu-arm")
    if path is None:
        pytest.skip("qemu-user-static not installed")
    return path


@pytest.fixture
def docker_backend():
    """docker_backend(folder): the Docker backend as the store makes it, mounting folder;
    the test skips when no engine answers."""

    def make(folder: Path):
        try:
            name = backends.resolve("docker")
        except BenchError as exc:
            pytest.skip(exc.one_line())
        return backends.make(name, PROJECT, folder, folder / "docker")

    return make
