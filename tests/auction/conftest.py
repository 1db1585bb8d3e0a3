"""Fixtures for the auction rule tests. Rounds reach their starting state through the services with
the frozen clock, like `tests.builders.round_in`, but a step at a time so a test can stop anywhere.

Timeline of `failed_first` (from T0, Monday 2 March 2026): created, notified and approved on 2 March,
published on 5 March, bidding 11 April 10:00 → 12 April 10:00, failed at 12 April 10:00.
`failed_second` continues: second round created on 12 April, published 15 April, bidding 2 May 10:00
→ 3 May 10:00, failed at 3 May 10:00. `sell_off_bidding` continues: created 3 May, published 6 May,
the 60-day window opens 23 May 10:00."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import transaction

from auction import services
from auction.models import AuctionRound, Lot
from auction.services import RoundTerms
from core import clock
from core.errors import RuleViolation
from tests import builders

S = AuctionRound.Status
PANEL = ["审判长甲", "审判员乙", "审判员丙"]


def reload(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.select_related("lot__case__court", "previous_round").get(pk=rnd.pk)


def rule_codes(exc: RuleViolation) -> list[str]:
    """Every rule code a RuleViolation (or RuleViolations) carries."""
    return list(getattr(exc, "codes", [exc.rule_code]))


@pytest.fixture
def codes() -> Callable[[RuleViolation], list[str]]:
    return rule_codes


@pytest.fixture
def lot_obj(court: builders.Court) -> Lot:
    return builders.lot(builders.case(court))


@pytest.fixture
def approve(judge: builders.User) -> Callable[[AuctionRound], AuctionRound]:
    """Record a panel decision for the round today."""

    def run(rnd: AuctionRound) -> AuctionRound:
        services.round_record_panel_decision(actor=judge, rnd=rnd, decided_on=clock.today(), reference="合议庭评议笔录",
                                             members=PANEL)
        return reload(rnd)

    return run


@pytest.fixture
def announce(judge: builders.User, frozen: clock.FrozenClock,
             approve: Callable[[AuctionRound], AuctionRound]) -> Callable[[AuctionRound], AuctionRound]:
    """Notify everyone now, approve, wait the 3 days of WP art.16 and publish."""

    def run(rnd: AuctionRound) -> AuctionRound:
        builders.notify_all(rnd, judge)
        approve(rnd)
        frozen.advance(timedelta(days=3))
        services.round_publish(actor=judge, rnd=rnd)
        return reload(rnd)

    return run


@pytest.fixture
def open_bidding(frozen: clock.FrozenClock) -> Callable[[AuctionRound], AuctionRound]:
    def run(rnd: AuctionRound) -> AuctionRound:
        frozen.set(rnd.bidding_start)
        assert services.round_open(rnd=rnd)
        return reload(rnd)

    return run


@pytest.fixture
def close_unsold(frozen: clock.FrozenClock) -> Callable[[AuctionRound], AuctionRound]:
    def run(rnd: AuctionRound) -> AuctionRound:
        frozen.set(reload(rnd).effective_end)
        assert services.round_close(rnd=rnd)
        rnd = reload(rnd)
        assert rnd.status == S.FAILED
        return rnd

    return run


@pytest.fixture
def bid() -> Callable[..., AuctionRound]:
    """Apply an accepted bid under the round lock, as the bid engine does."""

    def run(rnd: AuctionRound, at: datetime, price_fen: int | None = None, code: str = "K7Q2") -> AuctionRound:
        with transaction.atomic():
            locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
            price = price_fen if price_fen is not None else (locked.current_price_fen or locked.start_price_fen)
            services.do_round_apply_bid(locked, price_fen=price, bidder_code=code, at=at)
        return reload(rnd)

    return run


@pytest.fixture
def failed_first(judge: builders.User, frozen: clock.FrozenClock, lot_obj: Lot) -> AuctionRound:
    return builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=lot_obj)


def second_terms(start_fen: int = 64_000_000, starts_in_days: int = 20) -> RoundTerms:
    return builders.terms(start_fen, starts_in_days=starts_in_days)


def sell_off_terms(price_fen: int = 64_000_000, starts_in_days: int = 20) -> RoundTerms:
    return builders.terms(price_fen, starts_in_days=starts_in_days, hours=60 * 24, deposit_fen=price_fen)


@pytest.fixture
def failed_second(judge: builders.User, failed_first: AuctionRound, announce: Callable[[AuctionRound], AuctionRound],
                  open_bidding: Callable[[AuctionRound], AuctionRound],
                  close_unsold: Callable[[AuctionRound], AuctionRound]) -> AuctionRound:
    rnd = services.round_create_next(actor=judge, previous=failed_first, terms=second_terms(), **builders.TEXTS)
    return close_unsold(open_bidding(announce(rnd)))


@pytest.fixture
def sell_off_bidding(judge: builders.User, failed_second: AuctionRound,
                     announce: Callable[[AuctionRound], AuctionRound],
                     open_bidding: Callable[[AuctionRound], AuctionRound]) -> AuctionRound:
    rnd = services.round_create_next(actor=judge, previous=failed_second, terms=sell_off_terms(), **builders.TEXTS)
    return open_bidding(announce(rnd))
