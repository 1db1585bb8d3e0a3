"""Notifications in the app and by email: outbid, ending-soon reminders, won / ended, deposit released,
stayed and resumed, deadlines to staff — each once, in the reader's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from auction import services as auction_services
from auction.models import AuctionRound
from bidding import services
from bidding.models import EndReminder
from core import clock, jobs, notify
from core.errors import RuleViolation
from core.models import UserNotification
from settlement import services as settlement
from settlement.models import BalanceDue
from tests.bidding.conftest import register, reload

pytestmark = pytest.mark.django_db
S = AuctionRound.Status


def kinds(user) -> list[str]:
    return list(UserNotification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def place(user, rnd, client_id: str) -> None:
    rnd = reload(rnd)
    amount = rnd.current_price_fen + rnd.increment_fen if rnd.current_price_fen else rnd.start_price_fen
    assert services.bid_place(actor=user, rnd=rnd, client_id=client_id, amount_fen=amount, language="en").accepted


def test_outbid_won_ended_and_released(bidding_round, alice, bob, finance, frozen, client,
                                       django_capture_on_commit_callbacks):
    register(alice, bidding_round, finance=finance)
    register(bob, bidding_round, finance=finance)
    with django_capture_on_commit_callbacks(execute=True):
        place(alice, bidding_round, "a1")
        place(bob, bidding_round, "b1")
        place(alice, bidding_round, "a2")
    assert kinds(alice) == ["outbid"] and kinds(bob) == ["outbid"]
    # The bid path never waits for a mail server: the clock's job mails outbids, once, in the court language.
    assert not any("您的出价已被超过" in m.subject for m in mail.outbox)
    assert jobs.registered()["notify.emails"] is notify.send_pending_emails
    assert notify.send_pending_emails() == 2 and notify.send_pending_emails() == 0
    assert sum("您的出价已被超过" in m.subject for m in mail.outbox) == 2
    frozen.set(reload(bidding_round).effective_end + timedelta(seconds=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_due_rounds() == 1
    assert kinds(alice)[-1] == "won" and kinds(bob)[-2:] == ["deposit_released", "ended"]
    won = UserNotification.objects.get(user=alice, kind="won")
    assert won.params["code"] and won.emailed_at is not None
    assert notify.render(won.kind, won.params, "zh-hans").title.startswith("您已竞得")
    client.force_login(bob)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Deposit released" in page and "The auction has ended" in page
    assert "3 unread" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()  # the badge in the header
    client.post("/notifications/")
    assert not UserNotification.objects.filter(user=bob, read_at__isnull=True).exists()
    assert "王丽" not in page  # alice's name never reaches bob
    balance = BalanceDue.objects.get(round=bidding_round)
    frozen.set(clock.local_midnight(balance.due_on) + timedelta(hours=9))
    assert settlement.send_balance_reminders() == 1 and settlement.send_balance_reminders() == 0
    assert kinds(alice)[-1] == "balance_due"


def test_end_reminders_are_sent_once_and_counted(bidding_round, alice, bob, frozen, client):
    client.force_login(alice)
    client.post(f"/bidder/rounds/{bidding_round.pk}/reminder/", {"minutes_before": "15"})
    services.reminder_set(actor=bob, rnd=bidding_round, minutes_before=60)
    assert reload(bidding_round).reminder_count == 2
    with pytest.raises(RuleViolation):
        services.reminder_set(actor=bob, rnd=bidding_round, minutes_before=7)
    assert jobs.registered()["bidding.reminders"] is services.send_end_reminders
    frozen.set(reload(bidding_round).effective_end - timedelta(minutes=59))
    assert services.send_end_reminders() == 1 and kinds(bob) == ["ending_soon"] and kinds(alice) == []
    frozen.set(reload(bidding_round).effective_end - timedelta(minutes=14))
    assert services.send_end_reminders() == 1 and kinds(alice) == ["ending_soon"]
    assert services.send_end_reminders() == 0
    client.post(f"/bidder/rounds/{bidding_round.pk}/reminder/", {"minutes_before": "0"})
    assert not EndReminder.objects.filter(user=alice).exists() and reload(bidding_round).reminder_count == 1


def test_a_stay_and_a_resumption_reach_the_registrants(bidding_round, alice, finance, clerk, frozen):
    register(alice, bidding_round, finance=finance)
    auction_services.round_stay(actor=clerk, rnd=reload(bidding_round), reason="案外人异议")
    assert kinds(alice) == ["round_stayed"]
    assert UserNotification.objects.get(user=alice).params["reason"] == "案外人异议"


def test_staff_hear_of_deadlines_within_a_day_and_when_overdue(judge, frozen, clerk):
    from tests import builders

    rnd = builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen)
    period = 15 if rnd.lot.nature == "movable" else 30
    last_day = clock.local_date(rnd.bidding_start) - timedelta(days=period)
    frozen.set(clock.local_midnight(last_day) + timedelta(hours=9))
    assert jobs.registered()["court.deadlines"] is auction_services.notify_deadlines
    assert auction_services.notify_deadlines() >= 1
    assert auction_services.notify_deadlines() == 0  # once
    assert "deadline_soon" in kinds(clerk)
    frozen.set(clock.local_midnight(last_day + timedelta(days=1)) + timedelta(hours=9))
    auction_services.notify_deadlines()
    assert "deadline_overdue" in kinds(clerk)
