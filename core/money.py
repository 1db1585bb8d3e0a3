"""Money is an integer number of fen (分). No floats anywhere near money: ratios are applied with
integer arithmetic and an explicit rounding direction, chosen so that a legal bound is never crossed
(a floor of 70% rounds up, a ceiling of 20% rounds down)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FEN_PER_YUAN = 100
# Far above any real lot (¥10 trillion) and far below 2**63, so sums of many amounts never overflow.
MAX_FEN = 10**15


def format_fen(fen: int, symbol: str = "¥") -> str:
    """¥1,234,567.89 for 123456789 fen."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money must be int fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def fen_to_yuan_str(fen: int) -> str:
    """Plain yuan with two decimals and no grouping (for form inputs and CSV): 1234567.89."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan}.{cents:02d}"


# Commas are accepted only as thousands separators: "1,5" is a typing error, not ¥15.
_YUAN_RE = re.compile(r"^\+?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


def parse_yuan(text: str | int | Decimal) -> int:
    """Parse a yuan amount typed by a person ("1,234.5", "¥ 1234.50", "１２３") into fen.
    More than two decimals is an error, never silently rounded."""
    raw = str(text).strip()
    cleaned = raw.replace("¥", "").replace("￥", "").replace(" ", "").replace("元", "").replace("，", ",")
    cleaned = cleaned.translate(str.maketrans("０１２３４５６７８９．", "0123456789."))
    if not _YUAN_RE.match(cleaned):
        raise ValidationError(
            _("“%(value)s” is not an amount in yuan with at most two decimals."),
            code="invalid_amount",
            params={"value": raw},
        )
    try:
        fen = int(Decimal(cleaned.replace(",", "")) * FEN_PER_YUAN)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise ValidationError(_("Invalid amount."), code="invalid_amount")
    if fen > MAX_FEN:
        raise ValidationError(_("The amount is too large."), code="amount_too_large")
    return fen


def ceil_ratio(fen: int, numerator: int, denominator: int) -> int:
    """The smallest whole fen ≥ fen × numerator / denominator."""
    return -((-fen * numerator) // denominator)


def floor_ratio(fen: int, numerator: int, denominator: int) -> int:
    """The largest whole fen ≤ fen × numerator / denominator."""
    return (fen * numerator) // denominator


def percent_str(part: int, whole: int) -> str:
    """A display-only percentage with two decimals computed exactly ("20.00%")."""
    if whole == 0:
        return "—"
    basis_points = (part * 10000 * 10 // whole + 5) // 10
    return f"{basis_points // 100}.{basis_points % 100:02d}%"
