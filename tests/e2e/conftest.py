"""What the e2e tests share rather than make twice (issue 28, item 5: the e2e
stage must not build the same kernel several times)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.compile_cache import NST_KERNEL, CompileCache, kernel_in_fresh_workspace, smallest_twin
from tests.support.redis_server import RedisUnavailable, redis_server


@pytest.fixture(scope="session")
def kernel_compile_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CompileCache]:
    """A Redis compile cache filled by one cold build of the nook-twin's 2.6.29
    kernel on its smallest config: the tests that share compiler objects start
    from it (~2 min cold)."""
    if not NST_KERNEL.is_file():
        pytest.skip(f"{NST_KERNEL}: missing (the Nook's kernel tree)")
    try:
        with redis_server() as url:
            profile = smallest_twin({"kernel.ccache_remote": url})
            first = kernel_in_fresh_workspace(tmp_path_factory.mktemp("runner-1"), profile)
            yield CompileCache(url, profile, first)
    except RedisUnavailable as exc:
        pytest.skip(str(exc))
