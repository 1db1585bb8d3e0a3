"""Card payments through Stripe PaymentIntents, with the official SDK.

* Every mutating call carries an idempotency key derived from our reference and the operation, so
  a retry (by the SDK, the clock or a rolled-back transaction) returns the first result.
* Retries live in one place, the SDK's HTTP client (`RetryingHTTPClient`): network errors,
  timeouts, 409, 429 and 5xx are retried FAPAI_STRIPE_NETWORK_RETRIES times with the same key and
  body; a refusal (card declined, invalid request) is not retried and becomes a GatewayError whose
  text is ours, translated.
* A deposit is frozen with a manual-capture PaymentIntent (an authorisation) when the round ends
  within the card authorisation window; otherwise it is captured at once and refunded on release.
* Amounts are in the currency's minor unit (fen for CNY); amounts above Stripe's per-payment limit
  are refused before any call (the service points the payer to bank transfer).
* This class enforces what a provider might let through (and what localstripe does let through):
  no capture after a cancellation, no second capture, no refund above what was captured and no
  second refund under the same key, by reading the PaymentIntent and its refunds first."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import stripe
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.money import format_fen
from settlement.gateways.base import (
    BaseGateway,
    Capabilities,
    GatewayError,
    GatewayStatus,
    Payable,
    PaymentStart,
    RefundResult,
    State,
)

# Stripe's per-payment maximum is 8 digits in the minor unit for most currencies (¥999,999.99).
DEFAULT_MAX_AMOUNT_FEN = 99_999_999
TWO_DECIMAL_CURRENCIES = frozenset({"CNY", "HKD", "USD", "EUR", "GBP", "SGD", "AUD", "CAD", "CHF", "MOP"})
_STATES = {
    "requires_payment_method": State.NONE,
    "requires_confirmation": State.NONE,
    "requires_action": State.NONE,
    "processing": State.PROCESSING,
    "requires_capture": State.AUTHORISED,
    "succeeded": State.CAPTURED,
    "canceled": State.CANCELED,
}


def _plain(obj: Any) -> dict[str, Any]:
    """The SDK's object as a plain dict (StripeObjects are not dicts)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


MAX_RETRY_DELAY_SECONDS = 5.0  # the SDK's cap


class RetryingHTTPClient(stripe.RequestsClient):
    """The SDK's requests client with our timeout and backoff. The SDK retries network errors,
    timeouts, 409 and 5xx; this also retries 429 (rate limited, or a lock at Stripe), which the SDK
    leaves to its caller, unless Stripe says `Stripe-Should-Retry: false`. A retry re-sends the same
    request, idempotency key included, so Stripe answers it with the first result."""

    def __init__(self, *, timeout: float, retry_delay: float) -> None:
        super().__init__(timeout=timeout)
        self.retry_delay = retry_delay

    def _should_retry(self, response: tuple[Any, int, Mapping[str, str] | None] | None,
                      api_connection_error: stripe.APIConnectionError | None, num_retries: int,
                      max_network_retries: int | None) -> bool:
        if super()._should_retry(response, api_connection_error, num_retries, max_network_retries):
            return True
        if response is None or num_retries >= (max_network_retries or 0):
            return False
        _body, status, headers = response
        return status == 429 and (headers or {}).get("stripe-should-retry") != "false"

    def _sleep_time_seconds(self, num_retries: int) -> float:
        delay = min(self.retry_delay * 2 ** (num_retries - 1), MAX_RETRY_DELAY_SECONDS)
        return max(self.retry_delay, self._add_jitter_time(delay))


def network_retries() -> int:
    return int(getattr(settings, "FAPAI_STRIPE_NETWORK_RETRIES", 2))


def http_client() -> Any:
    """The SDK's HTTP client (tests replace this to inspect requests)."""
    return RetryingHTTPClient(timeout=float(getattr(settings, "FAPAI_STRIPE_TIMEOUT_SECONDS", 30)),
                              retry_delay=float(getattr(settings, "FAPAI_STRIPE_RETRY_DELAY_SECONDS", 0.5)))


# Why Stripe refused, in our words (Stripe's own message is English only).
log = logging.getLogger("fapai.payments")

_REASONS: dict[str, Any] = {
    "card_declined": _("the card was declined"),
    "expired_card": _("the card has expired"),
    "insufficient_funds": _("the card has insufficient funds"),
    "charge_expired_for_capture": _("the card authorisation has expired"),
    "charge_already_captured": _("the payment was already captured"),
    "charge_already_refunded": _("the payment was already refunded"),
    "payment_intent_unexpected_state": _("the payment is not in a state that allows this"),
    "amount_too_small": _("the amount is too small for a card payment"),
    "amount_too_large": _("the amount is too large for a card payment"),
    "resource_missing": _("the card processor does not know this payment"),
}


def gateway_failure(exc: stripe.StripeError, refused: Any) -> GatewayError:
    """A Stripe error as a GatewayError: "gateway_unreachable" when the SDK's retries ran out (nothing
    is known to have changed; the same call with the same key may be made again), otherwise the
    refusal under Stripe's error code (card_declined, resource_missing, …) with our translated reason.
    `refused` is the message for the operation, with an %(error)s placeholder."""
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        return GatewayError(_("The card processor could not be reached: %(error)s") % {
            "error": _("no answer after several attempts; nothing was changed, try again later")},
            code="gateway_unreachable")
    if isinstance(exc, stripe.IdempotencyError):
        return GatewayError(refused % {"error": _("the request differs from an earlier one with the same key")},
                            code="idempotency_conflict")
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return GatewayError(refused % {"error": _("the card processor does not accept fapai's credentials")},
                            code="gateway_misconfigured")
    code = str(getattr(exc, "code", "") or ("resource_missing" if exc.http_status == 404 else "invalid_request"))
    reason = _REASONS.get(code)
    if reason is None:
        # Stripe's own text is English only: logged for staff, never shown; the user gets the code.
        log.warning("stripe refusal %s without a translated reason: %s", code, exc.user_message or exc)
        reason = _("the card processor gave the reason %(code)s") % {"code": code}
    return GatewayError(refused % {"error": reason}, code=code[:60])


def _refused(operation: str) -> Promise:
    return {
        "create": _("The card processor refused the payment: %(error)s"),
        "read": _("The card processor refused the request: %(error)s"),
        "capture": _("The card processor refused the capture: %(error)s"),
        "cancel": _("The card processor refused the cancellation: %(error)s"),
        "refund": _("The card processor refused the refund: %(error)s"),
    }[operation]


def to_minor_units(amount_fen: int, currency: str) -> int:
    if currency.upper() not in TWO_DECIMAL_CURRENCIES:
        raise GatewayError(_("Card payments are not available in this currency."), code="currency")
    return amount_fen  # fen are the minor unit of a two-decimal currency


def max_amount_fen() -> int:
    return int(getattr(settings, "FAPAI_STRIPE_MAX_AMOUNT_FEN", DEFAULT_MAX_AMOUNT_FEN))


def idempotency_key(payable: Payable, operation: str) -> str:
    """Derived from our own stable ids only (never random), so the call made again after a crash or a
    rolled-back transaction carries the key of the first one and Stripe answers with its result."""
    prefix = getattr(settings, "FAPAI_STRIPE_IDEMPOTENCY_PREFIX", "fapai")
    return f"{prefix}:{payable.kind}:{payable.reference}:{operation}"


class StripeGateway(BaseGateway):
    key = "stripe"
    label = _("Card payment (Stripe)")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(can_hold=True, can_partial_capture=True, max_amount_fen=max_amount_fen(),
                            needs_staff_confirmation=False, automatic_refund=True, matches_by_reference=False)

    def is_enabled(self) -> bool:
        return bool(getattr(settings, "STRIPE_SECRET_KEY", ""))

    def client(self) -> stripe.StripeClient:
        if not self.is_enabled():
            raise GatewayError(_("Card payments are not configured."), code="gateway_disabled")
        base = getattr(settings, "STRIPE_API_BASE", "") or stripe.DEFAULT_API_BASE
        return stripe.StripeClient(getattr(settings, "STRIPE_SECRET_KEY", ""), base_addresses={"api": base},
                                   http_client=http_client(), max_network_retries=network_retries())

    # --- reads ----------------------------------------------------------------------------------

    def retrieve(self, intent_id: str) -> GatewayStatus:
        """The PaymentIntent as the API says it is now (webhooks never trust their payload)."""
        try:
            intent = self.client().v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise gateway_failure(exc, _refused("read")) from exc
        return self._status(intent)

    def _status(self, obj: Any) -> GatewayStatus:
        intent = _plain(obj)
        state = _STATES.get(str(intent["status"]), State.NONE)
        metadata = intent.get("metadata") or {}
        amount = int(intent["amount"]) if state in (State.AUTHORISED, State.CAPTURED) else 0
        return GatewayStatus(state, external_ref=str(intent["id"]), amount_fen=amount, refunded_fen=_refunded(intent),
                             reference=str(metadata.get("fapai_ref", "")), instrument=_instrument(intent))

    def status(self, payable: Payable) -> GatewayStatus:
        if not payable.gateway_ref:
            return GatewayStatus(State.NONE)
        return self.retrieve(payable.gateway_ref)

    # --- the payer's side ---------------------------------------------------------------------------

    def prepare(self, payable: Payable, *, return_url: str) -> PaymentStart:
        if payable.amount_fen > max_amount_fen():
            raise GatewayError(_("Card payments are limited to %(limit)s per payment; pay by bank transfer.") % {
                "limit": format_fen(max_amount_fen())}, code="amount_above_gateway_limit")
        client = self.client()
        intent: Any = None
        attempt = payable.attempt
        try:
            if payable.gateway_ref:
                current = _plain(client.v1.payment_intents.retrieve(payable.gateway_ref))
                # A cancelled one cannot be paid; one refunded behind our back was paid and given back:
                # the payer pays again on a new one.
                if current["status"] != "canceled" and not _refunded(current):
                    intent = current
                else:
                    # A balance payment does not keep its attempt: the replaced one says which it was,
                    # so the new one never reuses its key (Stripe would answer with the old object).
                    attempt = max(attempt, int((current.get("metadata") or {}).get("fapai_attempt") or 1))
            if intent is None:
                attempt += 1
                capture = "manual" if payable.manual_capture else "automatic"
                intent = _plain(client.v1.payment_intents.create(
                    params={
                        "amount": to_minor_units(payable.amount_fen, payable.currency),
                        "currency": payable.currency.lower(),
                        "capture_method": capture,
                        "metadata": {"fapai_kind": payable.kind, "fapai_ref": payable.reference,
                                     "fapai_attempt": str(attempt)},
                    },
                    # The capture method is in the key: the same attempt made again on the other side
                    # of the authorisation window has other parameters, which Stripe refuses under one key.
                    options={"idempotency_key": idempotency_key(payable, f"create:{attempt}:{capture}")},
                ))
        except stripe.StripeError as exc:
            raise gateway_failure(exc, _refused("create")) from exc
        return PaymentStart(
            gateway=self.key, action="card", amount_fen=payable.amount_fen, currency=payable.currency,
            reference=payable.transfer_reference, payee=payable.payee_name,
            client_secret=str(intent["client_secret"]),
            publishable_key=getattr(settings, "STRIPE_PUBLISHABLE_KEY", ""),
            js_url=getattr(settings, "STRIPE_JS_URL", "https://js.stripe.com/v3/"),
            return_url=return_url, gateway_ref=str(intent["id"]), attempt=attempt,
            manual_capture=str(intent.get("capture_method", "")) == "manual",
            note=_("The amount is frozen on your card until the round ends.") if payable.manual_capture
            else _("The amount is charged to your card now and refunded if you do not win."),
        )

    # --- our side ------------------------------------------------------------------------------------

    def hold(self, payable: Payable) -> GatewayStatus:
        status = self.status(payable)
        if status.state not in (State.AUTHORISED, State.CAPTURED):
            raise GatewayError(_("The card payment has not been made."), code="not_paid")
        return status

    def capture(self, payable: Payable) -> GatewayStatus:
        status = self.status(payable)
        if status.state == State.CAPTURED:
            return status  # captured before (a retry): never capture twice
        if status.state != State.AUTHORISED:
            raise GatewayError(_("The card authorisation cannot be captured (it is %(state)s).") % {
                "state": status.state.value}, code="not_capturable")
        try:
            intent = self.client().v1.payment_intents.capture(
                payable.gateway_ref, options={"idempotency_key": idempotency_key(payable, "capture")})
        except stripe.StripeError as exc:
            raise gateway_failure(exc, _refused("capture")) from exc
        return self._status(intent)

    def release(self, payable: Payable) -> GatewayStatus:
        status = self.status(payable)
        if status.state == State.CANCELED or not payable.gateway_ref:
            return status
        if status.state in (State.CAPTURED, State.PROCESSING):
            raise GatewayError(_("The card payment was already taken; it must be refunded instead."),
                               code="already_captured")
        try:
            intent = self.client().v1.payment_intents.cancel(
                payable.gateway_ref, options={"idempotency_key": idempotency_key(payable, "cancel")})
        except stripe.StripeError as exc:
            raise gateway_failure(exc, _refused("cancel")) from exc
        return self._status(intent)

    def refund(self, payable: Payable, *, amount_fen: int, key: str) -> RefundResult:
        client = self.client()
        try:
            intent = _plain(client.v1.payment_intents.retrieve(payable.gateway_ref))
            if intent["status"] != "succeeded":
                raise GatewayError(_("Only a captured card payment can be refunded."), code="not_captured")
            refunds = client.v1.refunds.list(params={"payment_intent": payable.gateway_ref, "limit": 100})
            refunded = 0
            for refund in (_plain(r) for r in refunds.data):
                if (refund.get("metadata") or {}).get("fapai_key") == key:
                    return RefundResult(automatic=True, external_ref=str(refund["id"]))  # made before
                if refund.get("status") in ("succeeded", "pending"):
                    refunded += int(refund["amount"])
            if amount_fen <= 0 or refunded + amount_fen > int(intent["amount"]):
                raise GatewayError(_("A refund cannot exceed what was charged."), code="refund_above_charge")
            made = client.v1.refunds.create(
                params={"payment_intent": payable.gateway_ref, "amount": to_minor_units(amount_fen, payable.currency),
                        "metadata": {"fapai_key": key}},
                options={"idempotency_key": f"{idempotency_key(payable, 'refund')}:{key}"})
        except stripe.StripeError as exc:
            raise gateway_failure(exc, _refused("refund")) from exc
        return RefundResult(automatic=True, external_ref=str(made["id"]))


def construct_event(payload: bytes, signature: str) -> Any:
    """Verify a webhook's signature on the raw body and parse it (raises ValueError or
    stripe.SignatureVerificationError)."""
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise ValueError("STRIPE_WEBHOOK_SECRET is not configured")
    return stripe.Webhook.construct_event(payload, signature, secret)


def _charges(intent: dict[str, Any]) -> list[dict[str, Any]]:
    """The PaymentIntent's charges: `charges.data` (older API versions, localstripe) and
    `latest_charge` when it is expanded."""
    found = {str(c.get("id")): c for c in (intent.get("charges") or {}).get("data") or () if isinstance(c, dict)}
    latest = intent.get("latest_charge")
    if isinstance(latest, dict):
        found.setdefault(str(latest.get("id")), latest)
    return list(found.values())


def _refunded(intent: dict[str, Any]) -> int:
    """What was given back of the PaymentIntent's charges, by fapai or at Stripe's dashboard."""
    return sum(int(charge.get("amount_refunded") or 0) for charge in _charges(intent))


def _instrument(intent: dict[str, Any]) -> str:
    """The card behind a PaymentIntent for collusion screening: its fingerprint (the same card gives
    the same fingerprint across payment methods) when a charge carries it, else the payment method."""
    for charge in (intent.get("charges") or {}).get("data") or ():
        card = ((charge or {}).get("payment_method_details") or {}).get("card") or {}
        if card.get("fingerprint"):
            return f"card:{card['fingerprint']}"
    method = intent.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    return f"pm:{method}" if method else ""
