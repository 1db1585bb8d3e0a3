"""The bidding API: sign-up, registering step by step, paying, and the court's endpoints, which show
counts and review items only while a round runs (WP art.18)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from auction import rules
from bidding.models import Registration, Review
from bidding.services import RegistrationInput
from core.models import AuditRecord, User
from settlement import services as settlement
from tests.bidding.conftest import dep, pdf, person, register, resident_id, sign_up

pytestmark = pytest.mark.django_db
EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


def api(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_signup_through_the_api_returns_only_the_masked_number():
    number = resident_id(seq=11)
    body = {"username": "apibidder", "password": "a-long-pass-phrase-9", "phone": "13800000001",
            "kind": "individual", "name": "吴九", "id_type": "resident_id", "id_number": number}
    response = api().post("/api/bidding/signup/", body, format="json", **EN)
    assert response.status_code == 201, response.content
    assert response.json()["id_masked"] == f"{number[:6]}********{number[-4:]}"
    assert number not in response.content.decode()
    bad = api().post("/api/bidding/signup/", dict(body, username="other", id_number=number[:17] + "0"
                                                  if number[17] != "0" else number[:17] + "1"), format="json", **EN)
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert error["field"] == "id_number" and "check digit" in error["message"]


def test_register_step_by_step_through_the_api(alice, bidding_round, finance):
    client = api(alice)
    started = client.post(f"/api/bidding/rounds/{bidding_round.pk}/registrations/", {"declaration": True},
                          format="json")
    assert started.status_code == 201, started.content
    pk = started.json()["id"]
    assert started.json()["step"] == "prompts" and started.json()["code"] == ""
    wrong = client.post(f"/api/bidding/registrations/{pk}/prompts/", {"key": rules.SPECIAL_PROMPTS[1][0]},
                        format="json")
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "prompt_order"
    for key, _label in rules.SPECIAL_PROMPTS:
        assert client.post(f"/api/bidding/registrations/{pk}/prompts/", {"key": key}, format="json").status_code == 200
    detail = client.get(f"/api/bidding/registrations/{pk}/").json()
    assert detail["step"] == "payment" and all(p["accepted_at"] for p in detail["prompts"])
    paid = client.post(f"/api/bidding/registrations/{pk}/deposit/", {"gateway": "offline"}, format="json")
    assert paid.status_code == 201, paid.content
    payment = paid.json()["payment"]
    assert payment["action"] == "instructions" and payment["amount_fen"] == bidding_round.deposit_fen
    reg = Registration.objects.get(pk=pk)
    assert payment["reference"] == dep(reg).reference
    settlement.deposit_confirm_offline(deposit=dep(reg), actor=finance)
    detail = client.get(f"/api/bidding/registrations/{pk}/").json()
    assert detail["status"] == "qualified" and detail["code"] == Registration.objects.get(pk=pk).code
    assert detail["deposit"]["status"] == "held" and detail["may_bid"] is True
    mine = client.get("/api/bidding/registrations/").json()
    assert [r["id"] for r in mine["results"]] == [pk]
    assert api(sign_up("nosy", "路人").user).get(f"/api/bidding/registrations/{pk}/").status_code == 404


def test_proxy_registration_with_a_document_needs_multipart(alice, bidding_round):
    principal = resident_id(seq=12)
    response = api(alice).post(f"/api/bidding/rounds/{bidding_round.pk}/registrations/", {
        "declaration": "true", "capacity": "proxy", "proxy_document": pdf(),
        "principal.kind": "individual", "principal.name": "委托人丙", "principal.id_type": "resident_id",
        "principal.id_number": principal}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["principal_id_masked"].endswith(principal[-4:]) and principal not in response.content.decode()
    assert body["reviews"][0]["kind"] == "proxy" and body["reviews"][0]["status"] == "pending"


def test_staff_endpoints_are_anonymous_during_the_round(bidding_round, finance, clerk, frozen):
    regs = [register(sign_up(f"api{n}", name, resident_id(seq=20 + n)).user, bidding_round, finance=finance)
            for n, name in enumerate(["冯一", "陈二"])]
    proxy_user = sign_up("apiproxy", "褚三", resident_id(seq=30)).user
    regs.append(register(proxy_user, bidding_round, RegistrationInput(
        declaration=True, capacity="proxy", principal=person("卫四", resident_id(seq=31)), proxy_document=pdf()),
        finance=finance))
    secrets = [v for r in regs for v in (r.code, r.bidder.name, r.bidder.id_masked, dep(r).reference,
                                         r.principal_name, r.principal_id_masked) if v]
    client = api(clerk)
    summary = client.get(f"/api/bidding/staff/rounds/{bidding_round.pk}/registrations/?reveal=1")
    queue = client.get("/api/bidding/staff/reviews/")
    review = Review.objects.get(kind=Review.Kind.PROXY)
    item = client.get(f"/api/bidding/staff/reviews/{review.pk}/")
    for response in (summary, queue):
        assert response.status_code == 200
        text = json.dumps(response.json(), ensure_ascii=False)
        assert not [v for v in secrets if v in text]
    assert summary.json()["summary"]["by_status"]["qualified"] == 3 and summary.json()["registrations"] is None
    assert all(r.code not in item.content.decode() for r in regs)
    assert not AuditRecord.objects.filter(action="round.identities_viewed").exists()

    decided = client.post(f"/api/bidding/staff/reviews/{review.pk}/decision/", {"approve": True}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "approved"

    frozen.set(bidding_round.effective_end)
    from bidding import services

    services.close_due_rounds()
    revealed = client.get(f"/api/bidding/staff/rounds/{bidding_round.pk}/registrations/?reveal=1").json()
    assert {r["code"] for r in revealed["registrations"]} == {r.code for r in regs}
    assert AuditRecord.objects.filter(action="round.identities_viewed").count() == 1


def test_bidders_cannot_use_staff_endpoints(alice, bidding_round):
    assert api(alice).get(f"/api/bidding/staff/rounds/{bidding_round.pk}/registrations/").status_code == 403
    assert api().get("/api/bidding/staff/reviews/").status_code in (401, 403)


def test_barred_list_through_the_api(clerk, court):
    number = resident_id(seq=40)
    body = {"category": "court_staff", "court": court.pk, "kind": "individual", "name": "书记员甲",
            "id_type": "resident_id", "id_number": number}
    created = api(clerk).post("/api/bidding/staff/barred/", body, format="json")
    assert created.status_code == 201 and number not in created.content.decode()
    everywhere = api(clerk).post("/api/bidding/staff/barred/", dict(body, court=None), format="json")
    assert everywhere.status_code == 403
    listed = api(clerk).get("/api/bidding/staff/barred/").json()
    assert [e["id_masked"] for e in listed["results"]] == [f"{number[:6]}********{number[-4:]}"]
    removed = api(clerk).post(f"/api/bidding/staff/barred/{created.json()['id']}/remove/", {"reason": "离职"},
                              format="json")
    assert removed.status_code == 200 and removed.json()["removed_at"]
