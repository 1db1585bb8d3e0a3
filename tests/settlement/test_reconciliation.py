"""Reconciliation of the ledger against the gateways' own records: every discrepancy injected into a
bank statement is found with the right kind and reference and nothing is flagged on the clean lines;
re-runs change nothing; resolutions need a reason; a later statement resolves a timing difference by
itself; Stripe's balance transactions are fetched through the SDK from localstripe and an unknown
charge and a ledger receipt Stripe never saw are both found."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from auction.models import AuctionRound
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import User
from settlement import ledger, reconciliation, services
from settlement.models import Deposit, GatewayRecord, Payout, Receipt, ReconciliationException, ReconciliationRun
from settlement.selectors import check_ledger
from tests.settlement import factories
from tests.settlement.stripe_helpers import client as stripe_api
from tests.settlement.test_bank import bank_deposit, csv_file, line

pytestmark = pytest.mark.django_db
K = ReconciliationException.Kind


def open_exceptions(gateway: str = "bank_transfer") -> set[tuple[str, str]]:
    return set(ReconciliationException.objects.filter(gateway=gateway, status="open").values_list("kind",
                                                                                                 "reference"))


def debit(line_id: str, amount: str, remark: str) -> str:
    return f"{line_id},2026-04-14 09:30:00,\"{amount}\",CNY,,,{remark},110060224018800012345"


@pytest.fixture
def paid_out(rnd: AuctionRound, finance: User, frozen: clock.FrozenClock, bank_enabled: None) -> dict[str, Payout]:
    """Four bank deposits matched from a statement, the round failed, all four released and paid back
    by the bank under the references D1..D4."""
    deposits = [bank_deposit(rnd, factories.bidder(f"payer{i}", f"付款人{i}"), f"付款人{i}") for i in range(4)]
    statement = csv_file(*[line(f"L{i}", "80000.00", f"付款人{i}", d.reference) for i, d in enumerate(deposits)])
    services.statement_import(court=rnd.lot.case.court, filename="in.csv", content=statement, actor=finance)
    assert all(d.status == Deposit.Status.HELD for d in Deposit.objects.all())
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    payouts = {}
    for i, d in enumerate(deposits):
        payout = Payout.objects.get(deposit=d)
        payouts[f"D{i + 1}"] = services.payout_mark_paid(payout=payout, actor=finance, bank_reference=f"D{i + 1}")
    return payouts


def test_every_injected_discrepancy_is_found_and_nothing_else(rnd, finance, paid_out, frozen):
    court = rnd.lot.case.court
    d1, d2, d3 = (paid_out[k].deposit for k in ("D1", "D2", "D3"))
    statement = csv_file(
        debit("D1", "-80000.00", f"退还保证金 {d1.reference}"),        # clean
        debit("D2", "-79000.00", f"退还保证金 {d2.reference}"),        # amount mismatch
        debit("D3a", "-80000.00", f"退还保证金 {d3.reference}"),       # the same refund twice
        debit("D3b", "-80000.00", f"退还保证金 {d3.reference}"),
        debit("X9", "-120.00", "跨行汇款手续费"),                       # money out with no ledger entry
        line("C9", "12345.00", "某公司", "货款"),                       # a receipt nobody can match
    )                                                                   # D4 (paid in the ledger) is missing
    services.statement_import(court=court, filename="out.csv", content=statement, actor=finance)
    day = clock.today() + timedelta(days=30)
    run = reconciliation.reconcile(gateway="bank_transfer", day=day, actor=finance)
    unknown = Receipt.objects.get(status=Receipt.Status.QUEUED)
    x9 = GatewayRecord.objects.get(external_id__endswith=":X9")
    assert open_exceptions() == {
        (K.AMOUNT_MISMATCH, "D2"), (K.DUPLICATE, "D3"), (K.GATEWAY_ONLY, x9.reference), (K.LEDGER_ONLY, "D4"),
        (K.UNMATCHED_RECEIPT, unknown.external_ref)}
    mismatch = ReconciliationException.objects.get(kind=K.AMOUNT_MISMATCH)
    assert (mismatch.gateway_amount_fen, mismatch.ledger_amount_fen) == (-7_900_000, -8_000_000)
    assert mismatch.court == court
    assert run.exception_count == 5 and run.matched_count >= 5  # four credits L0..L3 and D1 (and C9's credit)

    # a re-run finds the same, adds nothing
    count = ReconciliationException.objects.count()
    again = reconciliation.reconcile(gateway="bank_transfer", day=day, actor=finance)
    assert ReconciliationException.objects.count() == count and again.exception_count == 5

    # resolved with a reason; without one it is refused; only finance may
    exc = ReconciliationException.objects.get(kind=K.GATEWAY_ONLY)
    with pytest.raises(RuleViolation):
        reconciliation.exception_resolve(exception=exc, actor=finance, reason=" ")
    with pytest.raises(PermissionDenied):
        reconciliation.exception_resolve(exception=exc, actor=factories.bidder("nosy"), reason="x")
    reconciliation.exception_resolve(exception=exc, actor=finance, reason="银行手续费，已记入费用")
    exc.refresh_from_db()
    assert exc.status == "resolved" and exc.resolved_by.endswith(":finance")

    # the missing debit arrives on the next statement: the timing difference resolves itself
    services.statement_import(court=court, filename="late.csv", actor=finance,
                              content=csv_file(debit("D4", "-80000.00", "退还保证金")))
    reconciliation.reconcile(gateway="bank_transfer", day=day, actor=finance)
    ledger_only = ReconciliationException.objects.get(kind=K.LEDGER_ONLY)
    assert ledger_only.status == "resolved" and ledger_only.resolved_by == "system:reconciliation"
    assert (K.LEDGER_ONLY, "D4") not in open_exceptions()
    assert check_ledger().ok


def test_the_command_and_the_clock_change_nothing_the_second_time(rnd, finance, paid_out):
    services.statement_import(court=rnd.lot.case.court, filename="out.csv", actor=finance, content=csv_file(
        *[debit(k, "-80000.00", "退还保证金") for k in ("D1", "D2", "D3", "D4")]))
    out = io.StringIO()
    day = (clock.today() + timedelta(days=30)).isoformat()
    call_command("reconcile", "--day", day, "--gateway", "bank_transfer", stdout=out)
    assert "0 exceptions" in out.getvalue()
    call_command("reconcile", "--day", day, "--gateway", "bank_transfer", stdout=out)
    assert not ReconciliationException.objects.exists()
    # the clock: once a day, then nothing
    before = ReconciliationRun.objects.count()
    assert reconciliation.reconcile_daily() == 1  # bank only: Stripe is not configured here
    assert reconciliation.reconcile_daily() == 0
    assert ReconciliationRun.objects.count() == before + 1


def test_reimporting_a_statement_keeps_one_record_per_line(rnd, finance, bank_enabled):
    content = csv_file(line("L1", "100.00", "某人", "无附言"), debit("B1", "-5.00", "手续费"))
    services.statement_import(court=rnd.lot.case.court, filename="a.csv", content=content, actor=finance)
    services.statement_import(court=rnd.lot.case.court, filename="a.csv", content=content, actor=finance)
    services.statement_import(court=rnd.lot.case.court, filename="b.csv", content=content + b"\n", actor=finance)
    assert GatewayRecord.objects.count() == 2


def test_the_page_and_the_api(rnd, finance, paid_out, frozen):
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(finance)
    response = web.post(reverse("settlement:reconciliation_run"), {
        "gateway": "bank_transfer", "day": (clock.today() + timedelta(days=5)).isoformat()}, follow=True)
    assert response.status_code == 200 and "4 differences" in response.content.decode()
    exc = ReconciliationException.objects.filter(kind=K.LEDGER_ONLY).first()
    assert exc is not None
    refused = web.post(reverse("settlement:reconciliation_resolve", args=[exc.pk]), {"reason": ""})
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    done = web.post(reverse("settlement:reconciliation_resolve", args=[exc.pk]), {"reason": "银行回单已核对"})
    assert done.status_code == 302
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(finance)
    listed = api.get("/api/settlement/reconciliation/exceptions/").json()
    assert len(listed["results"]) == 3 and all(e["status"] == "open" for e in listed["results"])
    first = listed["results"][0]["id"]
    resolved = api.post(f"/api/settlement/reconciliation/exceptions/{first}/resolve/", {"reason": "已核对"},
                        format="json")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    run = api.post("/api/settlement/reconciliation/runs/", {"gateway": "bank_transfer",
                                                           "day": clock.today().isoformat()}, format="json")
    assert run.status_code == 201


def test_stripe_balance_transactions_are_reconciled(rnd, bidder, other_bidder, frozen, stripe_enabled):
    from tests.settlement.test_stripe import card_deposit

    winner = card_deposit(rnd, bidder)
    loser = card_deposit(rnd, other_bidder, "李四")
    factories.sell(rnd, winner, frozen)  # the winner's authorisation is captured; the loser's cancelled
    winner.refresh_from_db()
    loser.refresh_from_db()
    api = stripe_api()
    # injected: a charge fapai never recorded, and a ledger receipt Stripe never saw
    stray = api.v1.payment_intents.create(params={"amount": 4_321, "currency": "cny"})
    api.v1.payment_intents.update(stray.id, params={"payment_method": "pm_card_visa"})
    api.v1.payment_intents.confirm(stray.id)
    from django.db import transaction

    with transaction.atomic():
        ghost = Receipt.objects.create(gateway="stripe", external_ref="pi_never_at_stripe", amount_fen=500,
                                       received_at=clock.now(), status=Receipt.Status.RETURNED,
                                       court=rnd.lot.case.court)
        ledger.post(kind="receipt_returned", key="test:ghost", actor="system", receipt=ghost,
                    legs=ledger.move(500, debit=ledger.clearing("stripe"), credit=ledger.refunds_payable()))
    assert reconciliation.stripe_records_fetch() >= 1
    assert reconciliation.stripe_records_fetch() == 0  # nothing new the second time
    day = max(clock.today(), clock.SystemClock().now().astimezone(clock.SHANGHAI).date()) + timedelta(days=1)
    reconciliation.reconcile(gateway="stripe", day=day, actor="system:test")
    found = open_exceptions("stripe")
    assert (K.GATEWAY_ONLY, stray.id) in found
    assert (K.LEDGER_ONLY, "pi_never_at_stripe") in found
    # the winner's captured charge matches; the loser's cancelled authorisation moved no money
    assert not any(ref in (winner.gateway_ref, loser.gateway_ref) for _kind, ref in found)
    captured = GatewayRecord.objects.get(gateway="stripe", reference=winner.gateway_ref)
    assert captured.amount_fen == rnd.deposit_fen
