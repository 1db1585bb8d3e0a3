"""Settings shared by every configuration. Everything that differs between machines comes from the
environment (12-factor); the defaults are the embedded configuration: SQLite, the in-memory channel
layer, the local-memory cache and the offline payment gateway."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("FAPAI_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default is for a developer's machine only; production.py refuses to start without a key.
EMBEDDED_SECRET_KEY = "fapai-embedded-insecure-key-change-me-0123456789abcdef"  # noqa: S105 - public on purpose
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=EMBEDDED_SECRET_KEY)
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
    # Accounts security (docs/security-accounts.md): staff two-factor, login lockout, CSP.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above servestatic so that static files get the same headers as pages.
    "core.security.PermissionsPolicyMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.sightings.SightingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.security.StaffSessionMiddleware",  # staff: two-factor verified and not idle (after messages)
    # Turns a lockout into the login page. Not last, as axes suggests: it only reads the request
    # after the view, and at the bottom of the chain it changed how servestatic's files stream.
    "axes.middleware.AxesMiddleware",
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
        # After a database restart (docs/realtime.md, tests/resilience): the pool tests a connection
        # before lending it (CONN_HEALTH_CHECKS), so no request gets one the restart broke; a request
        # waits at most `timeout` s for a connection and is then answered 503 (core.unavailable) —
        # sync views share one thread per process under ASGI, so a long wait would hold up every
        # request behind it; and the pool gives up a reconnection chain after `reconnect_timeout` s,
        # so that its exponential backoff cannot leave the service down for minutes after the
        # database is back (the next request starts a fresh attempt at once).
        db["CONN_HEALTH_CHECKS"] = True
        db["OPTIONS"].setdefault("pool", {"min_size": 1, "max_size": env.int("FAPAI_DB_POOL_MAX", default=20),
                                          "timeout": env.float("FAPAI_DB_POOL_TIMEOUT", default=3.0),
                                          "reconnect_timeout": env.float("FAPAI_DB_POOL_RECONNECT", default=5.0)})
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
    # Degrades to a miss while Redis is unreachable instead of failing the request (core.cache).
    CACHES = {"default": {"BACKEND": "core.cache.ResilientRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
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

# --- Accounts security (docs/security-accounts.md) --------------------------------------------
# The axes backend comes first: it refuses a locked-out username+IP before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Staff (court, panel, finance, approver, supervisor) and superusers log in with a second factor
# (TOTP, or a one-time backup code); test.py turns this off for tests that use force_login.
FAPAI_STAFF_REQUIRE_2FA = env.bool("FAPAI_STAFF_REQUIRE_2FA", default=True)
# A staff session ends after this many seconds without a request; bidders keep SESSION_COOKIE_AGE.
FAPAI_STAFF_SESSION_IDLE_SECONDS = env.int("FAPAI_STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
OTP_TOTP_ISSUER = "fapai"
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_TOTP_THROTTLE_FACTOR = 1
FAPAI_OTP_BACKUP_CODES = 10
# Lockout after failed logins: per username+IP, counted in Django's cache when it is Redis (shared
# by every process); without Redis in axes' own tables, since a per-process memory cache would let
# each process count on its own (axes.W001).
AXES_ENABLED = env.bool("FAPAI_AXES_ENABLED", default=True)
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("FAPAI_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("FAPAI_LOGIN_COOLOFF_SECONDS", default=15 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.axes_lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.sightings.client_ip"
AXES_VERBOSE = True  # logs every lockout (logger "axes")
# Rate limits, "N/S" = at most N in S seconds (core.ratelimit; Django's cache). Login attempts are
# counted per client IP and per username before the password is checked; sign-ups per IP; round
# registrations per user. Bids: FAPAI_BID_RATE_LIMIT (per registration, in the bid engine).
FAPAI_RATE_LIMITS = {
    "login_ip": env.str("FAPAI_RATE_LOGIN_IP", default="30/300"),
    "login_user": env.str("FAPAI_RATE_LOGIN_USER", default="10/300"),
    "signup_ip": env.str("FAPAI_RATE_SIGNUP_IP", default="20/3600"),
    "register_user": env.str("FAPAI_RATE_REGISTER_USER", default="20/600"),
    # The parties' case-file lookup: a 12-character code cannot be guessed at this pace.
    "case_lookup_ip": env.str("FAPAI_RATE_CASE_LOOKUP_IP", default="20/600"),
    "case_lookup_case": env.str("FAPAI_RATE_CASE_LOOKUP_CASE", default="30/3600"),
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # the live panel and the card form read it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
FAPAI_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(self), usb=()"
# Content-Security-Policy (django-csp 4). core.security.ContentSecurityPolicyMiddleware adds the
# WebSocket origins of the request's host to connect-src and, when Stripe is configured, the origin
# of STRIPE_JS_URL (script-src, frame-src) and of STRIPE_API_BASE (connect-src).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

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
# Upload limits (core.uploads; docs/security-accounts.md): photos, PDF/image documents, bank statements.
FAPAI_UPLOAD_MAX_IMAGE_BYTES = env.int("FAPAI_UPLOAD_MAX_IMAGE_BYTES", default=10 * 1024 * 1024)
FAPAI_UPLOAD_MAX_DOCUMENT_BYTES = env.int("FAPAI_UPLOAD_MAX_DOCUMENT_BYTES", default=20 * 1024 * 1024)
FAPAI_UPLOAD_MAX_STATEMENT_BYTES = env.int("FAPAI_UPLOAD_MAX_STATEMENT_BYTES", default=10 * 1024 * 1024)

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
# One place for Stripe retries (settlement.gateways.stripe_gateway.RetryingHTTPClient): network
# errors, timeouts, 409, 429 and 5xx are retried with the same idempotency key and exponential backoff.
FAPAI_STRIPE_NETWORK_RETRIES = env.int("FAPAI_STRIPE_NETWORK_RETRIES", default=2)
FAPAI_STRIPE_TIMEOUT_SECONDS = env.float("FAPAI_STRIPE_TIMEOUT_SECONDS", default=30.0)
FAPAI_STRIPE_RETRY_DELAY_SECONDS = env.float("FAPAI_STRIPE_RETRY_DELAY_SECONDS", default=0.5)
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
    "loggers": {"django.channels.server": {"level": "WARNING"}, "daphne": {"level": "WARNING"},
                "axes.apps": {"level": "WARNING"}},
}
