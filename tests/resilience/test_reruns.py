"""Re-runs change nothing: every management command of the project run twice in a row on the demo
database (loaded once for the module, at the tests' frozen T0) leaves every table exactly as the first
run left it — row counts and row contents of every table, hence the audit chain, the ledger and the
notifications, plus the mail sent — and the clock does the same at later moments. Re-imports of a
bank statement (the same file twice, under another name, re-encoded, overlapping, or resumed after a
crash) record each line once. See docs/resilience-payments.md."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command, find_commands
from django.db import connection, transaction
from django.test import override_settings

from auction.models import AuctionRound, Court, Notification
from core import clock, jobs
from core.models import AuditChainHead, AuditRecord, User, UserNotification
from settlement import hooks, services
from settlement.models import BankStatement, Deposit, GatewayRecord, LedgerAccount, LedgerTransaction, Receipt
from settlement.selectors import check_ledger
from tests.conftest import T0
from tests.settlement import factories
from tests.settlement.conftest import BANK
from tests.settlement.test_bank import HEADER, line

D = Deposit.Status
LOADERS = ("load_demo", "load_valuation_demo", "load_bidding_demo", "load_distribution_demo")


# --- the demo database, once per module ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, float]]:
    """`make run`'s loaders at T0, inside one transaction rolled back after the module; each test runs
    in a savepoint inside it (pytest-django's `db`), so every test starts from the freshly loaded demo."""
    media = tmp_path_factory.mktemp("demo-media")
    timings: dict[str, float] = {}
    with (django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, **BANK), clock.frozen(T0),
          transaction.atomic()):
        for name in LOADERS:
            started = time.monotonic()
            call_command(name, stdout=io.StringIO())
            timings[name] = time.monotonic() - started
        yield timings
        transaction.set_rollback(True)


@pytest.fixture
def on_demo(demo: dict[str, float], db: None, frozen: clock.FrozenClock, tmp_path: Path) -> Iterator[None]:
    with override_settings(MEDIA_ROOT=tmp_path, **BANK):
        yield


# --- what "changes nothing" means ------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


def snapshot() -> dict[str, Any]:
    """Every table's row count and a digest of all its rows, plus the figures the brief names: the
    audit chain, the ledger's account balances, the notifications and the mail sent."""
    tables: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
            rows = sorted(repr(tuple(_cell(v) for v in row)) for row in cursor.fetchall())
            tables[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    head = AuditChainHead.objects.filter(id=1).values_list("position", "hash").first()
    return {
        "tables": tables,
        "audit_chain": head,
        "ledger": dict(LedgerAccount.objects.values_list("code", "balance_fen")),
        "ledger_transactions": LedgerTransaction.objects.count(),
        "notifications": (UserNotification.objects.count(), Notification.objects.count()),
        "mail": len(mail.outbox),
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What differs, readable: {table: (rows before, rows after)} and the named figures."""
    diff: dict[str, Any] = {t: (before["tables"].get(t, (0, ""))[0], after["tables"].get(t, (0, ""))[0])
                            for t in set(before["tables"]) | set(after["tables"])
                            if before["tables"].get(t) != after["tables"].get(t)}
    diff.update({k: (before[k], after[k]) for k in before if k != "tables" and before[k] != after[k]})
    if "audit_chain" in diff:  # name the records the second run added
        since = before["audit_chain"][0] if before["audit_chain"] else 0
        diff["audit_added"] = list(AuditRecord.objects.filter(position__gt=since).order_by("position")
                                   .values_list("action", "object_type", "object_id", "actor_label"))
    return diff


def run(name: str, args: list[str], capture: Any) -> str:
    """One run of a command as a process would make it: its on-commit work (mail, broadcasts) done,
    and the signal handlers run_clock installs put back afterwards."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out = io.StringIO()
    try:
        with capture(execute=True):
            call_command(name, *args, stdout=out, stderr=out)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return out.getvalue()


# --- every command of the project ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How to run a command twice. `args` gets a scratch folder; `prepare` gives the first run
    something to do; `writes=False`: not even the first run may change anything."""

    args: Callable[[Path], list[str]] = lambda _tmp: []
    prepare: Callable[[Path], None] = lambda _tmp: None
    writes: bool = True
    note: str = ""


def _bid_log(tmp: Path) -> Path:
    """A small eBay-layout bid log with an alternating pair (the screening flags it)."""
    rows = ["auctionid,bid,bidtime,bidder,bidderrate,openbid,price,item,auction_type"]
    rows += [f"1,{10 + i * 0.5},{0.5 + i * 0.01},{'kq' if i % 2 else 'zz'},5,10,20,Xbox,3 day auction"
             for i in range(8)]
    rows.append("1,20,2.9,honest,9,10,20,Xbox,3 day auction")
    path = tmp / "bids.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _statement_for_reconcile(_tmp: Path) -> None:
    """A statement with a credit nobody can match and a bank fee: the reconciliation finds both."""
    court = Court.objects.get(case_code="京0105")
    content = (HEADER + line("RC1", "321.00", "某公司", "货款") + "\n"
               + line("RC2", "-12.00", "银行", "手续费") + "\n").encode()
    services.statement_import(court=court, filename="recon.csv", content=content,
                              actor=User.objects.get(username="finance"))


COMMANDS: dict[str, Spec] = {
    "load_demo": Spec(note="recognises the demo by its courts' cases"),
    "load_valuation_demo": Spec(note="recognises its lot"),
    "load_bidding_demo": Spec(note="recognises its bidders"),
    "load_distribution_demo": Spec(note="recognises its case"),
    "run_clock": Spec(args=lambda _tmp: ["--once"], note="every job once; later moments below"),
    "reconcile": Spec(args=lambda _tmp: ["--day", "2026-04-30"], prepare=_statement_for_reconcile,
                      note="a re-run finding the same records nothing"),
    "calendar_sync": Spec(args=lambda _tmp: ["2026", "2027"], note="adds missing days only"),
    "screen_bids": Spec(args=lambda tmp: [str(_bid_log(tmp)), "--format", "ebay", "--out", str(tmp / "report.json")],
                        writes=False, note="writes only its --out file, the same bytes each time"),
    "check_ledger": Spec(writes=False, note="read-only check"),
    "verify_audit": Spec(writes=False, note="read-only check"),
    "otp_code": Spec(args=lambda _tmp: ["judge"], writes=False,
                     note="prints a code (runs only with DEBUG on or on the embedded demo database)"),
}


def project_commands() -> set[str]:
    base = Path(settings.BASE_DIR).resolve()
    found: set[str] = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents and ".venv" not in path.parts:
            found.update(find_commands(os.path.join(path, "management")))
    return found


def test_every_command_of_the_project_is_listed() -> None:
    """A new command must be added to COMMANDS (with how to run it twice) before this passes."""
    found = project_commands()
    assert found == set(COMMANDS), (f"not listed: {sorted(found - set(COMMANDS))}; "
                                    f"listed but gone: {sorted(set(COMMANDS) - found)}")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_running_a_command_again_changes_nothing(name: str, on_demo: None, tmp_path: Path,
                                                 frozen: clock.FrozenClock,
                                                 django_capture_on_commit_callbacks: Any) -> None:
    spec = COMMANDS[name]
    spec.prepare(tmp_path)
    with override_settings(DEBUG=True):  # otp_code refuses to run without it
        before = snapshot()
        first = run(name, spec.args(tmp_path), django_capture_on_commit_callbacks)
        after_first = snapshot()
        output = tmp_path / "report.json"
        report = output.read_bytes() if output.exists() else b""
        again = run(name, spec.args(tmp_path), django_capture_on_commit_callbacks)
        after_second = snapshot()
    assert changed(after_first, after_second) == {}, (name, first, again)
    if not spec.writes:
        assert changed(before, after_first) == {}, name
    if name == "screen_bids":
        assert report and output.read_bytes() == report
    if name == "reconcile":
        assert "0 exceptions" not in first and changed(before, after_first)  # the first run found something
    assert check_ledger().ok


CLOCK_MOMENTS = {
    "at_load": timedelta(0),
    "live_round_ended": timedelta(hours=1),  # the live demo round closes, settles and notifies
    "settlement_due": timedelta(hours=25),  # releases and the 24-hour alerts
    "balance_overdue": timedelta(days=12),  # reminders, overdue balances, daily reconciliation
}


@pytest.mark.parametrize("moment", list(CLOCK_MOMENTS))
def test_the_clock_changes_nothing_on_its_next_tick(moment: str, on_demo: None, frozen: clock.FrozenClock,
                                                    django_capture_on_commit_callbacks: Any) -> None:
    frozen.set(T0 + CLOCK_MOMENTS[moment])
    first = snapshot()
    run("run_clock", ["--once"], django_capture_on_commit_callbacks)
    done = snapshot()
    frozen.advance(timedelta(seconds=1))  # the next tick
    run("run_clock", ["--once"], django_capture_on_commit_callbacks)
    assert changed(done, snapshot()) == {}, moment
    with django_capture_on_commit_callbacks(execute=True):
        reported = jobs.run_all()  # and each job by itself, through core.jobs
    assert reported == dict.fromkeys(jobs.registered(), 0)
    assert changed(done, snapshot()) == {}, moment
    if moment != "at_load":
        assert changed(first, done)  # the first tick had work to do
    assert check_ledger().ok


def test_the_demo_loaders_change_nothing_days_later(on_demo: None, frozen: clock.FrozenClock,
                                                   demo: dict[str, float], record_property: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    """`make run` again on an existing database, three days on."""
    for name, seconds in demo.items():  # the first load's time, in the JUnit report
        record_property(f"{name}_seconds", round(seconds, 2))
    frozen.set(T0 + timedelta(days=3))
    before = snapshot()
    for name in LOADERS:
        run(name, [], django_capture_on_commit_callbacks)
    assert changed(before, snapshot()) == {}


# --- re-imports of a bank statement -------------------------------------------------------------------------


@dataclass
class Bank:
    court: Court
    finance: User
    rnd: AuctionRound
    deposits: list[Deposit]


@pytest.fixture
def bank(on_demo: None) -> Bank:
    """Two bank-transfer deposits for a demo round of 京0105 that still takes deposits."""
    court = Court.objects.get(case_code="京0105")
    rnd = (AuctionRound.objects.filter(lot__case__court=court, status=AuctionRound.Status.BIDDING,
                                       effective_end__gt=clock.now()).order_by("-effective_end").first())
    assert rnd is not None
    deposits = [services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=name, gateway="bank_transfer",
                                      actor=factories.bidder(f"reimport{i}", name))
                for i, name in enumerate(("张三", "李四"))]
    return Bank(court, User.objects.get(username="finance"), rnd, deposits)


def statement(bank: Bank, *ids: str, extra: tuple[str, ...] = ()) -> bytes:
    yuan = f"{bank.rnd.deposit_fen / 100:.2f}"
    known = {"L1": line("L1", yuan, "张三", f"保证金 {bank.deposits[0].reference}"),
             "L2": line("L2", yuan, "李四", bank.deposits[1].reference),
             "L3": line("L3", "12.00", "某人", "无附言"),
             "L4": line("L4", "-5.00", "银行", "手续费")}
    return (HEADER + "".join(f"{known[i]}\n" for i in ids) + "".join(f"{x}\n" for x in extra)).encode()


def import_(bank: Bank, content: bytes, filename: str = "s.csv") -> BankStatement:
    return services.statement_import(court=bank.court, filename=filename, content=content, actor=bank.finance)


ACCOUNT = "id:110060224018800012345:"  # the line keys of these statements (the court account of BANK)


def money(bank: Bank) -> dict[str, Any]:
    receipts = Receipt.objects.filter(gateway="bank_transfer", external_ref__startswith=ACCOUNT)
    return {
        "receipts": sorted(receipts.values_list("external_ref", "status", "deposit_id", "amount_fen", "statement_id")),
        "deposits": [Deposit.objects.get(pk=d.pk).status for d in bank.deposits],
        "ledger": sorted((LedgerTransaction.objects.filter(receipt__in=receipts)
                          | LedgerTransaction.objects.filter(deposit__in=bank.deposits)).distinct()
                         .values_list("kind", "idempotency_key")),
        "records": sorted(GatewayRecord.objects.filter(gateway="bank_transfer", external_id__startswith=ACCOUNT)
                          .values_list("external_id", "amount_fen")),
    }


def test_the_same_file_again_even_renamed_changes_nothing(bank: Bank) -> None:
    content = statement(bank, "L1", "L2", "L3", "L4")
    first = import_(bank, content, "对账单.csv")
    assert (first.matched_count, first.queued_count, first.skipped_count) == (2, 1, 1)
    assert money(bank)["deposits"] == [D.HELD, D.HELD]
    before = snapshot()
    for name in ("对账单.csv", "对账单 (1).csv", "C:\\下载\\statement.csv"):
        assert import_(bank, content, name).pk == first.pk
    assert changed(before, snapshot()) == {}
    assert BankStatement.objects.get(pk=first.pk).filename == "对账单.csv"


def test_an_overlapping_file_adds_only_its_new_lines(bank: Bank) -> None:
    import_(bank, statement(bank, "L1", "L2", "L3"), "a.csv")
    before, snap = money(bank), snapshot()
    second = import_(bank, statement(bank, "L2", "L3", "L4", extra=(line("L5", "7.00", "某人", "无附言"),)), "b.csv")
    assert (second.credit_count, second.duplicate_count, second.queued_count, second.skipped_count) == (3, 2, 1, 1)
    after = money(bank)
    assert after["deposits"] == before["deposits"] == [D.HELD, D.HELD]
    assert set(before["receipts"]) < set(after["receipts"])  # the first file's receipts are untouched
    assert [r[0].rsplit(":", 1)[-1] for r in set(after["receipts"]) - set(before["receipts"])] == ["L5"]
    assert len(after["ledger"]) == len(before["ledger"]) + 1  # L5 into the claim queue, nothing else
    assert [r[0].rsplit(":", 1)[-1] for r in after["records"]] == ["L1", "L2", "L3", "L4", "L5"]
    tables = changed(snap, snapshot())
    assert set(tables) - {"audit_chain", "audit_added", "ledger", "ledger_transactions"} == {
        "settlement_bankstatement", "settlement_gatewayrecord", "settlement_receipt", "settlement_ledgertransaction",
        "settlement_ledgerentry", "settlement_ledgeraccount", "core_auditrecord", "core_auditchainhead"}, tables


def test_the_same_lines_in_another_encoding_are_recognised(bank: Bank) -> None:
    content = statement(bank, "L1", "L2", "L3", "L4")
    import_(bank, content)
    before = money(bank)
    reencoded = content.decode().replace("\n", "\r\n").encode("gb18030")  # another export of the same lines
    again = import_(bank, reencoded, "s-gbk.csv")
    assert (again.duplicate_count, again.matched_count, again.queued_count) == (3, 0, 0)
    assert money(bank) == before


def test_an_import_interrupted_by_a_crash_resumes_without_doubling(bank: Bank,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    content = statement(bank, "L1", "L2", "L3", "L4")
    second = bank.deposits[1]

    def power_cut(deposit: Deposit) -> None:
        if deposit.pk == second.pk:
            raise RuntimeError("the process died here")

    monkeypatch.setattr(hooks, "_held", [*hooks._held, power_cut])
    with pytest.raises(RuntimeError):
        import_(bank, content)
    half = BankStatement.objects.get()
    assert half.completed_at is None
    assert money(bank)["deposits"] == [D.HELD, D.PENDING]  # L1 was settled in its own transaction
    monkeypatch.setattr(hooks, "_held", [h for h in hooks._held if h is not power_cut])
    done = import_(bank, content)  # finance staff upload it again
    assert done.pk == half.pk and done.completed_at is not None
    assert (done.matched_count, done.queued_count, done.duplicate_count) == (2, 1, 0)
    state = money(bank)
    assert state["deposits"] == [D.HELD, D.HELD]
    assert [r[0].rsplit(":", 1)[-1] for r in state["receipts"]] == ["L1", "L2", "L3"]
    assert [k for k, _key in state["ledger"]].count("deposit_hold") == 2
    before = snapshot()
    import_(bank, content)
    assert changed(before, snapshot()) == {}
    assert check_ledger().ok
