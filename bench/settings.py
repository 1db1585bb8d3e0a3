"""Settings of the live-bidding benchmark's processes (the bench itself and its daphne servers):
the shared base configuration with DATABASE_URL / REDIS_URL set by bench/live_bench.py (its own
PostgreSQL database `fapai_bench`, Redis db 14), production-like otherwise (psycopg pool, DEBUG off),
with the test suite's fast password hasher and plain file storage."""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.base import REDIS_URL, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "bench-media"
FAPAI_PRIVATE_MEDIA_ROOT = str(VAR_DIR / "bench-media-private")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "fapai-bench"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "fapai-bench",
        }
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
