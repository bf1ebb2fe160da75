"""Issue 16, items 1 and 2: builds that reach beyond this machine. Both kinds
share the session's compile cache (a Redis filled by one cold build of the
nook-twin's 2.6.29 kernel on its smallest config, tests/e2e/conftest.py), so
they live in one file: `make test` runs its e2e tests a file per xdist worker.

A compile cache shared through Redis: a second, fresh workspace (an empty local
ccache folder, as a second CI runner has) builds the same kernel with at least
90% remote hits, counted by ccache itself. The Redis address is not in the key.
Local engine, host network: 127.0.0.1 is this machine's (~1 min).

The kernel and the rootfs built through a Docker engine that sees none of this
machine's paths (a second dockerd on a loopback TCP port, asked for archives
with QUILL_DOCKER_REMOTE=1): same keys as the local engine's builds, the rootfs
byte-identical, the kernel verified, no container of the remote path with a
bind mount. The builder and base images are sent from this machine's engine
(~1 GB over loopback), then the kernel compiles there against the shared
compile cache.

The same engine is also reached as DOCKER_HOST=ssh://root@127.0.0.1:PORT through
an sshd on loopback whose sessions' docker CLI talks to it (remote by the URL
alone): the rootfs is built through ssh first (the Debian base sent over ssh,
the image built and exported through it); the tcp:// rootfs after it finds the
engine's layers made, so the two cost one build. That rootfs is qemu-virt's,
the smallest that proves it: the same recipe and remote path as the twin's,
without compiling busybox (a minute of CPU the remote path does not change).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import docker
import pytest
from docker.models.containers import ContainerCollection

from pytest_quill.engine.backends import remote as remote_engines
from pytest_quill.engine.backends.docker import DockerBackend, ensure_engine
from pytest_quill.engine.cache import default_cache
from pytest_quill.engine.produce import key_of
from pytest_quill.errors import BenchError
from pytest_quill.formats.kconfig import parse_config
from pytest_quill.kernel import recipe as kernel_recipe
from pytest_quill.kernel import verify as kernel_verify
from pytest_quill.rootfs import recipe as rootfs_recipe
from tests.sshd import SSHD, start_sshd
from tests.support.artifacts import produce
from tests.support.compile_cache import kernel_in_fresh_workspace, smallest_twin
from tests.support.remote_engine import bind_mounts, remote_engine

pytestmark = [pytest.mark.e2e, pytest.mark.long_file, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_engine() -> str:
    try:
        return ensure_engine()
    except BenchError as exc:
        pytest.skip(f"no local Docker engine: {exc}")


@pytest.fixture(scope="module")
def engine(local_engine):
    """tcp://127.0.0.1:PORT of the second engine; none of its containers has a
    bind mount when the module ends."""
    with remote_engine() as url:
        yield url
        assert bind_mounts(docker.DockerClient(base_url=url)) == []


@pytest.fixture(scope="module")
def remote(engine, tmp_path_factory):
    """A backend on the second engine over tcp://, its cache folder, and every
    container it created (inspected as created)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DOCKER_HOST", engine)
        env.setenv(remote_engines.FORCE, "1")
        made = backend_on_engine(env, tmp_path_factory)
        yield made
        made[0].client.close()


@pytest.fixture(scope="module")
def ssh_remote(engine, tmp_path_factory):
    """The same, with the engine reached as DOCKER_HOST=ssh://root@127.0.0.1:PORT."""
    if not os.path.exists(SSHD):
        pytest.skip(f"{SSHD}: missing (apt-get install openssh-server)")
    sshd = start_sshd(tmp_path_factory.mktemp("sshd"), {"DOCKER_HOST": engine})
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PATH", sshd.env()["PATH"])  # its `ssh`: its port, key and known host
            env.setenv("DOCKER_HOST", f"ssh://root@127.0.0.1:{sshd.port}")
            env.delenv(remote_engines.FORCE, raising=False)  # ssh:// alone says remote
            made = backend_on_engine(env, tmp_path_factory)
            yield made
            made[0].client.close()  # its ssh sessions, before their sshd stops
    finally:
        sshd.stop()


def backend_on_engine(env: pytest.MonkeyPatch, tmp_path_factory):
    """A backend on DOCKER_HOST, its cache folder, and the containers it creates."""
    cache = tmp_path_factory.mktemp("remote-cache")
    backend = DockerBackend(ROOT, mounts=(cache,), log_dir=tmp_path_factory.mktemp("remote-logs"))
    assert backend.remote  # the engine is chosen now, while DOCKER_HOST names it
    created = []
    create = ContainerCollection.create

    def inspected(self, *args, **kwargs):
        container = create(self, *args, **kwargs)
        if self.client is backend.client:
            created.append(container.attrs)
        return container

    env.setattr(ContainerCollection, "create", inspected)
    return backend, cache, created


def local_artifact(recipe, profile, engine: str):
    """The local engine's artifact: the shared cache's (warm in CI), else built."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DOCKER_HOST", engine)
        env.delenv("QUILL_DOCKER_REMOTE", raising=False)
        local = DockerBackend(ROOT, mounts=(Path(default_cache()),))
        return produce(recipe, profile, local, Path(default_cache()))


def test_the_kernel_built_on_a_remote_engine_is_verified_and_keyed_as_a_local_one(
    remote, kernel_compile_cache
):
    """The kernel of the session's compile cache (its smallest config), built again
    on the second engine: its containers reach the cache (filled by the local
    engine's cold build) on the engine's network."""
    backend, cache, created = remote
    local, profile = kernel_compile_cache.first, kernel_compile_cache.profile
    built = produce(kernel_recipe.RECIPE, profile, backend, cache)
    assert backend.remote and built.status == "built"
    assert built.key == local.key
    assert kernel_verify.verify(built, profile) == []
    assert built.meta.release == local.meta.release
    assert parse_config(built.file("config").read_text()) == parse_config(local.file("config").read_text())
    stats = built.meta.ccache_stats
    asked = stats["remote_storage_hit"] + stats["remote_storage_miss"]
    assert asked >= 0.9 * kernel_compile_cache.compiles and stats["remote_storage_error"] == 0, stats
    assert created and all(not c["HostConfig"].get("Binds") for c in created)
    assert all(m["Type"] == "volume" for c in created for m in c["Mounts"])


# ssh first: over tcp the engine then has the layers and the rootfs is quick.
@pytest.mark.parametrize("reached_by", ["ssh_remote", "remote"])
def test_the_rootfs_built_on_a_remote_engine_is_byte_identical_with_no_bind_mount(
    qemu_virt, local_engine, reached_by, request
):
    backend, cache, created = request.getfixturevalue(reached_by)
    local = local_artifact(rootfs_recipe.RECIPE, qemu_virt, local_engine)
    built = produce(rootfs_recipe.RECIPE, qemu_virt, backend, cache)
    assert built.status == "built" and built.key == local.key
    tarball = rootfs_recipe.TARBALL
    assert sha256(built.file(tarball)) == sha256(local.file(tarball)) == local.meta.sha256
    assert created and all(not c["HostConfig"].get("Binds") for c in created)
    assert bind_mounts(backend.client) == []


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_fresh_workspace_builds_the_kernel_from_the_shared_cache(kernel_compile_cache, tmp_path):
    first, profile = kernel_compile_cache.first, kernel_compile_cache.profile
    second = kernel_in_fresh_workspace(tmp_path / "runner-2", profile)
    assert first.status == second.status == "built"
    assert first.key == second.key == produce_key_without_remote(tmp_path)
    stats = second.meta.ccache_stats
    # (its few local hits are files compiled twice in one build, after the first came from Redis)
    assert stats["remote_storage_error"] == 0
    asked = stats["remote_storage_hit"] + stats["remote_storage_miss"]
    assert asked >= 0.9 * kernel_compile_cache.compiles, stats  # every compile asked Redis first
    assert stats["remote_storage_hit"] >= 0.9 * asked, stats
    assert stats["remote"] == kernel_compile_cache.url
    assert kernel_verify.verify(second, profile) == []


def produce_key_without_remote(tmp_path: Path) -> str:
    """The key the same kernel has with no shared cache named."""
    local = smallest_twin()
    backend = DockerBackend(ROOT, mounts=(tmp_path,)).with_toolchain(kernel_recipe.RECIPE.toolchain(local))
    return key_of(kernel_recipe.RECIPE, local, backend, {}, ROOT)
