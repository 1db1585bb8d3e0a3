"""The numbers of the law, each with its article, and the pure functions that apply them.
Services call these; nothing else hard-codes a legal number. Sources: ../shared/docs/judicial-auction-rules.md
(WP = 法释〔2016〕18号, RP = 参考价规定 2018, PB = 拍卖变卖规定 2020, CPL = 民事诉讼法)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from core.money import ceil_ratio, floor_ratio

# WP art.20: bidding lasts at least 24 hours; a bid in the last 5 minutes moves the end to the bid's
# server time + 5 minutes, with no limit on the number of extensions.
MIN_BIDDING_PERIOD = timedelta(hours=24)
EXTENSION = timedelta(minutes=5)

# WP art.12: notice before the first auction; WP art.26: before the second.
NOTICE_DAYS_FIRST = {"movable": 15, "immovable": 30, "right": 30}
NOTICE_DAYS_SECOND = {"movable": 7, "immovable": 15, "right": 15}
# Sell-off (变卖): notice 15 days before the period for real estate; 7 for movables [unconfirmed].
NOTICE_DAYS_SELL_OFF = {"movable": 7, "immovable": 15, "right": 15}
SECOND_ROUND_WITHIN_DAYS = 30  # WP art.26
SELL_OFF_NOTICE_WITHIN_DAYS = 15  # 法明传〔2017〕455号 [unconfirmed]
SELL_OFF_PERIOD = timedelta(days=60)
SELL_OFF_CONTEST = timedelta(hours=24)

START_MIN_OF_REFERENCE = (70, 100)  # WP art.10, RP art.30
SECOND_START_MIN_OF_PREVIOUS = (80, 100)  # WP art.26
DEPOSIT_MIN = (5, 100)  # WP art.17
DEPOSIT_MAX = (20, 100)

REFERENCE_VALIDITY_MAX_MONTHS = 12  # RP art.27
REFERENCE_GRACE_MONTHS = 6  # RP art.27

NOTIFY_BEFORE_NOTICE_DAYS = 3  # WP art.16
POSTING_DEEMED_AFTER_DAYS = 5  # WP art.16
RESUME_WITHIN_DAYS = 5  # WP art.28
BALANCE_DUE_DAYS_DEFAULT = 10  # court practice

# WP art.14: the special prompts every bidder must accept one by one at registration.
SPECIAL_PROMPTS = [
    ("capacity", _("I have full civil capacity and meet any special qualifications this lot requires.")),
    ("proxy", _("If I bid through a proxy, the court confirmed the proxy before bidding started.")),
    ("defects", _("I have read the known defects of this lot.")),
    ("as_is", _("The lot is sold as it is; I may ask to view it before bidding.")),
    ("accept_defects", _("By bidding I accept all known and unknown defects of the lot.")),
    ("publication", _("The sale confirmation naming the buyer's real identity will be published.")),
    ("forfeit", _("If I win and do not pay the balance (悔拍), my deposit is not refunded.")),
]


def add_months(day: date, months: int) -> date:
    """Calendar months; the 31st of a short month falls back to its last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def min_first_start(reference_fen: int) -> int:
    """Start ≥ 70% of the reference price, rounded up to the fen (WP art.10)."""
    return ceil_ratio(reference_fen, *START_MIN_OF_REFERENCE)


def min_second_start(previous_start_fen: int) -> int:
    """Second round start ≥ 80% of the previous round's start, not of the appraisal (WP art.26)."""
    return ceil_ratio(previous_start_fen, *SECOND_START_MIN_OF_PREVIOUS)


def deposit_bounds(start_fen: int) -> tuple[int, int]:
    """5%–20% of the start price (WP art.17), rounded inwards so both ends are lawful."""
    return ceil_ratio(start_fen, *DEPOSIT_MIN), floor_ratio(start_fen, *DEPOSIT_MAX)


def notice_days(kind: str, nature: str) -> int:
    table = {"first": NOTICE_DAYS_FIRST, "second": NOTICE_DAYS_SECOND, "sell_off": NOTICE_DAYS_SELL_OFF}[kind]
    return table[nature]


def reference_sale_deadline(valid_until: date) -> date:
    """The last day a sale may happen on this reference price (validity + 6 months, RP art.27)."""
    return add_months(valid_until, REFERENCE_GRACE_MONTHS)


def reference_validity_limit(fixed_on: date) -> date:
    return add_months(fixed_on, REFERENCE_VALIDITY_MAX_MONTHS)


def extended_end(effective_end: datetime, bid_at: datetime) -> datetime:
    """WP art.20 (trap 1): the new end is the bid's time + 5 minutes, never old end + 5 minutes."""
    return max(effective_end, bid_at + EXTENSION)
