"""The court console: deadlines across the whole flow (with the sale ruling and handover now recorded),
and the live board of running rounds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auction.models import AuctionRound
from bidding import selectors, services
from core import clock, deadlines
from core.errors import RuleViolation
from core.models import AuditRecord
from settlement import services as settlement
from settlement.models import BalanceDue, Deposit
from tests import builders
from tests.bidding.conftest import register, reload
from tests.bidding.test_close_and_default import sold  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def kinds(court_id: int) -> dict[str, list[deadlines.Due]]:
    out: dict[str, list[deadlines.Due]] = {}
    for d in deadlines.collect([court_id], clock.now()):
        out.setdefault(d.kind, []).append(d)
    return out


def test_deadlines_follow_a_sale_from_close_to_handover(sold, frozen, clerk, finance, client):  # noqa: F811
    rnd = sold["rnd"]
    court_id = rnd.lot.case.court_id
    services.close_due_rounds()
    assert "deposit_release" not in kinds(court_id)  # offline deposits are released in the closing transaction
    # A release the gateway refused stays held, due 24 hours after the close, until the clock retries it.
    stuck = Deposit.objects.filter(round=rnd, status=Deposit.Status.RELEASED).first()
    assert stuck is not None
    Deposit.objects.filter(pk=stuck.pk).update(status=Deposit.Status.HELD)
    release = kinds(court_id)["deposit_release"][0]
    assert release.label.endswith(stuck.reference) and release.due == stuck.release_due_at
    ended_at = reload(rnd).ended_at
    assert ended_at is not None and release.due == ended_at + timedelta(hours=24)
    Deposit.objects.filter(pk=stuck.pk).update(status=Deposit.Status.RELEASED)
    found = kinds(court_id)
    balance = BalanceDue.objects.get(round=rnd)
    assert [d.due for d in found["balance"]] == [deadlines.end_of(balance.due_on)]
    assert "sale_ruling" not in found

    frozen.advance(timedelta(days=2))
    settlement.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher="SJ-1", actor=finance)
    balance.refresh_from_db()
    assert balance.paid_at is not None
    paid_on = clock.local_date(balance.paid_at)
    found = kinds(court_id)
    assert "balance" not in found
    ruling = found["sale_ruling"][0]
    assert ruling.due == deadlines.end_of(paid_on + timedelta(days=10))
    assert ruling.article == "PB art.20"
    payout = found["case_payout"][0]  # the proceeds are in the case account: out within 30 days
    assert payout.due == deadlines.end_of(paid_on + timedelta(days=30))

    with pytest.raises(RuleViolation):
        services.round_handover_record(actor=clerk, rnd=rnd, handed_over_on=clock.today())  # no ruling yet
    with pytest.raises(RuleViolation):
        services.round_ruling_record(actor=clerk, rnd=rnd, served_on=clock.today() + timedelta(days=1))
    client.force_login(clerk)
    response = client.post(f"/bidder/court/rounds/{rnd.pk}/after-sale/ruling/", {"on": clock.today().isoformat()})
    assert response.status_code == 302 and reload(rnd).ruling_served_on == clock.today()
    assert AuditRecord.objects.filter(action="round.ruling_served").count() == 1
    handover = kinds(court_id)["handover"][0]
    assert handover.due == deadlines.end_of(clock.today() + timedelta(days=15))
    with pytest.raises(RuleViolation):
        services.round_ruling_record(actor=clerk, rnd=rnd, served_on=clock.today())  # once only

    frozen.advance(timedelta(days=17))
    page = client.get("/court/deadlines/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hand over the property" in page and "overdue by 1 d" in page
    services.round_handover_record(actor=clerk, rnd=rnd, handed_over_on=clock.today())
    assert "handover" not in kinds(court_id)


def test_notice_deadline_and_other_courts(judge, frozen, clerk, client):
    rnd = builders.round_in(AuctionRound.Status.PANEL_APPROVED, judge=judge, frozen=frozen)
    notice = kinds(rnd.lot.case.court_id)["notice"][0]
    assert notice.article == "WP art.12"
    assert notice.due == deadlines.end_of(clock.local_date(rnd.bidding_start) - timedelta(days=15 if
                                          rnd.lot.nature == "movable" else 30))
    other = builders.staff_user("other", builders.court("京0108", "北京市海淀区人民法院"), roles=["court_staff"])
    client.force_login(other)
    assert rnd.lot.title not in client.get("/court/deadlines/").content.decode()
    client.force_login(clerk)
    assert rnd.lot.title in client.get("/court/deadlines/").content.decode()


def test_the_live_board_shows_running_rounds_by_the_numbers(bidding_round, alice, bob, finance, frozen, clerk,
                                                             client, django_assert_max_num_queries):
    register(alice, bidding_round, finance=finance)
    register(bob, bidding_round, finance=finance)
    for i, user in enumerate([alice, bob, alice]):
        frozen.advance(timedelta(seconds=10))
        rnd = reload(bidding_round)
        services.bid_place(actor=user, rnd=rnd, client_id=f"x{i}",
                           amount_fen=(rnd.current_price_fen + rnd.increment_fen) if rnd.current_price_fen
                           else rnd.start_price_fen, language="en")
    frozen.advance(timedelta(seconds=41))  # the first bid is now more than a minute old
    rows = selectors.live_board(clerk, clock.now())
    row = next(r for r in rows if r["round"] == bidding_round.pk)
    rnd = reload(bidding_round)
    assert (row["bids"], row["bids_last_minute"], row["registrants"]) == (3, 2, 2)
    assert row["price_fen"] == rnd.current_price_fen
    assert row["ends_in"] == int((rnd.effective_end - clock.now()).total_seconds())
    client.force_login(clerk)
    client.get("/bidder/court/live.json")  # the first request of a session also records its sighting
    with django_assert_max_num_queries(6):  # session, user, roles, rounds, bids: not one per round
        body = client.get("/bidder/court/live.json").json()
    assert body["rounds"][0]["round"] == bidding_round.pk
    page = client.get("/bidder/court/live/").content.decode()
    assert f'data-round="{bidding_round.pk}"' in page and "board.js" in page
    for secret in ("王丽", "李强"):
        assert secret not in page and secret not in str(body)
    other = builders.staff_user("other2", builders.court("京0108", "北京市海淀区人民法院"), roles=["court_staff"])
    client.force_login(other)
    assert client.get("/bidder/court/live.json").json()["rounds"] == []


def test_the_case_timeline_runs_from_the_case_to_the_ruling(sold, frozen, clerk, finance, client):  # noqa: F811
    rnd = sold["rnd"]
    services.close_due_rounds()
    balance = BalanceDue.objects.get(round=rnd)
    settlement.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher="SJ-2", actor=finance)
    services.round_ruling_record(actor=clerk, rnd=rnd, served_on=clock.today())
    client.force_login(clerk)
    page = client.get(f"/court/cases/{rnd.lot.case_id}/timeline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    steps = [s for s in ("Round", "Balance", "Sale ruling served on the buyer") if s in page]
    assert steps == ["Round", "Balance", "Sale ruling served on the buyer"]
    assert page.index("Sale ruling served on the buyer") > page.index("Balance #")
    other = builders.staff_user("other3", builders.court("京0108", "北京市海淀区人民法院"), roles=["court_staff"])
    client.force_login(other)
    assert client.get(f"/court/cases/{rnd.lot.case_id}/timeline/").status_code == 404
