"""The money API end to end: the bidder's own deposit and balance, the finance operations, the
error format and permissions (a bidder never sees another bidder's deposit; finance-only actions)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from auction.models import AuctionRound
from core import clock
from core.models import User
from settlement import services
from settlement.models import Deposit, Receipt
from tests import builders
from tests.settlement import factories

pytestmark = pytest.mark.django_db
BASE = "/api/settlement"


def api(user: User | None = None) -> APIClient:
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_authenticate(user)
    return c


def codes(response: Any) -> dict[str, str | None]:
    return {e["code"]: e["field"] for e in response.json()["errors"]}


def test_the_bidder_sees_and_pays_only_their_own_deposit(rnd: AuctionRound, bidder: User, other_bidder: User,
                                                         finance: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    assert api().get(f"{BASE}/deposits/{deposit.pk}/").status_code in (401, 403)
    assert api(other_bidder).get(f"{BASE}/deposits/{deposit.pk}/").status_code == 404
    assert api(other_bidder).post(f"{BASE}/deposits/{deposit.pk}/payment/", {}, format="json").status_code == 404
    mine = api(bidder).get(f"{BASE}/deposits/{deposit.pk}/")
    assert mine.status_code == 200
    assert mine.json()["reference"] == deposit.reference and mine.json()["amount_fen"] == rnd.deposit_fen
    start = api(bidder).post(f"{BASE}/deposits/{deposit.pk}/payment/", {"return_url": "/back"}, format="json")
    assert start.status_code == 200
    assert start.json()["action"] == "instructions" and start.json()["reference"] == deposit.reference
    assert start.json()["page_url"] == f"/finance/pay/deposit/{deposit.pk}/"
    # The bidder cannot confirm their own payment.
    assert api(bidder).post(f"{BASE}/deposits/{deposit.pk}/confirm-offline/").status_code == 403
    confirmed = api(finance).post(f"{BASE}/deposits/{deposit.pk}/confirm-offline/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "held"
    assert confirmed.json()["payer_name"] is None  # sealed while the round is open (WP art.18)
    listed = api(finance).get(f"{BASE}/rounds/{rnd.pk}/deposits/").json()["results"]
    assert [(d["reference"], d["payer_name"]) for d in listed] == [(deposit.reference, None)]


def test_refusals_use_the_error_format(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    response = api(finance).post(f"{BASE}/deposits/{deposit.pk}/release/")
    assert response.status_code == 400 and codes(response) == {"round_not_finished": None}
    assert "after the round has finished" in response.json()["errors"][0]["message"]
    other_court = builders.court("沪0101", "上海市黄浦区人民法院")
    outsider = builders.staff_user("finance2", other_court, roles=["finance"])
    assert api(outsider).post(f"{BASE}/deposits/{deposit.pk}/release/").status_code == 404
    assert api(outsider).get(f"{BASE}/rounds/{rnd.pk}/deposits/").status_code == 404


def test_payment_settings_are_set_by_court_staff(rnd: AuctionRound, clerk: User, finance: User,
                                                 bank_enabled: None) -> None:
    path = f"{BASE}/rounds/{rnd.pk}/payment-settings/"
    assert api(finance).get(path).json() == {"gateways": ["offline", "bank_transfer"]}
    assert api(finance).put(path, {"gateways": ["offline"]}, format="json").status_code == 403
    bad = api(clerk).put(path, {"gateways": ["stripe"]}, format="json")
    assert bad.status_code == 400 and set(codes(bad)) == {"gateway_not_enabled", "gateway_required"}
    ok = api(clerk).put(path, {"gateways": ["bank_transfer"]}, format="json")
    assert ok.status_code == 200 and ok.json() == {"gateways": ["bank_transfer"]}


def test_statement_claims_and_payouts_through_the_api(rnd: AuctionRound, bidder: User, finance: User,
                                                      bank_enabled: None) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="bank_transfer",
                                    actor=bidder)
    content = (f"交易流水号,交易时间,金额,付款人户名,付款人账号,附言\n"
               f"L1,2026-04-11 11:00,80000.00,张三丰,6222,{deposit.reference}\n").encode()
    upload = SimpleUploadedFile("s.csv", content, "text/csv")
    created = api(finance).post(f"{BASE}/statements/", {"court": rnd.lot.case.court.pk, "file": upload},
                                format="multipart")
    assert created.status_code == 201 and created.json()["queued_count"] == 1
    again = api(finance).post(f"{BASE}/statements/", {"court": rnd.lot.case.court.pk,
                                                      "file": SimpleUploadedFile("t.csv", content, "text/csv")},
                              format="multipart")
    assert again.json()["id"] == created.json()["id"]
    queue = api(finance).get(f"{BASE}/receipts/", {"status": "queued"}).json()["results"]
    assert [(r["queue_reason"], r["payer_name"]) for r in queue] == [("name_mismatch", "张三丰")]
    receipt_id = queue[0]["id"]
    missing = api(finance).post(f"{BASE}/receipts/{receipt_id}/assign/", {"reference": deposit.reference},
                                format="json")
    assert missing.status_code == 400 and "reason" in codes(missing).values()
    assigned = api(finance).post(f"{BASE}/receipts/{receipt_id}/assign/",
                                 {"reference": deposit.reference, "reason": "户名核实"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    assert assigned.json()["payer_name"] is None  # now linked to a deposit of an open round
    assert Deposit.objects.get(pk=deposit.pk).status == "held"
    assert api(bidder).post(f"{BASE}/receipts/{receipt_id}/return/", {"reason": "x"}, format="json").status_code \
        == 403
    check = api(finance).get(f"{BASE}/ledger/check/")
    assert check.status_code == 200 and check.json()["ok"] is True
    assert api(bidder).get(f"{BASE}/ledger/check/").status_code == 403


def test_returned_receipts_are_paid_out(rnd: AuctionRound, finance: User, bank_enabled: None) -> None:
    content = "交易时间,金额,付款人户名,付款人账号,附言\n2026-04-11,12.00,某人,6222,无\n".encode()
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=content, actor=finance)
    receipt = Receipt.objects.get()
    payout = api(finance).post(f"{BASE}/receipts/{receipt.pk}/return/", {"reason": "退回"}, format="json").json()
    assert (payout["amount_fen"], payout["payee_account"], payout["status"]) == (1200, "6222", "pending")
    assert [p["id"] for p in api(finance).get(f"{BASE}/payouts/").json()["results"]] == [payout["id"]]
    paid = api(finance).post(f"{BASE}/payouts/{payout['id']}/paid/", {"bank_reference": "HK9"}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"


def test_balance_case_account_and_alerts(rnd: AuctionRound, bidder: User, other_bidder: User, finance: User,
                                         frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    balance = services.balance_open(rnd=rnd, deposit=winner, price_fen=90_000_000, actor="system:clock")
    assert api(other_bidder).get(f"{BASE}/balances/{balance.pk}/").status_code == 404
    mine = api(bidder).get(f"{BASE}/balances/{balance.pk}/").json()
    assert (mine["amount_fen"], mine["outstanding_fen"], mine["ready_for_ruling"]) == (82_000_000, 82_000_000, False)
    start = api(bidder).post(f"{BASE}/balances/{balance.pk}/payment/", {"gateway": "offline", "amount_fen": 100},
                             format="json")
    assert start.status_code == 200 and start.json()["reference"] == balance.reference
    too_much = api(bidder).post(f"{BASE}/balances/{balance.pk}/payment/",
                                {"gateway": "offline", "amount_fen": 82_000_001}, format="json")
    assert too_much.status_code == 400 and codes(too_much) == {"bad_amount": "amount_fen"}
    paid = api(finance).post(f"{BASE}/balances/{balance.pk}/offline-receipts/",
                             {"amount_fen": 82_000_000, "voucher": "SJ-7"}, format="json")
    assert paid.status_code == 200 and paid.json()["ready_for_ruling"] is True
    account = api(finance).get(f"{BASE}/cases/{rnd.lot.case_id}/account/").json()
    assert account["balance_fen"] == 90_000_000 and len(account["entries"]) == 2
    assert [e["amount_fen"] for e in account["entries"]] == [8_000_000, 82_000_000]
    assert api(finance).get(f"{BASE}/alerts/").json()["results"] == []


def test_the_bidder_pays_by_card_through_the_api(rnd: AuctionRound, bidder: User,
                                                 stripe_enabled: dict[str, str]) -> None:
    from tests.settlement.stripe_helpers import pay

    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = api(bidder).post(f"{BASE}/deposits/{deposit.pk}/payment/", {}, format="json").json()
    assert start["action"] == "card" and start["manual_capture"] is True and start["client_secret"]
    pay(Deposit.objects.get(pk=deposit.pk).gateway_ref)
    refreshed = api(bidder).post(f"{BASE}/deposits/{deposit.pk}/refresh/")
    assert refreshed.json()["status"] == "held" and refreshed.json()["hold_mode"] == "card_hold"
