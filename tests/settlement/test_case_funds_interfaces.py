"""Case funds through the pages, the API and the admin: the whole distribution from the UI (costs,
plan, service, objection, payouts), the two-person rule that none of the three interfaces can bypass,
clear errors in both languages, downloads (distribution statement PDF, case statement CSV/XLSX/PDF,
dashboard exports)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from auction.models import Case
from core import clock
from core.models import User
from settlement import ledger, selectors, services
from settlement.models import CasePayout, DistributionPlan
from settlement.selectors import check_ledger
from tests import builders
from tests.settlement.test_distribution import after_objection_window, applicant, claim, sold_case

pytestmark = pytest.mark.django_db
API = "/api/settlement"


@pytest.fixture
def approver(court: builders.Court) -> User:
    return builders.staff_user("approver", court, roles=["approver"])


@pytest.fixture
def case(judge: User, finance: User, frozen: clock.FrozenClock) -> Case:
    c = sold_case(judge, finance, frozen)
    claim(c, applicant(c), 40_000_000)
    return c


def web(user: User, language: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(user)
    return c


def api(user: User) -> APIClient:
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user)
    return c


def page(case: Case) -> str:
    return reverse("settlement:case_distribution", args=[case.pk])


def action(case: Case, name: str) -> str:
    return reverse("settlement:case_distribution_action", args=[case.pk, name])


def test_the_distribution_from_the_pages(case, clerk, approver, finance, frozen):
    officer = web(clerk)
    assert officer.post(action(case, "cost"), {"kind": "appraisal", "description": "评估费", "amount_fen": "5000",
                                              "payee_name": "某评估公司"}).status_code == 302
    response = officer.post(action(case, "build"), {"note": "首次分配"}, follow=True)
    assert "Version 1 of the plan is drawn up." in response.content.decode()
    plan = DistributionPlan.objects.get(case=case)
    assert officer.post(action(case, "serve"), {"plan": plan.pk, "served_on": clock.today().isoformat()}
                        ).status_code == 302
    plan.refresh_from_db()
    assert plan.status == DistributionPlan.Status.SERVED
    body = officer.get(page(case)).content.decode()
    assert "Objections are open until" in body and "某评估公司" in body
    pdf = officer.get(reverse("settlement:plan_statement", args=[plan.pk]))
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF" and pdf["Content-Type"] == "application/pdf"
    after_objection_window(plan, frozen)
    line = plan.lines.get(tier="ordinary")
    assert officer.post(action(case, "prepare"), {"line": line.pk, "amount_fen": "400000"}).status_code == 302
    payout = CasePayout.objects.get()
    # the approver sees an approve button; the preparer does not
    assert "Approve" in web(approver).get(page(case)).content.decode()
    own = officer.get(page(case)).content.decode()
    assert reverse("settlement:case_payout_action", args=[payout.pk, "approve"]) not in own
    assert web(approver).post(reverse("settlement:case_payout_action", args=[payout.pk, "approve"])
                              ).status_code == 302
    done = web(finance).post(reverse("settlement:case_payout_action", args=[payout.pk, "execute"]),
                             {"bank_reference": "BK-9"}, follow=True)
    assert "The payout is recorded as made." in done.content.decode()
    payout.refresh_from_db()
    assert payout.status == CasePayout.Status.PAID
    assert check_ledger().ok


def test_errors_are_shown_in_both_languages_and_nothing_is_written(case, clerk):
    for language, expected in (("en", "The amount must be more than zero."), ("zh-hans", "金额必须大于零")):
        response = web(clerk, language).post(action(case, "cost"), {
            "kind": "appraisal", "description": "评估费", "amount_fen": "0", "payee_name": "某评估公司"})
        assert response.status_code == 200
        assert expected in response.content.decode()
    assert not case.costs.exists()


def test_the_two_person_rule_holds_through_the_pages_the_api_and_the_admin(case, clerk, approver, finance, court,
                                                                           frozen, admin_user):
    plan = services.plan_serve(plan=services.plan_build(case=case, actor=clerk), served_on=clock.today(),
                               actor=clerk)
    after_objection_window(plan, frozen)
    line = plan.lines.get(tier="ordinary")
    both = builders.staff_user("both", court, roles=["court_staff", "approver", "finance"])
    payout = services.case_payout_prepare(line=line, amount_fen=1_000_000, actor=both)
    # the page refuses the preparer's approval (403, nothing written)
    refused = web(both).post(reverse("settlement:case_payout_action", args=[payout.pk, "approve"]))
    assert refused.status_code == 403
    # the API likewise
    response = api(both).post(f"{API}/case-payouts/{payout.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "two_person_rule"
    payout.refresh_from_db()
    assert payout.status == CasePayout.Status.PREPARED and ledger.balance_of(ledger.creditor_payables()) == 0
    # the admin shows payouts but cannot add, change or delete them
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get(reverse("admin:settlement_casepayout_changelist")).status_code == 200
    change = reverse("admin:settlement_casepayout_change", args=[payout.pk])
    admin.post(change, {"status": "paid", "approved_by": both.pk, "executed_by": both.pk})
    payout.refresh_from_db()
    assert payout.status == CasePayout.Status.PREPARED and payout.approved_by is None
    assert admin.get(reverse("admin:settlement_casepayout_add")).status_code == 403
    # the approver approves through the API; the approver cannot then execute it
    assert api(approver).post(f"{API}/case-payouts/{payout.pk}/approve/").status_code == 200
    assert api(both).post(f"{API}/case-payouts/{payout.pk}/execute/", {"bank_reference": "X"},
                          format="json").status_code == 403
    executed = api(finance).post(f"{API}/case-payouts/{payout.pk}/execute/", {"bank_reference": "BK-1"},
                                 format="json")
    assert executed.status_code == 200 and executed.json()["status"] == "paid"


def test_the_api_carries_out_a_distribution(case, clerk, approver, finance, frozen):
    officer = api(clerk)
    assert officer.post(f"{API}/cases/{case.pk}/costs/", {"kind": "storage", "description": "保管费",
                                                          "amount_fen": 30_000, "payee_name": "某仓储公司"},
                        format="json").status_code == 201
    built = officer.post(f"{API}/cases/{case.pk}/plans/", {"note": "v1"}, format="json")
    assert built.status_code == 201
    plan_id = built.json()["id"]
    served = officer.post(f"{API}/plans/{plan_id}/serve/", {"served_on": clock.today().isoformat()}, format="json")
    assert served.status_code == 200 and served.json()["status"] == "served"
    view = officer.get(f"{API}/cases/{case.pk}/distribution/").json()
    assert sum(line["allocated_fen"] for line in view["lines"]) == view["plan"]["available_fen"]
    ordinary = next(line for line in view["lines"] if line["tier"] == "ordinary")
    early = officer.post(f"{API}/plan-lines/{ordinary['id']}/payouts/", {"amount_fen": 100}, format="json")
    assert early.status_code == 400 and early.json()["errors"][0]["code"] == "objection_window_open"
    after_objection_window(DistributionPlan.objects.get(pk=plan_id), frozen)
    prepared = officer.post(f"{API}/plan-lines/{ordinary['id']}/payouts/", {"amount_fen": ordinary["payable_fen"]},
                            format="json")
    assert prepared.status_code == 201
    pid = prepared.json()["id"]
    assert api(approver).post(f"{API}/case-payouts/{pid}/approve/").status_code == 200
    assert api(finance).post(f"{API}/case-payouts/{pid}/execute/", {"bank_reference": "BK-7"},
                             format="json").json()["status"] == "paid"
    listed = api(finance).get(f"{API}/case-payouts/?status=paid").json()
    assert [p["id"] for p in listed["results"]] == [pid]
    funds = api(finance).get(f"{API}/cases/").json()["results"]
    assert any(f["case"] == case.pk for f in funds)


def test_downloads(case, finance, clerk):
    services.plan_build(case=case, actor=clerk)
    client = web(finance)
    for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(reverse("settlement:case_account_export", args=[case.pk, fmt]))
        assert response.status_code == 200 and response.content.startswith(magic), fmt
        assert "attachment" in response["Content-Disposition"]
    for what in ("cases", "case-payouts"):
        for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK")):
            response = client.get(reverse("settlement:finance_export", args=[what, fmt]))
            assert response.status_code == 200 and response.content.startswith(magic), (what, fmt)
    dashboard = client.get(reverse("settlement:dashboard")).content.decode()
    assert case.number in dashboard


def test_another_courts_staff_see_nothing(case, frozen):
    other = builders.court("沪0115", "上海市浦东新区人民法院")
    stranger = builders.staff_user("stranger", other, roles=["court_staff", "finance", "approver"])
    assert web(stranger).get(page(case)).status_code == 404
    assert api(stranger).get(f"{API}/cases/{case.pk}/distribution/").status_code == 404
    plan = services.plan_build(case=case, actor=builders.staff_user("c2", case.court, roles=["court_staff"]))
    assert api(stranger).post(f"{API}/plans/{plan.pk}/serve/", {"served_on": clock.today().isoformat()},
                              format="json").status_code == 404
    assert selectors.finance_cases(stranger) == []


def test_overdue_case_funds_raise_an_alert_until_paid_out(case, clerk, frozen):
    from datetime import timedelta

    from settlement.models import SettlementAlert

    assert services.raise_alerts() == 0
    frozen.set(clock.now() + timedelta(days=40))
    assert services.raise_alerts() == 1
    alert = SettlementAlert.objects.get(kind=SettlementAlert.Kind.CASE_PAYOUT_OVERDUE)
    assert alert.resolved_at is None
    delay = services.payout_delay_request(case=case, reason="distribution", note="需分配", actor=clerk)
    services.payout_delay_decide(delay=delay, approve=True,
                                 actor=builders.staff_user("boss", case.court, roles=["approver"]))
    services.raise_alerts()
    alert.refresh_from_db()
    assert alert.resolved_at is not None
