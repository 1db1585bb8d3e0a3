"""Valuations for the embedded demo (`manage.py load_valuation_demo`, after `load_demo`): one per
method, each told through valuation.services under a frozen clock at the dates a court would have
acted, so the pages, the history and the audit chain show the real procedure.

* 上海 车位使用权 (pd-parking): party negotiation; both sides agree, the price is fixed.
* 上海 浦远大厦1805室 (pd-office): negotiation fails, the tax bureau's directed inquiry fixes it.
* 上海 锦绣路602室 (pd-flat): online inquiry, three platforms on time, the mean is fixed.
* 广州 “顺达速运”商标 (th-trademark): the three earlier methods passed over with their grounds,
  three agencies drawn by lottery, the first reports, the price is fixed.
* 广州 林和花园 (a lot recorded here, in the case th-private): an online inquiry in progress, one
  platform late and left out of the mean; the missing debtor is served by public notice, so his
  objection period is still running.

The historic valuations end on the day the demo fixed each lot's price (lot.reference_fixed_on) with
the same price, so the lots keep their figures; only the validity moves to the reports' own date.
Their records join the audit chain after the auction demo's, with their historical times.
Agencies are reference data written directly, like the demo's courts."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation

from auction import services as auction_services
from auction.demo import data
from auction.models import Case, Lot, Party
from core import clock, days
from core.models import User
from valuation import rules, services
from valuation.models import (
    Agency,
    AppraisalSelection,
    Delivery,
    DirectedInquiry,
    MethodStep,
    Report,
    Valuation,
)

M = Lot.ReferenceMethod
G = MethodStep.Ground
YUAN = 100
ALL_DONE = {key: True for key, _label in services.INVESTIGATION_ITEMS}

AGENCIES: list[tuple[str, str, str, str]] = [
    ("北京中评房地产土地评估有限公司", Agency.Specialty.REAL_ESTATE, "北京市", "北京市"),
    ("北京华信资产评估有限公司", Agency.Specialty.ASSETS, "北京市", "北京市"),
    ("北京正衡资产评估有限公司", Agency.Specialty.ASSETS, "北京市", "北京市"),
    ("北京京诚房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "北京市", "北京市"),
    ("北京德衡房地产土地评估有限公司", Agency.Specialty.REAL_ESTATE, "北京市", "北京市"),
    ("北京中宝珠宝首饰评估中心", Agency.Specialty.JEWELLERY, "北京市", "北京市"),
    ("上海信达资产评估有限公司", Agency.Specialty.ASSETS, "上海市", "上海市"),
    ("上海浦信房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "上海市", "上海市"),
    ("上海东方房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "上海市", "上海市"),
    ("上海申衡房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "上海市", "上海市"),
    ("广州华粤资产评估有限公司", Agency.Specialty.ASSETS, "广东省", "广州市"),
    ("广州羊城资产评估有限公司", Agency.Specialty.ASSETS, "广东省", "广州市"),
    ("广东中联资产评估有限公司", Agency.Specialty.ASSETS, "广东省", "广州市"),
    ("广州穗信资产评估事务所有限公司", Agency.Specialty.ASSETS, "广东省", "广州市"),
    ("广州正诚资产评估有限公司", Agency.Specialty.ASSETS, "广东省", "广州市"),
    ("广东粤信房地产土地资产评估有限公司", Agency.Specialty.REAL_ESTATE, "广东省", "广州市"),
    ("广州天河房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "广东省", "广州市"),
    ("广州南方房地产估价有限公司", Agency.Specialty.REAL_ESTATE, "广东省", "广州市"),
]
NEW_LOT_TITLE = "广州市天河区林和西路林和花园3栋702房"


class DemoMissing(RuntimeError):
    """The auction demo is not loaded, so there are no demo lots to value."""


@dataclass(frozen=True)
class Result:
    created: bool
    valuations: int


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.SHANGHAI)


def _working_on_or_before(day: date) -> date:
    while days.is_rest_day(day):
        day -= timedelta(days=1)
    return day


def _lot(key: str) -> Lot:
    spec = next(s for s in data.LOTS if s.key == key)
    lot = Lot.objects.select_related("case__court").filter(title=spec.fields["title"]).first()
    if lot is None:
        raise DemoMissing(key)
    return lot


def _clerk(lot: Lot) -> User:
    spec = next(u for u in data.USERS if u.court == lot.case.court.case_code and "panel" not in u.roles)
    return User.objects.get(username=spec.username)


def _party(case: Case, role: str, name_part: str = "") -> Party:
    return case.parties.filter(role=role, name__contains=name_part).order_by("id").first()  # type: ignore[return-value]


def _deliver(clerk: User, valuation: Valuation, on: date, *, public: tuple[str, ...] = ()) -> None:
    """Serve the reports on every party, or post them publicly for a party who cannot be found."""
    for party in valuation.lot.case.parties.order_by("id"):
        if party.name in public:
            services.reports_deliver(actor=clerk, valuation=valuation, party=party,
                                     method=Delivery.Method.PUBLIC_NOTICE, delivered_on=on,
                                     proof=f"中国执行信息公开网公示（{valuation.lot.case.number}）")
        else:
            services.reports_deliver(actor=clerk, valuation=valuation, party=party, method=Delivery.Method.SERVED,
                                     delivered_on=on, proof=f"送达回证（{valuation.lot.case.number}）")


def _open(clerk: User, lot: Lot, frozen: clock.FrozenClock, day: date) -> Valuation:
    frozen.set(_at(day, 9, 30))
    valuation = services.valuation_open(actor=clerk, lot=lot)
    frozen.set(_at(day, 16))
    return services.valuation_record_investigation(
        actor=clerk, valuation=valuation, items=ALL_DONE,
        note="已查明权属、权利负担、占有使用、欠缴税费及质量瑕疵情况，详见查封笔录及调查笔录。")


def negotiation(frozen: clock.FrozenClock) -> Valuation:
    lot = _lot("pd-parking")
    clerk, fixed_on = _clerk(lot), lot.reference_fixed_on
    assert fixed_on is not None and lot.reference_price_fen is not None
    valuation = _open(clerk, lot, frozen, _working_on_or_before(fixed_on - timedelta(days=10)))
    services.method_start(actor=clerk, valuation=valuation, method=M.NEGOTIATION)
    frozen.set(_at(fixed_on, 10))
    for party in services.negotiating_parties(valuation):
        services.proposal_record(actor=clerk, valuation=valuation, party=party, price_fen=lot.reference_price_fen,
                                 proposed_on=fixed_on, note="议价笔录签字确认")
    frozen.set(_at(fixed_on, 15))
    return services.negotiation_conclude(actor=clerk, valuation=valuation, harms_nobody=True)


def directed_inquiry(frozen: clock.FrozenClock) -> Valuation:
    lot = _lot("pd-office")
    clerk, fixed_on, price = _clerk(lot), lot.reference_fixed_on, lot.reference_price_fen
    assert fixed_on is not None and price is not None
    start = _working_on_or_before(fixed_on - timedelta(days=12))
    valuation = _open(clerk, lot, frozen, start)
    services.method_start(actor=clerk, valuation=valuation, method=M.NEGOTIATION)
    frozen.set(_at(start + timedelta(days=2), 10))
    case = lot.case
    for party, yuan in ((_party(case, Party.Role.APPLICANT), 9_600_000), (_party(case, Party.Role.DEBTOR, "浦远"),
                                                                          10_800_000),
                        (_party(case, Party.Role.DEBTOR, "孙"), 10_800_000)):
        services.proposal_record(actor=clerk, valuation=valuation, party=party, price_fen=yuan * YUAN,
                                 proposed_on=clock.today())
    frozen.set(_at(start + timedelta(days=3), 10))
    services.method_fail(actor=clerk, valuation=valuation, ground=G.PROPOSALS_DIFFER,
                         reason="申请执行人与被执行人报价相差1,200,000元，经组织协商未能达成一致。")
    services.method_start(actor=clerk, valuation=valuation, method=M.DIRECTED_INQUIRY)
    services.directed_inquiry_send(actor=clerk, valuation=valuation, institution="国家税务总局上海市浦东新区税务局",
                                   basis=DirectedInquiry.Basis.TAX_BASE, requested_on=clock.today(),
                                   due_on=fixed_on + timedelta(days=2),
                                   letter_reference=f"（{fixed_on.year}）沪0115执3456号询价函")
    frozen.set(_at(fixed_on, 14))
    fixed = services.directed_inquiry_answer(actor=clerk, valuation=valuation, price_fen=price, report_date=fixed_on,
                                             received_on=fixed_on, number=f"浦税询〔{fixed_on.year}〕第1029号")
    frozen.set(_at(fixed_on + timedelta(days=1), 10))
    _deliver(clerk, fixed, clock.today())
    return fixed


def _inquiry_dates(fixed_on: date) -> date:
    """The latest sending day from which three reports, their delivery and every party's 5-day
    objection period all end before the price is fixed."""
    sent = fixed_on - timedelta(days=8)
    while True:
        sent = _working_on_or_before(sent)
        delivered = sent + timedelta(days=3)
        if days.period_end(delivered, rules.OBJECTION_DAYS) < fixed_on:
            return sent
        sent -= timedelta(days=1)


def online_inquiry(frozen: clock.FrozenClock) -> Valuation:
    lot = _lot("pd-flat")
    clerk, fixed_on = _clerk(lot), lot.reference_fixed_on
    assert fixed_on is not None
    sent = _inquiry_dates(fixed_on)
    valuation = _open(clerk, lot, frozen, sent - timedelta(days=2))
    services.method_skip(actor=clerk, valuation=valuation, method=M.NEGOTIATION, ground=G.PARTY_REFUSES,
                         reason="被执行人孙海涛书面表示拒绝议价。")
    services.method_skip(actor=clerk, valuation=valuation, method=M.DIRECTED_INQUIRY, ground=G.PARTIES_ASK_ONLINE,
                         reason="申请执行人与被执行人均同意直接进行网络询价。")
    frozen.set(_at(sent, 10))
    services.method_start(actor=clerk, valuation=valuation, method=M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    reports = list(valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY).order_by("id"))
    for i, (report, yuan) in enumerate(zip(reports, (5_288_000, 5_336_000, 5_336_000), strict=False)):
        day = sent + timedelta(days=1 if i == 0 else 2)
        frozen.set(_at(day, 11 + i))
        services.online_inquiry_record(actor=clerk, report=report, price_fen=yuan * YUAN, report_date=day,
                                       received_on=day, number=f"SH{day.year}-0922-0{i + 1}")
    frozen.set(_at(sent + timedelta(days=3), 10))
    _deliver(clerk, valuation, clock.today())
    frozen.set(_at(fixed_on, 10))
    return services.valuation_fix(actor=clerk, valuation=valuation)


def _lottery_seed(candidates: list[int], first: int) -> str:
    """A demo seed whose draw puts the agency named in the lot's report first; real draws use
    secrets.token_hex(32). Any seed is verifiable the same way."""
    for n in itertools.count():
        seed = f"fapai-demo-{n:04d}"
        if rules.lottery_draw(seed, candidates)[0] == first:
            return seed
    raise AssertionError("unreachable")


def appraisal(frozen: clock.FrozenClock) -> Valuation:
    lot = _lot("th-trademark")
    clerk, fixed_on, price = _clerk(lot), lot.reference_fixed_on, lot.reference_price_fen
    assert fixed_on is not None and price is not None
    delivered = _inquiry_dates(fixed_on) + timedelta(days=3)
    reported = delivered - timedelta(days=1)
    commissioned = _working_on_or_before(reported - timedelta(days=14))
    valuation = _open(clerk, lot, frozen, _working_on_or_before(commissioned - timedelta(days=1)))
    services.method_skip(actor=clerk, valuation=valuation, method=M.NEGOTIATION, ground=G.PARTY_REFUSES,
                         reason="被执行人广州顺达物流有限公司拒绝议价。")
    services.method_skip(actor=clerk, valuation=valuation, method=M.DIRECTED_INQUIRY, ground=G.NO_GOVERNMENT_PRICE,
                         reason="注册商标专用权无计税基准价、政府定价或政府指导价。")
    services.method_skip(actor=clerk, valuation=valuation, method=M.ONLINE_INQUIRY, ground=G.NO_ONLINE_CONDITIONS,
                         reason="商标专用权缺乏可比成交数据，不具备网络询价条件。")
    frozen.set(_at(commissioned, 10))
    services.method_start(actor=clerk, valuation=valuation, method=M.APPRAISAL)
    candidates = services.lottery_candidates(valuation, Agency.Specialty.ASSETS, AppraisalSelection.Scope.CITY)
    named = next(a.pk for a in candidates if a.name == "广州华粤资产评估有限公司")
    services.appraisal_select_lottery(actor=clerk, valuation=valuation, specialty=Agency.Specialty.ASSETS,
                                      scope=AppraisalSelection.Scope.CITY,
                                      reason="双方当事人在指定期限内未能协商确定评估机构",
                                      seed=_lottery_seed([a.pk for a in candidates], named))
    frozen.set(_at(reported, 15))
    services.appraisal_record_report(actor=clerk, valuation=valuation, price_fen=price, report_date=reported,
                                     received_on=reported, number=f"华粤评报字〔{reported.year}〕第0416号")
    frozen.set(_at(delivered, 10))
    _deliver(clerk, valuation, clock.today())
    frozen.set(_at(fixed_on, 10))
    return services.valuation_fix(actor=clerk, valuation=valuation)


def online_inquiry_in_progress(frozen: clock.FrozenClock, now: datetime) -> Valuation:
    """A flat of the missing debtor 林晓峰 found after the first seizure: the online inquiry has a
    late platform, and his public-notice objection period is still running."""
    case = _lot("th-flat").case
    clerk = _clerk(_lot("th-flat"))
    today = clock.local_date(now)
    sent = _working_on_or_before(today - timedelta(days=12))
    created = _working_on_or_before(sent - timedelta(days=2))
    frozen.set(_at(created, 10))
    lot = auction_services.lot_create(
        actor=clerk, case=case, asset_type=Lot.AssetType.REAL_ESTATE, title=NEW_LOT_TITLE,
        description="被执行人林晓峰名下住宅，建筑面积78.60平方米，所在层7层（总层数9层），2005年建成，"
                    "两房一厅一卫。",
        province="广东省", city="广州市", district="天河区", address="林和西路林和花园3栋702房",
        area_m2=Decimal("78.60"),
        built_year=2005, seized_on=created - timedelta(days=2), possession=Lot.Possession.NOT_STATED,
        occupancy="房屋现空置，门锁已由本院更换。", known_defects="卫生间有渗水痕迹。",
        special_qualifications="竞买人须符合广州市住房限购政策。", purchase_restricted=True,
        viewing="每周四上午预约看样，联系电话020-3862 1000。")
    auction_services.lot_tax_set(actor=clerk, lot=lot, tax="deed_tax", payer="buyer",
                                 note="契税由买受人依法缴纳")
    valuation = _open(clerk, lot, frozen, created)
    services.method_skip(actor=clerk, valuation=valuation, method=M.NEGOTIATION, ground=G.PARTY_MISSING,
                         reason="被执行人林晓峰下落不明，无法组织议价。")
    services.method_skip(actor=clerk, valuation=valuation, method=M.DIRECTED_INQUIRY, ground=G.NO_GOVERNMENT_PRICE,
                         reason="该房屋所在地未公布存量房计税基准价。")
    frozen.set(_at(sent, 10))
    services.method_start(actor=clerk, valuation=valuation, method=M.ONLINE_INQUIRY)
    inquiry = services.online_inquiry_send(actor=clerk, valuation=valuation)
    first, second, late = valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY).order_by("id")
    arrivals = ((first, sent + timedelta(days=1), 3_920_000), (second, inquiry.due_on, 3_985_000),
                (late, days.period_end(inquiry.due_on, 1), 3_700_000))
    for i, (report, day, yuan) in enumerate(arrivals):
        frozen.set(_at(day, 11 + i))
        services.online_inquiry_record(actor=clerk, report=report, price_fen=yuan * YUAN, report_date=day,
                                       received_on=day, number=f"GZ{day.year}-1108-0{i + 1}")
        if report is second:
            frozen.set(_at(day, 16))
            _deliver(clerk, valuation, day, public=("林晓峰",))
    return valuation


def load(now: datetime | None = None) -> Result:
    """Load the valuation demo, or change nothing if it is already there."""
    now = now or clock.now()
    if Lot.objects.filter(title=NEW_LOT_TITLE).exists():
        return Result(False, Valuation.objects.count())
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        for name, specialty, province, city in AGENCIES:
            Agency.objects.get_or_create(name=name, defaults={"specialty": specialty, "province": province,
                                                              "city": city})
        stories: list[Any] = [negotiation, directed_inquiry, online_inquiry, appraisal]
        for story in stories:
            with clock.frozen(now) as frozen:
                story(frozen)
        with clock.frozen(now) as frozen:
            online_inquiry_in_progress(frozen, now)
    return Result(True, Valuation.objects.count())
