"""Bank transfer: statement import (CSV and CAMT.053), matching by reference AND amount AND the payer's
real name, the claim queue (认领) and its assignment, re-import, and payouts of released deposits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from auction.models import AuctionRound
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord, User
from settlement import ledger, services, statements
from settlement.models import BankStatement, Deposit, LedgerAccount, LedgerTransaction, Payout, Receipt
from settlement.selectors import check_ledger
from tests.settlement import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bank_enabled")]
D = Deposit.Status
HEADER = "交易流水号,交易时间,金额,币种,付款人户名,付款人账号,附言,收款账号\n"


def csv_file(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


def line(line_id: str, amount: str, name: str, remark: str, account: str = "6222000011112222",
         credited: str = "110060224018800012345") -> str:
    return f"{line_id},2026-04-11 11:00:00,\"{amount}\",CNY,{name},{account},{remark},{credited}"


def bank_deposit(rnd: AuctionRound, owner: User, name: str = "张三") -> Deposit:
    return services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=name, gateway="bank_transfer",
                                 actor=owner)


def balance(code: str) -> int:
    account = LedgerAccount.objects.filter(code=code).first()
    return account.balance_fen if account else 0


def test_instructions_name_the_account_the_reference_and_the_case_account(rnd: AuctionRound, bidder: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    assert start.action == "instructions" and start.reference == deposit.reference
    assert start.account_number == "110060224018800012345" and start.bank_name == "交通银行北京朝阳支行"
    assert start.case_account_reference == ledger.virtual_account_number(rnd.lot.case)


def test_a_line_with_reference_amount_and_name_holds_the_deposit(rnd: AuctionRound, bidder: User,
                                                                 finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    content = csv_file(line("L1", "80,000.00", "张 三", f"竞买保证金 {deposit.reference.lower()}"),
                       line("L2", "-50.00", "银行", "手续费"))
    statement = services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=content, actor=finance)
    assert (statement.line_count, statement.credit_count, statement.skipped_count) == (2, 1, 1)
    assert (statement.matched_count, statement.queued_count, statement.duplicate_count) == (1, 0, 0)
    deposit.refresh_from_db()
    assert deposit.status == D.HELD and deposit.hold_mode == Deposit.HoldMode.FUNDS
    receipt = Receipt.objects.get()
    assert (receipt.status, receipt.deposit, receipt.statement) == ("matched", deposit, statement)
    assert receipt.received_at == clock.local_midnight(date(2026, 4, 11)) + timedelta(hours=11)
    assert balance("clearing:bank_transfer") == rnd.deposit_fen
    assert balance("deposits_held") == -rnd.deposit_fen
    assert check_ledger().ok


@pytest.mark.parametrize(("amount", "name", "remark", "credited", "reason"), [
    ("80,000.00", "李四", "{ref}", "110060224018800012345", "name_mismatch"),
    ("79,999.99", "张三", "{ref}", "110060224018800012345", "amount_mismatch"),
    ("80,000.00", "张三", "FP22222222", "110060224018800012345", "unknown_reference"),
    ("80,000.00", "张三", "保证金", "110060224018800012345", "no_reference"),
    ("80,000.00", "张三", "{ref}", "955800000099990", "wrong_account"),
])
def test_mismatches_go_to_the_claim_queue(rnd: AuctionRound, bidder: User, finance: User, amount: str, name: str,
                                          remark: str, credited: str, reason: str) -> None:
    deposit = bank_deposit(rnd, bidder)
    content = csv_file(line("L1", amount, name, remark.format(ref=deposit.reference), credited=credited))
    statement = services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=content, actor=finance)
    assert (statement.matched_count, statement.queued_count) == (0, 1)
    receipt = Receipt.objects.get()
    assert (receipt.status, receipt.queue_reason, receipt.deposit) == ("queued", reason, None)
    deposit.refresh_from_db()
    assert deposit.status == D.PENDING
    assert balance("unmatched_receipts") == -receipt.amount_fen
    assert balance("clearing:bank_transfer") == receipt.amount_fen
    assert check_ledger().ok


def test_the_case_virtual_account_is_accepted(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    virtual = ledger.virtual_account_number(rnd.lot.case)
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", actor=finance,
                              content=csv_file(line("L1", "80000", "张三", deposit.reference, credited=virtual)))
    deposit.refresh_from_db()
    assert deposit.status == D.HELD


def test_reimporting_changes_nothing(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    content = csv_file(line("L1", "80000.00", "张三", deposit.reference), line("L2", "10.00", "某人", "无附言"))
    court = rnd.lot.case.court
    first = services.statement_import(court=court, filename="s.csv", content=content, actor=finance)
    counts = (Receipt.objects.count(), LedgerTransaction.objects.count(), AuditRecord.objects.count())
    again = services.statement_import(court=court, filename="again.csv", content=content, actor=finance)
    assert again.pk == first.pk and BankStatement.objects.count() == 1
    assert (Receipt.objects.count(), LedgerTransaction.objects.count(), AuditRecord.objects.count()) == counts

    # Another file that repeats a line already imported: the line is recognised and skipped.
    overlapping = csv_file(line("L2", "10.00", "某人", "无附言"), line("L3", "5.00", "某人", "无附言"))
    third = services.statement_import(court=court, filename="next.csv", content=overlapping, actor=finance)
    assert (third.duplicate_count, third.queued_count) == (1, 1)
    assert Receipt.objects.count() == counts[0] + 1
    assert check_ledger().ok


def test_identical_lines_without_an_id_are_two_transfers(rnd: AuctionRound, finance: User) -> None:
    content = ("交易时间,金额,付款人户名,附言\n" + "2026-04-11 11:00,100.00,某人,无\n" * 2).encode()
    statement = services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=content, actor=finance)
    assert statement.queued_count == 2
    again = services.statement_import(court=rnd.lot.case.court, filename="s2.csv", actor=finance,
                                      content=content + "2026-04-12,1.00,某人,无\n".encode())
    assert (again.duplicate_count, again.queued_count) == (2, 1)


def test_assigning_a_queued_receipt_posts_from_the_claim_queue(rnd: AuctionRound, bidder: User,
                                                               finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", actor=finance,
                              content=csv_file(line("L1", "80000.00", "张三丰", f"保证金{deposit.reference}")))
    receipt = Receipt.objects.get()
    assert receipt.queue_reason == "name_mismatch"
    with pytest.raises(RuleViolation) as exc:
        services.receipt_assign(receipt=receipt, reference=deposit.reference, actor=finance, reason="")
    assert exc.value.rule_code == "reason_required"
    with pytest.raises(PermissionDenied):
        services.receipt_assign(receipt=receipt, reference=deposit.reference, actor=bidder, reason="x")

    services.receipt_assign(receipt=receipt, reference=deposit.reference, actor=finance,
                            reason="银行户名截断，已电话核实付款人为竞买人本人")
    receipt.refresh_from_db()
    deposit.refresh_from_db()
    assert (receipt.status, receipt.deposit, receipt.claimed_by) == ("assigned", deposit, finance)
    assert deposit.status == D.HELD
    assert balance("unmatched_receipts") == 0 and balance("deposits_held") == -rnd.deposit_fen
    assert AuditRecord.objects.get(action="receipt.assign").reason.startswith("银行户名截断")
    txn = LedgerTransaction.objects.get(kind="deposit_hold")
    assert {e.account.code: e.amount_fen for e in txn.entries.all()} == {
        "unmatched_receipts": rnd.deposit_fen, "deposits_held": -rnd.deposit_fen}
    # Assigning again is harmless.
    services.receipt_assign(receipt=receipt, reference=deposit.reference, actor=finance, reason="重复")
    assert LedgerTransaction.objects.filter(kind="deposit_hold").count() == 1
    assert check_ledger().ok


def test_a_wrong_amount_cannot_be_assigned_and_is_returned_instead(rnd: AuctionRound, bidder: User,
                                                                   finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", actor=finance,
                              content=csv_file(line("L1", "8000.00", "张三", deposit.reference, account="6222-9999")))
    receipt = Receipt.objects.get()
    with pytest.raises(RuleViolation) as exc:
        services.receipt_assign(receipt=receipt, reference=deposit.reference, actor=finance, reason="核实")
    assert exc.value.rule_code == "amount_mismatch"
    payout = services.receipt_return(receipt=receipt, actor=finance, reason="金额不符，原路退回")
    assert (payout.amount_fen, payout.payee_name, payout.payee_account) == (800_000, "张三", "6222-9999")
    assert balance("unmatched_receipts") == 0 and balance("refunds_payable") == -800_000
    services.payout_mark_paid(payout=payout, actor=finance, bank_reference="HK20260412001")
    assert balance("refunds_payable") == 0 and balance("clearing:bank_transfer") == 0
    assert check_ledger().ok


def test_a_released_bank_deposit_is_paid_back_to_the_account_it_came_from(
        rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    deposit = bank_deposit(rnd, bidder)
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", actor=finance,
                              content=csv_file(line("L1", "80000.00", "张三", deposit.reference)))
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    payout = Payout.objects.get()
    assert (payout.gateway, payout.payee_name, payout.payee_account, payout.status) == (
        "bank_transfer", "张三", "6222000011112222", "pending")
    assert check_ledger().ok


def test_a_transfer_after_the_round_closed_waits_in_the_queue(rnd: AuctionRound, bidder: User, finance: User,
                                                               frozen: clock.FrozenClock) -> None:
    deposit = bank_deposit(rnd, bidder)
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", actor=finance,
                              content=csv_file(line("L1", "80000.00", "张三", deposit.reference)))
    assert Receipt.objects.get().queue_reason == "not_payable"
    deposit.refresh_from_db()
    assert deposit.status == D.CANCELLED


def test_camt053_statements_are_read(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
  <Acct><Id><Othr><Id>110060224018800012345</Id></Othr></Id></Acct>
  <Ntry><Amt Ccy="CNY">80000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><DtTm>2026-04-11T11:00:00+08:00</DtTm>
    </BookgDt><AcctSvcrRef>B0001</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>张三</Nm></Dbtr>
    <DbtrAcct><Id><Othr><Id>6222000011112222</Id></Othr></Id></DbtrAcct></RltdPties>
    <RmtInf><Ustrd>保证金 {deposit.reference}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
  <Ntry><Amt Ccy="CNY">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-04-11</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()
    statement = services.statement_import(court=rnd.lot.case.court, filename="camt.xml", content=xml, actor=finance)
    assert (statement.format, statement.matched_count, statement.skipped_count) == ("camt053", 1, 1)
    deposit.refresh_from_db()
    assert deposit.status == D.HELD
    assert Receipt.objects.get().external_ref == "id:110060224018800012345:B0001"


def test_xml_with_entities_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Document>&a;</Document>'
    with pytest.raises(statements.StatementError):
        statements.parse(bomb, "x.xml")


def test_gb18030_files_and_credit_debit_columns(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = bank_deposit(rnd, bidder)
    text = (f"交易日期,贷方发生额,借方发生额,对方户名,摘要\n20260411,\"80,000.00\",,张三,{deposit.reference}\n"
            "20260411,,3.00,银行,费\n")
    services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=text.encode("gb18030"),
                              actor=finance)
    deposit.refresh_from_db()
    assert deposit.status == D.HELD


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty."),
    ("金额,付款人户名\n1.00,x\n".encode(), "must name at least the date and the amount"),
    ("交易时间,金额\n2026-04-11,1.001\n".encode(), "at most two decimals"),
    ("交易时间,金额\nyesterday,1.00\n".encode(), "is not a date"),
])
def test_bad_files_are_refused_and_change_nothing(rnd: AuctionRound, finance: User, content: bytes,
                                                  message: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(RuleViolation) as exc:
            services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=content, actor=finance)
        assert exc.value.rule_code == "bad_statement" and message in exc.value.text
    assert not BankStatement.objects.exists() and not Receipt.objects.exists()


def test_only_finance_staff_of_the_court_import(rnd: AuctionRound, clerk: User) -> None:
    with pytest.raises(PermissionDenied):
        services.statement_import(court=rnd.lot.case.court, filename="s.csv", content=csv_file(), actor=clerk)


def test_reference_and_name_rules() -> None:
    assert statements.find_reference("保证金 fp-7k2q 9x3m") == "FP7K2Q9X3M"
    assert statements.find_reference("FP0K2Q9X3M") == ""  # 0 is never in a reference
    assert statements.same_name("北京某某有限公司（朝阳）", "北京某某有限公司(朝阳)")
    assert statements.same_name("Zhang San", "zhang  san")
    assert not statements.same_name("", "")
    assert not statements.same_name("张三", "张三丰")
