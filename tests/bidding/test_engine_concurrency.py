"""Real concurrent bidders on PostgreSQL: 24 threads, each with its own connection, bidding through
bid_place as fast as they can. Afterwards: rows == acknowledgements == max(seq), seq gap-free, prices
strictly increasing, the hash chain unbroken, and the notifications left in commit (= seq) order."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from auction.models import AuctionRound
from bidding import chain, events, services
from bidding.models import Bid
from core import clock
from tests.bidding.conftest import new_round, register, reload, sign_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BIDDERS = 24
ROUNDS_EACH = 12


@override_settings(FAPAI_BID_RATE_LIMIT="1000/1")
def test_concurrent_bidders_lose_nothing_and_skip_nothing(judge, frozen, finance):
    rnd = new_round(AuctionRound.Status.BIDDING, judge, frozen)
    users = [sign_up(f"c{i}", "竞买人", None).user for i in range(BIDDERS)]
    for user in users:
        register(user, rnd, finance=finance)
    rnd = reload(rnd)
    frozen.set(rnd.bidding_start + timedelta(hours=1))
    settings = connection.settings_dict
    listener = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                               port=settings["PORT"] or None, autocommit=True)
    listener.execute(f"LISTEN {events.CHANNEL}")
    acks: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(BIDDERS)

    def bidder(index: int, user) -> None:
        try:
            barrier.wait()
            for n in range(ROUNDS_EACH):
                current = reload(rnd)
                amount = ((current.current_price_fen or 0) + current.increment_fen if current.bid_count
                          else current.start_price_fen)
                out = services.bid_place(actor=user, rnd=current, client_id=f"t{index}-{n}", amount_fen=amount,
                                         language="en")
                if out.accepted:
                    with lock:
                        acks.append(out.seq or 0)
                else:
                    assert out.code in {"too_low", "priority_tie_not_allowed", "already_leading"}, out.code
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    try:
        _run_and_check(rnd, users, bidder, acks, errors, listener)
    finally:
        listener.close()


def _run_and_check(rnd, users, bidder, acks, errors, listener) -> None:
    threads = [threading.Thread(target=bidder, args=(i, u)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    rnd = reload(rnd)
    assert len(acks) == len(set(acks)) == len(bids) == rnd.bid_count == bids[-1].seq >= ROUNDS_EACH
    assert [b.seq for b in bids] == list(range(1, len(bids) + 1))
    assert all(b.amount_fen > a.amount_fen for a, b in itertools.pairwise(bids))
    prev = chain.genesis(rnd.pk)
    for b in bids:
        assert b.prev_hash == prev
        prev = b.hash
    seqs = []
    for note in listener.notifies(timeout=2, stop_after=len(bids)):
        round_id, seq, _frame = events.parse(note.payload)
        if round_id == rnd.pk:
            seqs.append(seq)
    assert seqs == list(range(1, len(bids) + 1))
    assert clock.now() < rnd.effective_end
