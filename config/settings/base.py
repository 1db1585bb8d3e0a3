"""Settings shared by every configuration. Everything that differs between machines comes from the
environment (12-factor); the defaults are the embedded configuration: SQLite, the in-memory channel
layer, the local-memory cache and the offline payment gateway."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("FAPAI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default is for a developer's machine only; production.py refuses to start without a key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="fapai-embedded-insecure-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    # fapai's apps come before Django's so that their translations win where the same words differ.
    "core",
    "auction",
    "valuation",
    "settlement",
    "bidding",  # after settlement: its clock jobs replace auction's "rounds.close"
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.sightings.SightingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL in production and CI; without it the embedded SQLite file is used.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}


def tune_database(db: dict) -> dict:
    """Engine-specific options. Under ASGI persistent connections leak across threads, so PostgreSQL
    uses Django's psycopg pool with CONN_MAX_AGE = 0; SQLite takes its write lock at BEGIN
    (IMMEDIATE) so two writers queue instead of failing with "database is locked" on upgrade."""
    engine = db["ENGINE"]
    db["ATOMIC_REQUESTS"] = False
    db["CONN_MAX_AGE"] = 0
    if engine.endswith("postgresql"):
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].setdefault("pool", {"min_size": 1, "max_size": env.int("FAPAI_DB_POOL_MAX", default=20),
                                          "timeout": 10})
    elif engine.endswith("sqlite3"):
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        db["OPTIONS"].setdefault("timeout", 20)
        db["OPTIONS"].setdefault(
            "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        )
    return db


tune_database(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS: list[Path] = []  # every app keeps its own catalogue in <app>/locale
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"  # shown to users; stored in UTC (USE_TZ)
USE_TZ = True
LANGUAGE_COOKIE_NAME = "fapai_language"

# --- Static and uploaded files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # servestatic warns at start-up when it is missing
STATICFILES_DIRS: list[Path] = []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("FAPAI_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
# Serve from the apps' static folders without collectstatic (development, and the live tests' servers).
SERVESTATIC_USE_FINDERS = env.bool("FAPAI_STATIC_FINDERS", default=DEBUG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Auth --------------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fapai API",
    "DESCRIPTION": "Online judicial auctions (网络司法拍卖). Money is integer fen; times are UTC ISO-8601.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- fapai rules that the law leaves to configuration ----------------------------------------
# WP art.26: "the 2nd auction within 30 days of the failure" is read by most courts as "held within
# 30 days" (bidding starts by day 30); some read it as "notice published within 30 days".
FAPAI_SECOND_ROUND_WINDOW = env.str("FAPAI_SECOND_ROUND_WINDOW", default="held")  # "held" | "published"
FAPAI_UPLOAD_MAX_IMAGE_BYTES = 10 * 1024 * 1024
FAPAI_UPLOAD_MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

# --- Email: console in the embedded default; SMTP etc. via DJANGO_EMAIL_BACKEND + Django's EMAIL_* ----
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="fapai <noreply@fapai.localhost>")

# --- Identity and private uploads (issue 4) --------------------------------------------------
# Identity numbers are sealed with a key derived from FAPAI_IDENTITY_KEY (≥ 32 characters); the
# embedded default derives it from SECRET_KEY. production.py requires it.
FAPAI_IDENTITY_KEY = env.str("FAPAI_IDENTITY_KEY", default="")
# Identity documents and qualification proofs: never served by URL; empty = "<MEDIA_ROOT>-private".
FAPAI_PRIVATE_MEDIA_ROOT = env.str("FAPAI_PRIVATE_MEDIA_ROOT", default="")

# --- Payments (issue 4). The embedded default enables the offline gateway only. ----------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # e.g. a local localstripe in development
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
FAPAI_DEFAULT_GATEWAYS = env.list("FAPAI_DEFAULT_GATEWAYS", default=[])  # empty: every enabled gateway
FAPAI_COURT_BANK_NAME = env.str("FAPAI_COURT_BANK_NAME", default="")
FAPAI_COURT_BANK_ACCOUNT_NAME = env.str("FAPAI_COURT_BANK_ACCOUNT_NAME", default="")
FAPAI_COURT_BANK_ACCOUNT = env.str("FAPAI_COURT_BANK_ACCOUNT", default="")  # empty: bank transfer disabled
FAPAI_COURT_BANK_VIRTUAL_PREFIX = env.str("FAPAI_COURT_BANK_VIRTUAL_PREFIX", default="9558")
FAPAI_CARD_AUTH_WINDOW_DAYS = env.int("FAPAI_CARD_AUTH_WINDOW_DAYS", default=6)
FAPAI_STRIPE_MAX_AMOUNT_FEN = env.int("FAPAI_STRIPE_MAX_AMOUNT_FEN", default=99_999_999)
FAPAI_STRIPE_IDEMPOTENCY_PREFIX = env.str("FAPAI_STRIPE_IDEMPOTENCY_PREFIX", default="fapai")
FAPAI_WEBHOOK_LOCK_TIMEOUT_MS = env.int("FAPAI_WEBHOOK_LOCK_TIMEOUT_MS", default=3000)

# --- Live bidding (issue 5) --------------------------------------------------------------------
# At most N bid attempts per registration in S seconds ("N/S"); human bidding is far below it.
FAPAI_BID_RATE_LIMIT = env.str("FAPAI_BID_RATE_LIMIT", default="10/10")
# The clock closes a round this many seconds after its effective end, so that bids received before
# the end but still queued are decided first (a bid counts by its receipt time).
FAPAI_CLOSE_GRACE_SECONDS = env.int("FAPAI_CLOSE_GRACE_SECONDS", default=5)

# --- Collusion and shill screening (issue 7; docs/screening.md) ---------------------------------
# A round or bidder with `flag` points or more goes to the court's review queue; `high` marks it
# urgent. `points` may override the weight of a reason code (bidding.screening.reasons).
# `history_days` / `context_rounds`: which closed rounds inform the cross-round graph and the outlier model.
FAPAI_SITE_URL = env.str("FAPAI_SITE_URL", default="")  # e.g. https://fapai.example.org, for links in emails
FAPAI_TRUSTED_PROXIES = env.int("FAPAI_TRUSTED_PROXIES", default=0)  # our proxies in front of daphne
FAPAI_SCREENING = {
    "flag": env.int("FAPAI_SCREENING_FLAG", default=30),
    "high": env.int("FAPAI_SCREENING_HIGH", default=60),
    "points": {},
    "history_days": env.int("FAPAI_SCREENING_HISTORY_DAYS", default=730),
    "context_rounds": env.int("FAPAI_SCREENING_CONTEXT_ROUNDS", default=300),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("FAPAI_LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
