"""Online inquiry (RP arts.10–13): sent to every platform at once, 3 days each, a 3-day extension
only when every platform missed and only for those that asked in time, the mean of the results
delivered in time less the ones objected to, exact to the fen. Dates: T0 is Monday 2 March 2026;
3 days from Monday end on Thursday 5 March; from Wednesday 4 March they end on Saturday 7 March,
which moves to Monday 9 March (CPL art.85)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import override_settings

from auction.models import Lot
from core import clock
from core.errors import RuleViolation
from tests import builders
from tests.valuation.conftest import deliver_all, parties, platform_reports
from valuation import rules, selectors, services
from valuation.models import MethodStep, Objection, OnlineInquiry, Report, Valuation

M = Lot.ReferenceMethod
G = MethodStep.Ground
pytestmark = pytest.mark.django_db
MON, TUE, WED, THU, FRI = (date(2026, 3, d) for d in (2, 3, 4, 5, 6))


@pytest.fixture
def inquiry(at_method: Callable[[str], Valuation], clerk: builders.User) -> Valuation:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    return Valuation.objects.get(pk=valuation.pk)


def answer(report: Report, actor: builders.User, price_fen: int, on: date) -> Report:
    return services.online_inquiry_record(actor=actor, report=report, price_fen=price_fen, report_date=on,
                                          received_on=on, number=f"WX-{report.pk}")


def set_today(frozen: clock.FrozenClock, day: date) -> None:
    frozen.set(clock.local_midnight(day) + timedelta(hours=10))


def test_mean_rounds_half_up_to_the_fen() -> None:
    assert rules.mean_fen([100_000_001, 100_000_002]) == 100_000_002  # 100,000,001.5 → up
    assert rules.mean_fen([1, 1, 2]) == 1  # 1.33 → 1
    assert rules.mean_fen([1, 2, 2]) == 2  # 1.67 → 2
    assert rules.mean_fen([528_800_000, 533_600_000, 533_600_000]) == 532_000_000


def test_sent_to_every_platform_at_once_with_3_days(inquiry: Valuation) -> None:
    sent = OnlineInquiry.objects.get(valuation=inquiry)
    assert (sent.sent_on, sent.due_on) == (MON, THU)
    reports = platform_reports(inquiry)
    assert [r.provider for r in reports] == ["platform_a", "platform_b", "platform_c"]
    assert all(r.price_fen is None for r in reports)  # the estimator is a check, not a platform


@override_settings(FAPAI_INQUIRY_PROVIDERS=["valuation.providers.PlatformA",
                                            "valuation.providers.ComparableSalesEstimator"])
def test_the_platform_list_comes_from_the_settings(at_method: Callable[[str], Valuation],
                                                   clerk: builders.User) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    assert [r.provider for r in platform_reports(valuation)] == ["platform_a"]


def test_period_ending_on_a_weekend_moves_to_monday(opened: Valuation, clerk: builders.User,
                                                    frozen: clock.FrozenClock) -> None:
    set_today(frozen, WED)
    from tests.valuation.conftest import reach

    valuation = reach(opened, clerk, M.ONLINE_INQUIRY)
    sent = services.online_inquiry_send(actor=clerk, valuation=valuation)
    assert sent.due_on == date(2026, 3, 9)


def test_the_mean_counts_only_reports_delivered_in_time(inquiry: Valuation, clerk: builders.User,
                                                        frozen: clock.FrozenClock) -> None:
    a, b, c = platform_reports(inquiry)
    set_today(frozen, TUE)
    answer(a, clerk, 100_000_001, TUE)
    set_today(frozen, THU)
    answer(b, clerk, 100_000_002, THU)  # on the last day: in time
    outcome = selectors.inquiry_outcome(inquiry, THU)
    assert not outcome.period_over  # C may still answer today
    set_today(frozen, FRI)
    answer(c, clerk, 90_000_000, FRI)  # the day after: late, recorded, not counted
    outcome = selectors.inquiry_outcome(inquiry, FRI)
    assert outcome.period_over
    assert [(r.provider, p) for r, p in outcome.included] == [("platform_a", 100_000_001),
                                                              ("platform_b", 100_000_002)]
    assert outcome.mean_fen == 100_000_002  # (100,000,001 + 100,000,002) / 2 = 100,000,001.5 → half up
    late = next(row for row in outcome.rows if row.report.pk == c.pk)
    assert not late.on_time and not late.included


def test_fixing_waits_for_delivery_and_every_objection_period(inquiry: Valuation, clerk: builders.User,
                                                              frozen: clock.FrozenClock, codes: Callable) -> None:
    a, b, c = platform_reports(inquiry)
    for report, price in ((a, 528_800_000), (b, 533_600_000), (c, 533_600_000)):
        answer(report, clerk, price, MON)
    with pytest.raises(RuleViolation) as exc:
        services.valuation_fix(actor=clerk, valuation=inquiry)
    assert "objection_period" in codes(exc.value)  # not sent to anybody yet
    monday_9 = date(2026, 3, 9)
    set_today(frozen, monday_9)
    deliver_all(inquiry, clerk, monday_9)
    # Received Monday 9 March: 5 days end Saturday 14 March, moved to Monday 16 March.
    set_today(frozen, date(2026, 3, 16))
    with pytest.raises(RuleViolation) as exc:
        services.valuation_fix(actor=clerk, valuation=inquiry)
    assert "objection_period" in codes(exc.value)
    set_today(frozen, date(2026, 3, 17))
    fixed = services.valuation_fix(actor=clerk, valuation=inquiry)
    assert fixed.price_fen == 532_000_000 and fixed.status == Valuation.Status.FIXED
    assert fixed.valid_until == date(2027, 3, 1)  # the reports' own validity: one year from 2 March
    lot = Lot.objects.get(pk=inquiry.lot_id)
    assert (lot.reference_price_fen, lot.reference_method, lot.reference_fixed_on) == (
        532_000_000, M.ONLINE_INQUIRY, date(2026, 3, 17))


def test_extension_only_when_every_platform_missed_and_only_for_those_who_asked(
        inquiry: Valuation, clerk: builders.User, frozen: clock.FrozenClock) -> None:
    a, b, c = platform_reports(inquiry)
    set_today(frozen, THU)
    services.online_inquiry_request_extension(actor=clerk, report=a, requested_on=THU)  # the last day: in time
    services.online_inquiry_request_extension(actor=clerk, report=b, requested_on=THU)
    with pytest.raises(RuleViolation) as exc:  # the period is still running
        services.online_inquiry_extend(actor=clerk, valuation=inquiry)
    assert exc.value.rule_code == "period_running"
    set_today(frozen, FRI)
    with pytest.raises(RuleViolation) as exc:
        services.online_inquiry_request_extension(actor=clerk, report=c, requested_on=FRI)
    assert exc.value.rule_code == "extension_request_late"
    assert selectors.inquiry_outcome(inquiry, FRI).extension_available
    with pytest.raises(RuleViolation) as exc:  # the court must extend before the inquiry can fail
        services.method_fail(actor=clerk, valuation=inquiry, ground=G.NO_PLATFORM_DELIVERED)
    assert exc.value.rule_code == "inquiry_not_failed"
    extended = services.online_inquiry_extend(actor=clerk, valuation=inquiry)
    # Thursday 5 March + 3 days = Sunday 8 March → Monday 9 March.
    assert extended.extended_due_on == date(2026, 3, 9)
    with pytest.raises(RuleViolation) as exc:
        services.online_inquiry_extend(actor=clerk, valuation=inquiry)
    assert exc.value.rule_code == "already_extended"
    set_today(frozen, date(2026, 3, 9))
    answer(a, clerk, 80_000_000, date(2026, 3, 9))  # asked in time: counts within the extension
    answer(c, clerk, 70_000_000, date(2026, 3, 9))  # did not ask: late
    set_today(frozen, date(2026, 3, 10))
    answer(b, clerk, 60_000_000, date(2026, 3, 10))  # asked, but after the extension: late
    outcome = selectors.inquiry_outcome(inquiry, date(2026, 3, 10))
    assert [r.provider for r, _p in outcome.included] == ["platform_a"] and outcome.mean_fen == 80_000_000


def test_no_extension_once_a_platform_delivered(inquiry: Valuation, clerk: builders.User,
                                               frozen: clock.FrozenClock) -> None:
    a, b, _c = platform_reports(inquiry)
    answer(a, clerk, 80_000_000, MON)
    set_today(frozen, TUE)
    services.online_inquiry_request_extension(actor=clerk, report=b, requested_on=TUE)
    set_today(frozen, FRI)
    with pytest.raises(RuleViolation) as exc:
        services.online_inquiry_extend(actor=clerk, valuation=inquiry)
    assert exc.value.rule_code == "extension_refused_some_delivered"


def test_nobody_delivered_nor_asked_then_the_inquiry_fails_to_appraisal(inquiry: Valuation, clerk: builders.User,
                                                                       frozen: clock.FrozenClock) -> None:
    set_today(frozen, THU)
    with pytest.raises(RuleViolation) as exc:
        services.method_fail(actor=clerk, valuation=inquiry, ground=G.NO_PLATFORM_DELIVERED)
    assert exc.value.rule_code == "inquiry_not_failed"
    set_today(frozen, FRI)
    with pytest.raises(RuleViolation) as exc:
        services.online_inquiry_extend(actor=clerk, valuation=inquiry)
    assert exc.value.rule_code == "extension_not_requested"
    services.method_fail(actor=clerk, valuation=inquiry, ground=G.NO_PLATFORM_DELIVERED)
    assert services.next_method(inquiry) == M.APPRAISAL
    services.method_start(actor=clerk, valuation=inquiry, method=M.APPRAISAL)


def object_to(valuation: Valuation, report: Report, actor: builders.User, on: date) -> Objection:
    return services.objection_file(actor=actor, valuation=valuation, report=report, party=parties(valuation)[1],
                                   kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.BASIC_INFO,
                                   grounds_text="房屋面积与产权证不符", filed_on=on)


def decide(objection: Objection, actor: builders.User, outcome: str, corrected: int | None = None) -> None:
    services.objection_decide(actor=actor, objection=objection, outcome=outcome, decided_on=clock.today(),
                              decision_reference="（2026）京0105执异1号", corrected_price_fen=corrected)


def test_objection_to_some_reports_leaves_the_mean_of_the_others(inquiry: Valuation, clerk: builders.User) -> None:
    a, b, c = platform_reports(inquiry)
    for report, price in ((a, 100_000_000), (b, 101_000_000), (c, 120_000_000)):
        answer(report, clerk, price, MON)
    deliver_all(inquiry, clerk, MON)
    objection = object_to(inquiry, c, clerk, MON)
    decide(objection, clerk, Objection.Outcome.REJECTED)
    outcome = selectors.inquiry_outcome(inquiry, MON)
    # Objected to while A and B were not: C is left out even though the objection was rejected.
    assert [r.pk for r, _p in outcome.included] == [a.pk, b.pk] and outcome.mean_fen == 100_500_000


def test_objection_to_every_report_keeps_the_rejected_and_corrected_ones(inquiry: Valuation,
                                                                        clerk: builders.User) -> None:
    a, b, c = platform_reports(inquiry)
    for report, price in ((a, 100_000_000), (b, 101_000_000), (c, 120_000_000)):
        answer(report, clerk, price, MON)
    deliver_all(inquiry, clerk, MON)
    objections = [object_to(inquiry, r, clerk, MON) for r in (a, b, c)]
    assert selectors.inquiry_outcome(inquiry, MON).included == []  # pending: nothing counted yet
    decide(objections[0], clerk, Objection.Outcome.REJECTED)
    decide(objections[1], clerk, Objection.Outcome.CORRECTED, corrected=103_000_001)
    decide(objections[2], clerk, Objection.Outcome.SET_ASIDE)
    outcome = selectors.inquiry_outcome(inquiry, MON)
    assert [(r.pk, p) for r, p in outcome.included] == [(a.pk, 100_000_000), (b.pk, 103_000_001)]
    assert outcome.mean_fen == 101_500_001  # 101,500,000.5 → half up


def test_a_pending_objection_blocks_fixing(inquiry: Valuation, clerk: builders.User, frozen: clock.FrozenClock,
                                           codes: Callable) -> None:
    a, b, c = platform_reports(inquiry)
    for report in (a, b, c):
        answer(report, clerk, 100_000_000, MON)
    deliver_all(inquiry, clerk, MON)
    object_to(inquiry, a, clerk, MON)
    set_today(frozen, date(2026, 3, 20))
    with pytest.raises(RuleViolation) as exc:
        services.valuation_fix(actor=clerk, valuation=inquiry)
    assert "objection_period" in codes(exc.value)


def test_a_report_is_recorded_once_and_cannot_predate_the_commission(inquiry: Valuation,
                                                                    clerk: builders.User) -> None:
    a = platform_reports(inquiry)[0]
    with pytest.raises(RuleViolation) as exc:
        answer(a, clerk, 1_000, MON - timedelta(days=1))
    assert exc.value.rule_code == "report_before_commission"
    answer(a, clerk, 1_000, MON)
    with pytest.raises(RuleViolation) as exc:
        answer(a, clerk, 2_000, MON)
    assert exc.value.rule_code == "already_reported"
    with pytest.raises(RuleViolation) as exc:
        services.online_inquiry_record(actor=clerk, report=platform_reports(inquiry)[1], price_fen=1_000,
                                       report_date=MON, received_on=MON, valid_until=date(2027, 3, 2))
    assert exc.value.rule_code == "validity_too_long"
