"""Reads of money for services, pages, the API and check_ledger. Nothing here writes.

Anonymity (WP art.18): while a round has not finished, nothing here returns who opened a deposit
(owner or payer's name) for the staff pages: they see references, amounts and states only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from auction.models import AuctionRound, Case, Court
from auction.selectors import courts_of
from core import clock, days
from settlement import gateways
from settlement.models import (
    BalanceDue,
    BalancePayment,
    Deposit,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    Receipt,
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
        ready_for_ruling=balance.status == BalanceDue.Status.PAID, reference=balance.reference)


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
    for key in sorted(set(received) | set(paid) | {a.gateway for a in accounts if a.kind == "gateway_clearing"}):
        expect(f"clearing:{key}", received[key] - paid[key], f"receipts less payouts made through {key}")
    case_ids = {a.case_id for a in accounts if a.case_id} | set(
        Deposit.objects.filter(status__in=[D.APPLIED, D.FORFEITED]).values_list("round__lot__case_id", flat=True))
    for case_id in sorted(case_ids):
        applied = _sum(Deposit.objects.filter(status=D.APPLIED, round__lot__case_id=case_id))
        # A deposit forfeited after it was applied left the case account for the earmark.
        balance_paid = _sum(BalancePayment.objects.filter(status=BalancePayment.Status.RECEIVED,
                                                          balance__round__lot__case_id=case_id))
        expect(f"case:{case_id}", -(applied + balance_paid), f"applied deposits and balance payments of case {case_id}")
        forfeited = _sum(Deposit.objects.filter(status=D.FORFEITED, round__lot__case_id=case_id))
        expect(f"forfeit:{case_id}", -forfeited, f"forfeited deposits of case {case_id}")
    return result
