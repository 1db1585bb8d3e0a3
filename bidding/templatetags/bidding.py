"""The bidder's box on the public lot page: "register" while registration is open, and the viewer's
own registration (status, deposit, bidder code) and the end reminder. Anonymous visitors cost no
query; a bidder two (the registration, shared by both panels, and the reminder)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from auction.models import AuctionRound
from bidding import selectors
from bidding.services import REMINDER_CHOICES

register = template.Library()


@register.simple_tag
def bid_count_format(count: int) -> str:
    """The "N bids" sentence in the plural form of `count`, with "{n}" for the number, for the script
    that updates it live: the same catalogue entry as the sentence the template renders."""
    return ngettext("%(counter)s bid", "%(counter)s bids", count) % {"counter": "{n}"}


def _mine(context: Any, rnd: AuctionRound) -> Any:
    """The viewer's registration for the round, looked up once per page (both panels show it)."""
    if not context.get("is_bidder"):
        return None
    cache = context.render_context.setdefault("fapai_registrations", {})
    if rnd.pk not in cache:
        request = context.get("request")
        cache[rnd.pk] = selectors.registration_for_round(getattr(request, "user", None), rnd)
    return cache[rnd.pk]


@register.inclusion_tag("bidding/_lot_panel.html", takes_context=True)
def bidder_panel(context: Any, rnd: AuctionRound) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    mine = _mine(context, rnd)
    authenticated = bool(user and user.is_authenticated)
    reminder_open = authenticated and rnd.status in (AuctionRound.Status.ANNOUNCED, AuctionRound.Status.BIDDING)
    return {
        "reminder_open": reminder_open,
        "my_reminder": selectors.reminder_of(user, rnd) if reminder_open else None,
        "reminder_choices": [(m, _("%(n)s minutes before") % {"n": m} if m < 60 else
                              _("%(n)s hours before") % {"n": m // 60}) for m in REMINDER_CHOICES],
        "rnd": rnd,
        "open": selectors.registration_open(rnd),
        "mine": mine,
        "authenticated": authenticated,
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
    # A round that can still get its first bid has an empty table for the live panel to fill.
    awaiting_bids = not rnd.bid_count and context.get("phase") in ("upcoming", "live", "stopped")
    return {"rnd": rnd, "rows": rows, "more": not show_all and rnd.bid_count > len(rows),
            "awaiting_bids": awaiting_bids,
            "seal": selectors.seal_of(rnd) if finished else None,
            "confirmation": selectors.confirmation_of(rnd) if rnd.status == AuctionRound.Status.SOLD else None,
            "phase": context.get("phase"), "request": request}


@register.inclusion_tag("bidding/_live_panel.html", takes_context=True)
def live_panel(context: Any, rnd: AuctionRound) -> dict[str, Any]:
    """The live panel of an announced or bidding round: the WebSocket client (bidding/live.js) updates
    the price box and the bid record; a registered bidder gets the bid box. Without JavaScript the
    page still shows the state at load."""
    mine = _mine(context, rnd)
    minimum = (rnd.current_price_fen + rnd.increment_fen) if rnd.bid_count and rnd.current_price_fen \
        else rnd.start_price_fen
    return {"rnd": rnd, "live": rnd.status in (AuctionRound.Status.ANNOUNCED, AuctionRound.Status.BIDDING,
                                               AuctionRound.Status.STAYED, AuctionRound.Status.SUSPENDED),
            "mine": mine, "may_bid": bool(mine and selectors.may_bid(mine)), "minimum_fen": minimum}


@register.simple_tag
def sealed_records(rounds: Any) -> dict[int, dict[str, Any]]:
    """For the results archive: each closed round's sealed bid-chain root and whether its sale
    confirmation is published, for the whole page at once (bidding.selectors.sealed_records)."""
    return selectors.sealed_records([r.pk for r in rounds])


@register.filter
def record_of(records: dict[int, Any], round_id: int) -> Any:
    return records.get(round_id)
