"""Security headers and the Content-Security-Policy on a page, an API call and a static file; the
session and CSRF cookies; staff sessions that end when idle while bidders keep theirs; logout by
POST only; production settings that refuse to start without their secrets
(docs/security-accounts.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from core import clock
from core.models import User

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_common_headers(response) -> dict[str, list[str]]:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    csp = directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["img-src"] == ["'self'", "data:"]
    return csp


def test_a_page_an_api_call_and_a_static_file_carry_the_security_headers(tmp_path: Path) -> None:
    page = Client().get("/")
    csp = assert_common_headers(page)
    assert csp["script-src"] == ["'self'"]
    assert {"'self'", "ws://testserver", "wss://testserver"} <= set(csp["connect-src"])
    assert page["X-Frame-Options"] == "DENY"
    api = Client().get("/api/rounds/")
    assert api.status_code == 200
    assert_common_headers(api)
    with override_settings(STATIC_ROOT=tmp_path, SERVESTATIC_USE_FINDERS=False, SERVESTATIC_AUTOREFRESH=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        static = Client().get("/static/fapai/site.js")
        assert static.status_code == 200
        assert_common_headers(static)


def test_stripe_js_is_allowed_only_when_the_card_gateway_is_configured() -> None:
    plain = directives(Client().get("/")["Content-Security-Policy"])
    assert plain["script-src"] == ["'self'"] and plain["frame-src"] == ["'none'"]
    with override_settings(STRIPE_SECRET_KEY="sk_test_x", STRIPE_JS_URL="https://js.stripe.com/v3/",
                           STRIPE_API_BASE=""):
        csp = directives(Client().get("/")["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'", "https://js.stripe.com"]
    assert csp["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]
    assert "https://api.stripe.com" in csp["connect-src"]


def test_the_api_docs_page_alone_may_load_swagger_ui_from_its_cdn() -> None:
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200 and "<script>" not in docs.content.decode()  # its script is a file
    assert "https://cdn.jsdelivr.net" in directives(docs["Content-Security-Policy"])["script-src"]
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_session_and_csrf_cookies() -> None:
    user = User.objects.create_user(username=f"u_{uuid.uuid4().hex[:8]}", password="a-long-pass-phrase-9")
    c = Client(REMOTE_ADDR="203.0.113.9", enforce_csrf_checks=True)
    page = c.get(reverse("login"))
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"] == "Lax"
    response = c.post(reverse("login"), {"username": user.username, "password": "a-long-pass-phrase-9",
                                         "csrfmiddlewaretoken": csrf.value})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert response.status_code == 302 and session["httponly"] is True and session["samesite"] == "Lax"
    assert c.get(reverse("logout")).status_code == 405  # logout is POST only
    assert c.post(reverse("logout"), {"csrfmiddlewaretoken": c.cookies[settings.CSRF_COOKIE_NAME].value}
                  ).status_code == 302
    assert "_auth_user_id" not in c.session


@override_settings(FAPAI_STAFF_SESSION_IDLE_SECONDS=1800)
def test_staff_sessions_end_after_idle_time_and_bidders_keep_theirs(frozen: clock.FrozenClock) -> None:
    clerk = User.objects.create_user(username=f"clerk_{uuid.uuid4().hex[:8]}", password="x-long-pass-phrase-9")
    clerk.groups.add(Group.objects.get(name="court_staff"))
    bidder = User.objects.create_user(username=f"bidder_{uuid.uuid4().hex[:8]}", password="x-long-pass-phrase-9")
    bidder.groups.add(Group.objects.get(name="bidder"))
    staff, public = Client(), Client()
    staff.force_login(clerk)
    public.force_login(bidder)
    assert staff.get("/court/").status_code == 200 and public.get("/notifications/").status_code == 200
    assert staff.session.get_expiry_age() == 1800
    assert public.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    frozen.advance(timedelta(minutes=29))
    assert staff.get("/court/").status_code == 200  # activity keeps it alive
    frozen.advance(timedelta(minutes=29))
    assert staff.get("/court/").status_code == 200
    frozen.advance(timedelta(minutes=31))
    expired = staff.get("/court/")
    assert expired.status_code == 302 and expired["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in staff.session
    assert staff.get("/api/staff/cases/").status_code in (401, 403)
    assert public.get("/notifications/").status_code == 200  # a bidder's session is not cut short


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "FAPAI_", "STRIPE_", "DATABASE_URL", "REDIS_URL"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.production", FAPAI_VAR_DIR=str(settings.VAR_DIR))
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); print('started')"], cwd=ROOT,
                          env=clean, capture_output=True, text=True, timeout=120)


def test_production_settings_refuse_to_start_without_their_secrets() -> None:
    from config.settings.base import EMBEDDED_SECRET_KEY

    good = {"DJANGO_SECRET_KEY": "k" * 50, "FAPAI_IDENTITY_KEY": "i" * 40, "DJANGO_ALLOWED_HOSTS": "fapai.example.org"}
    assert "started" in _import_production(good).stdout
    for missing, message in (("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY is not set"),
                             ("FAPAI_IDENTITY_KEY", "FAPAI_IDENTITY_KEY is not set")):
        failed = _import_production({k: v for k, v in good.items() if k != missing})
        assert failed.returncode != 0 and message in failed.stderr and "ImproperlyConfigured" in failed.stderr
    embedded = _import_production({**good, "DJANGO_SECRET_KEY": EMBEDDED_SECRET_KEY})
    assert embedded.returncode != 0 and "public key of the embedded default" in embedded.stderr
    short = _import_production({**good, "FAPAI_IDENTITY_KEY": "short"})
    assert short.returncode != 0 and "FAPAI_IDENTITY_KEY is too short" in short.stderr
    stripe = _import_production({**good, "STRIPE_SECRET_KEY": "sk_live_x"})
    assert stripe.returncode != 0 and "STRIPE_PUBLISHABLE_KEY is not set" in stripe.stderr
    stripe_ok = _import_production({**good, "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
                                    "STRIPE_WEBHOOK_SECRET": "whsec_x"})
    assert "started" in stripe_ok.stdout


def test_no_secret_is_hard_coded_outside_the_embedded_default() -> None:
    """The only literal key is the embedded default's, in base.py; production can never use it."""
    import re

    pattern = re.compile(r"(sk_live_[0-9A-Za-z]{8,}|whsec_[0-9A-Za-z]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|"
                         r"AKIA[0-9A-Z]{16}|(?<![A-Z_])SECRET_KEY\s*=\s*['\"])")
    hits = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "var", "tests", "node_modules"} or "migrations" in parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == [], hits
