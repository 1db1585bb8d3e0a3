"""Several clocks closing the same round at once (real threads on PostgreSQL): the round is closed
and settled exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from auction import services as auction_services
from auction.models import AuctionRound
from bidding import services
from core import clock
from settlement.models import BalanceDue, Deposit, LedgerTransaction
from tests.bidding.conftest import dep, new_round, register, reload, sign_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_clocks_close_and_settle_once(judge, frozen, finance):
    rnd = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    winner = register(sign_up("w", "甲").user, rnd, finance=finance)
    loser = register(sign_up("l", "乙").user, rnd, finance=finance)
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        auction_services.do_round_apply_bid(locked, price_fen=locked.start_price_fen, bidder_code=winner.code,
                                            at=clock.now())
    frozen.set(reload(rnd).effective_end)
    barrier = threading.Barrier(3)
    results: list[int] = []
    errors: list[BaseException] = []

    def clock_process() -> None:
        try:
            barrier.wait()
            results.append(services.close_due_rounds())
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clock_process) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and sorted(results) == [0, 0, 1]
    assert reload(rnd).status == AuctionRound.Status.SOLD
    assert Deposit.objects.get(pk=dep(winner).pk).status == Deposit.Status.APPLIED
    assert Deposit.objects.get(pk=dep(loser).pk).status == Deposit.Status.RELEASED
    assert BalanceDue.objects.filter(round=rnd).count() == 1
    assert LedgerTransaction.objects.filter(deposit__round=rnd, kind="deposit_apply").count() == 1
