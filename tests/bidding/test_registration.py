"""Registration for a round: the window (until the effective end, extensions included), the special
prompts one by one, the purchase qualification, proxies, priority holders, barred persons and
defaulters, the applicant creditor's deposit, and the bidder code when the deposit is held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from auction import rules
from auction import services as auction_services
from auction.models import AuctionRound, Claim, Lot, Party
from bidding import services
from bidding.models import BarredPerson, IssuedCode, PromptAcceptance, Registration, Review
from bidding.services import RegistrationInput
from core import clock
from core.errors import PermissionDenied, RuleViolation
from core.models import AuditRecord, User
from settlement import services as settlement
from settlement.models import Deposit
from tests import builders
from tests.bidding.conftest import accept_all, dep, new_round, pdf, person, register, reload, resident_id, sign_up

pytestmark = pytest.mark.django_db
S = AuctionRound.Status
RS = Registration.Status
SELF = RegistrationInput(declaration=True)


def codes(exc: RuleViolation) -> list[str]:
    return list(getattr(exc, "codes", [exc.rule_code]))


# --- the window ---------------------------------------------------------------------------------------


def test_registration_open_until_one_microsecond_before_the_effective_end(alice, bob, bidding_round, frozen):
    frozen.set(bidding_round.effective_end - timedelta(microseconds=1))
    assert services.registration_start(actor=alice, rnd=bidding_round, data=SELF).status == RS.DRAFT
    frozen.set(bidding_round.effective_end)
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=bob, rnd=bidding_round, data=SELF)
    assert exc.value.rule_code == "registration_closed"
    assert Registration.objects.count() == 1


def test_extensions_keep_registration_open(alice, bob, bidding_round, frozen):
    old_end = bidding_round.effective_end
    frozen.set(old_end - timedelta(minutes=1))
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=bidding_round.pk)
        auction_services.do_round_apply_bid(locked, price_fen=locked.start_price_fen, bidder_code="QQQQQQ",
                                            at=clock.now())
    rnd = reload(bidding_round)
    assert rnd.effective_end == old_end + timedelta(minutes=4)
    frozen.set(old_end + timedelta(minutes=1))
    reg = services.registration_start(actor=alice, rnd=rnd, data=SELF)
    accept_all(reg, alice)  # every step re-checks the window under the round lock
    frozen.set(rnd.effective_end)
    with pytest.raises(RuleViolation):
        services.registration_start(actor=bob, rnd=rnd, data=SELF)
    with pytest.raises(RuleViolation) as exc:
        services.registration_pay(actor=alice, registration=reg, gateway="offline")
    assert exc.value.rule_code == "registration_closed"


def test_registration_possible_once_announced_but_not_before(alice, judge, frozen):
    approved = new_round(S.PANEL_APPROVED, judge, frozen)
    with pytest.raises(RuleViolation):
        services.registration_start(actor=alice, rnd=approved, data=SELF)
    announced = new_round(S.ANNOUNCED, judge, frozen)
    assert services.registration_start(actor=alice, rnd=announced, data=SELF).pk


def test_only_bidders_with_a_profile_register(clerk, bidding_round):
    with pytest.raises(PermissionDenied):
        services.registration_start(actor=clerk, rnd=bidding_round, data=SELF)


def test_declaration_is_required(alice, bidding_round):
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(declaration=False))
    assert exc.value.field == "declaration"


def test_one_registration_per_account(alice, bidding_round):
    services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    assert exc.value.rule_code == "already_registered"


def test_the_same_identity_with_a_second_account_cannot_register_twice(bidding_round):
    number = resident_id(seq=42)
    first = sign_up("first", "陈一", number).user
    second = sign_up("second", "陈一", number).user
    services.registration_start(actor=first, rnd=bidding_round, data=SELF)
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=second, rnd=bidding_round, data=SELF)
    assert exc.value.rule_code == "identity_registered"


# --- the special prompts ------------------------------------------------------------------------------------


def test_prompts_must_be_accepted_in_order_and_each_is_stamped(alice, bidding_round, frozen):
    reg = services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    keys = [k for k, _label in rules.SPECIAL_PROMPTS]
    with pytest.raises(RuleViolation) as exc:
        services.prompt_accept(actor=alice, registration=reg, key=keys[1])
    assert exc.value.rule_code == "prompt_order"
    with pytest.raises(RuleViolation) as exc:
        services.registration_pay(actor=alice, registration=reg, gateway="offline")
    assert exc.value.rule_code == "registration_incomplete"
    stamps = []
    for key in keys:
        frozen.advance(timedelta(seconds=7))
        services.prompt_accept(actor=alice, registration=reg, key=key)
        stamps.append(clock.now())
    with pytest.raises(RuleViolation) as exc:
        services.prompt_accept(actor=alice, registration=reg, key=keys[0])
    rows = list(PromptAcceptance.objects.filter(registration=reg).order_by("position"))
    assert [r.key for r in rows] == keys
    assert [r.accepted_at for r in rows] == stamps
    assert [r.position for r in rows] == list(range(1, len(keys) + 1))


def test_someone_else_cannot_accept_my_prompts(alice, bob, bidding_round):
    reg = services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    with pytest.raises(PermissionDenied):
        services.prompt_accept(actor=bob, registration=reg, key=rules.SPECIAL_PROMPTS[0][0])


# --- the bidder code -----------------------------------------------------------------------------------------------


def test_code_is_assigned_exactly_when_the_offline_deposit_is_held(alice, bidding_round, finance):
    reg = register(alice, bidding_round)
    assert reg.status == RS.PAYMENT and reg.code == ""
    assert reg.deposit is not None and dep(reg).status == Deposit.Status.PENDING
    assert dep(reg).amount_fen == bidding_round.deposit_fen and dep(reg).payer_name == "王丽"
    assert reload(bidding_round).registrant_count == 0

    settlement.deposit_confirm_offline(deposit=dep(reg), actor=finance)  # → do_deposit_hold → our callback

    reg.refresh_from_db()
    assert reg.status == RS.QUALIFIED and reg.qualified_at == clock.now()
    assert len(reg.code) == 6 and IssuedCode.objects.filter(code=reg.code).exists()
    assert reload(bidding_round).registrant_count == 1
    assert not AuditRecord.objects.filter(after__icontains=reg.code).exists()  # the code never enters the log
    # Confirming again changes nothing: same code, same count.
    settlement.deposit_confirm_offline(deposit=dep(reg), actor=finance)
    assert Registration.objects.get(pk=reg.pk).code == reg.code
    assert reload(bidding_round).registrant_count == 1


def test_codes_are_unique_in_the_round_and_never_reused(judge, frozen, finance, make_bidder):
    rounds = [new_round(S.ANNOUNCED, judge, frozen) for _ in range(3)]
    issued: list[str] = []
    for rnd in rounds:
        for _n in range(12):
            issued.append(register(make_bidder(), rnd, finance=finance).code)
        assert reload(rnd).registrant_count == 12
    assert all(issued) and len(set(issued)) == len(issued) == 36
    assert IssuedCode.objects.count() == 36


def test_a_taken_code_is_drawn_again(alice, bidding_round, finance, monkeypatch):
    IssuedCode.objects.create(code="AAAAAA")
    draws = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr("bidding.codes.random_code", lambda: next(draws))
    assert register(alice, bidding_round, finance=finance).code == "BBBBBB"


def test_zero_deposit_qualifies_at_once(judge, frozen, make_bidder, clerk):
    rnd = new_round(S.ANNOUNCED, judge, frozen)
    case = rnd.lot.case
    applicant = case.parties.get(role=Party.Role.APPLICANT)
    Claim.objects.create(case=case, creditor=applicant, title_document="判决书", principal_fen=rnd.deposit_fen,
                         interest_fen=1, verified=True)
    user = make_bidder("某银行代表")
    reg = services.registration_start(actor=user, rnd=rnd, data=RegistrationInput(
        declaration=True, creditor_party=applicant, creditor_document=pdf()))
    accept_all(reg, user)
    with pytest.raises(RuleViolation) as exc:
        services.registration_pay(actor=user, registration=reg, gateway="offline")
    assert exc.value.rule_code == "registration_incomplete"  # the court must confirm the link first
    services.review_decide(actor=clerk, review=reg.reviews.get(kind=Review.Kind.CREDITOR), approve=True)
    deposit = services.registration_pay(actor=user, registration=reg, gateway="offline")
    reg.refresh_from_db()
    assert deposit.amount_fen == 0 and deposit.status == Deposit.Status.HELD
    assert reg.status == RS.QUALIFIED and reg.code and reg.deposit_due_fen == 0


@pytest.mark.parametrize(("claims", "verified_only", "expected"), [
    (3_000_000, 0, 5_000_000),  # deposit 8,000,000 − claim 3,000,000
    (8_000_000, 0, 0),
    (3_000_000, 4_000_000, 5_000_000),  # an unverified claim does not count
])
def test_applicant_creditor_pays_deposit_minus_verified_claims(judge, frozen, make_bidder, clerk, claims,
                                                               verified_only, expected):
    rnd = new_round(S.ANNOUNCED, judge, frozen)
    assert rnd.deposit_fen == 8_000_000
    applicant = rnd.lot.case.parties.get(role=Party.Role.APPLICANT)
    Claim.objects.create(case=rnd.lot.case, creditor=applicant, title_document="判决书", principal_fen=claims,
                         verified=True)
    if verified_only:
        Claim.objects.create(case=rnd.lot.case, creditor=applicant, title_document="另案", principal_fen=verified_only,
                             verified=False)
    user = make_bidder()
    reg = services.registration_start(actor=user, rnd=rnd, data=RegistrationInput(declaration=True,
                                                                                  creditor_party=applicant))
    accept_all(reg, user)
    services.review_decide(actor=clerk, review=reg.reviews.get(), approve=True)
    assert services.registration_pay(actor=user, registration=reg, gateway="offline").amount_fen == expected


def test_refused_creditor_link_pays_the_full_deposit(announced_round, alice, clerk):
    applicant = announced_round.lot.case.parties.get(role=Party.Role.APPLICANT)
    Claim.objects.create(case=announced_round.lot.case, creditor=applicant, title_document="判决书",
                         principal_fen=10**9, verified=True)
    reg = services.registration_start(actor=alice, rnd=announced_round, data=RegistrationInput(
        declaration=True, creditor_party=applicant))
    accept_all(reg, alice)
    services.review_decide(actor=clerk, review=reg.reviews.get(), approve=False, note="非申请执行人")
    deposit = services.registration_pay(actor=alice, registration=reg, gateway="offline")
    assert deposit.amount_fen == announced_round.deposit_fen


def test_only_the_applicant_can_claim_a_reduced_deposit(announced_round, alice):
    debtor = announced_round.lot.case.parties.get(role=Party.Role.DEBTOR)
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=announced_round, data=RegistrationInput(
            declaration=True, creditor_party=debtor))
    assert exc.value.rule_code == "not_applicant"


# --- barred persons and defaulters --------------------------------------------------------------------------------


def test_barred_court_staff_and_close_relatives_are_refused(bidding_round, court, clerk, make_bidder):
    staff_number, relative_number = resident_id(seq=501), resident_id(seq=502)
    services.barred_add(actor=clerk, category=BarredPerson.Category.COURT_STAFF, person=person("法官甲", staff_number),
                        court=court)
    services.barred_add(actor=clerk, category=BarredPerson.Category.RELATIVE,
                        person=person("法官甲之妻", relative_number), court=court, relation="法官甲的配偶")
    for number in (staff_number, relative_number):
        user = make_bidder("某人", number)
        with pytest.raises(RuleViolation) as exc:
            services.registration_start(actor=user, rnd=bidding_round, data=SELF)
        assert exc.value.rule_code == "barred"
    stored = BarredPerson.objects.get(id_masked__endswith=staff_number[-4:])
    assert staff_number not in str(stored.__dict__)
    assert Registration.objects.count() == 0


def test_a_barred_person_cannot_bid_through_a_proxy(bidding_round, court, clerk, alice):
    staff_number = resident_id(seq=503)
    services.barred_add(actor=clerk, category=BarredPerson.Category.COURT_STAFF, person=person("法官乙", staff_number),
                        court=court)
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(
            declaration=True, capacity="proxy", principal=person("法官乙", staff_number), proxy_document=pdf()))
    assert exc.value.rule_code == "barred"


def test_staff_of_another_court_are_not_barred_here_and_removal_lifts_the_bar(bidding_round, clerk, court, judge,
                                                                               make_bidder):
    other = builders.court(code="沪0115", name="上海市浦东新区人民法院")
    other_clerk = builders.staff_user("sh-clerk", other, roles=["court_staff"])
    number = resident_id(seq=504)
    services.barred_add(actor=other_clerk, category="court_staff", person=person("沪法官", number), court=other)
    user = make_bidder("沪法官", number)
    assert services.registration_start(actor=user, rnd=bidding_round, data=SELF).pk
    local = services.barred_add(actor=clerk, category="court_staff", person=person("京法官", resident_id(seq=505)),
                                court=court)
    services.barred_remove(actor=clerk, barred=local, reason="调离本院")
    user2 = make_bidder("京法官", resident_id(seq=505))
    assert services.registration_start(actor=user2, rnd=bidding_round, data=SELF).pk


def test_barring_at_every_court_needs_an_administrator(clerk):
    with pytest.raises(PermissionDenied):
        services.barred_add(actor=clerk, category="platform", person=person("平台员工"), court=None)


def test_a_bar_added_after_registration_stops_the_code(alice, bidding_round, finance, clerk, court):
    reg = register(alice, bidding_round)
    services.barred_add(actor=clerk, category="auxiliary", person=person("王丽", _alice_number(alice)), court=court)
    with pytest.raises(RuleViolation) as exc:
        settlement.deposit_confirm_offline(deposit=dep(reg), actor=finance)
    assert exc.value.rule_code == "barred"
    reg.refresh_from_db()
    assert reg.status == RS.PAYMENT and dep(reg).status == Deposit.Status.PENDING  # rolled back


def _alice_number(user: User) -> str:
    from bidding import identity

    profile = user.bidder_profile
    return identity.decrypt(profile.id_number_encrypted, profile.id_type).number


def test_debtor_and_applicant_may_register(bidding_round, make_bidder):
    case = bidding_round.lot.case
    debtor = case.parties.get(role=Party.Role.DEBTOR)
    user = make_bidder(debtor.name)
    assert services.registration_start(actor=user, rnd=bidding_round, data=SELF).status == RS.DRAFT


# --- proxies and priority holders ------------------------------------------------------------------------------------


def test_proxy_needs_the_principal_and_court_approval(alice, bidding_round, clerk, finance):
    from bidding import selectors

    data = RegistrationInput(declaration=True, capacity="proxy", principal=person("委托人", resident_id(seq=601)),
                             proxy_document=pdf("authorisation.pdf"))
    reg = register(alice, bidding_round, data, finance=finance)
    assert reg.status == RS.QUALIFIED and dep(reg).payer_name == "委托人"  # the bidder in law pays
    assert reg.principal_id_masked.startswith("110105") and "*" in reg.principal_id_masked
    assert not selectors.may_bid(reg)
    review = reg.reviews.get(kind=Review.Kind.PROXY)
    services.review_decide(actor=clerk, review=review, approve=True)
    assert selectors.may_bid(Registration.objects.get(pk=reg.pk))


def test_refused_proxy_refuses_the_registration(alice, bidding_round, clerk, finance):
    data = RegistrationInput(declaration=True, capacity="proxy", principal=person("委托人", resident_id(seq=602)),
                             proxy_document=pdf())
    reg = register(alice, bidding_round, data, finance=finance)
    assert reload(bidding_round).registrant_count == 1
    with pytest.raises(RuleViolation):
        services.review_decide(actor=clerk, review=reg.reviews.get(), approve=False)  # a reason is required
    services.review_decide(actor=clerk, review=reg.reviews.get(), approve=False, note="授权委托书未经公证")
    reg.refresh_from_db()
    assert reg.status == RS.DISQUALIFIED
    assert reload(bidding_round).registrant_count == 0


def test_proxy_without_authorisation_or_for_oneself_is_refused(alice, bidding_round):
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(
            declaration=True, capacity="proxy", principal=person("委托人", resident_id(seq=603))))
    assert exc.value.field == "proxy_document"
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(
            declaration=True, capacity="proxy", principal=person("王丽", _alice_number(alice)), proxy_document=pdf()))
    assert exc.value.rule_code == "proxy_is_principal"


def test_bad_principal_number_is_reported_on_its_field(alice, bidding_round):
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=alice, rnd=bidding_round, data=RegistrationInput(
            declaration=True, capacity="proxy", principal=person("委托人", "110105194912310020"), proxy_document=pdf()))
    assert exc.value.field == "principal_id_number"


def test_priority_holder_needs_the_panel_rank_and_the_court_link(judge, frozen, clerk, alice, bob):
    lot = builders.lot(builders.case(builders.court(), serial=8100))
    holder = auction_services.priority_holder_add(actor=judge, lot=lot, name="承租人王丽", basis="tenant", rank=2)
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot)
    reg = services.registration_start(actor=alice, rnd=rnd, data=RegistrationInput(
        declaration=True, priority_holder=holder, priority_document=pdf("lease.pdf")))
    assert not reg.is_priority
    services.review_decide(actor=clerk, review=reg.reviews.get(kind=Review.Kind.PRIORITY), approve=True)
    reg.refresh_from_db()
    assert reg.is_priority and reg.priority_rank == 2
    # A holder the panel did not confirm for this round cannot be claimed.
    stranger = auction_services.priority_holder_add(actor=judge, lot=builders.lot(builders.case(builders.court(),
                                                                                              serial=8101)),
                                                    name="他人", basis="co_owner")
    with pytest.raises(RuleViolation) as exc:
        services.registration_start(actor=bob, rnd=rnd, data=RegistrationInput(declaration=True,
                                                                               priority_holder=stranger))
    assert exc.value.rule_code == "priority_not_confirmed"


def test_purchase_restricted_real_estate_needs_promise_and_proof(judge, frozen, alice, clerk, finance):
    rnd = new_round(S.ANNOUNCED, judge, frozen, purchase_restricted=True)
    reg = services.registration_start(actor=alice, rnd=rnd, data=SELF)
    assert reg.qualification_required
    accept_all(reg, alice)
    with pytest.raises(RuleViolation):
        services.registration_pay(actor=alice, registration=reg, gateway="offline")
    with pytest.raises(RuleViolation) as exc:
        services.qualification_submit(actor=alice, registration=reg, promise=False, proof=None)
    assert set(codes(exc.value)) == {"promise_required", "document_required"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(RuleViolation) as exc:
        services.qualification_submit(actor=alice, registration=reg, promise=True,
                                      proof=SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf"))
    assert exc.value.rule_code == "bad_document"
    review = services.qualification_submit(actor=alice, registration=reg, promise=True, proof=pdf("hukou.pdf"))
    assert review.status == Review.Status.PENDING and str(review.document.name).endswith(".pdf")
    assert "-private" in review.document.path  # not under the public MEDIA_ROOT
    deposit = services.registration_pay(actor=alice, registration=reg, gateway="offline")
    settlement.deposit_confirm_offline(deposit=deposit, actor=finance)
    services.review_decide(actor=clerk, review=review, approve=True)
    assert Review.objects.get(pk=review.pk).status == Review.Status.APPROVED


def test_not_restricted_lot_needs_no_qualification(alice, bidding_round):
    assert bidding_round.lot.asset_type == Lot.AssetType.REAL_ESTATE and not bidding_round.lot.purchase_restricted
    reg = services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    assert not reg.qualification_required


# --- cancelling -------------------------------------------------------------------------------------------------


def test_cancel_before_payment_frees_the_identity(alice, bidding_round):
    reg = register(alice, bidding_round)
    services.registration_cancel(actor=alice, registration=reg)
    reg.refresh_from_db()
    assert reg.status == RS.CANCELLED and dep(reg).status == Deposit.Status.CANCELLED
    again = services.registration_start(actor=alice, rnd=bidding_round, data=SELF)
    assert again.pk != reg.pk


def test_change_payment_method(alice, bidding_round, finance):
    reg = register(alice, bidding_round)
    first = dep(reg)
    services.registration_payment_cancel(actor=alice, registration=reg)
    reg.refresh_from_db()
    assert reg.status == RS.DRAFT and reg.deposit is None
    assert Deposit.objects.get(pk=first.pk).status == Deposit.Status.CANCELLED
    deposit = services.registration_pay(actor=alice, registration=reg, gateway="offline")
    settlement.deposit_confirm_offline(deposit=deposit, actor=finance)
    assert Registration.objects.get(pk=reg.pk).status == RS.QUALIFIED


def test_a_qualified_registration_cannot_be_cancelled(alice, bidding_round, finance):
    reg = register(alice, bidding_round, finance=finance)
    with pytest.raises(RuleViolation):
        services.registration_cancel(actor=alice, registration=reg)


def test_payment_for_a_cancelled_registration_is_refused(alice, bidding_round, finance):
    reg = register(alice, bidding_round)
    deposit = dep(reg)
    Registration.objects.filter(pk=reg.pk).update(status=RS.DISQUALIFIED)
    with pytest.raises(RuleViolation) as exc:
        settlement.deposit_confirm_offline(deposit=deposit, actor=finance)
    assert exc.value.rule_code == "registration_not_awaiting"


def test_a_priority_holder_is_confirmed_for_one_registration_only(judge, frozen, clerk, alice, bob):
    lot = builders.lot(builders.case(builders.court(), serial=8200))
    holder = auction_services.priority_holder_add(actor=judge, lot=lot, name="共有人", basis="co_owner", rank=1)
    rnd = builders.round_in(S.ANNOUNCED, judge=judge, frozen=frozen, lot_obj=lot)
    first, second = (services.registration_start(actor=user, rnd=rnd, data=RegistrationInput(
        declaration=True, priority_holder=holder)) for user in (alice, bob))
    services.review_decide(actor=clerk, review=first.reviews.get(), approve=True)
    with pytest.raises(RuleViolation) as exc:
        services.review_decide(actor=clerk, review=second.reviews.get(), approve=True)
    assert exc.value.rule_code == "priority_taken"
    services.review_decide(actor=clerk, review=second.reviews.get(), approve=False, note="非该共有人")
    assert not Registration.objects.get(pk=second.pk).is_priority
    assert Registration.objects.get(pk=second.pk).status == RS.DRAFT  # an ordinary bidder now
