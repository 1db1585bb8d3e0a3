"""The valuation pages through the Django test client: the cascade to an online inquiry with a
late platform, delivery, the price fixed; an appraisal by lottery with its verification page; the
deadlines with days left and overdue in red; who may see and do what. Texts in English."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from auction.models import Lot
from core import clock
from tests import builders
from tests.valuation.conftest import ALL_DONE, agencies, parties, platform_reports, reach
from valuation import services
from valuation.models import Agency, AppraisalSelection, Report, Valuation

M = Lot.ReferenceMethod
pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"valuation:{name}", args=args)


def post(web: Client, valuation: Valuation, action: str, data: dict[str, Any] | None = None) -> Any:
    response = web.post(url("action", valuation.pk, action), data or {}, follow=True)
    assert response.status_code == 200, response.content[:500]
    return response


def set_today(frozen: clock.FrozenClock, day: date) -> None:
    frozen.set(clock.local_midnight(day) + timedelta(hours=10))


def test_online_inquiry_through_the_pages(web: Client, clerk: builders.User, lot_obj: Lot,
                                          frozen: clock.FrozenClock) -> None:
    web.force_login(clerk)
    page = web.get(reverse("staff:lot_detail", args=[lot_obj.pk])).content.decode()
    assert url("lot", lot_obj.pk) in page  # the lot page links to its valuation
    page = web.get(url("home")).content.decode()
    assert lot_obj.title in page and "not started" in page
    response = web.post(url("lot", lot_obj.pk), {"opened_on": "2026-03-02"}, follow=True)
    valuation = Valuation.objects.get(lot=lot_obj)
    assert response.redirect_chain[-1][0] == url("detail", valuation.pk)
    assert "complete the investigation checklist first" in response.content.decode()

    # Starting before the investigation is refused on the form, and nothing is written.
    response = web.post(url("action", valuation.pk, "start"))
    assert "Complete the investigation checklist first" in response.content.decode()
    post(web, valuation, "investigation", {**{k: "on" for k in ALL_DONE}, "note": "已查明权属与占有"})
    response = post(web, valuation, "skip", {"ground": "party_refuses", "reason": "被执行人拒绝议价"})
    assert "Skipped: Party negotiation" in response.content.decode()
    post(web, valuation, "skip", {"ground": "no_government_price"})
    post(web, valuation, "start")
    response = post(web, valuation, "inquiry_send")
    assert "reports are due by 2026-03-05" in response.content.decode()
    a, b, c = platform_reports(valuation)
    for report, price in ((a, "1,000,000.01"), (b, "1,000,000.02")):
        post(web, valuation, "inquiry_result", {"report": report.pk, "price": price, "report_date": "2026-03-02",
                                               "received_on": "2026-03-02", "number": "R1"})
    set_today(frozen, date(2026, 3, 6))
    response = post(web, valuation, "inquiry_result", {"report": c.pk, "price": "900,000", "report_date": "2026-03-06",
                                                      "received_on": "2026-03-06"})
    body = response.content.decode()
    assert "Late: not counted (RP art.13)" in body
    assert "¥1,000,000.02" in body and "rounded half up to the fen" in body  # mean of 1,000,000.01 and .02
    # Received on 2 March, to be sent by 5 March: overdue in red.
    assert 'class="overdue"' in body and "overdue by 1 day" in body
    for party in parties(valuation):
        post(web, valuation, "deliver", {"party": party.pk, "method": "served", "delivered_on": "2026-03-06",
                                         "proof": "送达回证"})
    response = web.post(url("action", valuation.pk, "fix"))  # the objection periods still run
    assert response.status_code == 200 and "may object to" in response.content.decode()
    set_today(frozen, date(2026, 3, 12))
    response = post(web, valuation, "fix")
    assert "The reference price is fixed at ¥1,000,000.02" in response.content.decode()
    lot = Lot.objects.get(pk=lot_obj.pk)
    assert lot.reference_price_fen == 100_000_002 and lot.reference_method == M.ONLINE_INQUIRY


def test_money_typed_wrong_is_refused_on_its_field(web: Client, clerk: builders.User, opened: Valuation) -> None:
    web.force_login(clerk)
    valuation = reach(opened, clerk, M.NEGOTIATION)
    response = web.post(url("action", valuation.pk, "proposal"),
                        {"party": parties(valuation)[0].pk, "price": "1,5", "proposed_on": "2026-03-02"})
    assert response.status_code == 200
    assert "is not an amount in yuan" in str(response.context["forms"]["proposal"].errors["price"])
    assert not valuation.proposals.exists()


def test_lottery_and_its_verification_page(web: Client, clerk: builders.User, opened: Valuation) -> None:
    web.force_login(clerk)
    valuation = reach(opened, clerk, M.APPRAISAL)
    agencies(5)
    post(web, valuation, "select_lottery", {"specialty": Agency.Specialty.REAL_ESTATE,
                                            "scope": AppraisalSelection.Scope.CITY, "reason": "双方协商不成"})
    selection = valuation.selections.get()
    page = web.get(url("detail", valuation.pk)).content.decode()
    assert "the lottery record" in page and "verified" in page
    verify = web.get(url("lottery", selection.pk)).content.decode()
    assert "Verified: re-running the draw" in verify and selection.seed in verify
    AppraisalSelection.objects.filter(pk=selection.pk).update(drawn=list(reversed(selection.drawn)))
    assert "Not verified" in web.get(url("lottery", selection.pk)).content.decode()
    response = post(web, valuation, "appraisal_report", {"price": "800,000", "report_date": "2026-03-02",
                                                         "received_on": "2026-03-02", "number": "估字1号"})
    assert valuation.reports.filter(kind=Report.Kind.APPRAISAL).exists()
    assert "Reports and their delivery" in response.content.decode()


def test_permissions(web: Client, clerk: builders.User, opened: Valuation) -> None:
    other = builders.staff_user("other", builders.court("沪0115", "上海市浦东新区人民法院"), roles=["court_staff"])
    supervisor = builders.staff_user("sup", None, roles=["supervisor"])
    bidder = builders.staff_user("bidder", None, roles=["bidder"])
    web.force_login(other)
    assert web.get(url("detail", opened.pk)).status_code == 403
    assert web.post(url("action", opened.pk, "start")).status_code == 403
    assert web.get(url("lot", opened.lot_id)).status_code == 403
    web.force_login(supervisor)
    page = web.get(url("detail", opened.pk))
    assert page.status_code == 200 and "Start this method" not in page.content.decode()
    assert web.post(url("action", opened.pk, "start")).status_code == 403
    assert not opened.steps.exists()
    web.force_login(bidder)
    assert web.get(url("home")).status_code == 403
    web.logout()
    assert web.get(url("home")).status_code == 302


def test_the_check_flags_an_appraisal_far_below_comparable_sales(web: Client, clerk: builders.User,
                                                                 opened: Valuation, monkeypatch: Any) -> None:
    from valuation import estimator, selectors

    fake = estimator.Estimate(ok=True, reason="ok", price_fen=100_000_000, low_fen=90_000_000, high_fen=110_000_000,
                              found=6)
    monkeypatch.setattr(selectors, "lot_estimate", lambda lot, as_of: fake)
    web.force_login(clerk)
    valuation = reach(opened, clerk, M.APPRAISAL)
    agencies(3)
    services.appraisal_select_lottery(actor=clerk, valuation=valuation, specialty=Agency.Specialty.REAL_ESTATE,
                                      scope=AppraisalSelection.Scope.CITY, reason="协商不成")
    services.appraisal_record_report(actor=clerk, valuation=valuation, price_fen=60_000_000,
                                     report_date=clock.today(), received_on=clock.today())
    page = web.get(url("detail", valuation.pk)).content.decode()
    assert "Appraisal far below comparable sales" in page and "80% interval ¥900,000.00 – ¥1,100,000.00" in page
    with_zh = web.get(url("detail", valuation.pk), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-Hans"' in with_zh
