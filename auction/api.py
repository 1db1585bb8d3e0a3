"""The REST API: public reads of rounds, lots and results, and the court staff's writes.

Every view only translates I/O: it parses the input with a serializer, calls exactly one function of
auction.services (or reads through auction.selectors) and renders the result. The services check
the rules and the court membership; their RuleViolations come out of core.api.exception_handler as
{"errors": [{"code", "message", "field"}]} with status 400 (or 403 for PermissionDenied)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from auction import selectors, services
from auction import serializers as s
from auction.models import AuctionRound, Case, Court, Lot, PriorityHolder
from auction.selectors import RoundFilters
from auction.services import TERM_FIELDS, RoundTerms
from core import clock
from core.api import IsCourtStaff, IsPanel, IsStaffReader

PUBLIC = ["public"]
STAFF = ["staff"]
ERROR = OpenApiResponse(s.ErrorResponseSerializer, description="The request was refused; nothing was changed.")
# What a staff endpoint can answer besides success: bad input or a broken rule, not logged in, wrong
# role or court, unknown object (or, for reads, an object of another court).
STAFF_ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


class Pagination(PageNumberPagination):
    """`page` and `page_size` must be whole numbers ≥ 1 (400 otherwise: DRF would ignore a bad page
    size and call a bad page number "not found"); a page past the last one is 404."""

    page_size_query_param = "page_size"
    max_page_size = 100

    @staticmethod
    def _whole(request: Request, name: str, message: Any) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]{1,9}", raw) or int(raw) < 1:
            raise ValidationError({name: [message]})
        return int(raw)

    def get_page_size(self, request: Request) -> int | None:
        size = self._whole(request, "page_size", _("The page size must be a whole number of at least 1."))
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        number = self._whole(request, "page", _("The page number must be a whole number of at least 1."))
        return 1 if number is None else number


# --- public -------------------------------------------------------------------------------------


class PublicRoundList(generics.ListAPIView):
    """Public rounds (never drafts or panel-approved rounds), filtered and sorted like the listing."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.PublicRoundSerializer
    pagination_class = Pagination
    closed_only = False

    def get_queryset(self) -> QuerySet[AuctionRound]:
        query = s.RoundFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = RoundFilters(**query.validated_data)
        return selectors.round_search(filters, closed_only=self.closed_only).prefetch_related("lot__photos")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "server_time": clock.now()}

    @extend_schema(tags=PUBLIC, parameters=[s.RoundFilterSerializer],
                   responses={200: s.PublicRoundSerializer(many=True), 400: ERROR, 404: ERROR})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PublicResultList(PublicRoundList):
    """Closed rounds: sold, failed, withdrawn, terminated, taken in lieu."""

    closed_only = True

    @extend_schema(tags=PUBLIC, parameters=[s.RoundFilterSerializer],
                   responses={200: s.PublicRoundSerializer(many=True), 400: ERROR, 404: ERROR})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PublicRoundDetail(generics.RetrieveAPIView):
    """A public round with its lot and the key facts a bidder must know before registering."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.PublicRoundDetailSerializer

    def get_queryset(self) -> QuerySet[AuctionRound]:
        return selectors.public_rounds()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "server_time": clock.now()}

    @extend_schema(tags=PUBLIC, responses={200: s.PublicRoundDetailSerializer, 404: ERROR})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PublicLotDetail(generics.GenericAPIView):
    """A lot with everything its public page shows; only once it has a public round."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.PublicLotDetailSerializer

    @extend_schema(tags=PUBLIC, responses={200: s.PublicLotDetailSerializer, 404: ERROR})
    def get(self, request: Request, pk: int) -> Response:
        lot = selectors.lot_public(pk)
        if lot is None:
            raise NotFound()
        context = {**self.get_serializer_context(), "server_time": clock.now()}
        return Response(s.PublicLotDetailSerializer(lot, context=context).data)


# --- staff: plumbing ----------------------------------------------------------------------------


# Reads need a staff role and show only the user's courts (selectors.courts_of); writes need court
# staff or a panel judge, and the service checks that the user acts for the object's court. (A comment,
# not a docstring: the schema would repeat a docstring on every staff operation.)
class StaffView(generics.GenericAPIView):
    parser_classes = [JSONParser]
    pagination_class = Pagination
    write_permission: Any = IsCourtStaff | IsPanel

    def get_permissions(self) -> list[Any]:
        if self.request.method in permissions.SAFE_METHODS:
            return [IsStaffReader()]
        return [self.write_permission()]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "server_time": clock.now()}

    def parse(self, serializer_class: type[BaseSerializer], *, data: Any = None, partial: bool = False
              ) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data if data is None else data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(self, serializer_class: type[BaseSerializer], instance: Any, code: int = status.HTTP_200_OK
               ) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)

    def my_cases(self) -> QuerySet[Case]:
        return Case.objects.filter(court__in=selectors.courts_of(self.request.user))

    # The court an object of each staff URL belongs to, by the URL name's prefix.
    COURT_OF: ClassVar[dict[str, tuple[Any, str]]] = {
        "staff-case-": (Case, "court_id"), "staff-lot-": (Lot, "case__court_id"),
        "staff-round-": (AuctionRound, "lot__case__court_id"),
        "staff-priority-holder": (PriorityHolder, "lot__case__court_id")}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """A write for a court the user does not act for is refused before its body is read, so a bad
        body tells another court's staff nothing about the object (the services check again)."""
        super().initial(request, *args, **kwargs)
        name = request.resolver_match.url_name if request.resolver_match else ""
        if request.method in permissions.SAFE_METHODS or "pk" not in kwargs or not name:
            return
        for prefix, (model, court_field) in self.COURT_OF.items():
            if name.startswith(prefix):
                court_id = model.objects.filter(pk=kwargs["pk"]).values_list(court_field, flat=True).first()
                if court_id is None:
                    raise NotFound
                services.check_court_staff(request.user, Court.objects.get(pk=court_id))
                return

    def case_or_404(self, pk: int) -> Case:
        return get_object_or_404(Case.objects.select_related("court"), pk=pk)

    def lot_or_404(self, pk: int) -> Lot:
        return get_object_or_404(Lot.objects.select_related("case__court"), pk=pk)

    def round_or_404(self, pk: int) -> AuctionRound:
        return get_object_or_404(AuctionRound.objects.select_related("lot__case__court", "previous_round"), pk=pk)

    def round_response(self, rnd: AuctionRound, code: int = status.HTTP_200_OK) -> Response:
        return self.render(s.StaffRoundSerializer, self.round_or_404(rnd.pk), code)


def split_terms(values: dict[str, Any]) -> tuple[RoundTerms, dict[str, Any]]:
    """The round's terms (checked together by the service) and the remaining texts."""
    terms = RoundTerms(**{name: values[name] for name in TERM_FIELDS})
    return terms, {name: value for name, value in values.items() if name not in TERM_FIELDS}


# --- staff: cases -------------------------------------------------------------------------------


class StaffCaseList(StaffView):
    """The enforcement cases of the user's courts; opening a case checks the official case number."""

    @extend_schema(tags=STAFF, responses={200: s.CaseSerializer(many=True), **STAFF_ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.my_cases().select_related("court"))
        data = s.CaseSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(tags=STAFF, request=s.CaseInputSerializer, responses={201: s.CaseDetailSerializer,
                                                                         **STAFF_ERRORS})
    def post(self, request: Request) -> Response:
        case = services.case_create(actor=request.user, **self.parse(s.CaseInputSerializer))
        return self.render(s.CaseDetailSerializer, case, status.HTTP_201_CREATED)


class StaffCaseDetail(StaffView):
    """A case of the user's courts with its parties, claims and lots."""

    @extend_schema(tags=STAFF, responses={200: s.CaseDetailSerializer, **STAFF_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.render(s.CaseDetailSerializer, get_object_or_404(self.my_cases(), pk=pk))


class StaffPartyCreate(StaffView):
    """Add an applicant, a debtor or a joining creditor to a case."""

    @extend_schema(tags=STAFF, request=s.PartyInputSerializer, responses={201: s.PartySerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        case = self.case_or_404(pk)
        party = services.party_add(actor=request.user, case=case, **self.parse(s.PartyInputSerializer))
        return self.render(s.PartySerializer, party, status.HTTP_201_CREATED)


class StaffClaimCreate(StaffView):
    """Record a creditor's claim in a case."""

    @extend_schema(tags=STAFF, request=s.ClaimInputSerializer, responses={201: s.ClaimSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        case = self.case_or_404(pk)
        claim = services.claim_add(actor=request.user, case=case, **self.parse(s.ClaimInputSerializer))
        return self.render(s.ClaimSerializer, claim, status.HTTP_201_CREATED)


class StaffLotCreate(StaffView):
    """Record a seized asset of a case; its nature decides the notice period (WP art.12)."""

    @extend_schema(tags=STAFF, request=s.LotInputSerializer, responses={201: s.StaffLotSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        case = self.case_or_404(pk)
        lot = services.lot_create(actor=request.user, case=case, **self.parse(s.LotInputSerializer))
        return self.render(s.StaffLotSerializer, lot, status.HTTP_201_CREATED)


# --- staff: lots --------------------------------------------------------------------------------


class StaffLotDetail(StaffView):
    """A lot of the user's courts; corrections are allowed while on sale and are audited."""

    @extend_schema(tags=STAFF, responses={200: s.StaffLotSerializer, **STAFF_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        lot = get_object_or_404(Lot.objects.filter(case__in=self.my_cases()), pk=pk)
        return self.render(s.StaffLotSerializer, lot)

    @extend_schema(tags=STAFF, request=s.LotInputSerializer, responses={200: s.StaffLotSerializer, **STAFF_ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        changes = self.parse(s.LotInputSerializer, partial=True)
        lot = services.lot_update(actor=request.user, lot=self.lot_or_404(pk), **changes)
        return self.render(s.StaffLotSerializer, lot)


class StaffReferencePrice(StaffView):
    """Set the reference price with its source (RP art.27: valid at most one year). JSON or multipart."""

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(tags=STAFF, request=s.ReferencePriceInputSerializer,
                   responses={200: s.StaffLotSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ReferencePriceInputSerializer)
        lot = services.lot_set_reference_price(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffLotSerializer, lot)


class StaffPhotoCreate(StaffView):
    """Upload a photo of the lot with its caption (multipart)."""

    parser_classes = [MultiPartParser]

    @extend_schema(tags=STAFF, request=s.PhotoInputSerializer,
                   responses={201: s.StaffPhotoSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.PhotoInputSerializer)
        photo = services.lot_photo_add(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffPhotoSerializer, photo, status.HTTP_201_CREATED)


class StaffAttachmentCreate(StaffView):
    """Upload a document of the publication package (multipart)."""

    parser_classes = [MultiPartParser]

    @extend_schema(tags=STAFF, request=s.AttachmentInputSerializer,
                   responses={201: s.StaffAttachmentSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.AttachmentInputSerializer)
        attachment = services.lot_attachment_add(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffAttachmentSerializer, attachment, status.HTTP_201_CREATED)


class StaffEncumbranceCreate(StaffView):
    """Record a right on the lot; security rights end on the sale (PB art.28)."""

    @extend_schema(tags=STAFF, request=s.EncumbranceInputSerializer,
                   responses={201: s.StaffEncumbranceSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.EncumbranceInputSerializer)
        encumbrance = services.lot_encumbrance_add(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffEncumbranceSerializer, encumbrance, status.HTTP_201_CREATED)


class StaffLeaseCreate(StaffView):
    """Record a lease, which survives the sale (CC art.725)."""

    @extend_schema(tags=STAFF, request=s.LeaseInputSerializer,
                   responses={201: s.StaffLeaseSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.LeaseInputSerializer)
        lease = services.lot_lease_add(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffLeaseSerializer, lease, status.HTTP_201_CREATED)


class StaffTaxSet(StaffView):
    """One entry per tax: setting a tax again replaces who bears it."""

    @extend_schema(tags=STAFF, request=s.TaxInputSerializer, responses={200: s.StaffTaxSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        tax = services.lot_tax_set(actor=request.user, lot=self.lot_or_404(pk), **self.parse(s.TaxInputSerializer))
        return self.render(s.StaffTaxSerializer, tax)


class StaffPriorityHolderCreate(StaffView):
    """Record a known priority holder; refused once the panel fixed the holders (WP art.27)."""

    @extend_schema(tags=STAFF, request=s.PriorityHolderInputSerializer,
                   responses={201: s.StaffPriorityHolderSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.PriorityHolderInputSerializer)
        holder = services.priority_holder_add(actor=request.user, lot=self.lot_or_404(pk), **values)
        return self.render(s.StaffPriorityHolderSerializer, holder, status.HTTP_201_CREATED)


class StaffPriorityHolderRemove(StaffView):
    """Remove a priority holder, giving the reason as a query parameter (audited)."""

    @extend_schema(tags=STAFF, parameters=[s.RemovalInputSerializer], responses={204: None, **STAFF_ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        holder = get_object_or_404(PriorityHolder.objects.select_related("lot__case__court"), pk=pk)
        reason = self.parse(s.RemovalInputSerializer, data=request.query_params)["reason"]
        services.priority_holder_remove(actor=request.user, holder=holder, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffRoundCreate(StaffView):
    """The first auction of a lot, as a draft for the collegial panel."""

    @extend_schema(tags=STAFF, request=s.RoundInputSerializer,
                   responses={201: s.StaffRoundSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        terms, texts = split_terms(self.parse(s.RoundInputSerializer))
        rnd = services.round_create(actor=request.user, lot=self.lot_or_404(pk), terms=terms, **texts)
        return self.round_response(rnd, status.HTTP_201_CREATED)


# --- staff: rounds ------------------------------------------------------------------------------


class StaffRoundDetail(StaffView):
    """A round of the user's courts, drafts included. Editable until it is announced; after the panel
    decision the start price, increment and deposit are locked (WP art.27)."""

    @extend_schema(tags=STAFF, responses={200: s.StaffRoundSerializer, **STAFF_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        rnd = get_object_or_404(AuctionRound.objects.filter(lot__case__in=self.my_cases()), pk=pk)
        return self.round_response(rnd)

    @extend_schema(tags=STAFF, request=s.RoundInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                          **STAFF_ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        rnd = self.round_or_404(pk)
        values = self.parse(s.RoundInputSerializer, partial=True)
        # The terms are checked together, so the ones not sent keep their current values.
        terms, texts = split_terms({**{name: getattr(rnd, name) for name in TERM_FIELDS}, **values})
        changes_terms = any(name in values for name in TERM_FIELDS)
        rnd = services.round_update(actor=request.user, rnd=rnd, terms=terms if changes_terms else None, **texts)
        return self.round_response(rnd)


class StaffRoundPackage(StaffView):
    """The WP art.13 publication package and WP art.14 prompts, item by item."""

    @extend_schema(tags=STAFF, responses={200: s.PackageSerializer, **STAFF_ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        rnd = get_object_or_404(AuctionRound.objects.filter(lot__case__in=self.my_cases())
                                .select_related("lot__case__court"), pk=pk)
        return self.render(s.PackageSerializer, {"items": services.notice_package(rnd)})


class StaffNotificationCreate(StaffView):
    """Record notice of the sale to a party or a priority holder (WP art.16)."""

    @extend_schema(tags=STAFF, request=s.NotificationInputSerializer,
                   responses={201: s.NotificationSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.NotificationInputSerializer)
        note = services.notification_record(actor=request.user, rnd=self.round_or_404(pk), **values)
        return self.render(s.NotificationSerializer, note, status.HTTP_201_CREATED)


class StaffPanelDecision(StaffView):
    """Recorded by a judge of the collegial panel (WP art.27)."""

    parser_classes = [JSONParser, MultiPartParser]
    write_permission = IsPanel

    @extend_schema(tags=STAFF, request=s.PanelDecisionInputSerializer,
                   responses={201: s.PanelDecisionSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.PanelDecisionInputSerializer)
        decision = services.round_record_panel_decision(actor=request.user, rnd=self.round_or_404(pk), **values)
        return self.render(s.PanelDecisionSerializer, decision, status.HTTP_201_CREATED)


class StaffRoundPublish(StaffView):
    """Publish the auction notice once the package, notifications and periods allow it."""

    @extend_schema(tags=STAFF, request=None, responses={200: s.StaffRoundSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        return self.round_response(services.round_publish(actor=request.user, rnd=self.round_or_404(pk)))


class StaffRoundStay(StaffView):
    """Stay (暂缓) the round; the reason is published (WP art.28)."""

    @extend_schema(tags=STAFF, request=s.ReasonInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                           **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ReasonInputSerializer)
        return self.round_response(services.round_stay(actor=request.user, rnd=self.round_or_404(pk), **values))


class StaffRoundSuspend(StaffView):
    """Suspend (中止) the round by ruling; the reason is published (WP arts.28, 36)."""

    @extend_schema(tags=STAFF, request=s.ReasonInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                           **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ReasonInputSerializer)
        return self.round_response(services.round_suspend(actor=request.user, rnd=self.round_or_404(pk), **values))


class StaffRoundWithdraw(StaffView):
    """Withdraw (撤回) the round; final."""

    @extend_schema(tags=STAFF, request=s.ReasonInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                           **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ReasonInputSerializer)
        return self.round_response(services.round_withdraw(actor=request.user, rnd=self.round_or_404(pk), **values))


class StaffRoundTerminate(StaffView):
    """Terminate (终止) the auction; final."""

    @extend_schema(tags=STAFF, request=s.ReasonInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                           **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ReasonInputSerializer)
        return self.round_response(services.round_terminate(actor=request.user, rnd=self.round_or_404(pk), **values))


class StaffRoundResume(StaffView):
    """Resume a stayed or suspended round within 5 days of the end of its cause (WP art.28)."""

    @extend_schema(tags=STAFF, request=s.ResumeInputSerializer, responses={200: s.StaffRoundSerializer,
                                                                           **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.ResumeInputSerializer)
        return self.round_response(services.round_resume(actor=request.user, rnd=self.round_or_404(pk), **values))


class StaffRoundNext(StaffView):
    """The second auction after a failed first one, or the sell-off after a failed second one."""

    @extend_schema(tags=STAFF, request=s.RoundInputSerializer, responses={201: s.StaffRoundSerializer,
                                                                          **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        terms, texts = split_terms(self.parse(s.RoundInputSerializer))
        rnd = services.round_create_next(actor=request.user, previous=self.round_or_404(pk), terms=terms, **texts)
        return self.round_response(rnd, status.HTTP_201_CREATED)


class StaffRoundTakeInLieu(StaffView):
    """After a failed round, a creditor takes the lot at its start price, topping up any excess (PB art.16)."""

    @extend_schema(tags=STAFF, request=s.TakeInLieuInputSerializer,
                   responses={200: s.TakeInLieuResultSerializer, **STAFF_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        values = self.parse(s.TakeInLieuInputSerializer)
        amounts = services.round_take_in_lieu(actor=request.user, rnd=self.round_or_404(pk), **values)
        return self.render(s.TakeInLieuResultSerializer, {"round": self.round_or_404(pk), **amounts})
