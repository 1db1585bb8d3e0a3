"""Test data for the money side: bidders, rounds at the stage a test needs, deposits opened and paid
through the real services, and a sold round with its winner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from auction import services as auction_services
from auction.models import AuctionRound, Case
from core import clock
from core.models import User
from settlement import services
from settlement.models import Deposit
from tests import builders

S = AuctionRound.Status
CLOCK = "system:clock"


def bidder(username: str, name: str = "") -> User:
    user = User.objects.create_user(username=username, password="pw-not-used-1234", display_name=name or username)
    user.groups.add(Group.objects.get(name="bidder"))
    return user


def bidding_round(judge: User, frozen: clock.FrozenClock, **terms: Any) -> AuctionRound:
    """A fresh lot's first round, bidding now (T0 + 40 days, 10:00), ending 24 hours later."""
    lot = builders.lot(builders.case(builders.court(), serial=Case.objects.count() + 2000))
    return builders.round_in(S.BIDDING, judge=judge, frozen=frozen, lot_obj=lot, **terms)


def announced_round(judge: User, frozen: clock.FrozenClock, **terms: Any) -> AuctionRound:
    lot = builders.lot(builders.case(builders.court(), serial=Case.objects.count() + 2000))
    return builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot, **terms)


def reload(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.select_related("lot__case__court").get(pk=rnd.pk)


def held_offline(rnd: AuctionRound, owner: User, finance: User, name: str = "张三",
                 amount_fen: int | None = None) -> Deposit:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen if amount_fen is None else amount_fen,
                                    payer_name=name, gateway="offline", actor=owner)
    if deposit.status == Deposit.Status.PENDING:
        deposit = services.deposit_confirm_offline(deposit=deposit, actor=finance)
    return deposit


def bid(rnd: AuctionRound, price_fen: int | None = None, code: str = "K7Q2") -> AuctionRound:
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        price = price_fen if price_fen is not None else (locked.current_price_fen or locked.start_price_fen)
        auction_services.do_round_apply_bid(locked, price_fen=price, bidder_code=code, at=clock.now())
    return reload(rnd)


def close(rnd: AuctionRound, frozen: clock.FrozenClock) -> AuctionRound:
    """Move the clock to the effective end and close the round (sold if it had a bid)."""
    frozen.set(reload(rnd).effective_end)
    assert auction_services.round_close(rnd=rnd)
    return reload(rnd)


def sell(rnd: AuctionRound, winner: Deposit, frozen: clock.FrozenClock, price_fen: int | None = None) -> AuctionRound:
    """One bid, close, then settle as bidding's closing job does."""
    bid(rnd, price_fen)
    rnd = close(rnd, frozen)
    assert rnd.status == S.SOLD
    services.round_settle(rnd=rnd, winning_deposit=winner, actor=CLOCK)
    return reload(rnd)


def ended_at(rnd: AuctionRound) -> datetime:
    assert rnd.ended_at is not None, "the round has not ended"
    return rnd.ended_at
