"""Fixtures of the valuation tests. The clock is frozen at T0 (Monday 2 March 2026, 10:00 Beijing);
a lot seized 10 days earlier has no reference price yet. Helpers drive a valuation to any method
through the services, recording the skips the law requires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from auction.models import Lot, Party
from core import clock
from core.errors import RuleViolation
from tests import builders
from valuation import services
from valuation.models import Agency, Delivery, MethodStep, Report, Valuation

M = Lot.ReferenceMethod
G = MethodStep.Ground
ALL_DONE = {key: True for key, _label in services.INVESTIGATION_ITEMS}
# The skip grounds a test uses to reach a later method.
SKIP_TO = {M.NEGOTIATION: G.PARTY_REFUSES, M.DIRECTED_INQUIRY: G.NO_GOVERNMENT_PRICE,
           M.ONLINE_INQUIRY: G.INSPECTION_NEEDED}


def rule_codes(exc: RuleViolation) -> list[str]:
    return list(getattr(exc, "codes", [exc.rule_code]))


def unpriced_lot(case_obj: Any, **extra: Any) -> Lot:
    values: dict[str, Any] = {
        "reference_price_fen": None, "reference_method": "", "reference_fixed_on": None,
        "reference_valid_until": None, "reference_note": "", "seized_on": clock.today() - timedelta(days=10),
        "area_m2": Decimal("89.50"), "built_year": 2008,
    }
    values.update(extra)
    return builders.lot(case_obj, **values)


@pytest.fixture
def lot_obj(frozen: clock.FrozenClock, court: builders.Court) -> Lot:
    return unpriced_lot(builders.case(court))


@pytest.fixture
def opened(clerk: builders.User, lot_obj: Lot) -> Valuation:
    valuation = services.valuation_open(actor=clerk, lot=lot_obj)
    return services.valuation_record_investigation(actor=clerk, valuation=valuation, items=ALL_DONE)


def reach(valuation: Valuation, actor: Any, method: str) -> Valuation:
    """Skip every method before `method` on a lawful ground and start it."""
    for earlier in services.CASCADE[:services.CASCADE.index(M(method))]:
        services.method_skip(actor=actor, valuation=valuation, method=earlier, ground=SKIP_TO[earlier],
                             reason="测试")
    services.method_start(actor=actor, valuation=valuation, method=method)
    return Valuation.objects.get(pk=valuation.pk)


@pytest.fixture
def at_method(opened: Valuation, clerk: builders.User) -> Callable[[str], Valuation]:
    return lambda method: reach(opened, clerk, method)


def parties(valuation: Valuation) -> list[Party]:
    return list(valuation.lot.case.parties.order_by("id"))


def deliver_all(valuation: Valuation, actor: Any, on: date | None = None,
                method: str = Delivery.Method.SERVED) -> None:
    for party in parties(valuation):
        services.reports_deliver(actor=actor, valuation=valuation, party=party, method=method,
                                 delivered_on=on or clock.today(), proof="送达回证")


def platform_reports(valuation: Valuation) -> list[Report]:
    return list(valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY).order_by("id"))


def agencies(n: int = 5, specialty: str = Agency.Specialty.REAL_ESTATE, province: str = "北京市",
             city: str = "北京市") -> list[Agency]:
    start = Agency.objects.count()
    return [Agency.objects.create(name=f"评估机构{start + i + 1}号", specialty=specialty, province=province, city=city)
            for i in range(n)]


@pytest.fixture
def codes() -> Callable[[RuleViolation], list[str]]:
    return rule_codes
