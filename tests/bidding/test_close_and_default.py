"""Closing a round settles its deposits in the same transaction (losers released, the winner's
applied, the balance opened), once, however often the clock runs; the default (悔拍) forfeits the
deposit and bars the buyer's identity from the re-auction of the lot, whatever the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from auction import services as auction_services
from auction.models import AuctionRound
from bidding import services
from bidding.models import Registration
from bidding.services import RegistrationInput
from core import clock, jobs
from core.errors import PermissionDenied, RuleViolation
from core.models import UserNotification
from settlement import services as settlement
from settlement.models import BalanceDue, Deposit, ForfeitEarmark, LedgerTransaction
from tests import builders
from tests.bidding.conftest import register, reload, sign_up

pytestmark = pytest.mark.django_db
S = AuctionRound.Status
RS = Registration.Status
D = Deposit.Status


def bid(rnd: AuctionRound, code: str, price_fen: int | None = None) -> AuctionRound:
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        price = price_fen if price_fen is not None else (locked.current_price_fen or locked.start_price_fen)
        auction_services.do_round_apply_bid(locked, price_fen=price, bidder_code=code, at=clock.now())
    return reload(rnd)


@pytest.fixture
def sold(bidding_round, alice, bob, make_bidder, finance, frozen):
    """Three qualified bidders and one who never paid; alice wins at the start price + one increment."""
    winner = register(alice, bidding_round, finance=finance)
    loser = register(bob, bidding_round, finance=finance)
    idle = register(make_bidder(), bidding_round, finance=finance)
    unpaid = register(make_bidder(), bidding_round)
    bid(bidding_round, loser.code)
    rnd = bid(bidding_round, winner.code, bidding_round.start_price_fen + bidding_round.increment_fen)
    frozen.set(rnd.effective_end)
    return {"rnd": rnd, "winner": winner, "loser": loser, "idle": idle, "unpaid": unpaid}


def test_the_close_job_is_bidding_s(sold):
    assert jobs.registered()["rounds.close"] is services.close_due_rounds


def test_close_settles_losers_winner_and_opens_the_balance_once(sold, frozen):
    rnd = sold["rnd"]
    assert services.close_due_rounds() == 1
    rnd = reload(rnd)
    assert rnd.status == S.SOLD and rnd.registrant_count == 3
    deposits = {k: Deposit.objects.get(registration=v) for k, v in sold.items() if k != "rnd"}
    assert deposits["winner"].status == D.APPLIED
    assert deposits["loser"].status == D.RELEASED and deposits["idle"].status == D.RELEASED
    assert deposits["unpaid"].status == D.CANCELLED
    balance = BalanceDue.objects.get(round=rnd)
    assert balance.deposit_id == deposits["winner"].pk
    assert balance.price_fen == rnd.current_price_fen
    assert balance.amount_fen == rnd.current_price_fen - rnd.deposit_fen
    postings = LedgerTransaction.objects.count()

    # The clock runs again (and again): nothing changes.
    frozen.advance(timedelta(minutes=1))
    assert services.close_due_rounds() == 0
    assert services.round_close_and_settle(rnd) is False
    assert LedgerTransaction.objects.count() == postings
    assert BalanceDue.objects.filter(round=rnd).count() == 1
    assert Deposit.objects.get(pk=deposits["loser"].pk).status == D.RELEASED


def test_failed_round_releases_everyone(bidding_round, alice, bob, finance, frozen):
    a, b = register(alice, bidding_round, finance=finance), register(bob, bidding_round, finance=finance)
    frozen.set(bidding_round.effective_end)
    assert services.close_due_rounds() == 1
    assert reload(bidding_round).status == S.FAILED
    assert {Deposit.objects.get(registration=r).status for r in (a, b)} == {D.RELEASED}
    assert not BalanceDue.objects.exists()


def test_nothing_is_closed_before_the_effective_end(sold, frozen):
    frozen.set(sold["rnd"].effective_end - timedelta(microseconds=1))
    assert services.close_due_rounds() == 0
    assert reload(sold["rnd"]).status == S.BIDDING


def test_a_leading_code_without_registration_leaves_the_round_open(bidding_round, alice, finance, frozen):
    register(alice, bidding_round, finance=finance)
    rnd = bid(bidding_round, "ZZZZZZ")
    frozen.set(rnd.effective_end)
    assert services.close_due_rounds() == 0  # logged, rolled back as a whole
    assert reload(rnd).status == S.BIDDING


def _overdue(frozen: clock.FrozenClock, rnd: AuctionRound) -> BalanceDue:
    balance = BalanceDue.objects.get(round=rnd)
    frozen.set(clock.local_midnight(balance.due_on + timedelta(days=1)) + timedelta(hours=9))
    return balance


def test_default_forfeits_bars_and_allows_the_re_auction(sold, frozen, clerk, judge, make_bidder):
    services.close_due_rounds()
    rnd, winner = reload(sold["rnd"]), sold["winner"]
    balance = BalanceDue.objects.get(round=rnd)
    frozen.set(clock.local_midnight(balance.due_on) + timedelta(hours=23))
    with pytest.raises(RuleViolation) as exc:
        services.registration_default(actor=clerk, registration=winner, reason="逾期未付尾款")
    assert exc.value.rule_code == "balance_not_overdue"
    with pytest.raises(RuleViolation) as exc:
        services.registration_default(actor=clerk, registration=sold["loser"], reason="逾期未付尾款")
    assert exc.value.rule_code == "not_the_buyer"
    _overdue(frozen, rnd)
    with pytest.raises(PermissionDenied):
        services.registration_default(actor=winner.bidder.user, registration=winner, reason="x")

    services.registration_default(actor=clerk, registration=winner, reason="买受人逾期未支付尾款")

    winner.refresh_from_db()
    assert winner.status == RS.DEFAULTED and winner.default_reason == "买受人逾期未支付尾款"
    deposit = Deposit.objects.get(pk=winner.deposit_id)
    assert deposit.status == D.FORFEITED
    assert ForfeitEarmark.objects.get(deposit=deposit).amount_fen == deposit.amount_fen
    assert BalanceDue.objects.get(round=rnd).status == BalanceDue.Status.DEFAULTED
    rnd = reload(rnd)
    assert rnd.status == S.SOLD and rnd.status_reason == "买受人逾期未支付尾款"
    # Recording it again changes nothing.
    assert services.registration_default(actor=clerk, registration=winner, reason="再次").status == RS.DEFAULTED

    # The re-auction of the lot: the defaulter is refused by identity, even with a new account.
    again = services.reauction_create(actor=judge, rnd=rnd, terms=builders.terms(starts_in_days=40),
                                      **builders.TEXTS)
    assert again.previous_round_id == rnd.pk and again.kind == rnd.kind
    builders.notify_all(again, judge)
    auction_services.round_record_panel_decision(actor=judge, rnd=again, decided_on=clock.today(), reference="评议2",
                                                 members=["甲", "乙", "丙"])
    frozen.advance(timedelta(days=3))
    while auction_services.notification_problems(again, clock.today()):
        frozen.advance(timedelta(days=1))
    again = auction_services.round_publish(actor=judge, rnd=again)
    from bidding import identity

    profile = winner.bidder
    number = identity.decrypt(profile.id_number_encrypted, profile.id_type).number
    new_account = sign_up("new-account", profile.name, number).user
    for user in (winner.bidder.user, new_account):
        with pytest.raises(RuleViolation) as exc:
            services.registration_start(actor=user, rnd=again, data=RegistrationInput(declaration=True))
        assert exc.value.rule_code == "defaulter"
    # Others may register, including the losers of the defaulted round.
    assert services.registration_start(actor=sold["loser"].bidder.user, rnd=again,
                                       data=RegistrationInput(declaration=True)).pk
    # The defaulter is barred only from this lot's re-auctions.
    other = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen,
                              lot_obj=builders.lot(builders.case(builders.court(), serial=9900)))
    assert services.registration_start(actor=new_account, rnd=other, data=RegistrationInput(declaration=True)).pk


def test_no_re_auction_without_a_default(sold, judge):
    services.close_due_rounds()
    with pytest.raises(RuleViolation) as exc:
        services.reauction_create(actor=judge, rnd=reload(sold["rnd"]), terms=builders.terms(starts_in_days=40))
    assert exc.value.rule_code == "no_default"


def test_after_the_close_each_bidder_s_registration_page_shows_the_outcome(sold, alice, bob, finance):
    assert services.close_due_rounds() == 1

    def page(who: str, user) -> str:
        client = Client()
        client.force_login(user)
        return client.get(reverse("bidding:registration", args=[sold[who].pk]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()

    pages = {"winner": page("winner", alice), "loser": page("loser", bob)}
    balance = BalanceDue.objects.get(round=sold["rnd"])
    pay = reverse("settlement:balance_pay", args=[balance.pk])
    won = pages["winner"]
    assert 'data-outcome="won"' in won and "You won this round" in won
    assert pay in won  # where the buyer pays
    assert reverse("bidding:confirmation", args=[sold["rnd"].pk]) in won
    assert "Go to the live auction" not in won
    lost = pages["loser"]
    assert 'data-outcome="lost"' in lost and f"You did not win: bidder {sold['winner'].code}" in lost
    assert "Your deposit was released at" in lost and pay not in lost
    notice = UserNotification.objects.get(user=alice, kind="won")
    assert notice.url == reverse("bidding:registration", args=[sold["winner"].pk])
    # Paid in full: the page says so and no longer offers to pay.
    settlement.balance_confirm_offline(balance=balance, amount_fen=balance.outstanding_fen, voucher="SJ-9",
                                       actor=finance)
    paid = page("winner", alice)
    assert "The balance is paid in full" in paid and pay not in paid
