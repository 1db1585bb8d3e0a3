"""Periodic jobs run by `python manage.py run_clock`. Each app registers its jobs in
AppConfig.ready(); a higher app may replace a lower app's job under the same name (bidding replaces
"rounds.close" so that closing also settles deposits). Every job must be idempotent: several clocks
may run at once and a crashed clock is simply restarted.

A tick runs the jobs in registration order, which is the apps' dependency order (INSTALLED_APPS:
auction, valuation, settlement, bidding), so what one job makes due is done by a later job of the same
tick: a round the clock opens late is closed, settled and screened at once, and the next tick finds
nothing left (alphabetical order ran "rounds.close" before "rounds.open" and screening before both)."""

from __future__ import annotations

from collections.abc import Callable

Job = Callable[[], int]  # returns the number of objects it changed
_jobs: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    _jobs[name] = job


def registered() -> dict[str, Job]:
    return dict(_jobs)


def run_all() -> dict[str, int]:
    return {name: job() for name, job in list(_jobs.items())}
