"""Publishing the auction notice: blocked until every WP art.13 package item and every WP art.14
special-prompt input is there (each item tested alone), and until every party and known priority
holder was notified at least 3 days before, waived it, or was posted publicly 5 days (+3) before
(WP art.16). T0 is Monday 2 March 2026; bidding is scheduled for 16 April so the 30-day notice
period never interferes unless a test wants it to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.utils import translation

from auction import services
from auction.models import AuctionRound, Court, Lot, LotAttachment, Notification, Party
from core import clock
from core.errors import RuleViolation
from core.models import AuditRecord
from tests import builders
from tests.auction.conftest import reload

S = AuctionRound.Status
M = Notification.Method
Codes = Callable[[RuleViolation], list[str]]

pytestmark = pytest.mark.django_db


def local(day: date, hour: int = 10) -> datetime:
    return clock.local_midnight(day) + timedelta(hours=hour)


@pytest.fixture
def draft(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    return services.round_create(actor=judge, lot=lot_obj, terms=builders.terms(starts_in_days=45), **builders.TEXTS)


@pytest.fixture
def ready(draft: AuctionRound, judge: builders.User, frozen: clock.FrozenClock,
          approve: Callable[[AuctionRound], AuctionRound]) -> AuctionRound:
    """Approved, everyone notified on 2 March, clock on Thursday 5 March: publishable."""
    builders.notify_all(draft, judge)
    approve(draft)
    frozen.set(local(date(2026, 3, 5)))
    return reload(draft)


def publish_refused(judge: builders.User, rnd: AuctionRound) -> RuleViolation:
    records = AuditRecord.objects.count()
    with translation.override("en"), pytest.raises(RuleViolation) as exc_info:
        services.round_publish(actor=judge, rnd=rnd)
    assert reload(rnd).status == S.PANEL_APPROVED
    assert reload(rnd).notice_published_at is None
    assert AuditRecord.objects.count() == records
    return exc_info.value


def english(exc: RuleViolation) -> str:
    with translation.override("en"):
        return exc.text


def test_a_complete_round_is_published(ready: AuctionRound, judge: builders.User) -> None:
    rnd = services.round_publish(actor=judge, rnd=ready)
    assert (rnd.status, rnd.notice_published_at, rnd.status_changed_at) == (S.ANNOUNCED, clock.now(), clock.now())
    rec = AuditRecord.objects.filter(object_type="auction.auctionround", object_id=str(rnd.pk)).last()
    assert rec is not None
    assert (rec.action, rec.before["status"], rec.after["status"]) == ("round.publish", "panel_approved", "announced")


def test_a_round_is_published_once(ready: AuctionRound, judge: builders.User, codes: Codes) -> None:
    services.round_publish(actor=judge, rnd=ready)
    with pytest.raises(RuleViolation) as exc_info:
        services.round_publish(actor=judge, rnd=ready)
    assert codes(exc_info.value) == ["transition_not_allowed"]


def test_the_package_lists_every_item(draft: AuctionRound, approve: Callable[[AuctionRound], AuctionRound]) -> None:
    keys = ["notice", "judgment", "pricing_basis", "rules", "condition", "priority", "notified", "payment", "taxes",
            "contact", "defects", "viewing", "qualifications"]
    before = {i.key: i.ok for i in services.notice_package(draft)}
    assert list(before) == keys
    # (6) is the panel's decision on priority holders; (7) waits for the notifications.
    assert [k for k, ok in before.items() if not ok] == ["priority", "notified"]
    approve(draft)
    assert [i.key for i in services.notice_package(reload(draft)) if not i.ok] == ["notified"]


def _blank_round(field: str) -> Callable[[AuctionRound], object]:
    return lambda rnd: AuctionRound.objects.filter(pk=rnd.pk).update(**{field: "  "})


def _lot(**values: object) -> Callable[[AuctionRound], object]:
    return lambda rnd: Lot.objects.filter(pk=rnd.lot_id).update(**values)


def _court(**values: object) -> Callable[[AuctionRound], object]:
    return lambda rnd: Court.objects.filter(pk=rnd.lot.case.court_id).update(**values)


def _delete_attachment(kind: str) -> Callable[[AuctionRound], object]:
    return lambda rnd: LotAttachment.objects.filter(lot_id=rnd.lot_id, kind=kind).delete()


MISSING = {
    "notice text": (_blank_round("notice_text"), "(1) Auction notice"),
    "judgment": (_delete_attachment(LotAttachment.Kind.JUDGMENT),
                 "(2) The judgment being enforced, or why it is not published"),
    "pricing basis": (_delete_attachment(LotAttachment.Kind.PRICING_BASIS), "(3) Appraisal report or pricing basis"),
    "bidding rules": (_blank_round("terms_text"), "(4) Time, start price and bidding rules"),
    "photos": (lambda rnd: rnd.lot.photos.all().delete(),
               "(5) Photos and a description of title, occupancy and obligations"),
    "occupancy": (_lot(occupancy=" "), "(5) Photos and a description of title, occupancy and obligations"),
    "possession": (_lot(possession=Lot.Possession.NOT_STATED),
                   "(5) Photos and a description of title, occupancy and obligations"),
    "payment": (_blank_round("payment_text"), "(8) Deposit, payment method and account"),
    "taxes": (lambda rnd: rnd.lot.tax_allocations.all().delete(), "(9) Transfer taxes and who bears them"),
    "court phone": (_court(phone=""), "(10) Court contact and supervision channel"),
    "supervision phone": (_court(supervision_phone=""), "(10) Court contact and supervision channel"),
    "known defects": (_lot(known_defects=" "), "Special prompt: known defects (or “none known”)"),
    "viewing": (_lot(viewing=""), "Special prompt: how to ask for a viewing"),
    "qualifications of a restricted house": (_lot(purchase_restricted=True, special_qualifications=""),
                                             "Special prompt: bidder qualifications"),
}


@pytest.mark.parametrize("missing", list(MISSING))
def test_each_missing_item_blocks_publication(ready: AuctionRound, judge: builders.User, codes: Codes,
                                              missing: str) -> None:
    knock_out, label = MISSING[missing]
    knock_out(ready)
    exc = publish_refused(judge, ready)
    assert codes(exc) == ["package_incomplete"]
    assert english(exc) == f"The notice package is incomplete (WP arts.13, 14): {label}."
    with translation.override("zh-hans"):
        assert label in exc.text


def test_several_missing_items_are_listed_together(ready: AuctionRound, judge: builders.User) -> None:
    _blank_round("notice_text")(ready)
    _lot(viewing="")(ready)
    assert english(publish_refused(judge, ready)) == (
        "The notice package is incomplete (WP arts.13, 14): (1) Auction notice; "
        "Special prompt: how to ask for a viewing.")


def test_a_secret_judgment_needs_a_stated_reason(ready: AuctionRound, judge: builders.User, codes: Codes) -> None:
    _delete_attachment(LotAttachment.Kind.JUDGMENT)(ready)
    AuctionRound.objects.filter(pk=ready.pk).update(judgment_secret=True, judgment_secret_reason="")
    assert codes(publish_refused(judge, ready)) == ["package_incomplete"]
    AuctionRound.objects.filter(pk=ready.pk).update(judgment_secret_reason="涉及国家秘密")
    assert services.round_publish(actor=judge, rnd=ready).status == S.ANNOUNCED


def test_the_reference_document_is_a_pricing_basis(ready: AuctionRound, judge: builders.User) -> None:
    _delete_attachment(LotAttachment.Kind.PRICING_BASIS)(ready)
    _lot(reference_document="reference/report.pdf")(ready)
    assert services.round_publish(actor=judge, rnd=ready).status == S.ANNOUNCED


def test_possession_not_applicable_is_a_statement(ready: AuctionRound, judge: builders.User) -> None:
    _lot(possession=Lot.Possession.NOT_APPLICABLE)(ready)
    assert services.round_publish(actor=judge, rnd=ready).status == S.ANNOUNCED


def test_qualifications_are_needed_only_where_they_apply(ready: AuctionRound, judge: builders.User) -> None:
    _lot(purchase_restricted=False, special_qualifications="")(ready)
    assert services.round_publish(actor=judge, rnd=ready).status == S.ANNOUNCED


def test_equity_always_states_the_qualifications(court: builders.Court, judge: builders.User,
                                                 frozen: clock.FrozenClock,
                                                 approve: Callable[[AuctionRound], AuctionRound],
                                                 codes: Codes) -> None:
    lot = builders.lot(builders.case(court), asset_type="equity", special_qualifications="")
    rnd = services.round_create(actor=judge, lot=lot, terms=builders.terms(starts_in_days=45), **builders.TEXTS)
    builders.notify_all(rnd, judge)
    approve(rnd)
    frozen.advance(timedelta(days=3))
    exc = publish_refused(judge, rnd)
    assert english(exc) == "The notice package is incomplete (WP arts.13, 14): Special prompt: bidder qualifications."


def test_the_notice_period_counts_from_the_publication_day(lot_obj: Lot, judge: builders.User,
                                                           frozen: clock.FrozenClock, codes: Codes,
                                                           approve: Callable[[AuctionRound], AuctionRound]) -> None:
    # Lawful when drafted on 2 March (30 days end on 1 April), too short when published on 5 March.
    start = clock.local_midnight(date(2026, 4, 1)) + timedelta(hours=10)
    terms = services.RoundTerms(80_000_000, 500_000, 8_000_000, start, start + timedelta(days=1))
    rnd = services.round_create(actor=judge, lot=lot_obj, terms=terms, **builders.TEXTS)
    builders.notify_all(rnd, judge)
    approve(rnd)
    frozen.set(local(date(2026, 3, 5)))
    assert codes(publish_refused(judge, rnd)) == ["notice_period_too_short"]


# --- notification of parties and priority holders (WP art.16) ------------------------------------


def notify(judge: builders.User, rnd: AuctionRound, method: str, at: datetime | None = None, *,
           party: Party | None = None, holder: object = None, reason: str = "") -> Notification:
    return services.notification_record(actor=judge, rnd=rnd, method=method, at=at or clock.now(), proof="送达回证",
                                        party=party, priority_holder=holder,  # type: ignore[arg-type]
                                        unreachable_reason=reason)


@pytest.fixture
def approved(draft: AuctionRound, approve: Callable[[AuctionRound], AuctionRound]) -> AuctionRound:
    return approve(draft)


def parties(rnd: AuctionRound) -> tuple[Party, Party]:
    case = rnd.lot.case
    return case.parties.get(role=Party.Role.APPLICANT), case.parties.get(role=Party.Role.DEBTOR)


def test_nobody_notified_blocks_publication(approved: AuctionRound, judge: builders.User,
                                            frozen: clock.FrozenClock, codes: Codes) -> None:
    frozen.advance(timedelta(days=10))
    exc = publish_refused(judge, approved)
    assert codes(exc) == ["notification_pending"]
    assert english(exc) == ("Parties and priority holders must be notified at least 3 days before the notice "
                            "(WP art.16): 某银行股份有限公司 has not been notified. 张某 has not been notified.")
    with translation.override("zh-hans"):
        assert "张某" in exc.text


@pytest.mark.parametrize(("published_on", "ok"), [(date(2026, 3, 4), False), (date(2026, 3, 5), True)])
def test_written_notice_at_least_3_days_before(approved: AuctionRound, judge: builders.User,
                                               frozen: clock.FrozenClock, codes: Codes, published_on: date,
                                               ok: bool) -> None:
    builders.notify_all(approved, judge)  # Monday 2 March
    frozen.set(local(published_on))
    if ok:
        assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED
    else:
        exc = publish_refused(judge, approved)
        assert codes(exc) == ["notification_pending"]
        assert "某银行股份有限公司: the notice can be published from 2026-03-05." in english(exc)


@pytest.mark.parametrize(("published_on", "ok"), [(date(2026, 3, 8), False), (date(2026, 3, 9), True)])
def test_a_notification_period_ending_on_sunday_moves_to_monday(approved: AuctionRound, judge: builders.User,
                                                                frozen: clock.FrozenClock, codes: Codes,
                                                                published_on: date, ok: bool) -> None:
    frozen.set(local(date(2026, 3, 5)))  # Thursday: day 3 is Sunday 8 March
    builders.notify_all(approved, judge)
    frozen.set(local(published_on))
    if ok:
        assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED
    else:
        assert "the notice can be published from 2026-03-09" in english(publish_refused(judge, approved))


def test_a_written_waiver_allows_publication_the_same_day(approved: AuctionRound, judge: builders.User) -> None:
    applicant, debtor = parties(approved)
    notify(judge, approved, M.WAIVED, party=applicant)
    notify(judge, approved, M.WAIVED, party=debtor)
    assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED


def test_each_recipient_is_judged_on_its_own_notification(approved: AuctionRound, judge: builders.User,
                                                          frozen: clock.FrozenClock) -> None:
    applicant, debtor = parties(approved)
    notify(judge, approved, M.WAIVED, party=applicant)
    notify(judge, approved, M.ELECTRONIC, party=debtor)
    message = english(publish_refused(judge, approved))
    assert "张某: the notice can be published from 2026-03-05." in message
    assert "某银行股份有限公司" not in message
    frozen.set(local(date(2026, 3, 5)))
    assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED


def test_the_earliest_notification_of_a_recipient_counts(approved: AuctionRound, judge: builders.User,
                                                         frozen: clock.FrozenClock) -> None:
    builders.notify_all(approved, judge)  # 2 March
    frozen.set(local(date(2026, 3, 5)))
    builders.notify_all(approved, judge)  # again on 5 March
    assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED


@pytest.mark.parametrize(("published_on", "ok"), [(date(2026, 3, 11), False), (date(2026, 3, 12), True)])
def test_public_posting_is_deemed_after_5_days_then_3_more(approved: AuctionRound, judge: builders.User,
                                                           frozen: clock.FrozenClock, codes: Codes,
                                                           published_on: date, ok: bool) -> None:
    # Posted Monday 2 March: deemed served on day 5 (Saturday 7 March → Monday 9 March), notice from day 3
    # after that (Thursday 12 March).
    applicant, debtor = parties(approved)
    notify(judge, approved, M.WRITTEN, party=applicant)
    notify(judge, approved, M.PUBLIC_POSTING, party=debtor, reason="下落不明")
    frozen.set(local(published_on))
    if ok:
        assert services.round_publish(actor=judge, rnd=approved).status == S.ANNOUNCED
    else:
        exc = publish_refused(judge, approved)
        assert codes(exc) == ["notification_pending"]
        assert english(exc).endswith("(WP art.16): 张某: the notice can be published from 2026-03-12.")


def test_public_posting_needs_the_reason_the_recipient_is_unreachable(approved: AuctionRound, judge: builders.User,
                                                                      codes: Codes) -> None:
    _, debtor = parties(approved)
    with pytest.raises(RuleViolation) as exc_info:
        notify(judge, approved, M.PUBLIC_POSTING, party=debtor, reason="  ")
    assert codes(exc_info.value) == ["unreachable_reason"]
    assert not Notification.objects.exists()


def test_known_priority_holders_are_notified_too(lot_obj: Lot, judge: builders.User, frozen: clock.FrozenClock,
                                                 approve: Callable[[AuctionRound], AuctionRound]) -> None:
    holder = services.priority_holder_add(actor=judge, lot=lot_obj, name="承租人李某", basis="tenant")
    rnd = services.round_create(actor=judge, lot=lot_obj, terms=builders.terms(starts_in_days=45), **builders.TEXTS)
    applicant, debtor = parties(rnd)
    notify(judge, rnd, M.WRITTEN, party=applicant)
    notify(judge, rnd, M.WRITTEN, party=debtor)
    approve(rnd)
    frozen.set(local(date(2026, 3, 5)))
    assert english(publish_refused(judge, rnd)).endswith("(WP art.16): 承租人李某 has not been notified.")
    notify(judge, rnd, M.PHONE, holder=holder)
    frozen.set(local(date(2026, 3, 8)))  # Sunday: day 3 after 5 March
    assert "承租人李某: the notice can be published from 2026-03-09." in english(publish_refused(judge, rnd))
    frozen.set(local(date(2026, 3, 9)))
    assert services.round_publish(actor=judge, rnd=rnd).status == S.ANNOUNCED


def test_notification_is_recorded_after_the_fact_not_in_advance(approved: AuctionRound, judge: builders.User,
                                                                codes: Codes) -> None:
    applicant, _ = parties(approved)
    with pytest.raises(RuleViolation) as exc_info:
        notify(judge, approved, M.WRITTEN, clock.now() + timedelta(microseconds=1), party=applicant)
    assert codes(exc_info.value) == ["notified_in_future"]
    assert notify(judge, approved, M.WRITTEN, clock.now(), party=applicant).at == clock.now()


def test_a_notification_has_one_recipient_of_this_case_and_a_proof(approved: AuctionRound, judge: builders.User,
                                                                   court: builders.Court, codes: Codes) -> None:
    applicant, _ = parties(approved)
    holder = approved.lot.priority_holders.create(name="共有人王某", basis="co_owner")
    with pytest.raises(RuleViolation) as both:
        notify(judge, approved, M.WRITTEN, party=applicant, holder=holder)
    assert codes(both.value) == ["one_recipient"]
    with pytest.raises(RuleViolation) as neither:
        notify(judge, approved, M.WRITTEN)
    assert codes(neither.value) == ["one_recipient"]
    stranger = builders.case(court, serial=9999).parties.get(role=Party.Role.DEBTOR)
    with pytest.raises(RuleViolation) as other_case:
        notify(judge, approved, M.WRITTEN, party=stranger)
    assert codes(other_case.value) == ["bad_party"]
    with pytest.raises(RuleViolation) as no_proof:
        services.notification_record(actor=judge, rnd=approved, method=M.WRITTEN, at=clock.now(), proof=" ",
                                     party=applicant)
    assert codes(no_proof.value) == ["proof_required"]
    assert not Notification.objects.exists()


def test_package_and_notification_problems_are_reported_together(approved: AuctionRound, judge: builders.User,
                                                                  codes: Codes) -> None:
    _lot(known_defects="")(approved)
    assert codes(publish_refused(judge, approved)) == ["package_incomplete", "notification_pending"]
