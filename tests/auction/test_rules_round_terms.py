"""The price and time rules of a round, each tested on both sides of its limit: start ≥ 70% of a valid
reference price (WP art.10, RP art.27), deposit 5–20% (WP art.17), bidding ≥ 24 h (WP art.20),
notice 15/30 days (WP art.12), the second round (WP art.26), the sell-off, and the collegial panel
decision that locks the terms (WP art.27). T0 is Monday 2 March 2026, 10:00 in Beijing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from auction import rules, services
from auction.models import AuctionRound, Lot, PanelDecision, PriorityHolder
from auction.services import RoundTerms
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord, CalendarDay
from core.money import MAX_FEN
from tests import builders
from tests.auction.conftest import PANEL, reload, second_terms, sell_off_terms

S = AuctionRound.Status
K = AuctionRound.Kind
Codes = Callable[[RuleViolation], list[str]]
ONE_MICROSECOND = timedelta(microseconds=1)

pytestmark = pytest.mark.django_db


def local(day: date, hour: int = 0) -> datetime:
    return clock.local_midnight(day) + timedelta(hours=hour)


def terms_from(start: datetime, start_fen: int = 80_000_000, *, length: timedelta = timedelta(hours=24),
               deposit_fen: int | None = None, increment_fen: int = 500_000) -> RoundTerms:
    deposit = deposit_fen if deposit_fen is not None else start_fen // 10
    return RoundTerms(start_fen, increment_fen, deposit, start, start + length)


def create(judge: builders.User, lot: Lot, terms: RoundTerms) -> AuctionRound:
    return services.round_create(actor=judge, lot=lot, terms=terms, **builders.TEXTS)


def refused(judge: builders.User, lot: Lot, terms: RoundTerms, codes: Codes) -> list[str]:
    with pytest.raises(RuleViolation) as exc_info:
        create(judge, lot, terms)
    assert not lot.rounds.exists()
    return codes(exc_info.value)


# --- start price and reference price (WP art.10, RP art.27) ----------------------------------------


@pytest.mark.parametrize(
    ("reference", "start", "ok"),
    [
        (100_000_000, 70_000_000, True),  # exactly 70%
        (100_000_000, 69_999_999, False),
        (100_000_001, 70_000_001, True),  # 70% is 70,000,000.7 fen: rounded up
        (100_000_001, 70_000_000, False),
    ],
)
def test_first_start_is_at_least_70_percent_of_the_reference(court: builders.Court, judge: builders.User,
                                                             frozen: clock.FrozenClock, codes: Codes,
                                                             reference: int, start: int, ok: bool) -> None:
    lot = builders.lot(builders.case(court), reference_fen=reference)
    if ok:
        assert create(judge, lot, builders.terms(start)).start_price_fen == start
    else:
        assert refused(judge, lot, builders.terms(start), codes) == ["start_below_reference"]


def test_start_below_reference_explains_the_floor_in_english(lot_obj: Lot, judge: builders.User,
                                                            frozen: clock.FrozenClock) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        create(judge, lot_obj, builders.terms(69_999_999))
    with translation.override("en"):
        assert exc_info.value.text == ("The start price ¥699,999.99 is below 70% of the reference price "
                                       "¥1,000,000.00; the lowest lawful start is ¥700,000.00 (WP art.10).")
        assert exc_info.value.field == "start_price_fen"
    with translation.override("zh-hans"):
        assert "¥699,999.99" in exc_info.value.text


def test_no_round_without_a_reference_price(court: builders.Court, judge: builders.User,
                                            frozen: clock.FrozenClock, codes: Codes) -> None:
    lot = builders.lot(builders.case(court), reference_price_fen=None, reference_fixed_on=None,
                       reference_valid_until=None, reference_method="")
    assert refused(judge, lot, builders.terms(), codes) == ["no_reference_price"]


@pytest.mark.parametrize(("valid_days", "ok"), [(0, True), (-1, False)])
def test_first_notice_falls_within_the_reference_validity(court: builders.Court, judge: builders.User,
                                                          frozen: clock.FrozenClock, codes: Codes,
                                                          valid_days: int, ok: bool) -> None:
    lot = builders.lot(builders.case(court), reference_fixed_on=date(2025, 3, 10),
                       reference_valid_until=clock.today() + timedelta(days=valid_days))
    if ok:
        create(judge, lot, builders.terms())
    else:
        assert refused(judge, lot, builders.terms(), codes) == ["reference_expired"]


@pytest.mark.parametrize(("days_after_validity", "ok"), [(0, True), (1, False)])
def test_the_notice_day_is_the_publication_day(court: builders.Court, judge: builders.User,
                                              frozen: clock.FrozenClock, codes: Codes,
                                              approve: Callable[[AuctionRound], AuctionRound],
                                              days_after_validity: int, ok: bool) -> None:
    lot = builders.lot(builders.case(court), reference_valid_until=date(2026, 3, 5))
    rnd = create(judge, lot, builders.terms())
    builders.notify_all(rnd, judge)
    approve(rnd)
    frozen.set(local(date(2026, 3, 5) + timedelta(days=days_after_validity), 10))
    if ok:
        assert services.round_publish(actor=judge, rnd=rnd).status == S.ANNOUNCED
    else:
        with pytest.raises(RuleViolation) as exc_info:
            services.round_publish(actor=judge, rnd=rnd)
        assert codes(exc_info.value) == ["reference_expired"]
        assert reload(rnd).status == S.PANEL_APPROVED


@pytest.mark.parametrize(("ends_on", "ok"), [(date(2026, 9, 2), True), (date(2026, 9, 3), False)])
def test_the_sale_ends_within_six_months_after_the_validity(court: builders.Court, judge: builders.User,
                                                            frozen: clock.FrozenClock, codes: Codes,
                                                            ends_on: date, ok: bool) -> None:
    lot = builders.lot(builders.case(court), reference_valid_until=date(2026, 3, 2))
    terms = terms_from(local(ends_on - timedelta(days=1), 10))
    if ok:
        create(judge, lot, terms)
    else:
        assert refused(judge, lot, terms, codes) == ["reference_grace_exceeded"]


def reload_lot(lot: Lot) -> Lot:
    return Lot.objects.get(pk=lot.pk)


def set_reference(judge: builders.User, lot: Lot, *, price_fen: int = 100_000_000, method: str = "online_inquiry",
                  fixed_on: date | None = None, valid_until: date | None = None, note: str = "网络询价报告 2026-002"
                  ) -> Lot:
    fixed_on = fixed_on or clock.today()
    return services.lot_set_reference_price(actor=judge, lot=lot, price_fen=price_fen, method=method,
                                            fixed_on=fixed_on, valid_until=valid_until or fixed_on, note=note)


@pytest.mark.parametrize(("valid_until", "ok"), [(date(2027, 3, 2), True), (date(2027, 3, 3), False)])
def test_a_reference_price_is_valid_for_at_most_one_year(lot_obj: Lot, judge: builders.User,
                                                         frozen: clock.FrozenClock, codes: Codes,
                                                         valid_until: date, ok: bool) -> None:
    if ok:
        lot = set_reference(judge, lot_obj, price_fen=90_000_000, valid_until=valid_until)
        assert (lot.reference_price_fen, lot.reference_valid_until) == (90_000_000, valid_until)
        assert AuditRecord.objects.filter(action="lot.set_reference_price").count() == 1
    else:
        with pytest.raises(RuleViolation) as exc_info:
            set_reference(judge, lot_obj, valid_until=valid_until)
        assert codes(exc_info.value) == ["reference_validity_too_long"]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"price_fen": 0}, "reference_not_positive"),
        ({"method": "guess"}, "reference_method"),
        ({"fixed_on": date(2026, 3, 3)}, "reference_in_future"),
        ({"fixed_on": date(2026, 3, 2), "valid_until": date(2026, 3, 1)}, "reference_validity_order"),
        ({"note": " "}, "reference_source"),
    ],
)
def test_reference_price_input_is_checked(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                          codes: Codes, values: dict[str, object], code: str) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        set_reference(judge, lot_obj, **values)  # type: ignore[arg-type]
    assert codes(exc_info.value) == [code]
    assert reload_lot(lot_obj).reference_price_fen == 100_000_000


def test_the_reference_price_is_locked_while_a_round_is_announced(lot_obj: Lot, judge: builders.User,
                                                                  frozen: clock.FrozenClock, codes: Codes,
                                                                  announce: Callable[[AuctionRound], AuctionRound]
                                                                  ) -> None:
    rnd = create(judge, lot_obj, builders.terms())
    set_reference(judge, lot_obj, price_fen=110_000_000, valid_until=date(2026, 12, 31))  # allowed for a draft
    announce(rnd)
    with pytest.raises(RuleViolation) as exc_info:
        set_reference(judge, lot_obj, price_fen=120_000_000, valid_until=date(2026, 12, 31))
    assert codes(exc_info.value) == ["reference_locked"]
    assert reload_lot(lot_obj).reference_price_fen == 110_000_000


def test_reference_deadlines_count_calendar_months() -> None:
    assert rules.reference_sale_deadline(date(2026, 3, 2)) == date(2026, 9, 2)
    assert rules.reference_sale_deadline(date(2026, 8, 31)) == date(2027, 2, 28)
    assert rules.reference_sale_deadline(date(2027, 8, 31)) == date(2028, 2, 29)
    assert rules.reference_validity_limit(date(2024, 2, 29)) == date(2025, 2, 28)


def test_the_reserve_is_the_start_price_there_is_no_reserve_field() -> None:
    names = {f.name for f in AuctionRound._meta.get_fields()}
    assert not {n for n in names if "reserve" in n}
    assert "start_price_fen" in names


# --- deposit, increment, period (WP arts.17, 20) ----------------------------------------------------


@pytest.mark.parametrize(
    ("deposit", "ok"),
    [(4_000_001, True), (4_000_000, False), (16_000_000, True), (16_000_001, False)],
)
def test_deposit_is_5_to_20_percent_of_the_start(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                                 codes: Codes, deposit: int, ok: bool) -> None:
    # 5% of 80,000,001 fen is 4,000,000.05 (rounded up), 20% is 16,000,000.2 (rounded down).
    terms = builders.terms(80_000_001, deposit_fen=deposit)
    if ok:
        assert create(judge, lot_obj, terms).deposit_fen == deposit
    else:
        assert refused(judge, lot_obj, terms, codes) == ["deposit_out_of_range"]


def test_deposit_message_in_english(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        create(judge, lot_obj, builders.terms(80_000_001, deposit_fen=16_000_001))
    with translation.override("en"):
        assert exc_info.value.text == ("The deposit must be between 5% and 20% of the start price, i.e. "
                                       "¥40,000.01 to ¥160,000.00 (WP art.17).")
    with translation.override("zh-hans"):
        assert exc_info.value.text


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_deposit_bounds_are_lawful_and_tight(start: int) -> None:
    low, high = rules.deposit_bounds(start)
    assert low * 100 >= start * 5 > (low - 1) * 100
    assert high * 100 <= start * 20 < (high + 1) * 100


@given(st.integers(min_value=1, max_value=MAX_FEN))
def test_minimum_starts_are_tight(fen: int) -> None:
    assert rules.min_first_start(fen) * 100 >= fen * 70 > (rules.min_first_start(fen) - 1) * 100
    assert rules.min_second_start(fen) * 100 >= fen * 80 > (rules.min_second_start(fen) - 1) * 100


@pytest.mark.parametrize(("length", "ok"), [(timedelta(hours=24), True), (timedelta(hours=24) - ONE_MICROSECOND,
                                                                           False)])
def test_bidding_lasts_at_least_24_hours(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                         codes: Codes, length: timedelta, ok: bool) -> None:
    terms = terms_from(local(date(2026, 4, 11), 10), length=length)
    if ok:
        rnd = create(judge, lot_obj, terms)
        assert rnd.bidding_end - rnd.bidding_start == length
        assert rnd.effective_end == rnd.bidding_end
    else:
        assert refused(judge, lot_obj, terms, codes) == ["bidding_too_short"]


@pytest.mark.parametrize(("increment", "ok"), [(1, True), (0, False), (-1, False)])
def test_increment_is_positive(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock, codes: Codes,
                               increment: int, ok: bool) -> None:
    terms = builders.terms(increment_fen=increment)
    if ok:
        assert create(judge, lot_obj, terms).increment_fen == 1
    else:
        assert refused(judge, lot_obj, terms, codes) == ["increment_not_positive"]


@pytest.mark.parametrize("start", [0, -100])
def test_start_is_positive(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock, codes: Codes,
                           start: int) -> None:
    assert refused(judge, lot_obj, builders.terms(start, deposit_fen=0), codes) == ["start_not_positive"]


def test_bidding_starts_in_the_future(lot_obj: Lot, frozen: clock.FrozenClock, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as now_exc:
        services.check_round_terms(lot_obj, K.FIRST, terms_from(clock.now()))
    assert codes(now_exc.value) == ["start_in_past"]
    with pytest.raises(RuleViolation) as later_exc:
        services.check_round_terms(lot_obj, K.FIRST, terms_from(clock.now() + ONE_MICROSECOND))
    assert codes(later_exc.value) == ["notice_period_too_short"]


def test_several_problems_are_reported_together(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                                codes: Codes) -> None:
    terms = terms_from(local(date(2026, 3, 10), 10), 60_000_000, length=timedelta(hours=1), deposit_fen=1,
                       increment_fen=0)
    assert refused(judge, lot_obj, terms, codes) == [
        "increment_not_positive", "start_below_reference", "deposit_out_of_range", "bidding_too_short",
        "notice_period_too_short"]


# --- notice period (WP art.12; CPL art.85) --------------------------------------------------------


@pytest.mark.parametrize(
    ("asset_type", "earliest"),
    [("movable", date(2026, 3, 17)), ("vehicle", date(2026, 3, 17)), ("real_estate", date(2026, 4, 1)),
     ("equity", date(2026, 4, 1))],
)
def test_first_notice_period_15_or_30_days(court: builders.Court, judge: builders.User, frozen: clock.FrozenClock,
                                           codes: Codes, asset_type: str, earliest: date) -> None:
    lot = builders.lot(builders.case(court), asset_type=asset_type)
    assert refused(judge, lot, terms_from(local(earliest) - ONE_MICROSECOND), codes) == ["notice_period_too_short"]
    assert create(judge, lot, terms_from(local(earliest))).bidding_start == local(earliest)


def test_a_period_ending_on_a_holiday_moves_to_the_next_working_day(lot_obj: Lot, judge: builders.User,
                                                                    frozen: clock.FrozenClock, codes: Codes) -> None:
    # Notice on Thursday 5 March: day 30 is Saturday 4 April, then Qingming until Monday 6 April.
    frozen.set(local(date(2026, 3, 5), 10))
    assert refused(judge, lot_obj, terms_from(local(date(2026, 4, 7)) - ONE_MICROSECOND), codes) == [
        "notice_period_too_short"]
    create(judge, lot_obj, terms_from(local(date(2026, 4, 7))))


def test_a_holiday_entered_by_staff_moves_the_earliest_start(lot_obj: Lot, judge: builders.User,
                                                             frozen: clock.FrozenClock, codes: Codes) -> None:
    CalendarDay.objects.update_or_create(date=date(2026, 4, 1), defaults={"kind": CalendarDay.Kind.HOLIDAY,
                                                                          "name": "court closure"})
    assert refused(judge, lot_obj, terms_from(local(date(2026, 4, 2)) - ONE_MICROSECOND), codes) == [
        "notice_period_too_short"]
    create(judge, lot_obj, terms_from(local(date(2026, 4, 2))))


def test_a_period_ending_on_an_adjusted_working_saturday_does_not_move(lot_obj: Lot, judge: builders.User,
                                                                       frozen: clock.FrozenClock,
                                                                       codes: Codes) -> None:
    frozen.set(local(date(2026, 4, 9), 10))
    assert refused(judge, lot_obj, terms_from(local(date(2026, 5, 9)) - ONE_MICROSECOND), codes) == [
        "notice_period_too_short"]
    create(judge, lot_obj, terms_from(local(date(2026, 5, 9))))


def test_notice_period_message_in_english(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock) -> None:
    frozen.set(local(date(2026, 3, 5), 10))
    with pytest.raises(RuleViolation) as exc_info:
        create(judge, lot_obj, terms_from(local(date(2026, 4, 6), 10)))
    with translation.override("en"):
        assert exc_info.value.text == (
            "The notice must be published at least 30 days before bidding; with the notice on 2026-03-05 bidding "
            "can start on 2026-04-07 at the earliest (WP arts.12, 26; CPL art.85).")
    with translation.override("zh-hans"):
        assert "2026-04-07" in exc_info.value.text


# --- the collegial panel (WP art.27) --------------------------------------------------------------


@pytest.fixture
def draft(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    return create(judge, lot_obj, builders.terms())


def decide(actor: builders.User | str, rnd: AuctionRound, members: list[str] = PANEL, *,
           decided_on: date | None = None, reference: str = "合议庭评议笔录") -> PanelDecision:
    return services.round_record_panel_decision(actor=actor, rnd=rnd, decided_on=decided_on or clock.today(),
                                                reference=reference, members=members)


@pytest.mark.parametrize(
    ("members", "ok"),
    [
        (["甲"], False),
        (["甲", "乙"], False),
        (["甲", "乙", "丙"], True),
        (["甲", "乙", "丙", "丁"], False),
        (["甲", "乙", "丙", "丁", "戊"], True),
        (["甲", "乙", "丙", "  ", ""], True),  # blank entries are not members
        (["甲", "乙", " "], False),
    ],
)
def test_panel_has_an_odd_number_of_at_least_three_members(draft: AuctionRound, judge: builders.User,
                                                           codes: Codes, members: list[str], ok: bool) -> None:
    if ok:
        decision = decide(judge, draft, members)
        assert decision.members == [m for m in members if m.strip()]
        assert reload(draft).status == S.PANEL_APPROVED
    else:
        with pytest.raises(RuleViolation) as exc_info:
            decide(judge, draft, members)
        assert codes(exc_info.value) == ["panel_members"]
        assert reload(draft).status == S.DRAFT


def test_panel_members_are_listed_once(draft: AuctionRound, judge: builders.User, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        decide(judge, draft, ["甲", "乙", "甲"])
    assert codes(exc_info.value) == ["panel_members_duplicate"]


def test_panel_message_in_english(draft: AuctionRound, judge: builders.User) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        decide(judge, draft, ["甲", "乙"])
    with translation.override("en"):
        assert exc_info.value.text == "A collegial panel has an odd number of members, at least three."
    with translation.override("zh-hans"):
        assert exc_info.value.text


@pytest.mark.parametrize(("offset", "ok"), [(0, True), (1, False)])
def test_panel_decision_date_is_not_in_the_future(draft: AuctionRound, judge: builders.User, codes: Codes,
                                                  offset: int, ok: bool) -> None:
    decided_on = clock.today() + timedelta(days=offset)
    if ok:
        assert decide(judge, draft, decided_on=decided_on).decided_on == decided_on
    else:
        with pytest.raises(RuleViolation) as exc_info:
            decide(judge, draft, decided_on=decided_on)
        assert codes(exc_info.value) == ["decided_in_future"]


def test_panel_decision_needs_a_reference(draft: AuctionRound, judge: builders.User, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        decide(judge, draft, reference="  ")
    assert codes(exc_info.value) == ["required"]


def test_only_a_panel_judge_of_the_court_records_the_decision(draft: AuctionRound, clerk: builders.User,
                                                              codes: Codes) -> None:
    with pytest.raises(PermissionDenied) as not_panel:
        decide(clerk, draft)
    assert codes(not_panel.value) == ["permission_denied"]
    with translation.override("en"):
        assert not_panel.value.text == "Only a member of the collegial panel may do this."
    other_court = builders.court(code="沪0101", name="上海市黄浦区人民法院")
    outsider = builders.staff_user("outsider", other_court, roles=["court_staff", "panel"])
    with pytest.raises(PermissionDenied) as wrong_court:
        decide(outsider, draft)
    assert codes(wrong_court.value) == ["wrong_court"]
    assert reload(draft).status == S.DRAFT
    assert not PanelDecision.objects.exists()


def test_a_system_actor_cannot_record_a_panel_decision(draft: AuctionRound) -> None:
    with pytest.raises(PermissionDenied):
        decide("system:clock", draft)


def test_the_decision_records_the_terms_and_the_priority_holders(lot_obj: Lot, judge: builders.User,
                                                                 frozen: clock.FrozenClock) -> None:
    services.priority_holder_add(actor=judge, lot=lot_obj, name="承租人李某", basis="tenant", rank=1)
    services.priority_holder_add(actor=judge, lot=lot_obj, name="共有人王某", basis="co_owner", rank=2)
    rnd = create(judge, lot_obj, builders.terms(80_000_000, deposit_fen=8_000_000, increment_fen=500_000))
    decision = decide(judge, rnd)
    assert (decision.start_price_fen, decision.increment_fen, decision.deposit_fen) == (80_000_000, 500_000,
                                                                                        8_000_000)
    assert [(h["name"], h["rank"]) for h in decision.priority_holders] == [("承租人李某", 1), ("共有人王某", 2)]
    assert list(AuditRecord.objects.filter(object_id=str(rnd.pk), object_type="auction.auctionround")
                .values_list("action", flat=True)) == ["round.create", "round.panel_approve"]
    assert AuditRecord.objects.filter(action="round.panel_decision").exists()


def test_the_panel_rechecks_the_terms(court: builders.Court, judge: builders.User, frozen: clock.FrozenClock,
                                      codes: Codes) -> None:
    lot = builders.lot(builders.case(court), reference_valid_until=date(2026, 3, 2))
    rnd = create(judge, lot, builders.terms())
    frozen.advance(timedelta(days=1))
    with pytest.raises(RuleViolation) as exc_info:
        decide(judge, rnd)
    assert codes(exc_info.value) == ["reference_expired"]
    assert reload(rnd).status == S.DRAFT


@pytest.mark.parametrize(
    "change",
    [{"start_price_fen": 80_000_100}, {"increment_fen": 600_000}, {"deposit_fen": 9_000_000}],
)
def test_the_decision_locks_start_increment_and_deposit(draft: AuctionRound, judge: builders.User, codes: Codes,
                                                        change: dict[str, int]) -> None:
    current = RoundTerms(draft.start_price_fen, draft.increment_fen, draft.deposit_fen, draft.bidding_start,
                         draft.bidding_end)
    changed = RoundTerms(**{**current.__dict__, **change})
    [(field, value)] = change.items()
    # Before the decision the court may still change them.
    assert getattr(services.round_update(actor=judge, rnd=draft, terms=changed), field) == value
    services.round_update(actor=judge, rnd=draft, terms=current)
    decide(judge, draft)
    with pytest.raises(RuleViolation) as exc_info:
        services.round_update(actor=judge, rnd=draft, terms=changed)
    assert codes(exc_info.value) == ["panel_locked"]
    assert reload(draft).start_price_fen == current.start_price_fen


def test_after_the_decision_the_schedule_and_texts_may_still_change(draft: AuctionRound,
                                                                   judge: builders.User) -> None:
    decide(judge, draft)
    later = draft.bidding_start + timedelta(days=1)
    terms = RoundTerms(draft.start_price_fen, draft.increment_fen, draft.deposit_fen, later, later + timedelta(days=1))
    rnd = services.round_update(actor=judge, rnd=draft, terms=terms, notice_text="更正后的公告。")
    assert (rnd.bidding_start, rnd.effective_end, rnd.notice_text) == (later, later + timedelta(days=1),
                                                                       "更正后的公告。")


def test_the_decision_locks_the_priority_holders(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                                 codes: Codes) -> None:
    holder = services.priority_holder_add(actor=judge, lot=lot_obj, name="承租人李某", basis="tenant")
    decide(judge, create(judge, lot_obj, builders.terms()))
    with pytest.raises(RuleViolation) as add_exc:
        services.priority_holder_add(actor=judge, lot=lot_obj, name="共有人王某", basis="co_owner")
    assert codes(add_exc.value) == ["priority_locked"]
    with pytest.raises(RuleViolation) as remove_exc:
        services.priority_holder_remove(actor=judge, holder=holder, reason="误录")
    assert codes(remove_exc.value) == ["priority_locked"]
    assert list(PriorityHolder.objects.values_list("name", flat=True)) == ["承租人李某"]


def test_an_announced_round_cannot_be_edited(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                             announce: Callable[[AuctionRound], AuctionRound], codes: Codes) -> None:
    rnd = announce(create(judge, lot_obj, builders.terms()))
    with pytest.raises(RuleViolation) as exc_info:
        services.round_update(actor=judge, rnd=rnd, notice_text="改")
    assert codes(exc_info.value) == ["round_not_editable"]


def test_removing_a_notified_priority_holder_before_the_decision_is_handled(lot_obj: Lot, judge: builders.User,
                                                                            frozen: clock.FrozenClock) -> None:
    holder = services.priority_holder_add(actor=judge, lot=lot_obj, name="承租人李某", basis="tenant")
    rnd = create(judge, lot_obj, builders.terms())
    builders.notify_all(rnd, judge)
    try:
        services.priority_holder_remove(actor=judge, holder=holder, reason="误录")
    except RuleViolation:
        assert PriorityHolder.objects.filter(pk=holder.pk).exists()
    else:
        assert not PriorityHolder.objects.filter(pk=holder.pk).exists()


# --- second round (WP art.26) ----------------------------------------------------------------------


def create_next(judge: builders.User, previous: AuctionRound, terms: RoundTerms) -> AuctionRound:
    return services.round_create_next(actor=judge, previous=previous, terms=terms, **builders.TEXTS)


def refused_next(judge: builders.User, previous: AuctionRound, terms: RoundTerms, codes: Codes) -> list[str]:
    with pytest.raises(RuleViolation) as exc_info:
        create_next(judge, previous, terms)
    assert not AuctionRound.objects.filter(previous_round=previous).exists()
    return codes(exc_info.value)


def test_second_start_is_at_least_80_percent_of_the_previous_start(failed_first: AuctionRound,
                                                                   judge: builders.User, codes: Codes) -> None:
    # 80% of the previous start (¥800,000), not of the reference price: ¥640,000 is 64% of the reference.
    assert refused_next(judge, failed_first, second_terms(63_999_999), codes) == ["start_below_previous"]
    rnd = create_next(judge, failed_first, second_terms(64_000_000))
    assert (rnd.kind, rnd.number, rnd.previous_round_id) == (K.SECOND, 2, failed_first.pk)


def test_the_80_percent_floor_rounds_up(court: builders.Court, judge: builders.User, frozen: clock.FrozenClock,
                                        codes: Codes) -> None:
    first = builders.round_in(S.FAILED, judge=judge, frozen=frozen, start_fen=80_000_001,
                              lot_obj=builders.lot(builders.case(court)))
    with pytest.raises(RuleViolation) as exc_info:
        create_next(judge, first, second_terms(64_000_000))
    assert codes(exc_info.value) == ["start_below_previous"]
    with translation.override("en"):
        assert exc_info.value.text == (
            "The second-round start price ¥640,000.00 is below 80% of the previous start ¥800,000.01; the lowest "
            "lawful start is ¥640,000.01 (WP art.26).")
    create_next(judge, first, second_terms(64_000_001))


def test_second_notice_period_is_15_days_for_real_estate(failed_first: AuctionRound, judge: builders.User,
                                                         codes: Codes) -> None:
    # Failed on Sunday 12 April; created the same day: 15 days end on Monday 27 April.
    assert clock.today() == date(2026, 4, 12)
    assert refused_next(judge, failed_first, terms_from(local(date(2026, 4, 27)) - ONE_MICROSECOND, 64_000_000),
                        codes) == ["notice_period_too_short"]
    create_next(judge, failed_first, terms_from(local(date(2026, 4, 27)), 64_000_000))


def test_second_notice_period_is_7_days_for_movables(court: builders.Court, judge: builders.User,
                                                     frozen: clock.FrozenClock, codes: Codes) -> None:
    lot = builders.lot(builders.case(court), asset_type="movable")
    first = builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=lot)
    # Day 7 after Sunday 12 April is Sunday 19 April, a rest day: Monday 20 April.
    assert refused_next(judge, first, terms_from(local(date(2026, 4, 20)) - ONE_MICROSECOND, 64_000_000),
                        codes) == ["notice_period_too_short"]
    create_next(judge, first, terms_from(local(date(2026, 4, 20)), 64_000_000))


@pytest.mark.parametrize(
    ("starts_in_days", "failed_on", "last_day"),
    [
        (37, date(2026, 4, 9), date(2026, 5, 9)),  # day 30 is an adjusted working Saturday: it stands
        (38, date(2026, 4, 10), date(2026, 5, 11)),  # day 30 is a Sunday: Monday
    ],
)
def test_second_round_is_held_within_30_days_of_the_failure(court: builders.Court, judge: builders.User,
                                                            frozen: clock.FrozenClock, codes: Codes,
                                                            starts_in_days: int, failed_on: date,
                                                            last_day: date) -> None:
    first = builders.round_in(S.FAILED, judge=judge, frozen=frozen, starts_in_days=starts_in_days,
                              lot_obj=builders.lot(builders.case(court)))
    assert first.ended_at is not None
    assert clock.local_date(first.ended_at) == failed_on
    assert refused_next(judge, first, terms_from(local(last_day + timedelta(days=1)), 64_000_000), codes) == [
        "second_round_too_late"]
    rnd = create_next(judge, first, terms_from(local(last_day + timedelta(days=1)) - ONE_MICROSECOND, 64_000_000))
    assert clock.local_date(rnd.bidding_start) == last_day


def test_second_round_too_late_message_in_english(court: builders.Court, judge: builders.User,
                                                  frozen: clock.FrozenClock) -> None:
    first = builders.round_in(S.FAILED, judge=judge, frozen=frozen, starts_in_days=37,
                              lot_obj=builders.lot(builders.case(court)))
    with pytest.raises(RuleViolation) as exc_info:
        create_next(judge, first, terms_from(local(date(2026, 5, 10), 10), 64_000_000))
    with translation.override("en"):
        assert exc_info.value.text == ("The second auction must be held within 30 days of the failed first auction "
                                       "(2026-04-09), i.e. by 2026-05-09 (WP art.26).")
    with translation.override("zh-hans"):
        assert "2026-05-09" in exc_info.value.text


@pytest.mark.parametrize(("today", "ok"), [(date(2026, 5, 9), True), (date(2026, 5, 10), False)])
def test_second_round_window_can_be_read_as_published_within_30_days(
        court: builders.Court, judge: builders.User, frozen: clock.FrozenClock, codes: Codes,
        settings: Settings, today: date, ok: bool) -> None:
    first = builders.round_in(S.FAILED, judge=judge, frozen=frozen, starts_in_days=37,
                              lot_obj=builders.lot(builders.case(court)))
    frozen.set(local(today, 10))
    terms = terms_from(local(date(2026, 5, 26), 10), 64_000_000)  # after day 30, but announced in time
    settings.FAPAI_SECOND_ROUND_WINDOW = "held"
    assert refused_next(judge, first, terms, codes) == ["second_round_too_late"]
    settings.FAPAI_SECOND_ROUND_WINDOW = "published"
    if ok:
        create_next(judge, first, terms)
    else:
        assert refused_next(judge, first, terms, codes) == ["second_round_too_late"]


def test_a_next_round_needs_a_failed_round_and_exists_once(lot_obj: Lot, judge: builders.User,
                                                           frozen: clock.FrozenClock, codes: Codes,
                                                           failed_first: AuctionRound) -> None:
    create_next(judge, failed_first, second_terms())
    with pytest.raises(RuleViolation) as twice:
        create_next(judge, failed_first, second_terms())
    assert codes(twice.value) == ["next_round_exists"]
    with pytest.raises(RuleViolation) as fresh_first:
        create(judge, lot_obj, builders.terms(starts_in_days=20))
    assert codes(fresh_first.value) == ["round_in_progress"]


def test_after_a_failed_round_a_new_first_round_is_refused(failed_first: AuctionRound, judge: builders.User,
                                                           codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        create(judge, failed_first.lot, builders.terms(starts_in_days=20))
    assert codes(exc_info.value) == ["use_next_round"]


def test_after_a_withdrawn_round_a_new_first_round_is_allowed(lot_obj: Lot, judge: builders.User,
                                                              frozen: clock.FrozenClock, codes: Codes) -> None:
    first = create(judge, lot_obj, builders.terms())
    with pytest.raises(RuleViolation) as in_progress:
        create(judge, lot_obj, builders.terms())
    assert codes(in_progress.value) == ["round_in_progress"]
    services.round_withdraw(actor=judge, rnd=first, reason="公告有误，撤回重发")
    again = create(judge, lot_obj, builders.terms())
    assert (again.number, again.kind) == (2, K.FIRST)


# --- sell-off (变卖) ------------------------------------------------------------------------------


def test_sell_off_follows_a_failed_second_round(failed_second: AuctionRound, judge: builders.User) -> None:
    rnd = create_next(judge, failed_second, sell_off_terms())
    assert (rnd.kind, rnd.number, rnd.start_price_fen, rnd.deposit_fen) == (K.SELL_OFF, 3, 64_000_000, 64_000_000)
    assert rnd.bidding_end - rnd.bidding_start == timedelta(days=60)


@pytest.mark.parametrize("price", [64_000_001, 63_999_999])
def test_sell_off_price_is_the_second_start(failed_second: AuctionRound, judge: builders.User, codes: Codes,
                                            price: int) -> None:
    assert refused_next(judge, failed_second, sell_off_terms(price), codes) == ["sell_off_price"]


@pytest.mark.parametrize("deposit", [63_999_999, 6_400_000])
def test_sell_off_prepays_the_full_price(failed_second: AuctionRound, judge: builders.User, codes: Codes,
                                         deposit: int) -> None:
    terms = RoundTerms(**{**sell_off_terms().__dict__, "deposit_fen": deposit})
    assert refused_next(judge, failed_second, terms, codes) == ["sell_off_prepayment"]


@pytest.mark.parametrize("delta", [ONE_MICROSECOND, -ONE_MICROSECOND])
def test_sell_off_period_is_exactly_60_days(failed_second: AuctionRound, judge: builders.User, codes: Codes,
                                            delta: timedelta) -> None:
    base = sell_off_terms()
    terms = RoundTerms(**{**base.__dict__, "bidding_end": base.bidding_end + delta})
    assert refused_next(judge, failed_second, terms, codes) == ["sell_off_period"]


@pytest.mark.parametrize(("today", "ok"), [(date(2026, 5, 18), True), (date(2026, 5, 19), False)])
def test_sell_off_notice_within_15_days_of_the_second_failure(failed_second: AuctionRound, judge: builders.User,
                                                              frozen: clock.FrozenClock, codes: Codes,
                                                              today: date, ok: bool) -> None:
    assert failed_second.ended_at is not None
    assert clock.local_date(failed_second.ended_at) == date(2026, 5, 3)
    frozen.set(local(today, 10))
    terms = terms_from(local(date(2026, 6, 10), 10), 64_000_000, length=timedelta(days=60), deposit_fen=64_000_000)
    if ok:
        create_next(judge, failed_second, terms)
    else:
        assert refused_next(judge, failed_second, terms, codes) == ["sell_off_too_late"]


def test_sell_off_notice_period_is_15_days_for_real_estate(failed_second: AuctionRound, judge: builders.User,
                                                           codes: Codes) -> None:
    # Created on Sunday 3 May: day 15 is Monday 18 May.
    def at(start: datetime) -> RoundTerms:
        return terms_from(start, 64_000_000, length=timedelta(days=60), deposit_fen=64_000_000)

    assert refused_next(judge, failed_second, at(local(date(2026, 5, 18)) - ONE_MICROSECOND), codes) == [
        "notice_period_too_short"]
    create_next(judge, failed_second, at(local(date(2026, 5, 18))))


def test_a_failed_sell_off_has_no_next_online_round(sell_off_bidding: AuctionRound, judge: builders.User,
                                                    close_unsold: Callable[[AuctionRound], AuctionRound],
                                                    codes: Codes) -> None:
    failed = close_unsold(sell_off_bidding)
    with pytest.raises(RuleViolation) as exc_info:
        create_next(judge, failed, sell_off_terms())
    assert codes(exc_info.value) == ["no_next_round"]
