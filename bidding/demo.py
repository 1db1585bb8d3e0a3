"""Demo bidders for the embedded default (`manage.py load_bidding_demo`, run by `make run` after
`load_demo`): two real-name bidder accounts registered, through the services, for the demo's live
round with their offline deposits confirmed by the demo loader (audited as system:demo), so that anyone can try live
bidding at once. Running it again changes nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from reportlab.pdfgen import canvas

from auction import rules as auction_rules
from auction import services as auction
from auction.demo import documents, images
from auction.demo.data import DEMO_PASSWORD
from auction.models import AuctionRound, Case, Claim, Court, Lot, LotAttachment, Party
from bidding import identity, services
from bidding.models import BidderProfile, PersonKind, Registration
from bidding.screening import services as screening
from core import clock
from core.days import period_end
from core.models import User
from settlement import services as settlement
from settlement.models import BalanceDue, Deposit

PASSWORD = DEMO_PASSWORD  # public on purpose: the embedded local demo
DEMO_ACTOR = "system:demo"
BIDDERS = [("demo_bidder_a", "周明", "110105198503070017"), ("demo_bidder_b", "吴芳", "310115199001150028")]


class DemoMissing(Exception):
    pass


@dataclass
class Result:
    created: bool
    round_id: int | None
    usernames: list[str]


def _valid(number17: str) -> str:
    return number17 + identity.resident_id_check_char(number17)


def _proof() -> SimpleUploadedFile:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, "Demo purchase qualification proof")
    pdf.save()
    return SimpleUploadedFile("qualification.pdf", out.getvalue(), "application/pdf")


def load() -> Result:
    rnd = AuctionRound.objects.filter(status=AuctionRound.Status.BIDDING).order_by("effective_end").first()
    if rnd is None:
        raise DemoMissing
    if BidderProfile.objects.filter(user__username=BIDDERS[0][0]).exists():
        return Result(False, rnd.pk, [u for u, _n, _i in BIDDERS])
    with transaction.atomic():
        for username, name, number in BIDDERS:
            profile = services.bidder_signup(
                username=username, password=PASSWORD, email=f"{username}@example.cn", phone="13800000000",
                person=services.PersonInput(kind=PersonKind.INDIVIDUAL, name=name, id_type="resident_id",
                                            id_number=_valid(number[:17])))
            user = profile.user
            reg = services.registration_start(actor=user, rnd=rnd,
                                              data=services.RegistrationInput(declaration=True))
            for key, _label in services.rules.SPECIAL_PROMPTS:
                services.prompt_accept(actor=user, registration=reg, key=key)
            reg = Registration.objects.get(pk=reg.pk)
            if reg.qualification_required:
                services.qualification_submit(actor=user, registration=reg, promise=True, proof=_proof())
            deposit = services.registration_pay(actor=user, registration=reg, gateway="offline")
            if deposit.status == Deposit.Status.PENDING:
                # Confirmed by the demo loader (the audit names it), not by a person.
                settlement.deposit_confirm_offline(deposit=deposit, actor=DEMO_ACTOR)
    return Result(True, rnd.pk, [u for u, _n, _i in BIDDERS])


# --- a case with its money: sold, paid, a distribution plan served (manage.py load_distribution_demo) ---------

DIST_CASE = "（2026）京0105执2088号"
DIST_DAYS_AGO = 75  # room for a holiday week before the notice and 15 days of objections after the plan
DIST_BIDDERS = [("demo_buyer_c", "郑强", "11010519800312003"), ("demo_buyer_d", "冯丽", "11010519920621002")]
YUAN = 100


class _Story:
    """Runs the steps of the demo sale on the injectable clock, from DIST_DAYS_AGO days ago: a vehicle of a
    natural-person debtor, notified, published 16 days ahead, bid on by two real-name bidders
    through the bid engine, sold, settled, the balance paid offline; then the court records the
    costs and draws up and serves the distribution plan. Every step goes through the services."""

    def __init__(self, frozen: Any) -> None:
        self.frozen = frozen
        self.court = Court.objects.get(case_code="京0105")
        self.clerk = User.objects.get(username="clerk")
        self.judge = User.objects.get(username="judge")
        self.finance = User.objects.get(username="finance")

    def at(self, days_ago: int, hour: int = 10) -> None:
        day = clock.local_date(self.start) + timedelta(days=DIST_DAYS_AGO - days_ago)
        self.frozen.set(clock.local_midnight(day) + timedelta(hours=hour))

    def run(self, now: datetime) -> Case:
        self.start = now - timedelta(days=DIST_DAYS_AGO)
        self.at(DIST_DAYS_AGO)
        case = Case.objects.create(court=self.court, number=DIST_CASE, year=2026, type_code="执", serial=2088,
                                   cause="借款合同纠纷", filed_on=clock.today() - timedelta(days=120))
        bank = Party.objects.create(case=case, role=Party.Role.APPLICANT, kind=Party.Kind.COMPANY,
                                    name="北京朝阳农村商业银行股份有限公司望京支行", contact="010-6478 0000")
        Party.objects.create(case=case, role=Party.Role.DEBTOR, kind=Party.Kind.NATURAL_PERSON, name="韩磊",
                             contact="北京市朝阳区望京西园222号")
        garage = Party.objects.create(case=case, role=Party.Role.CREDITOR, kind=Party.Kind.COMPANY,
                                      name="北京顺驰汽车维修有限公司", contact="010-6471 2233")
        lender = Party.objects.create(case=case, role=Party.Role.CREDITOR, kind=Party.Kind.NATURAL_PERSON,
                                      name="曹雪", contact="13911112222")
        supplier = Party.objects.create(case=case, role=Party.Role.CREDITOR, kind=Party.Kind.OTHER_ORG,
                                        name="北京望京建材经营部", contact="010-6472 8899")
        lot = auction.lot_create(
            actor=self.clerk, case=case, seized_on=clock.today() - timedelta(days=90),
            asset_type=Lot.AssetType.VEHICLE, nature=Lot.Nature.MOVABLE, title="丰田凯美瑞2.5L轿车一辆（京N·7K2Q9）",
            description="被执行人韩磊名下丰田凯美瑞2.5L自动豪华版轿车，2020年5月初次登记，表显里程约8.6万公里。",
            province="北京市", city="北京市", district="朝阳区", address="朝阳区望京街道本院停车场",
            built_year=2020, possession=Lot.Possession.NOT_APPLICABLE, occupancy="车辆由本院扣押，停放于本院停车场。",
            known_defects="前保险杠有划痕；车辆钥匙一把。", special_qualifications="竞买人应具备完全民事行为能力。",
            viewing="工作日预约看样，联系电话010-8586 0000。")
        for position, (drawing, caption) in enumerate((("car_side", "车辆外观"), ("car_front", "车辆前脸"))):
            jpeg = images.jpeg_bytes(drawing, f"dist/{position}", position)
            auction.lot_photo_add(actor=self.clerk, lot=lot, caption=caption, position=position,
                                  image=SimpleUploadedFile(f"photo-{position + 1}.jpg", jpeg, "image/jpeg"))
        report = documents.pricing_basis_pdf(
            method=Lot.ReferenceMethod.ONLINE_INQUIRY, source="网络询价报告三份（编号BJ2026-0911-01至03）",
            lot_title=lot.title, description=lot.description, price_yuan=120_000,
            basis="三家网络询价平台结果的算术平均值120,000元。", fixed_on=clock.today(),
            valid_until=clock.today() + timedelta(days=365), court=self.court.name, case_number=case.number)
        auction.lot_set_reference_price(
            actor=self.clerk, lot=lot, price_fen=120_000 * YUAN, method=Lot.ReferenceMethod.ONLINE_INQUIRY,
            fixed_on=clock.today(), valid_until=clock.today() + timedelta(days=365), note="网络询价",
            document=SimpleUploadedFile("reference.pdf", report, "application/pdf"))
        for kind, title in ((LotAttachment.Kind.JUDGMENT, "（2025）京0105民初8812号民事判决书"),
                            (LotAttachment.Kind.PRICING_BASIS, "网络询价报告")):
            auction.lot_attachment_add(actor=self.clerk, lot=lot, kind=kind, title=title,
                                       file=SimpleUploadedFile("doc.pdf", report, "application/pdf"))
        auction.lot_tax_set(actor=self.clerk, lot=lot, tax="vat", payer="by_law", note="增值税由纳税义务人依法承担")
        self.claims(case, lot, bank, garage, lender, supplier)

        # The notice goes out once every party has had its 3 days (WP art.16, which a holiday can
        # lengthen), and bidding starts a day after the notice period (WP art.12).
        publish_on = period_end(clock.today(), auction_rules.NOTIFY_BEFORE_NOTICE_DAYS)
        notice_days = auction_rules.NOTICE_DAYS_FIRST["movable"] + 1
        start = clock.local_midnight(publish_on + timedelta(days=notice_days)) + timedelta(hours=10)
        terms = auction.RoundTerms(90_000 * YUAN, 1_000 * YUAN, 9_000 * YUAN, start, start + timedelta(hours=24))
        rnd = auction.round_create(actor=self.clerk, lot=lot, terms=terms, notice_text="拍卖公告：丰田凯美瑞轿车一辆。",
                                   terms_text="竞买须知。", payment_text="保证金由平台冻结；余款汇入本院案款账户。")
        auction.round_record_panel_decision(actor=self.judge, rnd=rnd, decided_on=clock.today(),
                                            reference="〔2026〕京0105执评88号", members=["王立新", "刘洋", "张静"])
        for party in case.parties.all():
            auction.notification_record(actor=self.clerk, rnd=rnd, party=party, method="written",
                                        at=clock.now(), proof=f"送达回证（{case.number}）")
        self.frozen.set(clock.local_midnight(publish_on) + timedelta(hours=10))
        auction.round_publish(actor=self.clerk, rnd=rnd)
        self.frozen.set(clock.local_midnight(publish_on + timedelta(days=3)) + timedelta(hours=10))
        users = [self.bidder(rnd, *spec) for spec in DIST_BIDDERS]
        self.frozen.set(start)
        auction.round_open(rnd=rnd)
        price = 90_000 * YUAN
        for i in range(6):
            self.frozen.set(start + timedelta(hours=2 + 3 * i))
            services.bid_place(actor=users[i % 2], rnd=AuctionRound.objects.get(pk=rnd.pk), client_id=f"demo-{i}",
                               amount_fen=price, language="zh-hans")
            price += 1_000 * YUAN
        rnd.refresh_from_db()
        self.frozen.set(rnd.effective_end + timedelta(seconds=10))
        services.round_close_and_settle(AuctionRound.objects.get(pk=rnd.pk))
        # The two demo bidders alternated at the minimum increment: the court's screening queue shows why.
        screening.screening_run(rnd)
        balance = BalanceDue.objects.get(round=rnd)
        paid_on = clock.local_date(rnd.effective_end) + timedelta(days=6)
        self.frozen.set(clock.local_midnight(paid_on) + timedelta(hours=15))
        settlement.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher="SJ-2026-0931",
                                           actor=self.finance)
        self.frozen.set(clock.local_midnight(paid_on + timedelta(days=1)) + timedelta(hours=10))
        settlement.case_cost_add(case=case, kind="storage", description="车辆停放保管费（90日）",
                                 amount_fen=1_800 * YUAN, payee_name="北京朝阳停车服务有限公司",
                                 payee_account="0200 0045 1900 0231 118",
                                 actor=self.clerk)
        settlement.case_cost_add(case=case, kind="inquiry", description="网络询价费", amount_fen=600 * YUAN,
                                 payee_name="某网络询价平台", actor=self.clerk)
        plan = settlement.plan_build(case=case, actor=self.clerk, interest_stop_on=clock.today() - timedelta(days=1),
                                     note="首次分配方案")
        settlement.plan_serve(plan=plan, served_on=clock.today(), actor=self.clerk)
        return case

    def claims(self, case: Case, lot: Lot, bank: Party, garage: Party, lender: Party, supplier: Party) -> None:
        today = clock.today()
        for creditor, principal, interest, cls, extra in (
                (bank, 60_000, 2_400, Claim.PriorityClass.MORTGAGE, {"registered_on": date(2021, 3, 2),
                                                                     "secured_lot": lot}),
                (garage, 8_600, 0, Claim.PriorityClass.LIEN, {"secured_lot": lot}),
                (lender, 30_000, 1_500, Claim.PriorityClass.ORDINARY, {}),
                (supplier, 18_000, 0, Claim.PriorityClass.ORDINARY, {})):
            Claim.objects.create(case=case, creditor=creditor, title_document="（2025）京0105民初8812号",
                                 principal_fen=principal * YUAN, interest_fen=interest * YUAN, priority_class=cls,
                                 performance_due_on=today - timedelta(days=200), verified=True, **extra)

    def bidder(self, rnd: AuctionRound, username: str, name: str, number17: str) -> User:
        profile = services.bidder_signup(
            username=username, password=PASSWORD, email=f"{username}@example.cn", phone="13800000001",
            person=services.PersonInput(kind=PersonKind.INDIVIDUAL, name=name, id_type="resident_id",
                                        id_number=_valid(number17)))
        reg = services.registration_start(actor=profile.user, rnd=rnd,
                                          data=services.RegistrationInput(declaration=True))
        for key, _label in services.rules.SPECIAL_PROMPTS:
            services.prompt_accept(actor=profile.user, registration=reg, key=key)
        deposit = services.registration_pay(actor=profile.user, registration=Registration.objects.get(pk=reg.pk),
                                            gateway="offline")
        if deposit.status == Deposit.Status.PENDING:
            settlement.deposit_confirm_offline(deposit=deposit, actor=self.finance)
        return profile.user


def load_distribution(now: datetime | None = None) -> bool:
    """The distribution demo; False if it is already there. Needs `load_demo` (the court and staff)."""
    if Case.objects.filter(number=DIST_CASE).exists():
        return False
    if not Court.objects.filter(case_code="京0105").exists():
        raise DemoMissing
    now = now or clock.now()
    with transaction.atomic(), clock.frozen(now) as frozen:
        _Story(frozen).run(now)
    return True
