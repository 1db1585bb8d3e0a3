"""The bench's data, built through the real services (tests/builders.py and the registration helpers
of tests/bidding/conftest.py): one court, one lot and first round per scenario, driven to BIDDING,
and qualified registrations whose offline deposits finance confirmed. Every round is created from
the same frozen instant, so all rounds open at the same `bidding_start`; the daphne servers are
pinned a few minutes after it with FAPAI_CLOCK_AT (their clock then runs at real speed).

Runs inside the bench process after django.setup() (settings: bench.settings)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from auction.models import AuctionRound
from core import clock
from core.models import User
from tests import builders
from tests.bidding.conftest import register, sign_up

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=clock.SHANGHAI)  # a Monday: the notice days need no roll-over
_case_serial = itertools.count(9000)
_user_serial = itertools.count(1)


@dataclass
class BidderInfo:
    user_id: int
    username: str
    session_key: str
    code: str
    token: str = ""  # a DRF token for the HTTP bid endpoint
    alias: str = ""  # the replay's eBay pseudonym mapped to this bidder


@dataclass
class RoundInfo:
    name: str
    round_id: int
    start_fen: int
    increment_fen: int
    bidding_start: datetime
    bidders: list[BidderInfo] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Builder:
    """`prefix` names the staff and bidder accounts and `first_case` numbers the cases, so that several
    builders (processes) can fill one database side by side (bench/load_test.py)."""

    def __init__(self, prefix: str = "bench", first_case: int | None = None) -> None:
        self.prefix = prefix
        self._cases = _case_serial if first_case is None else itertools.count(first_case)
        self._clock_cm = clock.frozen(T0)
        self.frozen = self._clock_cm.__enter__()
        self.court = builders.court()
        self.judge = builders.staff_user(f"{prefix}-judge", self.court, roles=["court_staff", "panel"])
        self.finance = builders.staff_user(f"{prefix}-finance", self.court, roles=["finance"])

    def close(self) -> None:
        self._clock_cm.__exit__(None, None, None)

    def round(self, name: str, *, start_fen: int, increment_fen: int, bidders: list[str] | int) -> RoundInfo:
        """A first round in BIDDING (bidding 72 h from T0 + 40 days) with qualified bidders."""
        self.frozen.set(T0)
        # start ≥ 70% of the reference price (WP art.10); deposit 10% of the start (WP art.17).
        lot = builders.lot(builders.case(self.court, serial=next(self._cases)), reference_fen=start_fen)
        deposit = max(start_fen // 10, 1)
        rnd = builders.round_in(AuctionRound.Status.BIDDING, judge=self.judge, frozen=self.frozen, lot_obj=lot,
                                start_fen=start_fen, increment_fen=increment_fen, deposit_fen=deposit, hours=72)
        aliases = [f"{name}{i}" for i in range(bidders)] if isinstance(bidders, int) else list(bidders)
        info = RoundInfo(name, rnd.pk, start_fen, increment_fen, rnd.bidding_start)
        for alias in aliases:
            n = next(_user_serial)
            user = sign_up(f"{self.prefix}{n}", "张三").user
            reg = register(user, rnd, finance=self.finance)
            assert reg.code, f"registration {reg.pk} is {reg.status}, not qualified with a code"
            token = Token.objects.create(user=user).key
            info.bidders.append(BidderInfo(user.pk, user.username, session_for(user), reg.code, token, alias))
        return info


def session_for(user: User) -> str:
    """A logged-in session in the database, as django.contrib.auth.login() would leave it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(timedelta(days=60))  # the bench's sessions must outlive the pinned clock's offset
    store.create()
    assert store.session_key is not None
    return store.session_key


def pinned_time(rounds: list[RoundInfo]) -> datetime:
    """The servers' clock: ten minutes into bidding, far (≥ 71 h) from every end, so no extension."""
    return max(r.bidding_start for r in rounds) + timedelta(minutes=10)
