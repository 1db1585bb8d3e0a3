"""Bidder pages (mounted at /bidder/): sign-up, profile, registering for a round step by step, paying
the deposit, "my registrations"; and the court's pages for registrations, review items, the barred
list, the default and the re-auction. Views only translate I/O: they parse a form, call one
bidding.services function and redirect with a message, or re-render with the service's errors on
the form (nothing was written then).

Anonymity (WP art.18): the court's pages of a round show counts and review items while the round
runs; codes with identities only once it has finished, and each such view is logged."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction import rules
from auction import selectors as auction_selectors
from auction.forms import RoundForm
from auction.models import AuctionRound, Party
from auction.services import check_court_staff
from auction.staff_selectors import acting_courts, can_act
from bidding import selectors, services
from bidding.forms import (
    BarredForm,
    DateForm,
    PaymentForm,
    QualificationForm,
    ReasonForm,
    RegistrationForm,
    ReviewDecisionForm,
    ScreeningDecisionForm,
    SignupForm,
)
from bidding.models import Bid, Registration, Review
from bidding.screening import reasons as screening_reasons
from bidding.screening import selectors as screening_selectors
from bidding.screening import services as screening_services
from bidding.screening.chart import timeline_svg
from bidding.screening.logs import FAPAI_COLUMNS
from core import clock, ratelimit, uploads
from core.errors import PermissionDenied
from core.forms import apply_rule_errors
from core.roles import Role, has_role, is_staff_member
from core.sightings import client_ip
from settlement import gateways
from settlement import services as settlement
from settlement.selectors import allowed_gateways

View = Callable[..., HttpResponse]


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "bidding/forbidden.html", {"message": message}, status=403)


def _act(request: HttpRequest, call: Callable[[], Any], success: str, target: str) -> HttpResponse:
    """A staff action posted from a page: run the service, then back to the page with its message;
    a refusal of the user is a 403 page (nothing changed), a rule's refusal a message on the page."""
    try:
        call()
    except PermissionDenied as exc:
        return _forbidden(request, " ".join(exc.messages))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(target)


def bidder_page(view: View) -> View:
    """Logged in with a bidder profile; others go to the login page or are told to sign up."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if selectors.profile_of(request.user) is None or not has_role(request.user, Role.BIDDER):
            return _forbidden(request, _("These pages are for bidders with a real-name profile."))
        return view(request, *args, **kwargs)

    return wrapper


def staff_page(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return _forbidden(request, _("These pages are for court, finance and supervision staff."))
        return view(request, *args, **kwargs)

    return wrapper


def _run(request: HttpRequest, form: forms.BaseForm, run: Callable[[], tuple[str, str]],
         rerender: Callable[[int], HttpResponse], field_map: dict[str, str] | None = None) -> HttpResponse:
    """Validate, call the service, redirect with its message; on error re-render with the errors."""
    if not form.is_valid():
        return rerender(200)
    try:
        message, next_url = run()
    except ValidationError as exc:
        apply_rule_errors(form, exc, field_map)
        return rerender(403 if isinstance(exc, PermissionDenied) else 200)
    messages.success(request, message)
    return redirect(next_url)


def _registration_url(reg: Registration) -> str:
    return reverse("bidding:registration", args=[reg.pk])


# --- sign-up and profile ------------------------------------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    """Open a bidder account with a real-name identity."""
    if request.user.is_authenticated:
        return redirect("bidding:home")
    form = SignupForm(request.POST or None)

    def run() -> tuple[str, str]:
        data = form.cleaned_data
        profile = services.bidder_signup(username=data["username"], password=data["password"], email=data["email"],
                                         phone=data["phone"], address=data["address"], person=form.person())
        login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
        return _("Welcome, %(name)s. Your bidder account is open.") % {"name": profile.name}, reverse("bidding:home")

    if request.method != "POST":
        return render(request, "bidding/signup.html", {"form": form})

    def rerender(status: int) -> HttpResponse:
        return render(request, "bidding/signup.html", {"form": form}, status=status)

    verdict = ratelimit.check(("signup_ip", client_ip(request)))
    if not verdict.allowed:
        return ratelimit.refuse_form(form, verdict, rerender)
    return _run(request, form, run, rerender)


@bidder_page
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "bidding/profile.html", {"profile": selectors.profile_of(request.user)})


@bidder_page
def home(request: HttpRequest) -> HttpResponse:
    """My registrations: status, deposit, bidder code and refunds."""
    registrations = list(selectors.my_registrations(request.user).prefetch_related("deposit__payouts"))
    now = clock.now()
    for reg in registrations:
        reg.step = selectors.registration_step(reg, now)  # type: ignore[attr-defined]
    return render(request, "bidding/home.html", {"registrations": registrations,
                                                 "profile": selectors.profile_of(request.user)})


# --- registering ----------------------------------------------------------------------------------------------


def _registration_form(rnd: AuctionRound, data: Any = None, files: Any = None) -> RegistrationForm:
    holder_ids = list(selectors.confirmed_priority_holders(rnd))
    return RegistrationForm(data, files, holders=rnd.lot.priority_holders.filter(pk__in=holder_ids),
                            applicants=rnd.lot.case.parties.filter(role=Party.Role.APPLICANT))


@bidder_page
def register(request: HttpRequest, round_pk: int) -> HttpResponse:
    """Register for a round from its lot page: the declaration and what the court must confirm."""
    rnd = get_object_or_404(auction_selectors.public_rounds(), pk=round_pk)
    existing = selectors.registration_for_round(request.user, rnd)
    if existing is not None:
        return redirect(_registration_url(existing))
    form = _registration_form(rnd, request.POST or None, request.FILES or None)
    principal_fields = [form[name] for name in form.principal_field_names()]
    context = {"form": form, "rnd": rnd, "lot": rnd.lot, "open": selectors.registration_open(rnd),
               "principal_fields": principal_fields,
               "proxy_open": form["capacity"].value() == Registration.Capacity.PROXY
               or any(f.errors for f in principal_fields) or bool(form["proxy_document"].errors),
               "has_applicants": rnd.lot.case.parties.filter(role=Party.Role.APPLICANT).exists()}

    def run() -> tuple[str, str]:
        reg = services.registration_start(actor=request.user, rnd=rnd, data=form.data_for_service())
        return _("Registration started. Now read and accept the special prompts."), _registration_url(reg)

    if request.method != "POST":
        return render(request, "bidding/register.html", context)

    def rerender(status: int) -> HttpResponse:
        return render(request, "bidding/register.html", context, status=status)

    verdict = ratelimit.check(("register_user", str(request.user.pk)))
    if not verdict.allowed:
        return ratelimit.refuse_form(form, verdict, rerender)
    return _run(request, form, run, rerender)


def _my_registration(request: HttpRequest, pk: int) -> Registration:
    reg = selectors.my_registration(request.user, pk)
    if reg is None:
        raise Http404
    return reg


def _gateway_choices(rnd: AuctionRound) -> list[tuple[str, Any]]:
    return [(key, gateways.get(key).label) for key in allowed_gateways(rnd)]


def _registration_page(request: HttpRequest, reg: Registration, status: int = 200,
                       **bound: forms.BaseForm) -> HttpResponse:
    step = selectors.registration_step(reg)
    accepted = {a.key: a for a in reg.prompt_acceptances.all()}
    prompts = [{"key": key, "label": label, "accepted": accepted.get(key)} for key, label in rules.SPECIAL_PROMPTS]
    next_key = selectors.next_prompt_key(set(accepted))
    context: dict[str, Any] = {
        "reg": reg, "rnd": reg.round, "lot": reg.round.lot, "step": step,
        "prompts": prompts, "next_prompt": next((p for p in prompts if p["key"] == next_key), None),
        "prompt_number": len(accepted) + 1, "prompt_total": len(prompts),
        "reviews": list(reg.reviews.all()), "may_bid": selectors.may_bid(reg),
        "deposit_amount_fen": reg.deposit_due_fen if reg.deposit_due_fen is not None
        else selectors.deposit_amount(reg),
        "blockers": selectors.payment_blockers(reg) if step == selectors.Step.WAITING else [],
        "payouts": list(reg.deposit.payouts.all()) if reg.deposit is not None else [],
        "outcome": selectors.registration_outcome(reg),
    }
    if step == selectors.Step.QUALIFICATION:
        context["qualification_form"] = bound.get("qualification_form") or QualificationForm()
    if step == selectors.Step.PAYMENT:
        context["payment_form"] = bound.get("payment_form") or PaymentForm(gateways=_gateway_choices(reg.round))
    if step == selectors.Step.PAY and reg.deposit is not None:
        try:
            context["payment"] = settlement.deposit_payment_start(
                deposit=reg.deposit, actor=request.user,
                return_url=request.build_absolute_uri(_registration_url(reg)))
        except ValidationError as exc:
            context["payment_problem"] = " ".join(exc.messages)
    context["my_bids"] = list(reg.bids.order_by("-seq")) if reg.code else []
    return render(request, "bidding/registration.html", context, status=status)


@bidder_page
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    return _registration_page(request, _my_registration(request, pk))


@bidder_page
@require_POST
def prompt_accept(request: HttpRequest, pk: int) -> HttpResponse:
    reg = _my_registration(request, pk)
    try:
        services.prompt_accept(actor=request.user, registration=reg, key=request.POST.get("key", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(_registration_url(reg))


@bidder_page
@require_POST
def qualification(request: HttpRequest, pk: int) -> HttpResponse:
    reg = _my_registration(request, pk)
    form = QualificationForm(request.POST, request.FILES)

    def run() -> tuple[str, str]:
        services.qualification_submit(actor=request.user, registration=reg, promise=form.cleaned_data["promise"],
                                      proof=form.cleaned_data["proof"])
        return _("Your purchase qualification was submitted; the court checks it before the sale ruling."), \
            _registration_url(reg)

    return _run(request, form, run, lambda status: _registration_page(request, reg, status, qualification_form=form))


@bidder_page
@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    reg = _my_registration(request, pk)
    form = PaymentForm(request.POST, gateways=_gateway_choices(reg.round))

    def run() -> tuple[str, str]:
        deposit = services.registration_pay(actor=request.user, registration=reg, gateway=form.cleaned_data["gateway"])
        if deposit.status == deposit.Status.HELD:
            return _("You are qualified to bid. Your bidder code is on this page."), _registration_url(reg)
        return _("Pay the deposit as shown below."), _registration_url(reg)

    return _run(request, form, run, lambda status: _registration_page(request, reg, status, payment_form=form),
                {"amount_fen": "gateway"})


@bidder_page
@require_POST
def payment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reg = _my_registration(request, pk)
    try:
        services.registration_payment_cancel(actor=request.user, registration=reg)
        messages.success(request, _("The unpaid deposit was cancelled. Choose a payment method again."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(_registration_url(reg))


@bidder_page
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reg = _my_registration(request, pk)
    try:
        services.registration_cancel(actor=request.user, registration=reg)
        messages.success(request, _("Your registration was cancelled."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(_registration_url(reg))


def document(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """A review's document, from the private store: to the registration's bidder, and to staff of
    the round's court. Never cached by the browser."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    review = get_object_or_404(Review.objects.select_related("registration__bidder",
                                                             "registration__round__lot__case__court"), pk=pk)
    own = review.registration.bidder.user_id == request.user.pk
    if not own and not selectors.staff_rounds(request.user).filter(pk=review.registration.round_id).exists():
        raise Http404
    if not review.document:
        raise Http404
    return uploads.private_file_response(review.document, f"{review.get_kind_display()}-{review.pk}")


# --- court staff ------------------------------------------------------------------------------------------------


def _staff_round(request: HttpRequest, pk: int) -> AuctionRound:
    return get_object_or_404(selectors.staff_rounds(request.user), pk=pk)


@staff_page
def staff_round(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's registrations: counts and the review queue while it runs; after it has finished,
    codes with identities for court staff (each view logged, WP art.18)."""
    rnd = _staff_round(request, pk)
    court = rnd.lot.case.court
    finished = rnd.status in selectors.FINISHED
    context: dict[str, Any] = {
        "rnd": rnd, "lot": rnd.lot, "summary": selectors.round_summary(rnd), "finished": finished,
        "queue": list(selectors.review_queue(request.user, rnd)), "can_act": can_act(request.user, court),
        "status_labels": dict(Registration.Status.choices), "kind_labels": dict(Review.Kind.choices),
    }
    if finished and context["can_act"]:
        services.identities_viewed(actor=request.user, rnd=rnd)
        context["registrations"] = list(selectors.revealed_registrations(rnd))
        context["default_form"] = ReasonForm(auto_id="default_%s")
        context["balance"] = getattr(rnd, "balance_due", None)
        context["date_form"] = DateForm(auto_id="after_%s", initial={"on": clock.today()})
    return render(request, "bidding/staff_round.html", context)


@staff_page
@require_POST
def staff_after_sale(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Record the sale ruling served on the buyer, or the handover (PB arts.20, 27)."""
    rnd = _staff_round(request, pk)
    if step not in ("ruling", "handover"):
        raise Http404
    form = DateForm(request.POST)
    target = reverse("bidding:staff_round", args=[rnd.pk])
    if not form.is_valid():
        messages.error(request, _("Give a valid date."))
        return redirect(target)
    on = form.cleaned_data["on"]
    if step == "ruling":
        return _act(request, lambda: services.round_ruling_record(actor=request.user, rnd=rnd, served_on=on),
                    _("Recorded."), target)
    return _act(request, lambda: services.round_handover_record(actor=request.user, rnd=rnd, handed_over_on=on),
                _("Recorded."), target)


@staff_page
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "bidding/staff_queue.html", {"queue": list(selectors.review_queue(request.user))})


@staff_page
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One review item: what is to be confirmed and its document, never the bidder code."""
    review = selectors.visible_review(request.user, pk)
    if review is None:
        raise Http404
    court = review.registration.round.lot.case.court
    form = ReviewDecisionForm(request.POST or None)
    context = {"review": review, "reg": review.registration, "rnd": review.registration.round, "form": form,
               "can_act": can_act(request.user, court),
               "rank": selectors.confirmed_priority_holders(review.registration.round).get(
                   review.registration.priority_holder_id or 0)}

    def run() -> tuple[str, str]:
        services.review_decide(actor=request.user, review=review, approve=form.cleaned_data["decision"] == "approve",
                               note=form.cleaned_data["note"])
        return _("Decision recorded."), reverse("bidding:staff_round", args=[review.registration.round_id])

    if request.method != "POST":
        return render(request, "bidding/staff_review.html", context)
    return _run(request, form, run, lambda status: render(request, "bidding/staff_review.html", context,
                                                          status=status))


@staff_page
@require_POST
def staff_default(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_object_or_404(Registration.objects.filter(round__in=selectors.staff_rounds(request.user)), pk=pk)
    form = ReasonForm(request.POST)
    target = reverse("bidding:staff_round", args=[reg.round_id])
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect(target)
    return _act(request, lambda: services.registration_default(actor=request.user, registration=reg,
                                                              reason=form.cleaned_data["reason"]),
                _("The default was recorded; the deposit is forfeited."), target)


@staff_page
def reauction(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the re-auction round after a default (WP art.24)."""
    rnd = _staff_round(request, pk)
    form = RoundForm(request.POST or None, initial={"start_price": rnd.start_price_fen,
                                                    "increment": rnd.increment_fen, "deposit": rnd.deposit_fen,
                                                    "balance_due_days": rnd.balance_due_days})
    context = {"form": form, "rnd": rnd, "lot": rnd.lot}

    def run() -> tuple[str, str]:
        new = services.reauction_create(actor=request.user, rnd=rnd, terms=form.terms(), **form.texts())
        return _("The re-auction round was created as a draft."), reverse("staff:round_detail", args=[new.pk])

    if request.method != "POST":
        return render(request, "bidding/staff_reauction.html", context)
    return _run(request, form, run, lambda status: render(request, "bidding/staff_reauction.html", context,
                                                          status=status), RoundForm.FIELD_MAP)


@staff_page
def barred_list(request: HttpRequest) -> HttpResponse:
    """The barred list of the user's courts (WP art.34): names and masked numbers only."""
    courts = acting_courts(request.user)
    form = BarredForm(request.POST or None, courts=courts)
    context = {"entries": list(selectors.barred_list(request.user)), "form": form if courts.exists() else None,
               "remove_form": ReasonForm(auto_id="remove_%s")}

    def run() -> tuple[str, str]:
        data = form.cleaned_data
        services.barred_add(actor=request.user, category=data["category"], person=form.person(), court=data["court"],
                            relation=data["relation"])
        return _("Added to the barred list."), reverse("bidding:barred_list")

    if request.method != "POST":
        return render(request, "bidding/staff_barred.html", context)
    if not courts.exists():
        return _forbidden(request, _("Only court enforcement staff add persons to the barred list."))
    return _run(request, form, run, lambda status: render(request, "bidding/staff_barred.html", context,
                                                          status=status))


@staff_page
@require_POST
def barred_remove(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(selectors.barred_list(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect("bidding:barred_list")
    return _act(request, lambda: services.barred_remove(actor=request.user, barred=entry,
                                                       reason=form.cleaned_data["reason"]),
                _("Removed from the barred list."), reverse("bidding:barred_list"))



@require_POST
def reminder(request: HttpRequest, pk: int) -> HttpResponse:
    """Set, change or (0) cancel the user's "remind me before it ends" for a round."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("lot_detail", args=[get_object_or_404(AuctionRound, pk=pk).lot_id]))
    rnd = get_object_or_404(AuctionRound, pk=pk)
    back = reverse("lot_detail", args=[rnd.lot_id]) + f"?round={rnd.pk}"
    try:
        minutes = int(request.POST.get("minutes_before", ""))
    except ValueError:
        minutes = -1
    try:
        if minutes == 0:
            services.reminder_cancel(actor=request.user, rnd=rnd)
            messages.success(request, _("The reminder was removed."))
        else:
            services.reminder_set(actor=request.user, rnd=rnd, minutes_before=minutes)
            messages.success(request, _("We will remind you before the round ends (in the app and by email)."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(back)


# --- the court's live board ---------------------------------------------------------------------------------


@staff_page
def live_board(request: HttpRequest) -> HttpResponse:
    """Every running round of the user's courts at a glance, refreshed every few seconds by board.js."""
    return render(request, "bidding/live_board.html", {"rows": selectors.live_board(request.user, clock.now())})


@staff_page
def live_board_json(request: HttpRequest) -> HttpResponse:
    body = {"server_time": selectors.server_time_ms(), "rounds": selectors.live_board(request.user, clock.now())}
    return HttpResponse(orjson.dumps(body), content_type="application/json")


# --- collusion and shill screening (docs/screening.md) ---------------------------------------------------


@staff_page
def screening_queue(request: HttpRequest) -> HttpResponse:
    """Flagged rounds of the user's courts, unreviewed first."""
    language = translation.get_language() or "zh-hans"
    queue = [(item, [screening_reasons.as_reason(r).text(language) for r in list(item.reasons.all())[:2]])
             for item in screening_selectors.screening_queue(request.user)]
    return render(request, "bidding/screening_queue.html", {"queue": queue})


def _screening_context(request: HttpRequest, rnd: AuctionRound) -> dict[str, Any]:
    screening = getattr(rnd, "screening", None)
    finished = rnd.status in selectors.FINISHED
    court = rnd.lot.case.court
    language = translation.get_language() or "zh-hans"
    context: dict[str, Any] = {"rnd": rnd, "lot": rnd.lot, "screening": screening, "finished": finished,
                               "can_act": can_act(request.user, court), "form": ScreeningDecisionForm()}
    if screening is None:
        return context
    reasons = [(r, screening_reasons.as_reason(r).text(language)) for r in screening.reasons.all()]
    flagged = {code for code, points in screening.bidder_scores.items()
               if points >= settings.FAPAI_SCREENING["flag"]}
    context.update(reasons=reasons, decisions=list(screening.decisions.select_related("decided_by")))
    identities: dict[str, Registration] = {}
    if finished:  # bids and identities only after close (WP art.18), and each view of identities is logged
        log = screening_selectors.round_logs([rnd])[0]
        context["bids"] = [(b.bidder, b.amount, f"{b.t / 3600:.2f}") for b in log.bids]
        context["chart"] = timeline_svg(
            log, flagged=flagged, title=_("Bid timeline"),
            description=_("%(n)s bids by %(codes)s bidder codes; flagged codes drawn larger.")
            % {"n": len(log.bids), "codes": len(log.bidders)})
        if context["can_act"]:
            services.identities_viewed(actor=request.user, rnd=rnd)
            identities = {r.code: r for r in selectors.revealed_registrations(rnd)}
    context["revealed"] = bool(identities)
    context["scores"] = [(code, points, identities.get(code)) for code, points in
                         sorted(screening.bidder_scores.items(), key=lambda kv: (-kv[1], kv[0]))]
    return context


@staff_page
def screening_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One screened round: score, reasons, linked attributes, the bid timeline and the court's decisions."""
    rnd = _staff_round(request, pk)
    context = _screening_context(request, rnd)
    if request.method != "POST" or context["screening"] is None:
        return render(request, "bidding/screening_detail.html", context)
    form = context["form"] = ScreeningDecisionForm(request.POST)

    def run() -> tuple[str, str]:
        screening_services.screening_decide(actor=request.user, screening=context["screening"],
                                            decision=form.cleaned_data["decision"], note=form.cleaned_data["note"])
        return _("Decision recorded."), reverse("bidding:screening_detail", args=[rnd.pk])

    return _run(request, form, run, lambda status: render(request, "bidding/screening_detail.html", context,
                                                          status=status))


@staff_page
@require_POST
def screening_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _staff_round(request, pk)

    def run() -> None:
        check_court_staff(request.user, rnd.lot.case.court)
        screening_services.screening_run(rnd, actor=request.user)

    return _act(request, run, _("The round was screened again."), reverse("bidding:screening_detail", args=[rnd.pk]))


@staff_page
def round_bids_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """A finished round's bids in the `fapai` log format of `manage.py screen_bids` (codes only)."""
    rnd = _staff_round(request, pk)
    if rnd.status not in selectors.FINISHED:
        return _forbidden(request, _("The bid log is available once the round has finished."))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FAPAI_COLUMNS))
    writer.writeheader()
    writer.writerows(screening_selectors.round_bid_rows([rnd]))
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="round-{rnd.pk}-bids.csv"'
    return response


# --- bid receipts and their public verification ------------------------------------------------------------


@bidder_page
def receipt(request: HttpRequest, pk: int, seq: int) -> HttpResponse:
    """The bidder's receipt for one of his own bids (JSON download): the hashed fields and, once the
    round is sealed, the published root. Someone else's bid is 404."""
    reg = _my_registration(request, pk)
    bid = get_object_or_404(Bid, registration=reg, seq=seq)
    response = HttpResponse(orjson.dumps(selectors.receipt_of(bid), option=orjson.OPT_INDENT_2),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="fapai-bid-{bid.round_id}-{bid.seq}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


def _receipt_round(data: dict[str, Any], default: int) -> int | None:
    """The round a pasted receipt names (None when it is not a number: someone else's round)."""
    try:
        return int(data.get("round", default) or default)
    except (TypeError, ValueError):
        return None


def verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Public page: paste a bid receipt and see whether it is in the round's sealed record."""
    rnd = selectors.public_round(pk)
    if rnd is None:
        raise Http404
    result: dict[str, Any] | None = None
    text = request.POST.get("receipt", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            data = orjson.loads(text or "null")
        except orjson.JSONDecodeError:
            data = None
        if isinstance(data, dict) and _receipt_round(data, pk) != rnd.pk:
            ok, code, message = False, "other_round", _("This receipt belongs to another round.")
        else:
            ok, code, message = selectors.verify_receipt(data)
        result = {"ok": ok, "code": code, "message": message}
    return render(request, "bidding/verify.html", {"rnd": rnd, "seal": selectors.seal_of(rnd), "result": result,
                                                   "receipt": text}, status=200 if result is None or
                  result["ok"] else 422)


def confirmation_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The published sale confirmation (成交确认书) of a sold round (WP art.22)."""
    rnd = selectors.public_round(pk)
    note = selectors.confirmation_of(rnd) if rnd is not None else None
    if note is None:
        raise Http404
    response = HttpResponse(bytes(note.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="confirmation-{pk}.pdf"'
    return response
