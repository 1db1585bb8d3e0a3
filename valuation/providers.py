"""Inquiry providers. Each provider is one small class; the list in effect is the setting
`FAPAI_INQUIRY_PROVIDERS` (dotted paths), defaulting to DEFAULT_PROVIDERS below.

Two roles:

* legal online-inquiry platforms (`legal = True`): the SPC's listed platforms (RP art.8). An online
  inquiry is sent to all of them at once (RP art.10) and their reports are averaged (RP art.13). The
  manual provider is for platforms without an integration: staff send the commission through the
  platform's own system and enter its report (price, date, report document) when it arrives. A court
  lists its platforms by subclassing ManualPlatform with a key and a name.
* checks (`legal = False`): the comparable-sales estimator. It never produces a legal result; its
  estimate is shown next to every inquiry and appraisal result (see valuation.estimator)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from valuation import estimator

DEFAULT_PROVIDERS = [
    "valuation.providers.PlatformA",
    "valuation.providers.PlatformB",
    "valuation.providers.PlatformC",
    "valuation.providers.ComparableSalesEstimator",
]


class InquiryProvider:
    key: ClassVar[str] = ""
    name: ClassVar[Any] = ""
    legal: ClassVar[bool] = True

    def commission(self, report: Any) -> None:
        """Send the commission (网络询价委托书) for `report`, the platform's still empty row."""
        raise NotImplementedError


class ManualPlatform(InquiryProvider):
    """A platform whose report staff enter by hand."""

    def commission(self, report: Any) -> None:
        # Staff send the commission through the platform's own system; the report row records it.
        return None


class PlatformA(ManualPlatform):
    key = "platform_a"
    name = _("Online inquiry platform A")


class PlatformB(ManualPlatform):
    key = "platform_b"
    name = _("Online inquiry platform B")


class PlatformC(ManualPlatform):
    key = "platform_c"
    name = _("Online inquiry platform C")


class ComparableSalesEstimator(InquiryProvider):
    """The marketplace's own closed sales as a check (never the legal price)."""

    key = "comparable_sales"
    name = _("Comparable-sales estimator (this marketplace's sales)")
    legal = False

    def commission(self, report: Any) -> None:
        raise TypeError("the estimator is a check, not an inquiry platform")

    def estimate(self, lot: Any, as_of: date) -> estimator.Estimate:
        from valuation import selectors

        subject = estimator.Subject(asset_type=lot.asset_type, city=lot.city, district=lot.district,
                                    area_m2=float(lot.area_m2) if lot.area_m2 else None,
                                    built_year=lot.built_year, lot_id=lot.pk)
        return estimator.estimate(subject, selectors.closed_sales(lot.asset_type, lot.city, as_of), as_of)


@cache
def _load(paths: tuple[str, ...]) -> tuple[InquiryProvider, ...]:
    providers = tuple(import_string(path)() for path in paths)
    keys = [p.key for p in providers]
    if len(set(keys)) != len(keys) or not all(keys):
        raise ValueError(f"inquiry providers need distinct, non-empty keys: {keys}")
    return providers


def providers() -> tuple[InquiryProvider, ...]:
    return _load(tuple(getattr(settings, "FAPAI_INQUIRY_PROVIDERS", DEFAULT_PROVIDERS)))


def platforms() -> list[InquiryProvider]:
    """The legal online-inquiry platforms, in their configured order."""
    return [p for p in providers() if p.legal]


def comparable_estimator() -> ComparableSalesEstimator | None:
    return next((p for p in providers() if isinstance(p, ComparableSalesEstimator)), None)


def by_key(key: str) -> InquiryProvider | None:
    return next((p for p in providers() if p.key == key), None)
