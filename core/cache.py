"""Django's Redis cache, made to degrade instead of fail while Redis is unreachable.

Redis only holds what may be lost (cached values, rate-limit and login-failure counters, the shared
watcher count); bids, events, sessions and money live in PostgreSQL. With Django's own RedisCache an
outage would turn every request that touches the cache — a login, a sign-up, a rate-limited API
call — into a 500. Here an unreachable Redis reads as a miss and a write is dropped, with a warning
at most every 10 s: rate limits (core.ratelimit) and the login lockout (django-axes) are then not
counted until Redis is back (they fail open, on purpose: refusing every login during an outage is
worse), while bids stay limited by the bid engine in the database. Tested by
tests/resilience/test_redis_down.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("fapai.cache")
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
T = TypeVar("T")
_last_warning = 0.0


def _degrade(op: str, fallback: Callable[[], T], call: Callable[[], T]) -> T:
    global _last_warning
    try:
        return call()
    except UNREACHABLE as exc:
        now = time.monotonic()
        if now - _last_warning > 10:
            _last_warning = now
            log.warning("Redis cache unreachable (%s: %s); reading as a miss until it is back", op, exc)
        return fallback()


class ResilientRedisCache(RedisCache):
    """Every operation as RedisCache's (same arguments and defaults); on an unreachable Redis, what
    a cache that forgets at once would answer: reads miss, `add` succeeds and `incr` counts from
    zero (so an "add, then incr" counter such as core.ratelimit's or django-axes' reads 1 and never
    raises)."""

    def add(self, *args: Any, **kwargs: Any) -> bool:
        return _degrade("add", lambda: True, lambda: super(ResilientRedisCache, self).add(*args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        default = args[1] if len(args) > 1 else kwargs.get("default")
        return _degrade("get", lambda: default, lambda: super(ResilientRedisCache, self).get(*args, **kwargs))

    def set(self, *args: Any, **kwargs: Any) -> None:
        _degrade("set", lambda: None, lambda: super(ResilientRedisCache, self).set(*args, **kwargs))

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        return _degrade("touch", lambda: False, lambda: super(ResilientRedisCache, self).touch(*args, **kwargs))

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        return _degrade("delete", lambda: False, lambda: super(ResilientRedisCache, self).delete(*args, **kwargs))

    def get_many(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return _degrade("get_many", dict, lambda: super(ResilientRedisCache, self).get_many(*args, **kwargs))

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        return _degrade("has_key", lambda: False, lambda: super(ResilientRedisCache, self).has_key(*args, **kwargs))

    def incr(self, *args: Any, **kwargs: Any) -> int:
        delta = int(args[1] if len(args) > 1 else kwargs.get("delta", 1))
        return _degrade("incr", lambda: delta, lambda: super(ResilientRedisCache, self).incr(*args, **kwargs))

    def set_many(self, *args: Any, **kwargs: Any) -> list[Any]:
        data = args[0] if args else kwargs.get("data", {})
        return _degrade("set_many", lambda: list(data),
                        lambda: super(ResilientRedisCache, self).set_many(*args, **kwargs))

    def delete_many(self, *args: Any, **kwargs: Any) -> None:
        _degrade("delete_many", lambda: None, lambda: super(ResilientRedisCache, self).delete_many(*args, **kwargs))

    def clear(self) -> None:
        _degrade("clear", lambda: None, lambda: super(ResilientRedisCache, self).clear())
