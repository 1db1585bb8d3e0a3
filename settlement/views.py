"""Finance pages (mounted at /finance/) and the bidders' payment pages. Views only translate I/O:
they parse a form, call one settlement.services function and redirect with a message, or re-render
with the service's errors on the form (nothing was written then).

Who sees what: the finance pages need a staff role and show only the user's courts (supervisors read
every court); finance staff act, court staff, panel judges and supervisors read (court staff also set
a round's payment methods, WP art.6), and the services check every action again. While a round has
not finished, its deposits show references, amounts and states only, never who opened them (WP
art.18). A bidder sees only their own deposits and balances; anyone else gets a 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from auction.staff_selectors import can_act
from core import clock
from core.charts import bar_chart
from core.errors import PermissionDenied
from core.forms import apply_rule_errors
from core.money import format_fen
from core.roles import Role, has_role, is_staff_member
from settlement import exports, gateways, reconciliation, selectors, services, statistics
from settlement.forms import (
    BalanceOfflineForm,
    BalancePayForm,
    CaseCostForm,
    CasePayoutExecuteForm,
    CaseStayForm,
    ClaimAssignForm,
    ClaimReturnForm,
    CounterForm,
    DelayEndForm,
    DelayForm,
    ObjectionCloseForm,
    ObjectionForm,
    PaymentSettingsForm,
    PayoutPaidForm,
    PayoutPrepareForm,
    PlanBuildForm,
    PlanServeForm,
    ReasonForm,
    ReconcileForm,
    StatementUploadForm,
    SueForm,
)
from settlement.gateways.base import PaymentStart
from settlement.ledger import virtual_account_number
from settlement.models import (
    BalanceDue,
    BankStatement,
    CasePayout,
    Deposit,
    DistributionLine,
    DistributionPlan,
    Payout,
    PayoutDelay,
    PlanObjection,
    Receipt,
)

View = Callable[..., HttpResponse]


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "auction/staff/forbidden.html", {"message": message}, status=403)


def finance_page(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return _forbidden(request, _("These pages are for finance, court and supervision staff."))
        return view(request, *args, **kwargs)

    return wrapper


def bidder_page(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _is_finance(request: HttpRequest) -> bool:
    return has_role(request.user, Role.FINANCE)


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("is_finance_actor", _is_finance(request))
    return render(request, f"settlement/{template}", context, status=status)


def _run(request: HttpRequest, form: forms.BaseForm, run: Callable[[], str], next_url: str,
         rerender: Callable[[int], HttpResponse]) -> HttpResponse:
    """Validate, call the service, redirect with its message; on an error re-render with it."""
    if not form.is_valid():
        return rerender(200)
    try:
        message = run()
    except ValidationError as exc:
        apply_rule_errors(form, exc, getattr(form, "FIELD_MAP", {}))
        return rerender(403 if isinstance(exc, PermissionDenied) else 200)
    messages.success(request, message)
    return redirect(next_url)


def _error_message(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


# --- dashboard ---------------------------------------------------------------------------------------------


@finance_page
def dashboard(request: HttpRequest) -> HttpResponse:
    cases = selectors.finance_cases(request.user)
    return _render(request, "dashboard.html", {
        "alerts": selectors.open_alerts(request.user)[:10],
        "alert_count": selectors.open_alerts(request.user).count(),
        "claim_count": selectors.claim_queue(request.user).count(),
        "payout_count": selectors.pending_payouts(request.user).count(),
        "rounds": selectors.finance_rounds(request.user)[:50],
        "statements": BankStatement.objects.filter(court__in=selectors.finance_courts(request.user))[:5],
        "open_balances": selectors.finance_balances(request.user).filter(status=BalanceDue.Status.OPEN).count(),
        "cases": cases, "overdue_cases": sum(1 for f in cases if f.overdue),
        "pending_approvals": selectors.case_payouts(request.user, CasePayout.Status.PREPARED).count(),
        "approved_payouts": selectors.case_payouts(request.user, CasePayout.Status.APPROVED).count(),
        "exception_count": selectors.reconciliation_exceptions(request.user).count(),
    })


# --- deposits by round ---------------------------------------------------------------------------------------


@finance_page
def round_deposits(request: HttpRequest, pk: int, settings_form: PaymentSettingsForm | None = None,
                   status: int = 200) -> HttpResponse:
    rnd = selectors.visible_round(request.user, pk)
    if rnd is None:
        raise Http404
    can_set = can_act(request.user, rnd.lot.case.court) and rnd.status not in services.FINISHED
    if settings_form is None and can_set:
        settings_form = PaymentSettingsForm(initial={"gateways": selectors.allowed_gateways(rnd)})
    return _render(request, "round_deposits.html", {
        "round": rnd, "deposits": selectors.round_deposits(rnd), "totals": selectors.round_totals(rnd),
        "identities": selectors.identities_visible(rnd), "allowed": selectors.allowed_gateways(rnd),
        "gateway_labels": {key: g.label for key, g in gateways.GATEWAYS.items()},
        "settings_form": settings_form if can_set else None, "balance": selectors.balance_status(rnd=rnd),
        "case_account_reference": virtual_account_number(rnd.lot.case),
    }, status)


@finance_page
@require_POST
def round_payment_settings(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = selectors.visible_round(request.user, pk)
    if rnd is None:
        raise Http404
    form = PaymentSettingsForm(request.POST)

    def run() -> str:
        services.round_payment_settings_set(rnd=rnd, gateways_=form.cleaned_data["gateways"], actor=request.user)
        return _("The payment methods were saved.")

    return _run(request, form, run, reverse("settlement:round_deposits", args=[pk]),
                lambda code: round_deposits(request, pk, settings_form=form, status=code))


DEPOSIT_ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "confirm": (services.deposit_confirm_offline, gettext_lazy("The receipt was confirmed and the deposit is held.")),
    "release": (services.deposit_release, gettext_lazy("The deposit was released.")),
    "apply": (services.deposit_apply, gettext_lazy("The deposit was moved to the case account.")),
}


@finance_page
@require_POST
def deposit_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    deposit = get_object_or_404(Deposit.objects.select_related("round__lot__case__court"), pk=pk,
                                round__lot__case__court__in=selectors.finance_courts(request.user))
    if action not in DEPOSIT_ACTIONS:
        raise Http404
    service, message = DEPOSIT_ACTIONS[action]
    try:
        service(deposit=deposit, actor=request.user)
    except PermissionDenied as exc:
        return _forbidden(request, _error_message(exc))
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(request, str(message))
    return redirect("settlement:round_deposits", deposit.round_id)


# --- receipts, statements and the claim queue ------------------------------------------------------------------


@finance_page
def receipts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Receipt.Status.values:
        status = ""
    rows = selectors.receipts(request.user, status).select_related("deposit__round", "balance")[:200]
    return _render(request, "receipts.html", {"receipts": _sealed(rows), "status": status,
                                              "statuses": Receipt.Status.choices})


def _sealed(rows: Any) -> list[dict[str, Any]]:
    return [{"receipt": r, "sealed": selectors.payer_sealed(r)} for r in rows]


@finance_page
def statement_import(request: HttpRequest) -> HttpResponse:
    courts = selectors.finance_courts(request.user)
    if not _is_finance(request):
        return _forbidden(request, _("Only finance staff import bank statements."))
    if request.method != "POST":
        return _render(request, "statement_form.html", {"form": StatementUploadForm(courts=courts)})
    form = StatementUploadForm(request.POST, request.FILES, courts=courts)
    if not form.is_valid():
        return _render(request, "statement_form.html", {"form": form})
    upload = form.cleaned_data["file"]
    try:
        statement = services.statement_import(court=form.cleaned_data["court"], filename=upload.name,
                                              content=upload.read(), actor=request.user)
    except ValidationError as exc:
        apply_rule_errors(form, exc)
        return _render(request, "statement_form.html", {"form": form},
                       403 if isinstance(exc, PermissionDenied) else 200)
    messages.success(request, _("%(file)s: %(matched)s matched, %(queued)s to the claim queue, %(duplicates)s "
                                "already imported.") % {"file": statement.filename, "matched": statement.matched_count,
                                                       "queued": statement.queued_count,
                                                       "duplicates": statement.duplicate_count})
    return redirect("settlement:statement_detail", statement.pk)


@finance_page
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement, pk=pk, court__in=selectors.finance_courts(request.user))
    rows = statement.receipts.select_related("deposit__round", "balance").order_by("received_at", "id")
    return _render(request, "statement_detail.html", {"statement": statement, "receipts": _sealed(rows)})


@finance_page
def claims(request: HttpRequest, forms_by_pk: dict[int, dict[str, forms.Form]] | None = None,
           status: int = 200) -> HttpResponse:
    queue = list(selectors.claim_queue(request.user))
    forms_by_pk = forms_by_pk or {}
    rows = [(r, forms_by_pk.get(r.pk, {}).get("assign") or ClaimAssignForm(prefix=f"a{r.pk}"),
             forms_by_pk.get(r.pk, {}).get("return") or ClaimReturnForm(prefix=f"r{r.pk}")) for r in queue]
    return _render(request, "claims.html", {"rows": rows}, status)


@finance_page
@require_POST
def claim_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    receipt = get_object_or_404(Receipt, pk=pk, court__in=selectors.finance_courts(request.user))
    if action == "assign":
        form: forms.Form = ClaimAssignForm(request.POST, prefix=f"a{pk}")

        def run() -> str:
            services.receipt_assign(receipt=receipt, reference=form.cleaned_data["reference"],
                                    reason=form.cleaned_data["reason"], actor=request.user)
            return _("The receipt was assigned.")
    elif action == "return":
        form = ClaimReturnForm(request.POST, prefix=f"r{pk}")

        def run() -> str:
            services.receipt_return(receipt=receipt, reason=form.cleaned_data["reason"],
                                    payee_account=form.cleaned_data["payee_account"], actor=request.user)
            return _("A payout instruction returns the money to the payer.")
    else:
        raise Http404
    return _run(request, form, run, reverse("settlement:claims"),
                lambda code: claims(request, {pk: {action: form}}, code))


# --- payouts, alerts, case accounts ----------------------------------------------------------------------------


@finance_page
def payouts(request: HttpRequest, failed: tuple[int, PayoutPaidForm] | None = None, status: int = 200) -> HttpResponse:
    rows = [(p, failed[1] if failed and failed[0] == p.pk else PayoutPaidForm(prefix=f"p{p.pk}"))
            for p in selectors.pending_payouts(request.user).select_related("deposit", "receipt")]
    return _render(request, "payouts.html", {"rows": rows}, status)


@finance_page
@require_POST
def payout_paid(request: HttpRequest, pk: int) -> HttpResponse:
    payout = get_object_or_404(Payout, pk=pk, court__in=selectors.finance_courts(request.user))
    form = PayoutPaidForm(request.POST, prefix=f"p{pk}")

    def run() -> str:
        services.payout_mark_paid(payout=payout, bank_reference=form.cleaned_data["bank_reference"],
                                  actor=request.user)
        return _("The payout of %(amount)s to %(payee)s was recorded as paid.") % {
            "amount": format_fen(payout.amount_fen), "payee": payout.payee_name}

    return _run(request, form, run, reverse("settlement:payouts"),
                lambda code: payouts(request, (pk, form), code))


@finance_page
def alerts(request: HttpRequest) -> HttpResponse:
    return _render(request, "alerts.html", {"alerts": selectors.open_alerts(request.user)})


@finance_page
def case_account(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404
    return _render(request, "case_account.html", {
        "statement": selectors.case_account_statement(case),
        "account_reference": virtual_account_number(case),
        "earmarks": case.forfeit_earmarks.select_related("deposit"),
    })


# --- balances -------------------------------------------------------------------------------------------------


@finance_page
def balances(request: HttpRequest) -> HttpResponse:
    return _render(request, "balances.html", {"balances": selectors.finance_balances(request.user)})


@finance_page
def balance_detail(request: HttpRequest, pk: int, form: BalanceOfflineForm | None = None,
                   status: int = 200) -> HttpResponse:
    balance = get_object_or_404(selectors.finance_balances(request.user), pk=pk)
    return _render(request, "balance_detail.html", {
        "balance": balance, "status": selectors.balance_status(balance=balance),
        "payments": balance.payments.select_related("receipt"), "reminders": balance.reminders.all(),
        "form": form or BalanceOfflineForm(),
    }, status)


@finance_page
@require_POST
def balance_offline(request: HttpRequest, pk: int) -> HttpResponse:
    balance = get_object_or_404(selectors.finance_balances(request.user), pk=pk)
    form = BalanceOfflineForm(request.POST)

    def run() -> str:
        services.balance_confirm_offline(balance=balance, amount_fen=form.cleaned_data["amount_fen"],
                                         voucher=form.cleaned_data["voucher"], actor=request.user)
        return _("The payment was recorded.")

    return _run(request, form, run, reverse("settlement:balance_detail", args=[pk]),
                lambda code: balance_detail(request, pk, form, code))


# --- the bidder's pages -----------------------------------------------------------------------------------------


def _own_deposit(request: HttpRequest, pk: int) -> Deposit:
    return get_object_or_404(Deposit.objects.select_related("round__lot__case__court"), pk=pk,
                             owner_id=request.user.pk)


@bidder_page
def deposit_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """The bidder's deposit: how to pay it while it is awaited (instructions, or the card form),
    its status, and the refund once released."""
    deposit = _own_deposit(request, pk)
    start: PaymentStart | None = None
    error = ""
    if deposit.status == Deposit.Status.PENDING:
        try:
            start = services.deposit_payment_start(deposit=deposit, actor=request.user,
                                                   return_url=request.build_absolute_uri())
        except ValidationError as exc:
            error = _error_message(exc)
    return render(request, "settlement/bidder/deposit.html", {
        "deposit": deposit, "start": start, "error": error, "payouts": deposit.payouts.all(),
        "balance": BalanceDue.objects.filter(deposit=deposit).first(),
    })


@bidder_page
@require_POST
def deposit_bidder_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    deposit = _own_deposit(request, pk)
    try:
        if action == "refresh":
            deposit = services.deposit_refresh(deposit=deposit, actor=request.user)
            messages.info(request, _("Status: %(status)s.") % {"status": deposit.get_status_display()})
        elif action == "cancel":
            deposit = services.deposit_cancel(deposit=deposit, actor=request.user)
            messages.info(request, _("Status: %(status)s.") % {"status": deposit.get_status_display()})
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    return redirect("settlement:deposit_pay", pk)


@bidder_page
def balance_pay(request: HttpRequest, pk: int) -> HttpResponse:
    balance = get_object_or_404(BalanceDue.objects.select_related("round__lot__case__court", "deposit"), pk=pk,
                                owner_id=request.user.pk)
    for pending in balance.payments.filter(status="pending", gateway="stripe").exclude(gateway_ref=""):
        try:  # a card payment made on this page but not yet reported by the webhook
            services.balance_payment_refresh(payment=pending, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
    balance.refresh_from_db()
    allowed = selectors.allowed_gateways(balance.round)
    start: PaymentStart | None = None
    form = BalancePayForm(request.POST or None, allowed=allowed,
                          initial={"gateway": allowed[0] if allowed else "", "amount_fen": balance.outstanding_fen})
    if request.method == "POST" and form.is_valid():
        try:
            start = services.balance_payment_start(
                balance=balance, gateway=form.cleaned_data["gateway"], amount_fen=form.cleaned_data["amount_fen"],
                actor=request.user, return_url=request.build_absolute_uri())
        except ValidationError as exc:
            apply_rule_errors(form, exc)
    return render(request, "settlement/bidder/balance.html", {
        "balance": balance, "status": selectors.balance_status(balance=balance), "form": form, "start": start,
        "payments": balance.payments.exclude(status="pending"), "reminders": balance.reminders.all(),
    })



# --- case funds: the distribution plan and case payouts -----------------------------------------------------


def _case_or_404(request: HttpRequest, pk: int) -> Any:
    case = selectors.visible_case(request.user, pk)
    if case is None:
        raise Http404
    return case


def _plan_of(case: Any, pk: Any) -> DistributionPlan:
    return get_object_or_404(DistributionPlan, case=case, pk=pk)


def _objection_of(case: Any, pk: Any) -> PlanObjection:
    return get_object_or_404(PlanObjection.objects.select_related("plan"), plan__case=case, pk=pk)


def _case_page(request: HttpRequest, case: Any, bound: dict[str, forms.BaseForm] | None = None,
               status: int = 200) -> HttpResponse:
    funds = selectors.case_funds(case)
    plan = funds.plan
    bound = bound or {}
    today = clock.today()
    plan_forms: dict[str, forms.BaseForm] = {}
    if plan is not None:
        plan_forms = {
            "objection": bound.get("objection") or ObjectionForm(plan=plan, initial={"filed_on": today},
                                                                 auto_id="objection_%s"),
            "counter": bound.get("counter") or CounterForm(plan=plan, initial={"countered_on": today},
                                                           auto_id="counter_%s"),
            "serve": bound.get("serve") or PlanServeForm(initial={"plan": plan.pk, "served_on": today},
                                                         auto_id="serve_%s"),
        }
    return _render(request, "distribution.html", {
        "case": case, "funds": funds, "plan": plan,
        "lines": selectors.plan_lines(plan) if plan else [],
        "windows_closed": selectors.objection_windows_closed(plan) if plan else False,
        "deadline": selectors.objection_deadline(plan) if plan else None,
        "plan_services": selectors.plan_services(plan) if plan else [],
        "objections": plan.objections.select_related("objector", "counter_party", "line") if plan else [],
        "versions": case.distribution_plans.order_by("-version"),
        "costs": case.costs.order_by("id"), "stays": case.stays.order_by("first_day"),
        "claims": case.claims.select_related("creditor", "secured_lot").order_by("id"),
        "payouts": case.case_payouts.select_related("prepared_by", "approved_by", "executed_by").order_by("-id"),
        "delays": case.payout_delays.select_related("requested_by", "decided_by"),
        "account_reference": virtual_account_number(case),
        "can_prepare": has_role(request.user, Role.COURT_STAFF) and can_act(request.user, case.court),
        "can_manage": can_act(request.user, case.court),
        "is_approver": has_role(request.user, Role.APPROVER),
        "cost_form": bound.get("cost") or CaseCostForm(auto_id="cost_%s"),
        "stay_form": bound.get("stay") or CaseStayForm(auto_id="stay_%s"),
        "build_form": bound.get("build") or PlanBuildForm(auto_id="build_%s"),
        "prepare_form": bound.get("prepare") or PayoutPrepareForm(auto_id="prepare_%s"),
        "delay_form": bound.get("delay") or DelayForm(auto_id="delay_%s"),
        "sue_form": bound.get("sue") or SueForm(initial={"sued_on": today}, auto_id="sue_%s"),
        "close_form": bound.get("close") or ObjectionCloseForm(auto_id="close_%s"),
        "execute_form": bound.get("execute") or CasePayoutExecuteForm(auto_id="execute_%s"),
        "reason_form": bound.get("cancel") or ReasonForm(auto_id="cancel_%s"),
        "delay_end_form": bound.get("end") or DelayEndForm(initial={"ended_on": today}, auto_id="end_%s"),
        "failed": next(iter(bound), ""), **plan_forms,
    }, status)


def _case_action(request: HttpRequest, case: Any, name: str, form: forms.BaseForm,
                 run: Callable[[dict[str, Any]], str]) -> HttpResponse:
    """Validate the action's form, call its service, redirect back with the service's message; on an
    error re-render the page with that form bound (nothing was written)."""
    url = reverse("settlement:case_distribution", args=[case.pk])
    if form.is_valid():
        try:
            messages.success(request, run(form.cleaned_data))
            return redirect(url)
        except ValidationError as exc:
            apply_rule_errors(form, exc, getattr(form, "FIELD_MAP", {}))
            return _case_page(request, case, {name: form}, 403 if isinstance(exc, PermissionDenied) else 200)
    return _case_page(request, case, {name: form})


@finance_page
def case_distribution(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _case_or_404(request, pk))


@finance_page
@require_POST
def case_distribution_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case_or_404(request, pk)
    user, data = request.user, request.POST
    plan = selectors.latest_plan(case)

    def cost(cd: dict[str, Any]) -> str:
        services.case_cost_add(case=case, actor=user, **cd)
        return _("The cost is recorded.")

    def stay(cd: dict[str, Any]) -> str:
        services.case_stay_add(case=case, actor=user, **cd)
        return _("The stay is recorded.")

    def build(cd: dict[str, Any]) -> str:
        new = services.plan_build(case=case, actor=user, **cd)
        return _("Version %(version)s of the plan is drawn up.") % {"version": new.version}

    def serve(cd: dict[str, Any]) -> str:
        services.plan_serve(plan=_plan_of(case, cd["plan"]), served_on=cd["served_on"], actor=user)
        return _("The plan is served; objections are open for 15 days.")

    def objection(cd: dict[str, Any]) -> str:
        assert plan is not None
        services.objection_file(plan=plan, actor=user, **cd)
        return _("The objection is recorded; the disputed amount is held back.")

    def counter(cd: dict[str, Any]) -> str:
        services.objection_counter(objection=_objection_of(case, cd.pop("objection")), actor=user, **cd)
        return _("The counter-objection is recorded; the objector has 15 days to sue.")

    def sue(cd: dict[str, Any]) -> str:
        services.objection_sue(objection=_objection_of(case, cd.pop("objection")), actor=user, **cd)
        return _("The suit is recorded; the disputed amount stays held.")

    def close(cd: dict[str, Any]) -> str:
        services.objection_close(objection=_objection_of(case, cd.pop("objection")), actor=user, **cd)
        return _("The objection is closed.")

    def prepare(cd: dict[str, Any]) -> str:
        line = get_object_or_404(DistributionLine, plan__case=case, pk=cd.pop("line"))
        payout = services.case_payout_prepare(line=line, actor=user, **cd)
        return _("Payout %(reference)s is prepared and awaits approval.") % {"reference": payout.reference}

    def delay(cd: dict[str, Any]) -> str:
        services.payout_delay_request(case=case, actor=user, **cd)
        return _("The delay is requested and awaits approval.")

    actions: dict[str, tuple[Callable[..., forms.BaseForm], Callable[[dict[str, Any]], str]]] = {
        "cost": (CaseCostForm, cost), "stay": (CaseStayForm, stay), "build": (PlanBuildForm, build),
        "serve": (PlanServeForm, serve), "objection": (lambda d, **kw: ObjectionForm(d, plan=plan, **kw), objection),
        "counter": (lambda d, **kw: CounterForm(d, plan=plan, **kw), counter), "sue": (SueForm, sue),
        "close": (ObjectionCloseForm, close), "prepare": (PayoutPrepareForm, prepare), "delay": (DelayForm, delay),
    }
    if action not in actions:
        raise Http404
    form_class, run = actions[action]
    return _case_action(request, case, action, form_class(data, auto_id=f"{action}_%s"), run)


@finance_page
@require_POST
def case_payout_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    payout = get_object_or_404(CasePayout.objects.select_related("case__court"), pk=pk,
                               case__court__in=selectors.finance_courts(request.user))
    user = request.user

    def approve(cd: dict[str, Any]) -> str:
        services.case_payout_approve(payout=payout, actor=user)
        return _("The payout is approved.")

    def execute(cd: dict[str, Any]) -> str:
        services.case_payout_execute(payout=payout, actor=user, **cd)
        return _("The payout is recorded as made.")

    def cancel(cd: dict[str, Any]) -> str:
        services.case_payout_cancel(payout=payout, actor=user, **cd)
        return _("The payout is cancelled.")

    actions: dict[str, tuple[type[forms.Form], Callable[[dict[str, Any]], str]]] = {
        "approve": (forms.Form, approve), "execute": (CasePayoutExecuteForm, execute), "cancel": (ReasonForm, cancel)}
    if action not in actions:
        raise Http404
    form_class, run = actions[action]
    return _case_action(request, payout.case, action, form_class(request.POST, auto_id=f"{action}_%s"), run)


@finance_page
@require_POST
def payout_delay_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    delay = get_object_or_404(PayoutDelay.objects.select_related("case__court"), pk=pk,
                              case__court__in=selectors.finance_courts(request.user))
    user = request.user

    def decide(cd: dict[str, Any]) -> str:
        services.payout_delay_decide(delay=delay, approve=action == "approve", actor=user)
        return _("The decision is recorded.")

    def end(cd: dict[str, Any]) -> str:
        services.payout_delay_end(delay=delay, actor=user, **cd)
        return _("The delay has ended; the funds are due within 10 days.")

    actions: dict[str, tuple[type[forms.Form], Callable[[dict[str, Any]], str]]] = {
        "approve": (forms.Form, decide), "refuse": (forms.Form, decide), "end": (DelayEndForm, end)}
    if action not in actions:
        raise Http404
    form_class, run = actions[action]
    return _case_action(request, delay.case, action, form_class(request.POST, auto_id=f"{action}_%s"), run)


@finance_page
def plan_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The distribution statement (PDF) of one plan version: the served document as it was served, a
    draft as it stands now."""
    plan = get_object_or_404(DistributionPlan.objects.select_related("case__court"), pk=pk,
                             case__court__in=selectors.finance_courts(request.user))
    pdf = bytes(plan.statement_pdf) if plan.statement_pdf else exports.plan_statement_pdf(plan)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"distribution-{plan.case.number}-v{plan.version}.pdf"
    response["Content-Disposition"] = exports.content_disposition(name)
    return response


@finance_page
def case_account_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The case account statement as CSV, XLSX or PDF."""
    case = _case_or_404(request, pk)
    statement = selectors.case_account_statement(case)
    language = get_language() or "zh-hans"
    renderers = {"csv": (exports.case_statement_csv, "text/csv; charset=utf-8"),
                 "xlsx": (exports.case_statement_xlsx,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                 "pdf": (exports.case_statement_pdf, "application/pdf")}
    if fmt not in renderers:
        raise Http404
    render_, content_type = renderers[fmt]
    response = HttpResponse(render_(statement, language), content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(f"case-account-{case.number}.{fmt}")
    return response


@finance_page
def case_payouts(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in CasePayout.Status.values:
        status = ""
    return _render(request, "case_payouts.html", {
        "payouts": selectors.case_payouts(request.user, status).order_by("-id")[:200], "status": status,
        "statuses": CasePayout.Status.choices, "cases": selectors.finance_cases(request.user)})


@finance_page
def finance_export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    """The dashboard's tables for an accountant: case balances and case payouts, CSV or XLSX."""
    tables = {"cases": selectors.case_funds_rows, "case-payouts": selectors.case_payout_rows}
    if what not in tables or fmt not in ("csv", "xlsx"):
        raise Http404
    title, headers, rows = tables[what](request.user)
    table = exports.Table(title=title, headers=headers, rows=rows)
    if fmt == "csv":
        response = HttpResponse(exports.table_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.table_xlsx(table),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = exports.content_disposition(f"{what}-{clock.today().isoformat()}.{fmt}")
    return response


# --- reconciliation -----------------------------------------------------------------------------------------


@finance_page
def reconciliation_page(request: HttpRequest, run_form: ReconcileForm | None = None, status: int = 200,
                        failed: tuple[int, ReasonForm] | None = None) -> HttpResponse:
    shown = request.GET.get("status", "open")
    if shown not in ("open", "resolved", ""):
        shown = "open"
    exceptions = selectors.reconciliation_exceptions(request.user, shown)[:300]
    rows = [(e, failed[1] if failed and failed[0] == e.pk else ReasonForm(auto_id=f"resolve{e.pk}_%s"))
            for e in exceptions]
    return _render(request, "reconciliation.html", {
        "rows": rows, "shown": shown, "runs": selectors.reconciliation_runs()[:10],
        "run_form": run_form or ReconcileForm(initial={"day": clock.today() - timedelta(days=1)}),
    }, status)


@finance_page
@require_POST
def reconciliation_run(request: HttpRequest) -> HttpResponse:
    form = ReconcileForm(request.POST)
    if not has_role(request.user, Role.FINANCE):
        return _forbidden(request, _("Only finance staff may do this."))
    if not form.is_valid():
        return reconciliation_page(request, run_form=form)
    gateway, day = form.cleaned_data["gateway"], form.cleaned_data["day"]
    try:
        if gateway == "stripe":
            reconciliation.stripe_records_fetch()
        run = reconciliation.reconcile(gateway=gateway, day=day, actor=request.user)
    except ValidationError as exc:
        apply_rule_errors(form, exc, {})
        return reconciliation_page(request, run_form=form)
    messages.success(request, _("%(matched)s matched, %(exceptions)s differences.") % {
        "matched": run.matched_count, "exceptions": run.exception_count})
    return redirect("settlement:reconciliation")


@finance_page
@require_POST
def reconciliation_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    exc = get_object_or_404(selectors.reconciliation_exceptions(request.user, ""), pk=pk)
    form = ReasonForm(request.POST, auto_id=f"resolve{pk}_%s")
    if form.is_valid():
        try:
            reconciliation.exception_resolve(exception=exc, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as err:
            apply_rule_errors(form, err, {})
            return reconciliation_page(request, failed=(pk, form),
                                       status=403 if isinstance(err, PermissionDenied) else 200)
        messages.success(request, _("The difference is resolved."))
        return redirect("settlement:reconciliation")
    return reconciliation_page(request, failed=(pk, form))


# --- public oversight statistics (阳光司法) -------------------------------------------------------------------


def public_statistics(request: HttpRequest) -> HttpResponse:
    """Public: sale rate, price / reference, registrants, rounds to sale, seizure to cash, defaults."""
    stats = statistics.oversight()
    charts = {
        "sale_rate": bar_chart(_("Sale rate by asset type"),
                               [(r["label"], r["sale_rate"]) for r in stats["by_asset_type"]], chart_id="sale-rate"),
        "ratio": bar_chart(_("Sale price / reference price by court (median)"),
                           [(r["court"], r["median_price_to_reference"]) for r in stats["by_court"]], maximum=1.5,
                           chart_id="ratio"),
    }
    def values(row: dict[str, Any]) -> list[Any]:
        return [f"{row[c]:.1%}" if c in statistics.PERCENT and row[c] is not None else row[c]
                for c in statistics.COLUMNS]

    tables = [
        (_("All rounds"), _("Scope"), [(_("All courts and asset types"), values(stats["overall"]))]),
        (_("By court"), _("Court"), [(r["court"], values(r)) for r in stats["by_court"]]),
        (_("By asset type"), _("Asset type"), [(r["label"], values(r)) for r in stats["by_asset_type"]]),
    ]
    return render(request, "settlement/statistics.html", {"charts": charts, "tables": tables,
                                                          "labels": statistics.column_labels()})


def public_statistics_csv(request: HttpRequest) -> HttpResponse:
    stats = statistics.oversight()
    headers = [str(_("Group")), str(_("Name")), *statistics.column_labels()]
    table = exports.Table(str(_("Oversight statistics")), headers, statistics.csv_rows(stats))
    response = HttpResponse(exports.table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = exports.content_disposition("fapai-statistics.csv")
    return response
