"""Card payments with the real Stripe SDK against localstripe: a manual-capture hold captured for the
winner, capture-now with a refund on release, cancelled authorisations, the per-payment limit, an
idempotency key on every mutating call, and the rules the gateway enforces itself (no capture after
a cancellation, no second capture, no refund above the charge)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.utils import translation

from auction.models import AuctionRound
from core import clock
from core.errors import RuleViolation
from core.models import User
from settlement import ledger, services
from settlement.gateways import GatewayError, stripe_gateway
from settlement.models import Deposit, LedgerAccount, Payout, Receipt
from settlement.selectors import check_ledger
from tests.settlement import factories
from tests.settlement.stripe_helpers import client, intent, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_enabled")]
D = Deposit.Status


def balance(code: str) -> int:
    account = LedgerAccount.objects.filter(code=code).first()
    return account.balance_fen if account else 0


def factories_reload(deposit: Deposit) -> Deposit:
    return Deposit.objects.select_related("round__lot__case__court").get(pk=deposit.pk)


def card_deposit(rnd: AuctionRound, owner: User, name: str = "张三", method: str = "pm_card_visa") -> Deposit:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=name, gateway="stripe",
                                    actor=owner)
    start = services.deposit_payment_start(deposit=deposit, actor=owner, return_url="https://example.org/back")
    assert start.action == "card" and start.client_secret.startswith(start.gateway_ref)
    pay(start.gateway_ref, method)
    return services.deposit_refresh(deposit=deposit, actor=owner)


def test_a_round_ending_within_the_window_freezes_the_card_and_captures_for_the_winner(
        rnd: AuctionRound, bidder: User, other_bidder: User, frozen: clock.FrozenClock) -> None:
    winner = card_deposit(rnd, bidder)
    assert winner.status == D.HELD and winner.hold_mode == Deposit.HoldMode.CARD_HOLD
    assert intent(winner.gateway_ref)["status"] == "requires_capture"
    assert balance("card_holds") == rnd.deposit_fen and balance("card_holds_contra") == -rnd.deposit_fen
    assert balance("clearing:stripe") == 0  # nothing has moved yet: a freeze, not a transfer (trap 5)
    loser = card_deposit(rnd, other_bidder, "李四")

    factories.sell(rnd, winner, frozen)
    winner.refresh_from_db()
    loser.refresh_from_db()
    assert winner.status == D.APPLIED and intent(winner.gateway_ref)["status"] == "succeeded"
    assert loser.status == D.RELEASED and intent(loser.gateway_ref)["status"] == "canceled"
    assert ledger.case_account(rnd.lot.case).balance_fen == -rnd.deposit_fen
    assert balance("clearing:stripe") == rnd.deposit_fen
    assert balance("card_holds") == 0 and balance("card_holds_contra") == 0
    assert not Payout.objects.exists()  # an authorisation is cancelled, not refunded
    assert Receipt.objects.get().external_ref == winner.gateway_ref
    assert check_ledger().ok


def test_a_round_ending_later_is_charged_now_and_refunded_on_release(
        judge: User, bidder: User, frozen: clock.FrozenClock) -> None:
    rnd = factories.announced_round(judge, frozen)  # bidding ends more than 6 days from now
    assert rnd.effective_end - clock.now() > services.card_authorisation_window()
    deposit = card_deposit(rnd, bidder)
    assert deposit.hold_mode == Deposit.HoldMode.FUNDS and intent(deposit.gateway_ref)["status"] == "succeeded"
    assert balance("clearing:stripe") == rnd.deposit_fen and balance("deposits_held") == -rnd.deposit_fen

    frozen.set(rnd.bidding_start)
    from auction import services as auction_services

    auction_services.round_open(rnd=rnd)
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    deposit.refresh_from_db()
    assert deposit.status == D.RELEASED
    payout = Payout.objects.get()
    assert payout.status == "paid" and payout.external_ref.startswith("re_")
    refunds = client().v1.refunds.list(params={"payment_intent": deposit.gateway_ref})
    assert [(r["amount"], r["metadata"]["fapai_key"]) for r in refunds.data] == [(rnd.deposit_fen, payout.key)]
    assert balance("clearing:stripe") == 0 and balance("refunds_payable") == 0
    assert check_ledger().ok


def test_amounts_above_the_card_limit_are_refused_with_a_pointer_to_bank_transfer(
        judge: User, bidder: User, frozen: clock.FrozenClock) -> None:
    rnd = factories.bidding_round(judge, frozen, start_fen=2_000_000_000)  # ¥20m, deposit ¥2m
    with translation.override("en"):
        with pytest.raises(RuleViolation) as exc:
            services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                  actor=bidder)
        assert exc.value.rule_code == "amount_above_gateway_limit"
        assert "¥999,999.99" in exc.value.text and "bank transfer" in exc.value.text
    assert not Deposit.objects.exists()
    # One fen under the limit is fine.
    ok = services.deposit_open(rnd=rnd, amount_fen=99_999_999, payer_name="张三", gateway="stripe", actor=bidder)
    assert ok.status == D.PENDING


def test_starting_a_payment_twice_reuses_the_payment_intent(rnd: AuctionRound, bidder: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    first = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    second = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    assert first.gateway_ref == second.gateway_ref and first.attempt == 1 and first.manual_capture
    pi = intent(first.gateway_ref)
    assert (pi["amount"], pi["currency"], pi["capture_method"]) == (rnd.deposit_fen, "cny", "manual")
    assert pi["metadata"]["fapai_ref"] == deposit.reference
    # A cancelled PaymentIntent (e.g. an expired authorisation) is replaced by a new one.
    client().v1.payment_intents.cancel(first.gateway_ref)
    third = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    assert third.gateway_ref != first.gateway_ref and third.attempt == 2
    deposit.refresh_from_db()
    assert deposit.gateway_ref == third.gateway_ref


def test_every_mutating_call_carries_our_idempotency_key(
        rnd: AuctionRound, bidder: User, other_bidder: User, frozen: clock.FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, dict[str, str]]] = []

    def recording() -> Any:
        http = stripe.new_default_http_client()
        original = http.request

        def request(method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any) -> Any:
            calls.append((method, url, dict(headers or {})))
            return original(method, url, headers, post_data, **kwargs)

        http.request = request  # type: ignore[method-assign]
        return http

    monkeypatch.setattr(stripe_gateway, "http_client", recording)
    winner = card_deposit(rnd, bidder)
    loser = card_deposit(rnd, other_bidder, "李四")
    factories.sell(rnd, winner, frozen)  # capture the winner, cancel the loser
    posts = [(url, headers.get("Idempotency-Key", "")) for method, url, headers in calls
             if method.lower() == "post" and "/v1/payment_intents" in url and "/confirm" not in url
             and not url.endswith(tuple(f"/{w.gateway_ref}" for w in (winner, loser)))]
    ours = [key for _url, key in posts]
    assert len(ours) == 4  # two creates, one capture, one cancel
    assert all(key.startswith("fapai:deposit:") for key in ours), posts
    assert len(set(ours)) == 4
    assert f"fapai:deposit:{winner.reference}:capture" in ours
    assert f"fapai:deposit:{loser.reference}:cancel" in ours
    stripe_gateway.StripeGateway().refund(services._deposit_payable(factories_reload(winner)), amount_fen=100,
                                          key="payout:test")
    refund_posts = [headers.get("Idempotency-Key", "") for method, url, headers in calls
                    if method.lower() == "post" and url.endswith("/v1/refunds")]
    assert refund_posts == [f"fapai:deposit:{winner.reference}:refund:payout:test"]


def test_the_gateway_refuses_a_capture_after_a_cancellation(rnd: AuctionRound, bidder: User,
                                                             frozen: clock.FrozenClock) -> None:
    deposit = card_deposit(rnd, bidder)
    client().v1.payment_intents.cancel(deposit.gateway_ref)  # the authorisation lapsed
    rnd = factories.sell(rnd, deposit, frozen)  # the capture is refused: the deposit stays held for a retry
    deposit.refresh_from_db()
    assert deposit.status == D.HELD and deposit.settle_as == "apply"
    assert intent(deposit.gateway_ref)["status"] == "canceled"
    with pytest.raises(RuleViolation) as exc:
        services.deposit_apply(deposit=deposit, actor="system:clock")
    assert exc.value.rule_code == "not_capturable"
    assert balance("clearing:stripe") == 0 and check_ledger().ok


def test_no_second_capture_and_no_refund_above_the_charge(rnd: AuctionRound, bidder: User) -> None:
    deposit = card_deposit(rnd, bidder)
    gateway = stripe_gateway.StripeGateway()
    payable = services._deposit_payable(deposit)
    first = gateway.capture(payable)
    again = gateway.capture(payable)
    assert first.state == again.state == "captured"
    charge = intent(deposit.gateway_ref)["charges"]["data"][0]
    assert charge["captured"] and charge["amount"] == rnd.deposit_fen

    half = rnd.deposit_fen // 2
    one = gateway.refund(payable, amount_fen=half, key="k1")
    assert gateway.refund(payable, amount_fen=half, key="k1").external_ref == one.external_ref  # not twice
    with pytest.raises(GatewayError) as exc:
        gateway.refund(payable, amount_fen=rnd.deposit_fen - half + 1, key="k2")
    assert exc.value.code == "refund_above_charge"
    gateway.refund(payable, amount_fen=rnd.deposit_fen - half, key="k3")
    refunds = client().v1.refunds.list(params={"payment_intent": deposit.gateway_ref})
    assert sum(r["amount"] for r in refunds.data) == rnd.deposit_fen


def test_a_card_payment_made_after_the_round_closed_is_refunded(
        judge: User, bidder: User, frozen: clock.FrozenClock) -> None:
    rnd = factories.announced_round(judge, frozen)
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    from auction import services as auction_services

    frozen.set(rnd.bidding_start)
    auction_services.round_open(rnd=rnd)
    pay(start.gateway_ref)  # charged, but nobody told fapai before the close
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    deposit.refresh_from_db()
    assert deposit.status == D.CANCELLED
    receipt = Receipt.objects.get()
    assert receipt.status == "returned"
    assert Payout.objects.get().status == "paid"
    assert sum(r["amount"] for r in client().v1.refunds.list(params={"payment_intent": start.gateway_ref}).data) \
        == rnd.deposit_fen
    assert balance("clearing:stripe") == 0 and check_ledger().ok


def test_a_declined_card_leaves_the_deposit_pending(rnd: AuctionRound, bidder: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    with pytest.raises(stripe.CardError):
        pay(start.gateway_ref, "pm_card_chargeCustomerFail")
    deposit = services.deposit_refresh(deposit=deposit, actor=bidder)
    assert deposit.status == D.PENDING and not Receipt.objects.exists()


def test_cancelling_an_unpaid_card_deposit_cancels_its_payment_intent(rnd: AuctionRound, bidder: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    services.deposit_cancel(deposit=deposit, actor=bidder)
    assert intent(start.gateway_ref)["status"] == "canceled"


def test_cancelling_a_deposit_paid_meanwhile_holds_it_instead(rnd: AuctionRound, bidder: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(start.gateway_ref)
    deposit = services.deposit_cancel(deposit=deposit, actor=bidder)
    assert deposit.status == D.HELD and intent(start.gateway_ref)["status"] == "requires_capture"


def test_a_card_payment_refused_by_a_callback_is_given_back(rnd: AuctionRound, bidder: User,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from settlement import hooks

    def barred(deposit: Deposit) -> None:
        raise RuleViolation("barred meanwhile", code="barred")

    monkeypatch.setattr(hooks, "_held", [barred])
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(start.gateway_ref)
    deposit = services.deposit_refresh(deposit=deposit, actor=bidder)
    assert deposit.status == D.CANCELLED and intent(start.gateway_ref)["status"] == "canceled"
    assert balance("card_holds") == 0 and check_ledger().ok


def test_the_authorisation_window_is_configurable(rnd: AuctionRound, bidder: User,
                                                  settings: Any) -> None:
    settings.FAPAI_CARD_AUTH_WINDOW_DAYS = 0
    assert services.card_authorisation_window() == timedelta(0)
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="stripe",
                                    actor=bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    assert not start.manual_capture and intent(start.gateway_ref)["capture_method"] == "automatic"


def test_a_refusal_without_a_translated_reason_shows_its_code_never_stripes_english() -> None:
    exc = stripe.InvalidRequestError("Your card's security code is incorrect.", param="cvc",
                                     code="incorrect_cvc", http_status=402)
    refused = stripe_gateway._refused("create")
    with translation.override("zh-hans"):
        zh = str(stripe_gateway.gateway_failure(exc, refused).message)
    with translation.override("en"):
        failure = stripe_gateway.gateway_failure(exc, refused)
        en = str(failure.message)
    assert failure.code == "incorrect_cvc"
    assert "security code" not in zh + en and "incorrect_cvc" in zh and "incorrect_cvc" in en
    assert "银行卡支付机构" in zh and en.startswith("The card processor refused the payment")
