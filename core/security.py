"""HTTP security around every request (docs/security-accounts.md):

- StaffSessionMiddleware: a staff session must have passed the second factor (django-otp) before
  any page or API call works, and ends after FAPAI_STAFF_SESSION_IDLE_SECONDS without a request;
- ContentSecurityPolicyMiddleware: django-csp's policy plus what depends on the request (the
  WebSocket origins of its host, Stripe's origins when the card gateway is configured);
- PermissionsPolicyMiddleware: the Permissions-Policy header (Django sets the other headers);
- axes_lockout_response: the login page with the lockout message, for django-axes."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core import clock, twofactor
from core.errors import error_body, wants_json

log = logging.getLogger("fapai.security")
LAST_SEEN_KEY = "_fapai_staff_seen"
# A staff session's last-seen time is written at most this often (one session save per minute).
LAST_SEEN_RESOLUTION = 60


def _exempt(request: HttpRequest) -> bool:
    path = request.path_info
    prefixes = [reverse("login"), reverse("logout"), reverse("otp_verify"), reverse("otp_setup"),
                settings.STATIC_URL or "/static/", "/i18n/"]
    return any(path.startswith(p) for p in prefixes)


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


class StaffSessionMiddleware:
    """After AuthenticationMiddleware and django-otp's OTPMiddleware. For a user who needs the
    second factor (core.twofactor.needs_second_factor): an idle session is logged out; an
    unverified one is sent to the verification page (or enrolment, without a device) — pages by
    redirect, API calls with 403 JSON — except for the login, logout, two-factor, static and
    language URLs. Bidders and the public pass untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and twofactor.needs_second_factor(user):
            refused = self._idle(request) or self._unverified(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _idle(self, request: HttpRequest) -> HttpResponseBase | None:
        idle = int(getattr(settings, "FAPAI_STAFF_SESSION_IDLE_SECONDS", 0) or 0)
        if idle <= 0:
            return None
        now = clock.now().timestamp()
        last = request.session.get(LAST_SEEN_KEY)
        if isinstance(last, int | float) and now - last > idle:
            log.info("staff session of user %s ended after %d s idle", request.user.pk, int(now - last))
            logout(request)  # flushes the session: a new key, nothing of the old one kept
            message = _("Your staff session ended after %(minutes)s minutes without activity. Log in again.") % {
                "minutes": math.ceil(idle / 60)}
            if wants_json(request):
                return _json_error("session_expired", message, 401)
            messages.info(request, message)
            return redirect_to_login(request.get_full_path())
        if not isinstance(last, int | float) or now - last >= LAST_SEEN_RESOLUTION:
            request.session[LAST_SEEN_KEY] = now
        if request.session.get("_session_expiry") != idle:
            request.session.set_expiry(idle)  # the cookie and the stored session end with the idle time
        return None

    def _unverified(self, request: HttpRequest, user: Any) -> HttpResponseBase | None:
        if not getattr(settings, "FAPAI_STAFF_REQUIRE_2FA", True) or _exempt(request):
            return None
        if getattr(user, "is_verified", None) is not None and user.is_verified():
            return None
        enrolled = twofactor.confirmed_device(user) is not None
        if wants_json(request):
            message = (_("Confirm your login with the code from your authenticator app first.") if enrolled
                       else _("Set up two-factor authentication before using staff functions."))
            return _json_error("otp_required", message, 403)
        target = reverse("otp_verify" if enrolled else "otp_setup")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """settings.CONTENT_SECURITY_POLICY plus the request's own WebSocket origins (connect-src) and,
    when the card gateway is configured, Stripe.js's origin (script-src, frame-src) and the Stripe
    API's origin (connect-src)."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update: dict[str, Any] = {k: list(v) if isinstance(v, list | tuple) else [v]
                                  for k, v in (parts.update or {}).items()}
        try:
            host = request.get_host()
        except Exception:  # a disallowed Host header: Django answers 400, no WebSocket origins to add
            host = ""
        if host:
            update.setdefault("connect-src", []).extend([f"ws://{host}", f"wss://{host}"])
        if getattr(settings, "STRIPE_SECRET_KEY", ""):
            js = _origin(getattr(settings, "STRIPE_JS_URL", ""))
            api = _origin(getattr(settings, "STRIPE_API_BASE", "")) or "https://api.stripe.com"
            if js:
                update.setdefault("script-src", []).append(js)
                update.setdefault("connect-src", []).append(js)
                # frame-src is 'none' otherwise, and 'none' beside a source is an error: replace it.
                frames = [js, "https://hooks.stripe.com"] if js == "https://js.stripe.com" else [js]
                parts.replace = {**(parts.replace or {}), "frame-src": frames}
            update.setdefault("connect-src", []).append(api)
        parts.update = update
        return parts


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in {"http", "https"} and parts.netloc else ""


class PermissionsPolicyMiddleware:
    """Permissions-Policy on every response (Django's SecurityMiddleware sets nosniff,
    Referrer-Policy and Cross-Origin-Opener-Policy; django-csp the CSP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = getattr(settings, "FAPAI_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


def axes_lockout_response(request: HttpRequest, original_response: Any = None,
                          credentials: Any = None) -> HttpResponse:
    """django-axes calls this when a username+IP is locked out: the login page again, with how long
    to wait, status 429 and Retry-After. (Under ASGI axes passes the credentials second.)"""
    if isinstance(original_response, dict) and credentials is None:
        credentials = original_response
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = int(cool_off.total_seconds()) if cool_off is not None else 0
    username = (credentials or {}).get("username", "") if isinstance(credentials, dict) else ""
    log.warning("login locked out: username=%r ip=%s for %d s", username, getattr(request, "axes_ip_address", ""),
                seconds)
    message = _("Too many failed logins for this account from your address. Try again in %(minutes)s minutes.") % {
        "minutes": max(1, math.ceil(seconds / 60))}
    if wants_json(request):
        response: HttpResponse = _json_error("locked_out", message, 429)
    else:
        from core.views import login_form_for  # views import this module's neighbours, not the reverse

        response = render(request, "registration/login.html",
                          {"form": login_form_for(request), "login_error": message,
                           "next": request.POST.get("next", "")}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
