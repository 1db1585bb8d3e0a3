"""`load_bidding_demo`: two bidders qualified for the demo's live round through the services, able
to bid at once; a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import translation

from bidding import services
from bidding.models import Registration

pytestmark = pytest.mark.django_db


def test_demo_bidders_can_bid_in_the_live_round(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        call_command("load_demo", stdout=io.StringIO())
        out = io.StringIO()
        call_command("load_bidding_demo", stdout=out)
        assert "demo_bidder_a" in out.getvalue()
        regs = list(Registration.objects.filter(bidder__user__username__startswith="demo_bidder_"))
        assert len(regs) == 2 and all(r.status == Registration.Status.QUALIFIED and r.code for r in regs)
        again = io.StringIO()
        call_command("load_bidding_demo", stdout=again)
        assert "nothing was changed" in again.getvalue()
    assert Registration.objects.filter(bidder__user__username__startswith="demo_bidder_").count() == 2
    rnd = regs[0].round
    amount = (rnd.current_price_fen or rnd.start_price_fen) + (rnd.increment_fen if rnd.current_price_fen else 0)
    outcome = services.bid_place(actor=regs[0].bidder.user, rnd=rnd, client_id="demo-1", amount_fen=amount,
                                 language="en")
    assert outcome.accepted, outcome.message


def test_the_demo_round_with_bids_from_before_the_engine_seals_and_verifies(tmp_path, settings):
    """The auction demo's live round has bids applied without bid rows; engine bids continue the
    price box (not the start price) and the round still closes and seals."""
    from bidding import selectors
    from bidding.models import Bid
    from core import clock

    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        call_command("load_demo", stdout=io.StringIO())
        call_command("load_bidding_demo", stdout=io.StringIO())
    reg = Registration.objects.filter(bidder__user__username="demo_bidder_a").select_related("round").get()
    rnd = reg.round
    low = services.bid_place(actor=reg.bidder.user, rnd=rnd, client_id="d-low", amount_fen=rnd.start_price_fen,
                             language="en")
    assert low.code in ("too_low", "priority_tie_not_allowed")
    ok = services.bid_place(actor=reg.bidder.user, rnd=rnd, client_id="d-ok",
                            amount_fen=(rnd.current_price_fen or 0) + rnd.increment_fen, language="en")
    assert ok.accepted and ok.seq == rnd.bid_count + 1
    rnd.refresh_from_db()
    with clock.frozen(rnd.effective_end + selectors.close_grace()):
        assert services.close_due_rounds() >= 1
    assert selectors.verify_receipt(selectors.receipt_of(Bid.objects.get(round=rnd)))[1] == "verified"


def test_the_distribution_demo_sells_pays_and_serves_a_plan(tmp_path, settings):
    """`load_distribution_demo`: a lot sold through the engine, the balance paid, costs recorded and a
    plan served whose objection window has passed, so the clerk can prepare payouts at once."""
    from settlement import selectors as money
    from settlement.models import DistributionPlan

    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        call_command("load_demo", stdout=io.StringIO())
        out = io.StringIO()
        call_command("load_distribution_demo", stdout=out)
        assert "is sold and paid" in out.getvalue()
        again = io.StringIO()
        call_command("load_distribution_demo", stdout=again)
        assert "nothing was changed" in again.getvalue()
    plan = DistributionPlan.objects.get()
    assert plan.status == DistributionPlan.Status.SERVED and plan.available_fen == 9_500_000
    assert sum(plan.lines.values_list("allocated_fen", flat=True)) == plan.available_fen
    assert money.objection_windows_closed(plan)
    lien = plan.lines.get(tier="priority", rank="P2.0")
    assert lien.allocated_fen == lien.claimed_fen == 860_000
    assert money.check_ledger().ok
    from bidding.models import RoundScreening

    screened = RoundScreening.objects.get(round=plan.case.lots.get().rounds.get())
    assert screened.level != "none" and screened.reasons.filter(code="alternating_min").exists()
