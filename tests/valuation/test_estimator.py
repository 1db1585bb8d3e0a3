"""The comparable-sales estimator: on a small synthetic market with a known price function (the
benchmark's own code) it finds comparables, gives an interval that covers most sale prices and
abstains with too few comparables; on the database it learns from sold rounds only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from auction.models import AuctionRound, Lot
from bench import valuation_eval
from core import clock
from tests import builders
from tests.valuation.conftest import unpriced_lot
from valuation import estimator, selectors


def subject_like(sale: estimator.Sale, **changes: object) -> estimator.Subject:
    values = {"asset_type": sale.asset_type, "city": sale.city, "district": sale.district, "area_m2": sale.area_m2,
              "built_year": sale.built_year, "lot_id": sale.lot_id}
    values.update(changes)
    return estimator.Subject(**values)  # type: ignore[arg-type]


def test_on_a_small_synthetic_market_it_is_accurate_and_honest() -> None:
    market = valuation_eval.synthetic_market(300, seed=7)
    result = valuation_eval.evaluate(market, subjects=40, seed=7)
    assert result["estimated"] >= 35
    # The noise alone puts the median error near 8% against the sale price; the market value is
    # recovered much better, and the 80% interval covers roughly 80% of the sale prices.
    assert result["mdape_vs_sale"] < 0.14
    assert result["mdape_vs_market_value"] < 0.08
    assert 0.6 <= result["coverage_80"] <= 0.97


def test_it_uses_recent_similar_sales_of_the_same_district_first() -> None:
    market = [s.sale for s in valuation_eval.synthetic_market(400, seed=3)]
    target = market[-1]
    est = estimator.estimate(subject_like(target), market, target.sold_on)
    assert est.ok and est.price_fen is not None and est.low_fen is not None and est.high_fen is not None
    assert est.low_fen < est.price_fen < est.high_fen
    assert 5 <= len(est.comparables) <= estimator.MAX_COMPARABLES
    assert all(c.same_district and c.sale.district == target.district for c in est.comparables)
    assert all(c.sale.sold_on < target.sold_on and c.sale.lot_id != target.lot_id for c in est.comparables)
    assert all(abs(c.sale.area_m2 / target.area_m2 - 1) <= 0.5 for c in est.comparables)
    assert est.check(est.low_fen - 100) == "below" and est.check(est.high_fen + 100) == "above"
    assert est.check(est.price_fen) == "within"


def test_it_says_plainly_when_it_has_too_few_comparables() -> None:
    market = [s.sale for s in valuation_eval.synthetic_market(12, seed=5)]
    target = market[-1]
    est = estimator.estimate(subject_like(target), market, target.sold_on)
    assert not est.ok and est.reason == "too_few" and est.found < estimator.MIN_COMPARABLES
    assert est.price_fen is None and est.check(1) == "unknown"
    assert estimator.estimate(subject_like(target, area_m2=None), market, target.sold_on).reason == "no_area"
    assert estimator.estimate(subject_like(target, city="别处"), market, target.sold_on).reason == "too_few"


@pytest.mark.django_db
def test_the_provider_learns_from_sold_rounds_of_the_marketplace(frozen: clock.FrozenClock,
                                                                 court: builders.Court) -> None:
    case = builders.case(court)
    subject = unpriced_lot(case, area_m2=Decimal("90.00"), built_year=2010)
    sold_ids = []
    for i, (area, price_yuan) in enumerate([(85, 5_100_000), (92, 5_600_000), (88, 5_300_000), (95, 5_800_000),
                                            (80, 4_900_000), (100, 6_000_000)]):
        lot = unpriced_lot(case, area_m2=Decimal(area), built_year=2008 + i, complete=False)
        ended = clock.now() - timedelta(days=30 * (i + 1))
        start = price_yuan * 80  # a start price in fen below the sale price
        rnd = AuctionRound.objects.create(
            lot=lot, number=1, kind=AuctionRound.Kind.FIRST, start_price_fen=start, increment_fen=100_000,
            deposit_fen=start // 10, bidding_start=ended - timedelta(days=1), bidding_end=ended, effective_end=ended,
            status=AuctionRound.Status.SOLD, ended_at=ended, current_price_fen=price_yuan * 100, bid_count=3)
        sold_ids.append(rnd.pk)
    failed = unpriced_lot(case, area_m2=Decimal("90.00"), built_year=2010, complete=False)
    two_days_ago = clock.now() - timedelta(days=2)
    AuctionRound.objects.create(lot=failed, number=1, kind=AuctionRound.Kind.FIRST, start_price_fen=1_000_000,
                                increment_fen=1_000, deposit_fen=100_000,
                                bidding_start=two_days_ago - timedelta(days=1), bidding_end=two_days_ago,
                                effective_end=two_days_ago,
                                status=AuctionRound.Status.FAILED, ended_at=two_days_ago)
    est = selectors.lot_estimate(subject, clock.today())
    assert est is not None and est.ok
    assert sorted(c.sale.ref for c in est.comparables) == sorted(sold_ids)  # never the failed round
    assert est.low_fen is not None and est.high_fen is not None
    # About ¥60,600 per m² in every comparable, so about ¥5.45 million for 90 m².
    assert est.low_fen < 545_000_000 < est.high_fen and est.high_fen - est.low_fen < 30_000_000
    other_type = unpriced_lot(case, asset_type=Lot.AssetType.VEHICLE, area_m2=Decimal("90.00"), complete=False)
    assert not selectors.lot_estimate(other_type, date(2026, 3, 2)).ok  # type: ignore[union-attr]
