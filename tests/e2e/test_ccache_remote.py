"""Issue 16, item 2: a compile cache shared through Redis. A redis-server on a
loopback port; one workspace builds the nook-twin's 2.6.29 kernel (its smallest
config) cold, which fills Redis, then a second, fresh workspace (an empty local
ccache folder, as a second CI runner has) builds the same kernel with at least
90% remote hits, counted by ccache itself. The Redis address is not in the key.
Local engine, host network: 127.0.0.1 is this machine's. ~2 min cold (the
session's kernel_compile_cache, tests/e2e/conftest.py), then ~1 min."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_quill.engine.backends.docker import DockerBackend
from pytest_quill.engine.produce import key_of
from pytest_quill.kernel import recipe as kernel_recipe
from pytest_quill.kernel import verify as kernel_verify
from tests.support.compile_cache import ROOT, kernel_in_fresh_workspace, smallest_twin

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]


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
