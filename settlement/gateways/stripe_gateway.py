"""Card payments through Stripe PaymentIntents, with the official SDK.

* Every mutating call carries an idempotency key derived from our reference and the operation, so
  a retry (by the SDK, the clock or a rolled-back transaction) returns the first result.
* A deposit is frozen with a manual-capture PaymentIntent (an authorisation) when the round ends
  within the card authorisation window; otherwise it is captured at once and refunded on release.
* Amounts are in the currency's minor unit (fen for CNY); amounts above Stripe's per-payment limit
  are refused before any call (the service points the payer to bank transfer).
* This class enforces what a provider might let through (and what localstripe does let through):
  no capture after a cancellation, no second capture, no refund above what was captured and no
  second refund under the same key, by reading the PaymentIntent and its refunds first."""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
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


def http_client() -> Any:
    """The SDK's HTTP client; None means the SDK's default. Tests replace this to inspect requests."""
    return None


def to_minor_units(amount_fen: int, currency: str) -> int:
    if currency.upper() not in TWO_DECIMAL_CURRENCIES:
        raise GatewayError(_("Card payments are not available in this currency."), code="currency")
    return amount_fen  # fen are the minor unit of a two-decimal currency


def max_amount_fen() -> int:
    return int(getattr(settings, "FAPAI_STRIPE_MAX_AMOUNT_FEN", DEFAULT_MAX_AMOUNT_FEN))


def idempotency_key(payable: Payable, operation: str) -> str:
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
                                   http_client=http_client(), max_network_retries=2)

    # --- reads ----------------------------------------------------------------------------------

    def retrieve(self, intent_id: str) -> GatewayStatus:
        """The PaymentIntent as the API says it is now (webhooks never trust their payload)."""
        try:
            intent = self.client().v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise GatewayError(_("The card processor could not be reached: %(error)s") % {"error": exc.user_message
                               or exc.__class__.__name__}) from exc
        return self._status(intent)

    def _status(self, obj: Any, refunded_fen: int = 0) -> GatewayStatus:
        intent = _plain(obj)
        state = _STATES.get(str(intent["status"]), State.NONE)
        metadata = intent.get("metadata") or {}
        amount = int(intent["amount"]) if state in (State.AUTHORISED, State.CAPTURED) else 0
        return GatewayStatus(state, external_ref=str(intent["id"]), amount_fen=amount, refunded_fen=refunded_fen,
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
                if current["status"] != "canceled":
                    intent = current
            if intent is None:
                attempt += 1
                intent = _plain(client.v1.payment_intents.create(
                    params={
                        "amount": to_minor_units(payable.amount_fen, payable.currency),
                        "currency": payable.currency.lower(),
                        "capture_method": "manual" if payable.manual_capture else "automatic",
                        "metadata": {"fapai_kind": payable.kind, "fapai_ref": payable.reference},
                    },
                    options={"idempotency_key": idempotency_key(payable, f"create:{attempt}")},
                ))
        except stripe.StripeError as exc:
            raise GatewayError(_("The card processor could not be reached: %(error)s") % {"error": exc.user_message
                               or exc.__class__.__name__}) from exc
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
            raise GatewayError(_("The card processor refused the capture: %(error)s") % {
                "error": exc.user_message or exc.__class__.__name__}) from exc
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
            raise GatewayError(_("The card processor refused the cancellation: %(error)s") % {
                "error": exc.user_message or exc.__class__.__name__}) from exc
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
            raise GatewayError(_("The card processor refused the refund: %(error)s") % {
                "error": exc.user_message or exc.__class__.__name__}) from exc
        return RefundResult(automatic=True, external_ref=str(made["id"]))


def construct_event(payload: bytes, signature: str) -> Any:
    """Verify a webhook's signature on the raw body and parse it (raises ValueError or
    stripe.SignatureVerificationError)."""
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise ValueError("STRIPE_WEBHOOK_SECRET is not configured")
    return stripe.Webhook.construct_event(payload, signature, secret)


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
