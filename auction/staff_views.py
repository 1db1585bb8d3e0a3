"""Court staff pages (mounted at /court/). Views only translate I/O: they parse a form, call one
auction.services function and redirect (POST/redirect/GET) with a message, or re-render the page
with the service's errors on the form, in which case nothing was written.

Who may do what: every page needs a staff role (court staff, panel, finance, supervisor) and shows
only the user's courts (selectors.courts_of; others get a 404); writing needs the court staff or
panel role and a membership of the case's court, which the services check again. Finance staff and
supervisors read the same pages without the action forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from auction import services, staff_selectors
from auction.forms import (
    AttachmentForm,
    CaseForm,
    ClaimForm,
    EncumbranceForm,
    LeaseForm,
    LotForm,
    NotificationForm,
    PanelDecisionForm,
    PartyForm,
    PhotoForm,
    PriorityHolderForm,
    PublishForm,
    ReasonForm,
    ReferencePriceForm,
    ResumeForm,
    RoundForm,
    StopForm,
    TakeInLieuForm,
    TaxForm,
)
from auction.models import AuctionRound, Case, Court, Lot, PanelDecision
from core import clock, uploads
from core.errors import PermissionDenied, RuleViolation
from core.forms import apply_rule_errors
from core.money import format_fen
from core.roles import Role, has_role, is_staff_member

K = AuctionRound.Kind
View = Callable[..., HttpResponse]
Outcome = tuple[str, str]  # (success message, where to go next)


class Forbidden(Exception):
    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("can_open_cases", staff_selectors.acting_courts(request.user).exists())
    return render(request, f"auction/staff/{template}", context, status=status)


def forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(request, "auction/staff/forbidden.html", {"message": message}, status=403)


def staff_page(view: View) -> View:
    """Anonymous users go to the login page; users without a staff role get a 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return forbidden(request, _("These pages are for court, finance and supervision staff."))
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            return forbidden(request, exc.message)

    return wrapper


def _require_actor(request: HttpRequest, court: Court) -> None:
    if not staff_selectors.can_act(request.user, court):
        raise Forbidden(_("Only court enforcement staff of %(court)s may change this.") % {
            "court": court.display_name})


def _submit(request: HttpRequest, form: forms.BaseForm, run: Callable[[], Outcome],
            rerender: Callable[[int], HttpResponse]) -> HttpResponse:
    """Validate, call the service, then redirect with its message; on any error re-render the page
    with the errors on the form (403 when the service refused the user)."""
    if not form.is_valid():
        return rerender(200)
    try:
        message, next_url = run()
    except ValidationError as exc:
        apply_rule_errors(form, exc, getattr(form, "FIELD_MAP", {}))
        return rerender(403 if isinstance(exc, PermissionDenied) else 200)
    messages.success(request, message)
    return redirect(next_url)


def _ids(prefix: str) -> str:
    """Element ids per form, since one page holds several forms with the same field names."""
    return f"{prefix}_%s"


def _url(name: str, pk: int) -> str:
    return reverse(f"staff:{name}", args=[pk])


# --- dashboard and cases ---------------------------------------------------------------------------


@staff_page
def dashboard(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    return _render(request, "dashboard.html", {
        "groups": staff_selectors.dashboard_groups(request.user, today),
        "cases": staff_selectors.dashboard_cases(request.user),
        "today": today,
    })


@staff_page
def deadlines(request: HttpRequest) -> HttpResponse:
    """Every open deadline of the user's courts across the whole flow, overdue first."""
    now = clock.now()
    rows = staff_selectors.deadline_rows(request.user, now)
    return _render(request, "deadlines.html", {"rows": rows, "now": now,
                                               "overdue": sum(1 for r in rows if r.overdue)})


@staff_page
def case_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Every step of the case from the audit log (执行节点), oldest first."""
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    return _render(request, "case_timeline.html", {"case": case, "steps": staff_selectors.case_timeline(case)})


@staff_page
def case_create(request: HttpRequest) -> HttpResponse:
    courts = staff_selectors.acting_courts(request.user)
    if not courts.exists():
        raise Forbidden(_("Only court enforcement staff may open cases."))
    form = CaseForm(request.POST or None, courts=courts, initial={"filed_on": clock.today()})
    if request.method != "POST":
        return _render(request, "case_form.html", {"form": form})

    def run() -> Outcome:
        data = form.cleaned_data
        case = services.case_create(actor=request.user, court=data["court"], number=data["number"],
                                    cause=data["cause"], filed_on=data["filed_on"],
                                    platform_chosen_by=data["platform_chosen_by"])
        return _("Case %(number)s opened.") % {"number": case.number}, _url("case_detail", case.pk)

    return _submit(request, form, run, lambda status: _render(request, "case_form.html", {"form": form}, status))


def _case_page(request: HttpRequest, case: Case, status: int = 200, **bound: forms.BaseForm) -> HttpResponse:
    can_write = staff_selectors.can_act(request.user, case.court)
    context: dict[str, Any] = {"case": staff_selectors.case_page(case), "can_write": can_write}
    if can_write:
        context["party_form"] = bound.get("party_form") or PartyForm(auto_id=_ids("party"))
        context["claim_form"] = bound.get("claim_form") or ClaimForm(case=case, auto_id=_ids("claim"))
    return _render(request, "case_detail.html", context, status)


@staff_page
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    return _case_page(request, case)


@staff_page
@require_POST
def party_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    _require_actor(request, case.court)
    form = PartyForm(request.POST, auto_id=_ids("party"))

    def run() -> Outcome:
        data = form.cleaned_data
        party = services.party_add(actor=request.user, case=case, role=data["role"], kind=data["kind"],
                                   name=data["name"], contact=data["contact"], email=data["email"])
        return _("Party %(name)s added.") % {"name": party.name}, _url("case_detail", case.pk)

    return _submit(request, form, run, lambda status: _case_page(request, case, status, party_form=form))


@staff_page
@require_POST
def party_access_issue(request: HttpRequest, pk: int, party_pk: int) -> HttpResponse:
    """Issue a party a new case-file access code; the code is shown once, in the message."""
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    _require_actor(request, case.court)
    party = get_object_or_404(case.parties, pk=party_pk)
    code = services.party_access_issue(actor=request.user, party=party)
    messages.success(request, _(
        "Access code for %(name)s: %(code)s. It is shown only now: hand it to the party with the court's "
        "notice. With the case number it opens the case file at %(url)s; a new code revokes this one.") % {
        "name": party.name, "code": code, "url": request.build_absolute_uri(reverse("case_lookup"))})
    return redirect(_url("case_detail", case.pk) + "#parties")


@staff_page
@require_POST
def claim_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    _require_actor(request, case.court)
    form = ClaimForm(request.POST, case=case, auto_id=_ids("claim"))

    def run() -> Outcome:
        data = form.cleaned_data
        claim = services.claim_add(
            actor=request.user, case=case, creditor=data["creditor"], title_document=data["title_document"],
            principal_fen=data["principal"], interest_fen=data["interest"] or 0,
            priority_class=data["priority_class"], secured_lot=data["secured_lot"],
            registered_on=data["registered_on"], seizure_order=data["seizure_order"],
            performance_due_on=data["performance_due_on"], verified=data["verified"])
        return _("Claim of %(amount)s added.") % {"amount": format_fen(claim.total_fen)}, _url("case_detail", case.pk)

    return _submit(request, form, run, lambda status: _case_page(request, case, status, claim_form=form))


# --- lots -------------------------------------------------------------------------------------------------


def _lot_values(form: LotForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in services.LOT_FIELDS}


@staff_page
def lot_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(staff_selectors.visible_cases(request.user), pk=pk)
    _require_actor(request, case.court)
    form = LotForm(request.POST or None)
    context = {"form": form, "case": case}
    if request.method != "POST":
        return _render(request, "lot_form.html", context)

    def run() -> Outcome:
        lot = services.lot_create(actor=request.user, case=case, **_lot_values(form))
        return _("Lot “%(title)s” recorded.") % {"title": lot.title}, _url("lot_detail", lot.pk)

    return _submit(request, form, run, lambda status: _render(request, "lot_form.html", context, status))


@staff_page
def lot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(staff_selectors.visible_lots(request.user), pk=pk)
    _require_actor(request, lot.case.court)
    # The form works on its own copy: the service re-reads and locks the row before changing it.
    form = LotForm(request.POST or None, instance=Lot.objects.get(pk=lot.pk))
    context = {"form": form, "case": lot.case, "lot": lot}
    if request.method != "POST":
        return _render(request, "lot_form.html", context)

    def run() -> Outcome:
        services.lot_update(actor=request.user, lot=lot, **_lot_values(form))
        return _("Lot “%(title)s” saved.") % {"title": form.cleaned_data["title"]}, _url("lot_detail", lot.pk)

    return _submit(request, form, run, lambda status: _render(request, "lot_form.html", context, status))


def _add_photo(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    services.lot_photo_add(actor=user, lot=lot, image=data["image"], caption=data["caption"],
                           position=data["position"] or 0)
    return _("Photo added.")


def _add_attachment(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    services.lot_attachment_add(actor=user, lot=lot, kind=data["kind"], title=data["title"], file=data["file"])
    return _("Attachment added.")


def _add_encumbrance(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    services.lot_encumbrance_add(actor=user, lot=lot, kind=data["kind"], holder=data["holder"],
                                 survives_sale=data["survives_sale"], description=data["description"],
                                 amount_fen=data["amount"], registered_on=data["registered_on"])
    return _("Encumbrance added.")


def _add_lease(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    services.lot_lease_add(actor=user, lot=lot, tenant=data["tenant"], start=data["start"], end=data["end"],
                           rent_fen=data["rent"], rent_period=data["rent_period"],
                           rent_prepaid_until=data["rent_prepaid_until"], note=data["note"])
    return _("Lease added.")


def _set_tax(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    tax = services.lot_tax_set(actor=user, lot=lot, tax=data["tax"], payer=data["payer"],
                               estimate_fen=data["estimate"], note=data["note"])
    return _("%(tax)s: borne by %(payer)s.") % {"tax": tax.get_tax_display(), "payer": tax.get_payer_display()}


def _add_priority_holder(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    holder = services.priority_holder_add(actor=user, lot=lot, name=data["name"], basis=data["basis"],
                                          rank=data["rank"], contact=data["contact"])
    return _("Priority holder %(name)s added.") % {"name": holder.name}


def _set_reference_price(user: Any, lot: Lot, data: dict[str, Any]) -> str:
    lot = services.lot_set_reference_price(actor=user, lot=lot, price_fen=data["price"], method=data["method"],
                                           fixed_on=data["fixed_on"], valid_until=data["valid_until"],
                                           note=data["note"], document=data["document"])
    return _("Reference price %(price)s recorded.") % {"price": format_fen(lot.reference_price_fen or 0)}


# Each part of the lot page, by URL: the element-id prefix, the form class and the service call.
LOT_PARTS: dict[str, tuple[str, type[forms.Form], Callable[[Any, Lot, dict[str, Any]], str]]] = {
    "photos": ("photo", PhotoForm, _add_photo),
    "attachments": ("attachment", AttachmentForm, _add_attachment),
    "encumbrances": ("encumbrance", EncumbranceForm, _add_encumbrance),
    "leases": ("lease", LeaseForm, _add_lease),
    "taxes": ("tax", TaxForm, _set_tax),
    "priority-holders": ("holder", PriorityHolderForm, _add_priority_holder),
    "reference-price": ("reference", ReferencePriceForm, _set_reference_price),
}


def _lot_page(request: HttpRequest, lot: Lot, status: int = 200, **bound: forms.BaseForm) -> HttpResponse:
    can_write = staff_selectors.can_act(request.user, lot.case.court)
    page_lot = staff_selectors.lot_page(lot)
    context: dict[str, Any] = {
        "lot": page_lot, "case": page_lot.case, "can_write": can_write,
        "can_create_round": can_write and staff_selectors.can_create_first_round(lot),
    }
    if can_write:
        for prefix, form_class, _run in LOT_PARTS.values():
            initial = ReferencePriceForm.initial_for(page_lot) if form_class is ReferencePriceForm else None
            context[f"{prefix}_form"] = bound.get(f"{prefix}_form") or form_class(initial=initial,
                                                                               auto_id=_ids(prefix))
        context["remove_form"] = bound.get("remove_form") or ReasonForm(auto_id=_ids("remove"))
    return _render(request, "lot_detail.html", context, status)


@staff_page
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(staff_selectors.visible_lots(request.user), pk=pk)
    return _lot_page(request, lot)


@staff_page
@require_POST
def lot_part(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    if part not in LOT_PARTS:
        raise Http404
    lot = get_object_or_404(staff_selectors.visible_lots(request.user), pk=pk)
    _require_actor(request, lot.case.court)
    prefix, form_class, call = LOT_PARTS[part]
    form = form_class(request.POST, request.FILES, auto_id=_ids(prefix))

    def run() -> Outcome:
        return call(request.user, lot, form.cleaned_data), _url("lot_detail", lot.pk)

    return _submit(request, form, run, lambda status: _lot_page(request, lot, status, **{f"{prefix}_form": form}))


@staff_page
@require_POST
def priority_holder_remove(request: HttpRequest, pk: int) -> HttpResponse:
    holder = get_object_or_404(staff_selectors.visible_priority_holders(request.user), pk=pk)
    lot = holder.lot
    _require_actor(request, lot.case.court)
    form = ReasonForm(request.POST, auto_id=_ids("remove"))

    def run() -> Outcome:
        services.priority_holder_remove(actor=request.user, holder=holder, reason=form.cleaned_data["reason"])
        return _("Priority holder %(name)s removed.") % {"name": holder.name}, _url("lot_detail", lot.pk)

    return _submit(request, form, run, lambda status: _lot_page(request, lot, status, remove_form=form))


# --- round terms: create, edit, next ------------------------------------------------------------------


def _round_form_page(request: HttpRequest, form: RoundForm, lot: Lot, kind: str, previous: AuctionRound | None,
                     rnd: AuctionRound | None, status: int = 200) -> HttpResponse:
    """The round form with the lawful bounds next to its inputs, computed for the start price the
    user typed (or the one already set)."""
    cleaned = getattr(form, "cleaned_data", {})
    typed = cleaned.get("start_price") if form.is_bound else form.initial.get("start_price")
    hints = staff_selectors.round_hints(lot, kind, previous, typed, clock.today())
    form.show_hints(hints)
    return _render(request, "round_form.html", {
        "form": form, "lot": lot, "kind_label": K(kind).label, "previous": previous, "round": rnd,
        "hints": hints}, status)


@staff_page
def round_create(request: HttpRequest, pk: int) -> HttpResponse:
    lot = get_object_or_404(staff_selectors.visible_lots(request.user), pk=pk)
    _require_actor(request, lot.case.court)
    form = RoundForm(request.POST or None, initial=staff_selectors.suggested_terms(lot, K.FIRST, None, clock.today()))
    if request.method != "POST":
        return _round_form_page(request, form, lot, K.FIRST, None, None)

    def run() -> Outcome:
        rnd = services.round_create(actor=request.user, lot=lot, terms=form.terms(), **form.texts())
        return _("Draft of the first auction created."), _url("round_detail", rnd.pk)

    return _submit(request, form, run, lambda status: _round_form_page(request, form, lot, K.FIRST, None, None,
                                                                       status))


@staff_page
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_object_or_404(staff_selectors.visible_rounds(request.user), pk=pk)
    _require_actor(request, rnd.lot.case.court)
    if not staff_selectors.round_actions(rnd)["edit"]:
        messages.error(request, _("This round has been announced and can no longer be edited."))
        return redirect("staff:round_detail", rnd.pk)
    locked = rnd.status == AuctionRound.Status.PANEL_APPROVED
    form = RoundForm(request.POST or None, initial=RoundForm.initial_for(rnd), locked=locked)
    if request.method != "POST":
        return _round_form_page(request, form, rnd.lot, rnd.kind, rnd.previous_round, rnd)

    def run() -> Outcome:
        services.round_update(actor=request.user, rnd=rnd, terms=form.terms(), **form.texts())
        return _("Round saved."), _url("round_detail", rnd.pk)

    return _submit(request, form, run, lambda status: _round_form_page(request, form, rnd.lot, rnd.kind,
                                                                       rnd.previous_round, rnd, status))


@staff_page
def round_next(request: HttpRequest, pk: int) -> HttpResponse:
    previous = get_object_or_404(staff_selectors.visible_rounds(request.user), pk=pk)
    lot = previous.lot
    _require_actor(request, lot.case.court)
    try:
        kind = services.next_round_kind(previous)
    except RuleViolation as exc:
        messages.error(request, exc.text)
        return redirect("staff:round_detail", previous.pk)
    initial = staff_selectors.suggested_terms(lot, kind, previous, clock.today())
    form = RoundForm(request.POST or None, initial=initial)
    if request.method != "POST":
        return _round_form_page(request, form, lot, kind, previous, None)

    def run() -> Outcome:
        rnd = services.round_create_next(actor=request.user, previous=previous, terms=form.terms(), **form.texts())
        return _("Draft created: %(kind)s.") % {"kind": rnd.get_kind_display()}, _url("round_detail", rnd.pk)

    return _submit(request, form, run, lambda status: _round_form_page(request, form, lot, kind, previous, None,
                                                                       status))


# --- the round page and its actions -----------------------------------------------------------------


# The stop actions, each with its public reason (WP art.28; PB arts.17, 19).
STOP_LABELS = {
    "stay": gettext_lazy("Stay (暂缓)"),
    "suspend": gettext_lazy("Suspend (中止)"),
    "withdraw": gettext_lazy("Withdraw (撤回)"),
    "terminate": gettext_lazy("Terminate (终止)"),
}
STOP_SERVICES = {
    "stay": (services.round_stay, gettext_lazy("The round is stayed.")),
    "suspend": (services.round_suspend, gettext_lazy("The round is suspended.")),
    "withdraw": (services.round_withdraw, gettext_lazy("The round is withdrawn.")),
    "terminate": (services.round_terminate, gettext_lazy("The round is terminated.")),
}


def _round_form(key: str, rnd: AuctionRound, request: HttpRequest | None = None) -> forms.Form:
    """The form of one action on the round page, bound to the request when it was submitted."""
    data, files = (request.POST, request.FILES) if request is not None else (None, None)
    auto_id = _ids(key)
    if key == "notify":
        return NotificationForm(data, rnd=rnd, auto_id=auto_id, initial={"at": clock.now()})
    if key == "panel":
        return PanelDecisionForm(data, files, auto_id=auto_id, initial={"decided_on": clock.today()})
    if key == "publish":
        return PublishForm(data, auto_id=auto_id)
    if key == "resume":
        return ResumeForm(data, auto_id=auto_id, initial={"cause_ended_on": clock.today()})
    if key == "take_in_lieu":
        return TakeInLieuForm(data, rnd=rnd, auto_id=auto_id)
    if key in STOP_SERVICES:
        return StopForm(data, auto_id=auto_id)
    raise Http404


def _notify(user: Any, rnd: AuctionRound, form: Any) -> str:
    data = form.cleaned_data
    services.notification_record(actor=user, rnd=rnd, method=data["method"], at=data["at"], proof=data["proof"],
                                 unreachable_reason=data["unreachable_reason"], **form.recipient_kwargs())
    return _("Notification recorded.")


def _panel(user: Any, rnd: AuctionRound, form: Any) -> str:
    data = form.cleaned_data
    services.round_record_panel_decision(actor=user, rnd=rnd, decided_on=data["decided_on"],
                                         reference=data["reference"], members=form.member_list(),
                                         document=data["document"])
    return _("The collegial panel's decision is recorded; the start price, increment and deposit are now locked.")


def _publish(user: Any, rnd: AuctionRound, form: Any) -> str:
    services.round_publish(actor=user, rnd=rnd)
    return _("The auction notice is published.")


def _resume(user: Any, rnd: AuctionRound, form: Any) -> str:
    data = form.cleaned_data
    services.round_resume(actor=user, rnd=rnd, reason=data["reason"], cause_ended_on=data["cause_ended_on"],
                          bidding_start=data["bidding_start"], bidding_end=data["bidding_end"])
    return _("The round is resumed and announced again.")


def _take_in_lieu(user: Any, rnd: AuctionRound, form: Any) -> str:
    data = form.cleaned_data
    amounts = services.round_take_in_lieu(actor=user, rnd=rnd, creditor=data["creditor"], reason=data["reason"],
                                          qualification_confirmed=data["qualification_confirmed"])
    return _("%(creditor)s takes the lot in lieu of payment at %(value)s; verified claims %(claims)s; "
             "top-up to pay %(top_up)s.") % {
        "creditor": data["creditor"].name, "value": format_fen(amounts["value_fen"]),
        "claims": format_fen(amounts["verified_claims_fen"]), "top_up": format_fen(amounts["top_up_fen"])}


def _stop(key: str) -> Callable[[Any, AuctionRound, Any], str]:
    service, message = STOP_SERVICES[key]

    def run(user: Any, rnd: AuctionRound, form: Any) -> str:
        service(actor=user, rnd=rnd, reason=form.cleaned_data["reason"])
        return str(message)

    return run


ROUND_HANDLERS: dict[str, Callable[[Any, AuctionRound, Any], str]] = {
    "notify": _notify,
    "panel": _panel,
    "publish": _publish,
    "resume": _resume,
    "take_in_lieu": _take_in_lieu,
    **{key: _stop(key) for key in STOP_SERVICES},
}


def _round_page(request: HttpRequest, rnd: AuctionRound, status: int = 200, **bound: forms.BaseForm) -> HttpResponse:
    rnd = AuctionRound.objects.select_related("lot__case__court", "previous_round").get(pk=rnd.pk)
    court = rnd.lot.case.court
    today = clock.today()
    can_write = staff_selectors.can_act(request.user, court)
    actions = staff_selectors.round_actions(rnd)
    context: dict[str, Any] = {
        "round": rnd, "lot": rnd.lot, "case": rnd.lot.case, "can_write": can_write, "actions": actions,
        "package": services.notice_package(rnd),
        "notification_waiting": services.notification_problems(rnd, today),
        "notice_ready_on": staff_selectors.notice_ready_on(rnd, today),
        "notifications": rnd.notifications.select_related("party", "priority_holder"),
        "panel_decision": PanelDecision.objects.filter(round=rnd).first(),
        "next_round": services.live_next_rounds(rnd).first(),
        "in_lieu": staff_selectors.in_lieu_terms(rnd),
        "history": staff_selectors.round_history(rnd),
        "today": today,
    }
    if can_write:
        shown = [key for key in ROUND_HANDLERS if actions.get(key)]
        if "panel" in shown and not has_role(request.user, Role.PANEL):
            shown.remove("panel")
        round_forms = {key: bound.get(key) or _round_form(key, rnd) for key in shown}
        round_forms.update(bound)
        context["forms"] = round_forms
        context["stops"] = [(key, STOP_LABELS[key], round_forms[key]) for key in STOP_SERVICES if key in round_forms]
    return _render(request, "round_detail.html", context, status)


@staff_page
def panel_decision_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel decision's document, from private storage, to staff who see the round."""
    rnd = get_object_or_404(staff_selectors.visible_rounds(request.user), pk=pk)
    decision = getattr(rnd, "panel_decision", None)
    if decision is None or not decision.document:
        raise Http404
    return cast(HttpResponse, uploads.private_file_response(decision.document, f"panel-decision-{rnd.pk}"))


@staff_page
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = get_object_or_404(staff_selectors.visible_rounds(request.user), pk=pk)
    return _round_page(request, rnd)


@staff_page
@require_POST
def round_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    key = action.replace("-", "_")
    if key not in ROUND_HANDLERS:
        raise Http404
    rnd = get_object_or_404(staff_selectors.visible_rounds(request.user), pk=pk)
    _require_actor(request, rnd.lot.case.court)
    form = _round_form(key, rnd, request)
    handler = ROUND_HANDLERS[key]

    def run() -> Outcome:
        return handler(request.user, rnd, form), _url("round_detail", rnd.pk)

    return _submit(request, form, run, lambda status: _round_page(request, rnd, status, **{key: form}))
