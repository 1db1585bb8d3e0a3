"""The distribution plan in a party's case file (CPLI arts.509–510): the current version's status, the
service on this party with its objection window, the party's own lines and what was paid on them —
and no other creditor's name or share."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from auction import services as auction_services
from core import clock
from settlement import services
from settlement.models import PlanService
from tests.settlement.test_distribution import after_objection_window, applicant, claim, debtor, party, sold_case

pytestmark = pytest.mark.django_db


def open_case_file(case_number: str, code: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(reverse("case_lookup"), {"case_number": case_number, "access_code": code}).status_code == 302
    return client


def test_a_creditor_sees_its_share_and_the_objection_window_but_not_the_others(judge, finance, frozen):
    case = sold_case(judge, finance, frozen)
    mine = claim(case, applicant(case), 30_000_000)
    other = party(case, "某某投资有限公司")
    claim(case, other, 20_000_000)
    plan = services.plan_serve(plan=services.plan_build(case=case, actor=judge), served_on=clock.today(),
                               actor=judge)
    creditor = applicant(case)
    code = auction_services.party_access_issue(actor=judge, party=creditor)
    page = open_case_file(case.number, code).get(reverse("party_case_file")).content.decode()
    assert "Distribution plan" in page and "Your share under the plan" in page
    service = PlanService.objects.get(plan=plan, party=creditor)
    with translation.override("en"):  # the page's cells, rendered as the page renders them
        cells = Template("<td>{{ p.version }}</td><td>{{ p.get_status_display }}</td><td>{{ s.served_on }}</td>"
                         "<td>{{ s.objection_due }}</td>").render(Context({"p": plan, "s": service}))
    assert service.objection_due > service.served_on and cells in page
    line = plan.lines.get(claim=mine, tier="ordinary")
    assert f"¥{line.allocated_fen / 100:,.2f}" in page
    assert "某某投资有限公司" not in page  # another creditor: neither its name nor its line
    assert page.count("<td>Ordinary claims</td>") == 1

    after_objection_window(plan, frozen)
    services.case_payout_prepare(line=line, amount_fen=line.allocated_fen, actor=judge)
    # The debtor sees the surplus line only.
    owner = debtor(case)
    page = open_case_file(case.number, auction_services.party_access_issue(actor=judge, party=owner)).get(
        reverse("party_case_file")).content.decode()
    assert "Surplus to the debtor" in page and "Ordinary claims" not in page
