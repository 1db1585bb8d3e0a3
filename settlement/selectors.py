"""Reads of money for services, pages, the API and check_ledger. Nothing here writes.

Anonymity (WP art.18): while a round has not finished, nothing here returns who opened a deposit
(owner or payer's name) for the staff pages: they see references, amounts and states only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from auction.models import AuctionRound, Case, Court, Party
from auction.selectors import courts_of
from core import clock, days
from settlement import gateways
from settlement.models import (
    BalanceDue,
    BalancePayment,
    CasePayout,
    Deposit,
    DistributionLine,
    DistributionPlan,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutDelay,
    PlanObjection,
    PlanService,
    Receipt,
    ReconciliationException,
    ReconciliationRun,
    RoundPaymentSettings,
    SettlementAlert,
)

S = AuctionRound.Status
D = Deposit.Status
FINISHED_STATUSES = (S.SOLD, S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU)


# --- rounds ------------------------------------------------------------------------------------------------


def opens_deposits(rnd: AuctionRound, now: datetime | None = None) -> bool:
    """New deposits are opened until the round's effective end, extensions included (WP art.18)."""
    return rnd.status in (S.ANNOUNCED, S.BIDDING) and (now or clock.now()) < rnd.effective_end


def accepts_deposits(rnd: AuctionRound, now: datetime | None = None) -> bool:
    """A payment can still make a deposit count: until the effective end, or while the round is
    stayed or suspended (it may resume). After that a late payment is returned."""
    return opens_deposits(rnd, now) or rnd.status in (S.STAYED, S.SUSPENDED)


def finished_at(rnd: AuctionRound) -> datetime:
    """When the round stopped for good: its end (sold, failed), or its withdrawal or termination."""
    if rnd.ended_at is not None:
        return rnd.ended_at
    return rnd.status_changed_at


def allowed_gateways(rnd: AuctionRound) -> list[str]:
    """The gateways this round accepts: its own choice, else FAPAI_DEFAULT_GATEWAYS, in both cases
    only those enabled on this installation."""
    enabled = gateways.enabled_keys()
    row = RoundPaymentSettings.objects.filter(round=rnd).first()
    chosen = row.gateways if row is not None else getattr(settings, "FAPAI_DEFAULT_GATEWAYS", None) or enabled
    return [key for key in enabled if key in chosen]


# --- the balance ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceStatus:
    balance: BalanceDue
    price_fen: int
    deposit_credit_fen: int
    amount_fen: int
    paid_fen: int
    outstanding_fen: int
    due_on: date
    days_left: int
    status: str
    ready_for_ruling: bool
    payable: bool  # the buyer may still pay (an open balance)
    reference: str


def balance_status(*, rnd: AuctionRound | None = None, balance: BalanceDue | None = None) -> BalanceStatus | None:
    """Where the buyer's balance stands; `ready_for_ruling` once it is paid in full."""
    if balance is None:
        balance = BalanceDue.objects.filter(round=rnd).first()
    if balance is None:
        return None
    return BalanceStatus(
        balance=balance, price_fen=balance.price_fen, deposit_credit_fen=balance.deposit_credit_fen,
        amount_fen=balance.amount_fen, paid_fen=balance.paid_fen, outstanding_fen=balance.outstanding_fen,
        due_on=balance.due_on, days_left=days.days_left(balance.due_on, clock.today()), status=balance.status,
        ready_for_ruling=balance.status == BalanceDue.Status.PAID, payable=balance.status == BalanceDue.Status.OPEN,
        reference=balance.reference)


# --- what staff see ---------------------------------------------------------------------------------------------


def identities_visible(rnd: AuctionRound) -> bool:
    """Bidders' identities stay sealed until bidding has ended (WP art.18)."""
    return rnd.status in FINISHED_STATUSES


def payer_sealed(receipt: Receipt) -> bool:
    """A receipt matched to the deposit of an unfinished round would tell who registered (WP art.18)."""
    return receipt.deposit is not None and not identities_visible(receipt.deposit.round)


def finance_rounds(user: Any) -> QuerySet[AuctionRound]:
    """Rounds of the user's courts that have deposits, with counts by status."""
    return (AuctionRound.objects.filter(lot__case__court__in=courts_of(user), deposits__isnull=False)
            .select_related("lot__case__court").distinct()
            .annotate(held=Count("deposits", filter=Q(deposits__status=D.HELD), distinct=True),
                      pending=Count("deposits", filter=Q(deposits__status=D.PENDING), distinct=True),
                      held_fen=Sum("deposits__amount_fen", filter=Q(deposits__status=D.HELD)))
            .order_by("-effective_end"))


def visible_round(user: Any, pk: int) -> AuctionRound | None:
    return AuctionRound.objects.filter(pk=pk, lot__case__court__in=courts_of(user)).select_related(
        "lot__case__court").first()


def round_deposits(rnd: AuctionRound) -> QuerySet[Deposit]:
    return Deposit.objects.filter(round=rnd).order_by("created_at", "id")


def round_totals(rnd: AuctionRound) -> dict[str, int]:
    rows = Deposit.objects.filter(round=rnd).values("status").annotate(n=Count("id"), fen=Sum("amount_fen"))
    totals = {f"{row['status']}_count": row["n"] for row in rows}
    totals.update({f"{row['status']}_fen": row["fen"] or 0 for row in rows})
    return totals


def claim_queue(user: Any) -> QuerySet[Receipt]:
    return Receipt.objects.filter(status=Receipt.Status.QUEUED, court__in=courts_of(user)).order_by("received_at",
                                                                                                    "id")


def receipts(user: Any, status: str = "") -> QuerySet[Receipt]:
    qs = Receipt.objects.filter(court__in=courts_of(user)).select_related("deposit", "balance", "statement")
    return qs.filter(status=status) if status else qs


def open_alerts(user: Any) -> QuerySet[SettlementAlert]:
    return SettlementAlert.objects.filter(court__in=courts_of(user), resolved_at__isnull=True).select_related(
        "round__lot", "deposit", "payout", "balance").order_by("due_at", "id")


def pending_payouts(user: Any) -> QuerySet[Payout]:
    return Payout.objects.filter(court__in=courts_of(user), status=Payout.Status.PENDING).order_by("created_at", "id")


def finance_balances(user: Any) -> QuerySet[BalanceDue]:
    return BalanceDue.objects.filter(round__lot__case__court__in=courts_of(user)).select_related(
        "round__lot__case", "deposit").order_by("status", "due_on")


def finance_courts(user: Any) -> QuerySet[Court]:
    return courts_of(user)


@dataclass(frozen=True)
class StatementRow:
    entry: LedgerEntry
    running_fen: int


@dataclass(frozen=True)
class CaseAccountStatement:
    case: Case
    account: LedgerAccount | None
    forfeit: LedgerAccount | None
    rows: list[StatementRow]
    forfeit_rows: list[StatementRow]
    balance_fen: int  # what the case account holds (a liability shown as a positive amount)
    forfeit_fen: int


def _rows(account: LedgerAccount | None) -> list[StatementRow]:
    if account is None:
        return []
    running = 0
    rows = []
    for entry in LedgerEntry.objects.filter(account=account).select_related("transaction").order_by("id"):
        running -= entry.amount_fen  # credits raise what a liability holds
        rows.append(StatementRow(entry, running))
    return rows


def case_account_statement(case: Case) -> CaseAccountStatement:
    """The case account (一案一账号) and its earmarked forfeits, entry by entry."""
    account = LedgerAccount.objects.filter(code=f"case:{case.pk}").first()
    forfeit = LedgerAccount.objects.filter(code=f"forfeit:{case.pk}").first()
    return CaseAccountStatement(case=case, account=account, forfeit=forfeit, rows=_rows(account),
                                forfeit_rows=_rows(forfeit), balance_fen=-(account.balance_fen if account else 0),
                                forfeit_fen=-(forfeit.balance_fen if forfeit else 0))


def visible_case(user: Any, pk: int) -> Case | None:
    return Case.objects.filter(pk=pk, court__in=courts_of(user)).select_related("court").first()


# --- case funds and the distribution plan ---------------------------------------------------------------------

CP = CasePayout.Status
COMMITTED = (CP.APPROVED, CP.PAID, CP.ESCROWED)  # left the case account
PAYOUT_WITHIN_DAYS = 30  # EF: from the notice that the funds arrived
PAYOUT_AFTER_DELAY_DAYS = 10  # EF: once the reason for a delay has ended
HOLDING = (PlanObjection.Status.FILED, PlanObjection.Status.COUNTERED, PlanObjection.Status.SUED,
           PlanObjection.Status.UPHELD)  # upheld: held until the revised version is served


def debtor_of(case: Case) -> Party | None:
    return case.parties.filter(role=Party.Role.DEBTOR).order_by("id").first()


def case_payouts_committed_fen(case: Case) -> int:
    """Case payouts approved or executed: money that has left the case account for a payee."""
    return _sum(CasePayout.objects.filter(case=case, status__in=COMMITTED))


def lot_proceeds(case: Case) -> dict[str, int]:
    """The sale price of each of the case's lots sold and paid for: what a security right on that lot
    can take with priority."""
    rows = (BalanceDue.objects.filter(round__lot__case=case, status=BalanceDue.Status.PAID)
            .values_list("round__lot_id").annotate(total=Sum("price_fen")))
    return {f"lot:{lot_id}": int(total or 0) for lot_id, total in rows}


def current_plan(case: Case) -> DistributionPlan | None:
    return case.distribution_plans.filter(status=DistributionPlan.Status.SERVED).order_by("-version").first()


def latest_plan(case: Case) -> DistributionPlan | None:
    return case.distribution_plans.exclude(status=DistributionPlan.Status.SUPERSEDED).order_by("-version").first()


def objection_deadline(plan: DistributionPlan) -> date | None:
    return plan.services.aggregate(last=Max("objection_due"))["last"]


def objection_windows_closed(plan: DistributionPlan, today: date | None = None) -> bool:
    deadline = objection_deadline(plan)
    today = today or clock.today()
    return plan.status == DistributionPlan.Status.SERVED and deadline is not None and today > deadline


def line_held_fen(line: DistributionLine) -> int:
    """What open objections to the line hold back (CPLI art.510: escrowed during the suit)."""
    return _sum(PlanObjection.objects.filter(line=line, status__in=HOLDING), "disputed_fen")


def line_committed_fen(line: DistributionLine, excluding: CasePayout | None = None) -> int:
    """Payouts of the line's key in this case under any version, not cancelled."""
    qs = CasePayout.objects.filter(case_id=line.plan.case_id, line_key=line.key).exclude(status=CP.CANCELLED)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    return _sum(qs)


def line_payable_fen(line: DistributionLine, excluding: CasePayout | None = None) -> int:
    """What the line can still be paid: its allocation less payouts made or under way for the same
    key (under this or an earlier version) and less what objections hold back; never negative."""
    return max(0, line.allocated_fen - line_committed_fen(line, excluding) - line_held_fen(line))


@dataclass(frozen=True)
class PlanLineView:
    line: DistributionLine
    held_fen: int
    committed_fen: int
    payable_fen: int


def plan_lines(plan: DistributionPlan) -> list[PlanLineView]:
    out = []
    for line in plan.lines.select_related("claim", "cost").order_by("position"):
        held, committed = line_held_fen(line), line_committed_fen(line)
        out.append(PlanLineView(line, held, committed, max(0, line.allocated_fen - committed - held)))
    return out


def funds_arrived_on(case: Case) -> date | None:
    """The day the last sale proceeds reached the case account (the finance office's notice)."""
    last = (LedgerTransaction.objects.filter(case=case, kind__in=[
        LedgerTransaction.Kind.DEPOSIT_APPLY, LedgerTransaction.Kind.BALANCE_PAYMENT]).order_by("-id").first())
    return clock.local_date(last.created_at) if last else None


def case_payout_due(case: Case) -> date | None:
    """The case's funds are due out within 30 days of arriving; an approved delay suspends that, and
    once its reason ends they are due within 10 days (EF). None while a delay runs or before funds."""
    arrived = funds_arrived_on(case)
    if arrived is None:
        return None
    delays = list(PayoutDelay.objects.filter(case=case, status__in=[PayoutDelay.Status.APPROVED,
                                                                    PayoutDelay.Status.ENDED]))
    if any(d.status == PayoutDelay.Status.APPROVED for d in delays):
        return None
    due = days.period_end(arrived, PAYOUT_WITHIN_DAYS)
    for d in delays:
        if d.ended_on is not None:
            due = max(due, days.period_end(d.ended_on, PAYOUT_AFTER_DELAY_DAYS))
    return due


@dataclass(frozen=True)
class CaseFunds:
    case: Case
    balance_fen: int  # what the case account holds now
    forfeit_fen: int
    committed_fen: int
    due_on: date | None
    plan: DistributionPlan | None

    @property
    def overdue(self) -> bool:
        return self.due_on is not None and self.balance_fen > 0 and clock.today() > self.due_on


def case_funds(case: Case) -> CaseFunds:
    accounts = {a.code: a.balance_fen for a in LedgerAccount.objects.filter(
        code__in=[f"case:{case.pk}", f"forfeit:{case.pk}"])}
    return CaseFunds(case=case, balance_fen=-accounts.get(f"case:{case.pk}", 0),
                     forfeit_fen=-accounts.get(f"forfeit:{case.pk}", 0),
                     committed_fen=case_payouts_committed_fen(case), due_on=case_payout_due(case),
                     plan=latest_plan(case))


def finance_cases(user: Any) -> list[CaseFunds]:
    """Every case of the user's courts with a case account, with its balance and payout deadline."""
    cases = Case.objects.filter(court__in=courts_of(user), ledger_accounts__kind__in=[
        LedgerAccount.Kind.CASE_FUNDS, LedgerAccount.Kind.FORFEIT_FUNDS]).distinct().select_related("court")
    return [case_funds(c) for c in cases.order_by("-year", "-serial")]


def case_payouts(user: Any, status: str = "") -> QuerySet[CasePayout]:
    qs = CasePayout.objects.filter(case__court__in=courts_of(user)).select_related(
        "case", "line", "prepared_by", "approved_by", "executed_by")
    return qs.filter(status=status) if status else qs


def payout_delays(user: Any) -> QuerySet[PayoutDelay]:
    return PayoutDelay.objects.filter(case__court__in=courts_of(user)).select_related("case", "requested_by")


def yuan_text(fen: int) -> str:
    """Integer fen as exact yuan text with two decimals (−12345 → "-123.45")."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def case_funds_rows(user: Any) -> tuple[str, list[str], list[list[Any]]]:
    """The case balances table of the finance dashboard, for export (amounts in yuan, exact)."""
    headers = [str(_("Case")), str(_("Court")), str(_("Account reference")), str(_("Case account holds")),
               str(_("Forfeits not distributed")), str(_("Paid out or approved")), str(_("Plan")),
               str(_("Payout due by")), str(_("Overdue"))]
    rows = []
    for f in finance_cases(user):
        account = LedgerAccount.objects.filter(code=f"case:{f.case.pk}").values_list("account_reference",
                                                                                     flat=True).first()
        rows.append([f.case.number, f.case.court.display_name, account or "", Decimal(yuan_text(f.balance_fen)),
                     Decimal(yuan_text(f.forfeit_fen)), Decimal(yuan_text(f.committed_fen)),
                     f"v{f.plan.version} {f.plan.get_status_display()}" if f.plan else "",
                     f.due_on.isoformat() if f.due_on else "", str(_("yes")) if f.overdue else ""])
    return str(_("Case balances")), headers, rows


def case_payout_rows(user: Any) -> tuple[str, list[str], list[list[Any]]]:
    headers = [str(_("Reference")), str(_("Case")), str(_("Payee")), str(_("Payee's account")), str(_("Amount")),
               str(_("Status")), str(_("Due by")), str(_("Prepared by")), str(_("Approved by")),
               str(_("Executed by")), str(_("Bank reference"))]
    rows = []
    for p in case_payouts(user).order_by("id"):
        rows.append([p.reference, p.case.number, p.payee_name, p.payee_account, Decimal(yuan_text(p.amount_fen)),
                     p.get_status_display(), p.due_on.isoformat() if p.due_on else "", str(p.prepared_by),
                     str(p.approved_by or ""), str(p.executed_by or ""), p.external_ref])
    return str(_("Case payouts")), headers, rows


def reconciliation_exceptions(user: Any, status: str = "open") -> QuerySet[ReconciliationException]:
    """Differences found by reconciliation, for the user's courts; those no court can be told for
    (an unknown Stripe charge) go to every finance member and supervisor."""
    qs = ReconciliationException.objects.filter(Q(court__in=courts_of(user)) | Q(court__isnull=True))
    return (qs.filter(status=status) if status else qs).select_related("court", "last_run").order_by("-id")


def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    return ReconciliationRun.objects.order_by("-started_at", "-id")


def plan_services(plan: DistributionPlan) -> QuerySet[PlanService]:
    return plan.services.select_related("party").order_by("party__role", "party_id")


# --- check_ledger -----------------------------------------------------------------------------------------------


@dataclass
class LedgerCheck:
    transactions: int = 0
    accounts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sum(qs: QuerySet[Any], name: str = "amount_fen") -> int:
    return int(qs.aggregate(total=Sum(name))["total"] or 0)


def check_ledger() -> LedgerCheck:
    """Verify the ledger: every transaction balances and has at least two entries; every account's
    running balance equals the sum of its entries; and the balances agree with the records they
    stand for (held deposits, card authorisations, case accounts, forfeits, refunds payable, the
    claim queue, and per gateway the receipts less the payouts made)."""
    result = LedgerCheck()
    unbalanced = (LedgerEntry.objects.values("transaction_id").annotate(total=Sum("amount_fen"), n=Count("id"))
                  .filter(~Q(total=0) | Q(n__lt=2)))
    for row in unbalanced:
        result.problems.append(f"transaction #{row['transaction_id']} does not balance: entries sum to "
                               f"{row['total']} over {row['n']} entries")
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("pk", flat=True)
    for pk in empty:
        result.problems.append(f"transaction #{pk} has no entries")
    result.transactions = LedgerTransaction.objects.count()
    sums = dict(LedgerEntry.objects.values_list("account_id").annotate(total=Sum("amount_fen")))
    accounts = list(LedgerAccount.objects.all())
    result.accounts = len(accounts)
    by_code = {a.code: a for a in accounts}
    for a in accounts:
        if a.balance_fen != sums.get(a.pk, 0):
            result.problems.append(f"account {a.code}: stored balance {a.balance_fen} but its entries sum to "
                                   f"{sums.get(a.pk, 0)}")

    def expect(code: str, wanted: int, what: str) -> None:
        actual = sums.get(by_code[code].pk, 0) if code in by_code else 0
        if actual != wanted:
            result.problems.append(f"account {code} is {actual} but {what} come to {wanted}")

    held = Deposit.objects.filter(status=D.HELD)
    expect("deposits_held", -_sum(held.filter(hold_mode=Deposit.HoldMode.FUNDS)), "held deposits (funds)")
    card = _sum(held.filter(hold_mode=Deposit.HoldMode.CARD_HOLD))
    expect("card_holds", card, "card authorisations of held deposits")
    expect("card_holds_contra", -card, "card authorisations of held deposits")
    expect("refunds_payable", -_sum(Payout.objects.filter(status=Payout.Status.PENDING)), "payouts to be made")
    expect("unmatched_receipts", -_sum(Receipt.objects.filter(status=Receipt.Status.QUEUED)),
           "receipts in the claim queue")
    received = defaultdict(int, {g: int(t or 0) for g, t in Receipt.objects.values_list("gateway").annotate(
        t=Sum("amount_fen"))})
    paid = defaultdict(int, {g: int(t or 0) for g, t in Payout.objects.filter(status=Payout.Status.PAID)
                             .values_list("gateway").annotate(t=Sum("amount_fen"))})
    bank_out = _sum(CasePayout.objects.filter(status__in=[CP.PAID, CP.ESCROWED], method=CasePayout.Method.BANK))
    paid["bank_transfer"] += bank_out
    for key in sorted(set(received) | set(paid) | {a.gateway for a in accounts if a.kind == "gateway_clearing"}):
        expect(f"clearing:{key}", received[key] - paid[key], f"receipts less payouts made through {key}")
    expect("creditor_payables", -_sum(CasePayout.objects.filter(status=CP.APPROVED)), "approved case payouts")
    expect("court_fees", -_sum(CasePayout.objects.filter(status=CP.PAID, method=CasePayout.Method.COURT_FEES)),
           "application fees taken")
    case_ids = {a.case_id for a in accounts if a.case_id} | set(
        Deposit.objects.filter(status__in=[D.APPLIED, D.FORFEITED]).values_list("round__lot__case_id", flat=True))
    for case_id in sorted(case_ids):
        applied = _sum(Deposit.objects.filter(status=D.APPLIED, round__lot__case_id=case_id))
        # A deposit forfeited after it was applied left the case account for the earmark.
        balance_paid = _sum(BalancePayment.objects.filter(status=BalancePayment.Status.RECEIVED,
                                                          balance__round__lot__case_id=case_id))
        moved = _sum(DistributionPlan.objects.filter(case_id=case_id), "forfeit_moved_fen")
        out = _sum(CasePayout.objects.filter(case_id=case_id, status__in=COMMITTED))
        expect(f"case:{case_id}", -(applied + balance_paid + moved - out),
               f"applied deposits, balance payments and forfeits moved in, less payouts, of case {case_id}")
        forfeited = _sum(Deposit.objects.filter(status=D.FORFEITED, round__lot__case_id=case_id))
        expect(f"forfeit:{case_id}", -(forfeited - moved), f"forfeited deposits of case {case_id} not yet moved")
    return result


def open_deadlines(court_ids: list[int], now: datetime) -> list[Any]:
    """core.deadlines provider: deposits to release or apply within 24 hours of the close (WP art.23),
    balances due (WP art.24), the sale ruling within 10 days of full payment and the handover within 15
    days of the ruling (PB arts.20, 27), case funds to pay out within 30 days (or 10 after a delay),
    and distribution objection windows (CPLI art.509)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from core.deadlines import Due, end_of

    out: list[Any] = []
    for d in (Deposit.objects.filter(status=Deposit.Status.HELD, release_due_at__isnull=False,
                                     round__lot__case__court_id__in=court_ids).select_related("round__lot__case")):
        lot = d.round.lot
        assert d.release_due_at is not None  # filtered above
        out.append(Due("deposit_release", _("Release or apply deposit %(ref)s") % {"ref": d.reference},
                       "WP art.23", d.release_due_at, f"{lot.case.number} {lot.title}",
                       reverse("settlement:round_deposits", args=[d.round_id]), lot.case.court_id))
    balances = BalanceDue.objects.filter(round__lot__case__court_id__in=court_ids).exclude(
        status=BalanceDue.Status.DEFAULTED).select_related("round__lot__case")
    for b in balances:
        rnd, lot = b.round, b.round.lot
        subject, court = f"{lot.case.number} {lot.title}", lot.case.court_id
        if b.status == BalanceDue.Status.OPEN:
            out.append(Due("balance", _("The buyer's balance"), "WP art.24", end_of(b.due_on), subject,
                           reverse("settlement:balance_detail", args=[b.pk]), court))
        elif rnd.ruling_served_on is None and b.paid_at is not None:
            out.append(Due("sale_ruling", _("Serve the sale ruling (10 days after full payment)"), "PB art.20",
                           end_of(clock.local_date(b.paid_at) + timedelta(days=10)), subject,
                           reverse("bidding:staff_round", args=[rnd.pk]), court))
        elif rnd.ruling_served_on is not None and rnd.handed_over_on is None:
            out.append(Due("handover", _("Hand over the property (15 days after the ruling)"), "PB art.27",
                           end_of(rnd.ruling_served_on + timedelta(days=15)), subject,
                           reverse("bidding:staff_round", args=[rnd.pk]), court))
    cases = Case.objects.filter(court_id__in=court_ids,
                                ledger_accounts__kind=LedgerAccount.Kind.CASE_FUNDS).distinct()
    for case in cases:
        funds = case_funds(case)
        if funds.due_on is not None and funds.balance_fen > funds.committed_fen:
            out.append(Due("case_payout", _("Pay out the case funds"), "EF", end_of(funds.due_on), case.number,
                           reverse("settlement:case_distribution", args=[case.pk]), case.court_id))
    windows = (PlanService.objects.filter(plan__status=DistributionPlan.Status.SERVED,
                                          objection_due__gte=clock.local_date(now),
                                          plan__case__court_id__in=court_ids).select_related("plan__case", "party"))
    for s in windows:
        out.append(Due("plan_objection", _("Objection window of %(name)s closes") % {"name": s.party.name},
                       "CPLI art.509", end_of(s.objection_due), s.plan.case.number,
                       reverse("settlement:case_distribution", args=[s.plan.case_id]), s.plan.case.court_id))
    return out


def case_objects(case_id: int) -> list[tuple[str, list[int]]]:
    """core.timeline provider: the buyer's balance, the distribution plans and the case payouts (deposits
    stay out: one line per bidder would drown the case's own steps)."""
    return [
        ("settlement.balancedue", list(BalanceDue.objects.filter(round__lot__case_id=case_id)
                                       .values_list("pk", flat=True))),
        ("settlement.distributionplan", list(DistributionPlan.objects.filter(case_id=case_id)
                                             .values_list("pk", flat=True))),
        ("settlement.casepayout", list(CasePayout.objects.filter(case_id=case_id).values_list("pk", flat=True))),
    ]


def party_sections(party: Party) -> list[Any]:
    """core.case_file provider: the distribution plan as the party sees it (CPLI arts.509–510): the
    current version's status, its service on this party with the objection window, the party's own
    lines (its claims; the surplus for the debtor) and the payouts on them. Other creditors' names stay
    out."""
    from django.utils.translation import gettext

    from core.case_file import Section
    from core.money import format_fen

    plan = (DistributionPlan.objects.filter(case_id=party.case_id).exclude(status=DistributionPlan.Status.SUPERSEDED)
            .order_by("-version").first())
    if plan is None:
        return []
    service = PlanService.objects.filter(plan=plan, party=party).first()
    status = Section(gettext("Distribution plan"), [gettext("Version"), gettext("Status"), gettext("Served on you"),
                                                    gettext("Objections until")], order=40,
                     note=gettext("You may object in writing within 15 days of service (CPLI art.509)."))
    status.rows.append([plan.version, plan.get_status_display(), service.served_on if service else "—",
                        service.objection_due if service else "—"])
    mine = Q(claim__creditor=party)
    if party.role == Party.Role.DEBTOR:
        mine |= Q(tier=DistributionLine.Tier.SURPLUS)
    lines = list(DistributionLine.objects.filter(mine, plan=plan).order_by("position"))
    share = Section(gettext("Your share under the plan"), [gettext("Tier"), gettext("Claimed"), gettext("Allocated"),
                                                           gettext("Paid")], order=41)
    # Payouts made under earlier versions count against the same line key.
    paid = dict(CasePayout.objects.filter(case_id=party.case_id, line_key__in=[line.key for line in lines],
                                          status__in=[CasePayout.Status.PAID, CasePayout.Status.ESCROWED])
                .values("line_key").annotate(total=Sum("amount_fen")).values_list("line_key", "total"))
    for line in lines:
        share.rows.append([line.get_tier_display(), format_fen(line.claimed_fen), format_fen(line.allocated_fen),
                           format_fen(paid.get(line.key, 0))])
    return [status] + ([share] if share.rows else [])
