"""The Stripe webhook inbox: signature on the raw body, dedupe by event id, re-fetching the object
instead of trusting the payload, out-of-order delivery, unknown objects, and 503 on a lock timeout."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings

from auction.models import AuctionRound
from core import clock
from core.models import User
from settlement import services
from settlement.models import Deposit, LedgerTransaction, StripeEvent
from tests.settlement import factories
from tests.settlement.stripe_helpers import client as stripe_api
from tests.settlement.stripe_helpers import deliver, event, intent, pay, signed

pytestmark = pytest.mark.usefixtures("stripe_enabled")
D = Deposit.Status


def paid_deposit(rnd: AuctionRound, owner: User) -> tuple[Deposit, str]:
    """A card deposit paid at Stripe that fapai has not heard of yet."""
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=owner)
    start = services.deposit_payment_start(deposit=deposit, actor=owner, return_url="/")
    pay(start.gateway_ref)
    return deposit, start.gateway_ref


def status_of(deposit: Deposit) -> str:
    return Deposit.objects.values_list("status", flat=True).get(pk=deposit.pk)


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(client: Client, rnd: AuctionRound, bidder: User) -> None:
    deposit, pi = paid_deposit(rnd, bidder)
    payload = event("evt_bad", "payment_intent.amount_capturable_updated", intent(pi).to_dict())
    for sign in ({"secret": "whsec_wrong"}, {"timestamp": 1}):  # wrong secret; replayed long after
        assert deliver(client, payload, **sign).status_code == 400
    body, signature = signed(payload)
    tampered = body.replace(b"requires_capture", b"succeeded")
    response = client.post("/webhooks/stripe/", data=tampered, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 400
    assert client.post("/webhooks/stripe/", data=body, content_type="application/json").status_code == 400
    assert not StripeEvent.objects.exists() and status_of(deposit) == D.PENDING


@pytest.mark.django_db
def test_an_event_holds_the_deposit_once_however_often_it_is_delivered(client: Client, rnd: AuctionRound,
                                                                       bidder: User) -> None:
    deposit, pi = paid_deposit(rnd, bidder)
    payload = event("evt_1", "payment_intent.amount_capturable_updated", intent(pi).to_dict())
    first = deliver(client, payload)
    assert first.status_code == 200 and first.json() == {"status": "processed"}
    assert status_of(deposit) == D.HELD
    count = LedgerTransaction.objects.count()
    again = deliver(client, payload)
    assert again.status_code == 200 and again.json() == {"status": "processed"}
    assert StripeEvent.objects.get().attempts == 1
    # Another event about the same payment (Stripe sends several) changes nothing either.
    assert deliver(client, event("evt_2", "charge.succeeded", {"object": "charge", "id": "ch_x",
                                                                "payment_intent": pi})).status_code == 200
    assert LedgerTransaction.objects.count() == count == 1
    assert StripeEvent.objects.filter(status="processed").count() == 2


@pytest.mark.django_db
def test_the_payload_is_not_trusted(client: Client, rnd: AuctionRound, bidder: User) -> None:
    """An event claiming success for a payment that was never made holds nothing."""
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    forged = {**intent(start.gateway_ref).to_dict(), "status": "succeeded", "amount_received": rnd.deposit_fen}
    assert deliver(client, event("evt_f", "payment_intent.succeeded", forged)).status_code == 200
    assert status_of(deposit) == D.PENDING and not LedgerTransaction.objects.exists()


@pytest.mark.django_db
def test_a_late_authorisation_event_after_the_cancellation_changes_nothing(client: Client, rnd: AuctionRound,
                                                                           bidder: User) -> None:
    deposit, pi = paid_deposit(rnd, bidder)
    authorised = intent(pi).to_dict()
    stripe_api().v1.payment_intents.cancel(pi)  # the bank cancelled the authorisation before fapai heard of it
    canceled = intent(pi).to_dict()
    assert deliver(client, event("evt_c", "payment_intent.canceled", canceled)).status_code == 200
    late = deliver(client, event("evt_a", "payment_intent.amount_capturable_updated", authorised))
    assert late.status_code == 200
    assert status_of(deposit) == D.PENDING and not LedgerTransaction.objects.exists()
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}


@pytest.mark.django_db
def test_events_after_fapai_acted_change_nothing(client: Client, rnd: AuctionRound, bidder: User,
                                                 frozen: clock.FrozenClock) -> None:
    deposit, pi = paid_deposit(rnd, bidder)
    authorised = intent(pi).to_dict()
    services.deposit_refresh(deposit=deposit, actor=bidder)
    factories.sell(rnd, deposit, frozen)  # captured and applied
    count = LedgerTransaction.objects.count()
    for n, kind in enumerate(["payment_intent.amount_capturable_updated", "payment_intent.succeeded"]):
        assert deliver(client, event(f"evt_{n}", kind, authorised)).status_code == 200
    assert status_of(deposit) == D.APPLIED and LedgerTransaction.objects.count() == count


@pytest.mark.django_db
def test_unknown_objects_are_recorded_and_acknowledged(client: Client) -> None:
    stranger = stripe_api().v1.payment_intents.create(params={"amount": 100, "currency": "cny"})
    response = deliver(client, event("evt_u", "payment_intent.created", stranger.to_dict()))
    assert response.status_code == 200 and response.json() == {"status": "unknown"}
    other = deliver(client, event("evt_o", "customer.created", {"object": "customer", "id": "cus_1"}))
    assert other.json() == {"status": "ignored"}
    assert dict(StripeEvent.objects.values_list("event_id", "status")) == {"evt_u": "unknown", "evt_o": "ignored"}


@pytest.mark.django_db
def test_without_a_webhook_secret_stripe_is_asked_to_retry(client: Client) -> None:
    with override_settings(STRIPE_WEBHOOK_SECRET=""):
        assert client.post("/webhooks/stripe/", data=b"{}", content_type="application/json").status_code == 503


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_locked_row_answers_503_so_stripe_retries(client: Client, judge: User, bidder: User,
                                                    frozen: clock.FrozenClock) -> None:
    rnd = factories.bidding_round(judge, frozen)
    deposit, pi = paid_deposit(rnd, bidder)
    payload = event("evt_lock", "payment_intent.amount_capturable_updated", intent(pi).to_dict())
    locked, release = threading.Event(), threading.Event()

    def hold_the_round() -> None:
        try:
            with transaction.atomic():
                AuctionRound.objects.select_for_update().get(pk=rnd.pk)  # e.g. a long bid transaction
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_the_round)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        with override_settings(FAPAI_WEBHOOK_LOCK_TIMEOUT_MS=200):
            busy = deliver(client, payload)
        assert busy.status_code == 503
        assert StripeEvent.objects.get().status == "received" and status_of(deposit) == D.PENDING
    finally:
        release.set()
        thread.join()
    retried = deliver(client, payload)  # Stripe's retry
    assert retried.status_code == 200 and status_of(deposit) == D.HELD


