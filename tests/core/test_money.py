"""Money is integer fen: display, parsing what people type, and ratios rounded in the direction that
never crosses a legal bound. Property tests compare with exact fractions."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from core.money import MAX_FEN, ceil_ratio, fen_to_yuan_str, floor_ratio, format_fen, parse_yuan, percent_str

fen_amounts = st.integers(min_value=0, max_value=MAX_FEN)
signed_fen = st.integers(min_value=-MAX_FEN, max_value=MAX_FEN)
numerators = st.integers(min_value=0, max_value=1000)
denominators = st.integers(min_value=1, max_value=1000)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "¥0.00"),
        (1, "¥0.01"),
        (99, "¥0.99"),
        (100, "¥1.00"),
        (123_456_789, "¥1,234,567.89"),
        (100_000_000_000, "¥1,000,000,000.00"),
        (-5, "-¥0.05"),
        (-123_456_789, "-¥1,234,567.89"),
    ],
)
def test_format_fen(fen: int, text: str) -> None:
    assert format_fen(fen) == text


def test_format_fen_with_another_symbol() -> None:
    assert format_fen(150, symbol="") == "1.50"
    assert format_fen(150, symbol="US$") == "US$1.50"


@pytest.mark.parametrize("value", [1.5, Decimal("1.50"), True, "150"])
def test_format_fen_refuses_anything_but_int(value: object) -> None:
    with pytest.raises(TypeError):
        format_fen(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fen", "text"), [(0, "0.00"), (5, "0.05"), (123_456_789, "1234567.89"), (-5, "-0.05")])
def test_fen_to_yuan_str(fen: int, text: str) -> None:
    assert fen_to_yuan_str(fen) == text


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("1,234,567.89", 123_456_789),
        ("¥ 1234.50", 123_450),
        ("￥1234.5", 123_450),
        ("1234元", 123_400),
        ("１２３", 12_300),
        ("１，２３４．５６", 123_456),
        ("  7  ", 700),
        ("+5", 500),
        ("0.01", 1),
        ("0", 0),
        ("100000000", 10_000_000_000),
        (5, 500),
        (Decimal("12.34"), 1234),
    ],
)
def test_parse_yuan_accepts_what_people_type(typed: str | int | Decimal, fen: int) -> None:
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize(
    "typed", ["1.234", "0.001", "-5", "abc", "", "   ", "1.2.3", "1e3", "¥", ".5", "5.", "NaN", "Infinity", "1/2",
              Decimal("1.005"), True],
)
def test_parse_yuan_refuses_malformed_amounts(typed: str | Decimal | bool) -> None:
    with pytest.raises(ValidationError) as exc_info:
        parse_yuan(typed)
    assert exc_info.value.code == "invalid_amount"


def test_parse_yuan_never_rounds_a_third_decimal_and_says_so_in_english() -> None:
    with pytest.raises(ValidationError) as exc_info:
        parse_yuan("1.234")
    with translation.override("en"):
        assert exc_info.value.messages == ["“1.234” is not an amount in yuan with at most two decimals."]
    with translation.override("zh-hans"):
        assert exc_info.value.messages[0]


def test_parse_yuan_upper_bound_on_both_sides() -> None:
    at_limit = fen_to_yuan_str(MAX_FEN)
    assert parse_yuan(at_limit) == MAX_FEN
    with pytest.raises(ValidationError) as exc_info:
        parse_yuan(fen_to_yuan_str(MAX_FEN + 1))
    assert exc_info.value.code == "amount_too_large"


def test_parse_yuan_refuses_a_negative_int_like_a_negative_string() -> None:
    with pytest.raises(ValidationError):
        parse_yuan(-5)


def test_parse_yuan_refuses_a_too_large_int_like_a_too_large_string() -> None:
    with pytest.raises(ValidationError):
        parse_yuan(MAX_FEN)  # yuan, i.e. 100 × MAX_FEN fen


@pytest.mark.parametrize("typed", ["1，5", "1,23", "12,34.56", ",5", "5,"])
def test_parse_yuan_refuses_commas_that_are_not_thousands_separators(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_yuan(typed)


@given(fen_amounts)
def test_parse_of_format_round_trips(fen: int) -> None:
    assert parse_yuan(format_fen(fen)) == fen
    assert parse_yuan(fen_to_yuan_str(fen)) == fen


@given(signed_fen, numerators, denominators)
def test_ceil_ratio_is_the_smallest_whole_fen_not_below_the_exact_value(fen: int, num: int, den: int) -> None:
    exact = Fraction(fen * num, den)
    result = ceil_ratio(fen, num, den)
    assert result == math.ceil(exact)
    assert result - 1 < exact <= result


@given(signed_fen, numerators, denominators)
def test_floor_ratio_is_the_largest_whole_fen_not_above_the_exact_value(fen: int, num: int, den: int) -> None:
    exact = Fraction(fen * num, den)
    result = floor_ratio(fen, num, den)
    assert result == math.floor(exact)
    assert result <= exact < result + 1


@given(signed_fen, numerators, denominators)
def test_ceil_and_floor_agree_exactly_when_the_ratio_is_whole(fen: int, num: int, den: int) -> None:
    whole = Fraction(fen * num, den).denominator == 1
    assert (ceil_ratio(fen, num, den) == floor_ratio(fen, num, den)) is whole
    assert ceil_ratio(fen, num, den) - floor_ratio(fen, num, den) in (0, 1)


def test_ratio_boundaries_by_example() -> None:
    # 70% of ¥1,000,000.01 is 70,000,000.7 fen: the lowest lawful start rounds up, never down.
    assert ceil_ratio(100_000_001, 70, 100) == 70_000_001
    assert floor_ratio(100_000_001, 70, 100) == 70_000_000
    assert ceil_ratio(100_000_000, 70, 100) == floor_ratio(100_000_000, 70, 100) == 70_000_000


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(1, 5, "20.00%"), (5, 100, "5.00%"), (1, 3, "33.33%"), (2, 3, "66.67%"), (1, 8, "12.50%"), (0, 7, "0.00%"),
     (3, 0, "—")],
)
def test_percent_str(part: int, whole: int, text: str) -> None:
    assert percent_str(part, whole) == text
