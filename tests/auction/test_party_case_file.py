"""The party's case file (执行节点查询): court staff issue a party an access code (shown once, stored as
a hash); with the case number the party opens its case file — the case, its rounds and results, every
step from the audit log — and nothing names a bidder, another party or a staff member. A wrong code,
an unknown case and a revoked code all get the same answer in zh-hans and en and open nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from auction.models import AuctionRound, Party
from core.models import AuditRecord
from tests import builders

pytestmark = pytest.mark.django_db
S = AuctionRound.Status
CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def staff_client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def issue(clerk, party: Party) -> str:
    response = staff_client(clerk).post(reverse("staff:party_access_issue", args=[party.case_id, party.pk]),
                                        follow=True)
    assert response.status_code == 200
    found = CODE.search(response.content.decode())
    assert found, "the code is shown once, in the message"
    return found.group(1)


def lookup(client: Client, number: str, code: str, language: str = "en"):
    return client.post(reverse("case_lookup"), {"case_number": number, "access_code": code},
                       HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def sold(judge, frozen):
    return builders.round_in(S.SOLD, judge=judge, frozen=frozen)


def test_a_party_opens_its_case_file_with_the_code(sold, clerk, judge):
    case = sold.lot.case
    debtor = case.parties.get(role=Party.Role.DEBTOR)
    code = issue(clerk, debtor)
    debtor.refresh_from_db()
    assert debtor.access_code_hash and code.replace("-", "") not in debtor.access_code_hash
    assert not AuditRecord.objects.filter(after__icontains=code.replace("-", "")).exists()

    party = Client()
    # Half-width brackets, spaces and a lower-case code without dashes are all accepted.
    number = case.number.replace("（", "(").replace("）", ")")
    response = lookup(party, f" {number} ", code.replace("-", "").lower())
    assert response.status_code == 302 and response["Location"] == reverse("party_case_file")
    page = party.get(reverse("party_case_file"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.number in page and "You are viewing this case as: Debtor." in page
    assert sold.lot.title in page and "Sold" in page and "¥800,000.00" in page
    for step in ("Round created", "Approved by the collegial panel", "Notice published", "Bidding opened"):
        assert step in page
    # Nobody else is named: not the other party, not the staff (bidders: tests/security/test_anonymity.py
    # follows a party's case file during a live round with real registrations).
    applicant = case.parties.get(role=Party.Role.APPLICANT)
    for name in (applicant.name, judge.username, clerk.username, "审判长甲"):
        assert name not in page


def test_wrong_codes_unknown_cases_and_revoked_codes_open_nothing(sold, clerk):
    case = sold.lot.case
    applicant = case.parties.get(role=Party.Role.APPLICANT)
    code = issue(clerk, applicant)
    visitor = Client()
    for number, attempt in ((case.number, "AAAA-BBBB-CCCC"), ("（2025）京0105执9999号", code), (case.number, "")):
        en = lookup(visitor, number, attempt)
        assert en.status_code == 422
        if attempt:
            assert "The case number or the access code is not right." in en.content.decode()
    zh = lookup(visitor, case.number, "AAAA-BBBB-CCCC", "zh-hans")
    assert "案号或查询码不正确" in zh.content.decode()
    assert visitor.get(reverse("party_case_file")).status_code == 302  # back to the lookup

    assert lookup(visitor, case.number, code).status_code == 302
    assert visitor.get(reverse("party_case_file")).status_code == 200
    new = issue(clerk, applicant)  # a new code revokes the old one and the session opened with it
    assert new != code
    assert visitor.get(reverse("party_case_file"))["Location"] == reverse("case_lookup")
    assert lookup(Client(), case.number, code).status_code == 422
    assert lookup(visitor, case.number, new).status_code == 302
    visitor.post(reverse("case_file_leave"))
    assert visitor.get(reverse("party_case_file")).status_code == 302


def test_only_the_courts_staff_issue_codes(sold, clerk):
    case = sold.lot.case
    debtor = case.parties.get(role=Party.Role.DEBTOR)
    other_court = builders.court("沪0101", "上海市黄浦区人民法院")
    outsider = builders.staff_user("outsider", other_court, roles=["court_staff"])
    finance = builders.staff_user("fin", case.court, roles=["finance"])
    url = reverse("staff:party_access_issue", args=[case.pk, debtor.pk])
    assert staff_client(outsider).post(url).status_code == 404  # another court's case does not exist for it
    assert staff_client(finance).post(url).status_code == 403  # reads the case, may not act
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    debtor.refresh_from_db()
    assert debtor.access_code_issued_at is None
    assert staff_client(clerk).get(url).status_code == 405


def test_guessing_codes_is_rate_limited(sold, settings, clean_rate_limits):
    settings.FAPAI_RATE_LIMITS = {**settings.FAPAI_RATE_LIMITS, "case_lookup_ip": "3/600"}
    visitor = Client()
    for _ in range(3):
        assert lookup(visitor, sold.lot.case.number, "AAAA-BBBB-CCCC").status_code == 422
    refused = lookup(visitor, sold.lot.case.number, "AAAA-BBBB-CCCC")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts" in refused.content.decode()
