from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from django.conf import settings
from django.utils import translation

from core import clock
from tests import builders

# A Monday in an ordinary week, 10:00 in Beijing. Tests move the clock explicitly; nothing sleeps.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)


def pytest_report_header(config: pytest.Config) -> str:
    db = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
    layer = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
    return f"fapai test backends: database={db} channel_layer={layer} redis={settings.REDIS_URL or 'none'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(settings, "TEST_BACKEND", "sqlite") != "postgres":
        skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of `make test`)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.frozen(T0) as c:
        yield c


@pytest.fixture
def clean_rate_limits() -> None:
    """Forget this run's rate-limit counters (core.ratelimit), and only those: the other test worker
    shares the Redis database (with another key prefix), so the cache is never flushed."""
    from django.core.cache import cache

    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # the in-memory cache of one process
        cache.clear()
        return
    redis = client(write=True)
    for key in redis.scan_iter(match=f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:*:fapai:rl:*"):
        redis.delete(key)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def court(db: None) -> builders.Court:
    return builders.court()


@pytest.fixture
def clerk(court: builders.Court) -> builders.User:
    return builders.staff_user("clerk", court, roles=["court_staff"])


@pytest.fixture
def judge(court: builders.Court) -> builders.User:
    return builders.staff_user("judge", court, roles=["court_staff", "panel"])
