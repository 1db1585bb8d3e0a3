"""Valuation pages for court staff (mounted at /court/valuation/). Views only translate I/O: parse a
form, call one valuation.services function, redirect with a message (POST/redirect/GET), or show the
page again with the service's errors on the form, in which case nothing was written.

Who may do what: a staff role is needed to see anything (court staff, panel, finance, supervisor);
the user sees the valuations of their courts (a supervisor: all), another court's gets a 403 page;
writing needs court staff of the lot's court, which the services check again. Finance staff and
supervisors read the same pages without the forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from auction import staff_selectors
from auction.models import Lot
from auction.selectors import courts_of
from auction.staff_views import Forbidden, staff_page
from core import clock, uploads
from core.errors import PermissionDenied
from core.forms import apply_rule_errors
from core.money import format_fen
from valuation import forms as f
from valuation import selectors, services
from valuation.models import AppraisalSelection, Report, Valuation

Handler = Callable[[Any, Valuation, Any], "str | tuple[str, Valuation]"]


@dataclass(frozen=True)
class Action:
    form: type[f.ActionForm]
    run: Handler
    label: Any
    primary: bool = False


def _investigation(user: Any, v: Valuation, form: f.InvestigationForm) -> str:
    v = services.valuation_record_investigation(actor=user, valuation=v, items=form.items(),
                                                note=form.cleaned_data["note"])
    return _("Investigation complete.") if v.investigated_on else _("Investigation recorded; items are still open.")


def _start(user: Any, v: Valuation, form: Any) -> str:
    step = services.method_start(actor=user, valuation=v, method=services.next_method(v) or "")
    return _("Started: %(method)s.") % {"method": step.get_method_display()}


def _skip(user: Any, v: Valuation, form: f.SkipForm) -> str:
    step = services.method_skip(actor=user, valuation=v, method=form.method, ground=form.cleaned_data["ground"],
                                reason=form.cleaned_data["reason"])
    return _("Skipped: %(method)s (%(ground)s).") % {"method": step.get_method_display(),
                                                     "ground": step.get_ground_display()}


def _fail(user: Any, v: Valuation, form: f.FailForm) -> str:
    step = services.method_fail(actor=user, valuation=v, ground=form.cleaned_data["ground"],
                                reason=form.cleaned_data["reason"])
    return _("Recorded that %(method)s failed; the next method is open.") % {"method": step.get_method_display()}


def _proposal(user: Any, v: Valuation, form: f.ProposalForm) -> str:
    data = form.cleaned_data
    p = services.proposal_record(actor=user, valuation=v, party=data["party"], price_fen=data["price"],
                                 proposed_on=data["proposed_on"], note=data["note"])
    return _("Proposal of %(party)s: %(price)s.") % {"party": p.party.name, "price": format_fen(p.price_fen)}


def _fixed_message(v: Valuation) -> str:
    return _("The reference price is fixed at %(price)s, valid until %(day)s.") % {
        "price": format_fen(v.price_fen or 0), "day": v.valid_until}


def _conclude(user: Any, v: Valuation, form: f.ConcludeForm) -> str:
    return _fixed_message(services.negotiation_conclude(actor=user, valuation=v,
                                                        harms_nobody=form.cleaned_data["harms_nobody"],
                                                        valid_until=form.cleaned_data["valid_until"]))


def _directed_send(user: Any, v: Valuation, form: f.DirectedSendForm) -> str:
    services.directed_inquiry_send(actor=user, valuation=v, **form.cleaned_data)
    return _("The inquiry letter is recorded.")


def _directed_answer(user: Any, v: Valuation, form: f.ReportFieldsForm) -> str:
    return _fixed_message(services.directed_inquiry_answer(actor=user, valuation=v, **form.report_values()))


def _inquiry_send(user: Any, v: Valuation, form: Any) -> str:
    inquiry = services.online_inquiry_send(actor=user, valuation=v)
    return _("Sent to every platform; reports are due by %(day)s.") % {"day": inquiry.due_on}


def _inquiry_result(user: Any, v: Valuation, form: f.InquiryResultForm) -> str:
    report = services.online_inquiry_record(actor=user, report=form.cleaned_data["report"], **form.report_values())
    return _("Report of %(name)s recorded: %(price)s.") % {"name": report.display_name,
                                                            "price": format_fen(report.price_fen or 0)}


def _extension_request(user: Any, v: Valuation, form: f.ExtensionRequestForm) -> str:
    services.online_inquiry_request_extension(actor=user, report=form.cleaned_data["report"],
                                              requested_on=form.cleaned_data["requested_on"])
    return _("The platform's request for an extension is recorded.")


def _inquiry_extend(user: Any, v: Valuation, form: Any) -> str:
    inquiry = services.online_inquiry_extend(actor=user, valuation=v)
    return _("Extended until %(day)s.") % {"day": inquiry.extended_due_on}


def _select_agreed(user: Any, v: Valuation, form: f.AgreedForm) -> str:
    data = form.cleaned_data
    services.appraisal_select_agreed(actor=user, valuation=v, agencies=[data["first"], data["second"], data["third"]],
                                     specialty=data["specialty"], agreement_reference=data["agreement_reference"])
    return _("The agreed agencies are recorded; the first is commissioned.")


def _select_lottery(user: Any, v: Valuation, form: f.LotteryForm) -> str:
    selection = services.appraisal_select_lottery(actor=user, valuation=v, **form.cleaned_data)
    return _("Lottery drawn from %(n)s agencies; the first is commissioned.") % {"n": len(selection.candidates)}


def _appraisal_extend(user: Any, v: Valuation, form: f.AppraisalExtendForm) -> str:
    engagement = services.appraisal_extend(actor=user, valuation=v, days_requested=form.cleaned_data["days"],
                                           requested_on=form.cleaned_data["requested_on"])
    return _("Extended until %(day)s.") % {"day": engagement.due_on}


def _hand_over(user: Any, v: Valuation, form: Any) -> str:
    following = services.appraisal_hand_over(actor=user, valuation=v)
    if following is None:
        return _("All three agencies are out; select agencies again.")
    return _("%(agency)s is commissioned.") % {"agency": following.agency.name}


def _appraisal_report(user: Any, v: Valuation, form: f.ReportFieldsForm) -> str:
    services.appraisal_record_report(actor=user, valuation=v, **form.report_values())
    return _("The appraisal report is recorded.")


def _deliver(user: Any, v: Valuation, form: f.DeliverForm) -> str:
    sent = services.reports_deliver(actor=user, valuation=v, **form.cleaned_data)
    return _("%(n)s report(s) sent to %(party)s.") % {"n": len(sent), "party": form.cleaned_data["party"].name}


def _object(user: Any, v: Valuation, form: f.ObjectionForm) -> str:
    services.objection_file(actor=user, valuation=v, **form.cleaned_data)
    return _("The objection is recorded.")


def _forward(user: Any, v: Valuation, form: f.ForwardForm) -> str:
    services.objection_forward(actor=user, objection=form.cleaned_data["objection"],
                               forwarded_on=form.cleaned_data["forwarded_on"])
    return _("The objection is sent to the agency.")


def _explain(user: Any, v: Valuation, form: f.ExplainForm) -> str:
    data = form.cleaned_data
    services.objection_record_explanation(actor=user, objection=data["objection"], explained_on=data["explained_on"],
                                          explanation=data["explanation"])
    return _("The agency's explanation is recorded.")


def _review(user: Any, v: Valuation, form: f.ReviewForm) -> str:
    data = form.cleaned_data
    services.objection_refer_to_review(actor=user, objection=data["objection"], review_body=data["review_body"],
                                       referred_on=data["referred_on"])
    return _("The objection is referred to technical review.")


def _decide(user: Any, v: Valuation, form: f.DecideForm) -> str:
    data = form.cleaned_data
    services.objection_decide(actor=user, objection=data["objection"], outcome=data["outcome"],
                              decided_on=data["decided_on"], decision_reference=data["decision_reference"],
                              corrected_price_fen=data["corrected_price"])
    return _("The objection is decided.")


def _fix(user: Any, v: Valuation, form: Any) -> str:
    return _fixed_message(services.valuation_fix(actor=user, valuation=v))


def _stay(user: Any, v: Valuation, form: f.StayForm) -> str:
    services.valuation_stay(actor=user, valuation=v, **form.cleaned_data)
    return _("The valuation is stayed.")


def _resume(user: Any, v: Valuation, form: f.ResumeForm) -> str:
    services.valuation_resume(actor=user, valuation=v, reason=form.cleaned_data["reason"])
    return _("The valuation is resumed.")


def _withdraw(user: Any, v: Valuation, form: f.WithdrawForm) -> str:
    services.valuation_withdraw(actor=user, valuation=v, **form.cleaned_data)
    return _("The valuation is withdrawn.")


def _reissue(user: Any, v: Valuation, form: Any) -> tuple[str, Valuation]:
    new = services.valuation_reissue(actor=user, valuation=v)
    return _("The reissue is requested; it is followed in this new valuation."), new


def _costs(user: Any, v: Valuation, form: f.CostsForm) -> str:
    data = form.cleaned_data
    rows = services.valuation_record_costs(actor=user, valuation=v, inquiry_fee_fen=data["inquiry_fee"],
                                           appraisal_fee_rate_bp=data["appraisal_fee_rate_bp"],
                                           actual_expenses_fen=data["actual_expenses"])
    return _("%(n)s cost(s) recorded against the debtor.") % {"n": len(rows)}


ACTIONS: dict[str, Action] = {
    "investigation": Action(f.InvestigationForm, _investigation, gettext_lazy("Save the checklist")),
    "start": Action(f.EmptyForm, _start, gettext_lazy("Start this method"), primary=True),
    "skip": Action(f.SkipForm, _skip, gettext_lazy("Skip this method")),
    "fail": Action(f.FailForm, _fail, gettext_lazy("Record that this method failed")),
    "proposal": Action(f.ProposalForm, _proposal, gettext_lazy("Record the proposal")),
    "conclude": Action(f.ConcludeForm, _conclude, gettext_lazy("Fix the negotiated price"), primary=True),
    "directed_send": Action(f.DirectedSendForm, _directed_send, gettext_lazy("Record the inquiry letter")),
    "directed_answer": Action(f.ReportFieldsForm, _directed_answer, gettext_lazy("Record the answer and fix the price"),
                              primary=True),
    "inquiry_send": Action(f.EmptyForm, _inquiry_send, gettext_lazy("Send to every platform"), primary=True),
    "inquiry_result": Action(f.InquiryResultForm, _inquiry_result, gettext_lazy("Record the platform's report")),
    "extension_request": Action(f.ExtensionRequestForm, _extension_request,
                                gettext_lazy("Record the extension request")),
    "inquiry_extend": Action(f.EmptyForm, _inquiry_extend, gettext_lazy("Extend by 3 days")),
    "select_agreed": Action(f.AgreedForm, _select_agreed, gettext_lazy("Record the agreed agencies")),
    "select_lottery": Action(f.LotteryForm, _select_lottery, gettext_lazy("Draw three agencies"), primary=True),
    "appraisal_extend": Action(f.AppraisalExtendForm, _appraisal_extend, gettext_lazy("Extend the period")),
    "hand_over": Action(f.EmptyForm, _hand_over, gettext_lazy("Hand over to the next agency")),
    "appraisal_report": Action(f.ReportFieldsForm, _appraisal_report, gettext_lazy("Record the appraisal report")),
    "deliver": Action(f.DeliverForm, _deliver, gettext_lazy("Record the delivery")),
    "object": Action(f.ObjectionForm, _object, gettext_lazy("Record the objection")),
    "forward": Action(f.ForwardForm, _forward, gettext_lazy("Send to the agency")),
    "explain": Action(f.ExplainForm, _explain, gettext_lazy("Record the explanation")),
    "review": Action(f.ReviewForm, _review, gettext_lazy("Refer to technical review")),
    "decide": Action(f.DecideForm, _decide, gettext_lazy("Record the decision")),
    "fix": Action(f.EmptyForm, _fix, gettext_lazy("Fix the reference price"), primary=True),
    "stay": Action(f.StayForm, _stay, gettext_lazy("Stay (RP art.28)")),
    "resume": Action(f.ResumeForm, _resume, gettext_lazy("Resume"), primary=True),
    "withdraw": Action(f.WithdrawForm, _withdraw, gettext_lazy("Withdraw (RP art.29)")),
    "costs": Action(f.CostsForm, _costs, gettext_lazy("Record the costs")),
    "reissue": Action(f.EmptyForm, _reissue, gettext_lazy("Ask for a reissued report"), primary=True),
}


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("can_open_cases", staff_selectors.acting_courts(request.user).exists())
    return render(request, f"valuation/{template}", context, status=status)


def _visible_court(request: HttpRequest, lot: Lot) -> None:
    if not courts_of(request.user).filter(pk=lot.case.court_id).exists():
        raise Forbidden(_("This lot belongs to %(court)s, which you do not act for.") % {
            "court": lot.case.court.display_name})


def _valuation(request: HttpRequest, pk: int) -> Valuation:
    valuation = get_object_or_404(Valuation.objects.select_related("lot__case__court"), pk=pk)
    _visible_court(request, valuation.lot)
    return valuation


def _lot(request: HttpRequest, pk: int) -> Lot:
    lot = get_object_or_404(Lot.objects.select_related("case__court"), pk=pk)
    _visible_court(request, lot)
    return lot


def _form(key: str, valuation: Valuation, request: HttpRequest | None = None) -> f.ActionForm:
    data, files = (request.POST, request.FILES) if request is not None else (None, None)
    return ACTIONS[key].form(data, files, valuation=valuation, auto_id=f"{key}_%s")


@staff_page
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    return _render(request, "home.html", {"rows": selectors.home_rows(request.user, today),
                                          "recent": selectors.recent_fixed(request.user), "today": today})


def _lot_page(request: HttpRequest, lot: Lot, form: forms.Form | None = None, status: int = 200) -> HttpResponse:
    today = clock.today()
    can_write = staff_selectors.can_act(request.user, lot.case.court)
    active = lot.valuations.filter(status__in=selectors.ACTIVE).first()
    context: dict[str, Any] = {
        "lot": lot, "case": lot.case, "valuations": lot.valuations.order_by("-opened_on", "-pk"), "active": active,
        "open_deadline": selectors.open_deadline(lot, today, None), "estimate": selectors.lot_estimate(lot, today),
        "today": today, "can_write": can_write,
    }
    if can_write and active is None:
        context["open_form"] = form or f.OpenForm(auto_id="open_%s")
    return _render(request, "lot.html", context, status)


@staff_page
def lot_page(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    if request.method != "POST":
        return _lot_page(request, lot)
    if not staff_selectors.can_act(request.user, lot.case.court):
        raise Forbidden(_("Only court enforcement staff of %(court)s may change this.") % {
            "court": lot.case.court.display_name})
    form = f.OpenForm(request.POST, auto_id="open_%s")
    if not form.is_valid():
        return _lot_page(request, lot, form)
    try:
        valuation = services.valuation_open(actor=request.user, lot=lot, opened_on=form.cleaned_data["opened_on"])
    except ValidationError as exc:
        apply_rule_errors(form, exc)
        return _lot_page(request, lot, form, 403 if isinstance(exc, PermissionDenied) else 200)
    messages.success(request, _("The valuation is opened; complete the investigation checklist first (RP art.3)."))
    return redirect("valuation:detail", valuation.pk)


def _detail_page(request: HttpRequest, valuation: Valuation, status: int = 200,
                 bound: dict[str, f.ActionForm] | None = None) -> HttpResponse:
    valuation = Valuation.objects.select_related("lot__case__court").get(pk=valuation.pk)
    lot = valuation.lot
    today = clock.today()
    can_write = staff_selectors.can_act(request.user, lot.case.court)
    estimate = selectors.lot_estimate(lot, today)
    context: dict[str, Any] = {
        "valuation": valuation, "lot": lot, "case": lot.case, "today": today, "can_write": can_write,
        "checklist": [(key, label, bool(valuation.investigation.get(key))) for key, label in
                      services.INVESTIGATION_ITEMS],
        "cascade": selectors.cascade(valuation), "step": selectors.current_step(valuation),
        "deadlines": selectors.deadlines(valuation, today), "inquiry": selectors.inquiry_outcome(valuation, today),
        "directed": getattr(valuation, "directed_inquiry", None),
        "proposals": valuation.proposals.select_related("party"),
        "negotiators": services.negotiating_parties(valuation),
        "selections": [(s, selectors.lottery_record(s) if s.mode == AppraisalSelection.Mode.LOTTERY else None)
                       for s in selectors.selections(valuation)],
        "reports": selectors.report_views(valuation, estimate), "estimate": estimate,
        "objections": valuation.objections.select_related("party", "report"),
        "costs": valuation.costs.select_related("advanced_by", "borne_by"),
        "sale_deadline": selectors.sale_deadline(valuation),
        "history": selectors.history(valuation),
        "labels": {key: action.label for key, action in ACTIONS.items()},
        "primary": {key for key, action in ACTIONS.items() if action.primary},
    }
    if can_write:
        shown = selectors.valuation_actions(valuation, today)
        if "fix" in shown:
            context["fix_blockers"] = selectors.objection_blockers(
                valuation, selectors.counted_reports(valuation, today), today)
        context["forms"] = {key: _form(key, valuation) for key in shown}
        context["forms"].update(bound or {})  # a refused form is shown again with its errors
        context["next_method"] = services.next_method(valuation)
    return _render(request, "detail.html", context, status)


@staff_page
def report_document(request: HttpRequest, pk: int) -> HttpResponse:
    """A report's document, from private storage, to staff of the lot's court."""
    report = get_object_or_404(Report.objects.select_related("valuation__lot__case__court"), pk=pk)
    _visible_court(request, report.valuation.lot)
    if not report.document:
        raise Http404
    return cast(HttpResponse, uploads.private_file_response(report.document, f"valuation-report-{report.pk}"))


@staff_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _valuation(request, pk))


@staff_page
@require_POST
def action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    valuation = _valuation(request, pk)
    if not staff_selectors.can_act(request.user, valuation.lot.case.court):
        raise Forbidden(_("Only court enforcement staff of %(court)s may change this.") % {
            "court": valuation.lot.case.court.display_name})
    form = _form(action, valuation, request)
    if not form.is_valid():
        return _detail_page(request, valuation, 200, {action: form})
    try:
        result = ACTIONS[action].run(request.user, valuation, form)
    except ValidationError as exc:
        apply_rule_errors(form, exc, form.FIELD_MAP)
        status = 403 if isinstance(exc, PermissionDenied) else 200
        return _detail_page(request, valuation, status, {action: form})
    message, target = result if isinstance(result, tuple) else (result, valuation)
    messages.success(request, message)
    return redirect(reverse("valuation:detail", args=[target.pk]) + ("" if target != valuation else f"#{action}"))


@staff_page
def lottery(request: HttpRequest, pk: int) -> HttpResponse:
    selection = get_object_or_404(AppraisalSelection.objects.select_related("valuation__lot__case__court"), pk=pk,
                                  mode=AppraisalSelection.Mode.LOTTERY)
    _visible_court(request, selection.valuation.lot)
    return _render(request, "lottery.html", {"record": selectors.lottery_record(selection),
                                             "valuation": selection.valuation, "lot": selection.valuation.lot,
                                             "case": selection.valuation.lot.case})
