"""Issue 16, item 2: a compile cache shared through Redis. A redis-server on a
loopback port; one workspace builds the nook-twin's 2.6.29 kernel cold (it
fills Redis), then a second, fresh workspace (an empty local ccache folder, as
a second CI runner has) builds the same kernel with at least 90% remote hits,
counted by ccache itself. The Redis address is not in the key. Local engine,
host network: 127.0.0.1 is this machine's. ~2 min cold, then ~1 min."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.engine.backends.docker import DockerBackend, ensure_engine
from pytest_quill.engine.produce import key_of
from pytest_quill.errors import BenchError
from pytest_quill.kernel import recipe as kernel_recipe
from pytest_quill.kernel import verify as kernel_verify
from pytest_quill.profile import load_profile
from tests.support.artifacts import produce
from tests.support.redis_server import RedisUnavailable, redis_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "sources" / "nst-kernel-3f80ffb9.tar.xz"


@pytest.fixture(scope="module")
def redis_url():
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        pytest.skip(str(exc))


def build_in(folder: Path, profile):
    try:
        ensure_engine()
    except BenchError as exc:
        pytest.skip(f"no Docker engine: {exc}")
    return produce(
        kernel_recipe.RECIPE, profile, DockerBackend(ROOT, mounts=(folder,), log_dir=folder / "logs"), folder
    )


def test_a_fresh_workspace_builds_the_kernel_from_the_shared_cache(redis_url, tmp_path):
    if not SOURCE.is_file():
        pytest.skip(f"{SOURCE}: missing (the Nook's kernel tree)")
    profile = load_profile("nook-twin", {"kernel.source": str(SOURCE), "kernel.ccache_remote": redis_url})
    first = build_in(tmp_path / "runner-1", profile)
    second = build_in(tmp_path / "runner-2", profile)
    assert first.status == second.status == "built"
    assert first.key == second.key == produce_key_without_remote(profile, tmp_path)
    stats = second.meta["ccache_stats"]
    # (its few local hits are files compiled twice in one build, after the first came from Redis)
    assert stats["remote_storage_error"] == 0
    asked = stats["remote_storage_hit"] + stats["remote_storage_miss"]
    assert asked > 500 and stats["remote_storage_hit"] >= 0.9 * asked, stats
    assert stats["remote"] == redis_url
    assert kernel_verify.verify(second, profile) == []


def produce_key_without_remote(profile, tmp_path: Path) -> str:
    """The key the same kernel has with no shared cache named."""
    local = load_profile("nook-twin", {"kernel.source": str(SOURCE)})
    backend = DockerBackend(ROOT, mounts=(tmp_path,)).with_toolchain(kernel_recipe.RECIPE.toolchain(local))
    return key_of(kernel_recipe.RECIPE, local, backend, {}, ROOT)
