"""The double-entry ledger (chart of accounts and postings: docs/ledger.md).

Amounts are integer fen, signed: a debit is positive, a credit negative. Every transaction sums to
zero; `post()` refuses anything else. A transaction is written in the caller's database transaction,
so it commits or rolls back together with the state change that caused it, and carries an
idempotency key: posting the same key again returns the first transaction (and refuses a different
one under the same key). Rows are append-only; a correction is a new transaction.

Locks: posting updates the running balance of each account it touches, in account-id order (so two
postings never wait for each other in a cycle). Callers have already locked their business rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction

from auction.models import Case
from settlement.models import (
    BalancePayment,
    CasePayout,
    Deposit,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    Receipt,
)

K = LedgerAccount.Kind


class LedgerError(RuntimeError):
    """A programming error: an unbalanced posting or a reused idempotency key."""


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount_fen: int  # debit positive, credit negative


def move(amount_fen: int, *, debit: LedgerAccount, credit: LedgerAccount) -> list[Leg]:
    """The two legs of moving `amount_fen` from the credited account to the debited one."""
    return [Leg(debit, amount_fen), Leg(credit, -amount_fen)]


# --- accounts ----------------------------------------------------------------------------------------


def _account(code: str, kind: str, **extra: Any) -> LedgerAccount:
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(code=code, kind=kind, **extra)
    except IntegrityError:  # created concurrently by another transaction
        return LedgerAccount.objects.get(code=code)


def clearing(gateway: str) -> LedgerAccount:
    """Money held at a gateway (the court's bank account, the card processor's balance, cash
    confirmed by finance) that has not been paid out yet. Asset."""
    return _account(f"clearing:{gateway}", K.GATEWAY_CLEARING, gateway=gateway)


def deposits_held() -> LedgerAccount:
    """Deposits received and frozen for bidders (WP art.17). Liability."""
    return _account("deposits_held", K.DEPOSITS_HELD)


def card_holds() -> tuple[LedgerAccount, LedgerAccount]:
    """The memo pair for card authorisations that freeze a deposit without moving money."""
    return (_account("card_holds", K.CARD_HOLDS, gateway="stripe"),
            _account("card_holds_contra", K.CARD_HOLDS_CONTRA, gateway="stripe"))


def refunds_payable() -> LedgerAccount:
    """Money owed back to payers until the payout is made. Liability."""
    return _account("refunds_payable", K.REFUNDS_PAYABLE)


def unmatched_receipts() -> LedgerAccount:
    """Receipts waiting in the claim queue (认领). Liability."""
    return _account("unmatched_receipts", K.UNMATCHED_RECEIPTS)


def creditor_payables() -> LedgerAccount:
    """Case funds approved for payment to a payee of a distribution plan and not yet paid. Liability."""
    return _account("creditor_payables", K.CREDITOR_PAYABLES)


def court_fees() -> LedgerAccount:
    """The court's own fee income (the enforcement application fee, FEE art.14) taken from case
    funds; the money stays in the court's bank account. Liability to the treasury."""
    return _account("court_fees", K.COURT_FEES)


def virtual_account_number(case: Case) -> str:
    """一案一账号: the case's virtual sub-account number, derived from the case so that it never
    changes: the bank's prefix, the case id on ten digits and a Luhn check digit."""
    body = f"{getattr(settings, 'FAPAI_COURT_BANK_VIRTUAL_PREFIX', '9558')}{case.pk:010d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return f"{body}{(10 - total % 10) % 10}"


def case_account(case: Case) -> LedgerAccount:
    """The case's own account (一案一账号): sale proceeds and applied deposits of this case, never
    pooled with another case's (EF art.3). Created on first use. Liability."""
    return _account(f"case:{case.pk}", K.CASE_FUNDS, case=case, account_reference=virtual_account_number(case))


def forfeit_account(case: Case) -> LedgerAccount:
    """Forfeited deposits earmarked for the case, applied in the order of WP art.24. Liability."""
    return _account(f"forfeit:{case.pk}", K.FORFEIT_FUNDS, case=case)


# --- posting -----------------------------------------------------------------------------------------


def _signature(pairs: list[tuple[int, int]]) -> Counter[tuple[int, int]]:
    return Counter(pairs)


def post(*, kind: str, key: str, legs: list[Leg], actor: Any, memo: str = "", deposit: Deposit | None = None,
         receipt: Receipt | None = None, payout: Payout | None = None,
         balance_payment: BalancePayment | None = None, case: Case | None = None,
         case_payout: CasePayout | None = None) -> LedgerTransaction:
    """Post one balanced transaction. Must run inside the caller's transaction.atomic()."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("ledger.post() must run inside transaction.atomic()")
    if len(legs) < 2:
        raise LedgerError("a transaction needs at least two entries")
    for leg in legs:
        if isinstance(leg.amount_fen, bool) or not isinstance(leg.amount_fen, int) or leg.amount_fen == 0:
            raise LedgerError(f"entry amounts must be non-zero int fen, got {leg.amount_fen!r}")
    if sum(leg.amount_fen for leg in legs) != 0:
        raise LedgerError(f"unbalanced transaction {key}: {[(leg.account.code, leg.amount_fen) for leg in legs]}")
    wanted = _signature([(leg.account.pk, leg.amount_fen) for leg in legs])
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if _signature(list(existing.entries.values_list("account_id", "amount_fen"))) != wanted:
            raise LedgerError(f"idempotency key {key} was already used for a different posting")
        return existing
    txn = LedgerTransaction.objects.create(
        kind=kind, idempotency_key=key, memo=memo[:200], actor_label=_actor_label(actor), deposit=deposit,
        receipt=receipt, payout=payout, balance_payment=balance_payment, case=case, case_payout=case_payout)
    LedgerEntry.objects.bulk_create([LedgerEntry(transaction=txn, account=leg.account, amount_fen=leg.amount_fen)
                                     for leg in legs])
    deltas: dict[int, int] = {}
    for leg in legs:
        deltas[leg.account.pk] = deltas.get(leg.account.pk, 0) + leg.amount_fen
    for account_id in sorted(deltas):
        if deltas[account_id]:
            LedgerAccount.objects.filter(pk=account_id).update(balance_fen=models.F("balance_fen") + deltas[account_id])
    return txn


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}:{actor.get_username()}"


def balance_of(account: LedgerAccount) -> int:
    """The running balance as stored (check_ledger proves it equals the sum of the entries)."""
    return int(LedgerAccount.objects.values_list("balance_fen", flat=True).get(pk=account.pk))


def entries_of(account: LedgerAccount) -> models.QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(account=account).select_related("transaction").order_by("id")

