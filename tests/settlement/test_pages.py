"""The finance pages and the bidder's payment pages through the Django test client: who sees what,
the anonymity of deposits before the round ends, and each action from the page to the ledger."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from auction.models import AuctionRound
from core import clock
from core.models import User
from settlement import services
from settlement.models import BankStatement, Deposit, Payout, Receipt
from settlement.selectors import check_ledger
from tests import builders
from tests.settlement import factories

pytestmark = pytest.mark.django_db
D = Deposit.Status


@pytest.fixture
def web(client: Client) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(name: str, *args: Any) -> str:
    return reverse(f"settlement:{name}", args=args)


def text(response: Any) -> str:
    return response.content.decode()


def test_finance_pages_need_a_staff_role(web: Client, bidder: User, rnd: AuctionRound) -> None:
    response = web.get(url("dashboard"))
    assert response.status_code == 302 and "login" in response["Location"]
    web.force_login(bidder)
    for name, args in [("dashboard", ()), ("claims", ()), ("receipts", ()), ("round_deposits", (rnd.pk,))]:
        assert web.get(url(name, *args)).status_code == 403


def test_deposits_by_round_hide_who_paid_until_the_round_has_finished(
        web: Client, rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    deposit = factories.held_offline(rnd, bidder, finance, "张三")
    factories.held_offline(rnd, factories.bidder("bidder9"), finance, "赵六")
    web.force_login(finance)
    dashboard = text(web.get(url("dashboard")))
    assert "¥160,000.00" in dashboard and "张三" not in dashboard  # two held deposits, nobody named
    page = text(web.get(url("round_deposits", rnd.pk)))
    assert deposit.reference in page and "张三" not in page and "bidder1" not in page
    assert "stays sealed until the round has finished" in page
    receipts_page = text(web.get(url("receipts")))
    assert deposit.reference in receipts_page and "张三" not in receipts_page
    factories.close(rnd, frozen)
    page = text(web.get(url("round_deposits", rnd.pk)))
    assert "张三" in page


def test_finance_confirms_an_offline_deposit_from_the_round_page(web: Client, rnd: AuctionRound, bidder: User,
                                                                 finance: User, clerk: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    web.force_login(clerk)  # court staff read, but do not act
    assert "Confirm receipt" not in text(web.get(url("round_deposits", rnd.pk)))
    assert web.post(url("deposit_action", deposit.pk, "confirm")).status_code == 403
    web.force_login(finance)
    assert "Confirm receipt" in text(web.get(url("round_deposits", rnd.pk)))
    response = web.post(url("deposit_action", deposit.pk, "confirm"), follow=True)
    assert "the deposit is held" in text(response)
    deposit.refresh_from_db()
    assert deposit.status == D.HELD
    # A refused action comes back as a message and changes nothing.
    response = web.post(url("deposit_action", deposit.pk, "release"), follow=True)
    assert "after the round has finished" in text(response)


def test_court_staff_set_the_payment_methods(web: Client, rnd: AuctionRound, clerk: User, finance: User,
                                             bank_enabled: None) -> None:
    web.force_login(finance)
    assert "Save the payment methods" not in text(web.get(url("round_deposits", rnd.pk)))
    web.force_login(clerk)
    page = text(web.get(url("round_deposits", rnd.pk)))
    assert "Save the payment methods" in page
    assert web.post(url("round_payment_settings", rnd.pk), {"gateways": []}).status_code == 200
    response = web.post(url("round_payment_settings", rnd.pk), {"gateways": ["bank_transfer"]}, follow=True)
    assert "The payment methods were saved." in text(response)
    from settlement.selectors import allowed_gateways

    assert allowed_gateways(rnd) == ["bank_transfer"]


def test_statement_upload_claim_queue_and_payout(web: Client, rnd: AuctionRound, bidder: User, finance: User,
                                                 bank_enabled: None) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="bank_transfer",
                                    actor=bidder)
    web.force_login(finance)
    assert web.get(url("statement_import")).status_code == 200
    content = (f"交易流水号,交易时间,金额,付款人户名,付款人账号,附言\n"
               f"L1,2026-04-11 11:00,80000.00,张三,6222000011112222,{deposit.reference}\n"
               f"L2,2026-04-11 12:00,500.00,王五,6222999,转账\n").encode()
    upload = SimpleUploadedFile("statement.csv", content, "text/csv")
    response = web.post(url("statement_import"), {"court": rnd.lot.case.court.pk, "file": upload}, follow=True)
    statement = BankStatement.objects.get()
    assert response.redirect_chain[-1][0] == url("statement_detail", statement.pk)
    assert "1 matched, 1 to the claim queue, 0 already imported" in text(response)

    queued = Receipt.objects.get(status="queued")
    claims_page = text(web.get(url("claims")))
    assert "王五" in claims_page and "No transfer reference" in claims_page
    # Missing reason: the form shows the error and nothing changes.
    response = web.post(url("claim_action", queued.pk, "return"), {f"r{queued.pk}-reason": ""})
    assert response.status_code == 200 and "This field is required." in text(response)
    response = web.post(url("claim_action", queued.pk, "assign"),
                        {f"a{queued.pk}-reference": deposit.reference, f"a{queued.pk}-reason": "核实"})
    # The deposit is already held: it cannot take this payment too.
    assert response.status_code == 200 and "cannot take a payment any more" in text(response)
    response = web.post(url("claim_action", queued.pk, "return"),
                        {f"r{queued.pk}-reason": "无法识别款项，原路退回", f"r{queued.pk}-payee_account": ""},
                        follow=True)
    assert "returns the money to the payer" in text(response)

    payout = Payout.objects.get()
    assert payout.payee_account == "6222999"
    assert "王五" in text(web.get(url("payouts")))
    response = web.post(url("payout_paid", payout.pk), {f"p{payout.pk}-bank_reference": "HK001"}, follow=True)
    assert "was recorded as paid" in text(response)
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert check_ledger().ok


def test_alerts_and_case_account_pages(web: Client, rnd: AuctionRound, bidder: User, finance: User, judge: User,
                                       frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    services.deposit_forfeit(deposit=winner, actor=judge, reason="逾期未付尾款")
    web.force_login(finance)
    page = text(web.get(url("case_account", rnd.lot.case_id)))
    assert services.virtual_account_number(rnd.lot.case) in page
    assert "Costs and losses of the auction" in page and "逾期未付尾款" in page
    assert "¥80,000.00" in page
    assert "Nothing is overdue." in text(web.get(url("alerts")))
    outsider = builders.staff_user("finance2", builders.court("沪0101", "上海市黄浦区人民法院"), roles=["finance"])
    web.force_login(outsider)
    assert web.get(url("case_account", rnd.lot.case_id)).status_code == 404
    assert web.get(url("round_deposits", rnd.pk)).status_code == 404


def test_balance_pages_for_finance_and_the_buyer(web: Client, rnd: AuctionRound, bidder: User, other_bidder: User,
                                                 finance: User, frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    balance = services.balance_open(rnd=rnd, deposit=winner, price_fen=90_000_000, actor="system:clock")
    web.force_login(finance)
    response = web.post(url("balance_offline", balance.pk), {"amount_fen": "820,000.01", "voucher": "SJ1"})
    assert response.status_code == 200 and "still owed" in text(response)
    response = web.post(url("balance_offline", balance.pk), {"amount_fen": "820,000.00", "voucher": "SJ1"},
                        follow=True)
    assert "ready for the sale ruling" in text(response)
    web.force_login(other_bidder)
    assert web.get(url("balance_pay", balance.pk)).status_code == 404
    web.force_login(bidder)
    page = text(web.get(url("balance_pay", balance.pk)))
    assert "the court will issue the sale ruling" in page and "¥820,000.00" in page


def test_the_bidder_pays_offline_and_sees_the_status(web: Client, rnd: AuctionRound, bidder: User,
                                                     other_bidder: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    web.force_login(other_bidder)
    assert web.get(url("deposit_pay", deposit.pk)).status_code == 404
    assert web.post(url("deposit_bidder_action", deposit.pk, "cancel")).status_code == 404
    web.force_login(bidder)
    page = text(web.get(url("deposit_pay", deposit.pk)))
    assert deposit.reference in page and "¥80,000.00" in page and "finance office" in page
    response = web.post(url("deposit_bidder_action", deposit.pk, "cancel"), follow=True)
    assert "Status: Cancelled." in text(response)


def test_the_bidder_pays_by_card_on_the_gateways_page(web: Client, rnd: AuctionRound, bidder: User,
                                                      stripe_enabled: dict[str, str]) -> None:
    from tests.settlement.stripe_helpers import pay

    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    web.force_login(bidder)
    page = text(web.get(url("deposit_pay", deposit.pk)))
    deposit.refresh_from_db()
    assert f'data-client-secret="{deposit.gateway_ref}_secret_' in page
    assert stripe_enabled["STRIPE_JS_URL"] in page and 'data-publishable-key="pk_test_fapai"' in page
    assert "frozen on your card" in page
    pay(deposit.gateway_ref)
    response = web.post(url("deposit_bidder_action", deposit.pk, "refresh"), follow=True)
    assert "Status: Held." in text(response) and "you may bid" in text(response)


def test_the_admin_lists_money_records_without_identities(client: Client, rnd: AuctionRound, bidder: User,
                                                           finance: User) -> None:
    factories.held_offline(rnd, bidder, finance, "张三")
    admin_user = User.objects.create_superuser("root", password="pw-not-used-1234")
    client.force_login(admin_user)
    for model in ("deposit", "receipt", "ledgertransaction", "ledgeraccount", "payout"):
        listing = client.get(f"/admin/settlement/{model}/")
        assert listing.status_code == 200 and "张三" not in listing.content.decode()
    deposit = Deposit.objects.get()
    detail = client.get(f"/admin/settlement/deposit/{deposit.pk}/change/").content.decode()
    assert deposit.reference in detail and "张三" not in detail
    assert client.get("/admin/settlement/deposit/add/").status_code == 403


def test_the_buyer_pays_part_of_the_balance_by_card(web: Client, rnd: AuctionRound, bidder: User, finance: User,
                                                    frozen: clock.FrozenClock, stripe_enabled: dict[str, str]) -> None:
    from tests.settlement.stripe_helpers import pay

    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    balance = services.balance_open(rnd=rnd, deposit=winner, price_fen=90_000_000, actor="system:clock")
    web.force_login(bidder)
    page = web.post(url("balance_pay", balance.pk), {"gateway": "stripe", "amount_fen": "100,000"})
    assert 'id="card-form"' in text(page) and "Amount: ¥100,000.00" in text(page)
    pay(balance.payments.get().gateway_ref)
    page = web.get(url("balance_pay", balance.pk))  # Stripe.js reloads the page after paying
    balance.refresh_from_db()
    assert balance.paid_fen == 10_000_000 and "¥720,000.00" in text(page)
