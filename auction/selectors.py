"""Reads for pages, the API and the clock. Public reads never include draft or panel-approved
rounds, nor a round withdrawn before its notice was published; nothing here returns a bidder's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, DateTimeField, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from auction.models import AuctionRound, Court, CourtMembership, Lot
from core import clock
from core.roles import Role, has_role

S = AuctionRound.Status
PUBLIC_STATUSES = [s for s in S.values if s not in (S.DRAFT, S.PANEL_APPROVED)]
CLOSED_STATUSES = [S.SOLD, S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU, S.ENDED]
# What the results archive offers as outcomes; "ended" lasts only inside the closing transaction.
RESULT_STATUSES = [S.SOLD, S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU]
ACTIVE_STATUSES = [S.ANNOUNCED, S.BIDDING]
STOPPED_STATUSES = [S.STAYED, S.SUSPENDED]
# "ending" in the listing also ranks open rounds before stopped and closed ones (see round_search).
SORTS = {
    "ending": ("effective_end",),
    "newest": ("-notice_published_at", "-id"),
    "price_asc": ("display_price", "id"),
    "price_desc": ("-display_price", "id"),
}
PAGE_SIZE = 12


def _public_q(prefix: str = "") -> Q:
    """A round is public once its notice was published (WP art.3). Every public status implies
    publication except "withdrawn", which a draft can also reach without ever being announced."""
    return Q(**{f"{prefix}status__in": PUBLIC_STATUSES, f"{prefix}notice_published_at__isnull": False})


class Phase:
    """Where a public round stands for a visitor, by server time."""

    UPCOMING = "upcoming"
    LIVE = "live"
    STOPPED = "stopped"
    CLOSED = "closed"


def round_phase(rnd: AuctionRound, now: datetime | None = None) -> str:
    """Upcoming before bidding starts, live until the effective end (with extensions, WP art.20),
    stopped while stayed or suspended (WP art.28), closed otherwise. A round past its end is closed
    even before the clock finalises it: a bid at or after the end is rejected anyway."""
    now = now or clock.now()
    if rnd.status in STOPPED_STATUSES:
        return Phase.STOPPED
    if rnd.status in ACTIVE_STATUSES and now < rnd.effective_end:
        return Phase.UPCOMING if now < rnd.bidding_start else Phase.LIVE
    return Phase.CLOSED


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
    return AuctionRound.objects.filter(_public_q()).select_related("lot", "lot__case__court")


def round_search(filters: RoundFilters, *, closed_only: bool = False) -> QuerySet[AuctionRound]:
    """The public listing and the results archive, filtered and sorted. Prices filter and sort on
    the current price when there are bids, else the start price. "Ending soonest" lists the rounds
    still to be bid on first (soonest end first), then stopped rounds, then closed ones (latest first);
    in the results archive it lists the latest closed first."""
    qs = public_rounds().annotate(display_price=Coalesce("current_price_fen", "start_price_fen"))
    if closed_only:
        qs = qs.filter(status__in=CLOSED_STATUSES)
    if filters.q:
        qs = qs.filter(Q(lot__title__icontains=filters.q) | Q(lot__case__number__icontains=filters.q)
                       | Q(lot__address__icontains=filters.q) | Q(lot__case__court__name__icontains=filters.q))
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
    if filters.price_min_fen is not None:
        qs = qs.filter(display_price__gte=filters.price_min_fen)
    if filters.price_max_fen is not None:
        qs = qs.filter(display_price__lte=filters.price_max_fen)
    if filters.sort in SORTS and filters.sort != "ending":
        return qs.order_by(*SORTS[filters.sort])
    if closed_only:
        return qs.order_by("-effective_end", "-id")
    rank = Case(When(status__in=ACTIVE_STATUSES, then=Value(0)), When(status__in=STOPPED_STATUSES, then=Value(1)),
                default=Value(2))
    active_end = Case(When(status__in=ACTIVE_STATUSES, then=F("effective_end")), default=None,
                      output_field=DateTimeField())
    return qs.annotate(phase_rank=rank, active_end=active_end).order_by(
        "phase_rank", "active_end", "-effective_end", "-id")


def with_card_data(qs: QuerySet[AuctionRound]) -> QuerySet[AuctionRound]:
    """What a listing card shows besides the round: the lot's photos (one extra query per page)."""
    return qs.prefetch_related("lot__photos")


def lot_public(lot_id: int) -> Lot | None:
    """A lot with everything its public page shows, or None if it has no public round yet."""
    lot = (
        Lot.objects.select_related("case__court")
        .prefetch_related(
            "photos", "attachments", "encumbrances", "leases", "tax_allocations", "priority_holders",
            Prefetch("rounds", queryset=AuctionRound.objects.filter(_public_q()).order_by("number")),
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
        "courts": list(Court.objects.filter(_public_q("cases__lots__rounds__")).distinct()),
        "cities": sorted(public_rounds().order_by().values_list("lot__city", flat=True).distinct()),
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


def open_deadlines(court_ids: list[int], now: datetime) -> list[Any]:
    """core.deadlines provider: the last day each prepared round's notice can go out and still leave
    the notice period before bidding starts (WP art.12)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from auction import rules
    from core.deadlines import Due, end_of

    out = []
    rounds = (AuctionRound.objects.filter(lot__case__court_id__in=court_ids, bidding_start__gt=now,
                                          status__in=[AuctionRound.Status.DRAFT, AuctionRound.Status.PANEL_APPROVED])
              .select_related("lot__case"))
    for rnd in rounds:
        period = rules.notice_days(rnd.kind, rnd.lot.nature)
        last_day = clock.local_date(rnd.bidding_start) - timedelta(days=period)
        out.append(Due("notice", _("Publish the auction notice (%(days)s days before bidding)") % {"days": period},
                       "WP art.12", end_of(last_day), f"{rnd.lot.case.number} {rnd.lot.title}",
                       reverse("staff:round_detail", args=[rnd.pk]), rnd.lot.case.court_id))
    return out


def case_objects(case_id: int) -> list[tuple[str, list[int]]]:
    """core.timeline provider: the case, its parties, lots and rounds."""
    from auction.models import Party

    return [("auction.case", [case_id]),
            ("auction.party", list(Party.objects.filter(case_id=case_id).values_list("pk", flat=True))),
            ("auction.lot", list(Lot.objects.filter(case_id=case_id).values_list("pk", flat=True))),
            ("auction.auctionround", list(AuctionRound.objects.filter(lot__case_id=case_id)
                                          .values_list("pk", flat=True)))]


# --- the party's case file (执行节点查询) ------------------------------------------------------------------


@dataclass(frozen=True)
class PartyStep:
    """One step of the case as a party sees it: when, what, and what it concerned. No actor and no
    before/after values: those can name staff, bidders or other parties."""

    at: datetime
    action: str
    concerns: str


# What each kind of object in a case's timeline is called (core.timeline providers' object types).
TIMELINE_SUBJECTS = {
    "auction.case": gettext_lazy("Case"), "auction.party": gettext_lazy("Party"), "auction.lot": gettext_lazy("Lot"),
    "auction.auctionround": gettext_lazy("Round"), "valuation.valuation": gettext_lazy("Valuation"),
    "settlement.balancedue": gettext_lazy("Balance"), "settlement.distributionplan": gettext_lazy("Distribution plan"),
    "settlement.casepayout": gettext_lazy("Case payout"),
}


def party_access_fingerprint(party: Any) -> str:
    """Names the party's current access code in its sessions without holding the code: a new code
    (new salt, new hash) changes it, which revokes the sessions opened with the old one."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("fapai.party-access", party.access_code_hash).hexdigest()[:32]


def party_session_valid(party_id: int | None, fingerprint: str | None) -> Any:
    """The party a case-file session was opened for, if its access code is still the one it used."""
    from django.utils.crypto import constant_time_compare

    from auction.models import Party

    if not party_id or not fingerprint:
        return None
    party = Party.objects.filter(pk=party_id).exclude(access_code_hash="").select_related("case__court").first()
    if party is None or not constant_time_compare(party_access_fingerprint(party), fingerprint):
        return None
    return party


def party_case_file(party: Any) -> dict[str, Any]:
    """What a party may see of its case (阳光司法): the case, its lots and public rounds with their
    results, every step of the case from the audit log (core.timeline) without names, and the sections
    the other apps register (core.case_file: reference price, distribution plan, payouts)."""
    from core import audit, case_file, timeline

    steps = [PartyStep(r.at, audit.action_label(r.action), str(TIMELINE_SUBJECTS.get(r.object_type, r.object_type)))
             for r in timeline.records(party.case_id)]
    lots = list(Lot.objects.filter(case_id=party.case_id).prefetch_related(
        Prefetch("rounds", queryset=AuctionRound.objects.filter(_public_q()).order_by("number"))).order_by("id"))
    return {"party": party, "case": party.case, "lots": lots, "steps": steps,
            "sections": case_file.sections(party)}
