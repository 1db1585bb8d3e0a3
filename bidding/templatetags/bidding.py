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
