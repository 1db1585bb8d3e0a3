"""Every write to courts, cases, lots and rounds. Views, API views, admin actions and the clock only
translate I/O and call these functions.

Naming: `<entity>_<verb>`. A `check_*` function validates untrusted input and raises RuleViolation
without writing; a `do_*` function assumes valid input and states the locks it takes.

Lock order (docs/locking.md): Lot → AuctionRound → (bidding rows) → (settlement rows) → the audit
chain head. Any function that locks more than one of these takes them in this order.

Every state change writes an audit record in the same transaction (core.audit)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from auction import case_number as case_number_rules
from auction import rules
from auction.case_number import parse_case_number
from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
    CourtMembership,
    Encumbrance,
    Lease,
    Lot,
    LotAttachment,
    LotPhoto,
    Notification,
    PanelDecision,
    Party,
    PriorityHolder,
    TaxAllocation,
)
from core import audit, clock, days
from core.errors import PermissionDenied, Problems, RuleViolation
from core.money import format_fen
from core.roles import Role, has_role
from core.transitions import TransitionTable, transition

S = AuctionRound.Status
K = AuctionRound.Kind

ROUND_TRANSITIONS = TransitionTable(
    "auction_round",
    {
        S.DRAFT: {S.PANEL_APPROVED, S.WITHDRAWN},
        S.PANEL_APPROVED: {S.ANNOUNCED, S.WITHDRAWN},
        S.ANNOUNCED: {S.BIDDING, S.STAYED, S.SUSPENDED, S.WITHDRAWN, S.TERMINATED},
        S.BIDDING: {S.ENDED, S.STAYED, S.SUSPENDED, S.WITHDRAWN, S.TERMINATED},
        S.ENDED: {S.SOLD, S.FAILED},
        S.STAYED: {S.ANNOUNCED, S.SUSPENDED, S.WITHDRAWN, S.TERMINATED},
        S.SUSPENDED: {S.ANNOUNCED, S.WITHDRAWN, S.TERMINATED},
        S.FAILED: {S.TAKEN_IN_LIEU},
        S.SOLD: set(),
        S.WITHDRAWN: set(),
        S.TERMINATED: set(),
        S.TAKEN_IN_LIEU: set(),
    },
)
# Publication is the one way into "announced" from "approved by the panel"; resumption has its own service.
PUBLISH = TransitionTable("auction_round_publish", {S.PANEL_APPROVED: {S.ANNOUNCED}})
# Statuses in which the round still occupies its lot (a new round cannot be opened beside it).
OPEN_STATUSES = frozenset({S.DRAFT, S.PANEL_APPROVED, S.ANNOUNCED, S.BIDDING, S.ENDED, S.STAYED, S.SUSPENDED})
# Statuses in which the panel's values are locked and the priority holders frozen (WP art.27).
LOCKED_STATUSES = frozenset({S.PANEL_APPROVED, S.ANNOUNCED, S.BIDDING, S.ENDED, S.STAYED, S.SUSPENDED})
STATUS_LABELS = dict(S.choices)
# Labels of the audit actions written here (core.audit.register_actions, called in apps.py).
AUDIT_ACTIONS = {
    "case.create": _("Case opened"),
    "party.add": _("Party added"),
    "party.access_issued": _("Case-file access code issued to a party"),
    "claim.add": _("Claim added"),
    "lot.create": _("Lot recorded"),
    "lot.update": _("Lot changed"),
    "lot.set_reference_price": _("Reference price set"),
    "lot.photo_add": _("Photo added"),
    "lot.attachment_add": _("Document added"),
    "lot.encumbrance_add": _("Encumbrance added"),
    "lot.lease_add": _("Lease added"),
    "lot.tax_set": _("Tax allocation set"),
    "lot.priority_holder_add": _("Priority holder added"),
    "lot.priority_holder_remove": _("Priority holder removed"),
    "round.create": _("Round created"),
    "round.update": _("Round changed"),
    "round.notification": _("Notification recorded"),
    "round.panel_approve": _("Approved by the collegial panel"),
    "round.panel_decision": _("Panel decision recorded"),
    "round.publish": _("Notice published"),
    "round.open": _("Bidding opened"),
    "round.end": _("Bidding ended"),
    "round.sold": _("Sold"),
    "round.failed": _("Failed (no valid bid)"),
    "round.stay": _("Stayed"),
    "round.suspend": _("Suspended"),
    "round.withdraw": _("Withdrawn"),
    "round.terminate": _("Terminated"),
    "round.resume": _("Resumed"),
    "round.take_in_lieu": _("Taken in lieu of payment"),
    "round.in_lieu_terms": _("In-lieu amounts recorded"),
}
CLOCK = "system:clock"


# --- permissions -------------------------------------------------------------------------------


def check_court_staff(actor: Any, court: Court, *, panel: bool = False) -> None:
    """Court staff act only for their own courts; recording a panel decision needs a panel judge."""
    if isinstance(actor, str) and actor.startswith("system:") and not panel:
        return
    needed = (Role.PANEL,) if panel else (Role.COURT_STAFF, Role.PANEL)
    if isinstance(actor, str) or not has_role(actor, *needed):
        raise PermissionDenied(
            _("Only a member of the collegial panel may do this.") if panel
            else _("Only court enforcement staff may do this."),
            code="permission_denied",
        )
    if not CourtMembership.objects.filter(user=actor, court=court).exists():
        raise PermissionDenied(_("You do not act for %(court)s."), code="wrong_court",
                               params={"court": court.display_name})


# --- cases, parties, claims ------------------------------------------------------------------


def case_create(*, actor: Any, court: Court, number: str, cause: str, filed_on: date,
                platform_chosen_by: str = Case.PlatformChosenBy.APPLICANT) -> Case:
    """Open an enforcement case. The number must be in the official format and carry this court's
    code (《关于人民法院案件案号的若干规定》)."""
    check_court_staff(actor, court)
    parsed = parse_case_number(number, current_year=clock.today().year)
    if parsed.court_code != court.case_code:
        raise RuleViolation(
            _("The case number carries the court code %(code)s, but %(court)s uses %(own)s."),
            code="case_number_wrong_court", field="number",
            params={"code": parsed.court_code, "court": court.display_name, "own": court.case_code},
        )
    if Case.objects.filter(number=str(parsed)).exists():
        raise RuleViolation(_("Case %(number)s already exists."), code="case_exists", field="number",
                            params={"number": str(parsed)})
    if filed_on > clock.today():
        raise RuleViolation(_("The filing date cannot be in the future."), code="filed_in_future", field="filed_on")
    with transaction.atomic():
        case = Case.objects.create(
            court=court, number=str(parsed), year=parsed.year, type_code=parsed.type_code, serial=parsed.serial,
            cause=cause, filed_on=filed_on, platform_chosen_by=platform_chosen_by,
        )
        audit.record(actor=actor, action="case.create", obj=case,
                     after=audit.snapshot(case, ["number", "court_id", "cause", "filed_on", "platform_chosen_by"]))
    return case


def party_add(*, actor: Any, case: Case, role: str, kind: str, name: str, contact: str = "",
              email: str = "") -> Party:
    """Add an applicant, a debtor or a joining creditor. The debtor's type decides how ordinary
    claims are distributed (CPLI arts.506–514), so it is required. `email` receives the notices the
    court sends the party through fapai (valuation results, RP art.21)."""
    check_court_staff(actor, case.court)
    if not name.strip():
        raise RuleViolation(_("The party's name is required."), code="required", field="name")
    with transaction.atomic():
        party = Party.objects.create(case=case, role=role, kind=kind, name=name.strip(), contact=contact,
                                     email=email.strip())
        audit.record(actor=actor, action="party.add", obj=party,
                     after=audit.snapshot(party, ["case_id", "role", "kind", "name"]))
    return party


# An access code a person can read out and type: no 0/O, 1/I/L.
ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACCESS_CODE_LENGTH = 12


def _normalise_access_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def party_access_issue(*, actor: Any, party: Party) -> str:
    """Issue the party a new access code for its case file (阳光司法: parties follow their case) and
    return it, once, to be handed to the party with the court's notice. Only a hash is stored; the new
    code revokes the previous one and the sessions opened with it. Locks: nothing (one row update)."""
    check_court_staff(actor, party.case.court)
    raw = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _i in range(ACCESS_CODE_LENGTH))
    with transaction.atomic():
        party.access_code_hash = make_password(raw)
        party.access_code_issued_at = clock.now()
        party.save(update_fields=["access_code_hash", "access_code_issued_at"])
        # The code itself never enters the audit log.
        audit.record(actor=actor, action="party.access_issued", obj=party,
                     after={"access_code_issued_at": party.access_code_issued_at})
    return "-".join(raw[i:i + 4] for i in range(0, ACCESS_CODE_LENGTH, 4))


def check_party_access(*, case_number: str, code: str) -> Party:
    """The party whose access code this is, for this case number. One message for every failure, so
    the form tells nobody which case numbers exist or which part was wrong."""
    wrong = RuleViolation(_("The case number or the access code is not right."), code="party_access_denied")
    raw = _normalise_access_code(code)
    if len(raw) != ACCESS_CODE_LENGTH or not case_number.strip():
        raise wrong
    parties = Party.objects.filter(case__number=case_number_rules.normalise(case_number)).exclude(
        access_code_hash="").select_related("case__court")
    for party in parties:
        if check_password(raw, party.access_code_hash):
            return party
    if not parties:
        make_password(raw)  # as slow as a real check: the answer's timing does not tell which cases exist
    raise wrong


def claim_add(*, actor: Any, case: Case, creditor: Party, title_document: str, principal_fen: int,
              interest_fen: int = 0, priority_class: str = Claim.PriorityClass.ORDINARY,
              secured_lot: Lot | None = None, registered_on: date | None = None,
              seizure_order: int | None = None, performance_due_on: date | None = None,
              verified: bool = False) -> Claim:
    check_court_staff(actor, case.court)
    problems = Problems()
    if creditor.case_id != case.pk or creditor.role == Party.Role.DEBTOR:
        problems.add(_("The creditor must be an applicant or creditor of this case."), "bad_creditor", field="creditor")
    if principal_fen < 0 or interest_fen < 0:
        problems.add(_("Amounts cannot be negative."), "negative_amount", field="principal_fen")
    if secured_lot is not None and secured_lot.case_id != case.pk:
        problems.add(_("The secured lot belongs to another case."), "bad_lot", field="secured_lot")
    problems.raise_if_any()
    with transaction.atomic():
        claim = Claim.objects.create(
            case=case, creditor=creditor, title_document=title_document, principal_fen=principal_fen,
            interest_fen=interest_fen, priority_class=priority_class, secured_lot=secured_lot,
            registered_on=registered_on, seizure_order=seizure_order, performance_due_on=performance_due_on,
            verified=verified,
        )
        audit.record(actor=actor, action="claim.add", obj=claim, after=audit.snapshot(
            claim, ["creditor_id", "principal_fen", "interest_fen", "priority_class", "registered_on",
                    "seizure_order", "verified"]))
    return claim


# --- lots --------------------------------------------------------------------------------------

LOT_FIELDS = [
    "asset_type", "nature", "title", "description", "province", "city", "district", "address", "area_m2",
    "quantity", "quantity_unit", "built_year", "seized_on", "possession", "occupancy", "known_defects",
    "special_qualifications", "purchase_restricted", "viewing",
]
DEFAULT_NATURE = {
    Lot.AssetType.REAL_ESTATE: Lot.Nature.IMMOVABLE,
    Lot.AssetType.VEHICLE: Lot.Nature.MOVABLE,
    Lot.AssetType.MOVABLE: Lot.Nature.MOVABLE,
    Lot.AssetType.EQUITY: Lot.Nature.RIGHT,
}


def check_lot_fields(values: dict[str, Any]) -> None:
    problems = Problems()
    asset_type = values.get("asset_type")
    nature = values.get("nature")
    if asset_type == Lot.AssetType.OTHER and not nature:
        problems.add(_("For “other” assets, say whether it is movable, real estate or another property right "
                       "(it decides the notice period, WP art.12)."), "nature_required", field="nature")
    if asset_type in DEFAULT_NATURE and nature and nature != DEFAULT_NATURE[asset_type]:
        problems.add(_("This asset type is always “%(nature)s”."), "nature_mismatch", field="nature",
                     params={"nature": Lot.Nature(DEFAULT_NATURE[asset_type]).label})
    if values.get("seized_on") and values["seized_on"] > clock.today():
        problems.add(_("The seizure date cannot be in the future."), "seized_in_future", field="seized_on")
    if values.get("possession") == Lot.Possession.VACANT and values.get("_has_lease"):
        problems.add(_("A lot with a lease cannot be handed over vacant: the lease survives the sale "
                       "(CC art.725)."), "vacant_with_lease", field="possession")
    for name in ("title", "description", "province", "city"):
        if name in values and not str(values[name] or "").strip():
            problems.add(_("This field is required."), "required", field=name)
    problems.raise_if_any()


def lot_create(*, actor: Any, case: Case, **values: Any) -> Lot:
    """Record a seized asset. Its type decides the notice period (movables 15 days, everything
    else 30, WP art.12); the reference price is set separately (RP)."""
    check_court_staff(actor, case.court)
    unknown = set(values) - set(LOT_FIELDS)
    if unknown:
        raise TypeError(f"unknown lot fields: {sorted(unknown)}")
    if not values.get("nature") and values.get("asset_type") in DEFAULT_NATURE:
        values["nature"] = DEFAULT_NATURE[values["asset_type"]]
    check_lot_fields(values)
    with transaction.atomic():
        lot = Lot.objects.create(case=case, **values)
        audit.record(actor=actor, action="lot.create", obj=lot, after=audit.snapshot(lot, ["case_id", *LOT_FIELDS]))
    return lot


def lot_update(*, actor: Any, lot: Lot, **changes: Any) -> Lot:
    """Change the description of a lot. Allowed while it is on sale (corrections must be visible),
    and every change is audited with before and after."""
    check_court_staff(actor, lot.case.court)
    unknown = set(changes) - set(LOT_FIELDS)
    if unknown:
        raise TypeError(f"unknown lot fields: {sorted(unknown)}")
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if "asset_type" in changes and not changes.get("nature") and changes["asset_type"] in DEFAULT_NATURE:
            changes["nature"] = DEFAULT_NATURE[changes["asset_type"]]
        merged = {**{f: getattr(lot, f) for f in LOT_FIELDS}, **changes, "_has_lease": lot.leases.exists()}
        check_lot_fields(merged)
        changed = {k: v for k, v in changes.items() if getattr(lot, k) != v}
        if not changed:
            return lot
        before = audit.snapshot(lot, list(changed))
        for k, v in changed.items():
            setattr(lot, k, v)
        lot.save(update_fields=list(changed))
        audit.record(actor=actor, action="lot.update", obj=lot, before=before, after=audit.snapshot(lot, list(changed)))
    return lot


def lot_set_reference_price(*, actor: Any, lot: Lot, price_fen: int, method: str, fixed_on: date,
                            valid_until: date, note: str = "", document: UploadedFile | None = None) -> Lot:
    """Set the reference price (参考价) that the start price rests on. The valuation procedure calls
    this when a price is fixed; until then staff record one with its source document.
    Validity is at most one year (RP art.27)."""
    check_court_staff(actor, lot.case.court)
    problems = Problems()
    if price_fen <= 0:
        problems.add(_("The reference price must be positive."), "reference_not_positive", field="price_fen")
    if method not in Lot.ReferenceMethod.values:
        problems.add(_("Choose how the reference price was fixed."), "reference_method", field="method")
    if fixed_on > clock.today():
        problems.add(_("The reference price cannot be fixed in the future."), "reference_in_future", field="fixed_on")
    if valid_until < fixed_on:
        problems.add(_("The validity cannot end before the price was fixed."), "reference_validity_order",
                     field="valid_until")
    elif valid_until > rules.reference_validity_limit(fixed_on):
        problems.add(_("A reference price is valid for at most one year, until %(limit)s (RP art.27)."),
                     "reference_validity_too_long", field="valid_until",
                     params={"limit": rules.reference_validity_limit(fixed_on)})
    if not document and not note.strip():
        problems.add(_("Attach the source document or name it (report number)."), "reference_source",
                     field="document")
    problems.raise_if_any()
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if lot.rounds.filter(status__in=[S.ANNOUNCED, S.BIDDING, S.ENDED]).exists():
            raise RuleViolation(_("The reference price cannot change while a round is announced or bidding."),
                                code="reference_locked")
        fields = ["reference_price_fen", "reference_method", "reference_fixed_on", "reference_valid_until",
                  "reference_note", "reference_document"]
        before = audit.snapshot(lot, fields)
        lot.reference_price_fen, lot.reference_method = price_fen, method
        lot.reference_fixed_on, lot.reference_valid_until, lot.reference_note = fixed_on, valid_until, note
        if document:
            lot.reference_document = document
        lot.full_clean(validate_unique=False, validate_constraints=False,
                       exclude=[f.name for f in Lot._meta.fields if f.name not in fields])
        lot.save(update_fields=fields)
        audit.record(actor=actor, action="lot.set_reference_price", obj=lot, before=before,
                     after=audit.snapshot(lot, fields))
    return lot


def _lot_child_add(actor: Any, lot: Lot, model: type, action: str, **values: Any) -> Any:
    check_court_staff(actor, lot.case.court)
    obj = model(lot=lot, **values)
    obj.full_clean()
    with transaction.atomic():
        obj.save()
        audit.record(actor=actor, action=action, obj=obj,
                     after={k: audit.jsonable(getattr(obj, k)) for k in values})
    return obj


def lot_photo_add(*, actor: Any, lot: Lot, image: UploadedFile, caption: str, position: int = 0) -> LotPhoto:
    """Photos need a caption: it is the text alternative for people who cannot see them."""
    if not caption.strip():
        raise RuleViolation(_("Describe the photo in a caption."), code="caption_required", field="caption")
    return _lot_child_add(actor, lot, LotPhoto, "lot.photo_add", image=image, caption=caption, position=position)


def lot_attachment_add(*, actor: Any, lot: Lot, kind: str, title: str, file: UploadedFile) -> LotAttachment:
    return _lot_child_add(actor, lot, LotAttachment, "lot.attachment_add", kind=kind, title=title, file=file)


def lot_encumbrance_add(*, actor: Any, lot: Lot, kind: str, holder: str, survives_sale: bool,
                        description: str = "", amount_fen: int | None = None,
                        registered_on: date | None = None) -> Encumbrance:
    """Security rights end on the sale; leases and usufructs survive it (PB art.28)."""
    if amount_fen is not None and amount_fen < 0:
        raise RuleViolation(_("Amounts cannot be negative."), code="negative_amount", field="amount_fen")
    if kind in (Encumbrance.Kind.MORTGAGE, Encumbrance.Kind.PLEDGE, Encumbrance.Kind.LIEN) and survives_sale:
        raise RuleViolation(_("A security right ends on the sale and is paid from the proceeds (PB art.28)."),
                            code="security_survives", field="survives_sale")
    return _lot_child_add(actor, lot, Encumbrance, "lot.encumbrance_add", kind=kind, holder=holder,
                          survives_sale=survives_sale, description=description, amount_fen=amount_fen,
                          registered_on=registered_on)


def lot_lease_add(*, actor: Any, lot: Lot, tenant: str, start: date, end: date, rent_fen: int,
                  rent_period: str, rent_prepaid_until: date | None = None, note: str = "") -> Lease:
    """A lease survives the sale (CC art.725), so a leased lot cannot promise vacant possession."""
    if end < start:
        raise RuleViolation(_("The lease cannot end before it starts."), code="lease_dates", field="end")
    if rent_fen < 0:
        raise RuleViolation(_("Rent cannot be negative."), code="negative_amount", field="rent_fen")
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if lot.possession == Lot.Possession.VACANT:
            raise RuleViolation(_("A lot with a lease cannot be handed over vacant: the lease survives the sale "
                                  "(CC art.725)."), code="vacant_with_lease", field="possession")
        return _lot_child_add(actor, lot, Lease, "lot.lease_add", tenant=tenant, start=start, end=end,
                              rent_fen=rent_fen, rent_period=rent_period, rent_prepaid_until=rent_prepaid_until,
                              note=note)


def lot_tax_set(*, actor: Any, lot: Lot, tax: str, payer: str, estimate_fen: int | None = None,
                note: str = "") -> TaxAllocation:
    """Say who bears one tax or arrear (WP art.30) and disclose it in the notice (WP art.13(9))."""
    check_court_staff(actor, lot.case.court)
    if payer not in TaxAllocation.Payer.values or tax not in TaxAllocation.Tax.values:
        raise RuleViolation(_("Choose the tax and who bears it."), code="tax_choice", field="payer")
    if estimate_fen is not None and estimate_fen < 0:
        raise RuleViolation(_("Amounts cannot be negative."), code="negative_amount", field="estimate_fen")
    with transaction.atomic():
        existing = TaxAllocation.objects.select_for_update().filter(lot=lot, tax=tax).first()
        before = audit.snapshot(existing, ["payer", "estimate_fen", "note"]) if existing else {}
        obj, _created = TaxAllocation.objects.update_or_create(
            lot=lot, tax=tax, defaults={"payer": payer, "estimate_fen": estimate_fen, "note": note})
        audit.record(actor=actor, action="lot.tax_set", obj=obj, before=before,
                     after=audit.snapshot(obj, ["tax", "payer", "estimate_fen", "note"]))
    return obj


def _check_priority_unlocked(lot: Lot) -> None:
    if lot.rounds.filter(status__in=LOCKED_STATUSES).exists():
        raise RuleViolation(
            _("Priority holders and their ranks were fixed by the collegial panel for a round in progress "
              "(WP art.27)."), code="priority_locked")


def priority_holder_add(*, actor: Any, lot: Lot, name: str, basis: str, rank: int = 1,
                        contact: str = "") -> PriorityHolder:
    """A known priority holder. Its rank becomes binding only through a panel decision (WP arts.19, 27)."""
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        _check_priority_unlocked(lot)
        return _lot_child_add(actor, lot, PriorityHolder, "lot.priority_holder_add", name=name, basis=basis,
                              rank=rank, contact=contact)


def priority_holder_remove(*, actor: Any, holder: PriorityHolder, reason: str) -> None:
    check_court_staff(actor, holder.lot.case.court)
    reason = _require_reason(reason)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=holder.lot_id)
        _check_priority_unlocked(lot)
        if Notification.objects.filter(priority_holder=holder).exists():
            raise RuleViolation(_("This priority holder was already notified of a sale, so the record must stay; "
                                  "record a written waiver instead."), code="priority_holder_notified")
        audit.record(actor=actor, action="lot.priority_holder_remove", obj=holder,
                     before=audit.snapshot(holder, ["name", "basis", "rank"]), reason=reason)
        holder.delete()


# --- rounds: terms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundTerms:
    start_price_fen: int
    increment_fen: int
    deposit_fen: int
    bidding_start: datetime
    bidding_end: datetime


def _reference_problems(lot: Lot, kind: str, terms: RoundTerms, problems: Problems, *, first_notice_on: date | None
                        ) -> None:
    """RP art.27: the first notice must fall within validity, and the sale within validity + 6 months."""
    if lot.reference_price_fen is None or lot.reference_valid_until is None:
        problems.add(_("The lot has no reference price yet; a round cannot be scheduled without one (RP art.30)."),
                     "no_reference_price", field="start_price_fen")
        return
    if kind == K.FIRST and first_notice_on and first_notice_on > lot.reference_valid_until:
        problems.add(_("The reference price expired on %(date)s; the first notice must be published within its "
                       "validity (RP art.27). Obtain a new reference price."),
                     "reference_expired", params={"date": lot.reference_valid_until}, field="start_price_fen")
    deadline = rules.reference_sale_deadline(lot.reference_valid_until)
    if clock.local_date(terms.bidding_end) > deadline:
        problems.add(_("The sale would end after %(date)s, more than 6 months after the reference price expired "
                       "(RP art.27)."), "reference_grace_exceeded", params={"date": deadline}, field="bidding_end")


def check_round_terms(lot: Lot, kind: str, terms: RoundTerms, previous: AuctionRound | None = None,
                      *, notice_on: date | None = None) -> None:
    """All price and time rules of a round, reported together. `notice_on` is the (planned) date the
    notice is published; at publication it is today."""
    problems = Problems()
    start, inc, dep = terms.start_price_fen, terms.increment_fen, terms.deposit_fen
    # A round of the same kind as its predecessor re-runs it after a default (悔拍, WP art.24): its
    # price floor refers to the round before that one, and no "after a failure" window applies.
    reauction = previous is not None and previous.kind == kind
    if reauction:
        assert previous is not None
        previous = previous.previous_round
    if start <= 0:
        problems.add(_("The start price must be positive."), "start_not_positive", field="start_price_fen")
    if inc <= 0:
        problems.add(_("The increment must be greater than zero."), "increment_not_positive", field="increment_fen")
    if kind == K.FIRST and lot.reference_price_fen and start > 0:
        floor = rules.min_first_start(lot.reference_price_fen)
        if start < floor:
            problems.add(_("The start price %(start)s is below 70%% of the reference price %(ref)s; the lowest "
                           "lawful start is %(floor)s (WP art.10)."), "start_below_reference",
                         params={"start": format_fen(start), "ref": format_fen(lot.reference_price_fen),
                                 "floor": format_fen(floor)}, field="start_price_fen")
    if kind == K.SECOND and previous is not None and start > 0:
        floor = rules.min_second_start(previous.start_price_fen)
        if start < floor:
            problems.add(_("The second-round start price %(start)s is below 80%% of the previous start %(prev)s; "
                           "the lowest lawful start is %(floor)s (WP art.26)."), "start_below_previous",
                         params={"start": format_fen(start), "prev": format_fen(previous.start_price_fen),
                                 "floor": format_fen(floor)}, field="start_price_fen")
    if kind == K.SELL_OFF:
        if previous is None or start != previous.start_price_fen:
            problems.add(_("The sell-off price must equal the second auction's start price%(price)s."),
                         "sell_off_price", field="start_price_fen",
                         params={"price": f" {format_fen(previous.start_price_fen)}" if previous else ""})
        if dep != start:
            problems.add(_("A sell-off bidder prepays the full price: the deposit must equal the price."),
                         "sell_off_prepayment", field="deposit_fen")
        if terms.bidding_end - terms.bidding_start != rules.SELL_OFF_PERIOD:
            problems.add(_("A sell-off period lasts 60 days."), "sell_off_period", field="bidding_end")
    elif start > 0:
        low, high = rules.deposit_bounds(start)
        if not low <= dep <= high:
            problems.add(_("The deposit must be between 5%% and 20%% of the start price, i.e. %(low)s to %(high)s "
                           "(WP art.17)."), "deposit_out_of_range",
                         params={"low": format_fen(low), "high": format_fen(high)}, field="deposit_fen")
    if terms.bidding_start.tzinfo is None or terms.bidding_end.tzinfo is None:
        raise ValueError("round times must be timezone-aware")
    if kind != K.SELL_OFF and terms.bidding_end - terms.bidding_start < rules.MIN_BIDDING_PERIOD:
        problems.add(_("Bidding must last at least 24 hours (WP art.20)."), "bidding_too_short", field="bidding_end")
    notice_day = notice_on or clock.today()
    if terms.bidding_start <= clock.now():
        problems.add(_("Bidding must start in the future."), "start_in_past", field="bidding_start")
    else:
        n_days = rules.notice_days(kind, lot.nature)
        earliest = days.period_end(notice_day, n_days)
        if clock.local_date(terms.bidding_start) < earliest:
            problems.add(_("The notice must be published at least %(days)s days before bidding; with the notice on "
                           "%(notice)s bidding can start on %(earliest)s at the earliest (WP arts.12, 26; "
                           "CPL art.85)."), "notice_period_too_short", field="bidding_start",
                         params={"days": n_days, "notice": notice_day, "earliest": earliest})
    if previous is not None and previous.ended_at and not reauction:
        failed_on = clock.local_date(previous.ended_at)
        if kind == K.SECOND:
            last = days.period_end(failed_on, rules.SECOND_ROUND_WITHIN_DAYS)
            held = settings.FAPAI_SECOND_ROUND_WINDOW == "held"
            checked = clock.local_date(terms.bidding_start) if held else notice_day
            if checked > last:
                problems.add(
                    _("The second auction must be held within 30 days of the failed first auction (%(failed)s), "
                      "i.e. by %(last)s (WP art.26).") if held else
                    _("The second auction must be announced within 30 days of the failed first auction "
                      "(%(failed)s), i.e. by %(last)s (WP art.26)."),
                    "second_round_too_late", params={"failed": failed_on, "last": last}, field="bidding_start")
        if kind == K.SELL_OFF:
            last = days.period_end(failed_on, rules.SELL_OFF_NOTICE_WITHIN_DAYS)
            if notice_day > last:
                problems.add(_("The sell-off notice must be published within 15 days of the failed second auction "
                               "(%(failed)s), i.e. by %(last)s."), "sell_off_too_late",
                             params={"failed": failed_on, "last": last}, field="bidding_start")
    _reference_problems(lot, kind, terms, problems, first_notice_on=notice_day)
    problems.raise_if_any()


TEXT_FIELDS = ["notice_text", "terms_text", "payment_text", "judgment_secret", "judgment_secret_reason",
               "balance_due_days"]
TERM_FIELDS = ["start_price_fen", "increment_fen", "deposit_fen", "bidding_start", "bidding_end"]
LOCKED_TERM_FIELDS = ["start_price_fen", "increment_fen", "deposit_fen"]


def _new_round(actor: Any, lot: Lot, kind: str, terms: RoundTerms, previous: AuctionRound | None,
               texts: dict[str, Any]) -> AuctionRound:
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown round fields: {sorted(unknown)}")
    number = (lot.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    rnd = AuctionRound.objects.create(
        lot=lot, number=number, kind=kind, previous_round=previous, created_by=_user_or_none(actor),
        start_price_fen=terms.start_price_fen, increment_fen=terms.increment_fen, deposit_fen=terms.deposit_fen,
        bidding_start=terms.bidding_start, bidding_end=terms.bidding_end, effective_end=terms.bidding_end, **texts,
    )
    audit.record(actor=actor, action="round.create", obj=rnd,
                 after=audit.snapshot(rnd, ["lot_id", "number", "kind", "previous_round_id", "status", *TERM_FIELDS]))
    return rnd


def _user_or_none(actor: Any) -> Any:
    return None if isinstance(actor, str) or actor is None else actor


def round_create(*, actor: Any, lot: Lot, terms: RoundTerms, **texts: Any) -> AuctionRound:
    """Prepare the first auction of a lot (a draft). Start ≥ 70% of a valid reference price
    (WP art.10), deposit 5–20% of the start (WP art.17), bidding ≥ 24 h (WP art.20), notice
    15/30 days (WP art.12). The collegial panel must then approve the terms (WP art.27)."""
    check_court_staff(actor, lot.case.court)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if lot.rounds.filter(status__in=OPEN_STATUSES).exists():
            raise RuleViolation(_("This lot already has a round in progress."), code="round_in_progress")
        if lot.rounds.exclude(status__in=[S.WITHDRAWN, S.TERMINATED]).exists():
            raise RuleViolation(_("After a failed or sold round, create the next round from that round."),
                                code="use_next_round")
        check_round_terms(lot, K.FIRST, terms)
        return _new_round(actor, lot, K.FIRST, terms, None, texts)


def live_next_rounds(previous: AuctionRound) -> Any:
    """Next rounds of `previous` that still count: a withdrawn or terminated one can be replaced."""
    return AuctionRound.objects.filter(previous_round=previous).exclude(status__in=[S.WITHDRAWN, S.TERMINATED])


def next_round_kind(previous: AuctionRound) -> str:
    if previous.kind == K.FIRST:
        return K.SECOND
    if previous.kind == K.SECOND:
        return K.SELL_OFF
    raise RuleViolation(_("A failed sell-off has no further online round; the court decides how to proceed."),
                        code="no_next_round")


def round_create_next(*, actor: Any, previous: AuctionRound, terms: RoundTerms, **texts: Any) -> AuctionRound:
    """After a failed (流拍) first auction, the second auction: start ≥ 80% of the previous start,
    notice 7/15 days, held within 30 days (WP art.26). After a failed second auction, the sell-off
    (变卖): price = the second start, full prepayment, 60 days, notice within 15 days."""
    check_court_staff(actor, previous.lot.case.court)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=previous.lot_id)
        previous = AuctionRound.objects.select_for_update().get(pk=previous.pk)
        if previous.status != S.FAILED:
            raise RuleViolation(_("A next round follows only a failed round (流拍)."), code="previous_not_failed")
        if live_next_rounds(previous).exists():
            raise RuleViolation(_("The next round for this round already exists."), code="next_round_exists")
        if lot.rounds.filter(status__in=OPEN_STATUSES).exists():
            raise RuleViolation(_("This lot already has a round in progress."), code="round_in_progress")
        kind = next_round_kind(previous)
        check_round_terms(lot, kind, terms, previous)
        return _new_round(actor, lot, kind, terms, previous, texts)


def round_create_reauction(*, actor: Any, previous: AuctionRound, terms: RoundTerms, **texts: Any) -> AuctionRound:
    """The re-auction of a sold round whose buyer defaulted (悔拍, WP art.24): a new draft round of
    the same kind, under that kind's price and time rules (start ≥ 70% of a valid reference price
    for a first auction, ≥ 80% of the first auction's start for a second; deposit 5–20%; bidding
    ≥ 24 h; the notice period) but not the 30-day window that follows a failure. A defaulted
    sell-off is not re-run online: the court decides. The caller (bidding) has established the
    default and locks Lot → AuctionRound before calling."""
    check_court_staff(actor, previous.lot.case.court)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=previous.lot_id)
        previous = (AuctionRound.objects.select_for_update(of=("self",)).select_related("previous_round")
                    .get(pk=previous.pk))
        if previous.status != S.SOLD:
            raise RuleViolation(_("A re-auction follows a sold round whose buyer defaulted."), code="no_default")
        if previous.kind == K.SELL_OFF:
            raise RuleViolation(_("A defaulted sell-off is not re-run online; the court decides how to proceed."),
                                code="no_online_reauction")
        if live_next_rounds(previous).exists():
            raise RuleViolation(_("The re-auction of this round already exists."), code="next_round_exists")
        if lot.rounds.filter(status__in=OPEN_STATUSES).exists():
            raise RuleViolation(_("This lot already has a round in progress."), code="round_in_progress")
        check_round_terms(lot, previous.kind, terms, previous)
        return _new_round(actor, lot, previous.kind, terms, previous, texts)


def round_update(*, actor: Any, rnd: AuctionRound, terms: RoundTerms | None = None, **texts: Any) -> AuctionRound:
    """Edit a round before it is announced. After the panel decision the start price, increment and
    deposit are locked (WP art.27); the schedule and texts may still change until publication."""
    check_court_staff(actor, rnd.lot.case.court)
    unknown = set(texts) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown round fields: {sorted(unknown)}")
    with transaction.atomic():
        rnd = (AuctionRound.objects.select_for_update(of=("self",)).select_related("lot", "previous_round")
               .get(pk=rnd.pk))
        if rnd.status not in (S.DRAFT, S.PANEL_APPROVED):
            raise RuleViolation(_("An announced round can no longer be edited."), code="round_not_editable")
        changes: dict[str, Any] = dict(texts)
        if terms is not None:
            if rnd.status == S.PANEL_APPROVED and any(
                getattr(terms, f) != getattr(rnd, f) for f in LOCKED_TERM_FIELDS
            ):
                raise RuleViolation(_("The start price, increment and deposit were fixed by the collegial panel "
                                      "(WP art.27) and cannot be changed."), code="panel_locked")
            check_round_terms(rnd.lot, rnd.kind, terms, rnd.previous_round)
            changes.update({f: getattr(terms, f) for f in TERM_FIELDS})
            changes["effective_end"] = terms.bidding_end
        changed = {k: v for k, v in changes.items() if getattr(rnd, k) != v}
        if not changed:
            return rnd
        before = audit.snapshot(rnd, list(changed))
        for k, v in changed.items():
            setattr(rnd, k, v)
        rnd.save(update_fields=list(changed))
        audit.record(actor=actor, action="round.update", obj=rnd, before=before,
                     after=audit.snapshot(rnd, list(changed)))
    return rnd


def round_record_panel_decision(*, actor: Any, rnd: AuctionRound, decided_on: date, reference: str,
                                members: list[str], document: UploadedFile | None = None) -> PanelDecision:
    """The collegial panel decides the start price (and its reduction), the increment, the deposit
    and the priority holders with their ranks (WP art.27). Recording it moves the round to
    "approved by the panel" and locks those values."""
    check_court_staff(actor, rnd.lot.case.court, panel=True)
    members = [m.strip() for m in members if m and m.strip()]
    problems = Problems()
    if len(members) < 3 or len(members) % 2 == 0:
        problems.add(_("A collegial panel has an odd number of members, at least three."), "panel_members",
                     field="members")
    if len(set(members)) != len(members):
        problems.add(_("Each panel member is listed once."), "panel_members_duplicate", field="members")
    if decided_on > clock.today():
        problems.add(_("The decision date cannot be in the future."), "decided_in_future", field="decided_on")
    if not reference.strip():
        problems.add(_("The decision reference is required."), "required", field="reference")
    problems.raise_if_any()
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=rnd.lot_id)
        rnd = AuctionRound.objects.select_for_update(of=("self",)).select_related("previous_round").get(pk=rnd.pk)
        ROUND_TRANSITIONS.check(rnd.status, S.PANEL_APPROVED, STATUS_LABELS)
        terms = RoundTerms(rnd.start_price_fen, rnd.increment_fen, rnd.deposit_fen, rnd.bidding_start, rnd.bidding_end)
        check_round_terms(lot, rnd.kind, terms, rnd.previous_round)
        holders = [{"id": h.pk, "name": h.name, "basis": h.basis, "rank": h.rank}
                   for h in lot.priority_holders.order_by("rank", "pk")]
        decision = PanelDecision(
            round=rnd, decided_on=decided_on, reference=reference.strip(), members=members,
            start_price_fen=rnd.start_price_fen, increment_fen=rnd.increment_fen, deposit_fen=rnd.deposit_fen,
            priority_holders=holders, recorded_by=actor,
        )
        if document:
            decision.document = document
        decision.full_clean(exclude=["round", "recorded_by"])
        decision.save()
        transition(rnd, ROUND_TRANSITIONS, S.PANEL_APPROVED, actor=actor, action="round.panel_approve",
                   reason=reference, labels=STATUS_LABELS,
                   extra_changes={"status_changed_at": clock.now()})
        audit.record(actor=actor, action="round.panel_decision", obj=decision, after=audit.snapshot(
            decision, ["round_id", "decided_on", "reference", "members", "start_price_fen", "increment_fen",
                       "deposit_fen", "priority_holders"]))
    return decision


def notification_record(*, actor: Any, rnd: AuctionRound, method: str, at: datetime, proof: str,
                        party: Party | None = None, priority_holder: PriorityHolder | None = None,
                        unreachable_reason: str = "") -> Notification:
    """Record notice of the sale to a party or a known priority holder (WP art.16)."""
    check_court_staff(actor, rnd.lot.case.court)
    problems = Problems()
    if (party is None) == (priority_holder is None):
        problems.add(_("Choose exactly one recipient."), "one_recipient", field="party")
    if party is not None and party.case_id != rnd.lot.case_id:
        problems.add(_("The party belongs to another case."), "bad_party", field="party")
    if priority_holder is not None and priority_holder.lot_id != rnd.lot_id:
        problems.add(_("The priority holder belongs to another lot."), "bad_holder", field="priority_holder")
    if at > clock.now():
        problems.add(_("Notification cannot be recorded in advance."), "notified_in_future", field="at")
    if method == Notification.Method.PUBLIC_POSTING and not unreachable_reason.strip():
        problems.add(_("Give the reason the recipient could not be reached (WP art.16)."), "unreachable_reason",
                     field="unreachable_reason")
    if not proof.strip():
        problems.add(_("Record the proof of service, posting or waiver."), "proof_required", field="proof")
    problems.raise_if_any()
    with transaction.atomic():
        note = Notification.objects.create(round=rnd, party=party, priority_holder=priority_holder, method=method,
                                           at=at, proof=proof, unreachable_reason=unreachable_reason)
        audit.record(actor=actor, action="round.notification", obj=note, after=audit.snapshot(
            note, ["round_id", "party_id", "priority_holder_id", "method", "at", "proof"]))
    return note


# --- rounds: publication -------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageItem:
    key: str
    label: str
    ok: bool
    detail: str = ""


def notice_package(rnd: AuctionRound) -> list[PackageItem]:
    """The WP art.13 publication package and the WP art.14 special-prompt inputs, item by item."""
    lot = rnd.lot
    court = lot.case.court
    kinds = set(lot.attachments.values_list("kind", flat=True))
    items = [
        PackageItem("notice", str(_("(1) Auction notice")), bool(rnd.notice_text.strip())),
        PackageItem("judgment", str(_("(2) The judgment being enforced, or why it is not published")),
                    LotAttachment.Kind.JUDGMENT in kinds or (rnd.judgment_secret and bool(rnd.judgment_secret_reason))),
        PackageItem("pricing_basis", str(_("(3) Appraisal report or pricing basis")),
                    LotAttachment.Kind.PRICING_BASIS in kinds or bool(lot.reference_document)),
        PackageItem("rules", str(_("(4) Time, start price and bidding rules")), bool(rnd.terms_text.strip())),
        PackageItem("condition", str(_("(5) Photos and a description of title, occupancy and obligations")),
                    lot.photos.exists() and bool(lot.occupancy.strip()) and bool(lot.possession)),
        PackageItem("priority", str(_("(6) Priority holders and the nature of their rights")),
                    hasattr(rnd, "panel_decision")),
        PackageItem("notified", str(_("(7) Whether parties and priority holders were notified")),
                    not notification_problems(rnd, clock.today())),
        PackageItem("payment", str(_("(8) Deposit, payment method and account")), bool(rnd.payment_text.strip())),
        PackageItem("taxes", str(_("(9) Transfer taxes and who bears them")), lot.tax_allocations.exists()),
        PackageItem("contact", str(_("(10) Court contact and supervision channel")),
                    bool(court.phone and court.supervision_phone)),
        PackageItem("defects", str(_("Special prompt: known defects (or “none known”)")),
                    bool(lot.known_defects.strip())),
        PackageItem("viewing", str(_("Special prompt: how to ask for a viewing")), bool(lot.viewing.strip())),
        PackageItem("qualifications", str(_("Special prompt: bidder qualifications")),
                    bool(lot.special_qualifications.strip())
                    or not (lot.purchase_restricted or lot.asset_type == Lot.AssetType.EQUITY)),
    ]
    return items


def _notification_ready_on(note: Notification) -> date:
    """The first day a notice may be published as far as this one notification goes."""
    served_on = clock.local_date(note.at)
    if note.method == Notification.Method.WAIVED:
        return served_on
    if note.method == Notification.Method.PUBLIC_POSTING:
        served_on = days.period_end(served_on, rules.POSTING_DEEMED_AFTER_DAYS)
    return days.period_end(served_on, rules.NOTIFY_BEFORE_NOTICE_DAYS)


def notification_readiness(rnd: AuctionRound) -> list[tuple[str, date | None]]:
    """WP art.16: every party and known priority holder is notified ≥ 3 days before the notice, or
    waived in writing; an unreachable one is posted publicly and deemed notified after 5 days.
    Per recipient, the first day the notice may be published (None: not notified at all)."""
    notes = list(rnd.notifications.all())
    recipients: list[tuple[str, str, int]] = [(p.name, "party", p.pk) for p in rnd.lot.case.parties.all()]
    recipients += [(h.name, "holder", h.pk) for h in rnd.lot.priority_holders.all()]
    result: list[tuple[str, date | None]] = []
    for name, kind, pk in recipients:
        mine = [n for n in notes if (n.party_id if kind == "party" else n.priority_holder_id) == pk]
        result.append((name, min((_notification_ready_on(n) for n in mine), default=None)))
    return result


def notification_ready_on(rnd: AuctionRound, today: date) -> date | None:
    """The first day (not before today) the notice may be published under WP art.16; None while
    someone has not been notified at all."""
    readiness = notification_readiness(rnd)
    if any(ready is None for _name, ready in readiness):
        return None
    return max([today, *(ready for _name, ready in readiness if ready is not None)])


def notification_problems(rnd: AuctionRound, notice_on: date) -> list[str]:
    """One line per recipient who does not yet satisfy WP art.16 for a notice on `notice_on`."""
    problems: list[str] = []
    for name, ready in notification_readiness(rnd):
        if ready is None:
            problems.append(str(_("%(name)s has not been notified.") % {"name": name}))
        elif notice_on < ready:
            problems.append(str(_("%(name)s: the notice can be published from %(date)s.") % {"name": name,
                                                                                              "date": ready}))
    return problems


def round_publish(*, actor: Any, rnd: AuctionRound) -> AuctionRound:
    """Publish the auction notice. Blocked until the WP art.13 package and the WP art.14 prompts
    are complete, every party and priority holder was notified in time (WP art.16), the notice
    period is long enough (WP arts.12, 26) and the reference price is still usable (RP art.27)."""
    check_court_staff(actor, rnd.lot.case.court)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=rnd.lot_id)
        rnd = AuctionRound.objects.select_for_update(of=("self",)).select_related("previous_round").get(pk=rnd.pk)
        # Only a first publication: a stopped round returns to "announced" through round_resume (WP art.28).
        PUBLISH.check(rnd.status, S.ANNOUNCED, STATUS_LABELS)
        today = clock.today()
        problems = Problems()
        missing = [item for item in notice_package(rnd) if not item.ok and item.key != "notified"]
        if missing:
            problems.add(_("The notice package is incomplete (WP arts.13, 14): %(items)s."), "package_incomplete",
                         params={"items": "; ".join(i.label for i in missing)})
        waiting = notification_problems(rnd, today)
        if waiting:
            problems.add(_("Parties and priority holders must be notified at least 3 days before the notice "
                           "(WP art.16): %(who)s"), "notification_pending", params={"who": " ".join(waiting)})
        terms = RoundTerms(rnd.start_price_fen, rnd.increment_fen, rnd.deposit_fen, rnd.bidding_start, rnd.bidding_end)
        try:
            check_round_terms(lot, rnd.kind, terms, rnd.previous_round, notice_on=today)
        except RuleViolation as exc:
            problems.extend(exc)
        problems.raise_if_any()
        now = clock.now()
        transition(rnd, ROUND_TRANSITIONS, S.ANNOUNCED, actor=actor, action="round.publish", labels=STATUS_LABELS,
                   extra_changes={"notice_published_at": now, "status_changed_at": now})
    return rnd


# --- rounds: the clock --------------------------------------------------------------------------


def round_open(*, rnd: AuctionRound, actor: Any = CLOCK) -> bool:
    """Open bidding at its start time. Idempotent and safe with several clocks: the round row is
    locked and the status re-read. Returns True if this call opened it."""
    with transaction.atomic():
        rnd = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status != S.ANNOUNCED or clock.now() < rnd.bidding_start:
            return False
        transition(rnd, ROUND_TRANSITIONS, S.BIDDING, actor=actor, action="round.open", labels=STATUS_LABELS,
                   extra_changes={"status_changed_at": clock.now()})
    return True


def do_round_close(rnd: AuctionRound, actor: Any = CLOCK) -> AuctionRound | None:
    """Close a round whose effective end has passed: bidding → ended → sold (a valid bid ≥ the
    start price exists; one bidder is enough, WP art.11) or failed (流拍, WP art.26).
    Locks: the round row (caller must hold the transaction). Returns None if nothing to do."""
    rnd = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
    now = clock.now()
    if rnd.status != S.BIDDING or now < rnd.effective_end:
        return None
    transition(rnd, ROUND_TRANSITIONS, S.ENDED, actor=actor, action="round.end", labels=STATUS_LABELS,
               extra_changes={"ended_at": rnd.effective_end, "status_changed_at": now})
    if rnd.bid_count > 0 and rnd.current_price_fen is not None:
        transition(rnd, ROUND_TRANSITIONS, S.SOLD, actor=actor, action="round.sold", labels=STATUS_LABELS,
                   reason=f"{rnd.leader_code} {format_fen(rnd.current_price_fen)}",
                   extra_changes={"status_changed_at": now, "status_reason": ""})
    else:
        # The public reason of a failure is the status itself, shown translated in the reader's language.
        transition(rnd, ROUND_TRANSITIONS, S.FAILED, actor=actor, action="round.failed", labels=STATUS_LABELS,
                   extra_changes={"status_changed_at": now, "status_reason": ""})
    return rnd


def round_close(*, rnd: AuctionRound, actor: Any = CLOCK) -> bool:
    with transaction.atomic():
        return do_round_close(rnd, actor) is not None


def do_round_apply_bid(rnd: AuctionRound, *, price_fen: int, bidder_code: str, at: datetime,
                       save: bool = True) -> AuctionRound:
    """Apply an accepted bid to the round's price box. The bid engine has already validated the bid
    under the round lock; this keeps the one rule that belongs to the round itself: the end moves
    to max(end, bid time + 5 minutes), with no cap on extensions (WP art.20). In a sell-off the first
    bid starts a 24-hour contest. With save=False the caller saves the round once for a batch of
    bids. Locks: the caller holds the round row lock."""
    if rnd.status != S.BIDDING or at >= rnd.effective_end:
        raise RuleViolation(_("Bidding on this round is closed."), code="round_not_open")
    if rnd.kind == K.SELL_OFF and rnd.bid_count == 0:
        new_end = rules.extended_end(at + rules.SELL_OFF_CONTEST, at)
    else:
        new_end = rules.extended_end(rnd.effective_end, at)
    if new_end != rnd.effective_end and not (rnd.kind == K.SELL_OFF and rnd.bid_count == 0):
        rnd.extension_count += 1
    rnd.effective_end = new_end
    rnd.current_price_fen = price_fen
    rnd.leader_code = bidder_code
    rnd.bid_count += 1
    if save:
        rnd.save(update_fields=["effective_end", "extension_count", "current_price_fen", "leader_code", "bid_count"])
    return rnd


# --- rounds: stops, resumption, next steps -------------------------------------------------------


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise RuleViolation(_("A public reason is required (WP art.28)."), code="reason_required", field="reason")
    return reason.strip()


def _stop(actor: Any, rnd: AuctionRound, target: str, action: str, reason: str) -> AuctionRound:
    check_court_staff(actor, rnd.lot.case.court)
    reason = _require_reason(reason)
    with transaction.atomic():
        rnd = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        now = clock.now()
        extra: dict[str, Any] = {"status_reason": reason, "status_changed_at": now}
        if target in (S.STAYED, S.SUSPENDED) and rnd.stopped_at is None:
            extra["stopped_at"] = now
        transition(rnd, ROUND_TRANSITIONS, target, actor=actor, action=action, reason=reason, labels=STATUS_LABELS,
                   extra_changes=extra)
    return rnd


def round_stay(*, actor: Any, rnd: AuctionRound, reason: str) -> AuctionRound:
    """Stay (暂缓) by court decision, or by the platform for a system fault (WP art.28). Bids are
    frozen; the reason is published."""
    return _stop(actor, rnd, S.STAYED, "round.stay", reason)


def round_suspend(*, actor: Any, rnd: AuctionRound, reason: str) -> AuctionRound:
    """Suspension (中止) by ruling; required on a third-party objection (WP art.36, CPL art.238)."""
    return _stop(actor, rnd, S.SUSPENDED, "round.suspend", reason)


def round_withdraw(*, actor: Any, rnd: AuctionRound, reason: str) -> AuctionRound:
    """Withdrawal (撤回): the judgment was set aside, the application withdrawn, the debt paid in full,
    a settlement, a valid third-party objection (PB arts.17, 19). Final."""
    return _stop(actor, rnd, S.WITHDRAWN, "round.withdraw", reason)


def round_terminate(*, actor: Any, rnd: AuctionRound, reason: str) -> AuctionRound:
    """Termination (终止) of the auction. Final."""
    return _stop(actor, rnd, S.TERMINATED, "round.terminate", reason)


def round_resume(*, actor: Any, rnd: AuctionRound, reason: str, cause_ended_on: date,
                 bidding_start: datetime, bidding_end: datetime) -> AuctionRound:
    """Resume a stayed or suspended round with a new schedule within 5 days of the day its cause
    ended (WP art.28; CPL art.85 counting). Bids already placed stand. Bidding again lasts ≥ 24 h."""
    check_court_staff(actor, rnd.lot.case.court)
    reason = _require_reason(reason)
    with transaction.atomic():
        rnd = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status not in (S.STAYED, S.SUSPENDED) or rnd.stopped_at is None:
            raise RuleViolation(_("Only a stayed or suspended round can be resumed."), code="not_stopped")
        problems = Problems()
        today = clock.today()
        if cause_ended_on > today or cause_ended_on < clock.local_date(rnd.stopped_at):
            problems.add(_("The cause can only have ended between the stop (%(stopped)s) and today."),
                         "cause_end_date", params={"stopped": clock.local_date(rnd.stopped_at)}, field="cause_ended_on")
        deadline = days.period_end(cause_ended_on, rules.RESUME_WITHIN_DAYS)
        if today > deadline:
            problems.add(_("The round had to be resumed within 5 days of the end of the cause, i.e. by %(date)s "
                           "(WP art.28). Withdraw it and list the lot again."), "resume_deadline_passed",
                         params={"date": deadline}, field="cause_ended_on")
        if bidding_start < clock.now():
            problems.add(_("Bidding must start in the future."), "start_in_past", field="bidding_start")
        period = rules.SELL_OFF_PERIOD if rnd.kind == K.SELL_OFF else rules.MIN_BIDDING_PERIOD
        if bidding_end - bidding_start < period:
            problems.add(_("Bidding must last at least 24 hours (WP art.20)."), "bidding_too_short",
                         field="bidding_end")
        resumed = RoundTerms(rnd.start_price_fen, rnd.increment_fen, rnd.deposit_fen, bidding_start, bidding_end)
        _reference_problems(rnd.lot, rnd.kind, resumed, problems, first_notice_on=None)
        problems.raise_if_any()
        now = clock.now()
        transition(rnd, ROUND_TRANSITIONS, S.ANNOUNCED, actor=actor, action="round.resume", reason=reason,
                   labels=STATUS_LABELS, extra_changes={
                       "bidding_start": bidding_start, "bidding_end": bidding_end, "effective_end": bidding_end,
                       "status_reason": reason, "status_changed_at": now, "stopped_at": None})
    return rnd


def round_take_in_lieu(*, actor: Any, rnd: AuctionRound, creditor: Party, reason: str,
                       qualification_confirmed: bool = False) -> dict[str, int]:
    """After a failed round a creditor may take the lot in lieu of payment at that round's reserve
    (= start price), topping up any excess over its claims (PB art.16). A creditor without the
    house-purchase qualification may not (HQ art.5). Returns the amounts."""
    check_court_staff(actor, rnd.lot.case.court)
    reason = _require_reason(reason)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=rnd.lot_id)
        rnd = AuctionRound.objects.select_for_update().get(pk=rnd.pk)
        if creditor.case_id != lot.case_id or creditor.role == Party.Role.DEBTOR:
            raise RuleViolation(_("Only a creditor of this case can take the lot in lieu of payment."),
                                code="bad_creditor", field="creditor")
        if live_next_rounds(rnd).exists():
            raise RuleViolation(_("The lot is already offered again in a next round."), code="next_round_exists")
        if lot.asset_type == Lot.AssetType.REAL_ESTATE and lot.purchase_restricted and not qualification_confirmed:
            raise RuleViolation(_("The creditor's house-purchase qualification must be confirmed first (HQ art.5)."),
                                code="qualification_required", field="qualification_confirmed")
        claims = sum(c.total_fen for c in creditor.claims.filter(case=lot.case, verified=True))
        top_up = max(0, rnd.start_price_fen - claims)
        transition(rnd, ROUND_TRANSITIONS, S.TAKEN_IN_LIEU, actor=actor, action="round.take_in_lieu",
                   reason=reason, labels=STATUS_LABELS, extra_changes={
                       "status_reason": reason, "status_changed_at": clock.now()})
        audit.record(actor=actor, action="round.in_lieu_terms", obj=rnd, after={
            "creditor_id": creditor.pk, "value_fen": rnd.start_price_fen, "verified_claims_fen": claims,
            "top_up_fen": top_up})
    return {"value_fen": rnd.start_price_fen, "verified_claims_fen": claims, "top_up_fen": top_up}


def lot_record_view(lot: Lot) -> None:
    """Count a view (围观). Not audited: it changes no state of the sale."""
    Lot.objects.filter(pk=lot.pk).update(view_count=F("view_count") + 1)


# --- deadlines to staff ----------------------------------------------------------------------------------------

DEADLINE_NOTICE_AHEAD = timedelta(hours=24)


def notify_deadlines() -> int:
    """Clock job `court.deadlines`: tell each court's staff once when a deadline of the court comes
    within 24 hours, and once more when it is overdue (core.deadlines gathers them from every app)."""
    from core import deadlines, notify

    now = clock.now()
    sent = 0
    for court in Court.objects.all():
        staff = list(get_user_model().objects.filter(court_memberships__court=court, groups__name=Role.COURT_STAFF,
                                         is_active=True).distinct())
        if not staff:
            continue
        for due in deadlines.collect([court.pk], now):
            left = due.seconds_left(now)
            if left > DEADLINE_NOTICE_AHEAD.total_seconds():
                continue
            kind = "deadline_overdue" if left < 0 else "deadline_soon"
            digest = hashlib.sha256(f"{due.kind}|{due.url}|{due.label}|{due.due.isoformat()}".encode()).hexdigest()
            with transaction.atomic():
                sent += notify.notify(staff, kind, {
                    "label": due.label, "subject": due.subject, "article": due.article,
                    "due": due.due.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M")},
                    key=f"{kind}:{digest[:40]}", url=due.url)
    return sent
