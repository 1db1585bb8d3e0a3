"""Downloads for finance staff and accountants: tables as CSV (UTF-8 with a BOM, so spreadsheet
programs read Chinese correctly) and XLSX (amounts as numbers in yuan with two decimals), the case
account statement and the distribution statement as PDF. Rendering only: the figures come from
settlement.selectors; amounts are integer fen turned into exact decimal yuan, never floats. PDFs use
reportlab's built-in CID font STSong-Light (no font file ships) and are reproducible byte for byte
(invariant mode)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from core import clock
from settlement.models import DistributionPlan
from settlement.selectors import CaseAccountStatement, StatementRow, plan_lines, plan_services, yuan_text

FONT = "STSong-Light"
AMOUNT_FORMAT = "#,##0.00"


def yuan(fen: int) -> Decimal:
    """Integer fen as an exact Decimal of yuan (12345 → Decimal("123.45"))."""
    return Decimal(yuan_text(fen))


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(*tables: Table) -> bytes:
    """One or more tables, each under its title, separated by an empty row."""
    out = io.StringIO()
    writer = csv.writer(out)
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([table.title])
        writer.writerow(table.headers)
        for row in table.rows:
            writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(*tables: Table) -> bytes:
    """One sheet per table: bold header row, frozen below it, amounts as numbers with two decimals."""
    book = Workbook()
    book.remove(book.active)
    for n, table in enumerate(tables, start=1):
        title = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:28] or f"Sheet{n}"
        sheet = book.create_sheet(title=title if title not in book.sheetnames else f"{title[:26]}{n}")
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        widths = [max(8, len(h) * 2) for h in table.headers]
        for row in table.rows:
            values = []
            for i, value in enumerate(row):
                if isinstance(value, datetime):
                    value = value.astimezone(clock.SHANGHAI).replace(tzinfo=None)
                values.append(value)
                if i < len(widths):
                    widths[i] = min(60, max(widths[i], len(_cell(value)) + 2))
            sheet.append(values)
            for cell, value in zip(sheet[sheet.max_row], values, strict=False):
                if isinstance(value, Decimal):
                    cell.number_format = AMOUNT_FORMAT
                elif isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def content_disposition(filename: str) -> str:
    """An attachment header that keeps a Chinese file name (RFC 6266 / 5987) with an ASCII fallback."""
    ascii_name = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- the case account statement ----------------------------------------------------------------------------


def _source(row: StatementRow) -> str:
    txn = row.entry.transaction
    for label, obj, attr in ((_("deposit"), txn.deposit, "reference"), (_("receipt"), txn.receipt, "external_ref"),
                             (_("payout"), txn.payout, "key"), (_("case payout"), txn.case_payout, "reference"),
                             (_("balance payment"), txn.balance_payment, "reference")):
        if obj is not None:
            return f"{label} {getattr(obj, attr)}"
    return ""


def _statement_table(title: str, rows: list[StatementRow]) -> Table:
    table = Table(title=title, headers=[_("Time"), _("Transaction"), _("Source"), _("Memo"), _("In (yuan)"),
                                        _("Out (yuan)"), _("Balance (yuan)")])
    table.rows.append(["", _("Opening balance"), "", "", None, None, yuan(0)])
    for row in rows:
        amount = row.entry.amount_fen
        table.rows.append([row.entry.transaction.created_at, row.entry.transaction.get_kind_display(), _source(row),
                           row.entry.transaction.memo, yuan(-amount) if amount < 0 else None,
                           yuan(amount) if amount > 0 else None, yuan(row.running_fen)])
    closing = rows[-1].running_fen if rows else 0
    table.rows.append(["", _("Closing balance"), "", "", None, None, yuan(closing)])
    return table


def case_statement_tables(stmt: CaseAccountStatement, language: str) -> list[Table]:
    with override(language):
        return [_statement_table(_("Case account"), stmt.rows),
                _statement_table(_("Forfeited deposits"), stmt.forfeit_rows)]


def case_statement_csv(stmt: CaseAccountStatement, language: str) -> bytes:
    return table_csv(*case_statement_tables(stmt, language))


def case_statement_xlsx(stmt: CaseAccountStatement, language: str) -> bytes:
    return table_xlsx(*case_statement_tables(stmt, language))


def _styles() -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return (ParagraphStyle("h", fontName=FONT, fontSize=15, leading=20, spaceAfter=4),
            ParagraphStyle("p", fontName=FONT, fontSize=9, leading=13),
            ParagraphStyle("c", fontName=FONT, fontSize=7.5, leading=9.5))


def _pdf_table(table: Table, cell: ParagraphStyle, widths: list[float] | None = None) -> PdfTable:
    # Paragraph text is reportlab markup: names, remarks and notes typed by people are escaped, so
    # none can add an <img> (a local file or URL read while rendering) or break the layout.
    data: list[list[Any]] = [[Paragraph(escape(h), cell) for h in table.headers]]
    data += [[Paragraph(escape(_cell(v)), cell) for v in row] for row in table.rows]
    pdf_table = PdfTable(data, colWidths=widths, repeatRows=1)
    pdf_table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return pdf_table


def _build(story: list[Any], title: str, *, wide: bool = False) -> bytes:
    out = io.BytesIO()

    def page_number(canvas: Any, doc: Any) -> None:
        canvas.setFont(FONT, 7)
        canvas.drawRightString(doc.pagesize[0] - 12 * mm, 8 * mm, f"{doc.page}")

    size = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(out, pagesize=size, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=title, invariant=True)
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return out.getvalue()


def case_statement_pdf(stmt: CaseAccountStatement, language: str) -> bytes:
    from settlement.ledger import virtual_account_number

    head, para, cell = _styles()
    with override(language):
        title = _("Case account statement")
        story: list[Any] = [
            Paragraph(f"{title} · {escape(stmt.case.number)}", head),
            Paragraph(f"{_('Court')}: {escape(stmt.case.court.name)} · {_('Account reference')}: "
                      f"{virtual_account_number(stmt.case)} · {_('Generated at')}: "
                      f"{_cell(clock.now())}", para),
            Spacer(1, 4 * mm),
        ]
        for table in case_statement_tables(stmt, language):
            story += [Paragraph(escape(table.title), para), _pdf_table(table, cell), Spacer(1, 4 * mm)]
        story.append(Paragraph(f"{_('Closing balance')}: ¥{yuan(stmt.balance_fen):,.2f}", para))
        return _build(story, f"{title} {stmt.case.number}", wide=True)


# --- the distribution statement --------------------------------------------------------------------------


def plan_statement_pdf(plan: DistributionPlan, language: str = "zh-hans") -> bytes:
    """The distribution statement (分配方案) of one plan version: the funds, every line in payment
    order, service and objections. Reproducible: the same plan gives the same bytes."""
    head, para, cell = _styles()
    with override(language):
        case = plan.case
        title = _("Distribution plan")
        facts = [
            (_("Court"), case.court.name), (_("Case"), case.number),
            (_("Version"), f"{plan.version} · {plan.get_status_display()}"),
            (_("Ordinary claims"), plan.get_mode_display()),
            (_("Funds to distribute"), f"¥{yuan(plan.available_fen):,.2f}"),
            (_("Enforcement application fee (FEE art.14)"), f"¥{yuan(plan.application_fee_fen):,.2f}"),
            (_("Late-performance interest stops on"), _cell(plan.interest_stop_on) or "—"),
            (_("Drawn up"), _cell(plan.created_at)),
            (_("Served on"), _cell(plan.served_on) or "—"),
        ]
        story: list[Any] = [Paragraph(f"{title} · {escape(case.number)}", head)]
        story += [Paragraph(f"{label}: {escape(str(value))}", para) for label, value in facts]
        if plan.note:
            story.append(Paragraph(f"{_('Reason for this version')}: {escape(plan.note)}", para))
        story.append(Spacer(1, 4 * mm))
        lines = Table(title=title, headers=["#", _("Payee"), _("Tier"), _("Rank"), _("Claimed (yuan)"),
                                            _("Allocated (yuan)"), _("Note")])
        total = 0
        for view in plan_lines(plan):
            line = view.line
            total += line.allocated_fen
            lines.rows.append([line.position, line.payee_name, line.get_tier_display(), line.rank,
                               yuan(line.claimed_fen), yuan(line.allocated_fen), line.note])
        lines.rows.append(["", _("Total"), "", "", None, yuan(total), ""])
        story += [_pdf_table(lines, cell, [10 * mm, 45 * mm, 25 * mm, 22 * mm, 24 * mm, 24 * mm, 36 * mm]),
                  Spacer(1, 4 * mm)]
        served = list(plan_services(plan))
        if served:
            services_table = Table(title=_("Service"), headers=[_("Party"), _("Served on"), _("Objections due by")],
                                   rows=[[s.party.name, s.served_on, s.objection_due] for s in served])
            story += [Paragraph(_("Service and objection windows (CPLI art.509)"), para),
                      _pdf_table(services_table, cell), Spacer(1, 4 * mm)]
        objections = list(plan.objections.select_related("objector", "line").order_by("id"))
        if objections:
            table = Table(title=_("Objections"), headers=[_("Objector"), _("Disputed line"), _("Disputed (yuan)"),
                                                          _("Status"), _("Counter-objections due by"),
                                                          _("Suit due by")])
            table.rows = [[o.objector.name, o.line.payee_name, yuan(o.disputed_fen), o.get_status_display(),
                           o.counter_due, o.suit_due] for o in objections]
            story += [Paragraph(_("Objections (CPLI art.510)"), para), _pdf_table(table, cell)]
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(_("Costs first, then priority claims by rank, then ordinary claims, late-performance "
                                 "interest last; the surplus returns to the debtor (CPLI arts.508–514; EW art.34). "
                                 "A written objection may be filed within 15 days of service (CPLI art.509)."),
                               para))
        return _build(story, f"{title} {case.number} v{plan.version}")
