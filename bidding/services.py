"""Every write of the bidding app: bidder sign-up, registration for a round (declaration, the special
prompts one by one, purchase qualification, proxy, priority holder, applicant creditor), the
deposit through settlement, the bidder code when the deposit is held, the court's reviews, the
barred list, the close of a round with its settlement, and the default (悔拍).

Locks (docs/locking.md): every function that changes a registration locks its round first (2),
then the registration (3); settlement then locks deposits (4) and the audit chain head comes last
(5). The round lock also makes the registration window exact: a bid that extends the end holds the
same lock, so "before the effective end" is read under it.

Anonymity (WP art.18): audit records of registrations never contain the bidder code, so nothing
written here links a code to a person before the round has finished; the code lives only in the
registration row, which no staff page or API shows before then."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from auction import rules
from auction import services as auction_services
from auction.models import AuctionRound, Court, Lot, Party, PriorityHolder
from auction.services import RoundTerms, check_court_staff, do_round_close
from bidding import chain, codes, confirmation, identity, selectors
from bidding.identity import IdentityNumber, IdType
from bidding.models import (
    BarredPerson,
    Bid,
    BidChainSeal,
    BidderProfile,
    BidRejection,
    EndReminder,
    PersonKind,
    PromptAcceptance,
    Registration,
    Review,
    SaleConfirmation,
)
from bidding.screening import services as screening
from core import audit, clock, faults, notify
from core.errors import PermissionDenied, Problems, RuleViolation
from core.models import User
from core.money import MAX_FEN, format_fen
from core.roles import Role, has_role
from core.transitions import TransitionTable
from core.uploads import validate_document
from settlement import services as settlement
from settlement.models import BalanceDue, Deposit

log = logging.getLogger("fapai.bidding")

S = AuctionRound.Status
RS = Registration.Status
RK = Review.Kind
RV = Review.Status
CLOCK = "system:clock"
# The code follows the deposit hold, whoever or whatever caused it (finance staff, a bank statement, a webhook).
SYSTEM = "system"

REGISTRATION_TRANSITIONS = TransitionTable(
    "registration",
    {
        RS.DRAFT: {RS.PAYMENT, RS.CANCELLED, RS.DISQUALIFIED},
        RS.PAYMENT: {RS.DRAFT, RS.QUALIFIED, RS.CANCELLED, RS.DISQUALIFIED},
        RS.QUALIFIED: {RS.DISQUALIFIED, RS.DEFAULTED},
        RS.CANCELLED: set(),
        RS.DISQUALIFIED: set(),
        RS.DEFAULTED: set(),
    },
)
STATUS_LABELS = dict(RS.choices)
AUDIT_ACTIONS = {
    "round.bids_sealed": _("Bid record sealed"),
    "round.confirmation": _("Sale confirmation published"),
    "bidder.signup": _("Bidder account opened"),
    "registration.start": _("Registration started"),
    "registration.prompt": _("Special prompt accepted"),
    "registration.qualification": _("Purchase qualification promised"),
    "registration.deposit": _("Deposit chosen"),
    "registration.payment_cancel": _("Deposit payment cancelled"),
    "registration.qualify": _("Qualified: bidder code assigned"),
    "registration.cancel": _("Registration cancelled"),
    "registration.disqualify": _("Registration refused by the court"),
    "registration.default": _("Buyer defaulted (悔拍)"),
    "review.approve": _("Confirmed by the court"),
    "review.refuse": _("Refused by the court"),
    "barred.add": _("Barred person added"),
    "barred.remove": _("Barred person removed"),
    "round.identities_viewed": _("Bidder identities viewed"),
    "round.ruling_served": _("Sale ruling served on the buyer"),
    "round.handed_over": _("Property handed over to the buyer"),
    "round.default": _("Default recorded on the round"),
}


# --- bidders ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInput:
    """A person or organisation as typed: the bidder at sign-up, or the principal of a proxy."""

    kind: str
    name: str
    id_type: str
    id_number: str
    nationality: str = ""
    legal_representative: str = ""


def check_person(person: PersonInput, problems: Problems, prefix: str = "") -> IdentityNumber | None:
    """Validate the document against the person type: an individual shows a resident ID or a passport,
    an organisation its unified social credit code and names its legal representative."""
    if person.kind not in PersonKind.values:
        problems.add(_("Choose individual or organisation."), "kind", field=f"{prefix}kind")
        return None
    if not person.name.strip():
        problems.add(_("The real name is required."), "required", field=f"{prefix}name")
    allowed = [IdType.USCC] if person.kind == PersonKind.COMPANY else [IdType.RESIDENT_ID, IdType.PASSPORT]
    if person.id_type not in allowed:
        problems.add(_("An organisation registers with its unified social credit code; an individual with a "
                       "resident ID number or a passport."), "id_type_mismatch", field=f"{prefix}id_type")
        return None
    if person.kind == PersonKind.COMPANY and not person.legal_representative.strip():
        problems.add(_("Name the legal representative."), "required", field=f"{prefix}legal_representative")
    try:
        return identity.parse_identity(person.id_type, person.id_number, person.nationality)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            for message in errors:
                problems.add(message, "identity_invalid", field=f"{prefix}{name}")
    return None


def bidder_signup(*, username: str, password: str, email: str, phone: str, person: PersonInput,
                  address: str = "") -> BidderProfile:
    """Open a bidder account with a real-name identity (WP art.17: bidders register under their real
    identity). The identity number is validated with its check digit and stored only encrypted, with
    a keyed hash for screening and a masked form for display (docs/identity.md)."""
    problems = Problems()
    username = username.strip()
    if not username:
        problems.add(_("Choose a user name."), "required", field="username")
    elif User.objects.filter(username__iexact=username).exists():
        problems.add(_("This user name is taken."), "username_taken", field="username")
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        for message in exc.messages:
            problems.add(message, "weak_password", field="password")
    if not phone.strip():
        problems.add(_("A mobile phone number is required."), "required", field="phone")
    number = check_person(person, problems)
    problems.raise_if_any()
    assert number is not None
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email.strip(),
                                        display_name=person.name.strip())
        user.groups.add(Group.objects.get(name=Role.BIDDER))
        profile = BidderProfile.objects.create(
            user=user, kind=person.kind, name=person.name.strip(), id_type=number.id_type,
            id_number_encrypted=identity.encrypt(number), id_hash=identity.keyed_hash(number),
            id_masked=number.masked, nationality=number.nationality,
            legal_representative=person.legal_representative.strip() if person.kind == PersonKind.COMPANY else "",
            phone=phone.strip(), address=address.strip())
        audit.record(actor=user, action="bidder.signup", obj=profile,
                     after=audit.snapshot(profile, ["kind", "id_type", "id_masked"]))
    return profile


def _profile_of(actor: Any) -> BidderProfile:
    profile = selectors.profile_of(actor)
    if profile is None or not has_role(actor, Role.BIDDER):
        raise PermissionDenied(_("Only a bidder with a real-name profile can register."), code="not_a_bidder")
    return profile


# --- screening ---------------------------------------------------------------------------------------------


def check_not_barred(rnd: AuctionRound, *, bidder_hash: str, principal_hash: str | None = None) -> None:
    """WP art.34: the enforcing court, the platform operator, auxiliary service bodies, their staff and
    close relatives may not bid, neither themselves nor through a proxy; WP art.24: the buyer who
    defaulted on an earlier round of the same lot may not bid again. Matched by the verified identity
    (keyed hash), never by account. The debtor and the applicant may bid (PB art.12)."""
    subjects = [(bidder_hash, _("You")), *([(principal_hash, _("The principal"))] if principal_hash else [])]
    court = rnd.lot.case.court
    for digest, who in subjects:
        barred = (BarredPerson.objects.filter(id_hash=digest, removed_at__isnull=True)
                  .filter(Q(court__isnull=True) | Q(court=court)).first())
        if barred is not None:
            raise RuleViolation(_("%(who)s may not bid on this lot: %(category)s may not take part in the "
                                  "court's auctions, neither directly nor through a proxy (WP art.34)."),
                                code="barred", params={"who": who, "category": barred.get_category_display()})
        if selectors.defaulted_on_lot(rnd.lot, digest):
            raise RuleViolation(_("%(who)s defaulted as the buyer of an earlier round of this lot and may not bid "
                                  "in its re-auction (WP art.24)."), code="defaulter", params={"who": who})


def _principal_hash(reg: Registration) -> str | None:
    return reg.identity_hash if reg.is_proxy else None


def _rescreen(reg: Registration) -> None:
    check_not_barred(reg.round, bidder_hash=reg.bidder.id_hash, principal_hash=_principal_hash(reg))


# --- registration -------------------------------------------------------------------------------------------


def _lock_round(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.select_for_update(of=("self",)).select_related("lot__case__court").get(pk=rnd.pk)


def _lock_registration(reg: Registration) -> tuple[AuctionRound, Registration]:
    """Round, then registration (the lock order)."""
    rnd = _lock_round(reg.round)
    locked = (Registration.objects.select_for_update(of=("self",))
              .select_related("bidder", "round__lot__case__court", "deposit").get(pk=reg.pk))
    return rnd, locked


def _require_open(rnd: AuctionRound) -> None:
    """Registration and deposits are accepted until the round's effective end, extensions included
    (WP art.18; trap 4). Read under the round lock."""
    if not selectors.registration_open(rnd):
        raise RuleViolation(_("Registration for this round is closed."), code="registration_closed")


def _require_owner(actor: Any, reg: Registration) -> None:
    if isinstance(actor, str) or actor is None or reg.bidder.user_id != actor.pk:
        raise PermissionDenied(_("This registration belongs to someone else."), code="not_owner")


def _set_status(reg: Registration, target: str, *, actor: Any, action: str, reason: str = "",
                changes: dict[str, Any] | None = None) -> None:
    """Move a registration to `target` and write its audit record (which never carries the code)."""
    REGISTRATION_TRANSITIONS.check(reg.status, target, STATUS_LABELS)
    before: dict[str, Any] = {"status": reg.status}
    after: dict[str, Any] = {"status": target}
    reg.status = target
    fields = ["status"]
    for name, value in (changes or {}).items():
        if name != "code":
            before[name] = audit.jsonable(getattr(reg, name))
            after[name] = audit.jsonable(value)
        setattr(reg, name, value)
        fields.append(name)
    reg.save(update_fields=fields)
    audit.record(actor=actor, action=action, obj=reg, before=before, after=after, reason=reason)


@dataclass(frozen=True)
class RegistrationInput:
    declaration: bool
    capacity: str = Registration.Capacity.SELF
    principal: PersonInput | None = None
    proxy_document: UploadedFile | None = None
    priority_holder: PriorityHolder | None = None
    priority_document: UploadedFile | None = None
    creditor_party: Party | None = None
    creditor_document: UploadedFile | None = None


def _check_document(f: UploadedFile | None, field: str, problems: Problems, *, required: bool) -> None:
    if f is None:
        if required:
            problems.add(_("Attach the document."), "document_required", field=field)
        return
    try:
        validate_document(f)
    except ValidationError as exc:
        for message in exc.messages:
            problems.add(message, "bad_document", field=field)


def registration_start(*, actor: Any, rnd: AuctionRound, data: RegistrationInput) -> Registration:
    """Register for a round (报名): the declaration of not being barred (WP art.34), and what the
    court must confirm: a proxy's authorisation (WP art.14(2)), a priority purchase right whose holder
    and rank the collegial panel fixed (WP arts.19, 27), being the applicant creditor (WP art.17).
    Refused for barred persons and for the defaulter of an earlier round of this lot (WP arts.24, 34).
    Open until the round's effective end (WP art.18). One registration per account and per identity."""
    profile = _profile_of(actor)
    problems = Problems()
    if not data.declaration:
        problems.add(_("Declare that you are not barred from bidding."), "declaration_required", field="declaration")
    principal_number: IdentityNumber | None = None
    if data.capacity == Registration.Capacity.PROXY:
        if data.principal is None:
            problems.add(_("Give the principal's identity."), "required", field="principal_name")
        else:
            principal_number = check_person(data.principal, problems, prefix="principal_")
        _check_document(data.proxy_document, "proxy_document", problems, required=True)
    elif data.capacity != Registration.Capacity.SELF:
        problems.add(_("Choose for whom you register."), "capacity", field="capacity")
    holders = selectors.confirmed_priority_holders(rnd)
    if data.priority_holder is not None and data.priority_holder.pk not in holders:
        problems.add(_("This priority holder was not confirmed with a rank by the collegial panel for this round "
                       "(WP arts.19, 27)."), "priority_not_confirmed", field="priority_holder")
    _check_document(data.priority_document, "priority_document", problems, required=False)
    if data.creditor_party is not None and (data.creditor_party.case_id != rnd.lot.case_id
                                            or data.creditor_party.role != Party.Role.APPLICANT):
        problems.add(_("Only the applicant creditor of this case pays a reduced deposit (WP art.17)."),
                     "not_applicant", field="creditor_party")
    _check_document(data.creditor_document, "creditor_document", problems, required=False)
    problems.raise_if_any()
    principal_hash = identity.keyed_hash(principal_number) if principal_number else None
    if principal_hash is not None and principal_hash == profile.id_hash:
        raise RuleViolation(_("The principal and the proxy must be different persons."), code="proxy_is_principal",
                            field="principal_id_number")
    with transaction.atomic():
        rnd = _lock_round(rnd)
        _require_open(rnd)
        check_not_barred(rnd, bidder_hash=profile.id_hash, principal_hash=principal_hash)
        bidder_in_law = principal_hash or profile.id_hash
        active = Registration.objects.filter(round=rnd).exclude(status=RS.CANCELLED)
        if active.filter(bidder=profile).exists():
            raise RuleViolation(_("You have already registered for this round."), code="already_registered")
        if active.filter(identity_hash=bidder_in_law).exists():
            raise RuleViolation(_("This bidder is already registered for this round."), code="identity_registered")
        now = clock.now()
        lot = rnd.lot
        reg = Registration(
            round=rnd, bidder=profile, capacity=data.capacity, identity_hash=bidder_in_law,
            declared_not_barred_at=now, priority_holder=data.priority_holder, creditor_party=data.creditor_party,
            qualification_required=lot.asset_type == Lot.AssetType.REAL_ESTATE and lot.purchase_restricted,
        )
        if principal_number is not None and data.principal is not None:
            reg.principal_kind, reg.principal_name = data.principal.kind, data.principal.name.strip()
            reg.principal_id_type = principal_number.id_type
            reg.principal_id_encrypted = identity.encrypt(principal_number)
            reg.principal_id_masked = principal_number.masked
        reg.save()
        audit.record(actor=actor, action="registration.start", obj=reg, after=audit.snapshot(
            reg, ["round_id", "status", "capacity", "qualification_required", "priority_holder_id",
                  "creditor_party_id"]))
        if reg.is_proxy:
            Review.objects.create(registration=reg, kind=RK.PROXY, document=data.proxy_document or "",
                                  submitted_at=now)
        if data.priority_holder is not None:
            Review.objects.create(registration=reg, kind=RK.PRIORITY, document=data.priority_document or "",
                                  submitted_at=now)
        if data.creditor_party is not None:
            Review.objects.create(registration=reg, kind=RK.CREDITOR, document=data.creditor_document or "",
                                  submitted_at=now)
    return reg


def prompt_accept(*, actor: Any, registration: Registration, key: str) -> PromptAcceptance:
    """The bidder accepts the special prompts of WP art.14 one by one, in their order; each acceptance
    is stored with its time."""
    _require_owner(actor, registration)
    keys = [k for k, _label in rules.SPECIAL_PROMPTS]
    if key not in keys:
        raise RuleViolation(_("Unknown special prompt."), code="unknown_prompt")
    with transaction.atomic():
        rnd, reg = _lock_registration(registration)
        _require_open(rnd)
        if reg.status != RS.DRAFT:
            raise RuleViolation(_("The special prompts were already accepted."), code="not_draft")
        accepted = set(reg.prompt_acceptances.values_list("key", flat=True))
        expected = selectors.next_prompt_key(accepted)
        if key in accepted:
            raise RuleViolation(_("This special prompt was already accepted."), code="prompt_accepted")
        if key != expected:
            raise RuleViolation(_("Accept the special prompts one by one, in their order."), code="prompt_order")
        acceptance = PromptAcceptance.objects.create(registration=reg, key=key, position=keys.index(key) + 1,
                                                     accepted_at=clock.now())
        audit.record(actor=actor, action="registration.prompt", obj=reg,
                     after={"prompt": key, "position": acceptance.position, "accepted_at": acceptance.accepted_at})
    return acceptance


def qualification_submit(*, actor: Any, registration: Registration, promise: bool, proof: UploadedFile | None
                         ) -> Review:
    """Real estate under local purchase restrictions: the bidder promises to be qualified to buy and
    uploads the proof; the court confirms it before the sale ruling, and may refuse it (HQ arts.1–3, 6)."""
    _require_owner(actor, registration)
    problems = Problems()
    if not promise:
        problems.add(_("Promise that you are qualified to buy this property."), "promise_required", field="promise")
    _check_document(proof, "proof", problems, required=True)
    problems.raise_if_any()
    with transaction.atomic():
        rnd, reg = _lock_registration(registration)
        _require_open(rnd)
        if not reg.qualification_required:
            raise RuleViolation(_("This lot has no purchase restriction."), code="qualification_not_required")
        if reg.status != RS.DRAFT or reg.qualification_promised_at is not None:
            raise RuleViolation(_("The purchase qualification was already submitted."), code="qualification_submitted")
        if selectors.next_prompt_key(set(reg.prompt_acceptances.values_list("key", flat=True))) is not None:
            raise RuleViolation(_("Accept the special prompts first."), code="prompts_pending")
        now = clock.now()
        reg.qualification_promised_at = now
        reg.save(update_fields=["qualification_promised_at"])
        review = Review.objects.create(registration=reg, kind=RK.QUALIFICATION, document=proof, submitted_at=now)
        audit.record(actor=actor, action="registration.qualification", obj=reg,
                     after={"qualification_promised_at": now})
    return review


def registration_pay(*, actor: Any, registration: Registration, gateway: str) -> Deposit:
    """Open the deposit in the chosen payment method once the registration is complete: every special
    prompt accepted, the purchase qualification submitted where required, and the applicant-creditor
    link decided. The amount is the round's deposit, or max(0, deposit − verified claims) for the
    confirmed applicant creditor (WP art.17); the payer is the bidder in law (real-name deposit).
    A zero deposit is held at once and the bidder code assigned."""
    _require_owner(actor, registration)
    with transaction.atomic():
        rnd, reg = _lock_registration(registration)
        _require_open(rnd)
        if reg.status != RS.DRAFT:
            raise RuleViolation(_("The deposit for this registration was already chosen."), code="not_draft")
        blocking = selectors.payment_blockers(reg)
        if blocking:
            raise RuleViolation(blocking[0], code="registration_incomplete")
        _rescreen(reg)
        amount = selectors.deposit_amount(reg)
        payer = reg.principal_name if reg.is_proxy else reg.bidder.name
        deposit = settlement.deposit_open(rnd=rnd, amount_fen=amount, payer_name=payer, gateway=gateway, actor=actor)
        _set_status(reg, RS.PAYMENT, actor=actor, action="registration.deposit",
                    changes={"deposit": deposit, "deposit_due_fen": amount})
        if deposit.status == Deposit.Status.HELD:
            do_registration_qualify(reg)
    return deposit


def registration_payment_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Give up an unpaid deposit (for example to choose another payment method): the registration
    returns to the payment step. A card payment made meanwhile is held instead."""
    _require_owner(actor, registration)
    with transaction.atomic():
        _rnd, reg = _lock_registration(registration)
        if reg.status != RS.PAYMENT or reg.deposit is None:
            raise RuleViolation(_("There is no unpaid deposit to cancel."), code="no_pending_deposit")
        deposit = settlement.deposit_cancel(deposit=reg.deposit, actor=actor, reason="payment method changed")
        reg.refresh_from_db()
        if deposit.status == Deposit.Status.CANCELLED and reg.status == RS.PAYMENT:
            _set_status(reg, RS.DRAFT, actor=actor, action="registration.payment_cancel",
                        changes={"deposit": None, "deposit_due_fen": None})
    return reg


def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Withdraw a registration before the deposit is held; an unpaid deposit is cancelled. A held
    deposit stays until the round has finished and is then released with the others (WP art.23)."""
    _require_owner(actor, registration)
    with transaction.atomic():
        _rnd, reg = _lock_registration(registration)
        if reg.status not in (RS.DRAFT, RS.PAYMENT):
            raise RuleViolation(_("Once the deposit is held the registration stays until the round has finished; "
                                  "the deposit is then released."), code="not_cancellable")
        if reg.deposit is not None and reg.deposit.status == Deposit.Status.PENDING:
            settlement.deposit_cancel(deposit=reg.deposit, actor=actor, reason="registration cancelled")
            reg.refresh_from_db()
            if reg.status == RS.QUALIFIED:  # a card payment arrived meanwhile: it stands
                return reg
        _set_status(reg, RS.CANCELLED, actor=actor, action="registration.cancel",
                    changes={"ended_at": clock.now()})
        Review.objects.filter(registration=reg, status=RV.PENDING).update(status=RV.REFUSED, decided_at=clock.now(),
                                                                          note="withdrawn by the bidder")
    return reg


# --- the deposit is held: the bidder code ---------------------------------------------------------------------


def on_deposit_held(deposit: Deposit) -> None:
    """settlement.hooks callback, in the transaction that holds the deposit (settlement has locked the
    round and the deposit). A deposit not opened through a registration is not ours."""
    reg = (Registration.objects.select_for_update(of=("self",)).select_related("bidder", "round__lot__case__court")
           .filter(deposit_id=deposit.pk).first())
    if reg is not None:
        do_registration_qualify(reg)


def do_registration_qualify(reg: Registration) -> None:
    """The deposit is held: the bidder is qualified and gets a random code for this round, never
    issued before anywhere and derived from nothing (WP art.18); the public registrant count follows
    in the same transaction. A registration that was cancelled or refused meanwhile, or a bidder barred
    meanwhile, is refused: the payment then goes back to finance staff to return (it rolls back).
    Locks: round and registration, held by the caller."""
    if reg.status == RS.QUALIFIED:
        return
    if reg.status != RS.PAYMENT:
        raise RuleViolation(_("The registration for this deposit was cancelled or refused; the payment cannot "
                              "qualify it."), code="registration_not_awaiting")
    _rescreen(reg)
    _set_status(reg, RS.QUALIFIED, actor=SYSTEM, action="registration.qualify",
                changes={"code": codes.issue_code(), "qualified_at": clock.now()})
    recount_registrants(reg.round)
    screening.screening_run_live_on_commit(reg.round_id)  # identity links, by code only; never blocks


def recount_registrants(rnd: AuctionRound) -> None:
    """registrant_count = the qualified registrations (deposit held, not refused). Recomputed, not
    incremented, so a repeated event cannot count twice. Frozen once the round has finished."""
    if rnd.status in selectors.FINISHED:
        return
    count = Registration.objects.filter(round_id=rnd.pk, status=RS.QUALIFIED).count()
    AuctionRound.objects.filter(pk=rnd.pk).update(registrant_count=count)


# --- the court's reviews ---------------------------------------------------------------------------------------


def review_decide(*, actor: Any, review: Review, approve: bool, note: str = "") -> Review:
    """Court staff decide a review from its item (which never shows the bidder code, WP art.18):
    a proxy must be approved before the proxy may bid (WP art.14(2)); a purchase qualification is
    confirmed before the sale ruling (HQ art.3); a priority holder's link gives the registration the
    rank the collegial panel fixed (WP arts.19, 27); the applicant creditor's link reduces the deposit
    (WP art.17). Refusing a proxy or a qualification refuses the registration; a refusal needs a reason."""
    rnd_court = review.registration.round.lot.case.court
    check_court_staff(actor, rnd_court)
    if not approve and not note.strip():
        raise RuleViolation(_("Give the reason for the refusal."), code="reason_required", field="note")
    with transaction.atomic():
        rnd, reg = _lock_registration(review.registration)
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.status != RV.PENDING:
            raise RuleViolation(_("This item was already decided."), code="review_decided")
        finished = rnd.status in selectors.FINISHED
        if review.kind != RK.QUALIFICATION and finished:
            raise RuleViolation(_("The round has finished."), code="round_finished")
        if review.kind == RK.CREDITOR and reg.status != RS.DRAFT:
            raise RuleViolation(_("The deposit was already chosen."), code="deposit_chosen")
        if reg.status in (RS.CANCELLED, RS.DISQUALIFIED):
            raise RuleViolation(_("The registration was cancelled or refused."), code="registration_ended")
        now = clock.now()
        before = audit.snapshot(review, ["status"])
        review.status = RV.APPROVED if approve else RV.REFUSED
        review.decided_at, review.decided_by, review.note = now, actor, note.strip()
        review.save(update_fields=["status", "decided_at", "decided_by", "note"])
        audit.record(actor=actor, action="review.approve" if approve else "review.refuse", obj=review,
                     before=before, after={"status": review.status, "kind": review.kind}, reason=review.note)
        if review.kind == RK.PRIORITY and approve:
            assert reg.priority_holder_id is not None
            rank = selectors.confirmed_priority_holders(rnd).get(reg.priority_holder_id)
            if rank is None:
                raise RuleViolation(_("This priority holder was not confirmed with a rank by the collegial panel "
                                      "for this round (WP arts.19, 27)."), code="priority_not_confirmed")
            if Registration.objects.filter(round=rnd, priority_holder_id=reg.priority_holder_id, is_priority=True
                                           ).exclude(pk=reg.pk).exists():
                raise RuleViolation(_("Another registration was already confirmed as this priority holder."),
                                    code="priority_taken")
            reg.is_priority, reg.priority_rank = True, rank
            reg.save(update_fields=["is_priority", "priority_rank"])
        if not approve and review.kind in (RK.PROXY, RK.QUALIFICATION):
            _disqualify(rnd, reg, actor, review.note)
    return review


def _disqualify(rnd: AuctionRound, reg: Registration, actor: Any, reason: str) -> None:
    """Refuse a registration: an unpaid deposit is cancelled; a held one is released with the others
    once the round has finished (WP art.23). Locks held by the caller."""
    if reg.deposit is not None and reg.deposit.status == Deposit.Status.PENDING:
        settlement.deposit_cancel(deposit=reg.deposit, actor=actor, reason="registration refused by the court")
        reg.refresh_from_db()
    _set_status(reg, RS.DISQUALIFIED, actor=actor, action="registration.disqualify", reason=reason,
                changes={"ended_at": clock.now()})
    recount_registrants(rnd)


# --- the barred list -----------------------------------------------------------------------------------------------


def check_barred_add(*, actor: Any, category: str, person: PersonInput, court: Court | None, relation: str = ""
                     ) -> IdentityNumber:
    """Validate an addition to the barred list without writing: court staff add for their own court;
    a person barred at every court (the platform operator's staff) is added by an administrator."""
    if court is None:
        if isinstance(actor, str) or not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only an administrator may bar a person at every court."),
                                   code="permission_denied", field="court")
    else:
        check_court_staff(actor, court)
    problems = Problems()
    if category not in BarredPerson.Category.values:
        problems.add(_("Choose the category."), "category", field="category")
    if category == BarredPerson.Category.RELATIVE and not relation.strip():
        problems.add(_("Say whose close relative this is, and how."), "relation_required", field="relation")
    number = check_person(person, problems)
    problems.raise_if_any()
    assert number is not None
    if BarredPerson.objects.filter(id_hash=identity.keyed_hash(number), removed_at__isnull=True, court=court).exists():
        raise RuleViolation(_("This person is already on the list."), code="already_barred", field="id_number")
    return number


def barred_add(*, actor: Any, category: str, person: PersonInput, court: Court | None, relation: str = ""
               ) -> BarredPerson:
    """Add a person to the barred list (WP art.34). Only a keyed hash and a masked number are kept."""
    number = check_barred_add(actor=actor, category=category, person=person, court=court, relation=relation)
    with transaction.atomic():
        barred = BarredPerson.objects.create(
            category=category, name=person.name.strip(), id_type=number.id_type, id_hash=identity.keyed_hash(number),
            id_masked=number.masked, court=court, relation=relation.strip(),
            added_by=None if isinstance(actor, str) else actor, added_at=clock.now())
        audit.record(actor=actor, action="barred.add", obj=barred,
                     after=audit.snapshot(barred, ["category", "id_type", "id_masked", "court_id", "relation"]))
    return barred


def barred_remove(*, actor: Any, barred: BarredPerson, reason: str) -> BarredPerson:
    if barred.court is None:
        if isinstance(actor, str) or not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only an administrator may change the list of every court."),
                                   code="permission_denied")
    else:
        check_court_staff(actor, barred.court)
    if not reason.strip():
        raise RuleViolation(_("Give the reason."), code="reason_required", field="reason")
    with transaction.atomic():
        barred = BarredPerson.objects.select_for_update().get(pk=barred.pk)
        if barred.removed_at is not None:
            return barred
        barred.removed_at, barred.removed_by, barred.removal_reason = clock.now(), actor, reason.strip()
        barred.save(update_fields=["removed_at", "removed_by", "removal_reason"])
        audit.record(actor=actor, action="barred.remove", obj=barred, before={"removed_at": None},
                     after={"removed_at": barred.removed_at}, reason=barred.removal_reason)
    return barred


# --- after the round -----------------------------------------------------------------------------------------------


def round_ruling_record(*, actor: Any, rnd: AuctionRound, served_on: date) -> AuctionRound:
    """The sale ruling (成交裁定) was served on the buyer: title passes then (WP art.22; CPLI art.491).
    It follows full payment of the balance, within 10 days (PB art.20); recorded once, never in the future.
    Locks: round."""
    check_court_staff(actor, rnd.lot.case.court)
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().select_related("lot__case").get(pk=rnd.pk)
        balance = BalanceDue.objects.filter(round=locked).first()
        if locked.status != AuctionRound.Status.SOLD or balance is None or balance.status != BalanceDue.Status.PAID:
            raise RuleViolation(_("The sale ruling follows full payment of the balance."), code="balance_not_paid")
        if locked.ruling_served_on is not None:
            raise RuleViolation(_("The sale ruling was already recorded."), code="already_recorded")
        if served_on > clock.today() or (balance.paid_at and served_on < clock.local_date(balance.paid_at)):
            raise RuleViolation(_("The date must lie between full payment and today."), code="invalid_date",
                                field="on")
        locked.ruling_served_on = served_on
        locked.save(update_fields=["ruling_served_on"])
        audit.record(actor=actor, action="round.ruling_served", obj=locked, after={"ruling_served_on": served_on})
    return locked


def round_handover_record(*, actor: Any, rnd: AuctionRound, handed_over_on: date) -> AuctionRound:
    """The property was handed over to the buyer, within 15 days of the ruling (PB art.27). Locks: round."""
    check_court_staff(actor, rnd.lot.case.court)
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().select_related("lot__case").get(pk=rnd.pk)
        if locked.ruling_served_on is None:
            raise RuleViolation(_("Record the sale ruling first."), code="no_ruling")
        if locked.handed_over_on is not None:
            raise RuleViolation(_("The handover was already recorded."), code="already_recorded")
        if handed_over_on > clock.today() or handed_over_on < locked.ruling_served_on:
            raise RuleViolation(_("The date must lie between the ruling and today."), code="invalid_date", field="on")
        locked.handed_over_on = handed_over_on
        locked.save(update_fields=["handed_over_on"])
        audit.record(actor=actor, action="round.handed_over", obj=locked, after={"handed_over_on": handed_over_on})
    return locked


def identities_viewed(*, actor: Any, rnd: AuctionRound) -> None:
    """The access log of WP art.18: identities are revealed to court staff only after the round has
    finished, and each view is recorded."""
    check_court_staff(actor, rnd.lot.case.court)
    if rnd.status not in selectors.FINISHED:
        raise PermissionDenied(_("Bidders' identities stay sealed until the round has finished (WP art.18)."),
                               code="identities_sealed")
    with transaction.atomic():
        audit.record(actor=actor, action="round.identities_viewed", obj=rnd)


def round_close_and_settle(rnd: AuctionRound, actor: Any = CLOCK) -> bool:
    """Close a round whose effective end has passed and settle its deposits, in ONE transaction:
    sold or failed (auction.do_round_close); the winner is the registration holding the leading code;
    every other held deposit is released and the winner's applied to the price (WP arts.23, 25), and
    the winner's balance is opened (WP art.25); the bid record is sealed and, for a sale, the
    confirmation with the buyer's real name published (WP art.22); bidders are emailed after commit.
    Idempotent and safe with several clocks: the round lock serialises them and a closed round is not
    closed again. Returns True if this call closed it."""
    with transaction.atomic():
        closed = do_round_close(rnd, actor)
        if closed is None:
            return False
        winner: Deposit | None = None
        reg: Registration | None = None
        if closed.status == S.SOLD:
            reg = (Registration.objects.select_for_update(of=("self",)).select_related("deposit")
                   .filter(round=closed, code=closed.leader_code, status=RS.QUALIFIED).first())
            if reg is None or reg.deposit is None:
                raise RuleViolation(_("The leading bidder code has no qualified registration."), code="winner_missing")
            winner = reg.deposit
        do_round_seal(closed)
        if reg is not None and closed.status == S.SOLD:
            do_confirmation_publish(closed, reg)
        settlement.round_settle(rnd=closed, winning_deposit=winner, actor=actor)
        balance = None
        if winner is not None:
            assert closed.current_price_fen is not None
            balance = settlement.balance_open(rnd=closed, deposit=winner, price_fen=closed.current_price_fen,
                                              actor=actor)
        do_notify_round_closed(closed, balance)
        faults.point("close.before_commit")  # test-only (core.faults); a no-op otherwise
    return True


def do_round_seal(rnd: AuctionRound) -> BidChainSeal:
    """Seal the bid record of a closed round: the accepted bids must be exactly 1..bid_count with an
    unbroken hash chain; the last hash becomes the published root. Refuses (and so keeps the round
    open) if the record is inconsistent. Locks: the caller holds the round row."""
    bids = list(Bid.objects.filter(round=rnd).order_by("seq").values_list("seq", "prev_hash", "hash"))
    prev = chain.genesis(rnd.pk)
    # Bids applied outside the engine (only auction's own demo data) have no rows; the engine's rows
    # then continue from there, and the chain starts at the first of them.
    first = rnd.bid_count - len(bids) + 1
    if first > 1:
        log.warning("round %s: bids 1..%s have no bid record", rnd.pk, first - 1)
    for expected, (seq, prev_hash, hash_) in enumerate(bids, start=first):
        if seq != expected or prev_hash != prev:
            raise RuleViolation(_("The bid record of this round is inconsistent; it cannot be sealed."),
                                code="bid_record_inconsistent")
        prev = hash_
    if first < 1:
        raise RuleViolation(_("The bid record of this round is inconsistent; it cannot be sealed."),
                            code="bid_record_inconsistent")
    seal, created = BidChainSeal.objects.get_or_create(
        round=rnd, defaults={"bid_count": len(bids), "root": prev, "sealed_at": clock.now()})
    if created:
        audit.record(actor=CLOCK, action="round.bids_sealed", obj=rnd,
                     after={"bid_count": seal.bid_count, "root": seal.root})
    return seal


def do_confirmation_publish(rnd: AuctionRound, buyer: Registration) -> SaleConfirmation:
    """The sale confirmation (成交确认书) with the buyer's real name and bidder code, generated at
    close, published and its sha256 stored (WP art.22). Locks: the caller holds the round row."""
    existing = SaleConfirmation.objects.filter(round=rnd).first()
    if existing is not None:
        return existing
    now = clock.now()
    pdf = confirmation.render(rnd, buyer, created_at=now)
    digest = hashlib.sha256(pdf).hexdigest()
    note = SaleConfirmation.objects.create(round=rnd, registration=buyer, pdf=pdf, sha256=digest, created_at=now)
    audit.record(actor=CLOCK, action="round.confirmation", obj=rnd, after={"sha256": digest, "code": buyer.code})
    return note


def do_notify_round_closed(rnd: AuctionRound, balance: Any) -> None:
    """In the closing transaction: tell every qualified bidder how the round ended: the winner its
    price and balance (WP art.25), linked to its registration page where it pays; the others that
    their deposits are released within 24 hours (WP art.23). In the app and by email after the
    commit (core.notify)."""
    regs = Registration.objects.filter(round=rnd, status=RS.QUALIFIED).select_related("bidder__user")
    lot = rnd.lot.title
    url = reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}"
    for reg in regs:
        if rnd.status == S.SOLD and reg.code == rnd.leader_code and balance is not None:
            notify.notify([reg.bidder.user], "won", {
                "lot": lot, "code": reg.code, "price": format_fen(rnd.current_price_fen or 0),
                "balance": format_fen(balance.amount_fen), "due": balance.due_on.isoformat()},
                key=f"round:{rnd.pk}:won", url=reverse("bidding:registration", args=[reg.pk]))  # pay from there
        else:
            notify.notify([reg.bidder.user], "ended", {"lot": lot, "status": str(rnd.get_status_display())},
                          key=f"round:{rnd.pk}:ended", url=url)


def close_due_rounds() -> int:
    """Clock job "rounds.close" (replaces auction's): close and settle every round due. A round that
    cannot be settled stays open for the next run and is logged; the others go on."""
    closed = 0
    for rnd in selectors.rounds_due_to_close():
        try:
            closed += round_close_and_settle(rnd)
        except RuleViolation as exc:
            log.error("round %s not closed: %s", rnd.pk, exc.rule_code)
    return closed


def registration_default(*, actor: Any, registration: Registration, reason: str) -> Registration:
    """Default by the buyer (悔拍): the balance was not paid by its due date. The whole deposit is
    forfeited (settlement, WP art.24: no refund of any remainder), the buyer's verified identity is
    barred from the re-auction of this lot (WP art.24, trap 8) and the reason is published as the
    round's reason; the round itself stays sold. Court staff only."""
    check_court_staff(actor, registration.round.lot.case.court)
    if not reason.strip():
        raise RuleViolation(_("Give the reason."), code="reason_required", field="reason")
    with transaction.atomic():
        rnd, reg = _lock_registration(registration)
        if reg.status == RS.DEFAULTED:
            return reg
        if rnd.status != S.SOLD or reg.status != RS.QUALIFIED or not reg.code or reg.code != rnd.leader_code:
            raise RuleViolation(_("Only the buyer of a sold round can default."), code="not_the_buyer")
        balance = BalanceDue.objects.filter(round=rnd).first()
        if balance is None or balance.status != BalanceDue.Status.OPEN:
            raise RuleViolation(_("There is no unpaid balance."), code="no_open_balance")
        if clock.today() <= balance.due_on:
            raise RuleViolation(_("The balance is due on %(day)s; a default can be recorded only after that day."),
                                code="balance_not_overdue", params={"day": balance.due_on})
        assert reg.deposit is not None
        settlement.deposit_forfeit(deposit=reg.deposit, actor=actor, reason=reason.strip())
        now = clock.now()
        _set_status(reg, RS.DEFAULTED, actor=actor, action="registration.default", reason=reason.strip(),
                    changes={"defaulted_at": now, "default_reason": reason.strip()})
        before = audit.snapshot(rnd, ["status_reason"])
        rnd.status_reason = reason.strip()
        rnd.save(update_fields=["status_reason"])
        audit.record(actor=actor, action="round.default", obj=rnd, before=before,
                     after=audit.snapshot(rnd, ["status_reason"]), reason=reason.strip())
    return reg


def reauction_create(*, actor: Any, rnd: AuctionRound, terms: RoundTerms, **texts: Any) -> AuctionRound:
    """After a default (悔拍) the lot is auctioned again (WP art.24): a new round of the same kind,
    following the defaulted round, under the same price and time rules as that kind (start ≥ 70% of
    the reference price for a first auction, ≥ 80% of the previous start for a second, deposit
    5–20%, bidding ≥ 24 h, the notice period). The defaulter is barred from it by identity. A draft:
    the collegial panel approves it as any other round. A sell-off is not re-run online: the court
    decides how to proceed."""
    check_court_staff(actor, rnd.lot.case.court)
    with transaction.atomic():
        Lot.objects.select_for_update().get(pk=rnd.lot_id)
        rnd = _lock_round(rnd)
        if not Registration.objects.filter(round=rnd, status=RS.DEFAULTED).exists():
            raise RuleViolation(_("A re-auction follows a sold round whose buyer defaulted."), code="no_default")
        return auction_services.round_create_reauction(actor=actor, previous=rnd, terms=terms, **texts)


# --- Live bidding: the bid engine -----------------------------------------------------------------------------
# One place decides every bid, whatever the transport (WebSocket writer, HTTP API, tests): do_bids_place.

# \A…\Z, not ^…$: "$" also matches before a final newline, so "id\n" would pass `match`.
CLIENT_ID_RE = re.compile(r"\A[A-Za-z0-9_.:-]{1,64}\Z")

REJECTIONS: dict[str, Any] = {
    "invalid_client_id": _("The bid message has no valid client id."),
    "not_authenticated": _("Log in to bid."),
    "not_registered": _("You are not registered for this round."),
    "deposit_not_held": _("You can bid once your deposit is held and the court has approved your registration."),
    "amount_mismatch": _("This bid was already sent with another amount; send a new bid instead."),
    "rate_limited": _("Too many bids in a short time; wait a moment and bid again."),
    "invalid_amount": _("The amount must be a positive whole number of fen."),
    "amount_too_large": _("The amount is above the largest amount the platform accepts (%(max)s)."),
    "round_not_open": _("Bidding on this round is not open: the server received the bid at %(at)s."),
    "below_start": _("The first bid must be at least the start price %(min)s."),
    "sell_off_price": _("The first bid in a sell-off must be exactly the sell-off price %(min)s."),
    "too_low": _("The bid must be at least %(min)s (the current price plus one increment)."),
    "not_on_grid": _("The bid must be the start price plus a whole number of increments of %(increment)s."),
    "already_leading": _("You are already the leading bidder."),
    "priority_tie_not_allowed": _("A bid at the current price is allowed only to a priority holder who then leads "
                                  "(WP art.21); bid at least %(min)s."),
}


@dataclass(frozen=True)
class BidAttempt:
    round_id: int
    user_id: int | None
    client_id: str
    amount_fen: int
    received_at: datetime
    language: str = "zh-hans"


@dataclass(frozen=True)
class BidOutcome:
    client_id: str
    accepted: bool
    duplicate: bool
    code: str
    message: str
    seq: int | None
    amount_fen: int
    received_at: datetime
    bidder_code: str

    def frame(self) -> dict[str, Any]:
        """The private answer to the bidder (wire protocol in docs/bidding.md)."""
        if self.accepted:
            return {"type": "ack", "client_id": self.client_id, "seq": self.seq, "amount_fen": self.amount_fen,
                    "at": selectors.epoch_ms(self.received_at), "code": self.bidder_code, "duplicate": self.duplicate}
        return {"type": "reject", "client_id": self.client_id, "code": self.code, "message": self.message,
                "duplicate": self.duplicate}


def bid_rate_limit() -> tuple[int, timedelta]:
    """settings.FAPAI_BID_RATE_LIMIT "N/S": at most N bid attempts per registration in S seconds."""
    count, seconds = str(getattr(settings, "FAPAI_BID_RATE_LIMIT", "10/10")).split("/")
    return int(count), timedelta(seconds=float(seconds))


def _refusal(a: BidAttempt, code: str, *, duplicate: bool = False, bidder_code: str = "",
             **params: Any) -> BidOutcome:
    with translation.override(a.language or settings.LANGUAGE_CODE):
        message = str(REJECTIONS[code]) % params if params else str(REJECTIONS[code]).replace("%%", "%")
    return BidOutcome(client_id=a.client_id, accepted=False, duplicate=duplicate, code=code, message=message,
                      seq=None, amount_fen=a.amount_fen, received_at=a.received_at, bidder_code=bidder_code)


def _accepted(a: BidAttempt, bid: Bid, *, duplicate: bool = False) -> BidOutcome:
    return BidOutcome(client_id=a.client_id, accepted=True, duplicate=duplicate, code="", message="", seq=bid.seq,
                      amount_fen=bid.amount_fen, received_at=bid.received_at, bidder_code=bid.code)


def _price_refusal(rnd: AuctionRound, reg: Registration, leader: Bid | None, a: BidAttempt) -> tuple[str, dict]:
    """The price rules of WP arts.11, 20, 21 and the sell-off; ("", {}) when the amount is acceptable."""
    start, inc, amount = rnd.start_price_fen, rnd.increment_fen, a.amount_fen
    if rnd.bid_count == 0 or rnd.current_price_fen is None:
        if rnd.kind == AuctionRound.Kind.SELL_OFF and amount != start:
            return "sell_off_price", {"min": format_fen(start)}
        if amount < start:
            return "below_start", {"min": format_fen(start)}
        if (amount - start) % inc:
            return "not_on_grid", {"increment": format_fen(inc)}
        return "", {}
    # The round row is the authority on the price box; the last Bid row adds the leader's priority.
    if rnd.leader_code == reg.code:
        return "already_leading", {}
    current = rnd.current_price_fen
    minimum = current + inc
    if amount == current:
        # A confirmed priority holder may take the current price if the leader order puts him first:
        # price, then priority holder, then rank (1 before 2), then earlier receipt (WP art.21).
        leader_priority = leader is not None and leader.seq == rnd.bid_count and leader.is_priority
        leader_rank = leader.priority_rank if leader is not None and leader_priority else None
        outranks = reg.is_priority and reg.priority_rank is not None and (
            not leader_priority or (leader_rank or 0) > reg.priority_rank)
        return ("", {}) if outranks else ("priority_tie_not_allowed", {"min": format_fen(minimum)})
    if amount < minimum:
        return "too_low", {"min": format_fen(minimum)}
    if (amount - start) % inc:
        return "not_on_grid", {"increment": format_fen(inc)}
    return "", {}


def do_bids_place(round_id: int, attempts: list[BidAttempt]) -> list[BidOutcome]:
    """Decide a batch of bids on one round in ONE transaction, in list order, each against the state
    the previous ones left (group commit). A bid counts by its server receipt time: it is refused at
    or after the effective end even if decided later (WP art.20); the registration must hold its
    deposit (WP art.17); the first bid is ≥ the start price, later ones ≥ the current price plus one
    increment, on the increment grid (WP art.11); a confirmed priority holder may bid the current
    price and then leads (WP art.21); an accepted bid at t moves the end to max(end, t + 5 min),
    without a cap (WP art.20). Each accepted bid gets the next gap-free seq and its chain hash and is
    published (bidding.events) inside the transaction, so events leave in commit order and never
    for a rolled-back bid. A resent client id gets its first answer. Never raises for a bad bid.
    Locks: AuctionRound (2); registrations and bids are read under it; no audit record per bid (the
    bid chain is the record of bids, sealed at close)."""
    from bidding import events

    limit, window = bid_rate_limit()
    outcomes: list[BidOutcome] = []
    with transaction.atomic():
        rnd = AuctionRound.objects.select_for_update().filter(pk=round_id).first()
        faults.point("bids.locked")  # test-only (core.faults); a no-op otherwise
        user_ids = {a.user_id for a in attempts if a.user_id is not None}
        regs = {r.bidder.user_id: r for r in Registration.objects.select_related("bidder").filter(
            round_id=round_id, bidder__user_id__in=user_ids).exclude(status=RS.CANCELLED)}
        reg_ids = [r.pk for r in regs.values()]
        client_ids = {a.client_id for a in attempts}
        answered: dict[tuple[int, str], Bid | BidRejection] = {
            (b.registration_id, b.client_id): b
            for b in Bid.objects.filter(registration_id__in=reg_ids, client_id__in=client_ids)}
        answered.update({(r.registration_id, r.client_id): r for r in BidRejection.objects.filter(
            registration_id__in=reg_ids, client_id__in=client_ids)})
        oldest = min((a.received_at for a in attempts), default=clock.now()) - window
        recent: dict[int, list[datetime]] = {}
        for model in (Bid, BidRejection):
            for reg_id, at in model.objects.filter(registration_id__in=reg_ids, received_at__gte=oldest).values_list(
                    "registration_id", "received_at"):
                recent.setdefault(reg_id, []).append(at)
        leader = Bid.objects.filter(round_id=round_id).order_by("-seq").first()
        new_bids: list[Bid] = []
        new_rejections: list[BidRejection] = []
        outbid: dict[int, Bid] = {}  # registration that lost the lead -> the bid that took it
        for a in attempts:
            if not CLIENT_ID_RE.match(a.client_id or ""):
                outcomes.append(_refusal(a, "invalid_client_id"))
                continue
            if a.user_id is None:
                outcomes.append(_refusal(a, "not_authenticated"))
                continue
            reg = regs.get(a.user_id)
            if rnd is None or reg is None:
                outcomes.append(_refusal(a, "not_registered"))
                continue
            first = answered.get((reg.pk, a.client_id))
            if first is not None:
                if first.amount_fen != a.amount_fen:
                    outcomes.append(_refusal(a, "amount_mismatch", bidder_code=reg.code))
                elif isinstance(first, Bid):
                    outcomes.append(_accepted(a, first, duplicate=True))
                else:
                    outcomes.append(_refusal(a, first.code, duplicate=True, bidder_code=reg.code,
                                             **_params(rnd, leader, first.code, first.received_at)))
                continue
            times = recent.setdefault(reg.pk, [])
            code, params = "", dict[str, Any]()
            # The amount's shape before the rate limit: a refusal is stored with its amount, and one past
            # the bigint range (a JSON integer up to 2⁶⁴−1) would fail the whole batch's transaction.
            if not isinstance(a.amount_fen, int) or isinstance(a.amount_fen, bool) or a.amount_fen <= 0:
                code = "invalid_amount"
            elif a.amount_fen > MAX_FEN:
                code, params = "amount_too_large", {"max": format_fen(MAX_FEN)}
            elif sum(1 for t in times if t > a.received_at - window) >= limit:
                code = "rate_limited"
            elif rnd.status != S.BIDDING or not rnd.bidding_start <= a.received_at < rnd.effective_end:
                code, params = "round_not_open", _params(rnd, leader, "round_not_open", a.received_at)
            elif not selectors.may_bid(reg):
                code = "deposit_not_held"
            else:
                code, params = _price_refusal(rnd, reg, leader, a)
            times.append(a.received_at)
            if code:
                if code not in ("invalid_amount", "amount_too_large"):
                    rejection = BidRejection(round_id=round_id, registration=reg, client_id=a.client_id,
                                             amount_fen=a.amount_fen, code=code, received_at=a.received_at)
                    new_rejections.append(rejection)
                    answered[(reg.pk, a.client_id)] = rejection
                outcomes.append(_refusal(a, code, bidder_code=reg.code, **params))
                continue
            previous_price = rnd.current_price_fen
            auction_services.do_round_apply_bid(rnd, price_fen=a.amount_fen, bidder_code=reg.code, at=a.received_at,
                                                save=False)
            prev = leader.hash if leader is not None else chain.genesis(round_id)
            bid = Bid(round_id=round_id, seq=rnd.bid_count, registration=reg, code=reg.code, amount_fen=a.amount_fen,
                      is_priority=reg.is_priority and rnd.bid_count > 1 and a.amount_fen == previous_price,
                      priority_rank=reg.priority_rank if reg.is_priority else None, received_at=a.received_at,
                      client_id=a.client_id, receipt_nonce=secrets.token_hex(16), end_after=rnd.effective_end,
                      extensions_after=rnd.extension_count, prev_hash=prev)
            bid.hash = chain.bid_hash(round_id=round_id, seq=bid.seq, code=bid.code, amount_fen=bid.amount_fen,
                                      received_at=chain.timestamp(bid.received_at), is_priority=bid.is_priority,
                                      receipt_nonce=bid.receipt_nonce, prev_hash=prev)
            new_bids.append(bid)
            answered[(reg.pk, a.client_id)] = bid
            if leader is not None and leader.registration_id != reg.pk:
                outbid[leader.registration_id] = bid
            outbid.pop(reg.pk, None)
            leader = bid
            outcomes.append(_accepted(a, bid))
        if new_rejections:
            BidRejection.objects.bulk_create(new_rejections)
        if new_bids:
            assert rnd is not None
            rnd.save(update_fields=["effective_end", "extension_count", "current_price_fen", "leader_code",
                                    "bid_count"])
            Bid.objects.bulk_create(new_bids)
            for bid in new_bids:
                events.publish(round_id, bid.seq, selectors.public_bid(bid))
            if outbid:
                do_notify_outbid(rnd, outbid)
    return outcomes


def do_notify_outbid(rnd: AuctionRound, outbid: dict[int, Bid]) -> None:
    """Tell each bidder who lost the lead in this batch, once per bid that took it (in the bid's
    transaction, so a rolled-back bid tells nobody; the email follows from the clock). Two queries per
    batch with outbids."""
    users = dict(Registration.objects.filter(pk__in=list(outbid)).values_list("pk", "bidder__user_id"))
    by_id = {u.pk: u for u in User.objects.filter(pk__in=list(users.values()))}
    lot = Lot.objects.filter(pk=rnd.lot_id).values_list("title", flat=True).first() or ""
    for reg_id, bid in outbid.items():
        notify.notify([by_id.get(users.get(reg_id, 0))], "outbid", {
            "lot": lot, "price": format_fen(bid.amount_fen),
            "end": rnd.effective_end.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")},
            key=f"round:{rnd.pk}:outbid:{bid.seq}", url=reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}",
            mail_now=False)  # the writer commits the next batch instead of waiting on a mail server


def _params(rnd: AuctionRound | None, leader: Bid | None, code: str, at: datetime) -> dict[str, Any]:
    """Message parameters to repeat a first refusal in the resender's language."""
    if rnd is None:
        return {}
    if code in ("below_start", "sell_off_price"):
        return {"min": format_fen(rnd.start_price_fen)}
    if code in ("too_low", "priority_tie_not_allowed"):
        return {"min": format_fen((rnd.current_price_fen or rnd.start_price_fen) + rnd.increment_fen)}
    if code == "not_on_grid":
        return {"increment": format_fen(rnd.increment_fen)}
    if code == "round_not_open":
        return {"at": at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]}
    return {}


def bid_place(*, actor: Any, rnd: AuctionRound, client_id: str, amount_fen: int, language: str) -> BidOutcome:
    """One bid over HTTP: received now, decided by do_bids_place like every other bid."""
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    attempt = BidAttempt(round_id=rnd.pk, user_id=user_id, client_id=client_id, amount_fen=amount_fen,
                         received_at=clock.now(), language=language)
    return do_bids_place(rnd.pk, [attempt])[0]


# --- "remind me before it ends" (结束前提醒) -------------------------------------------------------------------

REMINDER_CHOICES = (5, 15, 60, 24 * 60)


def reminder_set(*, actor: Any, rnd: AuctionRound, minutes_before: int) -> EndReminder:
    """Set (or change) the user's reminder for a round that has not ended; the public count follows."""
    if isinstance(actor, str) or not actor.is_authenticated:
        raise PermissionDenied(_("Log in to set a reminder."), code="not_authenticated")
    if minutes_before not in REMINDER_CHOICES:
        raise RuleViolation(_("Choose when to be reminded."), code="invalid_reminder", field="minutes_before")
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        if locked.status not in (S.ANNOUNCED, S.BIDDING):
            raise RuleViolation(_("Reminders can be set only before the round ends."), code="round_not_open")
        reminder, _created = EndReminder.objects.update_or_create(
            user=actor, round=locked, defaults={"minutes_before": minutes_before, "sent_at": None})
        _recount_reminders(locked)
    return reminder


def reminder_cancel(*, actor: Any, rnd: AuctionRound) -> None:
    with transaction.atomic():
        locked = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        EndReminder.objects.filter(user=actor, round=locked).delete()
        _recount_reminders(locked)


def _recount_reminders(rnd: AuctionRound) -> None:
    AuctionRound.objects.filter(pk=rnd.pk).update(reminder_count=EndReminder.objects.filter(round=rnd).count())


def send_end_reminders() -> int:
    """Clock job `bidding.reminders`: notify everyone whose reminder time has come on a bidding round,
    once (an extension after it was sent does not send it again)."""
    now = clock.now()
    sent = 0
    due = (EndReminder.objects.filter(sent_at__isnull=True, round__status=S.BIDDING)
           .select_related("round__lot", "user"))
    for reminder in due:
        rnd = reminder.round
        if rnd.effective_end - now > timedelta(minutes=reminder.minutes_before):
            continue
        with transaction.atomic():
            if EndReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(sent_at=now) != 1:
                continue
            minutes = max(0, int((rnd.effective_end - now).total_seconds() // 60))
            notify.notify([reminder.user], "ending_soon", {
                "lot": rnd.lot.title, "minutes": minutes,
                "end": rnd.effective_end.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")},
                key=f"reminder:{reminder.pk}:{rnd.effective_end.isoformat()}",
                url=reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}")
            sent += 1
    return sent
