"""The comparable-sales estimator: an independent check of an inquiry or appraisal result against the
marketplace's own closed sales. It is NOT a legal inquiry platform (RP art.8) and its figure never
becomes the reference price; it is shown next to the legal results, which are flagged when they fall
outside its interval. Pure functions on plain data, so bench/valuation_eval.py runs exactly this code.

Model (documented in docs/valuation.md):

1. Pool: sales of the same asset type in the same city with a floor area, in the `LOOKBACK_YEARS`
   before the valuation date, the subject itself excluded. The unit is the price per m².
2. Market model fitted on the pool (ridge-regularised least squares):
       log(price per m²) = district effect + trend × years + age effect × age + size effect × log(area)
   It gives the time index (trend), the age and size adjustments and the district differences. With
   fewer than `MIN_FIT` sales the adjustments are zero (the comparables are used as they are).
3. Comparables: pool sales within ×/÷1.5 of the subject's area and 10 years of its age, scored by
   closeness in size, age, time and district; sales in the subject's district are used alone when
   there are at least `MIN_COMPARABLES` of them, otherwise the whole city with the district
   adjustment. The best `MAX_COMPARABLES` are kept.
4. Each comparable's price per m² is moved to the subject (time, age, size, district) on the log
   scale; the estimate is the geometric mean times the subject's area, and the interval is an 80%
   prediction interval from their spread: mean ± t(0.90, n−1) · s · √(1 + 1/n).
5. Fewer than `MIN_COMPARABLES` comparables, or no floor area: no estimate, and it says so.

Statistics use floats on log prices; the results are whole yuan in integer fen."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

LOOKBACK_YEARS = 3
MIN_FIT = 12
MIN_COMPARABLES = 5
MAX_COMPARABLES = 12
AREA_RATIO_MAX = 1.5
AGE_GAP_MAX = 10
INTERVAL_LEVEL = 0.80
RIDGE = 0.5
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Sale:
    """One closed sale: the price is the final bid of a sold round, the date its end."""

    ref: int
    lot_id: int
    title: str
    asset_type: str
    city: str
    district: str
    area_m2: float
    built_year: int | None
    price_fen: int
    sold_on: date


@dataclass(frozen=True)
class Subject:
    asset_type: str
    city: str
    district: str
    area_m2: float | None
    built_year: int | None
    lot_id: int | None = None


@dataclass(frozen=True)
class Comparable:
    sale: Sale
    same_district: bool
    adjusted_price_fen: int  # the comparable's price per m² moved to the subject, times its area


@dataclass(frozen=True)
class Estimate:
    ok: bool
    reason: str  # "ok", "no_area", "too_few"
    price_fen: int | None = None
    low_fen: int | None = None
    high_fen: int | None = None
    comparables: list[Comparable] = field(default_factory=list)
    found: int = 0
    needed: int = MIN_COMPARABLES
    level: float = INTERVAL_LEVEL

    def check(self, price_fen: int) -> str:
        """"below", "above" or "within" the interval; "unknown" without an estimate."""
        if not self.ok or self.low_fen is None or self.high_fen is None:
            return "unknown"
        if price_fen < self.low_fen:
            return "below"
        if price_fen > self.high_fen:
            return "above"
        return "within"


@dataclass(frozen=True)
class MarketModel:
    trend: float = 0.0
    age: float = 0.0
    size: float = 0.0
    districts: dict[str, float] = field(default_factory=dict)

    def district_effect(self, district: str) -> float | None:
        return self.districts.get(district)


def _years_before(sold_on: date, as_of: date) -> float:
    return (sold_on - as_of).days / DAYS_PER_YEAR


def _age(built_year: int | None, on: date) -> float | None:
    return None if built_year is None else max(0.0, float(on.year - built_year))


def fit_market(sales: Sequence[Sale], as_of: date, use_age: bool) -> MarketModel:
    """Ridge least squares of log price per m² on district, time, age and log area. The intercept
    and the district effects are shrunk towards the city mean; slopes are lightly regularised."""
    rows = [s for s in sales if not use_age or s.built_year is not None]
    if len(rows) < MIN_FIT:
        return MarketModel()
    districts = sorted({s.district for s in rows})
    y = np.array([math.log(s.price_fen / s.area_m2) for s in rows])
    continuous = [[_years_before(s.sold_on, as_of), (_age(s.built_year, s.sold_on) or 0.0) if use_age else 0.0,
                   math.log(s.area_m2)] for s in rows]
    cont = np.array(continuous)
    means = cont.mean(axis=0)
    cont = cont - means
    dummies = np.array([[1.0 if s.district == d else 0.0 for d in districts] for s in rows])
    x = np.hstack([np.ones((len(rows), 1)), dummies, cont])
    penalty = np.diag([0.0] + [RIDGE] * len(districts) + [1e-3, 1e-3, 1e-3])
    beta = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    trend, age, size = (float(b) for b in beta[-3:])
    effects = {d: float(beta[1 + i]) for i, d in enumerate(districts)}
    return MarketModel(trend=trend, age=age if use_age else 0.0, size=size, districts=effects)


def _score(subject: Subject, sale: Sale, as_of: date, subject_age: float | None) -> float:
    assert subject.area_m2 is not None
    size = abs(math.log(sale.area_m2 / subject.area_m2)) / math.log(AREA_RATIO_MAX)
    sale_age = _age(sale.built_year, sale.sold_on)
    age = abs(subject_age - sale_age) / AGE_GAP_MAX if subject_age is not None and sale_age is not None else 0.5
    recent = abs(_years_before(sale.sold_on, as_of)) / LOOKBACK_YEARS
    return size + age + recent + (0.0 if sale.district == subject.district else 0.5)


def _similar(subject: Subject, sale: Sale, subject_age: float | None) -> bool:
    assert subject.area_m2 is not None
    if abs(math.log(sale.area_m2 / subject.area_m2)) > math.log(AREA_RATIO_MAX):
        return False
    sale_age = _age(sale.built_year, sale.sold_on)
    return subject_age is None or sale_age is None or abs(subject_age - sale_age) <= AGE_GAP_MAX


def estimate(subject: Subject, sales: Sequence[Sale], as_of: date) -> Estimate:
    """The estimate for `subject` on `as_of` from the sales closed before that day."""
    if subject.area_m2 is None or subject.area_m2 <= 0:
        return Estimate(ok=False, reason="no_area")
    oldest = as_of.toordinal() - LOOKBACK_YEARS * DAYS_PER_YEAR
    pool = [s for s in sales
            if s.asset_type == subject.asset_type and s.city == subject.city and s.area_m2 > 0
            and s.price_fen > 0 and s.sold_on < as_of and s.sold_on.toordinal() >= oldest
            and (subject.lot_id is None or s.lot_id != subject.lot_id)]
    subject_age = _age(subject.built_year, as_of)
    model = fit_market(pool, as_of, use_age=subject_age is not None)
    similar = [s for s in pool if _similar(subject, s, subject_age)]
    local = [s for s in similar if s.district == subject.district]
    chosen = local if len(local) >= MIN_COMPARABLES else similar
    chosen = sorted(chosen, key=lambda s: (_score(subject, s, as_of, subject_age), s.ref))[:MAX_COMPARABLES]
    if len(chosen) < MIN_COMPARABLES:
        return Estimate(ok=False, reason="too_few", found=len(chosen))
    subject_effect = model.district_effect(subject.district)
    logs: list[float] = []
    comparables: list[Comparable] = []
    for s in chosen:
        z = math.log(s.price_fen / s.area_m2)
        z += model.trend * (0.0 - _years_before(s.sold_on, as_of))
        sale_age = _age(s.built_year, s.sold_on)
        if subject_age is not None and sale_age is not None:
            z += model.age * (subject_age - sale_age)
        z += model.size * (math.log(subject.area_m2) - math.log(s.area_m2))
        sale_effect = model.district_effect(s.district)
        if s.district != subject.district and subject_effect is not None and sale_effect is not None:
            z += subject_effect - sale_effect
        logs.append(z)
        comparables.append(Comparable(s, s.district == subject.district, _fen(z, subject.area_m2)))
    n = len(logs)
    centre = sum(logs) / n
    spread = math.sqrt(sum((v - centre) ** 2 for v in logs) / (n - 1))
    from scipy import stats  # ~2.5 s to import: only when an interval is computed, not at every start

    half = float(stats.t.ppf(0.5 + INTERVAL_LEVEL / 2, n - 1)) * spread * math.sqrt(1 + 1 / n)
    return Estimate(ok=True, reason="ok", price_fen=_fen(centre, subject.area_m2),
                    low_fen=_fen(centre - half, subject.area_m2), high_fen=_fen(centre + half, subject.area_m2),
                    comparables=comparables, found=n)


def _fen(log_price_per_m2: float, area_m2: float) -> int:
    """Whole yuan, in fen: an estimate has no meaningful fen."""
    return round(math.exp(log_price_per_m2) * area_m2 / 100) * 100
