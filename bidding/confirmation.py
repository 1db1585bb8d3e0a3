"""The sale confirmation (成交确认书, WP art.22) as a PDF: court, case, lot, round, price, the
buyer's bidder code and real name (for a proxy, the principal's), the bidding times. Chinese text
uses reportlab's built-in CID font STSong-Light, so no font file has to ship."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from auction.models import AuctionRound
from bidding.models import Registration
from core import clock
from core.money import format_fen

FONT = "STSong-Light"


def _local(at: datetime) -> str:
    return at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def render(rnd: AuctionRound, buyer: Registration, *, created_at: datetime) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    lot, case = rnd.lot, rnd.lot.case
    name = buyer.principal_name if buyer.is_proxy and buyer.principal_name else buyer.bidder.name
    assert rnd.current_price_fen is not None and rnd.ended_at is not None
    lines = [
        ("法院 Court", case.court.name),
        ("案号 Case", case.number),
        ("标的物 Lot", lot.title),
        ("场次 Round", f"{rnd.kind_label} · #{rnd.number} (id {rnd.pk})"),
        ("成交价 Price", format_fen(rnd.current_price_fen)),
        ("竞买号 Bidder code", buyer.code),
        ("买受人 Buyer", name),
        ("竞价时间 Bidding", f"{_local(rnd.bidding_start)} – {_local(rnd.ended_at)}"),
        ("延时次数 Extensions", str(rnd.extension_count)),
        ("出价次数 Bids", str(rnd.bid_count)),
        ("生成时间 Issued", _local(created_at)),
    ]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(f"成交确认书 {case.number}")
    width, height = A4
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "网络司法拍卖成交确认书")
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 38 * mm, "Online judicial auction: sale confirmation")
    y = height - 55 * mm
    for label, value in lines:
        pdf.drawString(25 * mm, y, label)
        pdf.drawString(70 * mm, y, value[:60])
        y -= 9 * mm
    pdf.setFont(FONT, 9)
    text = pdf.beginText(25 * mm, y - 6 * mm)
    for line in ("买受人应当在拍卖公告确定的期限内将剩余价款交付人民法院；",
                 "悔拍的，保证金不予退还（《网拍规定》第二十四条）。",
                 "The buyer pays the balance within the period the notice sets; after a default the deposit is "
                 "not returned (WP art.24).",
                 "本确认书由平台在竞价结束时自动生成并公示（《网拍规定》第二十二条）。"):
        text.textLine(line)
    pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
