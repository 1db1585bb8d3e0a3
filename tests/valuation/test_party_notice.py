"""Valuation results reach the parties (RP art.21): a delivery emails the party the result and its
objection deadline when the court recorded an address, once, after the commit; and the party's case
file shows the procedure and the reports sent to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from auction import services as auction_services
from auction.models import Lot, Party
from tests.valuation.conftest import parties, platform_reports
from valuation import services
from valuation.models import Delivery, Valuation

M = Lot.ReferenceMethod
MON = date(2026, 3, 2)
pytestmark = pytest.mark.django_db


def test_a_delivery_emails_the_party_and_shows_in_its_case_file(at_method: Callable[[str], Valuation], clerk,
                                                                mailoutbox, django_capture_on_commit_callbacks):
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    report = platform_reports(valuation)[0]
    services.online_inquiry_record(actor=clerk, report=report, price_fen=123_456_700, report_date=MON,
                                   received_on=MON)
    applicant, debtor = parties(valuation)
    Party.objects.filter(pk=debtor.pk).update(email="debtor@example.cn")
    debtor.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.reports_deliver(actor=clerk, valuation=valuation, party=debtor, method=Delivery.Method.SERVED,
                                 delivered_on=MON, proof="EMS2001")
        assert mailoutbox == []  # nothing leaves before the commit
    with django_capture_on_commit_callbacks(execute=True):
        services.reports_deliver(actor=clerk, valuation=valuation, party=applicant, method=Delivery.Method.SERVED,
                                 delivered_on=MON, proof="EMS2002")  # no address: no email
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["debtor@example.cn"]
    assert "询价评估结果" in mail.subject and valuation.lot.case.number in mail.subject
    assert "¥1,234,567.00" in mail.body and "2026-03-09" in mail.body  # received Monday 2 March: + 5 days

    code = auction_services.party_access_issue(actor=clerk, party=debtor)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(reverse("case_lookup"), {"case_number": debtor.case.number,
                                                 "access_code": code}).status_code == 302
    page = client.get(reverse("party_case_file")).content.decode()
    assert "Valuation results sent to you" in page and "¥1,234,567.00" in page
    # One row: the debtor's own delivery, not the applicant's of the same report, with its deadline.
    with translation.override("en"):
        deadline = Template("<td>{{ d }}</td>").render(Context({"d": date(2026, 3, 9)}))
    assert page.count(f"<td>{report.provider_name}</td>") == 1 and deadline in page
    assert applicant.name not in page
