"""The procedure's frame: opening (RP art.1), the investigation first (art.3), the four methods in
their legal order with the ground of every skip recorded (arts.4–7, 14), party negotiation (art.4)
and the directed inquiry (arts.5–6), which fix the price at once and cannot be objected to (art.24)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from auction.models import AuctionRound, Lot, Party
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord
from tests import builders
from tests.valuation.conftest import ALL_DONE, deliver_all, parties, reach
from valuation import selectors, services
from valuation.models import DirectedInquiry, MethodStep, Objection, Report, Valuation

M = Lot.ReferenceMethod
G = MethodStep.Ground
Outcome = MethodStep.Outcome
pytestmark = pytest.mark.django_db


def reload(valuation: Valuation) -> Valuation:
    return Valuation.objects.get(pk=valuation.pk)


# --- opening and investigation ---------------------------------------------------------------------


def test_open_records_and_allows_one_active_valuation(clerk: builders.User, lot_obj: Lot) -> None:
    valuation = services.valuation_open(actor=clerk, lot=lot_obj)
    assert valuation.status == Valuation.Status.OPEN and valuation.opened_on == clock.today()
    assert AuditRecord.objects.filter(action="valuation.open", object_id=str(valuation.pk)).exists()
    with pytest.raises(RuleViolation) as exc:
        services.valuation_open(actor=clerk, lot=lot_obj)
    assert exc.value.rule_code == "valuation_exists"


def test_open_refuses_dates_before_seizure_or_in_future(clerk: builders.User, lot_obj: Lot) -> None:
    with pytest.raises(RuleViolation) as exc:
        services.valuation_open(actor=clerk, lot=lot_obj, opened_on=lot_obj.seized_on - timedelta(days=1))
    assert exc.value.rule_code == "opened_before_seizure"
    with pytest.raises(RuleViolation) as exc:
        services.valuation_open(actor=clerk, lot=lot_obj, opened_on=clock.today() + timedelta(days=1))
    assert exc.value.rule_code == "date_in_future"


def test_only_staff_of_the_lots_court_may_open(lot_obj: Lot) -> None:
    other = builders.staff_user("other", builders.court("沪0115", "上海市浦东新区人民法院"), roles=["court_staff"])
    supervisor = builders.staff_user("sup", None, roles=["supervisor"])
    for user, code in ((other, "wrong_court"), (supervisor, "permission_denied")):
        with pytest.raises(PermissionDenied) as exc:
            services.valuation_open(actor=user, lot=lot_obj)
        assert exc.value.rule_code == code
    assert not Valuation.objects.exists()


def test_methods_wait_for_the_complete_investigation(clerk: builders.User, lot_obj: Lot) -> None:
    valuation = services.valuation_open(actor=clerk, lot=lot_obj)
    with pytest.raises(RuleViolation) as exc:
        services.method_start(actor=clerk, valuation=valuation, method=M.NEGOTIATION)
    assert exc.value.rule_code == "investigation_first"
    partial = {**ALL_DONE, "defects": False}
    valuation = services.valuation_record_investigation(actor=clerk, valuation=valuation, items=partial)
    assert valuation.investigated_on is None
    with pytest.raises(RuleViolation):
        services.method_skip(actor=clerk, valuation=valuation, method=M.NEGOTIATION, ground=G.PARTY_REFUSES)
    valuation = services.valuation_record_investigation(actor=clerk, valuation=valuation, items=ALL_DONE, note="已查明")
    assert valuation.investigated_on == clock.today()
    services.method_start(actor=clerk, valuation=valuation, method=M.NEGOTIATION)


# --- the legal order ------------------------------------------------------------------------------------


def test_the_order_is_enforced_and_every_skip_keeps_its_ground(opened: Valuation, clerk: builders.User) -> None:
    for method in (M.DIRECTED_INQUIRY, M.ONLINE_INQUIRY, M.APPRAISAL):
        with pytest.raises(RuleViolation) as exc:
            services.method_start(actor=clerk, valuation=opened, method=method)
        assert exc.value.rule_code == "cascade_order"
    services.method_skip(actor=clerk, valuation=opened, method=M.NEGOTIATION, ground=G.PARTY_MISSING,
                         reason="被执行人下落不明")
    with pytest.raises(RuleViolation) as exc:
        services.method_skip(actor=clerk, valuation=opened, method=M.ONLINE_INQUIRY, ground=G.INSPECTION_NEEDED)
    assert exc.value.rule_code == "cascade_order"
    services.method_skip(actor=clerk, valuation=opened, method=M.DIRECTED_INQUIRY, ground=G.NO_GOVERNMENT_PRICE)
    services.method_skip(actor=clerk, valuation=opened, method=M.ONLINE_INQUIRY, ground=G.PARTIES_ASK_APPRAISAL)
    step = services.method_start(actor=clerk, valuation=opened, method=M.APPRAISAL)
    assert step.position == 4 and reload(opened).method == M.APPRAISAL
    recorded = list(opened.steps.values_list("method", "outcome", "ground", "reason"))
    assert recorded == [
        (M.NEGOTIATION, Outcome.SKIPPED, G.PARTY_MISSING, "被执行人下落不明"),
        (M.DIRECTED_INQUIRY, Outcome.SKIPPED, G.NO_GOVERNMENT_PRICE, ""),
        (M.ONLINE_INQUIRY, Outcome.SKIPPED, G.PARTIES_ASK_APPRAISAL, ""),
        (M.APPRAISAL, Outcome.IN_PROGRESS, "", ""),
    ]


@pytest.mark.parametrize(("method", "ground"), [
    (M.NEGOTIATION, G.NO_GOVERNMENT_PRICE),  # not a negotiation ground
    (M.DIRECTED_INQUIRY, G.PARTY_REFUSES),
    (M.ONLINE_INQUIRY, G.NO_GOVERNMENT_PRICE),
    (M.APPRAISAL, G.LAW_REQUIRES_APPRAISAL),  # the last resort is never skipped
])
def test_a_skip_needs_a_ground_of_that_method(opened: Valuation, clerk: builders.User, method: str,
                                              ground: str) -> None:
    for earlier in services.CASCADE[:services.CASCADE.index(M(method))]:
        services.method_skip(actor=clerk, valuation=opened, method=earlier,
                             ground=sorted(services.SKIP_GROUNDS[earlier])[0])
    with pytest.raises(RuleViolation) as exc:
        services.method_skip(actor=clerk, valuation=opened, method=method, ground=ground)
    assert exc.value.rule_code == "skip_ground"


def test_one_method_at_a_time_and_failure_opens_the_next(opened: Valuation, clerk: builders.User) -> None:
    services.method_start(actor=clerk, valuation=opened, method=M.NEGOTIATION)
    with pytest.raises(RuleViolation) as exc:
        services.method_skip(actor=clerk, valuation=opened, method=M.DIRECTED_INQUIRY, ground=G.NO_GOVERNMENT_PRICE)
    assert exc.value.rule_code == "step_in_progress"
    with pytest.raises(RuleViolation) as exc:
        services.method_fail(actor=clerk, valuation=opened, ground=G.NO_ANSWER)
    assert exc.value.rule_code == "fail_ground"
    step = services.method_fail(actor=clerk, valuation=opened, ground=G.PROPOSALS_DIFFER, reason="双方报价差距过大")
    assert step.outcome == Outcome.FAILED and step.ended_on == clock.today()
    assert services.next_method(reload(opened)) == M.DIRECTED_INQUIRY


# --- negotiation (RP art.4) -------------------------------------------------------------------------------


def propose(valuation: Valuation, actor: builders.User, prices: list[int]) -> None:
    negotiators = services.negotiating_parties(valuation)
    for party, price in zip(negotiators, prices, strict=True):
        services.proposal_record(actor=actor, valuation=valuation, party=party, price_fen=price,
                                 proposed_on=clock.today())


def test_matching_proposals_that_harm_nobody_become_the_price(at_method: Callable[[str], Valuation],
                                                             clerk: builders.User) -> None:
    valuation = at_method(M.NEGOTIATION)
    propose(valuation, clerk, [95_000_000, 90_000_000])
    with pytest.raises(RuleViolation) as exc:
        services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)
    assert exc.value.rule_code == "proposals_differ"
    propose(valuation, clerk, [92_000_000, 92_000_000])  # a new proposal replaces the old one
    with pytest.raises(RuleViolation) as exc:
        services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=False)
    assert exc.value.rule_code == "harms_others"
    with pytest.raises(RuleViolation) as exc:
        services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True,
                                      valid_until=date(2027, 3, 2))
    assert exc.value.rule_code == "validity_too_long"
    fixed = services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)
    lot = Lot.objects.get(pk=valuation.lot_id)
    assert fixed.status == Valuation.Status.FIXED and fixed.price_fen == 92_000_000
    # One year with the agreement day as day one: 2 March 2026 → 1 March 2027 (RP art.27).
    assert fixed.valid_until == date(2027, 3, 1)
    assert (lot.reference_price_fen, lot.reference_method, lot.reference_fixed_on, lot.reference_valid_until) == (
        92_000_000, M.NEGOTIATION, clock.today(), date(2027, 3, 1))
    assert valuation.steps.get(method=M.NEGOTIATION).outcome == Outcome.SUCCEEDED
    # Nothing to object to (RP art.24): a negotiation produces no report, and no objection form is offered.
    assert not fixed.reports.exists() and "object" not in selectors.valuation_actions(fixed, clock.today())


def test_only_applicant_and_debtor_negotiate_and_all_must_propose(at_method: Callable[[str], Valuation],
                                                                  clerk: builders.User) -> None:
    valuation = at_method(M.NEGOTIATION)
    creditor = Party.objects.create(case=valuation.lot.case, role=Party.Role.CREDITOR, kind=Party.Kind.COMPANY,
                                    name="某小贷公司")
    with pytest.raises(RuleViolation) as exc:
        services.proposal_record(actor=clerk, valuation=valuation, party=creditor, price_fen=1,
                                 proposed_on=clock.today())
    assert exc.value.rule_code == "bad_party"
    applicant = services.negotiating_parties(valuation)[0]
    services.proposal_record(actor=clerk, valuation=valuation, party=applicant, price_fen=90_000_000,
                             proposed_on=clock.today())
    with pytest.raises(RuleViolation) as exc:
        services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)
    assert exc.value.rule_code == "proposals_missing"


def test_the_price_cannot_be_fixed_while_a_round_is_announced(judge: builders.User, frozen: clock.FrozenClock,
                                                              clerk: builders.User) -> None:
    rnd = builders.round_in(AuctionRound.Status.ANNOUNCED, judge=judge, frozen=frozen)
    valuation = services.valuation_open(actor=clerk, lot=rnd.lot)
    services.valuation_record_investigation(actor=clerk, valuation=valuation, items=ALL_DONE)
    valuation = reach(valuation, clerk, M.NEGOTIATION)
    propose(valuation, clerk, [90_000_000, 90_000_000])
    with pytest.raises(RuleViolation) as exc:
        services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)
    assert exc.value.rule_code == "reference_locked"
    assert reload(valuation).status == Valuation.Status.OPEN  # nothing written


# --- directed inquiry (RP arts.5–6) --------------------------------------------------------------------------


def test_directed_answer_within_the_letter_deadline_is_the_price(at_method: Callable[[str], Valuation],
                                                                 clerk: builders.User,
                                                                 frozen: clock.FrozenClock) -> None:
    valuation = at_method(M.DIRECTED_INQUIRY)
    today = clock.today()
    with pytest.raises(RuleViolation) as exc:
        services.directed_inquiry_answer(actor=clerk, valuation=valuation, price_fen=1, report_date=today,
                                         received_on=today)
    assert exc.value.rule_code == "letter_first"
    services.directed_inquiry_send(actor=clerk, valuation=valuation, institution="国家税务总局北京市朝阳区税务局",
                                   basis=DirectedInquiry.Basis.TAX_BASE, requested_on=today,
                                   due_on=today + timedelta(days=7))
    frozen.advance(timedelta(days=8))
    with pytest.raises(RuleViolation) as exc:  # the day after the deadline is too late
        services.directed_inquiry_answer(actor=clerk, valuation=valuation, price_fen=88_000_000,
                                         report_date=clock.today(), received_on=clock.today())
    assert exc.value.rule_code == "directed_answer_late"
    on_deadline = today + timedelta(days=7)
    fixed = services.directed_inquiry_answer(actor=clerk, valuation=valuation, price_fen=88_000_000,
                                             report_date=on_deadline, received_on=on_deadline,
                                             number="朝税询〔2026〕8号")
    assert fixed.status == Valuation.Status.FIXED and fixed.price_fen == 88_000_000
    assert Lot.objects.get(pk=valuation.lot_id).reference_method == M.DIRECTED_INQUIRY


def test_no_objection_against_a_directed_inquiry(at_method: Callable[[str], Valuation], clerk: builders.User) -> None:
    valuation = at_method(M.DIRECTED_INQUIRY)
    today = clock.today()
    services.directed_inquiry_send(actor=clerk, valuation=valuation, institution="某区发展和改革委员会",
                                   basis=DirectedInquiry.Basis.GUIDANCE, requested_on=today,
                                   due_on=today + timedelta(days=5))
    fixed = services.directed_inquiry_answer(actor=clerk, valuation=valuation, price_fen=50_000_000,
                                             report_date=today, received_on=today)
    deliver_all(fixed, clerk)  # the answer is still sent to the parties (RP art.21)
    report = fixed.reports.get(kind=Report.Kind.DIRECTED_INQUIRY)
    assert report.deliveries.count() == len(parties(fixed))
    with pytest.raises(RuleViolation) as exc:
        services.objection_file(actor=clerk, valuation=fixed, report=report, party=parties(fixed)[1],
                                kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.BASIC_INFO,
                                grounds_text="面积有误", filed_on=today)
    assert exc.value.rule_code == "objection_not_allowed"
    assert not Objection.objects.exists()
