"""Measure the comparable-sales estimator (valuation.estimator) honestly, on a synthetic market whose
price function is known.

    .venv/bin/python bench/valuation_eval.py            # the figures in docs/valuation.md
    .venv/bin/python bench/valuation_eval.py --quick    # a smaller run

The market: one city, six districts with fixed location effects; each sold flat has a floor area
(log-normal around 85 m²), a building year (0–35 years old) and a sale date spread over four years.
Its price per m² is

    exp(log 60,000 + district effect + 0.04·years since start − 0.008·age − 0.12·log(area / 85) + ε)
    ε ~ Normal(0, 0.12)  (12% idiosyncratic noise: condition, floor, view, bidding luck)

A "misspecified" market also breaks the estimator's assumptions (district-specific trends, a curved
age effect, heavy-tailed noise), so the figures are not flattered by a market built exactly like the
model. Subjects are held-out sales of the last year; each is estimated as of its own sale date from the
sales closed before that day, itself excluded, exactly as the app does for a lot. Reported: how
often the estimator abstains ("too few comparables"), the median absolute percentage error against
the realised sale price and against the noise-free market value, and how often the realised price
falls inside the 80% interval (its coverage), with the interval's median width. Printed as JSON and
as a Markdown table. Not part of the test run; tests/valuation/test_estimator.py runs the same code
on a tiny market."""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from valuation import estimator

CITY = "合成市"
DISTRICTS = {"中心区": 0.30, "东区": 0.12, "西区": 0.0, "南区": -0.08, "北区": -0.18, "新区": -0.30}
BASE_PPM2_FEN = 60_000 * 100
TREND_PER_YEAR = 0.04
AGE_PER_YEAR = -0.008
SIZE_ELASTICITY = -0.12
NOISE = 0.12
START = date(2022, 1, 1)
YEARS = 4.0


@dataclass(frozen=True)
class SyntheticSale:
    sale: estimator.Sale
    market_value_fen: int  # the noise-free price the known function gives


# The "misspecified" market breaks the estimator's assumptions: districts move at different speeds,
# the age effect is curved and the noise is heavy-tailed (Student t, 4 degrees of freedom).
DISTRICT_TRENDS = {"中心区": 0.10, "东区": 0.06, "西区": 0.04, "南区": 0.02, "北区": 0.0, "新区": -0.04}


def market_log_ppm2(district: str, sold_on: date, age: float, area: float, misspecified: bool = False) -> float:
    years = (sold_on - START).days / 365.25
    if misspecified:
        time_and_age = DISTRICT_TRENDS[district] * years - 0.018 * age + 0.0004 * age * age
    else:
        time_and_age = TREND_PER_YEAR * years + AGE_PER_YEAR * age
    return math.log(BASE_PPM2_FEN) + DISTRICTS[district] + time_and_age + SIZE_ELASTICITY * math.log(area / 85)


def _noise(rng: random.Random, misspecified: bool) -> float:
    if not misspecified:
        return rng.gauss(0, NOISE)
    t = rng.gauss(0, 1) / math.sqrt(rng.gammavariate(2.0, 2.0) / 4)  # Student t, 4 df, variance 2
    return t * NOISE / math.sqrt(2)


def synthetic_market(n: int, seed: int, districts: dict[str, float] | None = None,
                     misspecified: bool = False) -> list[SyntheticSale]:
    """`n` sales spread over four years across the districts (uniformly, or with the given weights)."""
    rng = random.Random(seed)
    weights = districts or {d: 1.0 for d in DISTRICTS}
    names, probs = list(weights), list(weights.values())
    sales = []
    for i in range(n):
        district = rng.choices(names, probs)[0]
        sold_on = START + timedelta(days=rng.randrange(int(YEARS * 365)))
        area = round(min(260.0, max(30.0, rng.lognormvariate(math.log(85), 0.35))), 2)
        built_year = sold_on.year - rng.randint(0, 35)
        age = float(sold_on.year - built_year)
        value = math.exp(market_log_ppm2(district, sold_on, age, area, misspecified)) * area
        price = value * math.exp(_noise(rng, misspecified))
        sale = estimator.Sale(ref=i + 1, lot_id=i + 1, title=f"{district}{i + 1}号", asset_type="real_estate",
                              city=CITY, district=district, area_m2=area, built_year=built_year,
                              price_fen=round(price / 100) * 100, sold_on=sold_on)
        sales.append(SyntheticSale(sale, round(value)))
    return sorted(sales, key=lambda s: (s.sale.sold_on, s.sale.ref))


def evaluate(market: list[SyntheticSale], subjects: int, seed: int) -> dict[str, Any]:
    """Estimate held-out sales of the last year from the sales before each one's date."""
    rng = random.Random(seed + 1)
    last_year = START + timedelta(days=int((YEARS - 1) * 365))
    candidates = [s for s in market if s.sale.sold_on >= last_year]
    chosen = rng.sample(candidates, min(subjects, len(candidates)))
    sales = [s.sale for s in market]
    errors, errors_value, widths = [], [], []
    covered = abstained = 0
    for target in chosen:
        t = target.sale
        subject = estimator.Subject(asset_type=t.asset_type, city=t.city, district=t.district, area_m2=t.area_m2,
                                    built_year=t.built_year, lot_id=t.lot_id)
        est = estimator.estimate(subject, sales, t.sold_on)
        if not est.ok:
            abstained += 1
            continue
        assert est.price_fen is not None and est.low_fen is not None and est.high_fen is not None
        errors.append(abs(est.price_fen - t.price_fen) / t.price_fen)
        errors_value.append(abs(est.price_fen - target.market_value_fen) / target.market_value_fen)
        covered += est.low_fen <= t.price_fen <= est.high_fen
        widths.append((est.high_fen - est.low_fen) / est.price_fen)
    estimated = len(errors)
    return {
        "sales": len(market),
        "subjects": len(chosen),
        "estimated": estimated,
        "abstain_rate": round(abstained / len(chosen), 4) if chosen else None,
        "mdape_vs_sale": round(statistics.median(errors), 4) if errors else None,
        "mdape_vs_market_value": round(statistics.median(errors_value), 4) if errors_value else None,
        "coverage_80": round(covered / estimated, 4) if estimated else None,
        "median_interval_width": round(statistics.median(widths), 4) if widths else None,
    }


UNEVEN = {"中心区": 3.0, "东区": 3.0, "西区": 3.0, "南区": 2.0, "北区": 1.0, "新区": 0.15}
SCENARIOS: dict[str, tuple[int, dict[str, float] | None, bool]] = {
    "thick (2,000 sales)": (2000, None, False),
    "medium (500 sales)": (500, None, False),
    "thin (120 sales)": (120, None, False),
    "very thin (40 sales)": (40, None, False),
    "uneven (500, few in 新区)": (500, UNEVEN, False),
    "misspecified (500 sales)": (500, None, True),
}


def run(subjects: int, seeds: list[int]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, (n, weights, misspecified) in SCENARIOS.items():
        runs = [evaluate(synthetic_market(n, seed, weights, misspecified), subjects, seed) for seed in seeds]
        merged: dict[str, Any] = {"runs": len(runs), "sales": n}
        for key in ("subjects", "estimated"):
            merged[key] = sum(r[key] for r in runs)
        for key in ("abstain_rate", "mdape_vs_sale", "mdape_vs_market_value", "coverage_80",
                    "median_interval_width"):
            values = [r[key] for r in runs if r[key] is not None]
            merged[key] = round(statistics.mean(values), 4) if values else None
        results[name] = merged
    return results


def markdown(results: dict[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    lines = ["| market | subjects | abstained | MdAPE vs sale price | MdAPE vs market value | 80% interval coverage "
             "| median interval width |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['subjects']} | {pct(r['abstain_rate'])} | {pct(r['mdape_vs_sale'])} | "
                     f"{pct(r['mdape_vs_market_value'])} | {pct(r['coverage_80'])} | "
                     f"{pct(r['median_interval_width'])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer subjects and seeds")
    args = parser.parse_args()
    subjects, seeds = (60, [1]) if args.quick else (300, [1, 2, 3, 4, 5])
    started = time.monotonic()
    results = run(subjects, seeds)
    print(json.dumps({"subjects_per_run": subjects, "seeds": seeds, "noise_sd": NOISE,
                      "seconds": round(time.monotonic() - started, 1), "results": results},
                     ensure_ascii=False, indent=2))
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
