"""The round's clock (WP art.20): an accepted bid at server time t sets end = max(end, t + 5 min), with
no cap on extensions; a bid at or after the end is refused; the round opens at its start and closes at
its effective end, sold with one bid at the start price (reserve = start, one bidder is enough) or
failed without a bid. In a sell-off the first bid starts a 24-hour contest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import translation

from auction import rules, services
from auction.models import AuctionRound, Lot
from core import clock
from core.errors import RuleViolation
from core.models import AuditRecord
from tests import builders
from tests.auction.conftest import reload

S = AuctionRound.Status
Bid = Callable[..., AuctionRound]
Codes = Callable[[RuleViolation], list[str]]
MS = timedelta(milliseconds=1)
US = timedelta(microseconds=1)
FIVE_MINUTES = timedelta(minutes=5)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bidding(judge: builders.User, frozen: clock.FrozenClock, lot_obj: Lot) -> AuctionRound:
    """Bidding from Saturday 11 April 10:00 to Sunday 12 April 10:00; the clock is at the start."""
    return builders.round_in(S.BIDDING, judge=judge, frozen=frozen, lot_obj=lot_obj)


def round_actions(rnd: AuctionRound) -> list[str]:
    return list(AuditRecord.objects.filter(object_type="auction.auctionround", object_id=str(rnd.pk))
                .values_list("action", flat=True))


# --- extension ------------------------------------------------------------------------------------


@pytest.mark.parametrize("before_end", [FIVE_MINUTES + MS, FIVE_MINUTES])
def test_a_bid_not_inside_the_last_5_minutes_does_not_extend(bidding: AuctionRound, bid: Bid,
                                                             before_end: timedelta) -> None:
    end = bidding.effective_end
    rnd = bid(bidding, end - before_end)
    assert (rnd.effective_end, rnd.extension_count) == (end, 0)
    assert (rnd.bid_count, rnd.current_price_fen, rnd.leader_code) == (1, 80_000_000, "K7Q2")


@pytest.mark.parametrize("before_end", [FIVE_MINUTES - MS, timedelta(minutes=1), US])
def test_a_bid_inside_the_last_5_minutes_extends_to_its_own_time_plus_5_minutes(bidding: AuctionRound, bid: Bid,
                                                                               before_end: timedelta) -> None:
    end = bidding.effective_end
    at = end - before_end
    rnd = bid(bidding, at)
    assert (rnd.effective_end, rnd.extension_count) == (at + FIVE_MINUTES, 1)
    assert rnd.effective_end != end + FIVE_MINUTES  # bid time + 5 minutes, never old end + 5 minutes
    assert rnd.bidding_end == end  # the scheduled end is kept for the record


def test_extended_end_is_the_maximum() -> None:
    end = datetime(2026, 4, 12, 2, 0, tzinfo=clock.SHANGHAI)
    assert rules.extended_end(end, end - FIVE_MINUTES - MS) == end
    assert rules.extended_end(end, end - FIVE_MINUTES) == end
    assert rules.extended_end(end, end - FIVE_MINUTES + MS) == end + MS


@pytest.mark.parametrize("after_end", [timedelta(0), MS])
def test_a_bid_at_or_after_the_end_is_refused(bidding: AuctionRound, bid: Bid, codes: Codes,
                                              after_end: timedelta) -> None:
    bid(bidding, bidding.effective_end - timedelta(minutes=1), 80_000_000, "A1")
    end = reload(bidding).effective_end
    with pytest.raises(RuleViolation) as exc_info:
        bid(bidding, end + after_end, 80_500_000, "B2")
    assert codes(exc_info.value) == ["round_not_open"]
    with translation.override("en"):
        assert exc_info.value.text == "Bidding on this round is closed."
    rnd = reload(bidding)
    assert (rnd.effective_end, rnd.extension_count, rnd.bid_count, rnd.current_price_fen, rnd.leader_code) == (
        end, 1, 1, 80_000_000, "A1")


def test_each_late_bid_extends_again(bidding: AuctionRound, bid: Bid) -> None:
    end = bidding.effective_end
    bid(bidding, end - timedelta(minutes=4), 80_000_000)
    rnd = bid(bidding, end - timedelta(minutes=3), 80_500_000)
    assert (rnd.effective_end, rnd.extension_count) == (end + timedelta(minutes=2), 2)
    # After the first extension, "the last 5 minutes" are those of the new end.
    rnd = bid(bidding, end + timedelta(minutes=1), 81_000_000)
    assert (rnd.effective_end, rnd.extension_count) == (end + timedelta(minutes=6), 3)


def test_a_run_of_100_extensions_has_no_cap(bidding: AuctionRound, bid: Bid, frozen: clock.FrozenClock,
                                            codes: Codes) -> None:
    price = 80_000_000
    at = bidding.effective_end
    for n in range(100):
        at = reload(bidding).effective_end - timedelta(seconds=1)
        bid(bidding, at, price + n * 500_000, f"C{n % 2}")
    rnd = reload(bidding)
    assert (rnd.extension_count, rnd.bid_count) == (100, 100)
    assert rnd.effective_end == at + FIVE_MINUTES
    assert rnd.effective_end - rnd.bidding_end == 100 * timedelta(minutes=4, seconds=59)
    with pytest.raises(RuleViolation) as exc_info:
        bid(bidding, rnd.effective_end, price + 100 * 500_000)
    assert codes(exc_info.value) == ["round_not_open"]
    frozen.set(rnd.effective_end)
    assert services.round_close(rnd=rnd)
    rnd = reload(rnd)
    assert (rnd.status, rnd.current_price_fen, rnd.leader_code, rnd.ended_at) == (
        S.SOLD, price + 99 * 500_000, "C1", at + FIVE_MINUTES)


# --- opening and closing -------------------------------------------------------------------------


def test_a_round_opens_exactly_at_its_start_and_once(judge: builders.User, frozen: clock.FrozenClock,
                                                     lot_obj: Lot) -> None:
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot_obj)
    frozen.set(rnd.bidding_start - US)
    assert services.round_open(rnd=rnd) is False
    assert reload(rnd).status == S.ANNOUNCED
    frozen.set(rnd.bidding_start)
    assert services.round_open(rnd=rnd) is True
    assert services.round_open(rnd=rnd) is False
    assert reload(rnd).status == S.BIDDING
    assert round_actions(rnd).count("round.open") == 1


def test_one_bid_at_the_start_price_sells_at_the_effective_end(bidding: AuctionRound, bid: Bid,
                                                               frozen: clock.FrozenClock) -> None:
    late = bidding.effective_end - timedelta(minutes=2)
    bid(bidding, late, 80_000_000, "K7Q2")
    end = reload(bidding).effective_end
    frozen.set(bidding.bidding_end)  # the scheduled end has passed, the effective end has not
    assert services.round_close(rnd=bidding) is False
    frozen.set(end - US)
    assert services.round_close(rnd=bidding) is False
    assert reload(bidding).status == S.BIDDING
    frozen.set(end)
    assert services.round_close(rnd=bidding) is True
    assert services.round_close(rnd=bidding) is False
    rnd = reload(bidding)
    assert (rnd.status, rnd.current_price_fen, rnd.ended_at) == (S.SOLD, rnd.start_price_fen, end)
    assert round_actions(rnd)[-2:] == ["round.end", "round.sold"]
    sold = AuditRecord.objects.filter(action="round.sold").get()
    assert (sold.reason, sold.before["status"], sold.after["status"]) == ("K7Q2 ¥800,000.00", "ended", "sold")


def test_no_bid_fails_the_round(bidding: AuctionRound, frozen: clock.FrozenClock) -> None:
    frozen.set(bidding.effective_end)
    with translation.override("en"):
        assert services.round_close(rnd=bidding)
    rnd = reload(bidding)
    assert (rnd.status, rnd.status_reason, rnd.ended_at, rnd.bid_count) == (
        S.FAILED, "", bidding.effective_end, 0)
    assert round_actions(rnd)[-2:] == ["round.end", "round.failed"]


# --- sell-off (变卖) ------------------------------------------------------------------------------


def test_the_first_sell_off_bid_starts_a_24_hour_contest(sell_off_bidding: AuctionRound, bid: Bid,
                                                         frozen: clock.FrozenClock, codes: Codes) -> None:
    rnd = sell_off_bidding
    assert rnd.bidding_end - rnd.bidding_start == timedelta(days=60)
    first = rnd.bidding_start + timedelta(days=3)
    rnd = bid(rnd, first, 64_000_000, "S1")
    contest_end = first + timedelta(hours=24)
    assert (rnd.effective_end, rnd.extension_count) == (contest_end, 0)
    assert rnd.effective_end < rnd.bidding_end
    rnd = bid(rnd, contest_end - FIVE_MINUTES - MS, 64_500_000, "S2")
    assert (rnd.effective_end, rnd.extension_count) == (contest_end, 0)
    late = contest_end - FIVE_MINUTES + MS
    rnd = bid(rnd, late, 65_000_000, "S1")
    assert (rnd.effective_end, rnd.extension_count) == (late + FIVE_MINUTES, 1)
    with pytest.raises(RuleViolation) as exc_info:
        bid(rnd, late + FIVE_MINUTES, 65_500_000, "S2")
    assert codes(exc_info.value) == ["round_not_open"]
    frozen.set(late + FIVE_MINUTES)
    assert services.round_close(rnd=rnd)
    rnd = reload(rnd)
    assert (rnd.status, rnd.current_price_fen, rnd.leader_code) == (S.SOLD, 65_000_000, "S1")


def test_a_sell_off_bid_late_in_the_window_still_gets_24_hours(sell_off_bidding: AuctionRound, bid: Bid) -> None:
    first = sell_off_bidding.bidding_end - timedelta(hours=1)
    rnd = bid(sell_off_bidding, first, 64_000_000)
    assert (rnd.effective_end, rnd.extension_count) == (first + timedelta(hours=24), 0)


def test_a_sell_off_with_no_bid_in_60_days_fails(sell_off_bidding: AuctionRound, frozen: clock.FrozenClock) -> None:
    frozen.set(sell_off_bidding.bidding_end - US)
    assert services.round_close(rnd=sell_off_bidding) is False
    frozen.set(sell_off_bidding.bidding_end)
    assert services.round_close(rnd=sell_off_bidding) is True
    assert reload(sell_off_bidding).status == S.FAILED
