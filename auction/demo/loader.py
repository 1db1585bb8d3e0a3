"""Load the demo through the real services, so the audit chain records every step.

Each case and each lot has a *story*: a generator that yields the time of its next step and then
performs it. `run_stories` interleaves all stories in time order under a frozen clock, so every
row and audit record carries a realistic historical time and the audit chain reads chronologically.
Only courts, users, role groups and court memberships are written directly: they have no service."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from auction import rules, services
from auction.demo import data, documents, images, texts
from auction.demo.plan import LotPlan, RoundPlan, case_filed_on, judgment_date, plan_lot
from auction.models import (
    AuctionRound,
    Case,
    Court,
    CourtMembership,
    Lot,
    LotAttachment,
    Notification,
    Party,
)
from auction.services import RoundTerms
from core import clock, twofactor
from core.models import User

Story = Generator[datetime, None, None]
YUAN = 100
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed


def run_stories(stories: list[Story], frozen: clock.FrozenClock, limit: datetime) -> None:
    """Run the stories interleaved: always resume the one whose next step is earliest, with the
    clock set to that step's time. A story must begin with a `yield` and never go back in time."""
    heap: list[tuple[datetime, int, int]] = []
    order = itertools.count()

    def schedule(index: int) -> None:
        try:
            when = next(stories[index])
        except StopIteration:
            return
        if when < frozen.now() or when > limit:
            raise ValueError(f"demo step at {when} is outside {frozen.now()} … {limit}")
        heapq.heappush(heap, (when, next(order), index))

    for index in range(len(stories)):
        schedule(index)
    while heap:
        when, _, index = heapq.heappop(heap)
        frozen.set(when)
        schedule(index)


@dataclass
class Loader:
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(20260302))
    courts: dict[str, Court] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    parties: dict[tuple[str, str], Party] = field(default_factory=dict)
    party_keys: dict[int, str] = field(default_factory=dict)
    judgments: dict[str, bytes] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    panel_numbers: dict[str, Iterator[int]] = field(default_factory=dict)

    # --- people and places (no service exists for these) ---------------------------------------

    def create_courts_and_users(self) -> list[str]:
        """Returns the usernames that existed before (their passwords are left alone)."""
        for spec in data.COURTS:
            self.courts[spec.code] = Court.objects.get_or_create(case_code=spec.code, defaults={
                "name": spec.name, "name_en": spec.name_en, "province": spec.province, "city": spec.city,
                "address": spec.address, "phone": spec.phone, "supervision_phone": spec.supervision_phone})[0]
        # One hash for the one shared demo password: hashing is deliberately slow.
        password = make_password(data.DEMO_PASSWORD)
        existing = []
        for u in data.USERS:
            user, created = User.objects.get_or_create(username=u.username, defaults={
                "display_name": u.display_name, "password": password, "is_staff": u.superuser,
                "is_superuser": u.superuser})
            if not created:
                existing.append(u.username)
            for role in u.roles:
                user.groups.add(Group.objects.get(name=role))
            if u.court:
                CourtMembership.objects.get_or_create(user=user, court=self.courts[u.court])
            if u.staff:
                # Staff log in with a second factor: the demo's fixed, public authenticator secret.
                twofactor.demo_device_ensure(user)
            self.users[u.username] = user
        return existing

    def clerk(self, court_code: str) -> User:
        """The court's clerk enters the data; its panel judge decides and rules."""
        return self._staff(court_code, panel=False)

    def judge(self, court_code: str) -> User:
        return self._staff(court_code, panel=True)

    def _staff(self, court_code: str, *, panel: bool) -> User:
        spec = next(u for u in data.USERS if u.court == court_code and ("panel" in u.roles) == panel)
        return self.users[spec.username]

    # --- stories ----------------------------------------------------------------------------------

    def case_story(self, spec: data.CaseSpec, filed_on: date) -> Story:
        yield clock.local_midnight(filed_on) + timedelta(hours=9, minutes=30)
        court, clerk = self.courts[spec.court], self.clerk(spec.court)
        decided = judgment_date(filed_on)
        case = services.case_create(actor=clerk, court=court, number=f"（{filed_on.year}）{spec.court}{spec.type_code}"
                                    f"{spec.serial}号", cause=spec.cause, filed_on=filed_on,
                                    platform_chosen_by=spec.platform_chosen_by)
        self.cases[spec.key] = case
        for p in spec.parties:
            party = services.party_add(actor=clerk, case=case, role=p.role, kind=p.kind, name=p.name,
                                       contact=p.contact)
            self.parties[(spec.key, p.key)] = party
            self.party_keys[party.pk] = p.key
        j = spec.judgment
        self.judgments[spec.key] = documents.judgment_pdf(
            court=j.court, number=j.number.format(year=decided.year), cause=spec.cause,
            plaintiffs=[p.name for p in spec.parties if p.role == Party.Role.APPLICANT],
            defendants=[p.name for p in spec.parties if p.role == Party.Role.DEBTOR],
            facts=j.facts, holdings=j.holdings, judges=j.judges, decided_on=decided)
        yield clock.now() + timedelta(minutes=25)
        for claim in spec.claims:
            if claim.secured_lot is None:
                self.add_claim(spec, claim, None)

    def add_claim(self, case_spec: data.CaseSpec, claim: data.ClaimSpec, lot: Lot | None) -> None:
        today = clock.today()
        decided = judgment_date(self.cases[case_spec.key].filed_on)
        services.claim_add(
            actor=self.clerk(case_spec.court), case=self.cases[case_spec.key],
            creditor=self.parties[(case_spec.key, claim.creditor)],
            title_document=claim.title_document.format(year=decided.year),
            principal_fen=claim.principal_yuan * YUAN, interest_fen=claim.interest_yuan * YUAN,
            priority_class=claim.priority_class, secured_lot=lot,
            registered_on=_months_before(today, claim.registered_months_ago), seizure_order=claim.seizure_order,
            performance_due_on=_months_before(today, claim.due_months_ago), verified=claim.verified)

    def lot_story(self, spec: data.LotSpec, plan: LotPlan) -> Story:
        case_spec = next(c for c in data.CASES if c.key == spec.case)
        yield plan.created
        case = self.cases[spec.case]
        clerk = self.clerk(case_spec.court)
        lot = services.lot_create(actor=clerk, case=case, seized_on=plan.seized_on, **spec.fields)
        services.lot_attachment_add(actor=clerk, lot=lot, kind=LotAttachment.Kind.JUDGMENT,
                                    title=f"{case_spec.judgment.number.format(year=judgment_date(case.filed_on).year)}"
                                          "民事判决书", file=_pdf("judgment.pdf", self.judgments[spec.case]))
        today = clock.today()
        for e in spec.encumbrances:
            services.lot_encumbrance_add(
                actor=clerk, lot=lot, kind=e.kind, holder=e.holder, survives_sale=e.survives_sale,
                description=e.description, amount_fen=None if e.amount_yuan is None else e.amount_yuan * YUAN,
                registered_on=_months_before(today, e.registered_months_ago))
        for lease in spec.leases:
            start = rules.add_months(today.replace(day=1), -lease.start_months_ago)
            services.lot_lease_add(
                actor=clerk, lot=lot, tenant=lease.tenant, start=start,
                end=rules.add_months(start, lease.term_months) - timedelta(days=1), rent_fen=lease.rent_yuan * YUAN,
                rent_period=lease.rent_period, note=lease.note,
                rent_prepaid_until=None if lease.prepaid_months_ahead is None else rules.add_months(
                    clock.local_date(self.now).replace(day=1), lease.prepaid_months_ahead) - timedelta(days=1))
        for h in spec.holders:
            services.priority_holder_add(actor=clerk, lot=lot, name=h.name, basis=h.basis, rank=h.rank,
                                         contact=h.contact)
        for t in spec.taxes:
            services.lot_tax_set(actor=clerk, lot=lot, tax=t.tax, payer=t.payer, note=t.note,
                                 estimate_fen=None if t.estimate_yuan is None else t.estimate_yuan * YUAN)
        for claim in case_spec.claims:
            if claim.secured_lot == spec.key:
                self.add_claim(case_spec, claim, lot)

        yield plan.photographed
        for position, photo in enumerate(spec.photos):
            jpeg = images.jpeg_bytes(photo.drawing, f"{spec.key}/{position}", photo.variant)
            services.lot_photo_add(actor=clerk, lot=lot, caption=photo.caption, position=position,
                                   image=SimpleUploadedFile(f"photo-{position + 1}.jpg", jpeg, "image/jpeg"))

        yield plan.priced
        ref, fixed_on = spec.reference, clock.today()
        source = ref.source.format(year=fixed_on.year)
        report = documents.pricing_basis_pdf(
            method=ref.method, source=source, lot_title=lot.title, description=lot.description,
            price_yuan=ref.price_yuan, basis=ref.basis, fixed_on=fixed_on, valid_until=plan.valid_until,
            court=case.court.name, case_number=case.number)
        services.lot_set_reference_price(actor=clerk, lot=lot, price_fen=ref.price_yuan * YUAN, method=ref.method,
                                         fixed_on=fixed_on, valid_until=plan.valid_until, note=source,
                                         document=_pdf("reference.pdf", report))
        services.lot_attachment_add(actor=clerk, lot=lot, kind=LotAttachment.Kind.PRICING_BASIS,
                                    title=documents.METHOD_TITLES[Lot.ReferenceMethod(ref.method)],
                                    file=_pdf("pricing-basis.pdf", report))

        previous: AuctionRound | None = None
        for rspec, rplan in zip(spec.rounds, plan.rounds, strict=True):
            rnd = yield from self.round_story(spec, case_spec, lot, rspec, rplan, previous)
            previous = rnd

    def round_story(self, spec: data.LotSpec, case_spec: data.CaseSpec, lot: Lot, rspec: data.RoundSpec,
                    rplan: RoundPlan, previous: AuctionRound | None) -> Generator[datetime, None, AuctionRound]:
        clerk, judge = self.clerk(case_spec.court), self.judge(case_spec.court)
        case = self.cases[spec.case]
        court_spec = next(c for c in data.COURTS if c.code == case_spec.court)
        yield rplan.created
        kind = AuctionRound.Kind(services.next_round_kind(previous) if previous else AuctionRound.Kind.FIRST)
        if kind == AuctionRound.Kind.FIRST:
            assert rspec.start_yuan is not None
            start_fen = rspec.start_yuan * YUAN
        elif kind == AuctionRound.Kind.SECOND:
            assert previous is not None
            start_fen = rules.min_second_start(previous.start_price_fen)
        else:
            assert previous is not None
            start_fen = previous.start_price_fen
        deposit_fen = start_fen if kind == AuctionRound.Kind.SELL_OFF else (rspec.deposit_yuan or 0) * YUAN
        terms = RoundTerms(start_fen, rspec.increment_yuan * YUAN, deposit_fen, rplan.start, rplan.end)
        round_texts = {
            "notice_text": texts.notice_text(
                court=case.court, case_number=case.number, lot=lot, kind=kind, start_price_fen=start_fen,
                increment_fen=terms.increment_fen, deposit_fen=deposit_fen, bidding_start=rplan.start,
                bidding_end=rplan.end, holders=list(lot.priority_holders.all()), taxes=list(lot.tax_allocations.all())),
            "terms_text": texts.terms_text(kind),
            "payment_text": texts.payment_text(court=case.court, bank=court_spec.bank, account=court_spec.account,
                                               case_number=case.number, balance_due_days=rules.BALANCE_DUE_DAYS_DEFAULT,
                                               kind=kind),
        }
        if previous is None:
            rnd = services.round_create(actor=clerk, lot=lot, terms=terms, **round_texts)
        else:
            rnd = services.round_create_next(actor=clerk, previous=previous, terms=terms, **round_texts)
        if rspec.outcome == data.DRAFT:
            return rnd

        yield _step(rplan.panel)
        self.record_panel_decision(case, lot, rnd, judge)
        yield _step(rplan.notified)
        self.notify(spec, lot, rnd, clerk)
        if rspec.outcome == data.PANEL_APPROVED:
            return rnd

        yield _step(rplan.published)
        services.round_publish(actor=clerk, rnd=rnd)
        if rspec.outcome in data.STOPS:
            yield _step(rplan.stop)
            stop = {data.STAYED: services.round_stay, data.SUSPENDED: services.round_suspend,
                    data.WITHDRAWN: services.round_withdraw, data.TERMINATED: services.round_terminate}[rspec.outcome]
            return stop(actor=judge, rnd=rnd, reason=rspec.reason)
        if rspec.outcome == data.ANNOUNCED:
            return rnd

        yield rplan.start
        services.round_open(rnd=rnd)
        yield from self.bid(rnd, rspec, rplan)
        if rspec.outcome in (data.LIVE, data.BIDDING):
            return rnd
        rnd.refresh_from_db()
        yield rnd.effective_end
        services.round_close(rnd=rnd)
        rnd.refresh_from_db()
        if rspec.outcome == data.TAKEN_IN_LIEU:
            assert rspec.in_lieu_creditor is not None
            yield _step(rplan.stop)
            creditor = self.parties[(spec.case, rspec.in_lieu_creditor)]
            services.round_take_in_lieu(actor=judge, rnd=rnd, creditor=creditor, reason=rspec.reason,
                                        qualification_confirmed=False)
            rnd.refresh_from_db()
        return rnd

    def record_panel_decision(self, case: Case, lot: Lot, rnd: AuctionRound, judge: User) -> None:
        court = case.court
        numbers = self.panel_numbers.setdefault(court.case_code, itertools.count(11))
        today = clock.today()
        reference = f"〔{today.year}〕{court.case_code}执评{next(numbers)}号"
        members = list(data.PANELS[court.case_code])
        holders = [f"{h.name}（第{h.rank}顺序）" for h in lot.priority_holders.all()]
        minutes = documents.panel_minutes_pdf(
            court=court.name, case_number=case.number, reference=reference, lot_title=lot.title,
            kind_word=texts.KIND_WORD[AuctionRound.Kind(rnd.kind)], members=members, holders=holders,
            start_yuan=texts.yuan(rnd.start_price_fen), increment_yuan=texts.yuan(rnd.increment_fen),
            deposit_yuan=texts.yuan(rnd.deposit_fen), decided_on=today)
        services.round_record_panel_decision(actor=judge, rnd=rnd, decided_on=today, reference=reference,
                                             members=members, document=_pdf("panel-minutes.pdf", minutes))

    def notify(self, spec: data.LotSpec, lot: Lot, rnd: AuctionRound, clerk: User) -> None:
        """Every party and priority holder, by the means a court would use (WP art.16)."""
        now = clock.now()
        number = lot.case.number
        for i, party in enumerate(lot.case.parties.order_by("id")):
            if self.party_keys[party.pk] in spec.unreachable:
                services.notification_record(
                    actor=clerk, rnd=rnd, party=party, method=Notification.Method.PUBLIC_POSTING, at=now,
                    proof=f"平台公告送达（{number}）",
                    unreachable_reason="经电话联系、邮寄送达及至户籍地查找均未果，下落不明")
            elif party.kind == Party.Kind.NATURAL_PERSON:
                services.notification_record(actor=clerk, rnd=rnd, party=party, method=Notification.Method.WRITTEN,
                                             at=now, proof=f"送达回证（{number}，第{i + 1}号）")
            else:
                services.notification_record(actor=clerk, rnd=rnd, party=party, method=Notification.Method.ELECTRONIC,
                                             at=now, proof=f"电子送达回执 SD{now:%Y%m%d}{rnd.pk:04d}{i + 1:02d}")
        for holder in lot.priority_holders.all():
            services.notification_record(actor=clerk, rnd=rnd, priority_holder=holder,
                                         method=Notification.Method.WRITTEN, at=now,
                                         proof=f"优先购买权通知书送达回证（{number}）")

    # --- bids -------------------------------------------------------------------------------------

    def new_code(self) -> str:
        """A bidder code as the bid engine issues them: random per round, never reused."""
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(self.rng.randint(4, 6)))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def bid(self, rnd: AuctionRound, rspec: data.RoundSpec, rplan: RoundPlan) -> Story:
        """Simulated accepted bids: bidders take turns, each raising by one to three increments.
        Sold rounds end with a closing-minutes contest that extends the end (WP art.20); live rounds
        bid only up to a few minutes ago."""
        if rspec.bids == 0:
            return
        live = rspec.outcome in (data.LIVE, data.BIDDING)
        first = rplan.start + timedelta(minutes=self.rng.randint(20, 90))
        last = self.now - timedelta(minutes=self.rng.randint(3, 9)) if live else rplan.end - timedelta(minutes=40)
        calm = rspec.bids - rspec.war
        span = (last - first).total_seconds()
        # Bidding gathers pace towards the end: later times are more likely.
        times = sorted(first + timedelta(seconds=span * self.rng.random() ** 0.5) for _ in range(calm))
        if live:
            times[-1] = last  # the latest bid came in a few minutes ago
        bidders = [self.new_code() for _ in range(min(rspec.bids, self.rng.randint(3, 6)))]
        for when in times:
            yield when
            self.apply_bid(rnd, bidders)
        for _ in range(rspec.war):
            end = AuctionRound.objects.values_list("effective_end", flat=True).get(pk=rnd.pk)
            yield end - timedelta(seconds=self.rng.randint(20, 250))
            self.apply_bid(rnd, bidders)

    def apply_bid(self, rnd: AuctionRound, bidders: list[str]) -> None:
        with transaction.atomic():
            locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
            price = locked.start_price_fen if locked.current_price_fen is None else (
                locked.current_price_fen + locked.increment_fen * self.rng.choice((1, 1, 1, 1, 2, 3)))
            code = self.rng.choice([b for b in bidders if b != locked.leader_code])
            services.do_round_apply_bid(locked, price_fen=price, bidder_code=code, at=clock.now())


def _months_before(day: date, months: int | None) -> date | None:
    return None if months is None else rules.add_months(day, -months)


def _step(at: datetime | None) -> datetime:
    """A planned time the story needs; the planner fills it for every outcome that reaches it."""
    if at is None:
        raise ValueError("the plan has no time for this step")
    return at


def _pdf(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


@dataclass(frozen=True)
class LoadResult:
    created: bool
    existing_users: list[str]
    live_round: AuctionRound | None


def demo_present() -> bool:
    """The demo courts already have cases: the demo (or real data) is there, so loading would
    duplicate or mix with it."""
    return Case.objects.filter(court__case_code__in=[c.code for c in data.COURTS]).exists()


def load(now: datetime | None = None) -> LoadResult:
    """Load the whole demo in one transaction, or change nothing if it is already there."""
    now = now or clock.now()
    if demo_present():
        return LoadResult(False, [], _live_round(now))
    loader = Loader(now=now)
    with transaction.atomic():
        existing = loader.create_courts_and_users()
        lot_plans = {spec.key: plan_lot(spec, now) for spec in data.LOTS}
        stories: list[Story] = []
        for case_spec in data.CASES:
            plans = [lot_plans[s.key] for s in data.LOTS if s.case == case_spec.key]
            stories.append(loader.case_story(case_spec, case_filed_on(plans)))
        stories += [loader.lot_story(spec, lot_plans[spec.key]) for spec in data.LOTS]
        with clock.frozen(now - timedelta(days=3 * 365)) as frozen:
            run_stories(stories, frozen, limit=now)
    return LoadResult(True, existing, _live_round(now))


def _live_round(now: datetime) -> AuctionRound | None:
    return (AuctionRound.objects.filter(status=AuctionRound.Status.BIDDING, effective_end__gt=now,
                                        effective_end__lte=now + timedelta(hours=1))
            .select_related("lot").order_by("effective_end").first())
