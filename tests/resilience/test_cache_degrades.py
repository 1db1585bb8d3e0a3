"""The cache against a real Redis that goes away and comes back (core.cache.ResilientRedisCache): while
it is unreachable every operation answers as an empty cache would, without raising, so the rate
limiter and the login lockout fail open instead of failing the request; afterwards it is a cache
again. Fast: one throwaway redis-server, no database."""

from __future__ import annotations

import pytest
from django.test import override_settings

from core import clock, ratelimit
from core.cache import ResilientRedisCache
from tests.resilience.servers import Redis

OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def make(url: str) -> ResilientRedisCache:
    return ResilientRedisCache(url, {"OPTIONS": OPTIONS, "KEY_PREFIX": "faults"})


def test_an_unreachable_redis_reads_as_an_empty_cache_and_recovers(redis_server: Redis) -> None:
    cache = make(redis_server.url)
    cache.set("a", 1)
    assert cache.get("a") == 1 and cache.add("a", 2) is False and cache.incr("a") == 2

    redis_server.kill()
    assert cache.get("a", "default") == "default" and cache.get("a") is None
    assert cache.add("b", 1) is True  # as if stored, then forgotten
    assert cache.incr("b") == 1 and cache.incr("b", 5) == 5  # counts from zero, never raises
    assert cache.get_many(["a", "b"]) == {} and cache.has_key("a") is False
    assert cache.delete("a") is False and cache.touch("a") is False
    assert cache.set_many({"x": 1, "y": 2}) == ["x", "y"]  # the keys not stored
    cache.set("c", 3)
    cache.delete_many(["a"])
    cache.clear()

    redis_server.start()  # empty again: the values written before are gone, the cache works
    assert cache.get("a") is None
    cache.set("a", 7)
    assert cache.get("a") == 7 and cache.incr("a") == 8


@pytest.mark.parametrize("reachable", [True, False])
def test_the_rate_limiter_counts_with_redis_and_fails_open_without(redis_server: Redis, reachable: bool,
                                                                   frozen: clock.FrozenClock) -> None:
    caches = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": redis_server.url,
                          "OPTIONS": OPTIONS, "KEY_PREFIX": f"faults-rl-{reachable}"}}
    if not reachable:
        redis_server.kill()
    limit = ratelimit.Limit(3, 60)
    with override_settings(CACHES=caches):
        verdicts = [ratelimit.hit("login_ip", "10.0.0.1", limit) for _ in range(5)]
    if reachable:
        assert [v.allowed for v in verdicts] == [True, True, True, False, False]
        assert verdicts[-1].retry_after > 0
    else:
        assert all(v.allowed and v.count == 1 for v in verdicts)
