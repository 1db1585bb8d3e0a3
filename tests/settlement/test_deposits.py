"""The deposit lifecycle on the offline gateway (the embedded default): open, confirm, hold (with the
on_deposit_held callbacks), release, apply, forfeit and round_settle, with their ledger postings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group

from auction import services as auction_services
from auction.models import AuctionRound
from core import clock
from core.errors import PermissionDenied, RuleViolation, RuleViolations
from core.models import AuditRecord, User
from settlement import hooks, ledger, services
from settlement.models import Deposit, ForfeitEarmark, LedgerAccount, LedgerTransaction, Payout, Receipt
from settlement.selectors import check_ledger
from tests import builders
from tests.settlement import factories

pytestmark = pytest.mark.django_db
D = Deposit.Status
S = AuctionRound.Status
CLOCK = "system:clock"


def balance(code: str) -> int:
    account = LedgerAccount.objects.filter(code=code).first()
    return account.balance_fen if account else 0


def codes(exc: RuleViolation) -> list[str]:
    return list(getattr(exc, "codes", [exc.rule_code]))


@pytest.fixture
def held_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    calls: list[tuple[str, str]] = []
    monkeypatch.setattr(hooks, "_held", [])
    monkeypatch.setattr(hooks, "_released", [])
    hooks.on_deposit_held(lambda d: calls.append(("held", d.reference)))
    hooks.on_deposit_released(lambda d: calls.append(("released", d.reference)))
    yield calls


def test_offline_deposit_is_held_when_finance_confirms(rnd: AuctionRound, bidder: User, finance: User,
                                                       held_calls: list[Any]) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=" 张三 ", gateway="offline",
                                    actor=bidder)
    assert deposit.status == D.PENDING and deposit.owner == bidder and deposit.payer_name == "张三"
    assert len(deposit.reference) == 10 and deposit.reference.startswith("FP")
    assert not set(deposit.reference[2:]) & set("01OIL")
    assert held_calls == []

    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/back/")
    assert (start.action, start.reference, start.amount_fen) == ("instructions", deposit.reference, rnd.deposit_fen)
    assert start.page_url == f"/finance/pay/deposit/{deposit.pk}/"

    deposit = services.deposit_confirm_offline(deposit=deposit, actor=finance)
    assert deposit.status == D.HELD and deposit.hold_mode == Deposit.HoldMode.FUNDS
    assert deposit.held_at == clock.now()
    assert held_calls == [("held", deposit.reference)]
    assert balance("clearing:offline") == rnd.deposit_fen
    assert balance("deposits_held") == -rnd.deposit_fen
    txn = LedgerTransaction.objects.get(kind="deposit_hold")
    assert txn.deposit == deposit and txn.receipt == Receipt.objects.get(deposit=deposit)
    assert AuditRecord.objects.filter(object_type="settlement.deposit", action="deposit.hold").count() == 1

    # Confirming again changes nothing.
    services.deposit_confirm_offline(deposit=deposit, actor=finance)
    assert LedgerTransaction.objects.count() == 1 and held_calls == [("held", deposit.reference)]
    assert check_ledger().ok


def test_unsold_round_releases_every_deposit_and_finance_pays_out(
        rnd: AuctionRound, bidder: User, other_bidder: User, finance: User, frozen: clock.FrozenClock,
        held_calls: list[Any]) -> None:
    a = factories.held_offline(rnd, bidder, finance, "张三")
    b = factories.held_offline(rnd, other_bidder, finance, "李四")
    unpaid = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="王五", gateway="offline",
                                   actor=factories.bidder("bidder3"))
    rnd = factories.close(rnd, frozen)
    assert rnd.status == S.FAILED

    assert services.settle_due_rounds() == 3
    for d in (a, b):
        d.refresh_from_db()
        assert d.status == D.RELEASED and d.released_at == clock.now()
        assert d.release_due_at == factories.ended_at(rnd) + services.SETTLE_WITHIN
    unpaid.refresh_from_db()
    assert unpaid.status == D.CANCELLED
    assert ("released", a.reference) in held_calls and ("released", b.reference) in held_calls
    assert balance("deposits_held") == 0
    assert balance("refunds_payable") == -2 * rnd.deposit_fen
    payouts = list(Payout.objects.order_by("pk"))
    assert [(p.payee_name, p.status, p.gateway) for p in payouts] == [("张三", "pending", "offline"),
                                                                      ("李四", "pending", "offline")]
    assert services.settle_due_rounds() == 0  # the clock again: nothing more

    for p in payouts:
        services.payout_mark_paid(payout=p, actor=finance, bank_reference=f"BANK-{p.pk}")
    services.payout_mark_paid(payout=payouts[0], actor=finance, bank_reference="again")
    assert balance("refunds_payable") == 0 and balance("clearing:offline") == 0
    assert Payout.objects.get(pk=payouts[0].pk).external_ref == f"BANK-{payouts[0].pk}"
    assert check_ledger().ok


def test_winner_applied_to_the_case_account_and_losers_released(
        rnd: AuctionRound, bidder: User, other_bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance, "张三")
    loser = factories.held_offline(rnd, other_bidder, finance, "李四")
    rnd = factories.sell(rnd, winner, frozen)
    winner.refresh_from_db()
    loser.refresh_from_db()
    assert (winner.status, winner.settle_as) == (D.APPLIED, "apply")
    assert (loser.status, loser.settle_as) == (D.RELEASED, "release")
    case_acct = ledger.case_account(rnd.lot.case)
    assert case_acct.balance_fen == -rnd.deposit_fen
    assert case_acct.account_reference == ledger.virtual_account_number(rnd.lot.case)
    assert balance("deposits_held") == 0
    assert Payout.objects.get().deposit == loser

    count = LedgerTransaction.objects.count()
    result = services.round_settle(rnd=rnd, winning_deposit=winner, actor=CLOCK)
    assert result.changed == 0 and LedgerTransaction.objects.count() == count
    with pytest.raises(RuleViolation) as exc:
        services.round_settle(rnd=rnd, winning_deposit=loser, actor=CLOCK)
    assert codes(exc.value) == ["winner_not_held"]
    assert check_ledger().ok


def test_a_sold_round_needs_its_winner_and_an_open_round_cannot_be_settled(
        rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    with pytest.raises(RuleViolation) as exc:
        services.round_settle(rnd=rnd, winning_deposit=None, actor=CLOCK)
    assert codes(exc.value) == ["round_not_finished"]
    with pytest.raises(RuleViolation) as exc:
        services.deposit_release(deposit=deposit, actor=finance)
    assert codes(exc.value) == ["round_not_finished"]
    factories.bid(rnd)
    rnd = factories.close(rnd, frozen)
    with pytest.raises(RuleViolation) as exc:
        services.round_settle(rnd=rnd, winning_deposit=None, actor=CLOCK)
    assert codes(exc.value) == ["winner_required"]
    # Until the winner is known, finance cannot release anything of a sold round by hand.
    with pytest.raises(RuleViolation) as exc:
        services.deposit_release(deposit=deposit, actor=finance)
    assert codes(exc.value) == ["not_to_release"]


def test_default_forfeits_the_whole_deposit_into_earmarked_case_funds(
        rnd: AuctionRound, bidder: User, finance: User, judge: User, frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen)
    with pytest.raises(RuleViolation) as exc:
        services.deposit_forfeit(deposit=winner, actor=judge, reason=" ")
    assert codes(exc.value) == ["reason_required"]
    with pytest.raises(PermissionDenied):
        services.deposit_forfeit(deposit=winner, actor=finance, reason="买受人未在期限内支付尾款")

    earmark = services.deposit_forfeit(deposit=winner, actor=judge, reason="买受人未在期限内支付尾款")
    winner.refresh_from_db()
    assert winner.status == D.FORFEITED and winner.forfeited_at == clock.now()
    assert earmark.amount_fen == winner.amount_fen and earmark.case == rnd.lot.case
    assert earmark.plan == ["auction_costs", "re_auction_shortfall", "case_debt", "property_debts"]
    assert ledger.case_account(rnd.lot.case).balance_fen == 0
    assert ledger.forfeit_account(rnd.lot.case).balance_fen == -winner.amount_fen
    assert not Payout.objects.exists()  # nothing of the deposit is refunded (WP art.24)

    again = services.deposit_forfeit(deposit=winner, actor=judge, reason="重复提交")
    assert again == earmark and ForfeitEarmark.objects.count() == 1
    assert check_ledger().ok


def test_only_the_buyers_deposit_can_be_forfeited(rnd: AuctionRound, bidder: User, other_bidder: User,
                                                   finance: User, judge: User, frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    loser = factories.held_offline(rnd, other_bidder, finance, "李四")
    with pytest.raises(RuleViolation) as exc:
        services.deposit_forfeit(deposit=winner, actor=judge, reason="悔拍")
    assert codes(exc.value) == ["not_forfeitable"]
    factories.sell(rnd, winner, frozen)
    with pytest.raises(RuleViolation) as exc:
        services.deposit_forfeit(deposit=loser, actor=judge, reason="悔拍")
    assert codes(exc.value) == ["not_forfeitable"]


def test_a_zero_deposit_is_held_at_once_without_money(rnd: AuctionRound, bidder: User,
                                                      held_calls: list[Any], frozen: clock.FrozenClock) -> None:
    """An applicant creditor whose verified claim covers the deposit pays nothing (WP art.17)."""
    deposit = services.deposit_open(rnd=rnd, amount_fen=0, payer_name="某银行股份有限公司", gateway="offline",
                                    actor=bidder)
    assert deposit.status == D.HELD and deposit.hold_mode == Deposit.HoldMode.NO_MONEY
    assert held_calls == [("held", deposit.reference)]
    assert not LedgerTransaction.objects.exists()
    factories.close(rnd, frozen)
    services.settle_due_rounds()
    deposit.refresh_from_db()
    assert deposit.status == D.RELEASED and not Payout.objects.exists()
    assert check_ledger().ok


def test_opening_a_deposit_refuses_bad_input_and_changes_nothing(rnd: AuctionRound, bidder: User,
                                                                 frozen: clock.FrozenClock) -> None:
    with pytest.raises(RuleViolations) as many:
        services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen + 1, payer_name="", gateway="stripe", actor=bidder)
    assert set(codes(many.value)) == {"amount_above_deposit", "payer_name_required", "gateway_not_allowed"}
    with pytest.raises(RuleViolation) as exc:
        services.deposit_open(rnd=rnd, amount_fen=-1, payer_name="张三", gateway="offline", actor=bidder)
    assert codes(exc.value) == ["bad_amount"]
    frozen.set(rnd.effective_end)  # registration is open until the effective end, not at it (WP art.18)
    with pytest.raises(RuleViolation) as exc:
        services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline", actor=bidder)
    assert codes(exc.value) == ["round_not_accepting"]
    assert not Deposit.objects.exists() and not AuditRecord.objects.filter(action="deposit.open").exists()


def test_a_deposit_can_be_opened_until_the_extended_end(rnd: AuctionRound, bidder: User,
                                                        frozen: clock.FrozenClock) -> None:
    frozen.set(rnd.effective_end - timedelta(minutes=1))
    rnd = factories.bid(rnd)  # extends the end by 5 minutes from now (WP art.20)
    frozen.set(rnd.bidding_end)
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    assert deposit.status == D.PENDING


def test_a_callback_that_raises_rolls_the_hold_back(rnd: AuctionRound, bidder: User, finance: User,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_held", [])

    def refuse(deposit: Deposit) -> None:
        raise RuleViolation("barred", code="barred")

    hooks.on_deposit_held(refuse)
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    with pytest.raises(RuleViolation):
        services.deposit_confirm_offline(deposit=deposit, actor=finance)
    deposit.refresh_from_db()
    assert deposit.status == D.PENDING
    assert not Receipt.objects.exists() and not LedgerTransaction.objects.exists()
    assert not AuditRecord.objects.filter(action="deposit.hold").exists()


def test_who_may_do_what(rnd: AuctionRound, bidder: User, other_bidder: User, finance: User, clerk: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    with pytest.raises(PermissionDenied):
        services.deposit_payment_start(deposit=deposit, actor=other_bidder, return_url="/")
    for actor in (bidder, clerk):
        with pytest.raises(PermissionDenied):
            services.deposit_confirm_offline(deposit=deposit, actor=actor)
    other_court = builders.court("沪0101", "上海市黄浦区人民法院")
    outsider = builders.staff_user("finance2", other_court, roles=["finance"])
    with pytest.raises(PermissionDenied) as exc:
        services.deposit_confirm_offline(deposit=deposit, actor=outsider)
    assert exc.value.rule_code == "wrong_court"
    with pytest.raises(PermissionDenied):
        services.deposit_cancel(deposit=deposit, actor=other_bidder)
    services.deposit_cancel(deposit=deposit, actor=bidder)
    deposit.refresh_from_db()
    assert deposit.status == D.CANCELLED
    # Court staff cancel the unpaid deposit of a registration the court refused.
    refused = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    assert services.deposit_cancel(deposit=refused, actor=clerk, reason="代理未获法院确认").status == D.CANCELLED


def test_withdrawn_round_releases_deposits_through_the_clock(rnd: AuctionRound, bidder: User, finance: User,
                                                            judge: User) -> None:
    deposit = factories.held_offline(rnd, bidder, finance)
    auction_services.round_withdraw(actor=judge, rnd=rnd, reason="被执行人已履行全部义务")
    assert services.settle_due_rounds() == 1
    deposit.refresh_from_db()
    assert deposit.status == D.RELEASED
    assert deposit.release_due_at == factories.reload(rnd).status_changed_at + services.SETTLE_WITHIN


def test_finance_staff_role_is_checked_by_group(rnd: AuctionRound, bidder: User, finance: User) -> None:
    deposit = services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name="张三", gateway="offline",
                                    actor=bidder)
    finance.groups.remove(Group.objects.get(name="finance"))
    finance = User.objects.get(pk=finance.pk)
    with pytest.raises(PermissionDenied):
        services.deposit_confirm_offline(deposit=deposit, actor=finance)
