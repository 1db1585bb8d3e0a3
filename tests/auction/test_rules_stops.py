"""Stay (暂缓), suspension (中止), withdrawal (撤回) and termination (终止) need a public reason; a
stopped round resumes within 5 days of the end of its cause (WP art.28, counted as CPL art.85);
after a failed round a creditor may take the lot in lieu of payment at that round's start price,
topping up the excess over its verified claims, unless it lacks the house-purchase qualification
(PB art.16, HQ art.5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from auction import services
from auction.models import AuctionRound, Lot, Party
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord
from tests import builders
from tests.auction.conftest import reload, second_terms

S = AuctionRound.Status
Codes = Callable[[RuleViolation], list[str]]
ONE_MICROSECOND = timedelta(microseconds=1)

pytestmark = pytest.mark.django_db

STOPS = {
    "stay": (services.round_stay, S.STAYED),
    "suspend": (services.round_suspend, S.SUSPENDED),
    "withdraw": (services.round_withdraw, S.WITHDRAWN),
    "terminate": (services.round_terminate, S.TERMINATED),
}


def local(day: date, hour: int = 10) -> datetime:
    return clock.local_midnight(day) + timedelta(hours=hour)


def round_records(rnd: AuctionRound) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_type="auction.auctionround", object_id=str(rnd.pk)))


@pytest.fixture
def announced(judge: builders.User, frozen: clock.FrozenClock, lot_obj: Lot) -> AuctionRound:
    """Published on Thursday 5 March; the clock stays there."""
    return builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot_obj)


@pytest.fixture
def bidding(judge: builders.User, frozen: clock.FrozenClock, lot_obj: Lot) -> AuctionRound:
    return builders.round_in(S.BIDDING, judge=judge, frozen=frozen, lot_obj=lot_obj)


# --- stops ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n"])
@pytest.mark.parametrize("stop", list(STOPS))
def test_every_stop_needs_a_public_reason(announced: AuctionRound, judge: builders.User, codes: Codes, stop: str,
                                          reason: str) -> None:
    records = AuditRecord.objects.count()
    with pytest.raises(RuleViolation) as exc_info:
        STOPS[stop][0](actor=judge, rnd=announced, reason=reason)
    assert codes(exc_info.value) == ["reason_required"]
    assert exc_info.value.field == "reason"
    assert reload(announced).status == S.ANNOUNCED
    assert AuditRecord.objects.count() == records


def test_the_reason_message_in_english(announced: AuctionRound, judge: builders.User) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        services.round_stay(actor=judge, rnd=announced, reason="")
    with translation.override("en"):
        assert exc_info.value.text == "A public reason is required (WP art.28)."
    with translation.override("zh-hans"):
        assert exc_info.value.text


@pytest.mark.parametrize("stop", list(STOPS))
@pytest.mark.parametrize("phase", ["announced", "bidding"])
def test_a_stop_publishes_its_reason_and_is_audited(request: pytest.FixtureRequest, judge: builders.User,
                                                    stop: str, phase: str) -> None:
    rnd: AuctionRound = request.getfixturevalue(phase)
    service, target = STOPS[stop]
    service(actor=judge, rnd=rnd, reason="  案外人对拍卖标的提出异议  ")
    rnd = reload(rnd)
    assert (rnd.status, rnd.status_reason, rnd.status_changed_at) == (target, "案外人对拍卖标的提出异议", clock.now())
    assert rnd.stopped_at == (clock.now() if target in (S.STAYED, S.SUSPENDED) else None)
    rec = round_records(rnd)[-1]
    assert (rec.action, rec.reason, rec.before["status"], rec.after["status"]) == (
        f"round.{stop}", "案外人对拍卖标的提出异议", phase, target)


def test_a_suspension_after_a_stay_keeps_the_first_stop_time(announced: AuctionRound, judge: builders.User,
                                                             frozen: clock.FrozenClock) -> None:
    services.round_stay(actor=judge, rnd=announced, reason="系统故障")
    stopped_at = clock.now()
    frozen.advance(timedelta(days=1))
    services.round_suspend(actor=judge, rnd=announced, reason="案外人异议，裁定中止")
    assert reload(announced).stopped_at == stopped_at


def test_bids_are_frozen_while_a_round_is_stayed(bidding: AuctionRound, judge: builders.User,
                                                 frozen: clock.FrozenClock, bid: Callable[..., AuctionRound],
                                                 codes: Codes) -> None:
    bid(bidding, clock.now())
    services.round_stay(actor=judge, rnd=bidding, reason="系统故障，平台暂缓")
    with pytest.raises(RuleViolation) as exc_info:
        bid(bidding, clock.now(), 80_500_000)
    assert codes(exc_info.value) == ["round_not_open"]
    frozen.set(bidding.effective_end + timedelta(days=1))
    assert services.round_close(rnd=bidding) is False
    rnd = reload(bidding)
    assert (rnd.status, rnd.bid_count, rnd.current_price_fen) == (S.STAYED, 1, 80_000_000)


@pytest.mark.parametrize("stop", ["withdraw", "terminate"])
def test_withdrawal_and_termination_are_final(announced: AuctionRound, judge: builders.User, codes: Codes,
                                              stop: str) -> None:
    STOPS[stop][0](actor=judge, rnd=announced, reason="债务已全部清偿")
    with pytest.raises(RuleViolation) as resume:
        resume_round(judge, announced)
    assert codes(resume.value) == ["not_stopped"]
    for again in STOPS.values():
        with pytest.raises(RuleViolation) as exc_info:
            again[0](actor=judge, rnd=announced, reason="再次")
        assert codes(exc_info.value) == ["transition_not_allowed"]


def test_only_staff_of_the_court_stop_a_round(announced: AuctionRound, clerk: builders.User, codes: Codes) -> None:
    other_court = builders.court(code="沪0101", name="上海市黄浦区人民法院")
    outsider = builders.staff_user("outsider", other_court, roles=["court_staff"])
    with pytest.raises(PermissionDenied) as exc_info:
        services.round_stay(actor=outsider, rnd=announced, reason="异议")
    assert codes(exc_info.value) == ["wrong_court"]
    bidder = builders.staff_user("bidder", None, roles=["bidder"])
    with pytest.raises(PermissionDenied) as not_staff:
        services.round_stay(actor=bidder, rnd=announced, reason="异议")
    assert codes(not_staff.value) == ["permission_denied"]
    assert services.round_stay(actor=clerk, rnd=announced, reason="异议").status == S.STAYED


# --- resumption (WP art.28) -----------------------------------------------------------------------


def resume_round(judge: builders.User, rnd: AuctionRound, *, cause_ended_on: date | None = None,
                 start: datetime | None = None, length: timedelta = timedelta(hours=24),
                 reason: str = "异议已审查完毕，恢复拍卖") -> AuctionRound:
    start = start or clock.now() + timedelta(days=7)
    return services.round_resume(actor=judge, rnd=rnd, reason=reason, cause_ended_on=cause_ended_on or clock.today(),
                                 bidding_start=start, bidding_end=start + length)


@pytest.fixture
def stayed(announced: AuctionRound, judge: builders.User) -> AuctionRound:
    """Stayed on Thursday 5 March."""
    return services.round_stay(actor=judge, rnd=announced, reason="案外人异议")


@pytest.mark.parametrize(
    ("cause_ended_on", "last_day"),
    [
        (date(2026, 3, 5), date(2026, 3, 10)),  # day 5 is a Tuesday
        (date(2026, 3, 9), date(2026, 3, 16)),  # day 5 is Saturday 14 March: Monday 16 March
    ],
)
def test_resume_within_5_days_of_the_end_of_the_cause(stayed: AuctionRound, judge: builders.User,
                                                      frozen: clock.FrozenClock, codes: Codes,
                                                      cause_ended_on: date, last_day: date) -> None:
    frozen.set(local(last_day + timedelta(days=1), 0))
    with pytest.raises(RuleViolation) as exc_info:
        resume_round(judge, stayed, cause_ended_on=cause_ended_on)
    assert codes(exc_info.value) == ["resume_deadline_passed"]
    with translation.override("en"):
        assert exc_info.value.text == (
            f"The round had to be resumed within 5 days of the end of the cause, i.e. by {last_day.isoformat()} "
            "(WP art.28). Withdraw it and list the lot again.")
    assert reload(stayed).status == S.STAYED
    frozen.set(local(last_day + timedelta(days=1), 0) - ONE_MICROSECOND)
    assert resume_round(judge, stayed, cause_ended_on=cause_ended_on).status == S.ANNOUNCED


@pytest.mark.parametrize(
    ("cause_ended_on", "ok"),
    [(date(2026, 3, 4), False), (date(2026, 3, 5), True), (date(2026, 3, 6), True), (date(2026, 3, 7), False)],
)
def test_the_cause_ended_between_the_stop_and_today(stayed: AuctionRound, judge: builders.User,
                                                    frozen: clock.FrozenClock, codes: Codes,
                                                    cause_ended_on: date, ok: bool) -> None:
    frozen.set(local(date(2026, 3, 6)))
    if ok:
        assert resume_round(judge, stayed, cause_ended_on=cause_ended_on).status == S.ANNOUNCED
    else:
        with pytest.raises(RuleViolation) as exc_info:
            resume_round(judge, stayed, cause_ended_on=cause_ended_on)
        assert codes(exc_info.value) == ["cause_end_date"]


@pytest.mark.parametrize(("length", "ok"), [(timedelta(hours=24), True),
                                            (timedelta(hours=24) - ONE_MICROSECOND, False)])
def test_resumed_bidding_lasts_at_least_24_hours(stayed: AuctionRound, judge: builders.User, codes: Codes,
                                                 length: timedelta, ok: bool) -> None:
    if ok:
        rnd = resume_round(judge, stayed, length=length)
        assert rnd.bidding_end - rnd.bidding_start == length
    else:
        with pytest.raises(RuleViolation) as exc_info:
            resume_round(judge, stayed, length=length)
        assert codes(exc_info.value) == ["bidding_too_short"]


@pytest.mark.parametrize(("offset", "ok"), [(timedelta(0), True), (-ONE_MICROSECOND, False)])
def test_resumed_bidding_does_not_start_in_the_past(stayed: AuctionRound, judge: builders.User, codes: Codes,
                                                    offset: timedelta, ok: bool) -> None:
    start = clock.now() + offset
    if ok:
        assert resume_round(judge, stayed, start=start).bidding_start == start
    else:
        with pytest.raises(RuleViolation) as exc_info:
            resume_round(judge, stayed, start=start)
        assert codes(exc_info.value) == ["start_in_past"]


def test_resume_needs_a_reason(stayed: AuctionRound, judge: builders.User, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        resume_round(judge, stayed, reason=" ")
    assert codes(exc_info.value) == ["reason_required"]


def test_resume_sets_the_new_schedule_and_is_audited(stayed: AuctionRound, judge: builders.User) -> None:
    start = local(date(2026, 3, 20))
    rnd = resume_round(judge, stayed, start=start, length=timedelta(hours=30))
    assert (rnd.status, rnd.bidding_start, rnd.bidding_end, rnd.effective_end, rnd.stopped_at, rnd.status_reason) == (
        S.ANNOUNCED, start, start + timedelta(hours=30), start + timedelta(hours=30), None, "异议已审查完毕，恢复拍卖")
    rec = round_records(rnd)[-1]
    assert (rec.action, rec.reason, rec.before["status"], rec.after["status"]) == (
        "round.resume", "异议已审查完毕，恢复拍卖", "stayed", "announced")


def test_a_suspended_round_resumes_too(announced: AuctionRound, judge: builders.User) -> None:
    services.round_suspend(actor=judge, rnd=announced, reason="裁定中止")
    assert resume_round(judge, announced).status == S.ANNOUNCED


def test_only_a_stopped_round_resumes(announced: AuctionRound, judge: builders.User, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        resume_round(judge, announced)
    assert codes(exc_info.value) == ["not_stopped"]
    with translation.override("en"):
        assert exc_info.value.text == "Only a stayed or suspended round can be resumed."


def test_bids_placed_before_a_stay_stand_after_resumption(bidding: AuctionRound, judge: builders.User,
                                                          frozen: clock.FrozenClock,
                                                          bid: Callable[..., AuctionRound]) -> None:
    bid(bidding, clock.now(), 80_000_000, "A1")
    bid(bidding, clock.now(), 80_500_000, "B2")
    services.round_stay(actor=judge, rnd=bidding, reason="系统故障，平台暂缓")
    rnd = resume_round(judge, bidding, start=clock.now() + timedelta(days=2))
    frozen.set(rnd.bidding_start)
    assert services.round_open(rnd=rnd)
    rnd = reload(rnd)
    assert (rnd.status, rnd.bid_count, rnd.current_price_fen, rnd.leader_code) == (S.BIDDING, 2, 80_500_000, "B2")
    frozen.set(rnd.effective_end)
    assert services.round_close(rnd=rnd)
    assert reload(rnd).status == S.SOLD


def test_a_stayed_round_cannot_be_republished_past_the_resume_deadline(stayed: AuctionRound, judge: builders.User,
                                                                       frozen: clock.FrozenClock,
                                                                       codes: Codes) -> None:
    frozen.set(local(date(2026, 3, 11)))  # the cause ended on 5 March: resumption was due by 10 March
    with pytest.raises(RuleViolation) as resume_exc:
        resume_round(judge, stayed, cause_ended_on=date(2026, 3, 5))
    assert codes(resume_exc.value) == ["resume_deadline_passed"]
    with pytest.raises(RuleViolation) as publish_exc:
        services.round_publish(actor=judge, rnd=stayed)
    assert codes(publish_exc.value) == ["transition_not_allowed"]
    assert reload(stayed).status == S.STAYED


def test_a_resumed_sale_stays_within_the_reference_grace_period(court: builders.Court, judge: builders.User,
                                                                frozen: clock.FrozenClock, codes: Codes) -> None:
    lot = builders.lot(builders.case(court), reference_valid_until=date(2026, 3, 31))
    rnd = builders.round_in(S.STAYED, judge=judge, frozen=frozen, lot_obj=lot)
    # The sale deadline is 30 September 2026; this schedule ends on 1 October.
    with pytest.raises(RuleViolation) as exc_info:
        resume_round(judge, rnd, start=local(date(2026, 9, 30)))
    assert codes(exc_info.value) == ["reference_grace_exceeded"]


# --- taking the lot in lieu of payment (PB art.16, HQ art.5) ---------------------------------------


def take(judge: builders.User, rnd: AuctionRound, creditor: Party | None = None, *, qualified: bool = False,
         reason: str = "申请执行人申请以物抵债") -> dict[str, int]:
    creditor = creditor or rnd.lot.case.parties.get(role=Party.Role.APPLICANT)
    return services.round_take_in_lieu(actor=judge, rnd=rnd, creditor=creditor, reason=reason,
                                       qualification_confirmed=qualified)


def add_claim(judge: builders.User, rnd: AuctionRound, principal: int, interest: int = 0, *,
              verified: bool = True) -> None:
    case = rnd.lot.case
    services.claim_add(actor=judge, case=case, creditor=case.parties.get(role=Party.Role.APPLICANT),
                       title_document="（2025）京0105民初1号民事判决书", principal_fen=principal, interest_fen=interest,
                       verified=verified)


@pytest.mark.parametrize(
    ("claims", "top_up"),
    [(0, 80_000_000), (51_000_000, 29_000_000), (79_999_999, 1), (80_000_000, 0), (120_000_000, 0)],
)
def test_in_lieu_at_the_start_price_with_the_top_up(failed_first: AuctionRound, judge: builders.User, claims: int,
                                                    top_up: int) -> None:
    if claims:
        add_claim(judge, failed_first, claims - 1_000_000, 1_000_000)  # interest counts with the principal
    add_claim(judge, failed_first, 10_000_000, verified=False)  # unverified claims do not count
    terms = take(judge, failed_first)
    assert terms == {"value_fen": 80_000_000, "verified_claims_fen": claims, "top_up_fen": top_up}
    rnd = reload(failed_first)
    assert (rnd.status, rnd.status_reason) == (S.TAKEN_IN_LIEU, "申请执行人申请以物抵债")
    records = round_records(rnd)
    assert [r.action for r in records[-2:]] == ["round.take_in_lieu", "round.in_lieu_terms"]
    assert records[-1].after["top_up_fen"] == top_up


def test_in_lieu_after_the_second_round_is_at_the_second_start(failed_second: AuctionRound,
                                                               judge: builders.User) -> None:
    assert take(judge, failed_second)["value_fen"] == 64_000_000


def test_only_a_creditor_of_the_case_takes_in_lieu(failed_first: AuctionRound, judge: builders.User,
                                                   court: builders.Court, codes: Codes) -> None:
    debtor = failed_first.lot.case.parties.get(role=Party.Role.DEBTOR)
    with pytest.raises(RuleViolation) as exc_info:
        take(judge, failed_first, debtor)
    assert codes(exc_info.value) == ["bad_creditor"]
    stranger = builders.case(court, serial=9999).parties.get(role=Party.Role.APPLICANT)
    with pytest.raises(RuleViolation) as other_case:
        take(judge, failed_first, stranger)
    assert codes(other_case.value) == ["bad_creditor"]
    assert reload(failed_first).status == S.FAILED


def test_in_lieu_needs_a_reason(failed_first: AuctionRound, judge: builders.User, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        take(judge, failed_first, reason="")
    assert codes(exc_info.value) == ["reason_required"]


def test_a_restricted_house_needs_the_creditors_confirmed_qualification(court: builders.Court,
                                                                        judge: builders.User,
                                                                        frozen: clock.FrozenClock,
                                                                        codes: Codes) -> None:
    lot = builders.lot(builders.case(court), purchase_restricted=True)
    rnd = builders.round_in(S.FAILED, judge=judge, frozen=frozen, lot_obj=lot)
    with pytest.raises(RuleViolation) as exc_info:
        take(judge, rnd)
    assert codes(exc_info.value) == ["qualification_required"]
    with translation.override("en"):
        assert exc_info.value.text == "The creditor's house-purchase qualification must be confirmed first (HQ art.5)."
    assert reload(rnd).status == S.FAILED
    assert take(judge, rnd, qualified=True)["value_fen"] == 80_000_000


def test_an_unrestricted_house_needs_no_qualification(failed_first: AuctionRound, judge: builders.User) -> None:
    assert take(judge, failed_first, qualified=False)["top_up_fen"] == 80_000_000


def test_a_lot_is_taken_in_lieu_once(failed_first: AuctionRound, judge: builders.User, codes: Codes) -> None:
    take(judge, failed_first)
    with pytest.raises(RuleViolation) as exc_info:
        take(judge, failed_first)
    assert codes(exc_info.value) == ["transition_not_allowed"]


def test_no_taking_in_lieu_once_the_next_round_exists(failed_first: AuctionRound, judge: builders.User) -> None:
    second = services.round_create_next(actor=judge, previous=failed_first, terms=second_terms(), **builders.TEXTS)
    with pytest.raises(RuleViolation):
        take(judge, failed_first)
    assert reload(failed_first).status == S.FAILED
    assert reload(second).status == S.DRAFT
