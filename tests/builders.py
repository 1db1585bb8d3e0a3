"""Test data. `court()`, `case()` and `lot()` write rows directly (fast setup); `round_in()` drives a
round to any status through the real services with the frozen clock, so transition tests start from
states the system itself produced."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from auction import services
from auction.models import AuctionRound, Case, Court, CourtMembership, Lot, LotAttachment, Notification, Party
from auction.services import RoundTerms
from core import clock
from core.models import User

__all__ = ["Court", "User"]

S = AuctionRound.Status


def court(code: str = "京0105", name: str = "北京市朝阳区人民法院") -> Court:
    return Court.objects.get_or_create(
        case_code=code,
        defaults={"name": name, "name_en": "Beijing Chaoyang District People's Court", "province": "北京市",
                  "city": "北京市", "phone": "010-12345678", "supervision_phone": "010-12340000"},
    )[0]


def staff_user(username: str, court_obj: Court | None, roles: list[str]) -> User:
    user = User.objects.create_user(username=username, password="pw-not-used-1234", display_name=username)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if court_obj is not None:
        CourtMembership.objects.create(user=user, court=court_obj)
    return user


def case(court_obj: Court, serial: int = 1234, year: int = 2025) -> Case:
    c = Case.objects.create(court=court_obj, number=f"（{year}）{court_obj.case_code}执{serial}号", year=year,
                            type_code="执", serial=serial, cause="借款合同纠纷", filed_on=date(year, 3, 1))
    Party.objects.create(case=c, role=Party.Role.APPLICANT, kind=Party.Kind.COMPANY, name="某银行股份有限公司")
    Party.objects.create(case=c, role=Party.Role.DEBTOR, kind=Party.Kind.NATURAL_PERSON, name="张某")
    return c


def png_bytes(color: str = "#4a7") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buf, "PNG")
    return buf.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def lot(case_obj: Case, asset_type: str = Lot.AssetType.REAL_ESTATE, reference_fen: int = 100_000_000,
        complete: bool = True, **extra: Any) -> Lot:
    """A lot with a valid reference price; `complete` also fills the WP art.13/14 material."""
    today = clock.today()
    nature = {"real_estate": "immovable", "vehicle": "movable", "movable": "movable", "equity": "right",
              "other": "right"}[asset_type]
    values: dict[str, Any] = {
        "asset_type": asset_type, "nature": nature, "title": "朝阳区某小区3号楼1单元501室住宅",
        "description": "建筑面积89.5平方米。", "province": "北京市", "city": "北京市", "district": "朝阳区",
        "seized_on": today - timedelta(days=60), "reference_price_fen": reference_fen,
        "reference_method": Lot.ReferenceMethod.ONLINE_INQUIRY, "reference_fixed_on": today - timedelta(days=20),
        "reference_valid_until": today + timedelta(days=300), "reference_note": "网络询价报告 2026-001",
    }
    if complete:
        values.update(possession=Lot.Possession.DEBTOR, occupancy="被执行人居住。", known_defects="无已知瑕疵。",
                      viewing="工作日可预约看样。", special_qualifications="符合北京市购房资格。")
    values.update(extra)
    lot_obj = Lot.objects.create(case=case_obj, **values)
    if complete:
        lot_obj.photos.create(image=SimpleUploadedFile("a.png", png_bytes(), "image/png"), caption="外观")
        lot_obj.attachments.create(kind=LotAttachment.Kind.JUDGMENT, title="民事判决书",
                                   file=SimpleUploadedFile("j.pdf", pdf_bytes(), "application/pdf"))
        lot_obj.attachments.create(kind=LotAttachment.Kind.PRICING_BASIS, title="询价报告",
                                   file=SimpleUploadedFile("r.pdf", pdf_bytes(), "application/pdf"))
        lot_obj.tax_allocations.create(tax="deed_tax", payer="buyer", estimate_fen=3_000_000)
    return lot_obj


def terms(start_fen: int = 80_000_000, *, starts_in_days: int = 40, hours: int = 24,
          deposit_fen: int | None = None, increment_fen: int = 500_000) -> RoundTerms:
    start = clock.local_midnight(clock.today() + timedelta(days=starts_in_days)) + timedelta(hours=10)
    return RoundTerms(start_fen, increment_fen, deposit_fen if deposit_fen is not None else start_fen // 10, start,
                      start + timedelta(hours=hours))


TEXTS = {"notice_text": "拍卖公告正文。", "terms_text": "竞买须知正文。", "payment_text": "保证金由平台冻结。"}


def notify_all(rnd: AuctionRound, actor: Any, at: datetime | None = None) -> None:
    at = at or clock.now()
    for party in rnd.lot.case.parties.all():
        services.notification_record(actor=actor, rnd=rnd, method=Notification.Method.WRITTEN, at=at,
                                     proof="送达回证", party=party)
    for holder in rnd.lot.priority_holders.all():
        services.notification_record(actor=actor, rnd=rnd, method=Notification.Method.WRITTEN, at=at,
                                     proof="送达回证", priority_holder=holder)


def round_in(status: str, *, judge: User, frozen: clock.FrozenClock, lot_obj: Lot | None = None,
             **term_args: Any) -> AuctionRound:
    """Drive a first-round of a fresh lot to `status` through the services."""
    during_bidding = term_args.pop("_during_bidding", False)
    if lot_obj is None:
        c = court()
        lot_obj = lot(case(c, serial=Case.objects.count() + 1000))
    rnd = services.round_create(actor=judge, lot=lot_obj, terms=terms(**term_args), **TEXTS)
    if status == S.DRAFT:
        return rnd
    if status == S.WITHDRAWN:
        return services.round_withdraw(actor=judge, rnd=rnd, reason="申请执行人撤回申请")
    notify_all(rnd, judge)
    services.round_record_panel_decision(actor=judge, rnd=rnd, decided_on=clock.today(), reference="合议庭评议笔录1",
                                         members=["审判长甲", "审判员乙", "审判员丙"])
    if status == S.PANEL_APPROVED:
        return _reload(rnd)
    frozen.advance(timedelta(days=3))
    while services.notification_problems(rnd, clock.today()):  # 3 days ending on a rest day roll over
        frozen.advance(timedelta(days=1))
    services.round_publish(actor=judge, rnd=rnd)
    if status == S.ANNOUNCED:
        return _reload(rnd)
    if status in (S.STAYED, S.SUSPENDED, S.TERMINATED) and not during_bidding:
        stops: dict[str, Callable[..., AuctionRound]] = {
            S.STAYED: services.round_stay, S.SUSPENDED: services.round_suspend, S.TERMINATED: services.round_terminate}
        stop = stops[status]
        return stop(actor=judge, rnd=rnd, reason="案外人提出异议")
    frozen.set(_reload(rnd).bidding_start)
    services.round_open(rnd=rnd)
    if status == S.BIDDING:
        return _reload(rnd)
    if status in (S.SOLD, S.TAKEN_IN_LIEU, S.FAILED, S.ENDED):
        if status == S.SOLD:
            from django.db import transaction

            with transaction.atomic():
                locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
                services.do_round_apply_bid(locked, price_fen=locked.start_price_fen, bidder_code="K7Q2",
                                            at=clock.now())
        frozen.set(_reload(rnd).effective_end)
        services.round_close(rnd=rnd)
        rnd = _reload(rnd)
        if status == S.TAKEN_IN_LIEU:
            applicant = rnd.lot.case.parties.get(role=Party.Role.APPLICANT)
            services.round_take_in_lieu(actor=judge, rnd=rnd, creditor=applicant, reason="申请执行人申请以物抵债",
                                        qualification_confirmed=True)
        return _reload(rnd)
    raise ValueError(status)


def _reload(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.select_related("lot__case__court", "previous_round").get(pk=rnd.pk)
