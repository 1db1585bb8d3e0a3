"""The bidder's box on the public lot page: "register" while registration is open, and the viewer's
own registration (status, deposit, bidder code). Anonymous visitors cost no query; a bidder one."""

from __future__ import annotations

from typing import Any

from django import template

from auction.models import AuctionRound
from bidding import selectors

register = template.Library()


@register.inclusion_tag("bidding/_lot_panel.html", takes_context=True)
def bidder_panel(context: Any, rnd: AuctionRound) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    mine = selectors.registration_for_round(user, rnd) if context.get("is_bidder") else None
    return {
        "rnd": rnd,
        "open": selectors.registration_open(rnd),
        "mine": mine,
        "authenticated": bool(user and user.is_authenticated),
        "is_bidder": context.get("is_bidder"),
        "is_staff_member": context.get("is_staff_member"),
    }


@register.inclusion_tag("bidding/_bid_record.html", takes_context=True)
def bid_record(context: Any, rnd: AuctionRound) -> dict[str, Any]:
    """The public bid record (code, amount, time, 领先/出局; no identity) and, after close, the seal."""
    request = context.get("request")
    show_all = bool(request and request.GET.get("bids") == "all")
    rows = selectors.bid_record(rnd, limit=None if show_all else 50) if rnd.bid_count else []
    finished = rnd.status in selectors.FINISHED
    return {"rnd": rnd, "rows": rows, "more": not show_all and rnd.bid_count > len(rows),
            "seal": selectors.seal_of(rnd) if finished else None,
            "confirmation": selectors.confirmation_of(rnd) if rnd.status == AuctionRound.Status.SOLD else None,
            "phase": context.get("phase"), "request": request}
