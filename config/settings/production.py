"""Production: everything from the environment, nothing insecure by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMBEDDED_SECRET_KEY, env


def required_secret(name: str, why: str, *, min_length: int = 1) -> str:
    """A secret that must come from the environment: refuse to start without it (never a default)."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why}. Set it in the environment "
                                   "(docs/security-accounts.md).")
    if len(value) < min_length:
        raise ImproperlyConfigured(f"{name} is too short: it needs at least {min_length} random characters.")
    return value


DEBUG = False
FAPAI_PRODUCTION = True  # dev-only tools (manage.py otp_code) refuse to run
SECRET_KEY = required_secret("DJANGO_SECRET_KEY", "it signs sessions and CSRF tokens", min_length=32)
if SECRET_KEY == EMBEDDED_SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY is the public key of the embedded default; set a random one.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Identities must not hang on SECRET_KEY.
FAPAI_IDENTITY_KEY = required_secret("FAPAI_IDENTITY_KEY", "it seals bidders' identity numbers", min_length=32)
if STRIPE_SECRET_KEY:  # noqa: F405 - the card gateway is on: its other secrets are needed too
    STRIPE_PUBLISHABLE_KEY = required_secret("STRIPE_PUBLISHABLE_KEY", "the card form needs it with STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = required_secret("STRIPE_WEBHOOK_SECRET",
                                            "Stripe webhooks cannot be verified without it")
FAPAI_STAFF_REQUIRE_2FA = True  # not switchable in production
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Test-only fault injection (core.faults) can never be switched on here, whatever the environment says.
FAPAI_FAULTS = ""
