"""Bidder codes (竞买号): random, per round, never reused anywhere, not derived from anything about
the bidder (WP art.18; trap 6: a label that repeats across auctions lets others profile bidders).

A code is CODE_LENGTH characters drawn with `secrets` from an alphabet without look-alikes (no 0/O,
1/I/L). 31⁶ ≈ 887 million codes; the global IssuedCode table makes reuse impossible, and a collision
simply draws again."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from bidding.models import IssuedCode
from core import clock

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_ATTEMPTS = 50


def random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_code() -> str:
    """Reserve a code never issued before. Runs inside the caller's transaction: the reservation
    commits or rolls back with the registration it is for. Each attempt has its own savepoint, so
    a concurrent transaction that took the same code only costs another draw."""
    for _attempt in range(MAX_ATTEMPTS):
        candidate = random_code()
        if IssuedCode.objects.filter(code=candidate).exists():
            continue
        try:
            with transaction.atomic():
                IssuedCode.objects.create(code=candidate, issued_at=clock.now())
        except IntegrityError:
            continue
        return candidate
    raise RuntimeError("could not draw an unused bidder code; the code space is exhausted")
