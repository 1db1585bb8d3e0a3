"""The money API (/api/settlement/): the bidder's own deposits and balances, and the finance staff's
operations. Every view only translates I/O: it parses the input with a serializer, calls one
function of settlement.services (or reads through settlement.selectors) and renders the result.
RuleViolations come out of core.api.exception_handler as {"errors": [{"code", "message", "field"}]}
with status 400, or 403 when the actor may not act.

Bidder endpoints answer 404 for a deposit or balance that is not the caller's. Finance reads need a
staff role and see only the user's courts; finance writes need the finance role (and the services
check the court); a round's payment methods are set by court staff."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from auction.api import Pagination
from auction.models import AuctionRound, Case, Court, Party
from auction.serializers import ErrorResponseSerializer
from core.api import HasRole, IsCourtStaff, IsPanel, IsStaffReader, query_choice
from core.roles import Role
from settlement import reconciliation, selectors, services
from settlement import serializers as s
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

BIDDER = ["bidder"]
FINANCE = ["finance"]
ERROR = OpenApiResponse(ErrorResponseSerializer, description="The request was refused; nothing was changed.")
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


class IsFinance(HasRole):
    roles = (Role.FINANCE,)


class IsAuditor(HasRole):
    roles = (Role.FINANCE, Role.SUPERVISOR)


class ApiView(generics.GenericAPIView):
    parser_classes = [JSONParser]

    def parse(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(self, serializer_class: type[BaseSerializer], instance: Any, code: int = status.HTTP_200_OK,
               **kwargs: Any) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context(), **kwargs).data, status=code)


# --- the bidder's own --------------------------------------------------------------------------------------------


class BidderView(ApiView):
    permission_classes = [permissions.IsAuthenticated]

    def own_deposit(self, pk: int) -> Deposit:
        return get_object_or_404(Deposit.objects.select_related("round__lot__case__court"), pk=pk,
                                 owner_id=self.request.user.pk)

    def own_balance(self, pk: int) -> BalanceDue:
        return get_object_or_404(BalanceDue.objects.select_related("round__lot__case__court", "deposit"), pk=pk,
                                 owner_id=self.request.user.pk)


class DepositDetail(BidderView):
    """The caller's deposit: status, amounts and refunds."""

    @extend_schema(tags=BIDDER, responses={200: s.DepositSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.render(s.DepositSerializer, self.own_deposit(pk))


class DepositPayment(BidderView):
    """How to pay the caller's deposit: transfer instructions or the card payment's client secret.
    Idempotent: the same PaymentIntent is returned until it is cancelled."""

    @extend_schema(tags=BIDDER, request=s.ReturnUrlSerializer, responses={200: s.PaymentStartSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        start = services.deposit_payment_start(deposit=self.own_deposit(pk), actor=request.user,
                                               **self.parse(s.ReturnUrlSerializer))
        return self.render(s.PaymentStartSerializer, start)


class DepositRefresh(BidderView):
    """Ask the card processor about the payment now (as the webhook would) and return the deposit."""

    @extend_schema(tags=BIDDER, request=None, responses={200: s.DepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return self.render(s.DepositSerializer, services.deposit_refresh(deposit=self.own_deposit(pk),
                                                                         actor=request.user))


class DepositCancel(BidderView):
    """Cancel the caller's unpaid deposit (a card payment made meanwhile is held instead)."""

    @extend_schema(tags=BIDDER, request=None, responses={200: s.DepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return self.render(s.DepositSerializer, services.deposit_cancel(deposit=self.own_deposit(pk),
                                                                        actor=request.user))


class BalanceDetail(BidderView):
    """The caller's balance (尾款): amount, payments, due date, ready for the sale ruling."""

    @extend_schema(tags=BIDDER, responses={200: s.BalanceSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.render(s.BalanceSerializer, self.own_balance(pk))


class BalancePay(BidderView):
    """Pay (part of) the caller's balance through a gateway accepted for the round."""

    @extend_schema(tags=BIDDER, request=s.BalancePayInputSerializer, responses={200: s.PaymentStartSerializer,
                                                                                **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        start = services.balance_payment_start(balance=self.own_balance(pk), actor=request.user,
                                               **self.parse(s.BalancePayInputSerializer))
        return self.render(s.PaymentStartSerializer, start)


# --- finance ----------------------------------------------------------------------------------------------------


# Reads need a staff role and show only the user's courts; writes need the finance role and a
# membership of the object's court (checked again by the service). (A comment, not a docstring: the
# schema would repeat a docstring on every operation.)
class FinanceView(ApiView):
    pagination_class = Pagination

    def get_permissions(self) -> list[Any]:
        if self.request.method in permissions.SAFE_METHODS:
            return [IsStaffReader()]
        return [IsFinance()]

    def courts(self) -> QuerySet[Court]:
        return selectors.finance_courts(self.request.user)

    def deposit(self, pk: int) -> Deposit:
        return get_object_or_404(Deposit.objects.select_related("round__lot__case__court"), pk=pk,
                                 round__lot__case__court__in=self.courts())

    def round(self, pk: int) -> AuctionRound:
        rnd = selectors.visible_round(self.request.user, pk)
        if rnd is None:
            raise Http404
        return rnd

    def paginated(self, serializer_class: type[BaseSerializer], queryset: Any) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True,
                                                            context=self.get_serializer_context()).data)


class RoundDepositList(FinanceView):
    """The deposits of a round of the user's courts; the payer's name only after the round (WP art.18)."""

    @extend_schema(tags=FINANCE, responses={200: s.StaffDepositSerializer(many=True), **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.paginated(s.StaffDepositSerializer, selectors.round_deposits(self.round(pk))
                              .select_related("round"))


class RoundPaymentSettings(FinanceView):
    """The payment methods a round accepts; set by court staff of its court (WP art.6)."""

    def get_permissions(self) -> list[Any]:
        if self.request.method in permissions.SAFE_METHODS:
            return [IsStaffReader()]
        return [(IsCourtStaff | IsPanel)()]

    @extend_schema(tags=FINANCE, responses={200: s.PaymentSettingsSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return Response({"gateways": selectors.allowed_gateways(self.round(pk))})

    @extend_schema(tags=FINANCE, request=s.PaymentSettingsSerializer, responses={200: s.PaymentSettingsSerializer,
                                                                                 **ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        rnd = self.round(pk)
        services.round_payment_settings_set(rnd=rnd, gateways_=self.parse(s.PaymentSettingsSerializer)["gateways"],
                                            actor=request.user)
        return Response({"gateways": selectors.allowed_gateways(rnd)})


class DepositConfirmOffline(FinanceView):
    """Confirm that an offline deposit was received: it is held (WP arts.17, 18)."""

    @extend_schema(tags=FINANCE, request=None, responses={200: s.StaffDepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        deposit = services.deposit_confirm_offline(deposit=self.deposit(pk), actor=request.user)
        return self.render(s.StaffDepositSerializer, deposit)


class DepositRelease(FinanceView):
    """Release a held deposit after its round (WP art.23), e.g. to retry a refused refund."""

    @extend_schema(tags=FINANCE, request=None, responses={200: s.StaffDepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        deposit = services.deposit_release(deposit=self.deposit(pk), actor=request.user)
        return self.render(s.StaffDepositSerializer, deposit)


class DepositApply(FinanceView):
    """Move the winner's deposit to the case account (WP art.25), e.g. to retry a refused capture."""

    @extend_schema(tags=FINANCE, request=None, responses={200: s.StaffDepositSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        deposit = services.deposit_apply(deposit=self.deposit(pk), actor=request.user)
        return self.render(s.StaffDepositSerializer, deposit)


class StatementCreate(FinanceView):
    """Import a bank statement (CSV or CAMT.053) of a court's account; the same file again changes
    nothing and returns the first import."""

    parser_classes = [MultiPartParser]

    @extend_schema(tags=FINANCE, request={"multipart/form-data": s.StatementUploadSerializer},
                   responses={201: s.StatementSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = self.parse(s.StatementUploadSerializer)
        court = get_object_or_404(self.courts(), pk=data["court"])
        upload = data["file"]
        statement = services.statement_import(court=court, filename=upload.name, content=upload.read(),
                                              actor=request.user)
        return self.render(s.StatementSerializer, statement, status.HTTP_201_CREATED)


class StatementDetail(FinanceView):
    """An imported statement with its counts."""

    @extend_schema(tags=FINANCE, responses={200: s.StatementSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.render(s.StatementSerializer, get_object_or_404(BankStatement, pk=pk, court__in=self.courts()))


class ReceiptList(FinanceView):
    """Receipts of the user's courts; `status=queued` is the claim queue (认领)."""

    @extend_schema(tags=FINANCE, parameters=[OpenApiParameter("status", str, enum=Receipt.Status.values)],
                   responses={200: s.ReceiptSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        wanted = query_choice(request, "status", Receipt.Status.values)
        return self.paginated(s.ReceiptSerializer, selectors.receipts(
            request.user, wanted).select_related("deposit__round"))


class ReceiptAssign(FinanceView):
    """Assign a receipt from the claim queue to a deposit or balance, with a reason."""

    @extend_schema(tags=FINANCE, request=s.ReceiptAssignSerializer, responses={200: s.ReceiptSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        receipt = get_object_or_404(Receipt, pk=pk, court__in=self.courts())
        assigned = services.receipt_assign(receipt=receipt, actor=request.user, **self.parse(s.ReceiptAssignSerializer))
        return self.render(s.ReceiptSerializer, assigned)


class ReceiptReturn(FinanceView):
    """Return a receipt from the claim queue to its payer: a payout instruction."""

    @extend_schema(tags=FINANCE, request=s.ReceiptReturnSerializer, responses={200: s.PayoutSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        receipt = get_object_or_404(Receipt, pk=pk, court__in=self.courts())
        payout = services.receipt_return(receipt=receipt, actor=request.user, **self.parse(s.ReceiptReturnSerializer))
        return self.render(s.PayoutSerializer, payout)


class PayoutList(FinanceView):
    """Payout instructions still to be executed by finance staff."""

    @extend_schema(tags=FINANCE, responses={200: s.PayoutSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return self.paginated(s.PayoutSerializer, selectors.pending_payouts(request.user).select_related("deposit"))


class PayoutPaid(FinanceView):
    """Record that a payout instruction was executed, with the bank's reference."""

    @extend_schema(tags=FINANCE, request=s.PayoutPaidSerializer, responses={200: s.PayoutSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        payout = get_object_or_404(Payout, pk=pk, court__in=self.courts())
        paid = services.payout_mark_paid(payout=payout, actor=request.user, **self.parse(s.PayoutPaidSerializer))
        return self.render(s.PayoutSerializer, paid)


class AlertList(FinanceView):
    """Open alerts: deposits not settled within 24 hours (WP arts.23, 25), late payouts, overdue balances."""

    @extend_schema(tags=FINANCE, responses={200: s.AlertSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return self.paginated(s.AlertSerializer, selectors.open_alerts(request.user))


class CaseAccount(FinanceView):
    """The case account (一案一账号) and its earmarked forfeits, entry by entry."""

    @extend_schema(tags=FINANCE, responses={200: s.CaseAccountSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        case = selectors.visible_case(request.user, pk)
        if case is None:
            raise Http404
        statement = selectors.case_account_statement(case)
        data = {"case": case, "account_reference": virtual_account_number(case), "balance_fen": statement.balance_fen,
                "forfeit_fen": statement.forfeit_fen, "rows": statement.rows, "forfeit_rows": statement.forfeit_rows,
                "earmarks": case.forfeit_earmarks.select_related("deposit")}
        return self.render(s.CaseAccountSerializer, data)


class BalanceOffline(FinanceView):
    """Record a balance payment received offline, under the receipt voucher's number."""

    @extend_schema(tags=FINANCE, request=s.BalanceOfflineSerializer, responses={200: s.BalanceSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        balance = get_object_or_404(selectors.finance_balances(request.user), pk=pk)
        services.balance_confirm_offline(balance=balance, actor=request.user, **self.parse(s.BalanceOfflineSerializer))
        balance.refresh_from_db()
        return self.render(s.BalanceSerializer, balance)


class LedgerCheck(FinanceView):
    """The result of check_ledger: every transaction balanced, balances equal to their entries and
    to the deposit, receipt, payout and balance records."""

    def get_permissions(self) -> list[Any]:
        return [IsAuditor()]

    @extend_schema(tags=FINANCE, responses={200: s.LedgerCheckSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        result = selectors.check_ledger()
        return Response({"ok": result.ok, "transactions": result.transactions, "accounts": result.accounts,
                         "problems": result.problems})


# --- case funds: the distribution plan and case payouts ---------------------------------------------------------
# Reads need a staff role of the case's court; writes are open to staff and each service checks the
# precise role (court staff record and prepare, the approver approves, finance executes: three people).


class CaseFundsView(FinanceView):
    def get_permissions(self) -> list[Any]:
        return [IsStaffReader()]

    def case(self, pk: int) -> Case:
        case = selectors.visible_case(self.request.user, pk)
        if case is None:
            raise Http404
        return case

    def plan(self, pk: int) -> DistributionPlan:
        return get_object_or_404(DistributionPlan.objects.select_related("case__court"), pk=pk,
                                 case__court__in=self.courts())

    def objection(self, pk: int) -> PlanObjection:
        return get_object_or_404(PlanObjection.objects.select_related("plan__case__court"), pk=pk,
                                 plan__case__court__in=self.courts())

    def distribution(self, case: Case) -> Response:
        plan = selectors.latest_plan(case)
        data = {
            "funds": selectors.case_funds(case), "plan": plan,
            "lines": selectors.plan_lines(plan) if plan else [],
            "services": selectors.plan_services(plan) if plan else [],
            "objections": plan.objections.all() if plan else [], "costs": case.costs.order_by("id"),
            "stays": case.stays.order_by("first_day"), "payouts": case.case_payouts.select_related("case"),
            "delays": case.payout_delays.all()}
        return self.render(s.DistributionSerializer, data)


class CaseFundsList(CaseFundsView):
    """Case accounts of the caller's courts: balance, forfeits not yet distributed, paid out, payout due date."""

    @extend_schema(tags=FINANCE, responses={200: s.CaseFundsSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        return self.paginated(s.CaseFundsSerializer, selectors.finance_cases(request.user))


class CaseDistribution(CaseFundsView):
    """The case's funds, its current plan with each line's held, committed and payable amounts, service,
    objections, costs, stays, payouts and delays."""

    @extend_schema(tags=FINANCE, responses={200: s.DistributionSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.distribution(self.case(pk))


class CaseCostCreate(CaseFundsView):
    """Record an execution cost (court staff)."""

    @extend_schema(tags=FINANCE, request=s.CaseCostInSerializer, responses={201: s.CaseCostSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        cost = services.case_cost_add(case=self.case(pk), actor=request.user, **self.parse(s.CaseCostInSerializer))
        return self.render(s.CaseCostSerializer, cost, status.HTTP_201_CREATED)


class CaseStayCreate(CaseFundsView):
    """Record a stay of enforcement (late interest does not run during a stay the debtor did not ask for)."""

    @extend_schema(tags=FINANCE, request=s.CaseStayInSerializer, responses={201: s.CaseStaySerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        stay = services.case_stay_add(case=self.case(pk), actor=request.user, **self.parse(s.CaseStayInSerializer))
        return self.render(s.CaseStaySerializer, stay, status.HTTP_201_CREATED)


class PlanCreate(CaseFundsView):
    """Draw up a new version of the distribution plan (court staff)."""

    @extend_schema(tags=FINANCE, request=s.PlanBuildSerializer, responses={201: s.PlanSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        plan = services.plan_build(case=self.case(pk), actor=request.user, **self.parse(s.PlanBuildSerializer))
        return self.render(s.PlanSerializer, plan, status.HTTP_201_CREATED)


class PlanServe(CaseFundsView):
    """Record service of a draft plan on every creditor and the debtor; the 15-day objection windows start."""

    @extend_schema(tags=FINANCE, request=s.PlanServeSerializer, responses={200: s.PlanSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        plan = services.plan_serve(plan=self.plan(pk), actor=request.user, **self.parse(s.PlanServeSerializer))
        return self.render(s.PlanSerializer, plan)


class ObjectionCreate(CaseFundsView):
    """Record a written objection to a line of a served plan (within 15 days of service)."""

    @extend_schema(tags=FINANCE, request=s.ObjectionInSerializer, responses={201: s.ObjectionSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        plan = self.plan(pk)
        data = self.parse(s.ObjectionInSerializer)
        line = get_object_or_404(DistributionLine, plan=plan, pk=data.pop("line"))
        objector = get_object_or_404(Party, case=plan.case, pk=data.pop("objector"))
        objection = services.objection_file(plan=plan, line=line, objector=objector, actor=request.user, **data)
        return self.render(s.ObjectionSerializer, objection, status.HTTP_201_CREATED)


class ObjectionCounter(CaseFundsView):
    """Record a counter-objection (within 15 days); the objector then has 15 days to sue."""

    @extend_schema(tags=FINANCE, request=s.CounterInSerializer, responses={200: s.ObjectionSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        objection = self.objection(pk)
        data = self.parse(s.CounterInSerializer)
        party = get_object_or_404(Party, case=objection.plan.case, pk=data.pop("party"))
        done = services.objection_counter(objection=objection, party=party, actor=request.user, **data)
        return self.render(s.ObjectionSerializer, done)


class ObjectionSuit(CaseFundsView):
    """Record the objector's suit; the disputed amount stays held until the judgment."""

    @extend_schema(tags=FINANCE, request=s.SuitInSerializer, responses={200: s.ObjectionSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        done = services.objection_sue(objection=self.objection(pk), actor=request.user,
                                      **self.parse(s.SuitInSerializer))
        return self.render(s.ObjectionSerializer, done)


class ObjectionClose(CaseFundsView):
    """Close an objection by the judgment or the objector's withdrawal."""

    @extend_schema(tags=FINANCE, request=s.ObjectionCloseInSerializer,
                   responses={200: s.ObjectionSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        done = services.objection_close(objection=self.objection(pk), actor=request.user,
                                        **self.parse(s.ObjectionCloseInSerializer))
        return self.render(s.ObjectionSerializer, done)


class LinePayoutCreate(CaseFundsView):
    """Prepare a payout of a plan line (the enforcement officer)."""

    @extend_schema(tags=FINANCE, request=s.PayoutPrepareSerializer, responses={201: s.CasePayoutSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        line = get_object_or_404(DistributionLine.objects.select_related("plan__case__court"), pk=pk,
                                 plan__case__court__in=self.courts())
        payout = services.case_payout_prepare(line=line, actor=request.user, **self.parse(s.PayoutPrepareSerializer))
        return self.render(s.CasePayoutSerializer, payout, status.HTTP_201_CREATED)


class CasePayoutList(CaseFundsView):
    """Case payouts of the caller's courts, newest first; filter with ?status=."""

    @extend_schema(tags=FINANCE, parameters=[OpenApiParameter("status", str, enum=CasePayout.Status.values)],
                   responses={200: s.CasePayoutSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        wanted = query_choice(request, "status", CasePayout.Status.values)
        return self.paginated(s.CasePayoutSerializer, selectors.case_payouts(request.user, wanted).order_by("-id"))


class CasePayoutAction(CaseFundsView):
    def payout(self, pk: int) -> CasePayout:
        return get_object_or_404(CasePayout.objects.select_related("case__court", "line__plan"), pk=pk,
                                 case__court__in=self.courts())


class CasePayoutApprove(CasePayoutAction):
    """Approve a prepared payout (the approver; never the one who prepared it)."""

    @extend_schema(tags=FINANCE, request=None, responses={200: s.CasePayoutSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return self.render(s.CasePayoutSerializer, services.case_payout_approve(payout=self.payout(pk),
                                                                                actor=request.user))


class CasePayoutExecute(CasePayoutAction):
    """Record an approved payout as made, or paid into escrow (finance; neither preparer nor approver)."""

    @extend_schema(tags=FINANCE, request=s.CasePayoutExecuteSerializer, responses={200: s.CasePayoutSerializer,
                                                                                   **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        done = services.case_payout_execute(payout=self.payout(pk), actor=request.user,
                                            **self.parse(s.CasePayoutExecuteSerializer))
        return self.render(s.CasePayoutSerializer, done)


class CasePayoutCancel(CasePayoutAction):
    """Cancel a payout not yet made, with a reason."""

    @extend_schema(tags=FINANCE, request=s.ReasonSerializer, responses={200: s.CasePayoutSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        done = services.case_payout_cancel(payout=self.payout(pk), actor=request.user, **self.parse(s.ReasonSerializer))
        return self.render(s.CasePayoutSerializer, done)


class PayoutDelayCreate(CaseFundsView):
    """Ask to delay the payout of the case's funds for a listed reason."""

    @extend_schema(tags=FINANCE, request=s.PayoutDelayInSerializer, responses={201: s.PayoutDelaySerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        delay = services.payout_delay_request(case=self.case(pk), actor=request.user,
                                              **self.parse(s.PayoutDelayInSerializer))
        return self.render(s.PayoutDelaySerializer, delay, status.HTTP_201_CREATED)


class PayoutDelayDecide(CaseFundsView):
    """Approve or refuse a delay (the approver; not the one who asked)."""

    @extend_schema(tags=FINANCE, request=s.PayoutDelayDecideSerializer,
                   responses={200: s.PayoutDelaySerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        delay = get_object_or_404(PayoutDelay, pk=pk, case__court__in=self.courts())
        done = services.payout_delay_decide(delay=delay, actor=request.user,
                                            **self.parse(s.PayoutDelayDecideSerializer))
        return self.render(s.PayoutDelaySerializer, done)


class PayoutDelayEnd(CaseFundsView):
    """The reason for the delay has ended: the funds are due within 10 days."""

    @extend_schema(tags=FINANCE, request=s.PayoutDelayEndSerializer, responses={200: s.PayoutDelaySerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        delay = get_object_or_404(PayoutDelay, pk=pk, case__court__in=self.courts())
        done = services.payout_delay_end(delay=delay, actor=request.user, **self.parse(s.PayoutDelayEndSerializer))
        return self.render(s.PayoutDelaySerializer, done)



# --- reconciliation ---------------------------------------------------------------------------------------------


class ReconciliationExceptionList(FinanceView):
    """Differences between the ledger and the gateways; ?status=open (default), resolved or all."""

    @extend_schema(tags=FINANCE, parameters=[OpenApiParameter("status", str, enum=["open", "resolved", "all"])],
                   responses={200: s.ReconciliationExceptionSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        wanted = query_choice(request, "status", ["open", "resolved", "all"], default="open")
        return self.paginated(s.ReconciliationExceptionSerializer, selectors.reconciliation_exceptions(
            request.user, "" if wanted == "all" else wanted))


class ReconciliationExceptionResolve(FinanceView):
    """Resolve a difference with the reason found (finance staff)."""

    @extend_schema(tags=FINANCE, request=s.ReasonSerializer, responses={200: s.ReconciliationExceptionSerializer,
                                                                        **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        exc = get_object_or_404(selectors.reconciliation_exceptions(request.user, ""), pk=pk)
        done = reconciliation.exception_resolve(exception=exc, actor=request.user, **self.parse(s.ReasonSerializer))
        return self.render(s.ReconciliationExceptionSerializer, done)


class ReconciliationRunCreate(FinanceView):
    """Reconcile one gateway up to the end of a day now (finance staff); the clock does it daily."""

    @extend_schema(tags=FINANCE, request=s.ReconcileInSerializer, responses={201: s.ReconciliationRunSerializer,
                                                                             **ERRORS})
    def post(self, request: Request) -> Response:
        data = self.parse(s.ReconcileInSerializer)
        if data["gateway"] == "stripe":
            reconciliation.stripe_records_fetch()
        run = reconciliation.reconcile(gateway=data["gateway"], day=data["day"], actor=request.user)
        return self.render(s.ReconciliationRunSerializer, run, status.HTTP_201_CREATED)
