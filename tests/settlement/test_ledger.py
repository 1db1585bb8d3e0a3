"""The ledger itself: balanced postings only, idempotency keys, append-only rows (in the models and,
on PostgreSQL, in the database), and check_ledger finding every kind of disagreement."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from auction.models import AuctionRound
from core import clock
from core.errors import RuleViolation
from core.models import User
from settlement import ledger, services
from settlement.ledger import LedgerError, Leg
from settlement.models import Deposit, LedgerAccount, LedgerEntry, LedgerTransaction
from settlement.selectors import check_ledger
from tests.settlement import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(db: None) -> tuple[LedgerAccount, LedgerAccount]:
    return ledger.clearing("offline"), ledger.deposits_held()


def test_a_balanced_posting_updates_the_running_balances(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    cash, held = accounts
    with transaction.atomic():
        txn = ledger.post(kind="deposit_hold", key="t:1", actor="system", legs=ledger.move(500, debit=cash,
                                                                                              credit=held))
    assert sorted(txn.entries.values_list("amount_fen", flat=True)) == [-500, 500]
    assert ledger.balance_of(cash) == 500 and ledger.balance_of(held) == -500
    assert txn.actor_label == "system"


@pytest.mark.parametrize("legs", [
    [(0, 100), (1, -99)],  # unbalanced
    [(0, 100)],  # one leg
    [(0, 0), (1, 0)],  # zero entries
])
def test_unbalanced_or_empty_postings_are_refused(accounts: tuple[LedgerAccount, LedgerAccount],
                                                  legs: list[tuple[int, int]]) -> None:
    with pytest.raises(LedgerError), transaction.atomic():
        ledger.post(kind="deposit_hold", key="t:bad", actor="system",
                    legs=[Leg(accounts[i], amount) for i, amount in legs])
    assert not LedgerTransaction.objects.exists()


def test_float_amounts_are_refused(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    with pytest.raises(LedgerError), transaction.atomic():
        ledger.post(kind="deposit_hold", key="t:f", actor="system",
                    legs=[Leg(accounts[0], 1.5), Leg(accounts[1], -1.5)])  # type: ignore[arg-type]


def test_posting_outside_a_transaction_is_refused(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    # pytest-django wraps the test in a transaction; leave it to see the guard.
    with pytest.raises(LedgerError):
        connection.in_atomic_block, saved = False, connection.in_atomic_block
        try:
            ledger.post(kind="deposit_hold", key="t:out", actor="system",
                        legs=ledger.move(1, debit=accounts[0], credit=accounts[1]))
        finally:
            connection.in_atomic_block = saved


def test_the_same_key_posts_once_and_a_different_posting_under_it_is_refused(
        accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    cash, held = accounts
    with transaction.atomic():
        legs = ledger.move(7, debit=cash, credit=held)
        first = ledger.post(kind="deposit_hold", key="t:2", actor="system", legs=legs)
        again = ledger.post(kind="deposit_hold", key="t:2", actor="system", legs=legs)
    assert again.pk == first.pk and ledger.balance_of(cash) == 7
    with pytest.raises(LedgerError), transaction.atomic():
        ledger.post(kind="deposit_hold", key="t:2", actor="system", legs=ledger.move(8, debit=cash, credit=held))


def test_ledger_rows_are_append_only(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    cash, held = accounts
    with transaction.atomic():
        txn = ledger.post(kind="deposit_hold", key="t:3", actor="system", legs=ledger.move(9, debit=cash, credit=held))
    entry = txn.entries.first()
    assert entry is not None
    entry.amount_fen = 10
    for attempt in (entry.save, entry.delete, txn.delete, lambda: LedgerEntry.objects.update(amount_fen=1),
                    lambda: LedgerTransaction.objects.all().delete()):
        with pytest.raises(TypeError):
            attempt()
    assert LedgerEntry.objects.filter(amount_fen=9).exists()


@pytest.mark.postgres
def test_postgresql_itself_refuses_to_change_ledger_rows(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    cash, held = accounts
    with transaction.atomic():
        ledger.post(kind="deposit_hold", key="t:4", actor="system", legs=ledger.move(9, debit=cash, credit=held))
    for sql in ("UPDATE settlement_ledgerentry SET amount_fen = 1", "DELETE FROM settlement_ledgertransaction"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_virtual_account_numbers_are_stable_and_carry_a_luhn_digit(rnd: AuctionRound) -> None:
    case = rnd.lot.case
    number = ledger.virtual_account_number(case)
    assert number == f"9558{case.pk:010d}{number[-1]}" and len(number) == 15
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    assert total % 10 == 0
    assert ledger.case_account(case).account_reference == number
    assert ledger.case_account(case).pk == ledger.case_account(case).pk


def test_check_ledger_finds_tampering_and_the_command_fails(
        rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock,
        capsys: pytest.CaptureFixture[str]) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    call_command("check_ledger")
    assert "ledger OK: 1 transactions" in capsys.readouterr().out

    # A running balance that no longer equals its entries.
    LedgerAccount.objects.filter(code="clearing:offline").update(balance_fen=1)
    result = check_ledger()
    assert any("clearing:offline: stored balance 1" in p for p in result.problems)
    with pytest.raises(SystemExit) as exit_:
        call_command("check_ledger")
    assert exit_.value.code == 1
    assert "ledger check FAILED" in capsys.readouterr().err
    LedgerAccount.objects.filter(code="clearing:offline").update(balance_fen=rnd.deposit_fen)

    # A deposit released behind the ledger's back: the deposits-held account disagrees.
    Deposit.objects.filter(pk=deposit.pk).update(status=Deposit.Status.RELEASED)
    assert any(p.startswith("account deposits_held is") for p in check_ledger().problems)
    Deposit.objects.filter(pk=deposit.pk).update(status=Deposit.Status.HELD)
    assert check_ledger().ok


def test_check_ledger_finds_an_unbalanced_transaction(accounts: tuple[LedgerAccount, LedgerAccount]) -> None:
    cash = accounts[0]
    txn = LedgerTransaction.objects.create(kind="deposit_hold", idempotency_key="forged", actor_label="x")
    LedgerEntry.objects.create(transaction=txn, account=cash, amount_fen=5)
    problems = check_ledger().problems
    assert any(f"transaction #{txn.pk} does not balance" in p for p in problems)
    assert any("clearing:offline: stored balance 0 but its entries sum to 5" in p for p in problems)


def test_services_leave_no_trace_when_refused(rnd: AuctionRound, bidder: User) -> None:
    with pytest.raises(RuleViolation):
        services.deposit_open(rnd=rnd, amount_fen=1, payer_name="", gateway="offline", actor=bidder)
    assert not LedgerTransaction.objects.exists() and not LedgerAccount.objects.exists()
