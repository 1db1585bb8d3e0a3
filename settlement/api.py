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
from auction.models import AuctionRound, Court
from auction.serializers import ErrorResponseSerializer
from core.api import HasRole, IsCourtStaff, IsPanel, IsStaffReader
from core.roles import Role
from settlement import selectors, services
from settlement import serializers as s
from settlement.ledger import virtual_account_number
from settlement.models import BalanceDue, BankStatement, Deposit, Payout, Receipt

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
        wanted = request.query_params.get("status", "")
        return self.paginated(s.ReceiptSerializer, selectors.receipts(
            request.user, wanted if wanted in Receipt.Status.values else "").select_related("deposit__round"))


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
