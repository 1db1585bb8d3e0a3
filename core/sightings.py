"""Where a logged-in user is seen from: the client IP address and a device id (a random cookie set
once per browser). Recorded once per session and change, so a page view costs no write; read by
collusion screening (bidding.screening), never shown to other users."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from core import clock

DEVICE_COOKIE = "fapai_device"
_SESSION_KEY = "_fapai_seen"


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address our own proxies put in X-Forwarded-For (FAPAI_TRUSTED_PROXIES
    of them, counted from the right; anything further left is what the client claims)."""
    hops = int(getattr(settings, "FAPAI_TRUSTED_PROXIES", 0))
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def sighting_record(user: Any, kind: str, value: str) -> None:
    from core.models import Sighting

    if not value:
        return
    now = clock.now()
    updated = Sighting.objects.filter(user=user, kind=kind, value=value).update(last_seen=now)
    if not updated:
        try:
            with transaction.atomic():
                Sighting.objects.create(user=user, kind=kind, value=value, first_seen=now, last_seen=now)
        except IntegrityError:  # another request of the same user got there first
            pass


class SightingMiddleware:
    """Gives every browser a device cookie and records (user, IP, device) when it changes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        device = request.COOKIES.get(DEVICE_COOKIE, "")
        if not (16 <= len(device) <= 64 and device.isalnum()):
            device = ""
        new_device = device or secrets.token_hex(16)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            ip = client_ip(request)
            seen = f"{user.pk}|{ip}|{new_device}"
            if request.session.get(_SESSION_KEY) != seen:
                sighting_record(user, "ip", ip)
                sighting_record(user, "device", new_device)
                request.session[_SESSION_KEY] = seen
        response = self.get_response(request)
        if not device:
            response.set_cookie(DEVICE_COOKIE, new_device, max_age=2 * 365 * 86400, httponly=True,
                                secure=settings.SESSION_COOKIE_SECURE,
                                samesite="Lax")
        return response
