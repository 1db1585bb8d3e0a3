"""The valuation API end to end: the cascade to an appraisal by lottery, the report, delivery, a
method objection through the agency and the review, the price fixed; the lottery verified; the error
format; who may read and write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from auction.models import Lot
from core import clock
from core.models import User
from tests import builders
from tests.valuation.conftest import ALL_DONE, agencies, parties, reach
from valuation.models import AppraisalSelection, Valuation

M = Lot.ReferenceMethod
pytestmark = pytest.mark.django_db
BASE = "/api/valuation"


def api(user: User | None = None) -> APIClient:
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_authenticate(user)
    return c


def codes(response: Any) -> dict[str, str | None]:
    return {e["code"]: e["field"] for e in response.json()["errors"]}


def ok(response: Any, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.content
    return response.json()


def set_today(frozen: clock.FrozenClock, day: date) -> None:
    frozen.set(clock.local_midnight(day) + timedelta(hours=10))


def test_appraisal_end_to_end(clerk: User, lot_obj: Lot, frozen: clock.FrozenClock) -> None:
    c = api(clerk)
    v = ok(c.post(f"{BASE}/lots/{lot_obj.pk}/valuations/", {}, format="json"), 201)
    vid = v["id"]
    assert v["status"] == "open" and v["next_method"] == "negotiation"
    # Seized 20 February: 30 days end Sunday 22 March, moved to Monday 23 March.
    assert [d["code"] for d in v["deadlines"]] == ["open"] and v["deadlines"][0]["due_on"] == "2026-03-23"
    response = c.post(f"{BASE}/valuations/{vid}/start/", {"method": "negotiation"}, format="json")
    assert response.status_code == 400 and codes(response) == {"investigation_first": None}
    ok(c.post(f"{BASE}/valuations/{vid}/investigation/", {"items": ALL_DONE, "note": "已查明"}, format="json"))
    response = c.post(f"{BASE}/valuations/{vid}/skip/", {"method": "online_inquiry", "ground": "inspection_needed"},
                      format="json")
    assert codes(response) == {"cascade_order": "method"}
    for method, ground in (("negotiation", "party_missing"), ("directed_inquiry", "no_government_price"),
                           ("online_inquiry", "inspection_needed")):
        ok(c.post(f"{BASE}/valuations/{vid}/skip/", {"method": method, "ground": ground}, format="json"))
    v = ok(c.post(f"{BASE}/valuations/{vid}/start/", {"method": "appraisal"}, format="json"))
    assert [s["outcome"] for s in v["steps"]] == ["skipped", "skipped", "skipped", "in_progress"]
    agencies(4)
    v = ok(c.post(f"{BASE}/valuations/{vid}/appraisal/lottery/",
                  {"specialty": "real_estate", "scope": "city", "reason": "一方当事人下落不明"}, format="json"))
    selection = v["selections"][0]
    assert selection["mode"] == "lottery" and len(selection["drawn"]) == 3 and len(selection["candidates"]) == 4
    assert [e["status"] for e in selection["engagements"]] == ["active", "queued", "queued"]
    check = ok(c.get(f"{BASE}/lotteries/{selection['id']}/"))
    assert check["verified"] and check["drawn"] == selection["drawn"]

    pdf = SimpleUploadedFile("report.pdf", builders.pdf_bytes(), "application/pdf")
    v = ok(c.post(f"{BASE}/valuations/{vid}/appraisal/report/",
                  {"price_fen": 90_000_000, "report_date": "2026-03-02", "received_on": "2026-03-02",
                   "number": "京评〔2026〕1号", "document": pdf}, format="multipart"))
    report = v["reports"][0]
    assert report["kind"] == "appraisal" and report["document"] and report["valid_until"] == "2027-03-01"
    for party in parties(Valuation.objects.get(pk=vid)):
        ok(c.post(f"{BASE}/valuations/{vid}/deliveries/", {"party": party.pk, "method": "served",
                                                          "delivered_on": "2026-03-02", "proof": "送达回证"},
                  format="json"))
    debtor = parties(Valuation.objects.get(pk=vid))[1]
    v = ok(c.post(f"{BASE}/valuations/{vid}/objections/", {
        "report": report["id"], "party": debtor.pk, "kind": "method_result", "ground": "method",
        "grounds_text": "评估价明显偏低", "filed_on": "2026-03-02"}, format="json"))
    objection = v["objections"][0]["id"]
    ok(c.post(f"{BASE}/valuations/{vid}/objections/forward/", {"objection": objection, "forwarded_on": "2026-03-02"},
              format="json"))
    ok(c.post(f"{BASE}/valuations/{vid}/objections/explanation/",
              {"objection": objection, "explained_on": "2026-03-02", "explanation": "已选取同小区成交案例"},
              format="json"))
    v = ok(c.post(f"{BASE}/valuations/{vid}/objections/decision/",
                  {"objection": objection, "outcome": "rejected", "decided_on": "2026-03-02",
                   "decision_reference": "异议人接受说明"}, format="json"))
    assert v["objections"][0]["status"] == "decided"
    response = c.post(f"{BASE}/valuations/{vid}/fix/", format="json")
    assert response.status_code == 400 and "objection_period" in codes(response)
    set_today(frozen, date(2026, 3, 10))  # received 2 March: objections until Saturday 7 → Monday 9
    v = ok(c.post(f"{BASE}/valuations/{vid}/fix/", format="json"))
    assert v["status"] == "fixed" and v["price_fen"] == 90_000_000 and v["method"] == "appraisal"
    assert {d["code"] for d in v["deadlines"]} >= {"sale_start", "validity"}
    assert Lot.objects.get(pk=lot_obj.pk).reference_price_fen == 90_000_000
    listed = ok(c.get(f"{BASE}/valuations/", {"lot": lot_obj.pk}))
    assert [row["id"] for row in listed["results"]] == [vid]


def test_a_report_of_another_valuation_is_refused(clerk: User, opened: Valuation, court: builders.Court) -> None:
    from tests.valuation.conftest import platform_reports, unpriced_lot
    from valuation import services

    mine = reach(opened, clerk, M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=mine)
    elsewhere = services.valuation_open(actor=clerk, lot=unpriced_lot(builders.case(court, serial=77)))
    services.valuation_record_investigation(actor=clerk, valuation=elsewhere, items=ALL_DONE)
    elsewhere = reach(elsewhere, clerk, M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=elsewhere)
    foreign = platform_reports(elsewhere)[0]
    response = api(clerk).post(f"{BASE}/valuations/{mine.pk}/online-inquiry/results/", {
        "report": foreign.pk, "price_fen": 100, "report_date": "2026-03-02", "received_on": "2026-03-02"},
        format="json")
    assert response.status_code == 400 and codes(response) == {"bad_report": "report"}
    assert foreign.__class__.objects.get(pk=foreign.pk).price_fen is None


def test_permissions_and_error_format(clerk: User, opened: Valuation) -> None:
    other = builders.staff_user("other", builders.court("沪0115", "上海市浦东新区人民法院"), roles=["court_staff"])
    supervisor = builders.staff_user("sup", None, roles=["supervisor"])
    response = api(other).get(f"{BASE}/valuations/{opened.pk}/")
    assert response.status_code == 403 and codes(response) == {"wrong_court": None}
    response = api(other).post(f"{BASE}/valuations/{opened.pk}/start/", {"method": "negotiation"}, format="json")
    assert response.status_code == 403
    assert ok(api(other).get(f"{BASE}/valuations/"))["results"] == []
    assert ok(api(supervisor).get(f"{BASE}/valuations/{opened.pk}/"))["id"] == opened.pk
    response = api(supervisor).post(f"{BASE}/valuations/{opened.pk}/start/", {"method": "negotiation"}, format="json")
    assert response.status_code == 403
    assert api().get(f"{BASE}/valuations/").status_code in (401, 403)
    response = api(clerk).post(f"{BASE}/valuations/{opened.pk}/start/", {"method": "nonsense"}, format="json")
    assert response.status_code == 400 and "method" in codes(response).values()
    assert not opened.steps.exists()
    estimate = ok(api(clerk).get(f"{BASE}/lots/{opened.lot_id}/estimate/"))
    assert estimate["ok"] is False and estimate["reason"] == "too_few"
    assert AppraisalSelection.objects.count() == 0
