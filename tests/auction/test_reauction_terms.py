"""A re-auction after a default (悔拍, WP art.24) is held under its kind's price rules, but the
"within 30 days of the failure" window of WP art.26 does not apply to it: there was no failure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auction.models import AuctionRound
from auction.services import check_round_terms
from core import clock
from core.errors import RuleViolation
from tests import builders

pytestmark = pytest.mark.django_db
K = AuctionRound.Kind


@pytest.fixture
def chain():
    """A first auction that failed 90 days ago, and a second auction (start 80% of it) that sold and
    whose buyer then defaulted."""
    lot = builders.lot(builders.case(builders.court()))
    long_ago = clock.now() - timedelta(days=90)
    first = AuctionRound(lot=lot, kind=K.FIRST, start_price_fen=80_000_000, ended_at=long_ago)
    second = AuctionRound(lot=lot, kind=K.SECOND, previous_round=first, start_price_fen=64_000_000,
                          ended_at=long_ago + timedelta(days=20))
    return lot, first, second


def codes(exc: pytest.ExceptionInfo[RuleViolation]) -> set[str]:
    return set(getattr(exc.value, "codes", [exc.value.rule_code]))


def test_an_ordinary_second_auction_out_of_its_window_is_refused(chain):
    lot, first, _ = chain
    with pytest.raises(RuleViolation) as exc:
        check_round_terms(lot, K.SECOND, builders.terms(64_000_000, starts_in_days=20), first)
    assert "second_round_too_late" in codes(exc)


def test_the_re_auction_of_a_defaulted_second_auction_has_no_failure_window(chain):
    lot, _, second = chain
    check_round_terms(lot, K.SECOND, builders.terms(64_000_000, starts_in_days=20), second)


def test_its_floor_is_80_percent_of_the_first_auction_not_of_the_defaulted_one(chain):
    lot, _, second = chain
    check_round_terms(lot, K.SECOND, builders.terms(64_000_000, starts_in_days=20), second)  # 80% of 80m
    with pytest.raises(RuleViolation) as exc:
        check_round_terms(lot, K.SECOND, builders.terms(63_999_999, starts_in_days=20, deposit_fen=6_400_000),
                          second)
    assert "start_below_previous" in codes(exc)
