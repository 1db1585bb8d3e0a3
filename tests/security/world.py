"""One court's worth of real data for the security tests, built through the services on the frozen
clock: every URL parameter of the matrix resolves to a real object, and the live round has three
real-name bidders who have bid.

Court A (京0105) holds everything; court B (京0101) only has its clerk, who must see none of it.
The story, in clock order:

- T0: a lot without a reference price gets a valuation, taken to appraisal and an agency lottery.
- a first round is bid on by alice and carol, sold to alice, settled, screened; alice pays the
  balance; costs are recorded, the distribution plan is built and served, an objection is filed;
  16 days later a case payout is prepared and a payout delay asked for.
- a second lot is announced (bob registers, his offline deposit awaits confirmation); a third lot has
  a draft round and a priority holder; a fourth lot, with purchase restrictions, goes to bidding:
  alice (offline, with a qualification proof), carol (offline) and dave (bank transfer, matched from
  an imported statement next to a line nobody can claim) register and bid. The clock stays one hour
  into that round.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.pdfgen import canvas

from auction import rules
from auction import services as auction
from auction.models import AuctionRound, Case, Claim, Court, CourtMembership, Lot, Party
from bidding import identity
from bidding import services as bidding
from bidding.models import BarredPerson, PersonKind, Registration, Review
from bidding.screening import services as screening
from core import clock
from core.models import User
from settlement import reconciliation
from settlement import services as settlement
from settlement.models import BalanceDue, CasePayout, Deposit, Payout, Receipt, ReconciliationException
from tests import builders
from valuation import services as valuation
from valuation.models import Agency, AppraisalSelection, Valuation

S = AuctionRound.Status
M = Lot.ReferenceMethod
PASSWORD = "a-long-pass-phrase-9"
# The court's bank account, as the bank-transfer tests configure it.
BANK = {"FAPAI_COURT_BANK_ACCOUNT": "110060224018800012345", "FAPAI_COURT_BANK_NAME": "交通银行北京朝阳支行",
        "FAPAI_COURT_BANK_ACCOUNT_NAME": "北京市朝阳区人民法院", "FAPAI_COURT_BANK_VIRTUAL_PREFIX": "9558"}
STATEMENT_HEADER = "交易流水号,交易时间,金额,币种,付款人户名,付款人账号,附言,收款账号\n"

# The matrix roles, in the order of the matrix's columns.
ROLES = ("anon", "bidder", "other", "clerk", "clerkB", "judge", "fin", "sup", "appr", "root")


@dataclass(frozen=True)
class Person:
    """A bidder as the test knows them: everything that identifies the person."""

    username: str
    name: str
    id_number: str
    phone: str
    email: str

    def identifiers(self) -> dict[str, str]:
        return {"username": self.username, "name": self.name, "id_number": self.id_number, "phone": self.phone,
                "email": self.email}


# Names and numbers chosen so that none is a substring of ordinary page text (or of one another).
ALICE = Person("alice_wl", "王丽娟", "110105198806120035", "13910012345", "alice.wl@example.cn")
BOB = Person("bob_lq", "李强国", "110105197902280051", "13920023456", "bob.lq@example.cn")
CAROL = Person("carol_zm", "赵美琪", "310115199211030046", "13930034567", "carol.zm@example.cn")
DAVE = Person("dave_sh", "孙浩然", "440305198507150078", "13940045678", "dave.sh@example.cn")
# The buyer and the loser of the sold round when the live round's bidders must stay apart from it.
ERIN = Person("erin_hx", "何晓燕", "320102198312250067", "13950056780", "erin.hx@example.cn")
FRANK = Person("frank_dj", "杜建军", "330106197605180093", "13960067891", "frank.dj@example.cn")
BIDDERS = (ALICE, BOB, CAROL, DAVE, ERIN, FRANK)


def valid_id(number: str) -> str:
    """The number with its correct GB 11643 check character."""
    return number[:17] + identity.resident_id_check_char(number[:17])


def _people() -> tuple[Person, ...]:
    return tuple(Person(p.username, p.name, valid_id(p.id_number), p.phone, p.email) for p in BIDDERS)


@dataclass
class World:
    users: dict[str, User | None]
    ids: dict[str, Any]
    people: dict[str, Person]  # username → person
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # round key → username → bidder code
    accounts: dict[str, User] = field(default_factory=dict)  # username → the bidder's account

    def user(self, role: str) -> User | None:
        return self.users[role]


def pdf_bytes(text: str = "fapai security test") -> bytes:
    """A complete one-page PDF (uploads are checked for it)."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=True)
    pdf.drawString(72, 720, text)
    pdf.save()
    return out.getvalue()


def _pdf(name: str = "proof.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), "application/pdf")


def _staff(username: str, court: Any, roles: list[str]) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, display_name=username,
                                    email=f"{username}@court.example.cn")
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if court is not None:
        CourtMembership.objects.create(user=user, court=court)
    return user


def _signup(p: Person) -> User:
    profile = bidding.bidder_signup(
        username=p.username, password=PASSWORD, email=p.email, phone=p.phone,
        person=bidding.PersonInput(kind=PersonKind.INDIVIDUAL, name=p.name, id_type="resident_id",
                                   id_number=p.id_number))
    return profile.user


def _register(user: User, rnd: AuctionRound, *, gateway: str = "offline", confirm: User | None = None) -> Registration:
    reg = bidding.registration_start(actor=user, rnd=rnd, data=bidding.RegistrationInput(declaration=True))
    for key, _label in rules.SPECIAL_PROMPTS:
        bidding.prompt_accept(actor=user, registration=reg, key=key)
    reg = Registration.objects.get(pk=reg.pk)
    if reg.qualification_required:
        bidding.qualification_submit(actor=user, registration=reg, promise=True, proof=_pdf())
    deposit = bidding.registration_pay(actor=user, registration=Registration.objects.get(pk=reg.pk), gateway=gateway)
    if confirm is not None and deposit.status == Deposit.Status.PENDING:
        settlement.deposit_confirm_offline(deposit=deposit, actor=confirm)
    return Registration.objects.get(pk=reg.pk)


_client_ids = itertools.count(1)


def bid(user: User, rnd: AuctionRound, amount_fen: int) -> int:
    outcome = bidding.bid_place(actor=user, rnd=AuctionRound.objects.get(pk=rnd.pk),
                                client_id=f"world-{next(_client_ids)}", amount_fen=amount_fen, language="zh-hans")
    assert outcome.accepted, outcome.message
    assert outcome.seq is not None
    return outcome.seq


def _lot(case: Case, title: str, **extra: Any) -> Lot:
    return builders.lot(case, title=title, **extra)


def _case(court: Any, serial: int) -> Case:
    return builders.case(court, serial=serial, year=2025)


def build(frozen: clock.FrozenClock, *, separate_sale: bool = False) -> World:
    """Everything, through the services; needs the BANK settings and a clock frozen at tests.conftest.T0.
    By default alice buys the sold round (so the bidder role owns a balance); with `separate_sale` erin
    buys it and frank loses, so nobody of the live round appears in the finished round's records."""
    alice_p, bob_p, carol_p, dave_p, erin_p, frank_p = _people()
    court = builders.court()
    court_b = builders.court("京0101", "北京市东城区人民法院")
    clerk = _staff("clerk_a", court, ["court_staff"])
    users: dict[str, User | None] = {
        "anon": None,
        "clerk": clerk,
        "clerkB": _staff("clerk_b", court_b, ["court_staff"]),
        "judge": _staff("judge_a", court, ["panel"]),
        "fin": _staff("finance_a", court, ["finance"]),
        "sup": _staff("supervisor", None, ["supervisor"]),
        "appr": _staff("approver_a", court, ["approver"]),
    }
    root = User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    users["root"] = root
    # Rounds are prepared by a clerk and a judge of the panel together (builders.round_in needs both roles).
    preparer = _staff("preparer_a", court, ["court_staff", "panel"])
    finance = users["fin"]
    assert finance is not None
    alice, bob, carol, dave = (_signup(p) for p in (alice_p, bob_p, carol_p, dave_p))
    buyer, loser = (_signup(erin_p), _signup(frank_p)) if separate_sale else (alice, carol)
    users["bidder"], users["other"] = alice, bob
    ids: dict[str, Any] = {}
    codes: dict[str, dict[str, str]] = {}

    # --- T0: the valuation of an unpriced lot, taken to an agency lottery -----------------------------
    case_val = _case(court, 4101)
    lot_val = _lot(case_val, "朝阳区某小区7号楼302室住宅", reference_fen=None, reference_method="",
                   reference_fixed_on=None, reference_valid_until=None, reference_note="",
                   seized_on=clock.today() - timedelta(days=10))
    v = valuation.valuation_open(actor=clerk, lot=lot_val)
    v = valuation.valuation_record_investigation(
        actor=clerk, valuation=v, items={key: True for key, _label in valuation.INVESTIGATION_ITEMS})
    skips = {M.NEGOTIATION: "party_refuses", M.DIRECTED_INQUIRY: "no_government_price",
             M.ONLINE_INQUIRY: "inspection_needed"}
    for method, ground in skips.items():
        valuation.method_skip(actor=clerk, valuation=v, method=method, ground=ground, reason="安全测试")
    valuation.method_start(actor=clerk, valuation=v, method=M.APPRAISAL)
    for i in range(4):
        Agency.objects.create(name=f"安全测试评估机构{i + 1}号", specialty=Agency.Specialty.REAL_ESTATE,
                              province="北京市", city="北京市")
    selection = valuation.appraisal_select_lottery(
        actor=clerk, valuation=Valuation.objects.get(pk=v.pk), specialty=Agency.Specialty.REAL_ESTATE,
        scope=AppraisalSelection.Scope.CITY, reason="双方当事人协商不成")
    report = valuation.appraisal_record_report(actor=clerk, valuation=Valuation.objects.get(pk=v.pk),
                                               price_fen=95_000_000, report_date=clock.today(),
                                               received_on=clock.today(), number="京评〔2026〕估字第4101号",
                                               document=_pdf("report.pdf"))
    ids.update(lot_val=lot_val.pk, valuation=v.pk, lottery=selection.pk, case_val=case_val.pk, report=report.pk)

    # --- a sold round: alice buys, carol loses; balance paid; distribution plan served ----------------
    case = _case(court, 4102)
    applicant = case.parties.get(role=Party.Role.APPLICANT)
    creditor = Party.objects.create(case=case, role=Party.Role.CREDITOR, kind=Party.Kind.COMPANY,
                                    name="北京某建材有限公司")
    lot_sold = _lot(case, "朝阳区某小区9号楼101室住宅")
    rnd_sold = builders.round_in(S.BIDDING, judge=preparer, frozen=frozen, lot_obj=lot_sold)
    reg_sold = _register(buyer, rnd_sold, confirm=finance)
    reg_sold_loser = _register(loser, rnd_sold, confirm=finance)
    start, inc = rnd_sold.start_price_fen, rnd_sold.increment_fen
    bid(buyer, rnd_sold, start)
    bid(loser, rnd_sold, start + inc)
    bid(buyer, rnd_sold, start + 2 * inc)
    rnd_sold.refresh_from_db()
    frozen.set(rnd_sold.effective_end + timedelta(seconds=10))
    assert bidding.round_close_and_settle(AuctionRound.objects.get(pk=rnd_sold.pk))
    screening.screening_run(AuctionRound.objects.get(pk=rnd_sold.pk))
    balance = BalanceDue.objects.get(round=rnd_sold)
    frozen.advance(timedelta(days=2))
    settlement.balance_confirm_offline(balance=balance, amount_fen=balance.amount_fen, voucher="SJ-2026-4102",
                                       actor=finance)
    for creditor_party, principal in ((applicant, 40_000_000), (creditor, 30_000_000)):
        Claim.objects.create(case=case, creditor=creditor_party, title_document="（2025）京0105民初4102号",
                             principal_fen=principal, interest_fen=0, verified=True,
                             performance_due_on=clock.today() - timedelta(days=100))
    settlement.case_cost_add(case=case, kind="storage", description="房屋看管费", amount_fen=300_000,
                             payee_name="北京某物业服务有限公司", actor=clerk)
    plan = settlement.plan_build(case=case, actor=clerk, interest_stop_on=clock.today() - timedelta(days=1))
    plan = settlement.plan_serve(plan=plan, served_on=clock.today(), actor=clerk)
    disputed = plan.lines.filter(claim__creditor=creditor, tier="ordinary").get()
    objection = settlement.objection_file(plan=plan, line=disputed, objector=applicant, disputed_fen=1_000_000,
                                          grounds="该债权数额有误", filed_on=clock.today(), actor=clerk)
    frozen.advance(timedelta(days=20))
    payable = plan.lines.filter(claim__creditor=applicant, tier="ordinary").get()
    case_payout = settlement.case_payout_prepare(line=payable, amount_fen=1_000_000, actor=clerk)
    delay = settlement.payout_delay_request(case=case, reason="distribution", note="需要再次分配", actor=clerk)
    refund = Payout.objects.get(deposit=reg_sold_loser.deposit)
    ids.update(case=case.pk, party=applicant.pk, lot_sold=lot_sold.pk, round_sold=rnd_sold.pk, reg_sold=reg_sold.pk,
               balance=balance.pk, deposit_sold=reg_sold.deposit_id or 0, plan=plan.pk, line=payable.pk,
               objection=objection.pk, case_payout=case_payout.pk, delay=delay.pk, payout=refund.pk)
    codes["round_sold"] = {buyer.username: reg_sold.code, loser.username: reg_sold_loser.code}

    # --- an announced round (bob registers; his offline deposit awaits finance) and a draft --------------
    case2 = _case(court, 4103)
    lot_ann = _lot(case2, "朝阳区某小区5号楼201室住宅")
    rnd_ann = builders.round_in(S.ANNOUNCED, judge=preparer, frozen=frozen, lot_obj=lot_ann, starts_in_days=90)
    reg_other = _register(bob, rnd_ann)
    lot_draft = _lot(case2, "朝阳区某小区5号楼202室住宅")
    holder = auction.priority_holder_add(actor=clerk, lot=lot_draft, name="某承租人", basis="tenant", rank=1)
    rnd_draft = builders.round_in(S.DRAFT, judge=preparer, frozen=frozen, lot_obj=lot_draft)
    # A round whose panel decision came with its document (private storage).
    rnd_panel = builders.round_in(S.DRAFT, judge=preparer, frozen=frozen,
                                  lot_obj=_lot(case2, "朝阳区某小区5号楼203室住宅"))
    auction.round_record_panel_decision(actor=users["judge"], rnd=rnd_panel, decided_on=clock.today(),
                                        reference="合议庭评议笔录4103", members=["审判长甲", "审判员乙", "审判员丙"],
                                        document=_pdf("panel.pdf"))
    ids.update(case2=case2.pk, lot_ann=lot_ann.pk, round_ann=rnd_ann.pk, reg_other=reg_other.pk,
               deposit_pending=reg_other.deposit_id or 0, lot_draft=lot_draft.pk, holder=holder.pk,
               round_draft=rnd_draft.pk, round_panel=rnd_panel.pk)

    # --- the live round: three real-name bidders, one paying by bank transfer ------------------------------
    case3 = _case(court, 4104)
    lot_bid = _lot(case3, "朝阳区某小区3号楼1单元501室住宅", purchase_restricted=True)
    rnd_bid = builders.round_in(S.BIDDING, judge=preparer, frozen=frozen, lot_obj=lot_bid)
    reg_bid = _register(alice, rnd_bid, confirm=finance)
    reg_carol = _register(carol, rnd_bid, confirm=finance)
    reg_dave = _register(dave, rnd_bid, gateway="bank_transfer")
    assert reg_dave.deposit_id is not None
    dave_deposit = Deposit.objects.get(pk=reg_dave.deposit_id)
    amount = f"{dave_deposit.amount_fen // 100}.{dave_deposit.amount_fen % 100:02d}"
    statement_csv = (STATEMENT_HEADER
                     + f"S1,2026-06-01 11:00:00,\"{amount}\",CNY,{dave_p.name},6222000099998888,"
                       f"{dave_deposit.reference},{BANK['FAPAI_COURT_BANK_ACCOUNT']}\n"
                     + f"S2,2026-06-01 12:00:00,\"500.00\",CNY,某某公司,6222000011117777,货款,"
                       f"{BANK['FAPAI_COURT_BANK_ACCOUNT']}\n").encode()
    statement = settlement.statement_import(court=court, filename="statement.csv", content=statement_csv,
                                            actor=finance)
    reg_dave = Registration.objects.get(pk=reg_dave.pk)
    assert reg_dave.status == Registration.Status.QUALIFIED, reg_dave.status
    queued = Receipt.objects.get(statement=statement, status=Receipt.Status.QUEUED)
    reconciliation.reconcile(gateway="bank_transfer", day=clock.today(), actor=finance)
    recon = ReconciliationException.objects.filter(status="open").order_by("pk").first()
    assert recon is not None
    start, inc = rnd_bid.start_price_fen, rnd_bid.increment_fen
    frozen.advance(timedelta(minutes=10))
    seq = bid(alice, rnd_bid, start)
    frozen.advance(timedelta(minutes=5))
    bid(carol, rnd_bid, start + inc)
    frozen.advance(timedelta(minutes=5))
    bid(alice, rnd_bid, start + 2 * inc)
    frozen.advance(timedelta(minutes=5))
    bid(dave, rnd_bid, start + 3 * inc)
    review = Review.objects.get(registration=reg_bid, kind=Review.Kind.QUALIFICATION)
    ids.update(case3=case3.pk, lot=lot_bid.pk, round_bid=rnd_bid.pk, reg_bid=reg_bid.pk, seq=seq,
               review=review.pk, deposit_bid=reg_bid.deposit_id or 0, statement=statement.pk, receipt=queued.pk,
               recon=recon.pk)
    codes["round_bid"] = {alice.username: reg_bid.code, carol.username: reg_carol.code,
                          dave.username: reg_dave.code}

    barred_person = bidding.PersonInput(kind=PersonKind.INDIVIDUAL, name="周某某", id_type="resident_id",
                                        id_number=valid_id("11010519700101002"))
    barred = bidding.barred_add(actor=clerk, category=BarredPerson.Category.COURT_STAFF, court=court,
                                person=barred_person)
    ids.update(barred=barred.pk, court=court.pk, court_b=court_b.pk, clerk_user=clerk.pk,
               court_ct=ContentType.objects.get_for_model(Court).pk,
               party2=case2.parties.get(role=Party.Role.APPLICANT).pk,
               photo_file=lot_bid.photos.all()[0].image.name, review_file=review.document.name,
               next_bid_fen=start + 4 * inc)
    assert CasePayout.objects.filter(pk=case_payout.pk, status=CasePayout.Status.PREPARED).exists()
    people = {p.username: p for p in (alice_p, bob_p, carol_p, dave_p, erin_p, frank_p)}
    accounts = {u.username: u for u in (alice, bob, carol, dave, buyer, loser)}
    return World(users=users, ids=ids, people=people, codes=codes, accounts=accounts)
