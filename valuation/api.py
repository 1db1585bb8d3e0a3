"""The valuation API (mounted at /api/valuation/): the same operations as the staff pages.

Every view only translates I/O: it parses the input with a serializer, calls exactly one function of
valuation.services (or reads through valuation.selectors) and answers with the whole valuation. The
services check the rules and the court; their RuleViolations come out of core.api.exception_handler
as {"errors": [{"code", "message", "field"}]} with status 400 (403 for PermissionDenied). Reading
needs a staff role and one of the user's courts (another court's valuation: 403)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from auction.api import Pagination
from auction.models import Lot
from auction.selectors import courts_of
from auction.serializers import ErrorResponseSerializer
from core import clock
from core.api import IsCourtStaff, IsPanel, IsStaffReader, query_choice, query_id
from core.errors import PermissionDenied, RuleViolation
from valuation import selectors, services
from valuation import serializers as s
from valuation.models import AppraisalSelection, Objection, Report, Valuation

TAGS = ["valuation"]
ERROR = OpenApiResponse(ErrorResponseSerializer, description="The request was refused; nothing was changed.")
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


def _check_court(user: Any, lot: Lot) -> None:
    if not courts_of(user).filter(pk=lot.case.court_id).exists():
        raise PermissionDenied(_("You do not act for %(court)s."), code="wrong_court",
                               params={"court": lot.case.court.display_name})


# Reads need a staff role of the object's court (supervisors: every court); writes need court staff,
# and the service checks the court. (A comment, not a docstring: the schema would repeat it.)
class ValuationView(generics.GenericAPIView):
    parser_classes = [JSONParser]
    pagination_class = Pagination

    def get_permissions(self) -> list[Any]:
        if self.request.method in permissions.SAFE_METHODS:
            return [IsStaffReader()]
        return [(IsCourtStaff | IsPanel)()]

    def valuation(self, pk: int) -> Valuation:
        valuation = get_object_or_404(Valuation.objects.select_related("lot__case__court"), pk=pk)
        _check_court(self.request.user, valuation.lot)
        return valuation

    def parse(self, serializer_class: type[BaseSerializer], data: Any = None) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def answer(self, valuation: Valuation, code: int = status.HTTP_200_OK) -> Response:
        valuation = Valuation.objects.select_related("lot__case__court").get(pk=valuation.pk)
        today = clock.today()
        context = {"request": self.request, "today": today, "inquiry": selectors.inquiry_outcome(valuation, today),
                   "estimate": selectors.lot_estimate(valuation.lot, today)}
        return Response(s.ValuationSerializer(valuation, context=context).data, status=code)


class ValuationList(ValuationView):
    """The valuations of the user's courts, newest first; filter by lot or status."""

    @extend_schema(tags=TAGS, parameters=[
        OpenApiParameter("lot", int, description="Only this lot's valuations."),
        OpenApiParameter("status", str, enum=Valuation.Status.values)],
        responses={200: s.ValuationBriefSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        qs: QuerySet[Valuation] = selectors.visible_valuations(request.user).order_by("-opened_on", "-pk")
        lot, wanted = query_id(request, "lot"), query_choice(request, "status", Valuation.Status.values)
        if lot is not None:
            qs = qs.filter(lot__pk=lot)
        if wanted:
            qs = qs.filter(status=wanted)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.ValuationBriefSerializer(page, many=True).data)


class LotValuationOpen(ValuationView):
    """Open the reference-price procedure for a lot (RP art.1: within 30 days of seizure)."""

    @extend_schema(tags=TAGS, request=s.ValuationOpenInputSerializer, responses={201: s.ValuationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case__court"), pk=pk)
        valuation = services.valuation_open(actor=request.user, lot=lot, **self.parse(s.ValuationOpenInputSerializer))
        return self.answer(valuation, status.HTTP_201_CREATED)


class LotEstimate(ValuationView):
    """The comparable-sales check for a lot as of today: an estimate, an 80% interval and the
    comparables used, or why there is none. Never a legal result."""

    @extend_schema(tags=TAGS, responses={200: s.ValuationEstimateSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.select_related("case__court"), pk=pk)
        _check_court(request.user, lot)
        estimate = selectors.lot_estimate(lot, clock.today())
        if estimate is None:
            raise RuleViolation(_("No comparable-sales estimator is configured."), code="no_estimator")
        return Response(s.ValuationEstimateSerializer(estimate).data)


class ValuationDetail(ValuationView):
    """A valuation with its steps, reports, deliveries, objections, agencies, deadlines and the
    comparable-sales check."""

    @extend_schema(tags=TAGS, responses={200: s.ValuationSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.answer(self.valuation(pk))


class LotteryVerify(ValuationView):
    """Re-run a recorded appraisal lottery from its seed and candidate list (rules.lottery_draw)."""

    @extend_schema(tags=TAGS, responses={200: s.ValuationLotteryCheckSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        selection = get_object_or_404(AppraisalSelection.objects.select_related("valuation__lot__case__court"),
                                      pk=pk, mode=AppraisalSelection.Mode.LOTTERY)
        _check_court(request.user, selection.valuation.lot)
        record = selectors.lottery_record(selection)
        return Response(s.ValuationLotteryCheckSerializer({
            "selection": selection.pk, "algorithm": selection.algorithm, "seed": selection.seed,
            "candidates": record.candidate_ids, "recorded": record.check.recorded, "drawn": record.check.drawn,
            "verified": record.check.verified}).data)


# --- actions --------------------------------------------------------------------------------------------

Call = Callable[[Any, Valuation, dict[str, Any]], Any]


def _belongs(obj: Report | Objection, valuation: Valuation, field: str) -> None:
    if obj.valuation_id != valuation.pk:
        raise RuleViolation(_("It belongs to another valuation."), code=f"bad_{field}", field=field)


def _action(name: str, doc: str, serializer: type[BaseSerializer] | None, call: Call,
            multipart: bool = False) -> type[ValuationView]:
    """One POST operation on a valuation: parse, call the service, answer with the valuation."""

    @extend_schema(tags=TAGS, request=serializer, responses={200: s.ValuationSerializer, **ERRORS},
                   operation_id=f"valuation_{name}", description=doc)
    def post(self: ValuationView, request: Request, pk: int) -> Response:
        valuation = self.valuation(pk)
        values = self.parse(serializer) if serializer is not None else {}
        result = call(request.user, valuation, values)
        # A reissue answers with the new valuation; every other action with the one it changed.
        return self.answer(result if isinstance(result, Valuation) and result.pk != valuation.pk else valuation)

    attrs: dict[str, Any] = {"post": post, "__doc__": doc}
    if multipart:
        attrs["parser_classes"] = [JSONParser, MultiPartParser]
    return type(f"Valuation_{name}", (ValuationView,), attrs)


def _inquiry_result(user: Any, v: Valuation, values: dict[str, Any]) -> None:
    report = values.pop("report")
    _belongs(report, v, "report")
    services.online_inquiry_record(actor=user, report=report, **values)


def _extension_request(user: Any, v: Valuation, values: dict[str, Any]) -> None:
    _belongs(values["report"], v, "report")
    services.online_inquiry_request_extension(actor=user, **values)


def _objection_step(service: Callable[..., Any]) -> Call:
    def call(user: Any, v: Valuation, values: dict[str, Any]) -> None:
        _belongs(values["objection"], v, "objection")
        service(actor=user, **values)

    return call


@dataclass(frozen=True)
class Op:
    path: str
    name: str
    doc: str
    serializer: type[BaseSerializer] | None
    call: Call
    multipart: bool = False


def _service(function: Callable[..., Any]) -> Call:
    """Call `function(actor=…, valuation=…, **input)`."""
    return lambda user, valuation, values: function(actor=user, valuation=valuation, **values)


ACTIONS = [
    Op("investigation", "investigation", "Record the investigation checklist (RP art.3).",
       s.ValuationInvestigationInputSerializer, _service(services.valuation_record_investigation)),
    Op("start", "start", "Start the next method of the legal order (RP arts.4–7, 14).",
       s.ValuationStartInputSerializer, _service(services.method_start)),
    Op("skip", "skip", "Pass over the next method on a legal ground, which is recorded.",
       s.ValuationSkipInputSerializer, _service(services.method_skip)),
    Op("fail", "fail", "Record that the method in progress failed; the next one opens.",
       s.ValuationFailInputSerializer, _service(services.method_fail)),
    Op("proposals", "proposal", "A party's price in the negotiation (RP art.4).",
       s.ValuationProposalInputSerializer, _service(services.proposal_record)),
    Op("negotiation/conclude", "negotiation_conclude",
       "Matching prices that harm nobody become the reference price (RP art.4).",
       s.ValuationConcludeInputSerializer, _service(services.negotiation_conclude)),
    Op("directed-inquiry", "directed_inquiry_send", "Record the directed inquiry letter and its deadline (RP art.6).",
       s.ValuationDirectedSendInputSerializer, _service(services.directed_inquiry_send)),
    Op("directed-inquiry/answer", "directed_inquiry_answer",
       "The institution's answer within the deadline is the reference price (RP art.6). JSON or multipart.",
       s.ValuationReportInputSerializer, _service(services.directed_inquiry_answer), multipart=True),
    Op("online-inquiry", "online_inquiry_send", "Send the inquiry to every configured platform at once (RP art.10).",
       None, _service(services.online_inquiry_send)),
    Op("online-inquiry/results", "online_inquiry_result",
       "A platform's report as it arrives; a late one is recorded and not counted (RP arts.11, 13). "
       "JSON or multipart.", s.ValuationInquiryResultInputSerializer, _inquiry_result, multipart=True),
    Op("online-inquiry/extension-requests", "online_inquiry_extension_request",
       "A platform asks for an extension before its period ends (RP art.11).",
       s.ValuationExtensionRequestInputSerializer, _extension_request),
    Op("online-inquiry/extend", "online_inquiry_extend",
       "Extend by 3 days when every platform missed, for those that asked (RP art.11).", None,
       _service(services.online_inquiry_extend)),
    Op("appraisal/agreed", "appraisal_select_agreed", "The three agencies the parties agreed on, in order (RP art.16).",
       s.ValuationAgreedInputSerializer, _service(services.appraisal_select_agreed)),
    Op("appraisal/lottery", "appraisal_select_lottery",
       "Draw three agencies and their order by verifiable lottery (RP art.16).",
       s.ValuationLotteryInputSerializer, _service(services.appraisal_select_lottery)),
    Op("appraisal/extension", "appraisal_extend",
       "Extend the appraisal period: at most twice, 15 days each, asked 5 days before expiry (RP art.19).",
       s.ValuationAppraisalExtendInputSerializer,
       lambda u, v, d: services.appraisal_extend(actor=u, valuation=v, days_requested=d["days"],
                                                 requested_on=d["requested_on"])),
    Op("appraisal/hand-over", "appraisal_hand_over", "A late agency hands over to the next in order (RP art.19).",
       None, _service(services.appraisal_hand_over)),
    Op("appraisal/report", "appraisal_report", "The commissioned agency's report (RP art.19). JSON or multipart.",
       s.ValuationReportInputSerializer, _service(services.appraisal_record_report), multipart=True),
    Op("deliveries", "deliver", "Send the received reports to a party (RP art.21).",
       s.ValuationDeliverInputSerializer, _service(services.reports_deliver)),
    Op("objections", "objection_file", "A written objection within 5 days of receipt (RP arts.22–24).",
       s.ValuationObjectionInputSerializer, _service(services.objection_file)),
    Op("objections/forward", "objection_forward", "Send a method or result objection to the agency (RP art.23).",
       s.ValuationForwardInputSerializer, _objection_step(services.objection_forward)),
    Op("objections/explanation", "objection_explanation", "The agency's written explanation (RP art.23).",
       s.ValuationExplainInputSerializer, _objection_step(services.objection_record_explanation)),
    Op("objections/review", "objection_review",
       "Refer the objection to the industry association's review (RP art.23).",
       s.ValuationReviewInputSerializer, _objection_step(services.objection_refer_to_review)),
    Op("objections/decision", "objection_decide", "The outcome of an objection (RP arts.22–23, 26).",
       s.ValuationDecideInputSerializer, _objection_step(services.objection_decide)),
    Op("fix", "fix", "Fix the reference price from the online inquiry or the appraisal (RP arts.13, 26).", None,
       _service(services.valuation_fix)),
    Op("stay", "stay", "Stay the valuation (RP art.28).", s.ValuationStayInputSerializer,
       _service(services.valuation_stay)),
    Op("resume", "resume", "Resume a stayed valuation.", s.ValuationResumeInputSerializer,
       _service(services.valuation_resume)),
    Op("withdraw", "withdraw", "Withdraw the valuation (RP art.29).", s.ValuationWithdrawInputSerializer,
       _service(services.valuation_withdraw)),
    Op("costs", "costs", "Record the costs against the debtor (RP arts.31–33).", s.ValuationCostsInputSerializer,
       _service(services.valuation_record_costs)),
    Op("reissue", "reissue",
       "The result expired before the first notice was published within it: the platforms report again within "
       "3 days or the same agency reissues within 15 (RP arts.11, 19). Answers with the new valuation.", None,
       _service(services.valuation_reissue)),
]
ACTION_VIEWS = [(op.path, _action(op.name, op.doc, op.serializer, op.call, op.multipart)) for op in ACTIONS]
