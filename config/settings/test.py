"""Test settings. The suite runs against real PostgreSQL and Redis when they are reachable
(DATABASE_URL / REDIS_URL, or the standard local ports) and falls back to SQLite + in-memory layers
otherwise. With FAPAI_REQUIRE_SERVICES=1 (set by .ci/run) an unreachable service is an error, never a
silent fallback. FAPAI_TEST_DB=sqlite forces the fast embedded configuration."""

from __future__ import annotations

import socket

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import VAR_DIR, env, tune_database


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


TEST_DB_MODE = env.str("FAPAI_TEST_DB", default="auto")  # auto | postgres | sqlite
REQUIRE_SERVICES = env.bool("FAPAI_REQUIRE_SERVICES", default=False) and TEST_DB_MODE != "sqlite"
if TEST_DB_MODE not in {"auto", "postgres", "sqlite"}:
    raise ImproperlyConfigured(f"FAPAI_TEST_DB must be auto, postgres or sqlite, not {TEST_DB_MODE!r}")

_db_name = env.str("FAPAI_TEST_DB_NAME", default="fapai")
# Parallel workers (pytest-xdist, `make test`) each get their own database, Redis prefixes and media;
# the servers a test starts inherit the variable and so find the same ones.
_worker = env.str("PYTEST_XDIST_WORKER", default="")
if _worker:
    _db_name = f"{_db_name}_{_worker}"
if TEST_DB_MODE == "sqlite":
    DATABASES = {"default": tune_database(env.db_url_config(f"sqlite:///{VAR_DIR / 'test.sqlite3'}"))}
elif env.str("DATABASE_URL", default=""):
    DATABASES = {"default": tune_database(env.db("DATABASE_URL"))}
elif _reachable("127.0.0.1", 5432):
    DATABASES = {"default": tune_database(env.db_url_config(f"postgres://postgres@127.0.0.1:5432/{_db_name}"))}
elif REQUIRE_SERVICES or TEST_DB_MODE == "postgres":
    raise ImproperlyConfigured("PostgreSQL is required for this test run but 127.0.0.1:5432 is unreachable")
else:
    DATABASES = {"default": tune_database(env.db_url_config(f"sqlite:///{VAR_DIR / 'test.sqlite3'}"))}
DATABASES["default"]["TEST"] = {"NAME": f"test_{_db_name}"} if "postgresql" in DATABASES["default"][
    "ENGINE"] else {}

TEST_BACKEND = "postgres" if "postgresql" in DATABASES["default"]["ENGINE"] else "sqlite"
if TEST_BACKEND == "postgres" and not env.bool("FAPAI_TEST_DB_POOL", default=False):
    # The pool would open connections to the configured database before pytest-django swaps in the
    # test database; tests use plain connections (one per thread, as the concurrency tests need).
    # Servers started by the fault tests connect straight to their database and keep the pool
    # (FAPAI_TEST_DB_POOL=1), as in production.
    DATABASES["default"]["OPTIONS"].pop("pool", None)

if TEST_DB_MODE == "sqlite":
    REDIS_URL = ""
else:
    REDIS_URL = env.str("REDIS_URL", default="")
    if not REDIS_URL and _reachable("127.0.0.1", 6379):
        REDIS_URL = "redis://127.0.0.1:6379/15"
    if not REDIS_URL and REQUIRE_SERVICES:
        raise ImproperlyConfigured("Redis is required for this test run but 127.0.0.1:6379 is unreachable")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"fapai-test-{_db_name}"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"fapai-test-{_db_name}",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "axes.handlers.database.AxesDatabaseHandler"

# Tests that are not about the close grace period close rounds right at their end.
FAPAI_CLOSE_GRACE_SECONDS = 0
# Test-only fault injection (core.faults; tests/resilience): read here and nowhere else.
FAPAI_FAULTS = env.str("FAPAI_FAULTS", default="")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests log staff in with force_login; tests/core/test_accounts_security.py turns both back on.
FAPAI_STAFF_REQUIRE_2FA = False
# Tests move the clock by days with a staff client logged in; the idle-timeout tests set a limit.
FAPAI_STAFF_SESSION_IDLE_SECONDS = 0
# The suite signs up and logs in far more often than a person; the rate-limit tests set real limits.
FAPAI_RATE_LIMITS = {name: "100000/1" for name in FAPAI_RATE_LIMITS}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / f"test-media-{_db_name}"
