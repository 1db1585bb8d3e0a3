"""Staff-side reads: what court staff, panel judges, finance staff and supervisors see of their
courts' cases, and the figures the staff pages show next to their inputs. Nothing here writes and
nothing returns a bidder's identity (bidder codes only, WP art.18)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from auction import rules, services
from auction.models import AuctionRound, Case, Court, Lot, PriorityHolder
from auction.selectors import courts_of
from core import audit, clock, days, deadlines
from core.deadlines import Due
from core.errors import PermissionDenied
from core.money import floor_ratio
from core.roles import Role, has_role

S = AuctionRound.Status
K = AuctionRound.Kind
STOP_ACTIONS = {
    "stay": S.STAYED,
    "suspend": S.SUSPENDED,
    "withdraw": S.WITHDRAWN,
    "terminate": S.TERMINATED,
}
# Bidding normally starts at 10:00 Beijing time, a working-hours start that gives people the day.
DEFAULT_START_HOUR = 10
DEFAULT_DEPOSIT_PERCENT = 10


# --- who sees and who acts ------------------------------------------------------------------------


def visible_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(court__in=courts_of(user)).select_related("court")


def visible_lots(user: Any) -> QuerySet[Lot]:
    return Lot.objects.filter(case__court__in=courts_of(user)).select_related("case__court")


def visible_rounds(user: Any) -> QuerySet[AuctionRound]:
    return AuctionRound.objects.filter(lot__case__court__in=courts_of(user)).select_related(
        "lot__case__court", "previous_round")


def visible_priority_holders(user: Any) -> QuerySet[PriorityHolder]:
    return PriorityHolder.objects.filter(lot__case__court__in=courts_of(user)).select_related("lot__case__court")


def can_act(user: Any, court: Court, *, panel: bool = False) -> bool:
    """Whether the services would let this user write for this court (services.check_court_staff)."""
    try:
        services.check_court_staff(user, court, panel=panel)
    except PermissionDenied:
        return False
    return True


def acting_courts(user: Any) -> QuerySet[Court]:
    """The courts for which the user may open cases: their own courts, if they are court staff."""
    if not has_role(user, Role.COURT_STAFF, Role.PANEL):
        return Court.objects.none()
    return Court.objects.filter(memberships__user=user)


# --- dashboard ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    round: AuctionRound
    notice_ready_on: date | None
    days_left: int | None


@dataclass(frozen=True)
class StatusGroup:
    status: str
    label: str
    rows: list[DashboardRow] = field(default_factory=list)


def dashboard_groups(user: Any, today: date) -> list[StatusGroup]:
    """The user's courts' rounds grouped by status, in the order of the round's life."""
    rounds = (
        visible_rounds(user)
        .prefetch_related("notifications", "lot__case__parties", "lot__priority_holders")
        .order_by("bidding_start", "pk")
    )
    by_status: dict[str, list[DashboardRow]] = {}
    for rnd in rounds:
        ready = notice_ready_on(rnd, today) if rnd.status in (S.DRAFT, S.PANEL_APPROVED) else None
        by_status.setdefault(rnd.status, []).append(DashboardRow(rnd, ready, days_left(rnd, today)))
    return [StatusGroup(status, str(label), by_status[status]) for status, label in S.choices if status in by_status]


def days_left(rnd: AuctionRound, today: date) -> int | None:
    """Days to the next date that matters: bidding start before bidding, the effective end during it."""
    if rnd.status in (S.DRAFT, S.PANEL_APPROVED, S.ANNOUNCED):
        return days.days_left(clock.local_date(rnd.bidding_start), today)
    if rnd.status == S.BIDDING:
        return days.days_left(clock.local_date(rnd.effective_end), today)
    return None


def dashboard_cases(user: Any) -> QuerySet[Case]:
    return visible_cases(user).annotate(lot_count=Count("lots")).order_by("-created_at", "-pk")


def notice_ready_on(rnd: AuctionRound, today: date) -> date | None:
    return services.notification_ready_on(rnd, today)


# --- case, lot and round pages --------------------------------------------------------------------


def case_page(case: Case) -> Case:
    return (
        Case.objects.select_related("court")
        .prefetch_related("parties", "claims__creditor", "claims__secured_lot",
                          Prefetch("lots", queryset=Lot.objects.annotate(round_count=Count("rounds"))))
        .get(pk=case.pk)
    )


def lot_page(lot: Lot) -> Lot:
    return (
        Lot.objects.select_related("case__court")
        .prefetch_related("photos", "attachments", "encumbrances", "leases", "tax_allocations", "priority_holders",
                          Prefetch("rounds", queryset=AuctionRound.objects.order_by("number")))
        .get(pk=lot.pk)
    )


def can_create_first_round(lot: Lot) -> bool:
    """A first round is prepared only on a lot whose earlier rounds were all withdrawn or
    terminated; after a failed round the next one is created from that round (services.round_create)."""
    return not lot.rounds.exclude(status__in=[S.WITHDRAWN, S.TERMINATED]).exists()


def round_actions(rnd: AuctionRound) -> dict[str, bool]:
    """Which action forms the round page offers in the round's current status (the transition
    table decides; the services check again on submit)."""
    targets = services.ROUND_TRANSITIONS.targets(rnd.status)
    stopped = rnd.status in (S.STAYED, S.SUSPENDED)
    actions = {name: target in targets for name, target in STOP_ACTIONS.items()}
    actions.update({
        "edit": rnd.status in (S.DRAFT, S.PANEL_APPROVED),
        "notify": rnd.status in (S.DRAFT, S.PANEL_APPROVED),
        "panel": S.PANEL_APPROVED in targets,
        "publish": S.ANNOUNCED in targets and not stopped,
        "resume": stopped,
        "take_in_lieu": S.TAKEN_IN_LIEU in targets,
        "next_round": (rnd.status == S.FAILED and rnd.kind != K.SELL_OFF
                       and not services.live_next_rounds(rnd).exists()),
    })
    return actions


@dataclass(frozen=True)
class RoundHints:
    """The lawful bounds shown next to the round form's inputs."""

    kind: str
    reference_fen: int | None
    previous_start_fen: int | None
    min_start_fen: int | None
    deposit_base_fen: int | None
    deposit_low_fen: int | None
    deposit_high_fen: int | None
    notice_days: int | None
    earliest_bidding_on: date | None


def round_hints(lot: Lot, kind: str, previous: AuctionRound | None, start_fen: int | None,
                today: date) -> RoundHints:
    """Lowest lawful start (70% of the reference price, WP art.10; 80% of the previous start,
    WP art.26; a sell-off at the previous start), the deposit range for `start_fen` or else for
    the lowest start (5–20%, WP art.17), and the earliest bidding day if the notice were
    published today (WP arts.12, 26; CPL art.85)."""
    previous_start = previous.start_price_fen if previous is not None else None
    min_start: int | None = None
    if kind == K.FIRST and lot.reference_price_fen:
        min_start = rules.min_first_start(lot.reference_price_fen)
    elif kind == K.SECOND and previous_start:
        min_start = rules.min_second_start(previous_start)
    elif kind == K.SELL_OFF:
        min_start = previous_start
    base = start_fen if start_fen and start_fen > 0 else min_start
    low = high = None
    if base and kind != K.SELL_OFF:
        low, high = rules.deposit_bounds(base)
    elif base:
        low = high = base
    notice = rules.notice_days(kind, lot.nature) if lot.nature else None
    earliest = days.period_end(today, notice) if notice is not None else None
    return RoundHints(kind, lot.reference_price_fen, previous_start, min_start, base, low, high, notice, earliest)


def suggested_terms(lot: Lot, kind: str, previous: AuctionRound | None, today: date) -> dict[str, Any]:
    """Initial values of a new round's form: bidding from the earliest lawful day at 10:00 for 24
    hours (a sell-off for its 60 days); for a next round the lowest lawful start with a 10% deposit
    (a sell-off: the previous start, fully prepaid) and the previous round's texts."""
    hints = round_hints(lot, kind, previous, None, today)
    initial: dict[str, Any] = {}
    if hints.earliest_bidding_on is not None:
        start: datetime = clock.local_midnight(hints.earliest_bidding_on) + timedelta(hours=DEFAULT_START_HOUR)
        period = rules.SELL_OFF_PERIOD if kind == K.SELL_OFF else rules.MIN_BIDDING_PERIOD
        initial.update(bidding_start=start, bidding_end=start + period)
    if previous is None:
        return initial
    if hints.min_start_fen:
        initial["start_price"] = hints.min_start_fen
        initial["deposit"] = (hints.min_start_fen if kind == K.SELL_OFF
                              else floor_ratio(hints.min_start_fen, DEFAULT_DEPOSIT_PERCENT, 100))
    initial["increment"] = previous.increment_fen
    initial.update({name: getattr(previous, name) for name in services.TEXT_FIELDS})
    return initial


# --- round history ---------------------------------------------------------------------------------


def round_history(rnd: AuctionRound) -> list[audit.ShownRecord]:
    """The round's audit records, newest first, in the reader's language (core.audit)."""
    return [audit.describe(rec) for rec in audit.history(rnd).select_related("actor").order_by("-position")]


def in_lieu_terms(rnd: AuctionRound) -> dict[str, int] | None:
    """The amounts recorded when a creditor took the lot in lieu of payment (PB art.16)."""
    rec = audit.history(rnd).filter(action="round.in_lieu_terms").order_by("-position").first()
    return dict(rec.after) if rec is not None else None


@dataclass(frozen=True)
class DeadlineRow:
    due: Due
    seconds_left: float

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def soon(self) -> bool:
        return 0 <= self.seconds_left < 2 * 86400

    @property
    def left(self) -> str:
        """"3 d 4 h" to go, or how long overdue."""
        seconds = abs(int(self.seconds_left))
        d, h = seconds // 86400, seconds % 86400 // 3600
        text = _("%(d)s d %(h)s h") % {"d": d, "h": h} if d else _("%(h)s h %(m)s min") % {
            "h": h, "m": seconds % 3600 // 60}
        return str(_("overdue by %(t)s") % {"t": text}) if self.overdue else str(text)


def deadline_rows(user: Any, now: datetime) -> list[DeadlineRow]:
    court_ids = list(courts_of(user).values_list("pk", flat=True))
    return [DeadlineRow(d, d.seconds_left(now)) for d in deadlines.collect(court_ids, now)]


@dataclass(frozen=True)
class TimelineStep:
    shown: audit.ShownRecord  # time, actor, action and changes in the reader's language
    subject: str


def case_timeline(case: Case) -> list[TimelineStep]:
    """The case's audit records (core.timeline) as steps in the reader's language."""
    from auction.selectors import TIMELINE_SUBJECTS
    from core import timeline

    return [TimelineStep(audit.describe(r), f"{TIMELINE_SUBJECTS.get(r.object_type, r.object_type)} #{r.object_id}")
            for r in timeline.records(case.pk)]
