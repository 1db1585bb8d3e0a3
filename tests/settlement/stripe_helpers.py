"""Driving localstripe like a card holder would, and signing webhook payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import stripe
from django.conf import settings
from django.test import Client

from settlement.gateways.stripe_gateway import StripeGateway


def client() -> stripe.StripeClient:
    return StripeGateway().client()


def pay(intent_id: str, payment_method: str = "pm_card_visa") -> Any:
    """What Stripe.js does in the browser: attach the card and confirm. (localstripe does not take a
    payment_method argument on confirm, so it is attached by an update first.)"""
    c = client()
    c.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
    return c.v1.payment_intents.confirm(intent_id)


def intent(intent_id: str) -> Any:
    return client().v1.payment_intents.retrieve(intent_id)


def signed(payload: dict[str, Any], secret: str | None = None, timestamp: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    t = int(time.time()) if timestamp is None else timestamp
    key = str(secret or getattr(settings, "STRIPE_WEBHOOK_SECRET", "")).encode()
    mac = hmac.new(key, f"{t}.".encode() + body, hashlib.sha256)
    return body, f"t={t},v1={mac.hexdigest()}"


def event(event_id: str, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
            "api_version": "2024-06-20", "data": {"object": obj}}


def deliver(web: Client, payload: dict[str, Any], **sign: Any) -> Any:
    body, signature = signed(payload, **sign)
    return web.post("/webhooks/stripe/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
