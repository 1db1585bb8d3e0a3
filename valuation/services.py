"""Every write of the reference-price procedure (RP 2018). Views, API views, admin actions, the clock
and the demo only translate I/O and call these functions.

Lock order (docs/locking.md): auction.Lot → valuation.Valuation → the valuation's own rows →
core.AuditChainHead. Every function that changes a valuation or its rows locks the Valuation row
first; a function that may fix the price locks the Lot before it (auction's
lot_set_reference_price then locks the same Lot again, which it already holds).
Every change writes an audit record in the same transaction (core.audit)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from auction import services as auction_services
from auction.models import Lot, Party
from core import audit, clock, days, notify
from core.errors import Problems, RuleViolation
from core.money import format_fen
from core.transitions import TransitionTable, transition
from valuation import providers, rules, selectors
from valuation.models import (
    Agency,
    AppraisalSelection,
    Delivery,
    DirectedInquiry,
    Engagement,
    Extension,
    MethodStep,
    Objection,
    OnlineInquiry,
    Proposal,
    Report,
    Valuation,
    ValuationCost,
)

M = Lot.ReferenceMethod
V = Valuation.Status
G = MethodStep.Ground
Outcome = MethodStep.Outcome
E = Engagement.Status
OS = Objection.Status
OK = Objection.Kind
OO = Objection.Outcome
CLOCK = "system:clock"

VALUATION_TRANSITIONS = TransitionTable("valuation", {
    V.OPEN: {V.FIXED, V.STAYED, V.WITHDRAWN},
    V.STAYED: {V.OPEN, V.WITHDRAWN},
    V.FIXED: set(),
    V.WITHDRAWN: set(),
})
STATUS_LABELS = dict(V.choices)

# RP art.3: what the court establishes before fixing a reference price.
INVESTIGATION_ITEMS = [
    ("title", _("Title and ownership")),
    ("encumbrances", _("Rights and encumbrances")),
    ("occupancy", _("Possession and use")),
    ("taxes", _("Unpaid taxes and fees")),
    ("defects", _("Quality defects")),
]
# RP arts.4–7, 14: the legal order of the methods, and the grounds on which each may be passed over.
CASCADE = [M.NEGOTIATION, M.DIRECTED_INQUIRY, M.ONLINE_INQUIRY, M.APPRAISAL]
SKIP_GROUNDS: dict[str, set[str]] = {
    M.NEGOTIATION: {G.PARTY_REFUSES, G.PARTY_MISSING, G.PARTIES_ASK_DIRECTED, G.PARTIES_ASK_ONLINE,
                    G.PARTIES_ASK_APPRAISAL, G.LAW_REQUIRES_APPRAISAL},
    M.DIRECTED_INQUIRY: {G.NO_GOVERNMENT_PRICE, G.PARTIES_ASK_ONLINE, G.PARTIES_ASK_APPRAISAL,
                         G.LAW_REQUIRES_APPRAISAL},
    M.ONLINE_INQUIRY: {G.INSPECTION_NEEDED, G.NO_ONLINE_CONDITIONS, G.PARTIES_ASK_APPRAISAL,
                       G.LAW_REQUIRES_APPRAISAL},
    M.APPRAISAL: set(),
}
FAIL_GROUNDS: dict[str, set[str]] = {
    M.NEGOTIATION: {G.PROPOSALS_DIFFER, G.PARTY_REFUSES, G.PARTY_MISSING},
    M.DIRECTED_INQUIRY: {G.NO_ANSWER},
    M.ONLINE_INQUIRY: {G.NO_PLATFORM_DELIVERED},
    M.APPRAISAL: set(),
}
PROCEDURAL_GROUNDS = {Objection.Ground.BASIC_INFO, Objection.Ground.SCOPE, Objection.Ground.QUALIFICATION,
                      Objection.Ground.PROCEDURE}
# RP art.23 ¶2: these procedural grounds, when upheld against an appraisal, send the appraisal to the
# next agency; the others are corrected by the same agency.
SET_ASIDE_GROUNDS = {Objection.Ground.QUALIFICATION, Objection.Ground.PROCEDURE}

AUDIT_ACTIONS = {
    "valuation.open": _("Valuation opened"),
    "valuation.investigation": _("Investigation recorded"),
    "valuation.step_start": _("Method started"),
    "valuation.step_skip": _("Method skipped"),
    "valuation.step_fail": _("Method failed"),
    "valuation.step_succeed": _("Method gave the price"),
    "valuation.proposal": _("Negotiation proposal recorded"),
    "valuation.directed_send": _("Directed inquiry sent"),
    "valuation.inquiry_send": _("Online inquiry sent to every platform"),
    "valuation.inquiry_extension_request": _("Platform asked for an extension"),
    "valuation.inquiry_extend": _("Online inquiry extended"),
    "valuation.report": _("Report received"),
    "valuation.selection": _("Appraisal agencies selected"),
    "valuation.commission": _("Agency commissioned"),
    "valuation.appraisal_extend": _("Appraisal period extended"),
    "valuation.hand_over": _("Late agency handed over to the next"),
    "valuation.delivery": _("Report delivered to a party"),
    "valuation.objection": _("Objection filed"),
    "valuation.objection_forward": _("Objection sent to the agency"),
    "valuation.objection_explain": _("Agency's explanation recorded"),
    "valuation.objection_review": _("Objection referred to technical review"),
    "valuation.objection_decide": _("Objection decided"),
    "valuation.fix": _("Reference price fixed"),
    "valuation.stay": _("Valuation stayed"),
    "valuation.resume": _("Valuation resumed"),
    "valuation.withdraw": _("Valuation withdrawn"),
    "valuation.reissue": _("Reissue requested"),
    "valuation.cost": _("Valuation cost recorded"),
}


# --- helpers ---------------------------------------------------------------------------------------


def _check_staff(actor: Any, valuation: Valuation) -> None:
    auction_services.check_court_staff(actor, valuation.lot.case.court)


def _lock(valuation: Valuation, *, with_lot: bool = False) -> Valuation:
    """Lock the valuation row, after its lot's row when the price may be fixed (the caller is inside
    transaction.atomic())."""
    if with_lot:
        Lot.objects.select_for_update().get(pk=valuation.lot_id)
    return Valuation.objects.select_for_update(of=("self",)).select_related("lot__case__court").get(pk=valuation.pk)


def _require_open(valuation: Valuation) -> None:
    if valuation.status != V.OPEN:
        raise RuleViolation(_("The valuation is %(status)s; nothing can be recorded in it."), code="valuation_not_open",
                            params={"status": valuation.get_status_display()})


def _current_step(valuation: Valuation, method: str | None = None) -> MethodStep:
    step = valuation.steps.filter(outcome=Outcome.IN_PROGRESS).first()
    if step is None or (method is not None and step.method != method):
        raise RuleViolation(_("This needs the method “%(method)s” in progress."), code="method_not_in_progress",
                            params={"method": M(method).label if method else "—"})
    return step


def _date_not_future(value: date, field: str, problems: Problems) -> None:
    if value > clock.today():
        problems.add(_("The date cannot be in the future."), "date_in_future", field=field)


def _record(actor: Any, action: str, obj: Any, fields: Sequence[str], before: dict[str, Any] | None = None,
            reason: str = "") -> None:
    audit.record(actor=actor, action=action, obj=obj, before=before, after=audit.snapshot(obj, list(fields)),
                 reason=reason)


def _check_validity(report_date: date, valid_until: date | None, problems: Problems, field: str = "valid_until"
                    ) -> date:
    """RP art.27: a result is valid for at most one year; without a stated validity, one year."""
    limit = rules.validity_limit(report_date)
    if valid_until is None:
        return limit
    if valid_until < report_date:
        problems.add(_("The validity cannot end before the report's date."), "validity_order", field=field)
    elif valid_until > limit:
        problems.add(_("A result is valid for at most one year, until %(limit)s (RP art.27)."), "validity_too_long",
                     field=field, params={"limit": limit})
    return valid_until


# --- opening, investigation ----------------------------------------------------------------------------


def valuation_open(*, actor: Any, lot: Lot, opened_on: date | None = None) -> Valuation:
    """Open the reference-price procedure for a seized lot. The court must start it within 30 days
    of the seizure (RP art.1): a later start is allowed, and shown as late. One valuation at a time."""
    auction_services.check_court_staff(actor, lot.case.court)
    opened_on = opened_on or clock.today()
    problems = Problems()
    _date_not_future(opened_on, "opened_on", problems)
    if opened_on < lot.seized_on:
        problems.add(_("A valuation cannot start before the seizure (%(day)s)."), "opened_before_seizure",
                     field="opened_on", params={"day": lot.seized_on})
    problems.raise_if_any()
    with transaction.atomic():
        lot = Lot.objects.select_for_update().get(pk=lot.pk)
        if Valuation.objects.filter(lot=lot, status__in=[V.OPEN, V.STAYED]).exists():
            raise RuleViolation(_("This lot already has a valuation in progress."), code="valuation_exists")
        valuation = Valuation.objects.create(lot=lot, opened_on=opened_on, opened_by=_user(actor))
        _record(actor, "valuation.open", valuation, ["lot", "status", "opened_on"])
    return valuation


def _user(actor: Any) -> Any:
    return None if isinstance(actor, str) or actor is None else actor


def valuation_record_investigation(*, actor: Any, valuation: Valuation, items: dict[str, bool],
                                   note: str = "") -> Valuation:
    """The court establishes title, encumbrances, possession, unpaid taxes and defects before it
    fixes a reference price (RP art.3). The methods can start once every item is done."""
    _check_staff(actor, valuation)
    unknown = set(items) - {key for key, _label in INVESTIGATION_ITEMS}
    if unknown:
        raise RuleViolation(_("Unknown checklist items: %(items)s."), code="unknown_items",
                            params={"items": ", ".join(sorted(unknown))})
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        before = audit.snapshot(valuation, ["investigation", "investigation_note", "investigated_on"])
        checklist = {key: bool(items.get(key)) for key, _label in INVESTIGATION_ITEMS}
        valuation.investigation = checklist
        valuation.investigation_note = note.strip()
        complete = all(checklist.values())
        valuation.investigated_on = (valuation.investigated_on or clock.today()) if complete else None
        valuation.save(update_fields=["investigation", "investigation_note", "investigated_on"])
        _record(actor, "valuation.investigation", valuation, ["investigation", "investigation_note",
                                                               "investigated_on"], before)
    return valuation


# --- the cascade ----------------------------------------------------------------------------------------


def next_method(valuation: Valuation) -> str | None:
    """The first method of the legal order not yet decided (tried or skipped), or None."""
    decided = set(valuation.steps.values_list("method", flat=True))
    return next((m for m in CASCADE if m not in decided), None)


def _check_turn(valuation: Valuation, method: str) -> None:
    """RP arts.4–7, 14: a method is reached only when every earlier one was skipped or failed, each
    with its recorded ground."""
    _require_open(valuation)
    if valuation.investigated_on is None:
        raise RuleViolation(_("Complete the investigation checklist first (RP art.3)."), code="investigation_first")
    if valuation.steps.filter(outcome=Outcome.IN_PROGRESS).exists():
        raise RuleViolation(_("Another method is in progress; record its outcome first."), code="step_in_progress")
    expected = next_method(valuation)
    if method != expected:
        raise RuleViolation(
            _("The methods follow the legal order: next is “%(expected)s” (RP arts.4–7, 14)."), code="cascade_order",
            field="method", params={"expected": M(expected).label if expected else "—"})


def method_start(*, actor: Any, valuation: Valuation, method: str) -> MethodStep:
    """Start the next method of the legal order."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _check_turn(valuation, method)
        step = MethodStep.objects.create(valuation=valuation, method=method, position=CASCADE.index(M(method)) + 1,
                                         outcome=Outcome.IN_PROGRESS, started_on=clock.today())
        valuation.method = method
        valuation.save(update_fields=["method"])
        _record(actor, "valuation.step_start", step, ["method", "outcome", "started_on"])
    return step


def method_skip(*, actor: Any, valuation: Valuation, method: str, ground: str, reason: str = "") -> MethodStep:
    """Pass over the next method on a legal ground, recorded with it: a party refuses negotiation
    or cannot be found (art.4); no government price (art.5); inspection needed or no conditions for
    an online inquiry (art.7); both parties ask for a later method (arts.5, 7, 14); a law requires an
    appraisal (art.14). The appraisal, the last resort, cannot be skipped."""
    _check_staff(actor, valuation)
    if ground not in SKIP_GROUNDS.get(method, set()):
        raise RuleViolation(_("This is not a ground for passing over “%(method)s”."), code="skip_ground",
                            field="ground", params={"method": M(method).label if method in M.values else method})
    with transaction.atomic():
        valuation = _lock(valuation)
        _check_turn(valuation, method)
        today = clock.today()
        step = MethodStep.objects.create(valuation=valuation, method=method, position=CASCADE.index(M(method)) + 1,
                                         outcome=Outcome.SKIPPED, ground=ground, reason=reason.strip(), ended_on=today)
        _record(actor, "valuation.step_skip", step, ["method", "outcome", "ground", "reason"], reason=reason)
    return step


def method_fail(*, actor: Any, valuation: Valuation, ground: str, reason: str = "") -> MethodStep:
    """Record that the method in progress did not give a price, so the next one is reached: the
    negotiation failed (art.4), the institution did not answer (arts.6–7), no platform delivered a
    usable result in time (arts.11, 14). The appraisal cannot fail over to anything."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        step = _current_step(valuation)
        if ground not in FAIL_GROUNDS[step.method]:
            raise RuleViolation(_("This is not a ground on which “%(method)s” fails."), code="fail_ground",
                                field="ground", params={"method": step.get_method_display()})
        if step.method == M.ONLINE_INQUIRY:
            _check_inquiry_failed(valuation)
        before = audit.snapshot(step, ["outcome", "ground", "reason", "ended_on"])
        step.outcome, step.ground, step.reason, step.ended_on = Outcome.FAILED, ground, reason.strip(), clock.today()
        step.save(update_fields=["outcome", "ground", "reason", "ended_on"])
        valuation.method = ""
        valuation.save(update_fields=["method"])
        _record(actor, "valuation.step_fail", step, ["outcome", "ground", "reason", "ended_on"], before, reason)
    return step


def _check_inquiry_failed(valuation: Valuation) -> None:
    """An online inquiry fails only when its period (with any extension) is over and no usable
    result remains (RP arts.11 ¶3, 13, 14)."""
    if not OnlineInquiry.objects.filter(valuation=valuation).exists():
        raise RuleViolation(_("Send the online inquiry first."), code="inquiry_not_sent")
    outcome = selectors.inquiry_outcome(valuation, clock.today())
    if not outcome.period_over or outcome.included:
        raise RuleViolation(_("The online inquiry has not failed: its period is running or a usable result "
                              "exists."), code="inquiry_not_failed")


# --- negotiation (当事人议价) ---------------------------------------------------------------------------


def negotiating_parties(valuation: Valuation) -> list[Party]:
    """The parties who negotiate: every applicant and every debtor of the case (RP art.4)."""
    return list(valuation.lot.case.parties.filter(role__in=[Party.Role.APPLICANT, Party.Role.DEBTOR]).order_by("id"))


def proposal_record(*, actor: Any, valuation: Valuation, party: Party, price_fen: int, proposed_on: date,
                    note: str = "") -> Proposal:
    """A party's price in the negotiation; a later proposal replaces the earlier one (RP art.4)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if party.case_id != valuation.lot.case_id or party.role not in (Party.Role.APPLICANT, Party.Role.DEBTOR):
        problems.add(_("Only the applicant and the debtor of this case negotiate."), "bad_party", field="party")
    if price_fen <= 0:
        problems.add(_("The price must be positive."), "price_not_positive", field="price_fen")
    _date_not_future(proposed_on, "proposed_on", problems)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        step = _current_step(valuation, M.NEGOTIATION)
        if step.started_on and proposed_on < step.started_on:
            raise RuleViolation(_("The proposal cannot predate the negotiation (%(day)s)."),
                                code="proposal_before_start", field="proposed_on", params={"day": step.started_on})
        existing = Proposal.objects.filter(valuation=valuation, party=party).first()
        before = audit.snapshot(existing, ["price_fen", "proposed_on"]) if existing else None
        proposal, _created = Proposal.objects.update_or_create(
            valuation=valuation, party=party, defaults={"price_fen": price_fen, "proposed_on": proposed_on,
                                                        "note": note.strip()})
        _record(actor, "valuation.proposal", proposal, ["party", "price_fen", "proposed_on"], before)
    return proposal


def negotiation_conclude(*, actor: Any, valuation: Valuation, harms_nobody: bool, valid_until: date | None = None
                         ) -> Valuation:
    """Matching prices from both sides that harm nobody become the reference price (RP art.4 ¶2),
    valid for what the parties agreed, at most one year (RP art.27). There is no objection against a
    negotiated price (RP art.24 ¶2)."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation, with_lot=True)
        _current_step(valuation, M.NEGOTIATION)
        parties = negotiating_parties(valuation)
        proposals = {p.party_id: p for p in Proposal.objects.filter(valuation=valuation)}
        missing = [p.name for p in parties if p.pk not in proposals]
        if missing:
            raise RuleViolation(_("No proposal yet from: %(names)s."), code="proposals_missing",
                                params={"names": "、".join(missing)})
        prices = {proposals[p.pk].price_fen for p in parties}
        if len(prices) != 1:
            raise RuleViolation(_("The proposals differ (%(prices)s): the negotiation failed; record that and go on "
                                  "to the next method (RP art.4)."), code="proposals_differ",
                                params={"prices": ", ".join(format_fen(p) for p in sorted(prices))})
        if not harms_nobody:
            raise RuleViolation(_("A negotiated price becomes the reference price only if it harms nobody's lawful "
                                  "rights (RP art.4)."), code="harms_others", field="harms_nobody")
        agreed_on = max(proposals[p.pk].proposed_on for p in parties)
        problems = Problems()
        valid_until = _check_validity(agreed_on, valid_until, problems)
        problems.raise_if_any()
        note = str(_("Party negotiation: the applicant and the debtor agreed on %(price)s")
                   % {"price": format_fen(prices.pop())})
        return _fix(actor, valuation, price_fen=proposals[parties[0].pk].price_fen, valid_until=valid_until,
                    note=note)


# --- directed inquiry (定向询价) -------------------------------------------------------------------------


def directed_inquiry_send(*, actor: Any, valuation: Valuation, institution: str, basis: str, requested_on: date,
                          due_on: date, letter_reference: str = "") -> DirectedInquiry:
    """The inquiry letter to the institution where the property lies, stating the deadline the
    court sets (RP arts.5–6)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if not institution.strip():
        problems.add(_("Name the institution."), "required", field="institution")
    if basis not in DirectedInquiry.Basis.values:
        problems.add(_("Say which government price the property has (RP art.5)."), "basis_required", field="basis")
    _date_not_future(requested_on, "requested_on", problems)
    if due_on <= requested_on:
        problems.add(_("The deadline must come after the letter."), "due_order", field="due_on")
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        _current_step(valuation, M.DIRECTED_INQUIRY)
        if DirectedInquiry.objects.filter(valuation=valuation).exists():
            raise RuleViolation(_("The inquiry letter was already sent."), code="already_sent")
        inquiry = DirectedInquiry.objects.create(valuation=valuation, institution=institution.strip(), basis=basis,
                                                 requested_on=requested_on, due_on=due_on,
                                                 letter_reference=letter_reference.strip())
        _record(actor, "valuation.directed_send", inquiry, ["institution", "basis", "requested_on", "due_on"])
    return inquiry


def directed_inquiry_answer(*, actor: Any, valuation: Valuation, price_fen: int, report_date: date,
                            received_on: date, number: str = "", document: UploadedFile | None = None,
                            valid_until: date | None = None) -> Valuation:
    """The institution's answer given within the letter's deadline is the reference price
    (RP art.6); it is sent to the parties (RP art.21) but cannot be objected to (RP art.24 ¶2)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if price_fen <= 0:
        problems.add(_("The price must be positive."), "price_not_positive", field="price_fen")
    _date_not_future(received_on, "received_on", problems)
    if report_date > received_on:
        problems.add(_("The answer cannot be dated after it was received."), "report_after_receipt",
                     field="report_date")
    valid = _check_validity(report_date, valid_until, problems)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation, with_lot=True)
        _current_step(valuation, M.DIRECTED_INQUIRY)
        inquiry = DirectedInquiry.objects.filter(valuation=valuation).first()
        if inquiry is None:
            raise RuleViolation(_("Send the inquiry letter first."), code="letter_first")
        if received_on < inquiry.requested_on:
            raise RuleViolation(_("The answer cannot predate the letter."), code="answer_before_letter",
                                field="received_on")
        if received_on > inquiry.due_on:
            raise RuleViolation(_("The answer came after the deadline of %(day)s in the letter; only an answer "
                                  "within it is the reference price (RP art.6). Record that the inquiry failed."),
                                code="directed_answer_late", field="received_on", params={"day": inquiry.due_on})
        report = _new_report(valuation, Report.Kind.DIRECTED_INQUIRY, inquiry.institution, price_fen=price_fen,
                             report_date=report_date, received_on=received_on, number=number, document=document,
                             valid_until=valid)
        _record(actor, "valuation.report", report, ["kind", "provider_name", "price_fen", "report_date",
                                                    "received_on", "number", "valid_until"])
        note = str(_("Directed inquiry: %(institution)s answered %(price)s")
                   % {"institution": inquiry.institution, "price": format_fen(price_fen)})
        return _fix(actor, valuation, price_fen=price_fen, valid_until=valid, note=note[:200])


def _new_report(valuation: Valuation, kind: str, provider_name: str, *, price_fen: int, report_date: date,
                received_on: date, number: str, document: UploadedFile | None, valid_until: date,
                engagement: Engagement | None = None) -> Report:
    report = Report(valuation=valuation, kind=kind, provider_name=provider_name[:150], engagement=engagement,
                    price_fen=price_fen, report_date=report_date, received_on=received_on, number=number.strip(),
                    valid_until=valid_until)
    if document:
        report.document = document
    report.full_clean(exclude=["valuation", "engagement"])
    report.save()
    return report


# --- online inquiry (网络询价) ---------------------------------------------------------------------------


def online_inquiry_send(*, actor: Any, valuation: Valuation) -> OnlineInquiry:
    """Send the commission to every configured inquiry platform at once (RP art.10); each reports
    within 3 days (RP art.11). One empty report row per platform tracks its answer."""
    _check_staff(actor, valuation)
    platforms = providers.platforms()
    if not platforms:
        raise RuleViolation(_("No online inquiry platform is configured."), code="no_platforms")
    with transaction.atomic():
        valuation = _lock(valuation)
        _current_step(valuation, M.ONLINE_INQUIRY)
        if OnlineInquiry.objects.filter(valuation=valuation).exists():
            raise RuleViolation(_("The online inquiry was already sent."), code="already_sent")
        return _send_inquiry(actor, valuation, platforms)


def _send_inquiry(actor: Any, valuation: Valuation, platforms: list[providers.InquiryProvider]) -> OnlineInquiry:
    today = clock.today()
    inquiry = OnlineInquiry.objects.create(valuation=valuation, sent_on=today,
                                           due_on=days.period_end(today, rules.INQUIRY_DAYS))
    for platform in platforms:
        report = Report.objects.create(valuation=valuation, kind=Report.Kind.ONLINE_INQUIRY, provider=platform.key,
                                       provider_name=str(platform.name)[:150])
        platform.commission(report)
    _record(actor, "valuation.inquiry_send", inquiry, ["sent_on", "due_on"],
            reason=", ".join(p.key for p in platforms))
    return inquiry


def _platform_report(valuation: Valuation, report: Report) -> Report:
    locked = Report.objects.select_for_update().filter(pk=report.pk, valuation=valuation,
                                                       kind=Report.Kind.ONLINE_INQUIRY).first()
    if locked is None:
        raise RuleViolation(_("This is not a platform report of this valuation."), code="bad_report", field="report")
    return locked


def online_inquiry_request_extension(*, actor: Any, report: Report, requested_on: date) -> Report:
    """A platform that cannot finish asks for an extension before its period ends (RP art.11 ¶2)."""
    valuation = report.valuation
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _current_step(valuation, M.ONLINE_INQUIRY)
        report = _platform_report(valuation, report)
        inquiry = valuation.online_inquiry
        problems = Problems()
        _date_not_future(requested_on, "requested_on", problems)
        if report.received:
            problems.add(_("This platform has already reported."), "already_reported")
        if report.extension_requested_on is not None:
            problems.add(_("This platform already asked for an extension."), "already_requested")
        if requested_on > inquiry.due_on or requested_on < inquiry.sent_on:
            problems.add(_("An extension must be asked for before the period ends on %(day)s (RP art.11)."),
                         "extension_request_late", field="requested_on", params={"day": inquiry.due_on})
        problems.raise_if_any()
        report.extension_requested_on = requested_on
        report.save(update_fields=["extension_requested_on"])
        _record(actor, "valuation.inquiry_extension_request", report, ["provider", "extension_requested_on"])
    return report


def online_inquiry_extend(*, actor: Any, valuation: Valuation) -> OnlineInquiry:
    """Only when every platform missed the 3 days does the court extend, by 3 days, for the
    platforms that asked in time; if any platform delivered, no extension (RP art.11 ¶2)."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _current_step(valuation, M.ONLINE_INQUIRY)
        inquiry = OnlineInquiry.objects.select_for_update().get(valuation=valuation)
        reports = list(valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY))
        if inquiry.extended_due_on is not None:
            raise RuleViolation(_("The online inquiry was already extended once."), code="already_extended")
        if clock.today() <= inquiry.due_on:
            raise RuleViolation(_("The platforms' period runs until %(day)s; an extension is decided after it."),
                                code="period_running", params={"day": inquiry.due_on})
        if any(r.received_on is not None and r.received_on <= inquiry.due_on for r in reports):
            raise RuleViolation(_("A platform delivered in time, so the others get no extension (RP art.11)."),
                                code="extension_refused_some_delivered")
        if not any(r.extension_requested_on for r in reports):
            raise RuleViolation(_("No platform asked for an extension in time: the online inquiry failed and the "
                                  "property is appraised (RP art.11 ¶3)."), code="extension_not_requested")
        before = audit.snapshot(inquiry, ["extended_due_on"])
        inquiry.extended_due_on = days.period_end(inquiry.due_on, rules.INQUIRY_EXTENSION_DAYS)
        inquiry.save(update_fields=["extended_due_on"])
        _record(actor, "valuation.inquiry_extend", inquiry, ["extended_due_on"], before)
    return inquiry


def online_inquiry_record(*, actor: Any, report: Report, price_fen: int, report_date: date, received_on: date,
                          number: str = "", document: UploadedFile | None = None, valid_until: date | None = None
                          ) -> Report:
    """A platform's report as it arrives. A late one is recorded too, and left out of the mean
    (RP art.13)."""
    valuation = report.valuation
    _check_staff(actor, valuation)
    problems = Problems()
    if price_fen <= 0:
        problems.add(_("The price must be positive."), "price_not_positive", field="price_fen")
    _date_not_future(received_on, "received_on", problems)
    if report_date > received_on:
        problems.add(_("The report cannot be dated after it was received."), "report_after_receipt",
                     field="report_date")
    valid = _check_validity(report_date, valid_until, problems)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        _current_step(valuation, M.ONLINE_INQUIRY)
        report = _platform_report(valuation, report)
        if report.received:
            raise RuleViolation(_("This platform's report is already recorded."), code="already_reported")
        if received_on < valuation.online_inquiry.sent_on:
            raise RuleViolation(_("A report cannot predate the commission."), code="report_before_commission",
                                field="received_on")
        report.price_fen, report.report_date, report.received_on = price_fen, report_date, received_on
        report.number, report.valid_until = number.strip(), valid
        if document:
            report.document = document
        report.full_clean(exclude=["valuation", "engagement"])
        report.save()
        _record(actor, "valuation.report", report, ["provider", "price_fen", "report_date", "received_on", "number",
                                                    "valid_until"])
    return report


# --- commissioned appraisal (委托评估) -------------------------------------------------------------------


def _check_selection_allowed(valuation: Valuation) -> None:
    _current_step(valuation, M.APPRAISAL)
    live = Engagement.objects.filter(selection__valuation=valuation, status__in=[E.QUEUED, E.ACTIVE, E.REPORTED])
    if live.exists():
        raise RuleViolation(_("The selected agencies are still in charge; a new selection is made only when all "
                              "three are out."), code="selection_exists")


def _create_selection(actor: Any, valuation: Valuation, agencies: list[Agency], **fields: Any) -> AppraisalSelection:
    today = clock.today()
    selection = AppraisalSelection.objects.create(valuation=valuation, selected_on=today,
                                                  drawn=[a.pk for a in agencies], **fields)
    _record(actor, "valuation.selection", selection, ["mode", "specialty", "scope", "candidates", "seed", "algorithm",
                                                      "drawn", "agreement_reference", "selected_on"])
    for order, agency in enumerate(agencies, start=1):
        Engagement.objects.create(selection=selection, agency=agency, order=order)
    _commission(actor, selection.engagements.get(order=1), today)
    return selection


def _commission(actor: Any, engagement: Engagement, on: date, period: int = rules.APPRAISAL_DAYS) -> None:
    """Commission an agency: its report is due 30 days later (RP art.19), a reissue 15 days later."""
    engagement.status, engagement.commissioned_on = E.ACTIVE, on
    engagement.due_on = days.period_end(on, period)
    engagement.save(update_fields=["status", "commissioned_on", "due_on"])
    _record(actor, "valuation.commission", engagement, ["agency", "order", "status", "commissioned_on", "due_on"])


def appraisal_select_agreed(*, actor: Any, valuation: Valuation, agencies: Sequence[Agency], specialty: str,
                            agreement_reference: str) -> AppraisalSelection:
    """The parties agreed on three listed agencies and their order (RP art.16)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if len(agencies) != rules.AGENCIES_TO_SELECT or len({a.pk for a in agencies}) != len(agencies):
        problems.add(_("The parties agree on three different agencies, in order (RP art.16)."), "three_agencies",
                     field="agencies")
    if any(not a.active or a.specialty != specialty for a in agencies):
        problems.add(_("Every agency must be on the list for this specialty."), "agency_not_listed", field="agencies")
    if not agreement_reference.strip():
        problems.add(_("Record where the parties' agreement is documented."), "required", field="agreement_reference")
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        _check_selection_allowed(valuation)
        return _create_selection(actor, valuation, list(agencies), mode=AppraisalSelection.Mode.AGREED,
                                 specialty=specialty, agreement_reference=agreement_reference.strip())


def lottery_candidates(valuation: Valuation, specialty: str, scope: str) -> list[Agency]:
    """The listed agencies of the specialty (RP art.15), in canonical order (by id), restricted to
    the property's province or city sub-list when asked; agencies already out of this valuation
    (late or set aside) are not drawn again."""
    qs = Agency.objects.filter(active=True, specialty=specialty)
    lot = valuation.lot
    if scope in (AppraisalSelection.Scope.PROVINCE, AppraisalSelection.Scope.CITY):
        qs = qs.filter(province=lot.province)
    if scope == AppraisalSelection.Scope.CITY:
        qs = qs.filter(city=lot.city)
    out = Engagement.objects.filter(selection__valuation=valuation, status__in=[E.LATE, E.SET_ASIDE])
    return list(qs.exclude(pk__in=out.values("agency_id")).order_by("id"))


def appraisal_select_lottery(*, actor: Any, valuation: Valuation, specialty: str, scope: str, reason: str,
                             seed: str | None = None) -> AppraisalSelection:
    """When the parties do not agree in time or one cannot be found, three agencies and their order
    are drawn at random from the specialty list or the property's sub-list (RP art.16). The draw is
    verifiable: the candidate list, the seed and the algorithm are recorded (rules.lottery_draw)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if scope not in AppraisalSelection.Scope.values:
        problems.add(_("Choose the list to draw from."), "scope_required", field="scope")
    if specialty not in Agency.Specialty.values:
        problems.add(_("Choose the specialty."), "specialty_required", field="specialty")
    if not reason.strip():
        problems.add(_("Say why the agencies are drawn by lottery (RP art.16)."), "required", field="reason")
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        _check_selection_allowed(valuation)
        candidates = lottery_candidates(valuation, specialty, scope)
        if len(candidates) < rules.AGENCIES_TO_SELECT:
            raise RuleViolation(_("Only %(n)s agencies are on this list; draw from a wider list."),
                                code="too_few_candidates", field="scope", params={"n": len(candidates)})
        seed = seed or secrets.token_hex(32)
        drawn_ids = rules.lottery_draw(seed, [a.pk for a in candidates])
        by_id = {a.pk: a for a in candidates}
        return _create_selection(
            actor, valuation, [by_id[i] for i in drawn_ids], mode=AppraisalSelection.Mode.LOTTERY,
            specialty=specialty, scope=scope, lottery_reason=reason.strip()[:200], seed=seed,
            algorithm=rules.LOTTERY_ALGORITHM, candidates=[{"id": a.pk, "name": a.name} for a in candidates])


def _active_engagement(valuation: Valuation) -> Engagement:
    engagement = (Engagement.objects.select_for_update().select_related("agency")
                  .filter(selection__valuation=valuation, status=E.ACTIVE).first())
    if engagement is None:
        raise RuleViolation(_("No agency is commissioned at the moment."), code="no_active_agency")
    return engagement


def appraisal_extend(*, actor: Any, valuation: Valuation, days_requested: int, requested_on: date) -> Engagement:
    """An agency that cannot finish asks in writing at least 5 days before its period ends; at most
    two extensions of at most 15 days each (RP art.19 ¶2)."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        _current_step(valuation, M.APPRAISAL)
        engagement = _active_engagement(valuation)
        assert engagement.due_on is not None
        problems = Problems()
        _date_not_future(requested_on, "requested_on", problems)
        if engagement.extensions >= rules.APPRAISAL_EXTENSIONS_MAX:
            problems.add(_("The appraisal period can be extended at most twice (RP art.19)."), "extensions_exhausted")
        if not 1 <= days_requested <= rules.APPRAISAL_EXTENSION_MAX_DAYS:
            problems.add(_("An extension is 1 to 15 days (RP art.19)."), "extension_too_long", field="days")
        latest = engagement.due_on - timedelta(days=rules.APPRAISAL_EXTENSION_NOTICE_DAYS)
        if requested_on > latest:
            problems.add(_("An extension must be asked for at least 5 days before the period ends on %(due)s, i.e. "
                           "by %(latest)s (RP art.19)."), "extension_request_late", field="requested_on",
                         params={"due": engagement.due_on, "latest": latest})
        problems.raise_if_any()
        new_due = days.period_end(engagement.due_on, days_requested)
        Extension.objects.create(engagement=engagement, requested_on=requested_on, days=days_requested,
                                 previous_due_on=engagement.due_on, new_due_on=new_due)
        before = audit.snapshot(engagement, ["due_on", "extensions"])
        engagement.due_on, engagement.extensions = new_due, engagement.extensions + 1
        engagement.save(update_fields=["due_on", "extensions"])
        _record(actor, "valuation.appraisal_extend", engagement, ["due_on", "extensions"], before)
    return engagement


def _next_in_order(actor: Any, engagement: Engagement, status: str, on: date) -> Engagement | None:
    """Take `engagement` off and commission the next agency in order, if any (RP arts.19, 23)."""
    before = audit.snapshot(engagement, ["status"])
    engagement.status = status
    engagement.save(update_fields=["status"])
    _record(actor, "valuation.hand_over", engagement, ["status"], before)
    following = (Engagement.objects.select_for_update().filter(selection=engagement.selection, status=E.QUEUED)
                 .order_by("order").first())
    if following is not None:
        _commission(actor, following, on)
    return following


def appraisal_hand_over(*, actor: Any, valuation: Valuation) -> Engagement | None:
    """An agency that did not report in time and did not obtain an extension returns the materials
    and the next agency in order is commissioned (RP art.19 ¶3). Returns the new agency, or None
    when all three are out (then a new selection is made). Idempotent for the clock."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        _current_step(valuation, M.APPRAISAL)
        engagement = _active_engagement(valuation)
        assert engagement.due_on is not None
        today = clock.today()
        if today <= engagement.due_on:
            raise RuleViolation(_("%(agency)s has until %(day)s to report."), code="not_late",
                                params={"agency": engagement.agency.name, "day": engagement.due_on})
        return _next_in_order(actor, engagement, E.LATE, today)


def appraisal_record_report(*, actor: Any, valuation: Valuation, price_fen: int, report_date: date,
                            received_on: date, number: str = "", document: UploadedFile | None = None,
                            valid_until: date | None = None) -> Report:
    """The commissioned agency's report, within its period (RP art.19); its validity is at most one
    year (RP art.27)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if price_fen <= 0:
        problems.add(_("The price must be positive."), "price_not_positive", field="price_fen")
    _date_not_future(received_on, "received_on", problems)
    if report_date > received_on:
        problems.add(_("The report cannot be dated after it was received."), "report_after_receipt",
                     field="report_date")
    valid = _check_validity(report_date, valid_until, problems)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        _current_step(valuation, M.APPRAISAL)
        engagement = _active_engagement(valuation)
        assert engagement.due_on is not None and engagement.commissioned_on is not None
        if received_on < engagement.commissioned_on:
            raise RuleViolation(_("A report cannot predate the commission."), code="report_before_commission",
                                field="received_on")
        if received_on > engagement.due_on:
            raise RuleViolation(_("%(agency)s was due to report by %(day)s; a late agency hands over to the next "
                                  "(RP art.19)."), code="appraisal_late", field="received_on",
                                params={"agency": engagement.agency.name, "day": engagement.due_on})
        report = _new_report(valuation, Report.Kind.APPRAISAL, engagement.agency.name, price_fen=price_fen,
                             report_date=report_date, received_on=received_on, number=number, document=document,
                             valid_until=valid, engagement=engagement)
        _record(actor, "valuation.report", report, ["provider_name", "price_fen", "report_date", "received_on",
                                                    "number", "valid_until"])
        engagement.status = E.REPORTED
        engagement.save(update_fields=["status"])
    return report


# --- delivery and objections -------------------------------------------------------------------------


def reports_deliver(*, actor: Any, valuation: Valuation, party: Party, method: str, delivered_on: date,
                    proof: str) -> list[Delivery]:
    """Send the received reports not yet sent to this party (RP art.21): by service, or by public
    notice on 中国执行信息公开网 when the party cannot be reached, received after 15 days."""
    _check_staff(actor, valuation)
    problems = Problems()
    if party.case_id != valuation.lot.case_id:
        problems.add(_("The party belongs to another case."), "bad_party", field="party")
    if method not in Delivery.Method.values:
        problems.add(_("Choose how the reports were sent."), "method_required", field="method")
    if not proof.strip():
        problems.add(_("Record the proof of service or the notice reference."), "proof_required", field="proof")
    _date_not_future(delivered_on, "delivered_on", problems)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        if valuation.status == V.WITHDRAWN:
            raise RuleViolation(_("The valuation was withdrawn."), code="valuation_withdrawn")
        pending = [r for r in valuation.reports.filter(received_on__isnull=False).exclude(deliveries__party=party)
                   if r.received_on is not None and r.received_on <= delivered_on]
        if not pending:
            raise RuleViolation(_("There is no received report to send to this party on that date."),
                                code="nothing_to_deliver")
        created = []
        for report in pending:
            delivery = Delivery.objects.create(report=report, party=party, method=method, delivered_on=delivered_on,
                                               proof=proof.strip())
            _record(actor, "valuation.delivery", delivery, ["report", "party", "method", "delivered_on", "proof"])
            created.append(delivery)
            do_notify_valuation_result(delivery)
    return created


def do_notify_valuation_result(delivery: Delivery) -> None:
    """The party hears the result by email, when the court recorded an address for it (RP art.21);
    the official service is the delivery itself. Sent after the commit."""
    from django.urls import reverse

    party, report = delivery.party, delivery.report
    price = report.effective_price_fen
    notify.notify_address(party.email, "valuation_result", {
        "lot": report.valuation.lot.title, "case": party.case.number, "report": str(report.get_kind_display()),
        "issuer": report.provider_name, "price": format_fen(price) if price is not None else "—",
        "deadline": selectors.objection_deadline(delivery).isoformat()}, url=reverse("case_lookup"))


def objection_file(*, actor: Any, valuation: Valuation, report: Report, party: Party, kind: str, ground: str,
                   grounds_text: str, filed_on: date) -> Objection:
    """A written objection within 5 days of receiving the report (RP arts.22–23). Procedural grounds
    against online-inquiry and appraisal reports; the method or result only of an appraisal. None
    against a negotiation or a directed inquiry, and none late (RP art.24)."""
    _check_staff(actor, valuation)
    problems = Problems()
    if report.valuation_id != valuation.pk:
        problems.add(_("The report belongs to another valuation."), "bad_report", field="report")
    if party.case_id != valuation.lot.case_id:
        problems.add(_("The party belongs to another case."), "bad_party", field="party")
    if not grounds_text.strip():
        problems.add(_("State the objection."), "required", field="grounds_text")
    _date_not_future(filed_on, "filed_on", problems)
    problems.raise_if_any()
    if report.kind == Report.Kind.DIRECTED_INQUIRY:
        raise RuleViolation(_("No objection lies against a negotiated price or a directed inquiry (RP art.24)."),
                            code="objection_not_allowed", field="report")
    if kind == OK.METHOD_RESULT and (report.kind != Report.Kind.APPRAISAL or ground != Objection.Ground.METHOD):
        raise RuleViolation(_("An objection to the method or result lies only against an appraisal report "
                              "(RP art.23)."), code="method_objection_not_allowed", field="kind")
    if kind == OK.PROCEDURAL and ground not in PROCEDURAL_GROUNDS:
        raise RuleViolation(_("Choose one of the procedural grounds of RP art.22."), code="procedural_ground",
                            field="ground")
    with transaction.atomic():
        valuation = _lock(valuation)
        _require_open(valuation)
        report = Report.objects.get(pk=report.pk)
        if not report.received:
            raise RuleViolation(_("This report has not arrived."), code="report_not_received", field="report")
        delivery = Delivery.objects.filter(report=report, party=party).first()
        if delivery is None:
            raise RuleViolation(_("The report has not been sent to this party yet."), code="not_delivered",
                                field="party")
        deadline = selectors.objection_deadline(delivery)
        if filed_on > deadline:
            raise RuleViolation(_("The objection period ended on %(day)s (5 days after receipt); a late objection is "
                                  "not accepted (RP art.24)."), code="objection_late", field="filed_on",
                                params={"day": deadline})
        if filed_on < delivery.delivered_on:
            raise RuleViolation(_("The objection cannot predate the delivery."), code="objection_before_delivery",
                                field="filed_on")
        objection = Objection.objects.create(valuation=valuation, report=report, party=party, kind=kind, ground=ground,
                                             grounds_text=grounds_text.strip(), filed_on=filed_on)
        _record(actor, "valuation.objection", objection, ["report", "party", "kind", "ground", "filed_on", "status"])
    return objection


def _lock_objection(objection: Objection) -> tuple[Valuation, Objection]:
    valuation = _lock(objection.valuation)
    _require_open(valuation)
    return valuation, Objection.objects.select_for_update().select_related("report").get(pk=objection.pk)


def _objection_step(actor: Any, objection: Objection, action: str, allowed: set[str], changes: dict[str, Any],
                    problems: Problems, check: Callable[[Objection], None] | None = None) -> Objection:
    """Move an objection one step, after `check` on the locked row (the other checks need no lock)."""
    _check_staff(actor, objection.valuation)
    problems.raise_if_any()
    with transaction.atomic():
        _valuation, objection = _lock_objection(objection)
        if objection.status not in allowed:
            raise RuleViolation(_("The objection is “%(status)s”; this step does not apply."),
                                code="objection_wrong_status", params={"status": objection.get_status_display()})
        if check is not None:
            check(objection)
        before = audit.snapshot(objection, list(changes))
        for name, value in changes.items():
            setattr(objection, name, value)
        objection.save(update_fields=list(changes))
        _record(actor, action, objection, list(changes), before)
    return objection


def objection_forward(*, actor: Any, objection: Objection, forwarded_on: date) -> Objection:
    """An objection to an appraisal's method or result goes to the agency for a written explanation
    within 3 days (RP art.23)."""
    problems = Problems()
    _date_not_future(forwarded_on, "forwarded_on", problems)
    if forwarded_on < objection.filed_on:
        problems.add(_("It cannot be forwarded before it was filed."), "date_order", field="forwarded_on")
    if objection.kind != OK.METHOD_RESULT:
        problems.add(_("Only an objection to the method or result goes to the agency."), "not_method_objection")
    return _objection_step(actor, objection, "valuation.objection_forward", {OS.FILED},
                           {"status": OS.FORWARDED, "forwarded_on": forwarded_on}, problems)


def objection_record_explanation(*, actor: Any, objection: Objection, explained_on: date, explanation: str
                                 ) -> Objection:
    """The agency's written explanation (due within 5 days, RP art.23)."""
    problems = Problems()
    _date_not_future(explained_on, "explained_on", problems)
    if not explanation.strip():
        problems.add(_("Record the explanation."), "required", field="explanation")

    def check(locked: Objection) -> None:
        if locked.forwarded_on and explained_on < locked.forwarded_on:
            raise RuleViolation(_("The explanation cannot predate the forwarding."), code="date_order",
                                field="explained_on")

    return _objection_step(actor, objection, "valuation.objection_explain", {OS.FORWARDED},
                           {"status": OS.EXPLAINED, "explained_on": explained_on,
                            "explanation": explanation.strip()}, problems, check)


def objection_refer_to_review(*, actor: Any, objection: Objection, review_body: str, referred_on: date) -> Objection:
    """When the agency did not explain within 5 days, or the objector still disputes its
    explanation, the industry association reviews the appraisal (RP art.23)."""
    problems = Problems()
    _date_not_future(referred_on, "referred_on", problems)
    if not review_body.strip():
        problems.add(_("Name the industry association."), "required", field="review_body")

    def check(locked: Objection) -> None:
        if locked.status == OS.FORWARDED and locked.forwarded_on is not None:
            explain_by = days.period_end(locked.forwarded_on, rules.OBJECTION_EXPLAIN_DAYS)
            if referred_on <= explain_by:
                raise RuleViolation(_("The agency has until %(day)s to explain."), code="explanation_pending",
                                    field="referred_on", params={"day": explain_by})

    return _objection_step(actor, objection, "valuation.objection_review", {OS.FORWARDED, OS.EXPLAINED},
                           {"status": OS.IN_REVIEW, "review_body": review_body.strip(), "referred_on": referred_on},
                           problems, check)


def objection_decide(*, actor: Any, objection: Objection, outcome: str, decided_on: date, decision_reference: str,
                     corrected_price_fen: int | None = None) -> Objection:
    """The outcome: a procedural objection by ruling, as an enforcement objection (RP art.22 ¶2;
    CPL art.236); a method or result objection by the explanation the objector accepts or by the
    technical review's conclusion (RP art.23). A correction replaces the report's result; an
    appraisal set aside for want of qualification or serious procedural breach goes to the next
    agency (RP art.23 ¶2)."""
    _check_staff(actor, objection.valuation)
    problems = Problems()
    _date_not_future(decided_on, "decided_on", problems)
    if not decision_reference.strip():
        problems.add(_("Record the ruling, explanation or review conclusion."), "required", field="decision_reference")
    if outcome not in OO.values:
        problems.add(_("Choose the outcome."), "outcome_required", field="outcome")
    if outcome == OO.CORRECTED and (corrected_price_fen is None or corrected_price_fen <= 0):
        problems.add(_("Give the corrected result."), "corrected_price_required", field="corrected_price_fen")
    if outcome != OO.CORRECTED and corrected_price_fen is not None:
        problems.add(_("Only a correction has a corrected result."), "corrected_price_unexpected",
                     field="corrected_price_fen")
    if outcome == OO.SET_ASIDE and (objection.kind != OK.PROCEDURAL or (
            objection.report.kind == Report.Kind.APPRAISAL and objection.ground not in SET_ASIDE_GROUNDS)):
        problems.add(_("An appraisal report is set aside only for want of qualification or a serious procedural "
                       "breach; otherwise it is corrected (RP art.23)."), "set_aside_not_allowed", field="outcome")
    problems.raise_if_any()
    allowed = {OS.FILED} if objection.kind == OK.PROCEDURAL else {OS.EXPLAINED, OS.IN_REVIEW}
    with transaction.atomic():
        _valuation, locked = _lock_objection(objection)
        if locked.status not in allowed:
            raise RuleViolation(_("The objection is “%(status)s”; it cannot be decided at this stage."),
                                code="objection_wrong_status", params={"status": locked.get_status_display()})
        changes = {"status": OS.DECIDED, "outcome": outcome, "decided_on": decided_on,
                   "decision_reference": decision_reference.strip(), "corrected_price_fen": corrected_price_fen}
        before = audit.snapshot(locked, list(changes))
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changes))
        _record(actor, "valuation.objection_decide", locked, list(changes), before)
        report = Report.objects.select_for_update().get(pk=locked.report_id)
        if outcome == OO.CORRECTED:
            before_report = audit.snapshot(report, ["corrected_price_fen"])
            report.corrected_price_fen = corrected_price_fen
            report.save(update_fields=["corrected_price_fen"])
            _record(actor, "valuation.objection_decide", report, ["corrected_price_fen"], before_report)
        if outcome == OO.SET_ASIDE and report.kind == Report.Kind.APPRAISAL and report.engagement_id:
            engagement = Engagement.objects.select_for_update().get(pk=report.engagement_id)
            if engagement.status == E.REPORTED:
                _next_in_order(actor, engagement, E.SET_ASIDE, clock.today())
    return locked


# --- fixing the price ------------------------------------------------------------------------------------


def _fix(actor: Any, valuation: Valuation, *, price_fen: int, valid_until: date, note: str) -> Valuation:
    """Fix the price: the lot's reference price is set through auction's service (which refuses
    while a round is announced or bidding), the method step succeeds and the valuation is closed.
    Runs inside the caller's transaction, which holds the lot and the valuation rows."""
    step = _current_step(valuation)
    today = clock.today()
    if valid_until < today:
        raise RuleViolation(_("The result expired on %(day)s; a new report is needed (RP arts.11, 19)."),
                            code="result_expired", params={"day": valid_until})
    auction_services.lot_set_reference_price(actor=actor, lot=valuation.lot, price_fen=price_fen, method=step.method,
                                             fixed_on=today, valid_until=valid_until, note=note[:200])
    before = audit.snapshot(step, ["outcome", "ended_on"])
    step.outcome, step.ended_on = Outcome.SUCCEEDED, today
    step.save(update_fields=["outcome", "ended_on"])
    _record(actor, "valuation.step_succeed", step, ["outcome", "ended_on"], before)
    Engagement.objects.filter(selection__valuation=valuation, status=E.QUEUED).update(status=E.RELEASED)
    transition(valuation, VALUATION_TRANSITIONS, V.FIXED, actor=actor, action="valuation.fix", labels=STATUS_LABELS,
               extra_changes={"price_fen": price_fen, "fixed_on": today, "valid_until": valid_until,
                              "method": step.method})
    return valuation


def valuation_fix(*, actor: Any, valuation: Valuation) -> Valuation:
    """Fix the reference price from an online inquiry or an appraisal once every counted report was
    sent to every party, every party's 5-day objection period is over and no objection is pending
    (RP arts.21–24). Online inquiry: the mean of the results delivered in time, less the ones
    objected to as RP art.13 says (selectors.inquiry_outcome). Appraisal: the report's result, or its
    correction (RP art.26). Validity: the earliest of the counted reports' (RP art.27)."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation, with_lot=True)
        _require_open(valuation)
        step = _current_step(valuation)
        today = clock.today()
        if step.method == M.ONLINE_INQUIRY:
            outcome = selectors.inquiry_outcome(valuation, today)
            if not outcome.period_over:
                raise RuleViolation(_("Platforms may still report until %(day)s."), code="period_running",
                                    params={"day": outcome.deadline})
            if not outcome.included or outcome.mean_fen is None:
                raise RuleViolation(_("No result can be averaged: the online inquiry failed (RP arts.11, 14)."),
                                    code="no_usable_result")
            counted = [r for r, _price in outcome.included]
            price, reports_text = outcome.mean_fen, ", ".join(
                f"{r.display_name} {format_fen(p)}" for r, p in outcome.included)
            note = str(_("Online inquiry: mean of %(reports)s") % {"reports": reports_text})
        elif step.method == M.APPRAISAL:
            report = selectors.appraisal_report(valuation)
            if report is None or report.effective_price_fen is None:
                raise RuleViolation(_("No appraisal report to fix the price from."), code="no_report")
            counted, price = [report], report.effective_price_fen
            note = str(_("Appraisal: %(agency)s %(number)s") % {"agency": report.display_name,
                                                                 "number": report.number})
        else:
            raise RuleViolation(_("A negotiated or directed price is fixed when it is recorded."),
                                code="fixed_on_record")
        problems = Problems()
        for line in selectors.objection_blockers(valuation, counted, today):
            problems.add(line, "objection_period")
        problems.raise_if_any()
        valid_until = min(r.valid_until for r in counted if r.valid_until is not None)
        return _fix(actor, valuation, price_fen=price, valid_until=valid_until, note=note)


# --- stay and withdrawal ---------------------------------------------------------------------------------


def valuation_stay(*, actor: Any, valuation: Valuation, ground: str, reason: str) -> Valuation:
    """Stay the inquiry or appraisal (RP art.28). The stayed days do not count towards the
    appraisal's 30 days (RP art.19)."""
    _check_staff(actor, valuation)
    if ground not in Valuation.StayGround.values:
        raise RuleViolation(_("Choose the ground of the stay (RP art.28)."), code="ground_required", field="ground")
    with transaction.atomic():
        valuation = _lock(valuation)
        transition(valuation, VALUATION_TRANSITIONS, V.STAYED, actor=actor, action="valuation.stay", reason=reason,
                   labels=STATUS_LABELS, extra_changes={"stayed_on": clock.today(), "status_ground": ground,
                                                        "status_reason": reason.strip()})
    return valuation


def valuation_resume(*, actor: Any, valuation: Valuation, reason: str) -> Valuation:
    """Resume a stayed valuation; the commissioned agency's period moves by the stayed days."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        valuation = _lock(valuation)
        if valuation.status != V.STAYED or valuation.stayed_on is None:
            raise RuleViolation(_("Only a stayed valuation can be resumed."), code="not_stayed")
        today = clock.today()
        stayed = (today - valuation.stayed_on).days
        engagement = (Engagement.objects.select_for_update()
                      .filter(selection__valuation=valuation, status=E.ACTIVE).first())
        if engagement is not None and engagement.due_on is not None and stayed > 0:
            before = audit.snapshot(engagement, ["due_on", "stayed_days"])
            engagement.due_on = days.next_working_day(engagement.due_on + timedelta(days=stayed))
            engagement.stayed_days += stayed
            engagement.save(update_fields=["due_on", "stayed_days"])
            _record(actor, "valuation.resume", engagement, ["due_on", "stayed_days"], before)
        transition(valuation, VALUATION_TRANSITIONS, V.OPEN, actor=actor, action="valuation.resume", reason=reason,
                   labels=STATUS_LABELS, extra_changes={"stayed_on": None, "status_ground": "",
                                                        "status_reason": reason.strip()})
    return valuation


def valuation_withdraw(*, actor: Any, valuation: Valuation, ground: str, reason: str) -> Valuation:
    """Withdraw the inquiry or appraisal (RP art.29). The agencies still in charge are released; an
    agency already working is paid its reasonable actual expenses (RP art.32 ¶2)."""
    _check_staff(actor, valuation)
    if ground not in Valuation.WithdrawGround.values:
        raise RuleViolation(_("Choose the ground of the withdrawal (RP art.29)."), code="ground_required",
                            field="ground")
    with transaction.atomic():
        valuation = _lock(valuation)
        transition(valuation, VALUATION_TRANSITIONS, V.WITHDRAWN, actor=actor, action="valuation.withdraw",
                   reason=reason, labels=STATUS_LABELS,
                   extra_changes={"status_ground": ground, "status_reason": reason.strip()})
        Engagement.objects.filter(selection__valuation=valuation, status=E.QUEUED).update(status=E.RELEASED)
    return valuation


# --- reissue --------------------------------------------------------------------------------------------


def reissue_allowed(valuation: Valuation, today: date) -> bool:
    """RP arts.11 ¶4, 19 ¶4: a result from an online inquiry or an appraisal that expired before the
    first-auction notice was published within it is reissued, not redone."""
    if valuation.status != V.FIXED or valuation.method not in (M.ONLINE_INQUIRY, M.APPRAISAL):
        return False
    if valuation.valid_until is None or valuation.fixed_on is None or today <= valuation.valid_until:
        return False
    first = selectors.first_round_after(valuation.lot, valuation.fixed_on)
    published = first.notice_published_at if first is not None else None
    return published is None or clock.local_date(published) > valuation.valid_until


def valuation_reissue(*, actor: Any, valuation: Valuation) -> Valuation:
    """The first notice was not published within the result's validity: the platforms report
    again within 3 days (RP art.11 ¶4), or the same agency reissues within 15 days (RP art.19 ¶4),
    for 30% of the fee (RP art.32 ¶2). A new valuation of the lot, linked to the expired one, with
    the earlier methods recorded as passed over for that reason."""
    _check_staff(actor, valuation)
    with transaction.atomic():
        Lot.objects.select_for_update().get(pk=valuation.lot_id)
        old = _lock(valuation)
        today = clock.today()
        if not reissue_allowed(old, today):
            raise RuleViolation(_("Only an online inquiry or appraisal result that expired before the first notice "
                                  "was published within it is reissued (RP arts.11, 19)."), code="reissue_not_allowed")
        if Valuation.objects.filter(lot=old.lot, status__in=[V.OPEN, V.STAYED]).exists():
            raise RuleViolation(_("This lot already has a valuation in progress."), code="valuation_exists")
        new = Valuation.objects.create(lot=old.lot, reissue_of=old, opened_on=today, opened_by=_user(actor),
                                       investigation=old.investigation, investigation_note=old.investigation_note,
                                       investigated_on=today, method=old.method)
        _record(actor, "valuation.reissue", new, ["lot", "reissue_of", "status", "opened_on", "method"])
        for position, method in enumerate(CASCADE, start=1):
            if method == old.method:
                MethodStep.objects.create(valuation=new, method=method, position=position,
                                          outcome=Outcome.IN_PROGRESS, started_on=today)
                break
            MethodStep.objects.create(valuation=new, method=method, position=position, outcome=Outcome.SKIPPED,
                                      ground=G.REISSUE, ended_on=today)
        if old.method == M.ONLINE_INQUIRY:
            _send_inquiry(actor, new, providers.platforms())
        else:
            report = selectors.appraisal_report(old)
            if report is None or report.engagement is None:
                raise RuleViolation(_("The expired valuation has no appraisal report to reissue."), code="no_report")
            agency = report.engagement.agency
            selection = AppraisalSelection.objects.create(valuation=new, mode=AppraisalSelection.Mode.REISSUE,
                                                          specialty=agency.specialty, selected_on=today,
                                                          drawn=[agency.pk])
            _record(actor, "valuation.selection", selection, ["mode", "drawn", "selected_on"])
            engagement = Engagement.objects.create(selection=selection, agency=agency, order=1)
            _commission(actor, engagement, today, rules.REISSUE_APPRAISAL_DAYS)
    return new


# --- costs -----------------------------------------------------------------------------------------------


def valuation_record_costs(*, actor: Any, valuation: Valuation, inquiry_fee_fen: int | None = None,
                           appraisal_fee_rate_bp: int | None = None, actual_expenses_fen: int | None = None
                           ) -> list[ValuationCost]:
    """Record the valuation's costs against the debtor, advanced by the applicant (RP art.33):

    * online inquiry, lot sold: the fee goes to the platform whose result is closest to the sale
      price, split equally on a tie (RP art.31); a failed or withdrawn inquiry costs nothing;
    * appraisal, lot sold: the agency's rate applied to the sale price if it sold below the
      appraisal, to the appraisal if above (RP art.32); not sold, or withdrawn: the reasonable actual
      expenses (RP art.32 ¶2). Late agencies and reports set aside are not paid (RP art.32 ¶3)."""
    _check_staff(actor, valuation)
    problems = Problems()
    for name, value in (("inquiry_fee_fen", inquiry_fee_fen), ("appraisal_fee_rate_bp", appraisal_fee_rate_bp),
                        ("actual_expenses_fen", actual_expenses_fen)):
        if value is not None and value < 0:
            problems.add(_("Amounts cannot be negative."), "negative_amount", field=name)
    problems.raise_if_any()
    with transaction.atomic():
        valuation = _lock(valuation)
        if valuation.costs.exists():
            raise RuleViolation(_("The costs of this valuation are already recorded."), code="costs_recorded")
        disposal = selectors.disposal(valuation)
        case = valuation.lot.case
        applicant = case.parties.filter(role=Party.Role.APPLICANT).order_by("id").first()
        debtor = case.parties.filter(role=Party.Role.DEBTOR).order_by("id").first()
        today = clock.today()
        rows: list[ValuationCost] = []

        def add(kind: str, payee: str, amount: int, explanation: str, base: int | None = None) -> None:
            rows.append(ValuationCost.objects.create(
                valuation=valuation, case=case, kind=kind, payee=payee[:150], base_fen=base, amount_fen=amount,
                advanced_by=applicant, borne_by=debtor, explanation=explanation[:300], recorded_on=today))

        is_reissue = valuation.reissue_of_id is not None

        def reissued(amount: int) -> int:
            """A reissued report is paid 30% of what RP art.32 ¶1 gives (RP art.32 ¶2)."""
            return rules.percent_half_up(amount, rules.REISSUE_FEE_PERCENT * 100) if is_reissue else amount

        note = str(_("; a reissue: 30% (RP art.32)")) if is_reissue else ""
        if Engagement.objects.filter(selection__valuation=valuation).exists():
            report = selectors.appraisal_report(valuation)
            if disposal.state == "sold" and report is not None and valuation.status == V.FIXED:
                assert disposal.sale_fen is not None and report.effective_price_fen is not None
                if appraisal_fee_rate_bp is None:
                    raise RuleViolation(_("Give the agency's fee rate."), code="rate_required",
                                        field="appraisal_fee_rate_bp")
                base = rules.appraisal_fee_base(disposal.sale_fen, report.effective_price_fen)
                add(ValuationCost.Kind.APPRAISAL_FEE, report.provider_name,
                    reissued(rules.percent_half_up(base, appraisal_fee_rate_bp)), str(
                        _("Rate %(rate)s bp on %(base)s, the lower of the sale price and the appraisal (RP art.32)")
                        % {"rate": appraisal_fee_rate_bp, "base": format_fen(base)}) + note, base)
            elif disposal.state in ("unsold", "withdrawn") and selectors.paid_agency_name(valuation):
                if actual_expenses_fen is None:
                    raise RuleViolation(_("Give the agency's reasonable actual expenses (RP art.32)."),
                                        code="expenses_required", field="actual_expenses_fen")
                add(ValuationCost.Kind.APPRAISAL_EXPENSES, selectors.paid_agency_name(valuation),
                    reissued(actual_expenses_fen),
                    str(_("Not sold or withdrawn: reasonable actual expenses (RP art.32)")) + note)
            else:
                raise RuleViolation(_("The appraisal fee is recorded once the lot is sold, the sale has ended without "
                                      "a sale, or the valuation was withdrawn."), code="not_settled")
        elif valuation.method == M.ONLINE_INQUIRY and valuation.status == V.FIXED:
            if disposal.state != "sold" or disposal.sale_fen is None:
                raise RuleViolation(_("The inquiry fee is paid once the lot is sold, to the platform closest to the "
                                      "sale price (RP art.31)."), code="not_sold")
            if inquiry_fee_fen is None:
                raise RuleViolation(_("Give the inquiry fee."), code="fee_required", field="inquiry_fee_fen")
            outcome = selectors.inquiry_outcome(valuation, today)
            results = [(r.provider_name, price) for r, price in outcome.included]
            winners = rules.closest_to(disposal.sale_fen, results)
            for name, share in zip(winners, rules.split_evenly(inquiry_fee_fen, len(winners)), strict=True):
                add(ValuationCost.Kind.INQUIRY_FEE, name, share, str(
                    _("Closest result to the sale price %(sale)s (RP art.31); %(n)s platform(s) share the fee")
                    % {"sale": format_fen(disposal.sale_fen), "n": len(winners)}))
        else:
            raise RuleViolation(_("A negotiation, a directed inquiry and a failed or withdrawn online inquiry cost "
                                  "nothing under RP arts.31–32."), code="no_costs")
        for row in rows:
            _record(actor, "valuation.cost", row, ["kind", "payee", "base_fen", "amount_fen", "advanced_by",
                                                   "borne_by"])
    return rows
