"""Commissioned appraisal (RP arts.14–19, 23, 26): three agencies agreed or drawn by a verifiable
lottery, 30 days for the report, at most two extensions of at most 15 days asked at least 5 days
before expiry, a late agency handing over to the next, stays deducted, objections to the method or
result through the agency and a technical review. Commissioned on Monday 2 March 2026, the report
is due Wednesday 1 April."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from auction.models import Lot
from core import clock, days
from core.errors import RuleViolation
from tests import builders
from tests.valuation.conftest import agencies, deliver_all, parties
from valuation import jobs, rules, selectors, services
from valuation.models import Agency, AppraisalSelection, Engagement, Extension, Objection, Report, Valuation

M = Lot.ReferenceMethod
E = Engagement.Status
pytestmark = pytest.mark.django_db
DUE = date(2026, 4, 1)
ASSOCIATION = "北京市房地产估价师和经纪人协会"


def set_today(frozen: clock.FrozenClock, day: date) -> None:
    frozen.set(clock.local_midnight(day) + timedelta(hours=10))


@pytest.fixture
def appraisal(at_method: Callable[[str], Valuation]) -> Valuation:
    return at_method(M.APPRAISAL)


@pytest.fixture
def drawn(appraisal: Valuation, clerk: builders.User) -> Valuation:
    agencies(6)
    services.appraisal_select_lottery(actor=clerk, valuation=appraisal, specialty=Agency.Specialty.REAL_ESTATE,
                                      scope=AppraisalSelection.Scope.CITY, reason="双方当事人协商不成",
                                      seed="a" * 64)
    return appraisal


def engagements(valuation: Valuation) -> list[Engagement]:
    return list(Engagement.objects.filter(selection__valuation=valuation).select_related("agency")
                .order_by("selection_id", "order"))


def report(valuation: Valuation, actor: builders.User, price_fen: int = 90_000_000) -> Report:
    today = clock.today()
    return services.appraisal_record_report(actor=actor, valuation=valuation, price_fen=price_fen, report_date=today,
                                            received_on=today, number="京评〔2026〕估字第1号")


# --- selection and the lottery (RP arts.15–16) ---------------------------------------------------------


def test_the_lottery_is_reproducible_from_its_record(drawn: Valuation) -> None:
    selection = drawn.selections.get()
    assert selection.algorithm == rules.LOTTERY_ALGORITHM and selection.seed == "a" * 64
    candidate_ids = [c["id"] for c in selection.candidates]
    assert candidate_ids == sorted(candidate_ids) and len(candidate_ids) == 6  # canonical order: by id
    # Anyone can re-run it with the published algorithm and get the same three in the same order.
    import hashlib
    import hmac

    by_hand = sorted(candidate_ids, key=lambda i: hmac.new(b"a" * 64, str(i).encode(), hashlib.sha256).hexdigest())[:3]
    assert selection.drawn == by_hand
    assert [e.agency_id for e in engagements(drawn)] == by_hand
    record = selectors.lottery_record(selection)
    assert record.check.verified and record.check.drawn == selection.drawn


def test_the_draw_changes_with_the_seed_and_tampering_is_detected() -> None:
    ids = list(range(1, 21))
    first, second = rules.lottery_draw("seed-one", ids), rules.lottery_draw("seed-two", ids)
    assert first != second
    assert rules.lottery_draw("seed-one", list(reversed(ids))) == first  # the list order does not matter
    assert not rules.lottery_verify(rules.LOTTERY_ALGORITHM, "seed-one", ids, second).verified
    assert not rules.lottery_verify("another-algorithm", "seed-one", ids, first).verified


def test_the_lottery_draws_from_the_right_list(appraisal: Valuation, clerk: builders.User) -> None:
    agencies(2)  # Beijing real estate
    agencies(3, province="上海市", city="上海市")
    agencies(3, specialty=Agency.Specialty.ASSETS)
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_select_lottery(actor=clerk, valuation=appraisal, specialty=Agency.Specialty.REAL_ESTATE,
                                          scope=AppraisalSelection.Scope.CITY, reason="当事人协商不成")
    assert exc.value.rule_code == "too_few_candidates"
    selection = services.appraisal_select_lottery(actor=clerk, valuation=appraisal,
                                                  specialty=Agency.Specialty.REAL_ESTATE,
                                                  scope=AppraisalSelection.Scope.SPECIALTY, reason="当事人协商不成")
    assert len(selection.candidates) == 5 and len(selection.seed) == 64  # secrets.token_hex(32)
    drawn_specialties = set(Agency.objects.filter(pk__in=selection.drawn).values_list("specialty", flat=True))
    assert drawn_specialties == {Agency.Specialty.REAL_ESTATE}


def test_agreed_selection_needs_three_listed_agencies(appraisal: Valuation, clerk: builders.User) -> None:
    a, b, c, d = agencies(4)
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_select_agreed(actor=clerk, valuation=appraisal, agencies=[a, b],
                                          specialty=Agency.Specialty.REAL_ESTATE, agreement_reference="协商笔录")
    assert exc.value.rule_code == "three_agencies"
    selection = services.appraisal_select_agreed(actor=clerk, valuation=appraisal, agencies=[c, a, d],
                                                 specialty=Agency.Specialty.REAL_ESTATE,
                                                 agreement_reference="选定评估机构协商笔录")
    assert selection.mode == AppraisalSelection.Mode.AGREED and selection.drawn == [c.pk, a.pk, d.pk]
    first, *rest = engagements(appraisal)
    assert (first.agency_id, first.status, first.commissioned_on, first.due_on) == (c.pk, E.ACTIVE, clock.today(), DUE)
    assert [e.status for e in rest] == [E.QUEUED, E.QUEUED]
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_select_agreed(actor=clerk, valuation=appraisal, agencies=[b, a, d],
                                          specialty=Agency.Specialty.REAL_ESTATE, agreement_reference="x")
    assert exc.value.rule_code == "selection_exists"


# --- the period and its extensions (RP art.19) ----------------------------------------------------------


def test_extension_rules_at_their_boundaries(drawn: Valuation, clerk: builders.User,
                                             frozen: clock.FrozenClock) -> None:
    set_today(frozen, date(2026, 3, 28))  # 4 days before 1 April: too late
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_extend(actor=clerk, valuation=drawn, days_requested=10, requested_on=clock.today())
    assert exc.value.rule_code == "extension_request_late"
    set_today(frozen, date(2026, 3, 27))  # exactly 5 days before: in time
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_extend(actor=clerk, valuation=drawn, days_requested=16, requested_on=clock.today())
    assert exc.value.rule_code == "extension_too_long"
    first = services.appraisal_extend(actor=clerk, valuation=drawn, days_requested=15, requested_on=clock.today())
    assert first.due_on == date(2026, 4, 16) and first.extensions == 1
    second = services.appraisal_extend(actor=clerk, valuation=drawn, days_requested=15, requested_on=clock.today())
    assert second.due_on == days.period_end(date(2026, 4, 16), 15) and second.extensions == 2
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_extend(actor=clerk, valuation=drawn, days_requested=1, requested_on=clock.today())
    assert exc.value.rule_code == "extensions_exhausted"
    assert Extension.objects.count() == 2


def test_a_report_on_the_last_day_counts_and_the_next_day_the_agency_hands_over(
        drawn: Valuation, clerk: builders.User, frozen: clock.FrozenClock) -> None:
    first, second, third = engagements(drawn)
    set_today(frozen, DUE)
    with pytest.raises(RuleViolation) as exc:
        services.appraisal_hand_over(actor=clerk, valuation=drawn)
    assert exc.value.rule_code == "not_late"
    set_today(frozen, DUE + timedelta(days=1))
    with pytest.raises(RuleViolation) as exc:
        report(drawn, clerk)
    assert exc.value.rule_code == "appraisal_late"
    assert jobs.hand_over_late_agencies() == 1  # the clock hands over …
    assert jobs.hand_over_late_agencies() == 0  # … once
    first, second, third = engagements(drawn)
    assert (first.status, second.status, third.status) == (E.LATE, E.ACTIVE, E.QUEUED)
    assert second.commissioned_on == DUE + timedelta(days=1)
    assert second.due_on == days.period_end(DUE + timedelta(days=1), 30)


def test_a_report_on_the_last_day_is_accepted(drawn: Valuation, clerk: builders.User,
                                              frozen: clock.FrozenClock) -> None:
    set_today(frozen, DUE)
    report(drawn, clerk)
    assert [e.status for e in engagements(drawn)] == [E.REPORTED, E.QUEUED, E.QUEUED]


def test_the_last_agency_late_leaves_a_new_selection_without_it(drawn: Valuation, clerk: builders.User,
                                                                frozen: clock.FrozenClock) -> None:
    for _ in range(3):
        active = selectors.active_engagement(drawn)
        assert active is not None and active.due_on is not None
        set_today(frozen, active.due_on + timedelta(days=1))
        services.appraisal_hand_over(actor=clerk, valuation=drawn)
    assert selectors.active_engagement(drawn) is None
    late = {e.agency_id for e in engagements(drawn)}
    selection = services.appraisal_select_lottery(actor=clerk, valuation=drawn, specialty=Agency.Specialty.REAL_ESTATE,
                                                  scope=AppraisalSelection.Scope.CITY, reason="前三家均逾期")
    assert {c["id"] for c in selection.candidates}.isdisjoint(late)


def test_a_stay_is_deducted_from_the_period(drawn: Valuation, clerk: builders.User,
                                            frozen: clock.FrozenClock) -> None:
    set_today(frozen, date(2026, 3, 10))
    services.valuation_stay(actor=clerk, valuation=drawn, ground=Valuation.StayGround.ENFORCEMENT_STAYED,
                            reason="案件暂缓执行")
    with pytest.raises(RuleViolation) as exc:
        report(drawn, clerk)
    assert exc.value.rule_code == "valuation_not_open"
    set_today(frozen, date(2026, 3, 20))
    services.valuation_resume(actor=clerk, valuation=drawn, reason="暂缓事由消除")
    active = selectors.active_engagement(drawn)
    assert active is not None
    # 10 stayed days: 1 April + 10 = Saturday 11 April, moved to Monday 13 April.
    assert (active.due_on, active.stayed_days) == (date(2026, 4, 13), 10)


# --- objections to an appraisal (RP arts.22–23, 26) --------------------------------------------------------


def test_method_objection_goes_to_the_agency_then_to_review_and_a_correction_is_the_price(
        drawn: Valuation, clerk: builders.User, frozen: clock.FrozenClock) -> None:
    appraised = report(drawn, clerk, 90_000_000)
    deliver_all(drawn, clerk)
    debtor = parties(drawn)[1]
    objection = services.objection_file(actor=clerk, valuation=drawn, report=appraised, party=debtor,
                                        kind=Objection.Kind.METHOD_RESULT, ground=Objection.Ground.METHOD,
                                        grounds_text="可比实例选取不当，评估价明显偏低", filed_on=clock.today())
    with pytest.raises(RuleViolation) as exc:  # decided only after the agency or the review
        services.objection_decide(actor=clerk, objection=objection, outcome=Objection.Outcome.REJECTED,
                                  decided_on=clock.today(), decision_reference="x")
    assert exc.value.rule_code == "objection_wrong_status"
    set_today(frozen, date(2026, 3, 5))  # forwarded on the third day
    services.objection_forward(actor=clerk, objection=objection, forwarded_on=clock.today())
    deadlines = {d.code: d for d in selectors.deadlines(drawn, clock.today())}
    assert deadlines[f"forward:{objection.pk}"].due_on == date(2026, 3, 5)  # filed Monday: 3 days
    assert deadlines[f"forward:{objection.pk}"].done_on == date(2026, 3, 5)
    assert deadlines[f"explain:{objection.pk}"].due_on == date(2026, 3, 10)  # then 5 days for the agency
    set_today(frozen, date(2026, 3, 10))
    with pytest.raises(RuleViolation) as exc:  # the agency has until Tuesday 10 March
        services.objection_refer_to_review(actor=clerk, objection=objection, review_body=ASSOCIATION,
                                           referred_on=clock.today())
    assert exc.value.rule_code == "explanation_pending"
    set_today(frozen, date(2026, 3, 11))
    services.objection_refer_to_review(actor=clerk, objection=objection, review_body=ASSOCIATION,
                                       referred_on=clock.today())
    with pytest.raises(RuleViolation) as exc:
        services.valuation_fix(actor=clerk, valuation=drawn)
    assert exc.value.rule_code == "objection_period"
    services.objection_decide(actor=clerk, objection=objection, outcome=Objection.Outcome.CORRECTED,
                              corrected_price_fen=96_500_000, decided_on=clock.today(),
                              decision_reference="京估协评审〔2026〕12号")
    fixed = services.valuation_fix(actor=clerk, valuation=drawn)
    assert fixed.price_fen == 96_500_000 and Lot.objects.get(pk=drawn.lot_id).reference_method == M.APPRAISAL
    assert [e.status for e in engagements(drawn)] == [E.REPORTED, E.RELEASED, E.RELEASED]


def test_qualification_objection_upheld_sends_the_appraisal_to_the_next_agency(
        drawn: Valuation, clerk: builders.User) -> None:
    appraised = report(drawn, clerk)
    deliver_all(drawn, clerk)
    objection = services.objection_file(actor=clerk, valuation=drawn, report=appraised, party=parties(drawn)[0],
                                        kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.QUALIFICATION,
                                        grounds_text="签字估价师无执业资格", filed_on=clock.today())
    services.objection_decide(actor=clerk, objection=objection, outcome=Objection.Outcome.SET_ASIDE,
                              decided_on=clock.today(), decision_reference="（2026）京0105执异5号")
    first, second, _third = engagements(drawn)
    assert (first.status, second.status) == (E.SET_ASIDE, E.ACTIVE)
    assert selectors.appraisal_report(drawn) is None
    with pytest.raises(RuleViolation) as exc:
        services.valuation_fix(actor=clerk, valuation=drawn)
    assert exc.value.rule_code == "no_report"


def test_a_basic_information_objection_corrects_rather_than_sets_aside(drawn: Valuation,
                                                                      clerk: builders.User) -> None:
    appraised = report(drawn, clerk)
    deliver_all(drawn, clerk)
    objection = services.objection_file(actor=clerk, valuation=drawn, report=appraised, party=parties(drawn)[0],
                                        kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.BASIC_INFO,
                                        grounds_text="楼层有误", filed_on=clock.today())
    with pytest.raises(RuleViolation) as exc:
        services.objection_decide(actor=clerk, objection=objection, outcome=Objection.Outcome.SET_ASIDE,
                                  decided_on=clock.today(), decision_reference="x")
    assert exc.value.rule_code == "set_aside_not_allowed"


def test_withdrawal_releases_the_queued_agencies(drawn: Valuation, clerk: builders.User) -> None:
    services.valuation_withdraw(actor=clerk, valuation=drawn, ground=Valuation.WithdrawGround.PERFORMED,
                                reason="被执行人已全部履行")
    assert [e.status for e in engagements(drawn)] == [E.ACTIVE, E.RELEASED, E.RELEASED]
    with pytest.raises(RuleViolation) as exc:
        services.valuation_resume(actor=clerk, valuation=drawn, reason="x")
    assert exc.value.rule_code == "not_stayed"
