"""Distribution of a case's funds through the real services: worked examples computed by hand, plan
versions and the objection windows (CPLI arts.509–510), payouts under the two-person rule, delays,
escrow, and a property test that the ledger balances and every fen of the proceeds ends with a payee
(the surplus with the debtor)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auction.models import AuctionRound, Case, Claim, Party
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import User
from settlement import ledger, selectors, services
from settlement.models import CasePayout, DistributionPlan, PlanObjection
from settlement.selectors import check_ledger
from tests import builders
from tests.settlement import factories

pytestmark = pytest.mark.django_db
PRICE = 85_000_000  # ¥850,000
PC = Claim.PriorityClass
OB = PlanObjection.Status


@pytest.fixture
def approver(court: builders.Court) -> User:
    return builders.staff_user("approver", court, roles=["approver"])


def sold_case(judge: User, finance: User, frozen: clock.FrozenClock, price_fen: int = PRICE) -> Case:
    """A case whose lot sold for `price_fen`, the deposit applied and the balance paid in full: the
    case account holds exactly the price."""
    lot = builders.lot(builders.case(builders.court(), serial=Case.objects.count() + 3000), reference_fen=price_fen)
    rnd = builders.round_in(AuctionRound.Status.BIDDING, judge=judge, frozen=frozen, lot_obj=lot, start_fen=price_fen,
                            increment_fen=max(100, price_fen // 1000 * 10))
    buyer = factories.bidder(f"buyer{rnd.pk}", "王五")
    winner = factories.held_offline(rnd, buyer, finance)
    rnd = factories.sell(rnd, winner, frozen, price_fen=price_fen)
    balance = services.balance_open(rnd=rnd, deposit=winner, price_fen=price_fen, actor="system:clock")
    if balance.amount_fen:
        services.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher=f"SJ-{rnd.pk}",
                                         actor=finance)
    case = rnd.lot.case
    assert -ledger.balance_of(ledger.case_account(case)) == price_fen
    return case


def party(case: Case, name: str, role: str = Party.Role.CREDITOR, kind: str = Party.Kind.COMPANY) -> Party:
    return Party.objects.create(case=case, role=role, kind=kind, name=name)


def claim(case: Case, creditor: Party, principal_fen: int, interest_fen: int = 0, **extra) -> Claim:
    return Claim.objects.create(case=case, creditor=creditor, title_document="（2025）京0105民初1号",
                                principal_fen=principal_fen, interest_fen=interest_fen, verified=True, **extra)


def lines_of(plan: DistributionPlan) -> dict[str, int]:
    return {line.key: line.allocated_fen for line in plan.lines.all()}


def applicant(case: Case) -> Party:
    return case.parties.get(role=Party.Role.APPLICANT)


def debtor(case: Case) -> Party:
    return case.parties.get(role=Party.Role.DEBTOR)


# --- worked examples -------------------------------------------------------------------------------------------


def test_natural_person_debtor_with_a_mortgage_a_construction_claim_and_three_ordinary_creditors(
        judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    lot = case.lots.get()
    bank = applicant(case)
    mortgage = claim(case, bank, 40_000_000, 2_000_000, priority_class=PC.MORTGAGE, registered_on=date(2023, 5, 1),
                     secured_lot=lot)
    builder = party(case, "某建筑工程有限公司")
    construction = claim(case, builder, 15_000_000, 1_000_000, priority_class=PC.CONSTRUCTION_PRICE,
                         performance_due_on=date(2025, 1, 1), asserted_on=date(2025, 6, 1))
    a = claim(case, party(case, "甲", kind=Party.Kind.NATURAL_PERSON), 20_000_000)
    b = claim(case, party(case, "乙", kind=Party.Kind.NATURAL_PERSON), 10_000_000)
    c = claim(case, party(case, "丙", kind=Party.Kind.NATURAL_PERSON), 3_333_333)
    appraisal = services.case_cost_add(case=case, kind="appraisal", description="评估费", amount_fen=500_000,
                                       payee_name="某评估公司", actor=judge)
    auction_cost = services.case_cost_add(case=case, kind="auction", description="拍卖辅助费用", amount_fen=200_000,
                                          payee_name="某辅助机构", actor=judge)
    plan = services.plan_build(case=case, actor=judge)
    # By hand: fee on the applicant's ¥420,000 = ¥50 + 1.5% × ¥410,000 = ¥6,200.
    # Costs 620,000 + 500,000 + 200,000 = 1,320,000 → 83,680,000 left.
    # Construction price (principal only) 15,000,000 → 68,680,000; mortgage 42,000,000 → 26,680,000.
    # Ordinary pro rata over 34,333,333 (construction interest 1,000,000 + 20,000,000 + 10,000,000 +
    # 3,333,333): exact shares 777,087.39 / 15,541,747.72 / 7,770,873.86 / 2,590,291.03; floors sum to
    # 26,679,998 and the 2 fen left go to the largest remainders (.86 and .72).
    assert plan.mode == DistributionPlan.Mode.PRO_RATA
    assert plan.application_fee_fen == 620_000
    assert lines_of(plan) == {
        "fee": 620_000, f"cost:{appraisal.pk}": 500_000, f"cost:{auction_cost.pk}": 200_000,
        f"claim:{construction.pk}:priority": 15_000_000, f"claim:{mortgage.pk}:priority": 42_000_000,
        f"claim:{construction.pk}:ordinary": 777_087, f"claim:{a.pk}:ordinary": 15_541_748,
        f"claim:{b.pk}:ordinary": 7_770_874, f"claim:{c.pk}:ordinary": 2_590_291, "surplus": 0,
    }
    assert sum(lines_of(plan).values()) == PRICE


def test_company_debtor_by_seizure_order(judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    Party.objects.filter(case=case, role=Party.Role.DEBTOR).update(kind=Party.Kind.COMPANY, name="某科技有限公司")
    services.case_cost_add(case=case, kind="appraisal", description="评估费", amount_fen=500_000,
                           payee_name="某评估公司", actor=judge)
    first = claim(case, applicant(case), 30_000_000, seizure_order=2)
    x = claim(case, party(case, "X公司"), 50_000_000, seizure_order=1)
    y = claim(case, party(case, "Y公司"), 10_000_000, seizure_order=3)
    z = claim(case, party(case, "Z公司"), 5_000_000, seizure_order=3)
    plan = services.plan_build(case=case, actor=judge)
    # By hand: fee on ¥300,000 = ¥50 + 1.5% × ¥290,000 = ¥4,400. 85,000,000 − 440,000 − 500,000 =
    # 84,060,000: X (seized first) 50,000,000 → 34,060,000; the applicant 30,000,000 → 4,060,000;
    # Y and Z seized third share 4,060,000 over 15,000,000: 2,706,666.67 and 1,353,333.33 → the extra
    # fen to Y (remainder .67 > .33).
    assert plan.mode == DistributionPlan.Mode.SEIZURE_ORDER
    got = lines_of(plan)
    assert got["fee"] == 440_000
    assert got[f"claim:{x.pk}:ordinary"] == 50_000_000
    assert got[f"claim:{first.pk}:ordinary"] == 30_000_000
    assert (got[f"claim:{y.pk}:ordinary"], got[f"claim:{z.pk}:ordinary"]) == (2_706_667, 1_353_333)
    assert got["surplus"] == 0


def test_late_interest_with_a_stay_is_paid_last_and_the_surplus_returns_to_the_debtor(judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    main = claim(case, applicant(case), 50_000_000, 3_000_000, performance_due_on=date(2025, 6, 30))
    services.case_stay_add(case=case, first_day=date(2025, 10, 1), last_day=date(2025, 10, 31),
                           requested_by_debtor=False, reason="案外人异议审查", actor=judge)
    services.case_stay_add(case=case, first_day=date(2025, 12, 1), last_day=date(2025, 12, 10),
                           requested_by_debtor=True, reason="被执行人申请暂缓", actor=judge)
    plan = services.plan_build(case=case, actor=judge, interest_stop_on=date(2026, 4, 30))
    # By hand: 304 days from 30 June 2025 to 30 April 2026, less the 31 days of the court's stay (the
    # debtor's own stay counts) = 273 days; ¥500,000 × 0.0175% × 273 = ¥23,887.50.
    # Fee on ¥530,000: ¥50 + ¥7,350 + 1% × ¥30,000 = ¥7,700.
    # 85,000,000 − 770,000 − 53,000,000 − 2,388,750 = 28,841,250 to the debtor.
    assert lines_of(plan) == {"fee": 770_000, f"claim:{main.pk}:ordinary": 53_000_000,
                              f"claim:{main.pk}:interest": 2_388_750, "surplus": 28_841_250}
    surplus = plan.lines.get(key="surplus")
    assert surplus.payee_name == debtor(case).name


def test_a_construction_priority_asserted_after_18_months_is_ordinary(judge, finance, frozen):
    case = sold_case(judge, finance, frozen, price_fen=10_000_000)
    late = claim(case, party(case, "某建筑公司"), 8_000_000, priority_class=PC.CONSTRUCTION_PRICE,
                 performance_due_on=date(2023, 1, 1), asserted_on=date(2024, 7, 2))
    other = claim(case, applicant(case), 8_000_000)
    got = lines_of(services.plan_build(case=case, actor=judge))
    assert f"claim:{late.pk}:priority" not in got
    # ¥10,000,000 fen... fee on the applicant's ¥80,000: ¥50 + 1.5% × ¥70,000 = ¥1,100
    assert got["fee"] == 110_000
    assert got[f"claim:{late.pk}:ordinary"] == got[f"claim:{other.pk}:ordinary"] == (10_000_000 - 110_000) // 2


# --- versions, service and objections ---------------------------------------------------------------------------


def served(case: Case, judge: User, frozen: clock.FrozenClock, **kw) -> DistributionPlan:
    plan = services.plan_build(case=case, actor=judge, **kw)
    return services.plan_serve(plan=plan, served_on=clock.today(), actor=judge)


def after_objection_window(plan: DistributionPlan, frozen: clock.FrozenClock) -> None:
    deadline = selectors.objection_deadline(plan)
    assert deadline is not None
    frozen.set(clock.local_midnight(deadline + timedelta(days=1)) + timedelta(hours=10))


def test_serving_sets_each_partys_15_day_window_and_late_objections_are_refused(judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    other = party(case, "乙")
    claim(case, applicant(case), 40_000_000)
    claim(case, other, 60_000_000)
    plan = served(case, judge, frozen)
    assert plan.status == DistributionPlan.Status.SERVED and plan.statement_pdf[:4] == b"%PDF"
    services_ = {s.party.name: s for s in selectors.plan_services(plan)}
    assert set(services_) == {applicant(case).name, other.name, debtor(case).name}
    due = services_[other.name].objection_due
    assert due >= clock.today() + timedelta(days=15)
    line = plan.lines.get(key__endswith=":ordinary", claim__creditor=other)
    frozen.set(clock.local_midnight(due + timedelta(days=1)) + timedelta(hours=9))
    with pytest.raises(RuleViolation) as late:
        services.objection_file(plan=plan, line=line, objector=applicant(case), disputed_fen=1_000_000,
                                grounds="乙的债权数额有误", filed_on=clock.today(), actor=judge)
    assert late.value.rule_code == "objection_late"


def test_objection_holds_the_disputed_amount_while_the_rest_is_paid_then_counter_suit_and_lapse(
        judge, finance, frozen, clerk, approver):
    case = sold_case(judge, finance, frozen)
    other = party(case, "乙")
    claim(case, applicant(case), 40_000_000)
    claim(case, other, 60_000_000)
    plan = served(case, judge, frozen)
    line = plan.lines.get(claim__creditor=other)
    objection = services.objection_file(plan=plan, line=line, objector=applicant(case), disputed_fen=5_000_000,
                                        grounds="乙的债权中500万分为虚构", filed_on=clock.today(), actor=judge)
    with pytest.raises(RuleViolation) as early:
        services.case_payout_prepare(line=line, amount_fen=1, actor=clerk)
    assert early.value.rule_code == "objection_window_open"
    services.objection_counter(objection=objection, party=other, countered_on=clock.today(), grounds="债权真实",
                               actor=judge)
    objection.refresh_from_db()
    assert objection.status == OB.COUNTERED and objection.suit_due is not None
    after_objection_window(plan, frozen)
    assert selectors.line_held_fen(line) == 5_000_000
    assert selectors.line_payable_fen(line) == line.allocated_fen - 5_000_000
    with pytest.raises(RuleViolation):
        services.case_payout_prepare(line=line, amount_fen=line.allocated_fen, actor=clerk)
    payout = services.case_payout_prepare(line=line, amount_fen=line.allocated_fen - 5_000_000, actor=clerk)
    services.case_payout_approve(payout=payout, actor=approver)
    services.case_payout_execute(payout=payout, actor=finance, bank_reference="BK20260601001")
    # the objector let the suit window pass: the objection lapses and the plan is carried out
    frozen.set(clock.local_midnight(objection.suit_due + timedelta(days=1)) + timedelta(hours=9))
    assert services.objections_expire() == 1
    assert services.objections_expire() == 0
    objection.refresh_from_db()
    assert objection.status == OB.LAPSED
    assert selectors.line_payable_fen(line) == 5_000_000
    assert check_ledger().ok


def test_uncontested_objection_is_upheld_and_a_new_version_pays_only_the_rest(judge, finance, frozen, clerk,
                                                                              approver):
    case = sold_case(judge, finance, frozen)
    other = party(case, "乙")
    mine = claim(case, applicant(case), 40_000_000)
    theirs = claim(case, other, 60_000_000)
    plan = served(case, judge, frozen)
    my_line = plan.lines.get(claim=mine)
    their_line = plan.lines.get(claim=theirs)
    services.objection_file(plan=plan, line=their_line, objector=applicant(case), disputed_fen=10_000_000,
                            grounds="乙已受偿1000万", filed_on=clock.today(), actor=judge)
    after_objection_window(plan, frozen)
    p1 = services.case_payout_prepare(line=my_line, amount_fen=20_000_000, actor=clerk)
    services.case_payout_approve(payout=p1, actor=approver)
    services.case_payout_execute(payout=p1, actor=finance, bank_reference="BK-1")
    frozen.set(clock.now() + timedelta(days=20))
    services.objections_expire()
    assert PlanObjection.objects.get().status == OB.UPHELD
    # revise per the objection: the claim is corrected and a new version drawn up and served
    Claim.objects.filter(pk=theirs.pk).update(principal_fen=50_000_000)
    v2 = served(case, judge, frozen, note="依异议修正乙的债权")
    plan.refresh_from_db()
    assert plan.status == DistributionPlan.Status.SUPERSEDED and v2.version == 2 and v2.based_on == plan
    assert v2.available_fen == PRICE and v2.paid_before_fen == 20_000_000
    new_mine = v2.lines.get(key=my_line.key)
    # 85,000,000 − fee 620,000 (¥400,000 → ¥50 + ¥5,850 = ¥5,900 → 590,000?) is checked below by sum
    assert sum(line.allocated_fen for line in v2.lines.all()) == PRICE
    assert selectors.line_payable_fen(new_mine) == new_mine.allocated_fen - 20_000_000
    with pytest.raises(RuleViolation) as superseded:
        services.case_payout_prepare(line=my_line, amount_fen=1, actor=clerk)
    assert superseded.value.rule_code == "plan_not_served"


# --- payouts: the two-person rule, delays, escrow --------------------------------------------------------------


@pytest.fixture
def payable_line(judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    claim(case, applicant(case), 40_000_000)
    plan = served(case, judge, frozen)
    after_objection_window(plan, frozen)
    return plan.lines.get(tier="ordinary")


def test_two_person_rule(payable_line, clerk, approver, finance, court):
    both = builders.staff_user("both", court, roles=["court_staff", "approver", "finance"])
    payout = services.case_payout_prepare(line=payable_line, amount_fen=1_000_000, actor=both)
    with pytest.raises(PermissionDenied) as same:
        services.case_payout_approve(payout=payout, actor=both)
    assert same.value.rule_code == "two_person_rule"
    with pytest.raises(PermissionDenied):
        services.case_payout_approve(payout=payout, actor=clerk)  # not an approver
    with pytest.raises(PermissionDenied):
        services.case_payout_prepare(line=payable_line, amount_fen=1, actor=finance)  # not an officer
    services.case_payout_approve(payout=payout, actor=approver)
    with pytest.raises(PermissionDenied) as executor:
        services.case_payout_execute(payout=payout, actor=both, bank_reference="BK-2")
    assert executor.value.rule_code == "two_person_rule"
    with pytest.raises(RuleViolation):
        services.case_payout_execute(payout=payout, actor=finance)  # the bank's reference is required
    services.case_payout_execute(payout=payout, actor=finance, bank_reference="BK-2")
    payout.refresh_from_db()
    assert payout.status == CasePayout.Status.PAID
    assert {payout.prepared_by_id, payout.approved_by_id, payout.executed_by_id} == {both.pk, approver.pk, finance.pk}
    # replaying the execution changes nothing
    before = ledger.balance_of(ledger.clearing("bank_transfer"))
    services.case_payout_execute(payout=payout, actor=finance, bank_reference="BK-2")
    assert ledger.balance_of(ledger.clearing("bank_transfer")) == before
    assert check_ledger().ok


def test_the_database_refuses_a_payout_approved_by_its_preparer(payable_line, clerk):
    payout = services.case_payout_prepare(line=payable_line, amount_fen=1_000_000, actor=clerk)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - IntegrityError of the backend
        CasePayout.objects.filter(pk=payout.pk).update(approved_by=clerk, status="approved")


def test_cancel_an_approved_payout_returns_the_money_and_escrow(payable_line, clerk, approver, finance):
    case = payable_line.plan.case
    p = services.case_payout_prepare(line=payable_line, amount_fen=2_000_000, actor=clerk)
    services.case_payout_approve(payout=p, actor=approver)
    held = -ledger.balance_of(ledger.case_account(case))
    services.case_payout_cancel(payout=p, actor=approver, reason="收款账户有误")
    assert -ledger.balance_of(ledger.case_account(case)) == held + 2_000_000
    p2 = services.case_payout_prepare(line=payable_line, amount_fen=2_000_000, actor=clerk)
    services.case_payout_approve(payout=p2, actor=approver)
    services.case_payout_execute(payout=p2, actor=finance, bank_reference="TC-1", escrow_reason="申请人下落不明")
    p2.refresh_from_db()
    assert p2.status == CasePayout.Status.ESCROWED and p2.escrow_reason == "申请人下落不明"
    assert check_ledger().ok


def test_payout_due_30_days_after_funds_arrive_and_10_days_after_a_delay_ends(payable_line, clerk, approver,
                                                                                frozen):
    case = payable_line.plan.case
    arrived = selectors.funds_arrived_on(case)
    assert arrived is not None
    due = selectors.case_payout_due(case)
    assert due is not None and due >= arrived + timedelta(days=30)
    delay = services.payout_delay_request(case=case, reason="distribution", note="需要分配", actor=clerk)
    assert selectors.case_payout_due(case) is not None  # not approved yet
    with pytest.raises(PermissionDenied):
        services.payout_delay_decide(delay=delay, approve=True, actor=clerk)
    services.payout_delay_decide(delay=delay, approve=True, actor=approver)
    assert selectors.case_payout_due(case) is None
    frozen.set(clock.now() + timedelta(days=40))
    services.payout_delay_end(delay=delay, ended_on=clock.today(), actor=clerk)
    due = selectors.case_payout_due(case)
    assert due is not None and clock.today() + timedelta(days=10) <= due <= clock.today() + timedelta(days=13)


def test_fee_line_goes_to_the_court_fee_account(payable_line, clerk, approver, finance):
    fee = payable_line.plan.lines.get(key="fee")
    p = services.case_payout_prepare(line=fee, amount_fen=fee.allocated_fen, actor=clerk)
    assert p.method == CasePayout.Method.COURT_FEES
    services.case_payout_approve(payout=p, actor=approver)
    services.case_payout_execute(payout=p, actor=finance)
    assert ledger.balance_of(ledger.court_fees()) == -fee.allocated_fen
    assert check_ledger().ok


def test_forfeited_deposits_are_moved_into_the_distribution(judge, finance, frozen, court):
    case = sold_case(judge, finance, frozen)
    # a forfeited deposit of an earlier round of the same case, earmarked (WP art.24)
    with transaction.atomic():
        ledger.post(kind="deposit_forfeit", key="test:forfeit", actor="system", case=case,
                    legs=ledger.move(1_000_000, debit=ledger.deposits_held(), credit=ledger.forfeit_account(case)))
    plan = services.plan_build(case=case, actor=judge)
    assert plan.available_fen == PRICE + 1_000_000 and plan.forfeit_moved_fen == 1_000_000
    assert ledger.balance_of(ledger.forfeit_account(case)) == 0


# --- property: random claims and proceeds, everything paid out ---------------------------------------------------


claim_strategy = st.tuples(st.sampled_from([PC.ORDINARY, PC.ORDINARY, PC.MORTGAGE, PC.CONSTRUCTION_PRICE, PC.TAX]),
                           st.integers(1, 40_000_000), st.integers(0, 2_000_000), st.integers(0, 3))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(price=st.integers(1_000_000, 120_000_000), claims=st.lists(claim_strategy, min_size=0, max_size=5),
       company=st.booleans())
def test_everything_is_paid_out_exactly_and_the_ledger_balances(judge, finance, frozen, clerk, approver, price,
                                                                claims, company):
    start = clock.now()
    sid = transaction.savepoint()
    try:
        case = sold_case(judge, finance, frozen, price_fen=price)
        if company:
            Party.objects.filter(case=case, role=Party.Role.DEBTOR).update(kind=Party.Kind.COMPANY)
        for i, (cls, principal, interest, order) in enumerate(claims):
            creditor = party(case, f"债权人{i}")
            claim(case, creditor, principal, interest, priority_class=cls, seizure_order=order or None,
                  registered_on=date(2020, 1, 1) + timedelta(days=30 * order), performance_due_on=date(2025, 1, 1))
        plan = served(case, judge, frozen, interest_stop_on=clock.today())
        assert sum(line.allocated_fen for line in plan.lines.all()) == price
        for line in plan.lines.all():
            assert 0 <= line.allocated_fen <= line.claimed_fen
        after_objection_window(plan, frozen)
        for view in selectors.plan_lines(plan):
            if view.payable_fen:
                p = services.case_payout_prepare(line=view.line, amount_fen=view.payable_fen, actor=clerk)
                services.case_payout_approve(payout=p, actor=approver)
                services.case_payout_execute(payout=p, actor=finance, bank_reference=f"BK-{p.pk}")
        assert ledger.balance_of(ledger.case_account(case)) == 0
        paid_to_debtor = sum(CasePayout.objects.filter(case=case, line_key="surplus").values_list("amount_fen",
                                                                                                  flat=True))
        assert paid_to_debtor == plan.lines.get(key="surplus").allocated_fen
        result = check_ledger()
        assert result.ok, result.problems
    finally:
        transaction.savepoint_rollback(sid)
        frozen.set(start)
