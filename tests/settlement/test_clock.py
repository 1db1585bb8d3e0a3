"""The clock's settlement jobs: the 24-hour rule of WP arts.23 and 25 at its boundary, alerts that fire
exactly once and resolve themselves, payout and balance alerts, and retries after a gateway refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from auction.models import AuctionRound
from core import clock, jobs
from core.models import User
from settlement import services
from settlement.gateways import GatewayError, stripe_gateway
from settlement.models import Deposit, SettlementAlert
from settlement.selectors import check_ledger
from tests.settlement import factories

pytestmark = pytest.mark.django_db
D = Deposit.Status
A = SettlementAlert.Kind
TICK = timedelta(microseconds=1)


def test_the_settlement_jobs_are_registered() -> None:
    assert {"settlement.settle", "settlement.alerts", "settlement.reminders"} <= set(jobs.registered())


def test_a_sold_round_left_unsettled_alerts_exactly_once_at_24_hours(
        rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    factories.bid(rnd)
    rnd = factories.close(rnd, frozen)  # sold, but nobody called round_settle
    ended = factories.ended_at(rnd)
    frozen.set(ended + services.SETTLE_WITHIN - TICK)
    assert services.settle_due_rounds() == 0 and services.raise_alerts() == 0
    frozen.set(ended + services.SETTLE_WITHIN)
    assert services.raise_alerts() == 1
    assert services.raise_alerts() == 0
    frozen.advance(timedelta(hours=5))
    assert services.raise_alerts() == 0
    alert = SettlementAlert.objects.get()
    assert (alert.kind, alert.deposit, alert.due_at) == (A.SETTLE_MISSING, deposit, ended + timedelta(hours=24))
    services.round_settle(rnd=rnd, winning_deposit=deposit, actor="system:clock")
    services.raise_alerts()
    alert.refresh_from_db()
    assert alert.resolved_at == clock.now()
    assert services.raise_alerts() == 0 and SettlementAlert.objects.count() == 1


def test_a_refused_refund_is_retried_and_alerts_at_24_hours(
        judge: User, bidder: User, frozen: clock.FrozenClock, stripe_enabled: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from auction import services as auction_services
    from tests.settlement.stripe_helpers import pay

    rnd = factories.announced_round(judge, frozen)  # far from its end: charged at once
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    pay(services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/").gateway_ref)
    services.deposit_refresh(deposit=deposit, actor=bidder)
    frozen.set(rnd.bidding_start)
    auction_services.round_open(rnd=rnd)

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise GatewayError("card processor unavailable")

    monkeypatch.setattr(stripe_gateway.StripeGateway, "refund", refuse)
    rnd = factories.close(rnd, frozen)
    assert services.settle_due_rounds() == 0
    deposit.refresh_from_db()
    assert (deposit.status, deposit.settle_as) == (D.HELD, "release")
    ended = factories.ended_at(rnd)
    assert deposit.release_due_at == ended + timedelta(hours=24)
    frozen.set(ended + timedelta(hours=23, minutes=59, seconds=59))
    assert services.settle_due_rounds() == 0 and services.raise_alerts() == 0
    frozen.set(ended + timedelta(hours=24))
    assert services.raise_alerts() == 1
    assert SettlementAlert.objects.get().kind == A.RELEASE_OVERDUE
    monkeypatch.undo()
    assert services.settle_due_rounds() == 1
    deposit.refresh_from_db()
    assert deposit.status == D.RELEASED
    services.raise_alerts()
    assert SettlementAlert.objects.get().resolved_at is not None
    assert check_ledger().ok


def test_an_unpaid_payout_alerts_after_24_hours(rnd: AuctionRound, bidder: User, finance: User,
                                                frozen: clock.FrozenClock) -> None:
    factories.held_offline(rnd, bidder, finance)
    rnd = factories.close(rnd, frozen)
    services.settle_due_rounds()  # released at the close: a payout instruction for finance
    frozen.advance(timedelta(hours=24) - TICK)
    assert services.raise_alerts() == 0
    frozen.advance(TICK)
    assert services.raise_alerts() == 1
    assert SettlementAlert.objects.get().kind == A.PAYOUT_OVERDUE


def test_an_overdue_balance_alerts_the_day_after_its_due_date(rnd: AuctionRound, bidder: User, finance: User,
                                                              frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    b = services.balance_open(rnd=rnd, deposit=winner, price_fen=rnd.current_price_fen or 0, actor="system:clock")
    frozen.set(clock.local_midnight(b.due_on) + timedelta(hours=23, minutes=59))
    assert services.raise_alerts() == 0
    frozen.set(clock.local_midnight(b.due_on) + timedelta(days=1))
    assert services.raise_alerts() == 1
    assert SettlementAlert.objects.get().kind == A.BALANCE_OVERDUE


def test_run_all_runs_the_settlement_jobs(rnd: AuctionRound, bidder: User, finance: User,
                                          frozen: clock.FrozenClock) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    frozen.set(rnd.effective_end)
    results = jobs.run_all()  # "rounds.close" runs before "settlement.settle": closed, then released
    deposit.refresh_from_db()
    assert results["rounds.close"] == 1 and deposit.status == D.RELEASED
