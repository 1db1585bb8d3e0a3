"""The numbers of the reference-price procedure, each with its article, and the pure functions that
apply them. Source: 最高人民法院关于人民法院确定财产处置参考价若干问题的规定 (RP, 法释〔2018〕15号,
in force 2018-09-01); see ../shared/docs/judicial-auction-rules.md §12. Periods are counted with
core.days.period_end (CPL art.85: the start day is not counted; a last day on a rest day moves to
the next working day). Money is integer fen."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from auction import rules as auction_rules

OPEN_WITHIN_DAYS = 30  # RP art.1: start the procedure within 30 days of seizure
INQUIRY_DAYS = 3  # RP art.11: each platform reports within 3 days of the commission
INQUIRY_EXTENSION_DAYS = 3  # RP art.11: only when every platform missed, 3 more days
APPRAISAL_DAYS = 30  # RP art.19: the report within 30 days (stays deducted)
APPRAISAL_EXTENSION_MAX_DAYS = 15  # RP art.19: each extension at most 15 days
APPRAISAL_EXTENSIONS_MAX = 2  # RP art.19: at most two extensions
APPRAISAL_EXTENSION_NOTICE_DAYS = 5  # RP art.19: asked for at least 5 days before expiry
AGENCIES_TO_SELECT = 3  # RP art.16: three agencies and their order
DELIVERY_DAYS = 3  # RP art.21: reports sent to the parties within 3 days of receipt
PUBLIC_NOTICE_DEEMED_DAYS = 15  # RP art.21: a public notice counts as received after 15 days
OBJECTION_DAYS = 5  # RP arts.22, 23: written objections within 5 days of receipt
OBJECTION_FORWARD_DAYS = 3  # RP art.23: the court forwards a method/result objection within 3 days
OBJECTION_EXPLAIN_DAYS = 5  # RP art.23: the agency explains within 5 days
SALE_START_DAYS = 10  # RP art.30: the sale starts within 10 days of the price being fixed
REISSUE_APPRAISAL_DAYS = 15  # RP art.19 ¶4: the same agency reissues within 15 days
REISSUE_FEE_PERCENT = 30  # RP art.32 ¶2: a reissued appraisal report is paid 30%
REMIND_DAYS_BEFORE = 1  # a reminder the day before a deadline (and on the day), then when overdue


def validity_limit(report_date: date) -> date:
    """The last day a result may be valid: one year from its date, the date counted as day one
    (RP art.27: validity at most one year). Also within auction's limit (fixed_on + one year)."""
    return auction_rules.reference_validity_limit(report_date) - timedelta(days=1)


def mean_fen(prices: Sequence[int]) -> int:
    """The arithmetic mean of the results (RP art.13), rounded half up to the whole fen: the law
    says "average" and the reference price is kept in fen, so one rounding is unavoidable; half up
    is the rounding courts and platforms use for money (四舍五入)."""
    if not prices:
        raise ValueError("no prices to average")
    total, n = sum(prices), len(prices)
    return (2 * total + n) // (2 * n)


def split_evenly(amount_fen: int, shares: int) -> list[int]:
    """Split a fee into equal whole-fen shares (RP art.31: ties share the fee equally). The fen
    that do not divide evenly go one each to the first shares, so the parts always add up."""
    base, rest = divmod(amount_fen, shares)
    return [base + (1 if i < rest else 0) for i in range(shares)]


def closest_to(sale_fen: int, results: Sequence[tuple[str, int]]) -> list[str]:
    """The providers whose result is closest to the final sale price (RP art.31); several when they
    are equally close."""
    if not results:
        return []
    best = min(abs(price - sale_fen) for _key, price in results)
    return [key for key, price in results if abs(price - sale_fen) == best]


def appraisal_fee_base(sale_fen: int, appraisal_fen: int) -> int:
    """RP art.32: the fee is computed on the sale price when the lot sold below the appraisal, on
    the appraisal when it sold above it."""
    return min(sale_fen, appraisal_fen)


def percent_half_up(amount_fen: int, basis_points: int) -> int:
    """amount × rate (in basis points, 1 bp = 0.01%), rounded half up to the fen."""
    return (amount_fen * basis_points * 2 + 10_000) // 20_000


# --- the appraisal lottery (摇号, RP art.16) --------------------------------------------------------
#
# Verifiable draw "fapai-hmac-sha256-v1": every candidate agency gets the ticket
#     HMAC-SHA256(key = the seed's ASCII bytes, message = the agency id as decimal ASCII)
# and the candidates with the lowest tickets (compared as hex strings, i.e. as 256-bit numbers)
# are drawn in ascending ticket order. The result depends only on the seed and the set of candidate
# ids, not on how the list is ordered, and anyone can re-run it with any HMAC-SHA256 implementation:
#     sorted(ids, key=lambda i: hmac.new(seed.encode(), str(i).encode(), "sha256").hexdigest())[:3]
# The seed is drawn with `secrets.token_hex(32)` after the candidate list is fixed and recorded.

LOTTERY_ALGORITHM = "fapai-hmac-sha256-v1"


def lottery_ticket(seed: str, candidate_id: int) -> str:
    return hmac.new(seed.encode("ascii"), str(candidate_id).encode("ascii"), hashlib.sha256).hexdigest()


def lottery_draw(seed: str, candidate_ids: Sequence[int], count: int = AGENCIES_TO_SELECT) -> list[int]:
    """The drawn agency ids in their order (first = commissioned first)."""
    if len(set(candidate_ids)) != len(candidate_ids):
        raise ValueError("duplicate candidates")
    return sorted(candidate_ids, key=lambda i: lottery_ticket(seed, i))[:count]


@dataclass(frozen=True)
class LotteryCheck:
    verified: bool
    drawn: list[int]
    recorded: list[int]


def lottery_verify(algorithm: str, seed: str, candidate_ids: Sequence[int], recorded: Sequence[int]
                   ) -> LotteryCheck:
    """Re-run a recorded draw and compare it with what was recorded."""
    if algorithm != LOTTERY_ALGORITHM:
        return LotteryCheck(False, [], list(recorded))
    drawn = lottery_draw(seed, candidate_ids, len(recorded))
    return LotteryCheck(drawn == list(recorded), drawn, list(recorded))
