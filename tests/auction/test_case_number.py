"""Enforcement case numbers in the official format （2024）京0105执1234号: ASCII brackets and spaces are
normalised, the court code must be the court's own, malformed numbers and duplicates are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import translation

from auction import services
from auction.case_number import CaseNumber, parse_case_number
from auction.models import Case
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord
from tests import builders

Codes = Callable[[RuleViolation], list[str]]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("（2024）京0105执1234号", CaseNumber(2024, "京0105", "执", 1234)),
        ("(2024)京0105执1234号", CaseNumber(2024, "京0105", "执", 1234)),
        (" ( 2024 ) 京0105 执 1234 号 ", CaseNumber(2024, "京0105", "执", 1234)),
        ("（2024）京0105执恢12号", CaseNumber(2024, "京0105", "执恢", 12)),
        ("（2024）京执1号", CaseNumber(2024, "京", "执", 1)),  # a high court: province only
        ("（2024）最高法执1号", CaseNumber(2024, "最高法", "执", 1)),
        ("（2024）兵0101执999999号", CaseNumber(2024, "兵0101", "执", 999_999)),
        ("（1990）沪0101执1号", CaseNumber(1990, "沪0101", "执", 1)),
        ("（2026）粤0304执5号", CaseNumber(2026, "粤0304", "执", 5)),
    ],
)
def test_official_numbers_are_parsed_and_normalised(text: str, parsed: CaseNumber) -> None:
    assert parse_case_number(text, current_year=2026) == parsed


def test_str_is_the_official_form() -> None:
    assert str(parse_case_number("(2024)京0105执1234号", current_year=2026)) == "（2024）京0105执1234号"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024京0105执1234号",  # no brackets
        "【2024】京0105执1234号",  # wrong brackets
        "（2024）京0105执1234",  # no 号
        "（2024）京0105执1234号。",  # trailing text
        "（2024）京0105民初1234号",  # not an enforcement case
        "（2024）京0105执0123号",  # leading zero
        "（2024）京0105执0号",
        "（2024）京0105执1234567号",  # seven digits
        "（24）京0105执1号",  # two-digit year
        "（2024）京01055执1号",  # five-digit court code
        "（2024）港0105执1号",  # no such court prefix
        "（2024）0105执1号",  # no province
        "（2024）京0105执一号",  # Chinese numerals
    ],
)
def test_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        parse_case_number(text, current_year=2026)
    assert (exc_info.value.rule_code, exc_info.value.field) == ("invalid_case_number", "number")


def test_malformed_number_message_in_english() -> None:
    with pytest.raises(RuleViolation) as exc_info:
        parse_case_number("2024-1234", current_year=2026)
    with translation.override("en"):
        assert exc_info.value.text == ("“2024-1234” is not an enforcement case number in the official format, e.g. "
                                       "（2024）京0105执1234号.")
    with translation.override("zh-hans"):
        assert "2024-1234" in exc_info.value.text


@pytest.mark.parametrize(("year", "ok"), [(1989, False), (1990, True), (2026, True), (2027, False)])
def test_the_year_lies_between_1990_and_this_year(year: int, ok: bool) -> None:
    text = f"（{year}）京0105执1号"
    if ok:
        assert parse_case_number(text, current_year=2026).year == year
    else:
        with pytest.raises(RuleViolation) as exc_info:
            parse_case_number(text, current_year=2026)
        assert exc_info.value.rule_code == "invalid_case_year"
        with translation.override("en"):
            assert exc_info.value.text == f"The year {year} in the case number is not possible."


# --- case_create -----------------------------------------------------------------------------------

def create(actor: builders.User, court: builders.Court, number: str, filed_on: date | None = None) -> Case:
    return services.case_create(actor=actor, court=court, number=number, cause="借款合同纠纷",
                                filed_on=filed_on or date(2026, 1, 5))


@pytest.mark.django_db
def test_a_case_is_created_with_the_normalised_number(court: builders.Court, clerk: builders.User,
                                                      frozen: clock.FrozenClock) -> None:
    case = create(clerk, court, "(2026) 京0105执 17号")
    assert (case.number, case.year, case.type_code, case.serial) == ("（2026）京0105执17号", 2026, "执", 17)
    rec = AuditRecord.objects.get(action="case.create")
    assert (rec.object_id, rec.after["number"]) == (str(case.pk), "（2026）京0105执17号")


@pytest.mark.django_db
def test_the_year_bound_is_this_year_by_the_clock(court: builders.Court, clerk: builders.User,
                                                  frozen: clock.FrozenClock, codes: Codes) -> None:
    with pytest.raises(RuleViolation) as exc_info:
        create(clerk, court, "（2027）京0105执1号")
    assert codes(exc_info.value) == ["invalid_case_year"]


@pytest.mark.django_db
def test_the_court_code_must_be_the_courts_own(court: builders.Court, clerk: builders.User,
                                               frozen: clock.FrozenClock, codes: Codes) -> None:
    # The court's name is in the language of the request that broke the rule.
    with translation.override("en"), pytest.raises(RuleViolation) as exc_info:
        create(clerk, court, "（2026）京0106执1号")
    assert codes(exc_info.value) == ["case_number_wrong_court"]
    with translation.override("en"):
        assert exc_info.value.text == ("The case number carries the court code 京0106, but Beijing Chaoyang District "
                                       "People's Court uses 京0105.")
    with pytest.raises(RuleViolation) as zh_info:
        create(clerk, court, "（2026）京0106执1号")
    assert "北京市朝阳区人民法院" in zh_info.value.text
    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("again", ["（2026）京0105执17号", "(2026)京0105执17号", " （2026） 京0105 执17号"])
def test_duplicates_are_refused_whatever_the_brackets(court: builders.Court, clerk: builders.User,
                                                      frozen: clock.FrozenClock, codes: Codes, again: str) -> None:
    create(clerk, court, "（2026）京0105执17号")
    with pytest.raises(RuleViolation) as exc_info:
        create(clerk, court, again)
    assert codes(exc_info.value) == ["case_exists"]
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_same_serial_in_another_year_or_type_is_another_case(court: builders.Court, clerk: builders.User,
                                                                 frozen: clock.FrozenClock) -> None:
    create(clerk, court, "（2026）京0105执17号")
    create(clerk, court, "（2025）京0105执17号")
    create(clerk, court, "（2026）京0105执恢17号")
    assert Case.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(("offset", "ok"), [(0, True), (1, False)])
def test_the_filing_date_is_not_in_the_future(court: builders.Court, clerk: builders.User,
                                              frozen: clock.FrozenClock, codes: Codes, offset: int, ok: bool) -> None:
    filed_on = clock.today() + timedelta(days=offset)
    if ok:
        assert create(clerk, court, "（2026）京0105执17号", filed_on).filed_on == filed_on
    else:
        with pytest.raises(RuleViolation) as exc_info:
            create(clerk, court, "（2026）京0105执17号", filed_on)
        assert codes(exc_info.value) == ["filed_in_future"]


@pytest.mark.django_db
def test_only_staff_of_the_court_create_its_cases(court: builders.Court, frozen: clock.FrozenClock,
                                                  codes: Codes) -> None:
    other = builders.court(code="沪0101", name="上海市黄浦区人民法院")
    outsider = builders.staff_user("outsider", other, roles=["court_staff"])
    with pytest.raises(PermissionDenied) as exc_info:
        create(outsider, court, "（2026）京0105执17号")
    assert codes(exc_info.value) == ["wrong_court"]
    assert not Case.objects.exists()
