"""Deadlines at their boundaries with the frozen clock: 30 days from seizure (RP art.1), delivery
within 3 days (art.21), objections within 5 days of receipt, a public notice counting as received
after 15 days (arts.21–24), the sale within 10 days of the price (art.30); and the clock's reminders,
sent once per deadline however often it runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core import mail

from auction import services as auction_services
from auction.models import Lot
from core import clock, jobs
from core.errors import RuleViolation
from tests import builders
from tests.valuation.conftest import parties, platform_reports, unpriced_lot
from valuation import selectors, services
from valuation.models import Delivery, Objection, Report, Valuation, ValuationReminder

M = Lot.ReferenceMethod
pytestmark = pytest.mark.django_db
MON = date(2026, 3, 2)


def set_today(frozen: clock.FrozenClock, day: date) -> None:
    frozen.set(clock.local_midnight(day) + timedelta(hours=10))


def by_code(valuation: Valuation, today: date) -> dict[str, selectors.Deadline]:
    return {d.code: d for d in selectors.deadlines(valuation, today)}


def test_procedure_must_start_within_30_days_of_seizure(clerk: builders.User, court: builders.Court,
                                                         frozen: clock.FrozenClock) -> None:
    lot = unpriced_lot(builders.case(court), seized_on=date(2026, 2, 1))
    deadline = selectors.open_deadline(lot, clock.today(), None)
    assert deadline.due_on == date(2026, 3, 3)  # 1 February + 30 days
    assert deadline.days_left == 1 and not deadline.overdue
    set_today(frozen, date(2026, 3, 3))
    on_the_day = selectors.open_deadline(lot, clock.today(), None)
    assert on_the_day.days_left == 0 and not on_the_day.overdue
    set_today(frozen, date(2026, 3, 4))
    assert selectors.open_deadline(lot, clock.today(), None).overdue
    valuation = services.valuation_open(actor=clerk, lot=lot)  # late, but allowed, and shown as late
    opened = by_code(valuation, clock.today())["open"]
    assert opened.late and not opened.overdue


def test_delivery_within_3_days_and_objection_within_5(at_method: Callable[[str], Valuation], clerk: builders.User,
                                                       frozen: clock.FrozenClock) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    a = platform_reports(valuation)[0]
    services.online_inquiry_record(actor=clerk, report=a, price_fen=100_000_000, report_date=MON, received_on=MON)
    delivery = by_code(valuation, MON)[f"delivery:{a.pk}"]
    assert delivery.due_on == date(2026, 3, 5) and delivery.days_left == 3  # received Monday: by Thursday
    set_today(frozen, date(2026, 3, 6))
    assert by_code(valuation, clock.today())[f"delivery:{a.pk}"].overdue
    applicant, debtor = parties(valuation)
    services.reports_deliver(actor=clerk, valuation=valuation, party=applicant, method=Delivery.Method.SERVED,
                             delivered_on=clock.today(), proof="EMS1001")
    assert by_code(valuation, clock.today())[f"delivery:{a.pk}"].open  # the debtor still waits
    services.reports_deliver(actor=clerk, valuation=valuation, party=debtor, method=Delivery.Method.SERVED,
                             delivered_on=clock.today(), proof="EMS1002")
    sent = by_code(valuation, clock.today())[f"delivery:{a.pk}"]
    assert sent.done_on == date(2026, 3, 6) and sent.late
    # Received Friday 6 March: 5 days end Wednesday 11 March.
    assert selectors.objection_deadline(Delivery.objects.get(report=a, party=debtor)) == date(2026, 3, 11)
    set_today(frozen, date(2026, 3, 11))
    services.objection_file(actor=clerk, valuation=valuation, report=a, party=debtor, kind=Objection.Kind.PROCEDURAL,
                            ground=Objection.Ground.SCOPE, grounds_text="遗漏车位", filed_on=clock.today())
    set_today(frozen, date(2026, 3, 12))
    with pytest.raises(RuleViolation) as exc:
        services.objection_file(actor=clerk, valuation=valuation, report=a, party=applicant,
                                kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.SCOPE,
                                grounds_text="逾期异议", filed_on=clock.today())
    assert exc.value.rule_code == "objection_late"
    assert Objection.objects.count() == 1


def test_public_notice_counts_as_received_after_15_days(at_method: Callable[[str], Valuation],
                                                       clerk: builders.User) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    a = platform_reports(valuation)[0]
    services.online_inquiry_record(actor=clerk, report=a, price_fen=100_000_000, report_date=MON, received_on=MON)
    debtor = parties(valuation)[1]
    services.reports_deliver(actor=clerk, valuation=valuation, party=debtor, method=Delivery.Method.PUBLIC_NOTICE,
                             delivered_on=MON, proof="中国执行信息公开网公示")
    delivery = Delivery.objects.get(report=a, party=debtor)
    assert selectors.received_on(delivery) == date(2026, 3, 17)  # 2 March + 15
    assert selectors.objection_deadline(delivery) == date(2026, 3, 23)  # + 5 = Sunday 22 → Monday 23


def test_objections_need_a_delivered_report_and_the_right_kind(at_method: Callable[[str], Valuation],
                                                              clerk: builders.User) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    a = platform_reports(valuation)[0]
    services.online_inquiry_record(actor=clerk, report=a, price_fen=100_000_000, report_date=MON, received_on=MON)
    debtor = parties(valuation)[1]
    with pytest.raises(RuleViolation) as exc:
        services.objection_file(actor=clerk, valuation=valuation, report=a, party=debtor,
                                kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.BASIC_INFO,
                                grounds_text="面积有误", filed_on=MON)
    assert exc.value.rule_code == "not_delivered"
    services.reports_deliver(actor=clerk, valuation=valuation, party=debtor, method=Delivery.Method.SERVED,
                             delivered_on=MON, proof="送达回证")
    with pytest.raises(RuleViolation) as exc:  # the method or result: only against an appraisal
        services.objection_file(actor=clerk, valuation=valuation, report=a, party=debtor,
                                kind=Objection.Kind.METHOD_RESULT, ground=Objection.Ground.METHOD,
                                grounds_text="计算方法不当", filed_on=MON)
    assert exc.value.rule_code == "method_objection_not_allowed"
    with pytest.raises(RuleViolation) as exc:
        services.objection_file(actor=clerk, valuation=valuation, report=a, party=debtor,
                                kind=Objection.Kind.PROCEDURAL, ground=Objection.Ground.METHOD,
                                grounds_text="x", filed_on=MON)
    assert exc.value.rule_code == "procedural_ground"


def fixed_by_negotiation(valuation: Valuation, actor: builders.User) -> Valuation:
    for party in services.negotiating_parties(valuation):
        services.proposal_record(actor=actor, valuation=valuation, party=party, price_fen=100_000_000,
                                 proposed_on=clock.today())
    return services.negotiation_conclude(actor=actor, valuation=valuation, harms_nobody=True)


def test_sale_must_start_within_10_days_of_the_price(at_method: Callable[[str], Valuation], clerk: builders.User,
                                                     frozen: clock.FrozenClock) -> None:
    valuation = fixed_by_negotiation(at_method(M.NEGOTIATION), clerk)
    sale = by_code(valuation, clock.today())["sale_start"]
    assert sale.due_on == date(2026, 3, 12) and sale.days_left == 10
    validity = by_code(valuation, clock.today())["validity"]
    assert validity.due_on == date(2027, 3, 1)
    assert selectors.sale_deadline(valuation) == date(2027, 9, 1)  # a sale up to 6 months after (RP art.27)
    set_today(frozen, date(2026, 3, 12))
    assert not by_code(valuation, clock.today())["sale_start"].overdue  # the 10th day
    set_today(frozen, date(2026, 3, 13))
    assert by_code(valuation, clock.today())["sale_start"].overdue
    lot = Lot.objects.get(pk=valuation.lot_id)
    auction_services.round_create(actor=clerk, lot=lot, terms=builders.terms(80_000_000), **builders.TEXTS)
    sale = by_code(valuation, clock.today())["sale_start"]
    assert sale.done_on == date(2026, 3, 13) and sale.late


def test_reminders_are_sent_once_per_deadline_and_kind(clerk: builders.User, court: builders.Court,
                                                       frozen: clock.FrozenClock) -> None:
    clerk.email = "clerk@court.example"
    clerk.save()
    lot = unpriced_lot(builders.case(court), seized_on=date(2026, 2, 1))  # due 3 March
    assert set(jobs.registered()) >= {"valuation.reminders", "valuation.hand_over"}
    assert jobs.run_all()["valuation.reminders"] == 1  # due tomorrow
    assert jobs.run_all()["valuation.reminders"] == 0  # not again
    reminder = ValuationReminder.objects.get()
    assert (reminder.lot, reminder.code, reminder.kind, reminder.due_on) == (
        lot, "open", ValuationReminder.Kind.DUE_SOON, date(2026, 3, 3))
    assert reminder.recipients == 1 and mail.outbox[0].to == ["clerk@court.example"]
    set_today(frozen, date(2026, 3, 4))
    assert jobs.run_all()["valuation.reminders"] == 1  # now overdue: one more
    assert jobs.run_all()["valuation.reminders"] == 0
    assert list(ValuationReminder.objects.order_by("id").values_list("kind", flat=True)) == ["due_soon", "overdue"]
    services.valuation_open(actor=clerk, lot=lot)
    set_today(frozen, date(2026, 3, 5))
    assert jobs.run_all()["valuation.reminders"] == 0  # opened: the open deadline is met


def test_report_reminders_follow_the_platform_deadline(at_method: Callable[[str], Valuation], clerk: builders.User,
                                                       frozen: clock.FrozenClock) -> None:
    valuation = at_method(M.ONLINE_INQUIRY)
    services.online_inquiry_send(actor=clerk, valuation=valuation)
    set_today(frozen, date(2026, 3, 4))  # the day before Thursday's deadline
    from valuation import jobs as valuation_jobs

    assert valuation_jobs.send_reminders() == 3  # one per platform
    codes = set(ValuationReminder.objects.values_list("code", flat=True))
    assert codes == {f"inquiry:{r.pk}" for r in platform_reports(valuation)}
    assert all(r.kind == Report.Kind.ONLINE_INQUIRY for r in platform_reports(valuation))
