"""One small rate limiter for every place that needs one (login, sign-up, round registration): a
fixed window counted in Django's cache — Redis in production (shared by every daphne process),
local memory in the embedded default. The window is taken from core.clock, so tests move it
explicitly. Limits are "N/S" strings (at most N hits in S seconds), named in settings.FAPAI_RATE_LIMITS.

A hit is counted atomically: cache.add() creates the window's counter once, cache.incr() counts on
it (an atomic INCR on Redis). Bids are limited in the bid engine instead (bidding.services,
FAPAI_BID_RATE_LIMIT): per registration, under the round lock, counted from the stored bids."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core import clock

MESSAGE = _("Too many attempts in a short time. Try again in %(seconds)s seconds.")


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int  # hits in the current window, this one included
    retry_after: int  # seconds until the window ends (0 when allowed)

    def message(self) -> str:
        return str(MESSAGE) % {"seconds": self.retry_after}


def parse_limit(text: str) -> Limit:
    """"N/S" → Limit(N, S). Raises ValueError for anything else (a wrong setting must fail loudly)."""
    count, _slash, seconds = str(text).partition("/")
    limit = Limit(int(count), int(float(seconds)))
    if limit.count < 1 or limit.seconds < 1:
        raise ValueError(f"a rate limit is 'N/S' with N ≥ 1 and S ≥ 1, not {text!r}")
    return limit


def limit_named(name: str) -> Limit:
    return parse_limit(settings.FAPAI_RATE_LIMITS[name])


def _key(name: str, subject: str, window: int) -> str:
    # Subjects are user input (usernames): hash them, so no key is ever too long or oddly encoded.
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"fapai:rl:{name}:{digest}:{window}"


def hit(name: str, subject: str, limit: Limit | None = None) -> Verdict:
    """Count one hit of `subject` (an IP address, a username, a user id) against the limit `name`."""
    limit = limit or limit_named(name)
    now = clock.now().timestamp()
    window = int(now // limit.seconds)
    key = _key(name, subject, window)
    # The counter outlives its window a little so that a slow incr never lands on a fresh key.
    cache.add(key, 0, timeout=limit.seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=limit.seconds + 5)
        count = 1
    if count <= limit.count:
        return Verdict(True, count, 0)
    retry = max(1, math.ceil((window + 1) * limit.seconds - now))
    return Verdict(False, count, retry)


def check(*hits: tuple[str, str]) -> Verdict:
    """Count every (name, subject) hit and return the most restrictive verdict. Every counter is
    counted even when an earlier one already refuses, so an attacker cannot spread attempts over
    names to avoid a per-IP limit."""
    worst = Verdict(True, 0, 0)
    for name, subject in hits:
        verdict = hit(name, subject)
        if not verdict.allowed and verdict.retry_after > worst.retry_after:
            worst = verdict
    return worst


def refuse_form(form: forms.BaseForm, verdict: Verdict, render: Callable[[int], HttpResponse]) -> HttpResponse:
    """A page's answer to a refused hit: the form again with the message, 429 and Retry-After."""
    form.add_error(None, verdict.message())
    response = render(429)
    response["Retry-After"] = str(verdict.retry_after)
    return response
