"""Dates for the demo: each lot's story is placed relative to "now" so that, replayed in order
through the services, every step is lawful on the day it happens. The last round of a lot is
anchored (bidding starts N days from today, or ends within the hour); every earlier step is placed
before it with the same period arithmetic the services check (core.days, auction.rules), so
weekends and holidays move the dates the way they would move a court's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from auction import rules
from auction.demo.data import DRAFT, LIVE, PANEL_APPROVED, STOPS, TAKEN_IN_LIEU, LotSpec, RoundSpec
from core import clock, days

LIVE_ENDS_AFTER = timedelta(minutes=35)  # then rounded up to 5 minutes: the live round ends in 35–40 min
FIRST_NOTICE_MARGIN = 3  # courts publish a first notice a few days before the legal minimum


class PlanError(RuntimeError):
    """The demo's story cannot be placed lawfully around this date."""


@dataclass(frozen=True)
class RoundPlan:
    created: datetime
    panel: datetime | None
    notified: datetime | None
    published: datetime | None
    start: datetime
    end: datetime
    stop: datetime | None  # stay, suspension, withdrawal, termination or taking in lieu


@dataclass(frozen=True)
class LotPlan:
    seized_on: date
    created: datetime
    photographed: datetime
    priced: datetime
    valid_until: date
    rounds: tuple[RoundPlan, ...]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.SHANGHAI)


def working_on_or_before(day: date) -> date:
    while days.is_rest_day(day):
        day -= timedelta(days=1)
    return day


def previous_working_day(day: date) -> date:
    return working_on_or_before(day - timedelta(days=1))


def kind_of(index: int) -> str:
    return ("first", "second", "sell_off")[index]


def latest_publication(start: datetime, kind: str, nature: str, margin: int) -> date:
    """The last working day on which a notice still gives the full notice period (WP arts.12, 26)."""
    first_day = clock.local_date(start)
    period = rules.notice_days(kind, nature)
    day = first_day - timedelta(days=period + margin)
    while True:
        day = working_on_or_before(day)
        if days.period_end(day, period) <= first_day:
            return day
        day -= timedelta(days=1)


def latest_notification(published: date, posting: bool) -> date:
    """The last working day to notify parties so the notice may go out on `published` (WP art.16):
    3 days after service, or 5 + 3 days after a public posting."""
    day = published - timedelta(days=rules.NOTIFY_BEFORE_NOTICE_DAYS)
    while True:
        day = working_on_or_before(day)
        ready = days.period_end(day, rules.NOTIFY_BEFORE_NOTICE_DAYS)
        if posting:
            ready = days.period_end(days.period_end(day, rules.POSTING_DEEMED_AFTER_DAYS),
                                    rules.NOTIFY_BEFORE_NOTICE_DAYS)
        if ready <= published:
            return day
        day -= timedelta(days=1)


def _window(start: datetime, kind: str) -> datetime:
    if kind == "sell_off":
        return start + rules.SELL_OFF_PERIOD
    return start + rules.MIN_BIDDING_PERIOD


def _anchor(spec: RoundSpec, now: datetime, today: date) -> datetime:
    if spec.outcome == LIVE:
        end = now + LIVE_ENDS_AFTER
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=(-end.minute) % 5)
        return end - rules.MIN_BIDDING_PERIOD
    if spec.start_day is None:
        raise PlanError(f"the last round ({spec.outcome}) needs a start_day")
    return at(today + timedelta(days=spec.start_day), 10)


def _unpublished(spec: RoundSpec, start: datetime, today: date) -> RoundPlan:
    """A draft made yesterday, or a round the panel approved and whose parties were notified, but
    whose notice is not out yet."""
    end = start + timedelta(hours=spec.hours)
    if spec.outcome == DRAFT:
        return RoundPlan(at(working_on_or_before(today - timedelta(days=1)), 15, 30), None, None, None, start, end,
                         None)
    notified = working_on_or_before(today - timedelta(days=2))
    panel = previous_working_day(notified)
    return RoundPlan(at(previous_working_day(panel), 9, 30), at(panel, 15), at(notified, 10), None, start, end, None)


def plan_lot(spec: LotSpec, now: datetime) -> LotPlan:
    """Place every step of a lot's story. Rounds are planned from the last one backwards: a round
    that failed ends on the morning of the day its successor is prepared."""
    today = clock.local_date(now)
    nature = spec.fields.get("nature") or {"real_estate": "immovable", "equity": "right"}.get(
        spec.fields["asset_type"], "movable")
    posting = bool(spec.unreachable)
    plans: list[RoundPlan] = []
    start = _anchor(spec.rounds[-1], now, today)
    for index in range(len(spec.rounds) - 1, -1, -1):
        rspec, kind = spec.rounds[index], kind_of(index)
        if index < len(spec.rounds) - 1:  # this round failed the morning its successor was prepared
            failed_on = clock.local_date(plans[0].created)
            start = at(failed_on, 10) - rules.MIN_BIDDING_PERIOD
        if rspec.outcome in (DRAFT, PANEL_APPROVED):
            plans.insert(0, _unpublished(rspec, start, today))
            continue
        end = _window(start, kind) if rspec.hours == 24 else start + timedelta(hours=rspec.hours)
        published = latest_publication(start, kind, nature, FIRST_NOTICE_MARGIN if index == 0 else 0)
        notified = latest_notification(published, posting)
        if index == 0:
            panel = previous_working_day(notified)
            created = at(previous_working_day(panel), 9, 30)
            times = (created, at(panel, 15), at(notified, 10))
        else:  # prepared on the day the previous round failed, right after it closed
            times = (at(notified, 14), at(notified, 15), at(notified, 16))
            _check_window(kind, notified, start, published)
        stop = None
        if rspec.outcome in (*STOPS, TAKEN_IN_LIEU):
            if rspec.stop_day is None:
                raise PlanError(f"{spec.key}: a {rspec.outcome} round needs a stop_day")
            stop = at(working_on_or_before(today + timedelta(days=rspec.stop_day)), 10, 30)
            # A stop happens while the round is announced; taking in lieu after it failed.
            after, before = (end, now) if rspec.outcome == TAKEN_IN_LIEU else (at(published, 9), start)
            if not after < stop < before:
                raise PlanError(f"{spec.key}: the {rspec.outcome} step falls outside the time the round allows it")
        plans.insert(0, RoundPlan(*times, at(published, 9), start, end, stop))
    first_created = clock.local_date(plans[0].created)
    priced_on = working_on_or_before(first_created - timedelta(days=6))
    created_on = working_on_or_before(priced_on - timedelta(days=25))
    return LotPlan(
        seized_on=created_on - timedelta(days=8),
        created=at(created_on, 10, 30),
        photographed=at(created_on + timedelta(days=2), 14, 30),
        priced=at(priced_on, 16),
        valid_until=rules.reference_validity_limit(priced_on) - timedelta(days=1),
        rounds=tuple(plans),
    )


def _check_window(kind: str, prepared_on: date, start: datetime, published: date) -> None:
    """WP art.26: the second auction within 30 days of the failed first; the sell-off notice within
    15 days of the failed second."""
    if kind == "second" and clock.local_date(start) > days.period_end(prepared_on, rules.SECOND_ROUND_WITHIN_DAYS):
        raise PlanError(f"a second auction prepared on {prepared_on} cannot start on {start:%Y-%m-%d}")
    if kind == "sell_off" and published > days.period_end(prepared_on, rules.SELL_OFF_NOTICE_WITHIN_DAYS):
        raise PlanError(f"a sell-off prepared on {prepared_on} cannot be published on {published}")


def case_filed_on(lot_plans: list[LotPlan]) -> date:
    """A case is filed a month before its first seizure."""
    return working_on_or_before(min(p.seized_on for p in lot_plans) - timedelta(days=30))


def judgment_date(filed_on: date) -> date:
    """The judgment being enforced took effect some weeks before the enforcement case was filed."""
    return working_on_or_before(filed_on - timedelta(days=75))
