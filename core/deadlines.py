"""Deadlines across the whole flow, for the court console. Each app registers a provider in its
AppConfig.ready(); a provider returns the open deadlines of the given courts. core knows none of the
rules: each deadline is computed, with its article, by the app that owns it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core import clock


@dataclass(frozen=True)
class Due:
    kind: str  # a stable key per kind of deadline (e.g. "deposit_release")
    label: str  # what has to happen, for people
    article: str  # where the rule comes from
    due: datetime  # aware: the moment it becomes overdue
    subject: str  # the case number and lot or round it concerns
    url: str  # the staff page where it is done
    court_id: int

    def seconds_left(self, now: datetime) -> float:
        return (self.due - now).total_seconds()


Provider = Callable[[list[int], datetime], Iterable[Due]]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def end_of(day: date) -> datetime:
    """A deadline given as a day ends when the day ends (local time)."""
    return clock.local_midnight(day + timedelta(days=1))


def collect(court_ids: list[int], now: datetime) -> list[Due]:
    """Every open deadline of these courts, soonest (or most overdue) first."""
    out: list[Due] = []
    for _name, provider in sorted(_providers.items()):
        out.extend(provider(court_ids, now))
    return sorted(out, key=lambda d: (d.due, d.kind, d.subject))
