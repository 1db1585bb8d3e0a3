"""Costs (RP arts.31–33): the online-inquiry fee to the platform closest to the sale price (ties
split), the appraisal fee on the lower of the sale price and the appraisal, actual expenses when
unsold or withdrawn, nothing for a negotiation; every cost advanced by the applicant and borne by
the debtor, recorded once per case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from auction.models import AuctionRound, Lot, Party
from core import clock, days
from core.errors import RuleViolation
from tests import builders
from tests.valuation.conftest import agencies, deliver_all, platform_reports
from valuation import rules, services
from valuation.models import Agency, AppraisalSelection, Valuation, ValuationCost

M = Lot.ReferenceMethod
pytestmark = pytest.mark.django_db


def test_fee_arithmetic() -> None:
    assert rules.closest_to(80, [("a", 100), ("b", 90), ("c", 70)]) == ["b", "c"]
    assert rules.closest_to(95, [("a", 100), ("b", 90)]) == ["a", "b"]
    assert rules.closest_to(99, [("a", 100), ("b", 90)]) == ["a"]
    assert rules.split_evenly(100_001, 2) == [50_001, 50_000]
    assert sum(rules.split_evenly(100, 3)) == 100
    assert rules.appraisal_fee_base(sale_fen=80, appraisal_fen=90) == 80  # sold below: the sale price
    assert rules.appraisal_fee_base(sale_fen=95, appraisal_fen=90) == 90  # sold above: the appraisal
    assert rules.percent_half_up(80_000_000, 50) == 400_000
    assert rules.percent_half_up(101, 5000) == 51  # 50.5 → half up


def wait_out_objections(valuation: Valuation, actor: builders.User, frozen: clock.FrozenClock) -> Valuation:
    deliver_all(valuation, actor)
    frozen.advance(timedelta(days=8))
    return services.valuation_fix(actor=actor, valuation=valuation)


def sell(lot: Lot, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    """A first round sold at its start price of ¥800,000."""
    return builders.round_in(AuctionRound.Status.SOLD, judge=judge, frozen=frozen, lot_obj=lot, start_fen=80_000_000)


def test_inquiry_fee_goes_to_the_closest_platforms(at_method: Callable[[str], Valuation], clerk: builders.User,
                                                   judge: builders.User, frozen: clock.FrozenClock) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    for report, price in zip(platform_reports(valuation), (100_000_000, 90_000_000, 70_000_000), strict=True):
        services.online_inquiry_record(actor=clerk, report=report, price_fen=price, report_date=clock.today(),
                                       received_on=clock.today())
    valuation = wait_out_objections(valuation, clerk, frozen)
    assert valuation.price_fen == 86_666_667
    with pytest.raises(RuleViolation) as exc:
        services.valuation_record_costs(actor=clerk, valuation=valuation, inquiry_fee_fen=100_001)
    assert exc.value.rule_code == "not_sold"
    sell(Lot.objects.get(pk=valuation.lot_id), judge, frozen)
    rows = services.valuation_record_costs(actor=clerk, valuation=valuation, inquiry_fee_fen=100_001)
    # Sold at ¥800,000: platforms B (¥900,000) and C (¥700,000) are equally close.
    assert [(r.kind, r.payee, r.amount_fen) for r in rows] == [
        (ValuationCost.Kind.INQUIRY_FEE, str(platform_reports(valuation)[1].provider_name), 50_001),
        (ValuationCost.Kind.INQUIRY_FEE, str(platform_reports(valuation)[2].provider_name), 50_000)]
    case = valuation.lot.case
    assert all(r.case_id == case.pk and r.borne_by == case.parties.get(role=Party.Role.DEBTOR)
               and r.advanced_by == case.parties.get(role=Party.Role.APPLICANT) for r in rows)
    with pytest.raises(RuleViolation) as exc:
        services.valuation_record_costs(actor=clerk, valuation=valuation, inquiry_fee_fen=100_001)
    assert exc.value.rule_code == "costs_recorded"


def appraised(valuation: Valuation, actor: builders.User, price_fen: int) -> Valuation:
    agencies(3)
    services.appraisal_select_lottery(actor=actor, valuation=valuation, specialty=Agency.Specialty.REAL_ESTATE,
                                      scope=AppraisalSelection.Scope.CITY, reason="协商不成")
    services.appraisal_record_report(actor=actor, valuation=valuation, price_fen=price_fen, report_date=clock.today(),
                                     received_on=clock.today(), number="估字1号")
    return valuation


@pytest.mark.parametrize(("appraisal_fen", "base_fen"), [(90_000_000, 80_000_000), (70_000_000, 70_000_000)])
def test_appraisal_fee_on_the_lower_of_sale_and_appraisal(at_method: Callable[[str], Valuation], clerk: builders.User,
                                                          judge: builders.User, frozen: clock.FrozenClock,
                                                          appraisal_fen: int, base_fen: int) -> None:
    valuation = wait_out_objections(appraised(at_method(M.APPRAISAL), clerk, appraisal_fen), clerk, frozen)
    sell(Lot.objects.get(pk=valuation.lot_id), judge, frozen)
    (row,) = services.valuation_record_costs(actor=clerk, valuation=valuation, appraisal_fee_rate_bp=50)
    assert (row.kind, row.base_fen, row.amount_fen) == (ValuationCost.Kind.APPRAISAL_FEE, base_fen, base_fen // 200)


def test_withdrawn_appraisal_pays_actual_expenses(at_method: Callable[[str], Valuation],
                                                  clerk: builders.User) -> None:
    valuation = at_method(M.APPRAISAL)
    agencies(3)
    selection = services.appraisal_select_lottery(actor=clerk, valuation=valuation,
                                                  specialty=Agency.Specialty.REAL_ESTATE,
                                                  scope=AppraisalSelection.Scope.CITY, reason="协商不成")
    services.valuation_withdraw(actor=clerk, valuation=valuation, ground=Valuation.WithdrawGround.PARTIES_AGREED,
                                reason="双方协商不再处置")
    with pytest.raises(RuleViolation) as exc:
        services.valuation_record_costs(actor=clerk, valuation=valuation)
    assert exc.value.rule_code == "expenses_required"
    (row,) = services.valuation_record_costs(actor=clerk, valuation=valuation, actual_expenses_fen=120_000)
    first = Agency.objects.get(pk=selection.drawn[0])
    assert (row.kind, row.payee, row.amount_fen) == (ValuationCost.Kind.APPRAISAL_EXPENSES, first.name, 120_000)


def test_a_negotiation_costs_nothing(at_method: Callable[[str], Valuation], clerk: builders.User) -> None:
    valuation = at_method(M.NEGOTIATION)
    for party in services.negotiating_parties(valuation):
        services.proposal_record(actor=clerk, valuation=valuation, party=party, price_fen=10_000_000,
                                 proposed_on=clock.today())
    valuation = services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)
    with pytest.raises(RuleViolation) as exc:
        services.valuation_record_costs(actor=clerk, valuation=valuation)
    assert exc.value.rule_code == "no_costs"
    assert not ValuationCost.objects.exists()


# --- reissue (RP arts.11 ¶4, 19 ¶4, 32 ¶2) --------------------------------------------------------------


def test_an_expired_appraisal_is_reissued_by_the_same_agency_for_30_percent(
        at_method: Callable[[str], Valuation], clerk: builders.User, judge: builders.User,
        frozen: clock.FrozenClock) -> None:
    valuation = wait_out_objections(appraised(at_method(M.APPRAISAL), clerk, 90_000_000), clerk, frozen)
    assert valuation.valid_until is not None
    assert not services.reissue_allowed(valuation, valuation.valid_until)  # on its last day it is still valid
    with pytest.raises(RuleViolation) as exc:
        services.valuation_reissue(actor=clerk, valuation=valuation)
    assert exc.value.rule_code == "reissue_not_allowed"
    frozen.set(clock.local_midnight(valuation.valid_until + timedelta(days=1)) + timedelta(hours=10))
    reissue = services.valuation_reissue(actor=clerk, valuation=valuation)
    assert reissue.reissue_of == valuation and reissue.method == M.APPRAISAL
    assert list(reissue.steps.values_list("outcome", "ground")) == [
        ("skipped", "reissue"), ("skipped", "reissue"), ("skipped", "reissue"), ("in_progress", "")]
    engagement = reissue.selections.get().engagements.get()
    first_agency = valuation.reports.get().engagement.agency  # type: ignore[union-attr]
    assert engagement.agency == first_agency and engagement.due_on == days.period_end(clock.today(), 15)
    services.appraisal_record_report(actor=clerk, valuation=reissue, price_fen=88_000_000, report_date=clock.today(),
                                     received_on=clock.today(), number="估字1号（重出）")
    reissue = wait_out_objections(reissue, clerk, frozen)
    assert Lot.objects.get(pk=reissue.lot_id).reference_price_fen == 88_000_000
    sell(Lot.objects.get(pk=reissue.lot_id), judge, frozen)
    (row,) = services.valuation_record_costs(actor=clerk, valuation=reissue, appraisal_fee_rate_bp=50)
    assert row.base_fen == 80_000_000 and row.amount_fen == 120_000  # 30% of 0.5% of ¥800,000


def test_no_reissue_when_the_first_notice_was_published_within_validity(
        at_method: Callable[[str], Valuation], clerk: builders.User, judge: builders.User,
        frozen: clock.FrozenClock) -> None:
    valuation = wait_out_objections(appraised(at_method(M.APPRAISAL), clerk, 90_000_000), clerk, frozen)
    builders.round_in(AuctionRound.Status.ANNOUNCED, judge=judge, frozen=frozen,
                      lot_obj=Lot.objects.get(pk=valuation.lot_id))
    assert valuation.valid_until is not None
    frozen.set(clock.local_midnight(valuation.valid_until + timedelta(days=1)) + timedelta(hours=10))
    assert not services.reissue_allowed(valuation, clock.today())  # the 6 months' grace applies instead


def test_an_expired_online_inquiry_goes_to_every_platform_again(at_method: Callable[[str], Valuation],
                                                                clerk: builders.User,
                                                                frozen: clock.FrozenClock) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    for report in platform_reports(valuation):
        services.online_inquiry_record(actor=clerk, report=report, price_fen=80_000_000, report_date=clock.today(),
                                       received_on=clock.today())
    valuation = wait_out_objections(valuation, clerk, frozen)
    assert valuation.valid_until is not None
    frozen.set(clock.local_midnight(valuation.valid_until + timedelta(days=1)) + timedelta(hours=10))
    reissue = services.valuation_reissue(actor=clerk, valuation=valuation)
    assert reissue.online_inquiry.due_on == days.period_end(clock.today(), 3)
    assert len(platform_reports(reissue)) == 3 and all(r.price_fen is None for r in platform_reports(reissue))
