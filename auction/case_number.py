"""Enforcement case numbers in the official format (《关于人民法院案件案号的若干规定》, 2015):
（收案年度）法院代字 类型代字 案件编号 号, e.g. （2024）京0105执1234号."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.errors import RuleViolation

# 法院代字: the province (or 兵 for the XPCC, 军 for military courts) plus up to four digits,
# or 最高法 for the Supreme People's Court.
COURT_CODE_RE = r"(?:最高法|[京津冀晋内辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新兵军]\d{0,4})"
# Only cases that can sell property: first enforcement (执) and resumed enforcement (执恢).
TYPE_CODES = ("执恢", "执")
_RE = re.compile(
    r"^（(?P<year>\d{4})）(?P<court>" + COURT_CODE_RE + r")(?P<type>执恢|执)(?P<serial>[1-9]\d{0,5})号$"
)


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str
    type_code: str
    serial: int

    def __str__(self) -> str:
        return f"（{self.year}）{self.court_code}{self.type_code}{self.serial}号"


def normalise(text: str) -> str:
    """People type case numbers with half-width brackets and spaces; stored numbers use （） and none."""
    return "".join((text or "").split()).replace("(", "（").replace(")", "）")


def parse_case_number(text: str, *, current_year: int) -> CaseNumber:
    """Parse and normalise (ASCII brackets and spaces are accepted). Raises RuleViolation."""
    normalised = normalise(text)
    match = _RE.match(normalised)
    if not match:
        raise RuleViolation(
            _("“%(value)s” is not an enforcement case number in the official format, e.g. （2024）京0105执1234号."),
            code="invalid_case_number", params={"value": text}, field="number",
        )
    year = int(match["year"])
    if not 1990 <= year <= current_year:
        raise RuleViolation(
            _("The year %(year)s in the case number is not possible."),
            code="invalid_case_year", params={"year": year}, field="number",
        )
    return CaseNumber(year, match["court"], match["type"], int(match["serial"]))
