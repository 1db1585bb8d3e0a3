"""The balance (尾款): its due date from the close (rolled past rest days), partial payments through
each gateway, paid in full → ready for the sale ruling, reminders, and the money side of a default."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client

from auction.models import AuctionRound
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import CalendarDay, User
from settlement import ledger, services
from settlement.models import BalanceDue, BalancePayment, BalanceReminder, Deposit, LedgerAccount, Payout, Receipt
from settlement.selectors import balance_status, check_ledger
from tests.settlement import factories
from tests.settlement.conftest import BANK

pytestmark = pytest.mark.django_db
B = BalanceDue.Status
PRICE = 85_000_000


def balance(code: str) -> int:
    account = LedgerAccount.objects.filter(code=code).first()
    return account.balance_fen if account else 0


@pytest.fixture
def sold(rnd: AuctionRound, bidder: User, finance: User, frozen: clock.FrozenClock) -> tuple[AuctionRound, Deposit]:
    """Closes on Sunday 12 April 2026 at 10:00 (Beijing) for ¥850,000; the deposit (¥80,000) is applied."""
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen, price_fen=PRICE)
    winner.refresh_from_db()
    return rnd, winner


def open_balance(rnd: AuctionRound, winner: Deposit) -> BalanceDue:
    return services.balance_open(rnd=rnd, deposit=winner, price_fen=PRICE, actor="system:clock")


def test_the_balance_is_the_price_less_the_deposit_due_ten_days_after_the_close(
        sold: tuple[AuctionRound, Deposit]) -> None:
    rnd, winner = sold
    assert clock.local_date(factories.ended_at(rnd)) == date(2026, 4, 12)
    b = open_balance(rnd, winner)
    assert (b.amount_fen, b.deposit_credit_fen, b.price_fen) == (PRICE - rnd.deposit_fen, rnd.deposit_fen, PRICE)
    assert b.due_on == date(2026, 4, 22) and b.status == B.OPEN and b.reference.startswith("FB")
    assert b.owner == winner.owner
    assert open_balance(rnd, winner).pk == b.pk  # idempotent
    status = balance_status(rnd=rnd)
    assert status is not None and not status.ready_for_ruling and status.outstanding_fen == b.amount_fen


def test_a_due_date_on_a_rest_day_moves_to_the_next_working_day(sold: tuple[AuctionRound, Deposit]) -> None:
    rnd, winner = sold
    AuctionRound.objects.filter(pk=rnd.pk).update(balance_due_days=6)  # 18 April 2026 is a Saturday
    CalendarDay.objects.create(date=date(2026, 4, 20), kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    b = open_balance(factories.reload(rnd), winner)
    assert b.due_on == date(2026, 4, 21)


def test_a_balance_is_only_for_the_winner_of_a_sold_round(rnd: AuctionRound, bidder: User, other_bidder: User,
                                                          finance: User, frozen: clock.FrozenClock,
                                                          clerk: User) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    loser = factories.held_offline(rnd, other_bidder, finance, "李四")
    with pytest.raises(RuleViolation) as exc:
        services.balance_open(rnd=rnd, deposit=winner, price_fen=PRICE, actor="system:clock")
    assert exc.value.rule_code == "not_sold"
    rnd = factories.sell(rnd, winner, frozen)
    with pytest.raises(RuleViolation):
        services.balance_open(rnd=rnd, deposit=loser, price_fen=PRICE, actor=clerk)
    services.balance_open(rnd=rnd, deposit=winner, price_fen=PRICE, actor=clerk)
    with pytest.raises(RuleViolation) as exc:
        services.balance_open(rnd=rnd, deposit=loser, price_fen=PRICE, actor="system:clock")
    assert exc.value.rule_code == "balance_exists"


def test_partial_payments_until_ready_for_the_sale_ruling(sold: tuple[AuctionRound, Deposit], bidder: User,
                                                          finance: User, settings: object) -> None:
    rnd, winner = sold
    for name, value in BANK.items():
        setattr(settings, name, value)
    b = open_balance(rnd, winner)
    # Offline, recorded by finance under a voucher number; recording it again changes nothing.
    first = services.balance_confirm_offline(balance=b, amount_fen=70_000_000, voucher="SJ-001", actor=finance)
    assert services.balance_confirm_offline(balance=b, amount_fen=70_000_000, voucher="SJ-001",
                                            actor=finance).pk == first.pk
    with pytest.raises(RuleViolation) as exc:
        services.balance_confirm_offline(balance=b, amount_fen=1, voucher="SJ-001", actor=finance)
    assert exc.value.rule_code == "voucher_used"
    with pytest.raises(PermissionDenied):
        services.balance_confirm_offline(balance=b, amount_fen=1, voucher="SJ-002", actor=bidder)
    # The rest by bank transfer quoting the balance's reference: too much goes to the claim queue.
    start = services.balance_payment_start(balance=b, gateway="bank_transfer", amount_fen=5_000_000, actor=bidder,
                                           return_url="/")
    assert start.reference == b.reference and start.amount_fen == 5_000_000
    header = "交易流水号,交易时间,金额,付款人户名,附言\n"
    too_much = f"B1,2026-04-14 09:00,70000.01,张三,尾款 {b.reference}\n"
    services.statement_import(court=rnd.lot.case.court, filename="a.csv", content=(header + too_much).encode(),
                              actor=finance)
    assert Receipt.objects.get(external_ref__endswith=":B1").queue_reason == "amount_mismatch"
    exact = f"B2,2026-04-15 09:00,70000.00,张三,尾款 {b.reference}\n"
    services.statement_import(court=rnd.lot.case.court, filename="b.csv", content=(header + exact).encode(),
                              actor=finance)
    b.refresh_from_db()
    assert (b.paid_fen, b.status) == (b.amount_fen, B.PAID) and b.paid_at == clock.now()
    status = balance_status(balance=b)
    assert status is not None and status.ready_for_ruling and status.outstanding_fen == 0
    assert ledger.case_account(rnd.lot.case).balance_fen == -PRICE
    assert BalancePayment.objects.filter(status="received").count() == 2
    with pytest.raises(RuleViolation) as exc:
        services.balance_payment_start(balance=b, gateway="offline", amount_fen=1, actor=bidder, return_url="/")
    assert exc.value.rule_code == "balance_not_open"
    assert check_ledger().ok


def test_only_the_buyer_starts_a_balance_payment(sold: tuple[AuctionRound, Deposit], other_bidder: User) -> None:
    b = open_balance(*sold)
    with pytest.raises(PermissionDenied):
        services.balance_payment_start(balance=b, gateway="offline", amount_fen=1, actor=other_bidder, return_url="/")


def test_a_default_forfeits_the_deposit_and_refunds_balance_payments(
        sold: tuple[AuctionRound, Deposit], judge: User, finance: User) -> None:
    rnd, winner = sold
    b = open_balance(rnd, winner)
    services.balance_confirm_offline(balance=b, amount_fen=1_000_000, voucher="SJ-9", actor=finance)
    services.deposit_forfeit(deposit=winner, actor=judge, reason="逾期未付尾款")
    b.refresh_from_db()
    assert b.status == B.DEFAULTED
    payment = BalancePayment.objects.get()
    assert payment.status == "refunded"
    payout = Payout.objects.get()
    assert (payout.reason, payout.amount_fen, payout.status) == ("balance_refund", 1_000_000, "pending")
    assert ledger.case_account(rnd.lot.case).balance_fen == 0
    assert ledger.forfeit_account(rnd.lot.case).balance_fen == -rnd.deposit_fen
    assert balance("refunds_payable") == -1_000_000
    assert check_ledger().ok


def test_a_paid_balance_cannot_default(sold: tuple[AuctionRound, Deposit], judge: User, finance: User) -> None:
    rnd, winner = sold
    b = open_balance(rnd, winner)
    services.balance_confirm_offline(balance=b, amount_fen=b.amount_fen, voucher="SJ-1", actor=finance)
    with pytest.raises(RuleViolation) as exc:
        services.deposit_forfeit(deposit=winner, actor=judge, reason="悔拍")
    assert exc.value.rule_code == "balance_paid"


def test_nothing_left_to_pay_is_paid_at_once(sold: tuple[AuctionRound, Deposit]) -> None:
    """A sell-off prepays the whole price as its deposit, so nothing is left when it closes."""
    rnd, winner = sold
    b = services.balance_open(rnd=rnd, deposit=winner, price_fen=winner.amount_fen, actor="system:clock")
    assert (b.amount_fen, b.status) == (0, B.PAID)


def test_reminders_once_per_milestone(sold: tuple[AuctionRound, Deposit], frozen: clock.FrozenClock) -> None:
    rnd, winner = sold
    b = open_balance(rnd, winner)  # due Wednesday 22 April
    at_ten = clock.local_midnight(date(2026, 4, 18)) + timedelta(hours=10)
    frozen.set(at_ten)  # 4 days before: nothing yet
    assert services.send_balance_reminders() == 0
    seen = []
    for day, milestone in [(19, "due_in_3_days"), (21, "due_tomorrow"), (22, "due_today"), (23, "overdue")]:
        frozen.set(clock.local_midnight(date(2026, 4, day)) + timedelta(hours=10))
        assert services.send_balance_reminders() == 1
        assert services.send_balance_reminders() == 0
        seen.append(milestone)
        assert list(BalanceReminder.objects.filter(balance=b).values_list("milestone", flat=True)) == seen


def test_a_card_balance_payment_is_received_through_the_webhook(
        sold: tuple[AuctionRound, Deposit], bidder: User, stripe_enabled: dict[str, str], client: Client) -> None:
    from tests.settlement.stripe_helpers import deliver, event, intent, pay

    rnd, winner = sold
    b = open_balance(rnd, winner)
    start = services.balance_payment_start(balance=b, gateway="stripe", amount_fen=3_000_000, actor=bidder,
                                           return_url="/")
    again = services.balance_payment_start(balance=b, gateway="stripe", amount_fen=3_000_000, actor=bidder,
                                           return_url="/")
    assert again.gateway_ref == start.gateway_ref and not start.manual_capture
    pay(start.gateway_ref)
    response = deliver(client, event("evt_b", "payment_intent.succeeded", intent(start.gateway_ref).to_dict()))
    assert response.status_code == 200
    b.refresh_from_db()
    assert b.paid_fen == 3_000_000 and BalancePayment.objects.get().status == "received"
    assert balance("clearing:stripe") == 3_000_000
    assert check_ledger().ok
