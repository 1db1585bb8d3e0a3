"""Reads for pages, the API and the clock. Public reads never include draft or panel-approved
rounds; nothing here returns a bidder's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from auction.models import AuctionRound, Court, CourtMembership, Lot
from core import clock
from core.roles import Role, has_role

S = AuctionRound.Status
PUBLIC_STATUSES = [s for s in S.values if s not in (S.DRAFT, S.PANEL_APPROVED)]
CLOSED_STATUSES = [S.SOLD, S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU, S.ENDED]
SORTS = {
    "ending": ("effective_end",),
    "newest": ("-notice_published_at", "-id"),
    "price_asc": ("start_price_fen", "id"),
    "price_desc": ("-start_price_fen", "id"),
}


@dataclass(frozen=True)
class RoundFilters:
    q: str = ""
    court: int | None = None
    asset_type: str = ""
    kind: str = ""
    status: str = ""
    city: str = ""
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    sort: str = "ending"


def public_rounds() -> QuerySet[AuctionRound]:
    return AuctionRound.objects.filter(status__in=PUBLIC_STATUSES).select_related("lot", "lot__case__court")


def round_search(filters: RoundFilters, *, closed_only: bool = False) -> QuerySet[AuctionRound]:
    """The public listing and the results archive, filtered and sorted. Prices filter on the
    current price when there are bids, else the start price."""
    qs = public_rounds()
    if closed_only:
        qs = qs.filter(status__in=CLOSED_STATUSES)
    if filters.q:
        qs = qs.filter(Q(lot__title__icontains=filters.q) | Q(lot__case__number__icontains=filters.q)
                       | Q(lot__address__icontains=filters.q))
    if filters.court:
        qs = qs.filter(lot__case__court_id=filters.court)
    if filters.asset_type:
        qs = qs.filter(lot__asset_type=filters.asset_type)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.city:
        qs = qs.filter(lot__city=filters.city)
    price = Q(current_price_fen__isnull=False)
    if filters.price_min_fen is not None:
        qs = qs.filter((price & Q(current_price_fen__gte=filters.price_min_fen))
                       | (~price & Q(start_price_fen__gte=filters.price_min_fen)))
    if filters.price_max_fen is not None:
        qs = qs.filter((price & Q(current_price_fen__lte=filters.price_max_fen))
                       | (~price & Q(start_price_fen__lte=filters.price_max_fen)))
    order = SORTS.get(filters.sort, SORTS["ending"])
    if closed_only and filters.sort == "ending":
        order = ("-effective_end",)
    return qs.order_by(*order)


def lot_public(lot_id: int) -> Lot | None:
    """A lot with everything its public page shows, or None if it has no public round yet."""
    lot = (
        Lot.objects.select_related("case__court")
        .prefetch_related(
            "photos", "attachments", "encumbrances", "leases", "tax_allocations", "priority_holders",
            Prefetch("rounds", queryset=AuctionRound.objects.filter(status__in=PUBLIC_STATUSES).order_by("number")),
        )
        .filter(pk=lot_id)
        .first()
    )
    if lot is None or not lot.rounds.all():
        return None
    return lot


def lot_current_round(lot: Lot, round_id: int | None = None) -> AuctionRound:
    """The round a lot page shows: the one asked for, else the latest public round."""
    rounds = list(lot.rounds.all())
    if round_id is not None:
        for r in rounds:
            if r.pk == round_id:
                return r
    return rounds[-1]


def filter_choices() -> dict[str, Any]:
    return {
        "courts": list(Court.objects.filter(cases__lots__rounds__status__in=PUBLIC_STATUSES).distinct()),
        "cities": sorted(set(public_rounds().values_list("lot__city", flat=True))),
    }


def courts_of(user: Any) -> QuerySet[Court]:
    """The courts a staff member acts for; supervisors read every court."""
    if has_role(user, Role.SUPERVISOR):
        return Court.objects.all()
    return Court.objects.filter(pk__in=CourtMembership.objects.filter(user=user).values("court_id"))


def rounds_due_to_open(now: datetime | None = None) -> QuerySet[AuctionRound]:
    return AuctionRound.objects.filter(status=S.ANNOUNCED, bidding_start__lte=now or clock.now()).order_by(
        "bidding_start")


def rounds_due_to_close(now: datetime | None = None) -> QuerySet[AuctionRound]:
    return AuctionRound.objects.filter(status=S.BIDDING, effective_end__lte=now or clock.now()).order_by(
        "effective_end")
