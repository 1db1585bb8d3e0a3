"""Reading bank statement files into statement lines: CSV (the columns of docs/payments.md, with
Chinese or English headers) and CAMT.053 (ISO 20022 XML). Parsing only: which line pays what is
decided by settlement.services.statement_import."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core import clock
from core.money import MAX_FEN


class StatementError(ValueError):
    def __init__(self, message: Any, params: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.params = params or {}


@dataclass(frozen=True)
class StatementLine:
    line_key: str  # stable across imports: the bank's line id, or a hash of the line
    booked_at: datetime
    amount_fen: int  # credits positive, debits negative
    currency: str
    payer_name: str
    payer_account: str
    remark: str
    credited_account: str


HEADERS = {
    "line_id": ("line_id", "id", "交易流水号", "流水号", "交易序号"),
    "booked_at": ("booked_at", "date", "交易时间", "交易日期", "记账日期"),
    "amount": ("amount", "金额", "交易金额"),
    "credit": ("credit", "贷方发生额", "收入金额"),
    "debit": ("debit", "借方发生额", "支出金额"),
    "currency": ("currency", "币种"),
    "payer_name": ("payer_name", "对方户名", "付款人户名", "付款人名称"),
    "payer_account": ("payer_account", "对方账号", "付款人账号"),
    "remark": ("reference", "remark", "附言", "摘要", "用途"),
    "credited_account": ("credited_account", "收款账号", "本方账号"),
}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y/%m/%d", "%Y%m%d", "%Y-%m-%dT%H:%M:%S")


# First bytes of files that are not text statements (spreadsheets, documents, programs, images).
BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF-", b"MZ", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff",
                b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def max_bytes() -> int:
    return int(settings.FAPAI_UPLOAD_MAX_STATEMENT_BYTES)


def check_content(content: bytes) -> None:
    """A statement is text: CSV or CAMT.053 XML, within FAPAI_UPLOAD_MAX_STATEMENT_BYTES. Spreadsheets
    (XLSX, XLS), PDFs and programs are refused by their content whatever their name; XML may not
    declare a DOCTYPE or entities (no entity expansion, no external references); an HTML page is
    not a statement."""
    limit = max_bytes()
    if len(content) > limit:
        raise StatementError(_("The file is larger than %(limit)s MB."), {"limit": limit // (1024 * 1024)})
    stripped = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(BINARY_MAGIC) or b"\x00" in content[:65536]:
        raise StatementError(_("This is not a text statement: export it from the bank as CSV or CAMT.053 XML "
                               "(spreadsheets are not read; save them as CSV)."))
    head = stripped[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in content.lower() or b"<html" in head or b"<script" in head:
        raise StatementError(_("XML statements may not declare a DOCTYPE or entities, and web pages are not "
                               "statements."))


def parse(content: bytes, filename: str) -> tuple[str, list[StatementLine]]:
    """("csv" | "camt053", lines). Raises StatementError with a message for people."""
    if not content.strip():
        raise StatementError(_("The file is empty."))
    check_content(content)
    head = content.lstrip()[:200]
    if head.startswith(b"<") or filename.lower().endswith(".xml"):
        return "camt053", parse_camt053(content)
    return "csv", parse_csv(content)


def _text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese banks export GB18030 as often as UTF-8
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(_("The file is neither UTF-8 nor GB18030 text."))


def _amount(text: str, row: int) -> int:
    raw = text.strip().replace(",", "").replace("¥", "").replace("￥", "").replace(" ", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise StatementError(_("Line %(row)s: “%(value)s” is not an amount."), {"row": row, "value": text})
    fen = value * 100
    if fen != fen.to_integral_value() or abs(fen) > MAX_FEN:
        raise StatementError(_("Line %(row)s: “%(value)s” is not an amount in yuan with at most two decimals."),
                             {"row": row, "value": text})
    return int(fen)


def _when(text: str, row: int) -> datetime:
    raw = text.strip()
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)  # noqa: DTZ007 - bank times are Beijing time, attached below
        except ValueError:
            continue
        return parsed.replace(tzinfo=clock.SHANGHAI)
    raise StatementError(_("Line %(row)s: “%(value)s” is not a date."), {"row": row, "value": text})


def _hash_key(prefix: str, fields: list[str], occurrence: int) -> str:
    digest = hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:40]
    return f"{prefix}:{digest}:{occurrence}"


def parse_csv(content: bytes) -> list[StatementLine]:
    reader = csv.reader(io.StringIO(_text(content)))
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise StatementError(_("The file is empty."))
    header = [cell.strip().lower() for cell in rows[0]]
    columns: dict[str, int] = {}
    for name, aliases in HEADERS.items():
        for alias in aliases:
            if alias.lower() in header:
                columns[name] = header.index(alias.lower())
                break
    if "booked_at" not in columns or not ("amount" in columns or "credit" in columns):
        raise StatementError(_("The header must name at least the date and the amount columns (see the "
                               "statement format in the documentation)."))
    seen: Counter[tuple[str, ...]] = Counter()
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        if "amount" in columns:
            amount = _amount(cell("amount"), number)
        else:
            amount = (_amount(cell("credit"), number) if cell("credit") else 0) - (
                _amount(cell("debit"), number) if cell("debit") else 0)
        booked_at = _when(cell("booked_at"), number)
        fields = [cell(name) for name in ("booked_at", "amount", "credit", "debit", "currency", "payer_name",
                                          "payer_account", "remark", "credited_account")]
        if cell("line_id"):
            key = f"id:{cell('credited_account')}:{cell('line_id')}"
        else:
            # Identical lines without an id are different transfers; the n-th copy keeps its number.
            seen[tuple(fields)] += 1
            key = _hash_key("csv", fields, seen[tuple(fields)])
        lines.append(StatementLine(
            line_key=key[:120], booked_at=booked_at, amount_fen=amount,
            currency=(cell("currency") or "CNY").upper()[:3],
            payer_name=cell("payer_name")[:140], payer_account=cell("payer_account")[:60], remark=cell("remark")[:300],
            credited_account=cell("credited_account")[:40]))
    return lines


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element | None, path: str) -> ET.Element | None:
    """The first descendant along a path of local names ("A/B/C"), whatever the namespace version."""
    if node is None:
        return None
    current: list[ET.Element] = [node]
    for name in path.split("/"):
        found = [child for parent in current for child in parent if _local(child.tag) == name]
        if not found:
            return None
        current = found
    return current[0]


def _findtext(node: ET.Element | None, *paths: str) -> str:
    for path in paths:
        found = _find(node, path)
        if found is not None and (found.text or "").strip():
            return (found.text or "").strip()
    return ""


def parse_camt053(content: bytes) -> list[StatementLine]:
    lowered = content[:4096].lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise StatementError(_("XML with a document type declaration is not accepted."))
    try:
        root = ET.fromstring(content)  # noqa: S314 - no DTD or entity can reach the parser (checked above)
    except ET.ParseError as exc:
        raise StatementError(_("The XML file cannot be read: %(error)s"), {"error": str(exc)})
    statements = [el for el in root.iter() if _local(el.tag) == "Stmt"]
    if not statements:
        raise StatementError(_("No CAMT.053 statement (Stmt) in the file."))
    lines: list[StatementLine] = []
    seen: Counter[tuple[str, ...]] = Counter()
    for stmt in statements:
        own_account = _findtext(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        for number, entry in enumerate((el for el in stmt if _local(el.tag) == "Ntry"), start=1):
            amount_el = _find(entry, "Amt")
            if amount_el is None:
                raise StatementError(_("Entry %(row)s has no amount."), {"row": number})
            amount = _amount(amount_el.text or "", number)
            if _findtext(entry, "CdtDbtInd") == "DBIT":
                amount = -amount
            booked = _findtext(entry, "BookgDt/DtTm", "BookgDt/Dt", "ValDt/Dt")
            tx = _find(entry, "NtryDtls/TxDtls")
            remark = " ".join(el.text.strip() for el in (tx.iter() if tx is not None else [])
                              if _local(el.tag) in ("Ustrd", "Ref") and el.text)
            payer = _findtext(tx, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm")
            payer_account = _findtext(tx, "RltdPties/DbtrAcct/Id/IBAN", "RltdPties/DbtrAcct/Id/Othr/Id")
            credited = _findtext(tx, "RltdPties/CdtrAcct/Id/IBAN", "RltdPties/CdtrAcct/Id/Othr/Id") or own_account
            bank_ref = _findtext(entry, "AcctSvcrRef") or _findtext(tx, "Refs/AcctSvcrRef", "Refs/EndToEndId")
            fields = [booked, amount_el.text or "", payer, payer_account, remark, credited]
            if bank_ref:
                key = f"id:{own_account}:{bank_ref}"
            else:
                seen[tuple(fields)] += 1
                key = _hash_key("camt", fields, seen[tuple(fields)])
            when = datetime.fromisoformat(booked) if "T" in booked else _when(booked, number)
            if when.tzinfo is None:
                when = when.replace(tzinfo=clock.SHANGHAI)
            lines.append(StatementLine(
                line_key=key[:120], booked_at=when, amount_fen=amount,
                currency=(amount_el.get("Ccy") or "CNY").upper()[:3], payer_name=payer[:140],
                payer_account=payer_account[:60], remark=remark[:300], credited_account=credited[:40]))
    return lines


REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_RE = re.compile(rf"F[PB][{REFERENCE_ALPHABET}]{{8}}")


def find_reference(remark: str) -> str:
    """The first fapai transfer reference in a remark, however the payer spaced or cased it."""
    compact = re.sub(r"[\s\-_]", "", remark.upper())
    found = REFERENCE_RE.search(compact)
    return found.group(0) if found else ""


def same_name(a: str, b: str) -> bool:
    """Real-name check (WP art.17): equal once spaces, case and full-width brackets are ignored."""
    def norm(s: str) -> str:
        return re.sub(r"\s", "", s).replace("（", "(").replace("）", ")").replace("\u3000", "").casefold()

    return bool(a.strip()) and norm(a) == norm(b)


def digits(account: str) -> str:
    return re.sub(r"\D", "", account)
