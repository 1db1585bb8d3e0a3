"""The Stripe webhook endpoint: verify the signature on the raw body, hand the event to the inbox
(settlement.services.stripe_event_handle) and answer. 400 for a bad signature (nothing is recorded),
503 when a row stays locked or the API cannot be reached (Stripe retries), 200 otherwise, also for
duplicates and for objects fapai does not know."""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from settlement import services
from settlement.gateways import GatewayError
from settlement.gateways.stripe_gateway import construct_event

log = logging.getLogger("fapai.settlement.webhooks")


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    if not getattr(settings, "STRIPE_WEBHOOK_SECRET", ""):
        return JsonResponse({"error": "webhooks are not configured"}, status=503)
    try:
        event = construct_event(request.body, request.headers.get("Stripe-Signature", ""))
    except (ValueError, stripe.SignatureVerificationError):
        return JsonResponse({"error": "invalid signature"}, status=400)
    try:
        status = services.stripe_event_handle(event)
    except services.Busy:
        log.warning("stripe event %s: a row is locked, asking Stripe to retry", event["id"])
        return JsonResponse({"error": "busy, retry later"}, status=503)
    except GatewayError as exc:
        log.warning("stripe event %s: the API could not be reached: %s", event["id"], exc)
        return JsonResponse({"error": "payment provider unreachable, retry later"}, status=503)
    return JsonResponse({"status": status})
