"""The bid engine (bidding.services.do_bids_place): every rule and rejection code, the extension
boundaries at millisecond precision, idempotent resends, batches, priority ties, the rate limit, the
sell-off contest, the hash chain and the seal. Time is frozen; nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from auction.models import AuctionRound
from bidding import chain, selectors, services
from bidding.models import Bid, BidChainSeal, BidRejection, Registration
from bidding.services import BidAttempt
from core import clock
from core.errors import RuleViolation
from tests.bidding.conftest import new_round, register, reload

pytestmark = pytest.mark.django_db
S = AuctionRound.Status
MS = timedelta(milliseconds=1)


@pytest.fixture
def live(bidding_round, alice, bob, make_bidder, finance, frozen):
    a = register(alice, bidding_round, finance=finance)
    b = register(bob, bidding_round, finance=finance)
    return {"rnd": bidding_round, "alice": alice, "bob": bob, "a": a, "b": b, "finance": finance,
            "make_bidder": make_bidder, "frozen": frozen}


_ids = iter(range(1, 10**6))


def attempt(rnd, user, amount, *, at=None, client_id=None, language="en"):
    return BidAttempt(round_id=rnd.pk, user_id=user.pk if user else None,
                      client_id=client_id or f"c{next(_ids)}", amount_fen=amount, received_at=at or clock.now(),
                      language=language)


def place(rnd, user, amount, **kw):
    return services.do_bids_place(rnd.pk, [attempt(rnd, user, amount, **kw)])[0]


def test_first_bid_at_start_then_increments(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    first = place(rnd, live["alice"], start)
    assert first.accepted and first.seq == 1 and first.bidder_code == live["a"].code
    second = place(rnd, live["bob"], start + inc)
    assert second.accepted and second.seq == 2
    rnd = reload(rnd)
    assert (rnd.current_price_fen, rnd.leader_code, rnd.bid_count) == (start + inc, live["b"].code, 2)
    assert list(Bid.objects.filter(round=rnd).values_list("seq", flat=True)) == [1, 2]


@pytest.mark.parametrize("case,code", [
    ("below", "below_start"), ("grid", "not_on_grid"), ("zero", "invalid_amount"),
])
def test_first_bid_rules(live, case, code):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    amount = {"below": start - inc, "grid": start + inc // 2, "zero": 0}[case]
    out = place(rnd, live["alice"], amount)
    assert not out.accepted and out.code == code and out.message
    assert reload(rnd).bid_count == 0


def test_later_bids_need_an_increment_on_the_grid_and_the_leader_cannot_raise_himself(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    place(rnd, live["alice"], start)
    assert place(rnd, live["bob"], start).code == "priority_tie_not_allowed"
    assert place(rnd, live["bob"], start + inc - 1).code == "too_low"
    assert place(rnd, live["bob"], start + inc + inc // 2).code == "not_on_grid"
    assert place(rnd, live["alice"], start + inc).code == "already_leading"
    assert place(rnd, live["bob"], start + 3 * inc).accepted  # a jump bid on the grid is fine


def test_messages_in_the_bidders_language(live):
    rnd, start, _inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    place(rnd, live["alice"], start)
    en = place(rnd, live["bob"], start + 1, language="en")
    zh = place(rnd, live["bob"], start + 1, language="zh-hans")
    assert en.code == zh.code == "too_low"
    assert "at least" in en.message and "¥" in en.message
    assert "不得低于" in zh.message or "至少" in zh.message


def test_who_may_bid(live):
    rnd, start = live["rnd"], live["rnd"].start_price_fen
    assert place(rnd, None, start).code == "not_authenticated"
    stranger = live["make_bidder"]()
    assert place(rnd, stranger, start).code == "not_registered"
    unpaid = live["make_bidder"]()
    register(unpaid, rnd)  # deposit not confirmed
    assert place(rnd, unpaid, start).code == "deposit_not_held"
    assert place(rnd, live["alice"], start, client_id="bad id with spaces").code == "invalid_client_id"


def test_extension_boundaries_to_the_millisecond(live):
    rnd, start, inc, _frozen = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen, live["frozen"]
    end = rnd.effective_end
    out = place(rnd, live["alice"], start, at=end - timedelta(minutes=5) - MS)
    assert out.accepted
    rnd = reload(rnd)
    assert rnd.effective_end == end and rnd.extension_count == 0
    t = end - timedelta(minutes=5) + MS
    assert place(rnd, live["bob"], start + inc, at=t).accepted
    rnd = reload(rnd)
    assert rnd.effective_end == t + timedelta(minutes=5) and rnd.extension_count == 1
    # Exactly at the (new) end: refused, even though the round is still BIDDING.
    late = place(rnd, live["alice"], start + 2 * inc, at=rnd.effective_end)
    assert late.code == "round_not_open" and reload(rnd).bid_count == 2


def test_a_hundred_extensions_without_a_cap(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    users = [live["alice"], live["bob"]]
    for i in range(100):
        rnd = reload(rnd)
        at = rnd.effective_end - timedelta(seconds=1)
        assert place(rnd, users[i % 2], start + i * inc, at=at).accepted, i
    rnd = reload(rnd)
    assert rnd.extension_count == 100 and rnd.bid_count == 100


def test_bids_received_before_the_end_are_decided_after_it(live):
    rnd, start, frozen = live["rnd"], live["rnd"].start_price_fen, live["frozen"]
    received = rnd.effective_end - MS
    frozen.set(rnd.effective_end + timedelta(seconds=2))  # decided within the close grace
    assert place(rnd, live["alice"], start, at=received).accepted


def test_a_stayed_round_refuses_bids(live, judge):
    from auction import services as auction_services
    rnd = auction_services.round_stay(actor=judge, rnd=live["rnd"], reason="案外人异议")
    assert place(rnd, live["alice"], rnd.start_price_fen).code == "round_not_open"


def test_resend_gets_the_first_answer(live):
    rnd, start = live["rnd"], live["rnd"].start_price_fen
    first = place(rnd, live["alice"], start, client_id="same-1")
    again = place(rnd, live["alice"], start, client_id="same-1")
    assert again.accepted and again.duplicate and again.seq == first.seq
    assert reload(rnd).bid_count == 1
    refused = place(rnd, live["bob"], start, client_id="same-2", language="en")
    again = place(rnd, live["bob"], start, client_id="same-2", language="zh-hans")
    assert (again.accepted, again.duplicate, again.code) == (False, True, refused.code)
    assert place(rnd, live["alice"], start * 2, client_id="same-1").code == "amount_mismatch"
    assert BidRejection.objects.filter(client_id="same-2").count() == 1


def test_a_batch_decides_like_one_by_one(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    a, b = live["alice"], live["bob"]
    batch = [attempt(rnd, a, start), attempt(rnd, b, start), attempt(rnd, b, start + inc),
             attempt(rnd, a, start + inc), attempt(rnd, a, start + 2 * inc, client_id="dup"),
             attempt(rnd, a, start + 2 * inc, client_id="dup")]
    out = services.do_bids_place(rnd.pk, batch)
    assert [o.accepted for o in out] == [True, False, True, False, True, True]
    assert [o.code for o in out] == ["", "priority_tie_not_allowed", "", "priority_tie_not_allowed", "", ""]
    assert out[5].duplicate and out[5].seq == out[4].seq == 3
    assert reload(rnd).bid_count == 3


def test_priority_holder_takes_the_current_price_by_rank(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    holder1, holder2 = live["make_bidder"](), live["make_bidder"]()
    r1, r2 = register(holder1, rnd, finance=live["finance"]), register(holder2, rnd, finance=live["finance"])
    Registration.objects.filter(pk=r1.pk).update(is_priority=True, priority_rank=1)
    Registration.objects.filter(pk=r2.pk).update(is_priority=True, priority_rank=2)
    place(rnd, live["alice"], start + inc)
    tie2 = place(rnd, holder2, start + inc)
    assert tie2.accepted  # rank 2 beats an ordinary bidder at the same price
    assert place(rnd, live["bob"], start + inc).code == "priority_tie_not_allowed"
    assert place(rnd, holder1, start + inc).accepted  # rank 1 beats rank 2
    assert place(rnd, holder2, start + inc).code == "priority_tie_not_allowed"  # rank 2 cannot take it back
    rnd = reload(rnd)
    assert rnd.leader_code == r1.code and rnd.current_price_fen == start + inc and rnd.bid_count == 3
    assert list(Bid.objects.filter(round=rnd).values_list("is_priority", flat=True)) == [False, True, True]


@override_settings(FAPAI_BID_RATE_LIMIT="3/10")
def test_rate_limit_per_registration(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    frozen = live["frozen"]
    codes = [place(rnd, live["bob"], start - inc).code for _ in range(4)]
    assert codes == ["below_start", "below_start", "below_start", "rate_limited"]
    assert place(rnd, live["alice"], start).accepted  # others are not limited
    frozen.advance(timedelta(seconds=11))
    assert place(rnd, live["bob"], start + inc).accepted


def test_sell_off_first_bid_is_the_fixed_price_and_starts_a_24h_contest(judge, frozen, alice, bob, finance):
    rnd = new_round(S.BIDDING, judge, frozen)
    AuctionRound.objects.filter(pk=rnd.pk).update(kind=AuctionRound.Kind.SELL_OFF, deposit_fen=rnd.start_price_fen)
    rnd = reload(rnd)
    register(alice, rnd, finance=finance)
    register(bob, rnd, finance=finance)
    price, inc = rnd.start_price_fen, rnd.increment_fen
    assert place(rnd, alice, price + inc).code == "sell_off_price"
    now = clock.now()
    assert place(rnd, alice, price, at=now).accepted
    rnd = reload(rnd)
    assert rnd.effective_end == now + timedelta(hours=24) and rnd.extension_count == 0
    assert place(rnd, bob, price + inc).accepted


@override_settings(FAPAI_CLOSE_GRACE_SECONDS=5)
def test_chain_and_seal_at_close(live):
    rnd, start, inc, frozen = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen, live["frozen"]
    place(rnd, live["alice"], start)
    place(rnd, live["bob"], start + inc)
    bids = list(Bid.objects.filter(round=rnd).order_by("seq"))
    assert bids[0].prev_hash == chain.genesis(rnd.pk) and bids[1].prev_hash == bids[0].hash
    frozen.set(reload(rnd).effective_end)
    assert services.close_due_rounds() == 0  # within the grace period
    frozen.advance(selectors.close_grace())
    assert services.close_due_rounds() == 1
    seal = BidChainSeal.objects.get(round=rnd)
    assert (seal.bid_count, seal.root) == (2, bids[1].hash)
    assert reload(rnd).status == S.SOLD
    assert services.close_due_rounds() == 0 and BidChainSeal.objects.count() == 1


def test_a_broken_record_is_not_sealed(live):
    rnd, start, _frozen = live["rnd"], live["rnd"].start_price_fen, live["frozen"]
    place(rnd, live["alice"], start)
    Bid.objects.filter(round=rnd).update(prev_hash="0" * 64)
    rnd = reload(rnd)
    with pytest.raises(RuleViolation) as exc:
        services.do_round_seal(rnd)
    assert exc.value.rule_code == "bid_record_inconsistent"


def test_snapshot_and_history_show_no_identity(live):
    rnd, start, inc = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen
    place(rnd, live["alice"], start)
    place(rnd, live["bob"], start + inc)
    snap = selectors.live_snapshot(rnd.pk)
    assert snap is not None
    assert snap["seq"] == 2 and snap["current_price_fen"] == start + inc and [b["seq"] for b in snap["bids"]] == [2, 1]
    text = str(snap) + str(selectors.bids_after(rnd.pk, 0))
    for secret in ("王丽", "李强", "alice", "bob", "registration", "client_id", "c1"):
        assert secret not in text
    own = selectors.live_snapshot(rnd.pk, user_id=live["alice"].pk)
    assert own is not None
    mine = own["you"]
    assert mine["code"] == live["a"].code and mine["leading"] is False and mine["may_bid"] is True
    assert [b["seq"] for b in selectors.bids_after(rnd.pk, 1) or []] == [2]
    assert selectors.bids_after(rnd.pk, 0, limit=1) is None
    assert selectors.rounds_seq_and_status([rnd.pk]) == {rnd.pk: (2, S.BIDDING)}
    assert [r["status"] for r in selectors.bid_record(reload(rnd))] == ["leading", "outbid"]


def test_close_publishes_the_confirmation_and_emails_bidders(live, mailoutbox, django_capture_on_commit_callbacks):
    import hashlib

    from bidding.models import SaleConfirmation

    rnd, start, inc, frozen = live["rnd"], live["rnd"].start_price_fen, live["rnd"].increment_fen, live["frozen"]
    place(rnd, live["alice"], start)
    place(rnd, live["bob"], start + inc)
    frozen.set(reload(rnd).effective_end + selectors.close_grace())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_rounds() == 1
    note = SaleConfirmation.objects.get(round=rnd)
    pdf = bytes(note.pdf)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == note.sha256
    assert note.registration_id == live["b"].pk
    subjects = sorted(m.subject for m in mailoutbox)
    # The winner hears it won; the loser that the round ended and that its deposit was released.
    assert len(mailoutbox) == 3 and any(s.startswith(("您已竞得", "You won")) for s in subjects)
    assert any(s.startswith("保证金已退还") for s in subjects)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_rounds() == 0
    assert len(mailoutbox) == 3 and SaleConfirmation.objects.count() == 1


def test_a_failed_round_has_no_confirmation(live):
    from bidding.models import SaleConfirmation

    rnd, frozen = live["rnd"], live["frozen"]
    frozen.set(rnd.effective_end + selectors.close_grace())
    assert services.close_due_rounds() == 1
    assert reload(rnd).status == S.FAILED and not SaleConfirmation.objects.exists()
    assert BidChainSeal.objects.get(round=rnd).bid_count == 0


def test_the_results_archive_shows_the_sealed_root_and_the_confirmation(live, client):
    rnd, start, frozen = live["rnd"], live["rnd"].start_price_fen, live["frozen"]
    place(rnd, live["alice"], start)
    place(rnd, live["bob"], start + rnd.increment_fen)
    frozen.set(reload(rnd).effective_end + selectors.close_grace())
    assert services.close_due_rounds() == 1
    seal = BidChainSeal.objects.get(round=rnd)
    page = client.get("/results/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'title="{seal.root}"' in page and seal.root[:14] in page
    assert reverse("bidding:verify", args=[rnd.pk]) in page
    assert reverse("bidding:confirmation", args=[rnd.pk]) in page
