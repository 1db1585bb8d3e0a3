"""Small real PDFs for the demo, made with reportlab: the civil judgment being enforced (民事判决书),
the pricing basis of a lot (网络询价报告, 评估报告, 定向询价回复 or 议价笔录) and the collegial panel's
minutes (合议庭评议笔录). Chinese text uses the built-in STSong-Light CID font, so nothing is
embedded or downloaded; `invariant` output makes the same input give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from auction.models import Lot

FONT = "STSong-Light"
if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=20, leading=28, alignment=1, spaceAfter=4 * mm)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=12, leading=18, alignment=2, spaceAfter=6 * mm)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=11.5, leading=20, firstLineIndent=23, wordWrap="CJK")
RIGHT = ParagraphStyle("right", parent=BODY, alignment=2, firstLineIndent=0)

METHOD_TITLES = {
    Lot.ReferenceMethod.NEGOTIATION: "当事人议价笔录",
    Lot.ReferenceMethod.DIRECTED_INQUIRY: "定向询价回复函",
    Lot.ReferenceMethod.ONLINE_INQUIRY: "网络询价报告",
    Lot.ReferenceMethod.APPRAISAL: "资产评估报告",
}


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _pdf(title: str, story: Sequence[Flowable]) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
                            bottomMargin=22 * mm, title=title, author="fapai demo", invariant=True)
    doc.build(list(story))
    return buf.getvalue()


def _paragraphs(texts: Sequence[str], style: ParagraphStyle = BODY) -> list[Flowable]:
    return [Paragraph(t, style) for t in texts if t]


def judgment_pdf(*, court: str, number: str, cause: str, plaintiffs: Sequence[str], defendants: Sequence[str],
                 facts: str, holdings: Sequence[str], judges: Sequence[str], decided_on: date) -> bytes:
    """The civil judgment that is the enforceable title of the case (WP art.13(2))."""
    numerals = "一二三四五六七八九十"
    story: list[Flowable] = [
        Paragraph(court, TITLE), Paragraph("民 事 判 决 书", TITLE), Paragraph(number, SUBTITLE),
        *_paragraphs([f"原告：{p}。" for p in plaintiffs]),
        *_paragraphs([f"被告：{d}。" for d in defendants]),
        *_paragraphs([f"原告{'、'.join(plaintiffs)}与被告{'、'.join(defendants)}{cause}一案，本院立案后依法适用普通程序，"
                      "公开开庭进行了审理。本案现已审理终结。", "本院经审理查明：" + facts,
                      "本院认为，当事人应当按照约定全面履行自己的义务。被告未按约履行，应承担相应的民事责任。"
                      "依照《中华人民共和国民法典》及《中华人民共和国民事诉讼法》的有关规定，判决如下："]),
        *_paragraphs([f"{numerals[i]}、{h}" for i, h in enumerate(holdings)]),
        *_paragraphs(["如果未按本判决指定的期间履行给付金钱义务，应当依照《中华人民共和国民事诉讼法》第二百六十四条之规定，"
                      "加倍支付迟延履行期间的债务利息。",
                      "如不服本判决，可以在判决书送达之日起十五日内，向本院递交上诉状，并按对方当事人的人数提出副本，上诉于上一级人民法院。"]),
        Spacer(1, 10 * mm),
        *_paragraphs(list(judges), RIGHT),
        Paragraph(_cn_date(decided_on), RIGHT),
        Paragraph("本件与原本核对无异", RIGHT),
    ]
    return _pdf(f"{number} 民事判决书", story)


def pricing_basis_pdf(*, method: str, source: str, lot_title: str, description: str, price_yuan: int,
                      basis: str, fixed_on: date, valid_until: date, court: str, case_number: str) -> bytes:
    """The report or record that fixed the reference price (RP arts.2, 27; WP art.13(3))."""
    rows = [
        ["委托法院", court], ["执行案号", case_number], ["财产名称", lot_title],
        ["确定方式", str(Lot.ReferenceMethod(method).label).split(" (")[0]],
        ["价格结果", f"人民币{price_yuan:,}元"], ["出具日期", _cn_date(fixed_on)], ["有效期至", _cn_date(valid_until)],
    ]
    table = Table([[Paragraph(a, RIGHT), Paragraph(b, ParagraphStyle("cell", parent=BODY, firstLineIndent=0))]
                   for a, b in rows], colWidths=[32 * mm, 124 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#555555"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story: list[Flowable] = [
        Paragraph(METHOD_TITLES[Lot.ReferenceMethod(method)], TITLE), Paragraph(source, SUBTITLE), table,
        Spacer(1, 6 * mm),
        *_paragraphs(["一、财产概况：" + description, "二、价格确定过程：" + basis,
                      "三、使用说明：本结果仅供人民法院确定财产处置参考价使用。自出具之日起有效期一年，"
                      "超过有效期且未在有效期内发布一拍拍卖公告的，应当重新确定参考价。",
                      "四、当事人、利害关系人对本结果有异议的，可以在收到之日起五日内向执行法院书面提出。"]),
        Spacer(1, 10 * mm),
        Paragraph(_cn_date(fixed_on), RIGHT),
    ]
    return _pdf(f"{lot_title} {METHOD_TITLES[Lot.ReferenceMethod(method)]}", story)


def panel_minutes_pdf(*, court: str, case_number: str, reference: str, lot_title: str, kind_word: str,
                      members: Sequence[str], start_yuan: str, increment_yuan: str, deposit_yuan: str,
                      holders: Sequence[str], decided_on: date) -> bytes:
    """The collegial panel's minutes fixing the start price, increment, deposit and priority holders
    (WP art.27)."""
    holders_text = "、".join(holders) if holders else "无已知优先购买权人"
    story: list[Flowable] = [
        Paragraph(court, TITLE), Paragraph("合 议 庭 评 议 笔 录", TITLE), Paragraph(reference, SUBTITLE),
        *_paragraphs([f"时间：{_cn_date(decided_on)}。地点：本院执行局合议室。",
                      f"合议庭成员：{'、'.join(members)}。",
                      f"评议事项：{case_number}案{lot_title}{kind_word}的起拍价、加价幅度、保证金及优先购买权人。",
                      f"评议结果：起拍价{start_yuan}，加价幅度{increment_yuan}，保证金{deposit_yuan}；"
                      f"优先购买权人及顺序：{holders_text}。",
                      "以上意见经合议庭一致同意。"]),
        Spacer(1, 10 * mm),
        *_paragraphs(list(members), RIGHT),
    ]
    return _pdf(f"{reference} 合议庭评议笔录", story)
