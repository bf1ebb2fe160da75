"""The Redis server of the ccache tests: the ccache benchmark's, one copy
(benchmarks may not import tests; tests may use them)."""

from benchmarks.redis_server import RedisUnavailable, redis_server

__all__ = ["RedisUnavailable", "redis_server"]
