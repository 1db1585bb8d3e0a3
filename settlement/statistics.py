"""Oversight statistics (阳光司法), public: sale rate, sale price / reference price, registrants per
round, rounds to sale, days from seizure to cash and the default rate, by court and asset type. Only
aggregates of finished rounds; nothing about any person. Read-only: these are selectors."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from auction.models import AuctionRound, Court, Lot
from core import clock
from settlement.models import BalanceDue

S = AuctionRound.Status
# The rounds whose outcome is known: sold (or later defaulted) and failed; stayed or withdrawn rounds
# say nothing about the market.
DECIDED = (S.SOLD, S.FAILED)


@dataclass
class Group:
    """The figures of one group of finished rounds (a court, an asset type or everything)."""

    rounds: int = 0
    sold: int = 0
    defaulted: int = 0
    ratios: list[float] = field(default_factory=list)  # sale price / reference price
    registrants: list[int] = field(default_factory=list)
    rounds_to_sale: list[int] = field(default_factory=list)
    days_to_cash: list[int] = field(default_factory=list)

    @property
    def sale_rate(self) -> float | None:
        return self.sold / self.rounds if self.rounds else None

    @property
    def default_rate(self) -> float | None:
        return self.defaulted / self.sold if self.sold else None

    @staticmethod
    def _median(values: Iterable[float]) -> float | None:
        values = list(values)
        return statistics.median(values) if values else None

    def row(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds, "sold": self.sold,
            "sale_rate": _round(self.sale_rate), "median_price_to_reference": _round(self._median(self.ratios)),
            "mean_registrants": _round(statistics.fmean(self.registrants) if self.registrants else None, 2),
            "median_rounds_to_sale": self._median(self.rounds_to_sale),
            "median_days_seizure_to_cash": self._median(self.days_to_cash),
            "default_rate": _round(self.default_rate),
        }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def oversight() -> dict[str, Any]:
    """The public statistics: overall, by court and by asset type. Two queries."""
    rounds = list(AuctionRound.objects.filter(status__in=DECIDED).select_related("lot__case__court")
                  .only("status", "number", "current_price_fen", "registrant_count", "lot__reference_price_fen",
                        "lot__asset_type", "lot__seized_on", "lot__case__court__name", "lot__case__court__case_code"))
    balances = {b.round_id: b for b in BalanceDue.objects.filter(round__in=[r.pk for r in rounds])
                .only("round_id", "status", "paid_at")}
    overall = Group()
    by_court: defaultdict[int, Group] = defaultdict(Group)
    by_type: defaultdict[str, Group] = defaultdict(Group)
    courts: dict[int, Court] = {}
    for rnd in rounds:
        court = rnd.lot.case.court
        courts[court.pk] = court
        for g in (overall, by_court[court.pk], by_type[rnd.lot.asset_type]):
            g.rounds += 1
            g.registrants.append(rnd.registrant_count)
            if rnd.status != S.SOLD:
                continue
            g.sold += 1
            g.rounds_to_sale.append(rnd.number)
            if rnd.lot.reference_price_fen and rnd.current_price_fen:
                g.ratios.append(rnd.current_price_fen / rnd.lot.reference_price_fen)
            balance = balances.get(rnd.pk)
            if balance is not None and balance.status == BalanceDue.Status.DEFAULTED:
                g.defaulted += 1
            elif balance is not None and balance.paid_at is not None:
                g.days_to_cash.append((clock.local_date(balance.paid_at) - rnd.lot.seized_on).days)
    types = dict(Lot.AssetType.choices)
    return {
        "overall": overall.row(),
        "by_court": [{"court": courts[pk].display_name, **g.row()} for pk, g in sorted(by_court.items())],
        "by_asset_type": [{"asset_type": key, "label": str(types.get(key, key)), **g.row()}
                          for key, g in sorted(by_type.items())],
    }


COLUMNS = ("rounds", "sold", "sale_rate", "median_price_to_reference", "mean_registrants", "median_rounds_to_sale",
           "median_days_seizure_to_cash", "default_rate")


PERCENT = ("sale_rate", "default_rate")


def column_labels() -> list[str]:
    return [str(_("Finished rounds")), str(_("Sold")), str(_("Sale rate")),
            str(_("Sale price / reference price (median)")),
            str(_("Registrants per round (mean)")), str(_("Round of sale (median)")),
            str(_("Days from seizure to cash (median)")), str(_("Default rate"))]


def csv_rows(stats: dict[str, Any]) -> list[list[Any]]:
    """One row per group for the CSV download: group kind, group, then COLUMNS."""
    rows: list[list[Any]] = [[_("All"), _("All courts and asset types"), *[stats["overall"][c] for c in COLUMNS]]]
    rows += [[_("Court"), r["court"], *[r[c] for c in COLUMNS]] for r in stats["by_court"]]
    rows += [[_("Asset type"), r["label"], *[r[c] for c in COLUMNS]] for r in stats["by_asset_type"]]
    return rows
