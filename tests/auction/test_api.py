"""The REST API: the whole staff flow, the public reads, permissions and the error format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from auction import services
from auction.models import AuctionRound, Lot, Party, PriorityHolder
from core import clock
from core.models import User
from tests import builders

S = AuctionRound.Status
pytestmark = pytest.mark.django_db


def client(user: User | None = None) -> APIClient:
    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def codes(response: Any) -> dict[str, str | None]:
    """{code: field} of an error response."""
    return {e["code"]: e["field"] for e in response.json()["errors"]}


def utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_at(days_ahead: int, hour: int = 10) -> datetime:
    return clock.local_midnight(clock.today() + timedelta(days=days_ahead)) + timedelta(hours=hour)


def public_ids(url: str, **params: Any) -> list[int]:
    response = client().get(url, params)
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


def announced(judge: User, frozen: clock.FrozenClock, serial: int, **lot_args: Any) -> AuctionRound:
    start_fen = lot_args.pop("start_fen", 80_000_000)
    lot = builders.lot(builders.case(builders.court(), serial=serial), **lot_args)
    # round_in moves the clock 3 days on; going back lets every round be notified on the same Monday
    # (notified on a Thursday, the 3 days would end on a Sunday and move to Monday, CPL art.85).
    started = clock.now()
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot, start_fen=start_fen)
    frozen.set(started)
    return rnd


# --- the staff flow -----------------------------------------------------------------------------


def test_whole_staff_flow_through_the_api(court: Any, clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    api = client(clerk)

    # Case, parties, claim.
    r = api.post("/api/staff/cases/", {"court": court.pk, "number": "(2025)京0105执77号", "cause": "借款合同纠纷",
                                       "filed_on": "2025-03-01"}, format="json")
    assert r.status_code == 201, r.content
    case = r.json()
    assert case["number"] == "（2025）京0105执77号"
    assert case["court"]["id"] == court.pk
    r = api.post(f"/api/staff/cases/{case['id']}/parties/",
                 {"role": "applicant", "kind": "company", "name": "某银行股份有限公司"}, format="json")
    assert r.status_code == 201, r.content
    applicant = r.json()["id"]
    r = api.post(f"/api/staff/cases/{case['id']}/parties/",
                 {"role": "debtor", "kind": "natural_person", "name": "张某", "contact": "北京市朝阳区"}, format="json")
    assert r.status_code == 201, r.content
    r = api.post(f"/api/staff/cases/{case['id']}/claims/",
                 {"creditor": applicant, "title_document": "（2024）京0105民初1号判决书", "principal_fen": 50_000_000,
                  "priority_class": "mortgage", "verified": True}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["principal_fen"] == 50_000_000

    # The lot and everything the publication package needs.
    r = api.post(f"/api/staff/cases/{case['id']}/lots/", {
        "asset_type": "real_estate", "title": "朝阳区某小区5号楼302室", "description": "建筑面积89.5平方米。",
        "province": "北京市", "city": "北京市", "district": "朝阳区", "area_m2": "89.50", "seized_on": "2026-01-05",
        "possession": "debtor", "occupancy": "被执行人居住。", "known_defects": "无已知瑕疵。",
        "viewing": "工作日可预约看样。", "special_qualifications": "符合北京市购房资格。", "purchase_restricted": True,
    }, format="json")
    assert r.status_code == 201, r.content
    lot = r.json()
    assert lot["nature"] == "immovable"  # derived from the asset type (WP art.12)
    lots = f"/api/staff/lots/{lot['id']}"
    r = api.patch(f"{lots}/", {"title": "朝阳区某小区5号楼302室住宅"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["title"] == "朝阳区某小区5号楼302室住宅"
    r = api.post(f"{lots}/reference-price/", {"price_fen": 100_000_000, "method": "online_inquiry",
                                              "fixed_on": "2026-02-20", "valid_until": "2026-12-31",
                                              "note": "网络询价报告 2026-007"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["reference_price_fen"] == 100_000_000
    r = api.post(f"{lots}/photos/", {"image": SimpleUploadedFile("a.png", builders.png_bytes(), "image/png"),
                                     "caption": "外观"}, format="multipart")
    assert r.status_code == 201, r.content
    assert r.json()["url"].startswith("http://testserver/media/photos/")
    for kind, title in (("judgment", "民事判决书"), ("pricing_basis", "询价报告")):
        r = api.post(f"{lots}/attachments/", {"kind": kind, "title": title, "file": SimpleUploadedFile(
            "d.pdf", builders.pdf_bytes(), "application/pdf")}, format="multipart")
        assert r.status_code == 201, r.content
    r = api.post(f"{lots}/encumbrances/", {"kind": "mortgage", "holder": "某银行股份有限公司", "survives_sale": False,
                                           "amount_fen": 50_000_000, "registered_on": "2023-05-01"}, format="json")
    assert r.status_code == 201, r.content
    r = api.post(f"{lots}/leases/", {"tenant": "李某", "start": "2025-01-01", "end": "2027-12-31",
                                     "rent_fen": 600_000, "rent_period": "month"}, format="json")
    assert r.status_code == 201, r.content
    r = api.post(f"{lots}/taxes/", {"tax": "deed_tax", "payer": "buyer", "estimate_fen": 3_000_000}, format="json")
    assert r.status_code == 200, r.content
    r = api.post(f"{lots}/priority-holders/", {"name": "李某", "basis": "tenant", "rank": 1,
                                               "contact": "13800000000"}, format="json")
    assert r.status_code == 201, r.content
    r = api.post(f"{lots}/priority-holders/", {"name": "王某", "basis": "co_owner", "rank": 2}, format="json")
    mistaken = r.json()["id"]
    r = api.delete(f"/api/staff/priority-holders/{mistaken}/?reason=登记错误")
    assert r.status_code == 204, r.content
    assert not PriorityHolder.objects.filter(pk=mistaken).exists()

    # The first round: a draft, invisible to the public.
    start, end = local_at(40), local_at(41)
    r = api.post(f"{lots}/rounds/", {
        "start_price_fen": 80_000_000, "increment_fen": 500_000, "deposit_fen": 8_000_000,
        "bidding_start": start.isoformat(), "bidding_end": end.isoformat(), "notice_text": "拍卖公告正文。",
        "terms_text": "竞买须知正文。", "payment_text": "保证金由平台冻结。",
    }, format="json")
    assert r.status_code == 201, r.content
    rnd = r.json()
    assert (rnd["status"], rnd["kind"], rnd["bidding_start"]) == ("draft", "first", utc(start))
    assert rnd["server_time"] == utc(clock.now())
    rounds = f"/api/staff/rounds/{rnd['id']}"
    assert rnd["id"] not in public_ids("/api/rounds/")
    assert client().get(f"/api/rounds/{rnd['id']}/").status_code == 404
    assert client().get(f"/api/lots/{lot['id']}/").status_code == 404

    r = api.patch(f"{rounds}/", {"deposit_fen": 10_000_000, "balance_due_days": 15}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["deposit_fen"], r.json()["balance_due_days"], r.json()["start_price_fen"]) == (
        10_000_000, 15, 80_000_000)

    # Notifications, the panel decision, publication.
    package = {i["key"]: i["ok"] for i in api.get(f"{rounds}/package/").json()["items"]}
    assert package["notice"] and package["condition"] and not package["priority"] and not package["notified"]
    staff_lot = api.get(f"{lots}/").json()
    for party in api.get(f"/api/staff/cases/{case['id']}/").json()["parties"]:
        r = api.post(f"{rounds}/notifications/", {"method": "written", "at": utc(clock.now()), "proof": "送达回证",
                                                  "party": party["id"]}, format="json")
        assert r.status_code == 201, r.content
    for holder in staff_lot["priority_holders"]:
        r = api.post(f"{rounds}/notifications/", {"method": "written", "at": utc(clock.now()), "proof": "送达回证",
                                                  "priority_holder": holder["id"]}, format="json")
        assert r.status_code == 201, r.content
    r = client(judge).post(f"{rounds}/panel-decision/", {
        "decided_on": str(clock.today()), "reference": "合议庭评议笔录",
        "members": ["审判长甲", "审判员乙", "审判员丙"],
    }, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["deposit_fen"] == 10_000_000
    assert [h["name"] for h in r.json()["priority_holders"]] == ["李某"]
    r = api.patch(f"{rounds}/", {"start_price_fen": 75_000_000}, format="json")
    assert r.status_code == 400 and codes(r) == {"panel_locked": None}
    frozen.advance(timedelta(days=3))
    assert all(i["ok"] for i in api.get(f"{rounds}/package/").json()["items"])
    r = api.post(f"{rounds}/publish/")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "announced"
    assert r.json()["notice_published_at"] == utc(clock.now())

    # Now the public sees it, with no one's identity.
    assert rnd["id"] in public_ids("/api/rounds/")
    detail = client().get(f"/api/rounds/{rnd['id']}/").json()
    assert detail["lot"]["id"] == lot["id"] and detail["lot"]["case_number"] == "（2025）京0105执77号"
    assert detail["key_facts"]["reference_price_fen"] == 100_000_000
    assert detail["key_facts"]["has_priority_holders"] is True
    assert detail["server_time"] == utc(clock.now())
    public_lot = client().get(f"/api/lots/{lot['id']}/").json()
    assert public_lot["priority_holders"] == [{"name": "李某", "basis": "tenant", "rank": 1}]
    assert public_lot["photos"][0]["caption"] == "外观"
    assert {a["kind"] for a in public_lot["attachments"]} == {"judgment", "pricing_basis"}
    assert public_lot["encumbrances"][0]["survives_sale"] is False
    assert public_lot["leases"][0]["rent_fen"] == 600_000
    assert public_lot["taxes"] == [{"tax": "deed_tax", "payer": "buyer", "estimate_fen": 3_000_000, "note": ""}]
    assert [r["id"] for r in public_lot["rounds"]] == [rnd["id"]]
    assert "13800000000" not in str(public_lot) and "张某" not in str(public_lot)

    # Stay, then resume on a new schedule (WP art.28).
    r = api.post(f"{rounds}/stay/", {"reason": "案外人提出异议"}, format="json")
    assert (r.status_code, r.json()["status"], r.json()["status_reason"]) == (200, "stayed", "案外人提出异议")
    frozen.advance(timedelta(days=1))
    new_start, new_end = local_at(37), local_at(38)
    r = api.post(f"{rounds}/resume/", {"reason": "异议已驳回", "cause_ended_on": str(clock.today()),
                                       "bidding_start": utc(new_start), "bidding_end": utc(new_end)}, format="json")
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["bidding_start"]) == ("announced", utc(new_start))

    # No bid: the round fails (the clock's work), and staff prepare the second auction (WP art.26).
    first = AuctionRound.objects.get(pk=rnd["id"])
    frozen.set(first.bidding_start)
    services.round_open(rnd=first)
    frozen.set(first.effective_end)
    services.round_close(rnd=first)
    r = api.post(f"{rounds}/next-round/", {
        "start_price_fen": 64_000_000, "increment_fen": 500_000, "deposit_fen": 6_400_000,
        "bidding_start": utc(local_at(20)), "bidding_end": utc(local_at(21)),
    }, format="json")
    assert r.status_code == 201, r.content
    assert (r.json()["kind"], r.json()["status"], r.json()["previous_round"]) == ("second", "draft", rnd["id"])
    assert rnd["id"] in public_ids("/api/results/")
    assert [r["id"] for r in client().get(f"/api/lots/{lot['id']}/").json()["rounds"]] == [rnd["id"]]


def test_staff_lists_and_reads_only_their_courts(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    mine = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    other_court = builders.court("沪0115", "上海市浦东新区人民法院")
    theirs = builders.round_in(S.DRAFT, judge=builders.staff_user("other", other_court, ["court_staff", "panel"]),
                               frozen=frozen, lot_obj=builders.lot(builders.case(other_court, serial=9)))
    api = client(clerk)
    listed = api.get("/api/staff/cases/").json()
    assert [c["id"] for c in listed["results"]] == [mine.lot.case_id]
    assert api.get(f"/api/staff/rounds/{mine.pk}/").json()["status"] == "draft"
    r = api.get(f"/api/staff/rounds/{theirs.pk}/")
    assert r.status_code == 404 and codes(r) == {"not_found": None}
    assert api.get(f"/api/staff/cases/{theirs.lot.case_id}/").status_code == 404
    assert api.get(f"/api/staff/lots/{theirs.lot_id}/").status_code == 404


def test_take_in_lieu_after_a_failed_round(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.FAILED, judge=judge, frozen=frozen)
    applicant = rnd.lot.case.parties.get(role=Party.Role.APPLICANT)
    r = client(clerk).post(f"/api/staff/rounds/{rnd.pk}/take-in-lieu/", {
        "creditor": applicant.pk, "reason": "申请执行人申请以物抵债", "qualification_confirmed": True}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["round"]["status"] == "taken_in_lieu"
    assert (body["value_fen"], body["verified_claims_fen"], body["top_up_fen"]) == (80_000_000, 0, 80_000_000)


@pytest.mark.parametrize(("action", "status"), [("stay", S.STAYED), ("suspend", S.SUSPENDED),
                                                 ("withdraw", S.WITHDRAWN), ("terminate", S.TERMINATED)])
def test_stop_actions_need_a_public_reason(action: str, status: str, clerk: User, judge: User,
                                           frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen)
    url = f"/api/staff/rounds/{rnd.pk}/{action}/"
    r = client(clerk).post(url, {"reason": "  "}, format="json")
    assert r.status_code == 400 and codes(r) == {"reason_required": "reason"}
    r = client(clerk).post(url, {"reason": "申请执行人撤回执行申请"}, format="json")
    assert (r.status_code, r.json()["status"]) == (200, status)


def test_priority_holders_are_locked_by_the_panel_decision(clerk: User, judge: User,
                                                           frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen)
    holder = PriorityHolder.objects.create(lot=rnd.lot, name="李某", basis="tenant")
    api = client(clerk)
    r = api.delete(f"/api/staff/priority-holders/{holder.pk}/")
    assert r.status_code == 400 and codes(r) == {"required": "reason"}
    r = api.delete(f"/api/staff/priority-holders/{holder.pk}/?reason=登记错误")
    assert r.status_code == 400 and codes(r) == {"priority_locked": None}
    r = api.post(f"/api/staff/lots/{rnd.lot_id}/priority-holders/", {"name": "王某", "basis": "co_owner"},
                 format="json")
    assert r.status_code == 400 and codes(r) == {"priority_locked": None}


# --- errors ---------------------------------------------------------------------------------------


def test_round_terms_errors_come_with_codes_and_fields(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(builders.court()))
    r = client(clerk).post(f"/api/staff/lots/{lot.pk}/rounds/", {
        "start_price_fen": 60_000_000, "increment_fen": 500_000, "deposit_fen": 100_000,
        "bidding_start": utc(local_at(40)), "bidding_end": utc(local_at(41)),
    }, format="json")
    assert r.status_code == 400
    assert codes(r) == {"start_below_reference": "start_price_fen", "deposit_out_of_range": "deposit_fen"}
    assert not lot.rounds.exists()


def test_invalid_case_number(court: Any, clerk: User, frozen: clock.FrozenClock) -> None:
    r = client(clerk).post("/api/staff/cases/", {"court": court.pk, "number": "2024-1234", "cause": "借款合同纠纷",
                                                 "filed_on": "2025-03-01"}, format="json")
    assert r.status_code == 400 and codes(r) == {"invalid_case_number": "number"}


def test_transition_not_allowed(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    draft = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    r = client(clerk).post(f"/api/staff/rounds/{draft.pk}/publish/")
    assert r.status_code == 400 and codes(r) == {"transition_not_allowed": None}
    assert AuctionRound.objects.get(pk=draft.pk).status == S.DRAFT


def test_input_shape_errors_name_the_field(clerk: User, frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(builders.court()))
    r = client(clerk).post(f"/api/staff/lots/{lot.pk}/rounds/", {
        "start_price_fen": "eighty million", "increment_fen": 500_000, "deposit_fen": -1,
        "bidding_start": utc(local_at(40)),
    }, format="json")
    assert r.status_code == 400
    assert codes(r) == {"invalid": "start_price_fen", "min_value": "deposit_fen", "required": "bidding_end"}


def test_model_validation_errors_use_the_same_format(clerk: User, frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(builders.court()))
    r = client(clerk).post(f"/api/staff/lots/{lot.pk}/photos/", {
        "image": SimpleUploadedFile("a.png", b"not an image", "image/png"), "caption": "外观"}, format="multipart")
    assert r.status_code == 400 and codes(r) == {"bad_image": "image"}


def test_messages_follow_accept_language(clerk: User, frozen: clock.FrozenClock) -> None:
    lot = builders.lot(builders.case(builders.court()))
    body = {"start_price_fen": 60_000_000, "increment_fen": 500_000, "deposit_fen": 6_000_000,
            "bidding_start": utc(local_at(40)), "bidding_end": utc(local_at(41))}
    r = client(clerk).post(f"/api/staff/lots/{lot.pk}/rounds/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and r["Content-Language"] == "en"
    assert r.json()["errors"][0]["message"] == (
        "The start price ¥600,000.00 is below 70% of the reference price ¥1,000,000.00; the lowest lawful start "
        "is ¥700,000.00 (WP art.10).")
    r = client(clerk).post(f"/api/staff/lots/{lot.pk}/rounds/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["errors"][0]["message"] == "This field is required."
    zh = client(clerk).post(f"/api/staff/lots/{lot.pk}/rounds/", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh["Content-Language"] == "zh-hans"


# --- permissions ----------------------------------------------------------------------------------


def test_a_bidder_gets_403_on_staff_endpoints(court: Any, judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    bidder = builders.staff_user("bidder", None, roles=["bidder"])
    api = client(bidder)
    for response in (api.get("/api/staff/cases/"), api.get(f"/api/staff/rounds/{rnd.pk}/"),
                     api.post(f"/api/staff/rounds/{rnd.pk}/withdraw/", {"reason": "x"}, format="json"),
                     api.post("/api/staff/cases/", {"court": court.pk}, format="json")):
        assert response.status_code == 403
        assert codes(response) == {"permission_denied": None}
    assert AuctionRound.objects.get(pk=rnd.pk).status == S.DRAFT


def test_staff_of_another_court_get_403(court: Any, judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen)
    other_court = builders.court("沪0115", "上海市浦东新区人民法院")
    outsider = client(builders.staff_user("outsider", other_court, roles=["court_staff", "panel"]))
    for response in (
        outsider.post(f"/api/staff/rounds/{rnd.pk}/stay/", {"reason": "案外人提出异议"}, format="json"),
        outsider.patch(f"/api/staff/lots/{rnd.lot_id}/", {"title": "改名"}, format="json"),
        outsider.post("/api/staff/cases/", {"court": court.pk, "number": "（2025）京0105执88号",
                                            "cause": "借款合同纠纷", "filed_on": "2025-03-01"}, format="json"),
    ):
        assert response.status_code == 403
        assert codes(response) == {"wrong_court": None}
    # A bad body changes nothing: the court is checked first, so another court learns nothing from it.
    for response in (
        outsider.post(f"/api/staff/rounds/{rnd.pk}/stay/", {}, format="json"),
        outsider.post(f"/api/staff/cases/{rnd.lot.case_id}/parties/", {"role": "nonsense"}, format="json"),
        outsider.patch(f"/api/staff/lots/{rnd.lot_id}/", {"seized_on": "not a date"}, format="json"),
    ):
        assert response.status_code == 403
        assert codes(response) == {"wrong_court": None}
    assert outsider.post("/api/staff/rounds/999999/stay/", {}, format="json").status_code == 404
    assert AuctionRound.objects.get(pk=rnd.pk).status == S.ANNOUNCED
    assert Lot.objects.get(pk=rnd.lot_id).title != "改名"


def test_only_a_panel_judge_records_the_panel_decision(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    r = client(clerk).post(f"/api/staff/rounds/{rnd.pk}/panel-decision/", {
        "decided_on": str(clock.today()), "reference": "合议庭评议笔录", "members": ["甲", "乙", "丙"]}, format="json")
    assert r.status_code == 403
    assert AuctionRound.objects.get(pk=rnd.pk).status == S.DRAFT


def test_anonymous_requests_to_staff_endpoints_are_refused(judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    for response in (client().get("/api/staff/cases/"), client().get(f"/api/staff/rounds/{rnd.pk}/"),
                     client().post(f"/api/staff/rounds/{rnd.pk}/withdraw/", {"reason": "x"}, format="json")):
        assert response.status_code in (401, 403)
        assert codes(response) == {"not_authenticated": None}
    assert AuctionRound.objects.get(pk=rnd.pk).status == S.DRAFT


def test_a_supervisor_reads_every_court_but_writes_nothing(judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    supervisor = client(builders.staff_user("auditor", None, roles=["supervisor"]))
    assert supervisor.get(f"/api/staff/rounds/{rnd.pk}/").status_code == 200
    assert supervisor.post(f"/api/staff/rounds/{rnd.pk}/withdraw/", {"reason": "x"}, format="json").status_code == 403


def test_token_authentication(clerk: User, judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    token = Token.objects.create(user=clerk)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(f"/api/staff/rounds/{rnd.pk}/").json()["id"] == rnd.pk


# --- public reads ---------------------------------------------------------------------------------


def test_public_endpoints_never_show_drafts_or_panel_approved_rounds(judge: User, frozen: clock.FrozenClock) -> None:
    draft = builders.round_in(S.DRAFT, judge=judge, frozen=frozen)
    approved = builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen)
    public = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen)
    assert public_ids("/api/rounds/") == [public.pk]
    assert public_ids("/api/results/") == []
    for hidden in (draft, approved):
        assert client().get(f"/api/rounds/{hidden.pk}/").status_code == 404
        assert client().get(f"/api/lots/{hidden.lot_id}/").status_code == 404
    r = client().get("/api/rounds/", {"status": "draft"})
    assert r.status_code == 400 and codes(r) == {"invalid_choice": "status"}


def test_public_round_carries_money_as_fen_and_times_in_utc(judge: User, frozen: clock.FrozenClock) -> None:
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen)
    body = client().get(f"/api/rounds/{rnd.pk}/").json()
    assert body["start_price_fen"] == 80_000_000 and body["price_fen"] == 80_000_000
    assert body["deposit_fen"] == 8_000_000 and body["current_price_fen"] is None
    assert body["bidding_start"] == utc(rnd.bidding_start) and body["bidding_start"].endswith("Z")
    assert body["server_time"] == utc(clock.now())
    assert body["lot"]["court"]["phone"] == "010-12345678"
    assert body["key_facts"]["known_defects"] == "无已知瑕疵。"


def test_filters_sorting_and_pagination(judge: User, frozen: clock.FrozenClock) -> None:
    house = announced(judge, frozen, 1, reference_fen=100_000_000, start_fen=80_000_000)
    car = announced(judge, frozen, 2, asset_type="vehicle", reference_fen=20_000_000, start_fen=15_000_000)
    shop = announced(judge, frozen, 3, reference_fen=300_000_000, start_fen=250_000_000)
    Lot.objects.filter(pk=shop.lot_id).update(city="上海市")

    assert public_ids("/api/rounds/", asset_type="vehicle") == [car.pk]
    assert public_ids("/api/rounds/", price_min_fen=50_000_000, sort="price_asc") == [house.pk, shop.pk]
    assert public_ids("/api/rounds/", price_max_fen=80_000_000, sort="price_desc") == [house.pk, car.pk]
    assert public_ids("/api/rounds/", city="上海市") == [shop.pk]
    assert public_ids("/api/rounds/", q="（2025）京0105执2号") == [car.pk]
    assert public_ids("/api/rounds/", court=house.lot.case.court_id, kind="first", status="announced",
                      sort="price_desc") == [shop.pk, house.pk, car.pk]

    first = client().get("/api/rounds/", {"sort": "price_desc", "page_size": "2"}).json()
    assert first["count"] == 3 and [r["id"] for r in first["results"]] == [shop.pk, house.pk]
    second = client().get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [car.pk] and second["next"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"price_min_fen": "abc"}, "price_min_fen"), ({"price_max_fen": "-5"}, "price_max_fen"),
    ({"sort": "cheapest"}, "sort"), ({"court": "0"}, "court"), ({"asset_type": "boat"}, "asset_type"),
    ({"kind": "third"}, "kind"),
])
def test_bad_filter_values_are_400_not_500(params: dict[str, str], field: str) -> None:
    for url in ("/api/rounds/", "/api/results/"):
        r = client().get(url, params)
        assert r.status_code == 400
        assert [e["field"] for e in r.json()["errors"]] == [field]


def test_results_list_closed_rounds_only(judge: User, frozen: clock.FrozenClock) -> None:
    failed = builders.round_in(S.FAILED, judge=judge, frozen=frozen)
    live = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen)
    assert public_ids("/api/results/") == [failed.pk]
    assert set(public_ids("/api/rounds/")) == {failed.pk, live.pk}

