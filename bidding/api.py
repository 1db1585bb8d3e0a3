"""The bidding API (/api/bidding/): the bidder's sign-up, profile and registrations step by step, and the
court's registrations, review items, barred list, default and re-auction. Each view parses its input,
calls one bidding.services function and renders the result; RuleViolations come out of
core.api.exception_handler as {"errors": [...]} (400, or 403 for PermissionDenied).

Anonymity (WP art.18): staff endpoints of a round that has not finished return counts and review
items only, never an identity with a code."""

from __future__ import annotations

import math
import re
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from auction import selectors as auction_selectors
from auction.api import Pagination
from auction.models import AuctionRound, Court
from auction.serializers import ErrorResponseSerializer, StaffRoundSerializer
from auction.services import RoundTerms
from bidding import selectors, services
from bidding import serializers as s
from bidding.models import Registration, Review
from bidding.screening import selectors as screening_selectors
from bidding.screening import services as screening_services
from bidding.services import RegistrationInput
from core import clock
from core.api import HasRole, IsCourtStaff, IsPanel, IsStaffReader, rate_limit
from core.errors import PermissionDenied
from core.roles import Role
from core.sightings import client_ip
from settlement import services as settlement
from settlement.gateways.base import PaymentStart
from settlement.serializers import PaymentStartSerializer

BIDDER = ["bidder"]
STAFF = ["staff"]
ERROR = OpenApiResponse(ErrorResponseSerializer, description="The request was refused; nothing was changed.")
ERRORS = {400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


class IsBidder(HasRole):
    roles = (Role.BIDDER,)


class View(generics.GenericAPIView):
    parser_classes = [JSONParser]
    pagination_class = Pagination

    def parse(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def render(self, serializer_class: type[BaseSerializer], instance: Any, code: int = status.HTTP_200_OK
               ) -> Response:
        return Response(serializer_class(instance, context=self.get_serializer_context()).data, status=code)


# --- bidders ------------------------------------------------------------------------------------------------


class Signup(View):
    """Open a bidder account with a real-name identity, validated with its check digit and stored
    encrypted (WP art.17)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(tags=BIDDER, request=s.SignupInputSerializer, responses={201: s.ProfileSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        rate_limit(("signup_ip", client_ip(request)))
        data = self.parse(s.SignupInputSerializer)
        profile = services.bidder_signup(username=data["username"], password=data["password"], email=data["email"],
                                         phone=data["phone"], address=data["address"],
                                         person=s.PersonInputSerializer.person(data))
        return self.render(s.ProfileSerializer, profile, status.HTTP_201_CREATED)


class BidderView(View):
    permission_classes = [IsBidder]

    def profile(self) -> Any:
        profile = selectors.profile_of(self.request.user)
        if profile is None:
            raise PermissionDenied(_("Only a bidder with a real-name profile can do this."), code="not_a_bidder")
        return profile

    def mine(self, pk: int) -> Registration:
        reg = selectors.my_registration(self.request.user, pk)
        if reg is None:
            raise NotFound()
        return reg

    def return_url(self, pk: int) -> str:
        return self.request.build_absolute_uri(reverse("bidding:registration", args=[pk]))

    def registration_response(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return self.render(s.MyRegistrationSerializer, self.mine(pk), code)


class Profile(BidderView):
    """The bidder's profile; the identity number only masked."""

    @extend_schema(tags=BIDDER, responses={200: s.ProfileSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return self.render(s.ProfileSerializer, self.profile())


class MyRegistrations(BidderView):
    """My registrations with their deposit, bidder code and refunds."""

    serializer_class = s.MyRegistrationSerializer

    def get_queryset(self) -> QuerySet[Registration]:
        return selectors.my_registrations(self.request.user).prefetch_related("deposit__payouts")

    @extend_schema(tags=BIDDER, responses={200: s.MyRegistrationSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.MyRegistrationSerializer(page, many=True).data)


class RegistrationStart(BidderView):
    """Register for a public round: the declaration (WP art.34) and what the court must confirm: a
    proxy with the principal's identity and authorisation (WP art.14(2)), a priority holder confirmed by
    the panel (WP arts.19, 27), being the applicant creditor (WP art.17). Documents need multipart."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=BIDDER, request={"application/json": s.RegistrationInputSerializer,
                                         "multipart/form-data": s.RegistrationInputSerializer},
                   responses={201: s.MyRegistrationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        rnd = get_object_or_404(auction_selectors.public_rounds(), pk=pk)
        rate_limit(("register_user", str(request.user.pk)))
        data = self.parse(s.RegistrationInputSerializer)
        principal = data.get("principal")
        reg = services.registration_start(actor=request.user, rnd=rnd, data=RegistrationInput(
            declaration=data["declaration"], capacity=data["capacity"],
            principal=s.PersonInputSerializer.person(principal) if principal else None,
            proxy_document=data["proxy_document"], priority_holder=data["priority_holder"],
            priority_document=data["priority_document"], creditor_party=data["creditor_party"],
            creditor_document=data["creditor_document"]))
        return self.registration_response(reg.pk, status.HTTP_201_CREATED)


class RegistrationDetail(BidderView):
    """My registration: the next step, the prompts, the reviews, the deposit and the bidder code."""

    @extend_schema(tags=BIDDER, responses={200: s.MyRegistrationSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        return self.registration_response(pk)


class PromptAccept(BidderView):
    """Accept the next special prompt of WP art.14 (one by one, in order; each stamped)."""

    @extend_schema(tags=BIDDER, request=s.PromptInputSerializer, responses={200: s.MyRegistrationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        key = self.parse(s.PromptInputSerializer)["key"]
        services.prompt_accept(actor=request.user, registration=self.mine(pk), key=key)
        return self.registration_response(pk)


class QualificationSubmit(BidderView):
    """The purchase-qualification promise and proof (HQ arts.1–3), multipart."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=BIDDER, request={"multipart/form-data": s.QualificationInputSerializer},
                   responses={200: s.MyRegistrationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.parse(s.QualificationInputSerializer)
        services.qualification_submit(actor=request.user, registration=self.mine(pk), promise=data["promise"],
                                      proof=data["proof"])
        return self.registration_response(pk)


class DepositOpen(BidderView):
    """Choose the payment method: the deposit is opened (the round's deposit, or max(0, deposit −
    verified claims) for the confirmed applicant creditor) and the payment instructions returned.
    A zero deposit qualifies at once."""

    @extend_schema(tags=BIDDER, request=s.PaymentInputSerializer, responses={201: s.PaymentResponseSerializer,
                                                                             **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        gateway = self.parse(s.PaymentInputSerializer)["gateway"]
        deposit = services.registration_pay(actor=request.user, registration=self.mine(pk), gateway=gateway)
        start: PaymentStart | None = None
        if deposit.status == deposit.Status.PENDING:
            start = settlement.deposit_payment_start(deposit=deposit, actor=request.user,
                                                     return_url=self.return_url(pk))
        return Response(s.PaymentResponseSerializer({"registration": self.mine(pk), "payment": start}).data,
                        status=status.HTTP_201_CREATED)


class DepositPayment(BidderView):
    """How to pay the open deposit (idempotent)."""

    @extend_schema(tags=BIDDER, responses={200: PaymentStartSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        reg = self.mine(pk)
        if reg.deposit is None:
            raise NotFound()
        start = settlement.deposit_payment_start(deposit=reg.deposit, actor=request.user,
                                                 return_url=self.return_url(pk))
        return Response(PaymentStartSerializer(start).data)


class DepositCancel(BidderView):
    """Give up the unpaid deposit to choose another payment method."""

    @extend_schema(tags=BIDDER, request=None, responses={200: s.MyRegistrationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        services.registration_payment_cancel(actor=request.user, registration=self.mine(pk))
        return self.registration_response(pk)


class RegistrationCancel(BidderView):
    """Withdraw the registration before the deposit is held."""

    @extend_schema(tags=BIDDER, request=None, responses={200: s.MyRegistrationSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        services.registration_cancel(actor=request.user, registration=self.mine(pk))
        return self.registration_response(pk)


# --- staff ---------------------------------------------------------------------------------------------------


# Reads need a staff role and show only the user's courts; writes need court staff or a panel judge
# of the court, which the services check again.
class StaffView(View):
    def get_permissions(self) -> list[Any]:
        if self.request.method in permissions.SAFE_METHODS:
            return [IsStaffReader()]
        return [(IsCourtStaff | IsPanel)()]

    def round_or_404(self, pk: int) -> AuctionRound:
        return get_object_or_404(selectors.staff_rounds(self.request.user), pk=pk)


class StaffRoundRegistrations(StaffView):
    """A round's registrations: counts and pending reviews while it runs; once it has finished, court
    staff also get codes with identities, and the access is logged (WP art.18)."""

    @extend_schema(tags=STAFF, responses={200: s.RoundRegistrationsSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        rnd = self.round_or_404(pk)
        summary = selectors.round_summary(rnd)
        finished = rnd.status in selectors.FINISHED
        registrations = None
        if finished and request.query_params.get("reveal") == "1":
            services.identities_viewed(actor=request.user, rnd=rnd)
            registrations = list(selectors.revealed_registrations(rnd).prefetch_related("deposit__payouts"))
        body = {"summary": {"round": rnd.pk, "status": rnd.status, "registrant_count": rnd.registrant_count,
                            "by_status": summary.by_status, "pending_reviews": summary.pending_reviews,
                            "finished": finished},
                "registrations": registrations}
        return Response(s.RoundRegistrationsSerializer(body).data)


class StaffReviewQueue(StaffView):
    """Review items waiting for the court, oldest first; never a bidder code."""

    serializer_class = s.QueueItemSerializer

    @extend_schema(tags=STAFF, responses={200: s.QueueItemSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.review_queue(request.user))
        return self.get_paginated_response(s.QueueItemSerializer(page, many=True).data)


class StaffReviewDetail(StaffView):
    """One review item: what is to be confirmed (names and masked numbers), no bidder code."""

    @extend_schema(tags=STAFF, responses={200: s.ReviewItemSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        if review is None:
            raise NotFound()
        return self.render(s.ReviewItemSerializer, review)


class StaffReviewDecision(StaffView):
    """Confirm or refuse a review item (a refusal needs the reason). Refusing a proxy or a purchase
    qualification refuses the registration."""

    @extend_schema(tags=STAFF, request=s.DecisionInputSerializer, responses={200: s.ReviewItemSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        review = selectors.visible_review(request.user, pk)
        if review is None:
            raise NotFound()
        data = self.parse(s.DecisionInputSerializer)
        services.review_decide(actor=request.user, review=review, approve=data["approve"], note=data["note"])
        return self.render(s.ReviewItemSerializer, Review.objects.get(pk=pk))


class StaffScreeningQueue(StaffView):
    """Flagged rounds of the user's courts (collusion and shill screening), unreviewed first."""

    serializer_class = s.ScreeningSerializer

    @extend_schema(tags=STAFF, responses={200: s.ScreeningSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(screening_selectors.screening_queue(request.user))
        return self.get_paginated_response(s.ScreeningSerializer(page, many=True).data)


class StaffScreeningDetail(StaffView):
    """The screening of one round of the user's courts (404 before the first run)."""

    @extend_schema(tags=STAFF, responses={200: s.ScreeningSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        screening = getattr(self.round_or_404(pk), "screening", None)
        if screening is None:
            raise NotFound()
        return self.render(s.ScreeningSerializer, screening)


class StaffScreeningDecision(StaffView):
    """Dismiss, watch, escalate or start annulment (WP art.31(3)); a note is required."""

    @extend_schema(tags=STAFF, request=s.ScreeningDecisionInputSerializer,
                   responses={200: s.ScreeningSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        screening = getattr(self.round_or_404(pk), "screening", None)
        if screening is None:
            raise NotFound()
        data = self.parse(s.ScreeningDecisionInputSerializer)
        decided = screening_services.screening_decide(actor=request.user, screening=screening,
                                                      decision=data["decision"], note=data["note"])
        return self.render(s.ScreeningSerializer, decided)


class StaffBarredList(StaffView):
    """The barred list of the user's courts (WP art.34): names, masked numbers, categories."""

    serializer_class = s.BarredSerializer

    @extend_schema(tags=STAFF, responses={200: s.BarredSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.barred_list(request.user))
        return self.get_paginated_response(s.BarredSerializer(page, many=True).data)

    @extend_schema(tags=STAFF, request=s.BarredInputSerializer, responses={201: s.BarredSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = self.parse(s.BarredInputSerializer)
        court = None if data["court"] is None else get_object_or_404(Court, pk=data["court"])
        barred = services.barred_add(actor=request.user, category=data["category"],
                                     person=s.PersonInputSerializer.person(data), court=court,
                                     relation=data["relation"])
        return self.render(s.BarredSerializer, barred, status.HTTP_201_CREATED)


class StaffBarredRemove(StaffView):
    """Take a person off the barred list, with the reason."""

    @extend_schema(tags=STAFF, request=s.GroundsInputSerializer, responses={200: s.BarredSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        barred = get_object_or_404(selectors.barred_list(request.user), pk=pk)
        reason = self.parse(s.GroundsInputSerializer)["reason"]
        return self.render(s.BarredSerializer, services.barred_remove(actor=request.user, barred=barred,
                                                                      reason=reason))


class StaffRegistrationDefault(StaffView):
    """The buyer did not pay the balance by its due date (悔拍): the deposit is forfeited and the
    buyer's identity barred from the re-auction of the lot (WP art.24)."""

    @extend_schema(tags=STAFF, request=s.GroundsInputSerializer, responses={200: s.RevealedRegistrationSerializer,
                                                                           **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        reg = get_object_or_404(Registration.objects.filter(round__in=selectors.staff_rounds(request.user)), pk=pk)
        reason = self.parse(s.GroundsInputSerializer)["reason"]
        return self.render(s.RevealedRegistrationSerializer,
                           services.registration_default(actor=request.user, registration=reg, reason=reason))


class StaffReauction(StaffView):
    """Create the re-auction round after a default (WP art.24), as a draft for the collegial panel."""

    @extend_schema(tags=STAFF, request=s.ReauctionInputSerializer, responses={201: StaffRoundSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        rnd = self.round_or_404(pk)
        data = self.parse(s.ReauctionInputSerializer)
        terms = RoundTerms(data.pop("start_price_fen"), data.pop("increment_fen"), data.pop("deposit_fen"),
                           data.pop("bidding_start"), data.pop("bidding_end"))
        new = services.reauction_create(actor=request.user, rnd=rnd, terms=terms, **data)
        context = {**self.get_serializer_context(), "server_time": clock.now()}
        return Response(StaffRoundSerializer(new, context=context).data, status=status.HTTP_201_CREATED)


# --- live bidding -----------------------------------------------------------------------------------------------

PUBLIC = ["public"]
NOT_FOUND = {404: ERROR}


class BidPlace(View):
    """Bid on a live round: the same engine as the WebSocket (bidding.services.do_bids_place). 201 with
    the acknowledgement once the bid is committed; 409 with the reason code when it is refused; a
    resend with the same client_id gets the first answer."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=BIDDER, request=s.BidInputSerializer,
                   responses={201: s.BidAckSerializer, 409: ERROR, 429: ERROR, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        rnd = selectors.public_round(pk)
        if rnd is None:
            raise NotFound()
        data = self.parse(s.BidInputSerializer)
        outcome = services.bid_place(actor=request.user, rnd=rnd, client_id=data["client_id"],
                                     amount_fen=data["amount_fen"], language=translation.get_language())
        if outcome.accepted:
            return Response(outcome.frame(), status=status.HTTP_201_CREATED)
        body = {"errors": [{"code": outcome.code, "message": outcome.message, "field": "amount_fen"}]}
        if outcome.code == "rate_limited":  # FAPAI_BID_RATE_LIMIT, counted by the engine under the round lock
            _count, window = services.bid_rate_limit()
            return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS,
                            headers={"Retry-After": str(max(1, math.ceil(window.total_seconds())))})
        return Response(body, status=status.HTTP_409_CONFLICT)


class LiveSnapshot(View):
    """The live state of a public round, as the WebSocket's first frame (no identities, WP art.18)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(tags=PUBLIC, responses={200: s.LiveSnapshotSerializer, **NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        user_id = request.user.pk if request.user.is_authenticated else None
        snapshot = selectors.live_snapshot(pk, user_id=user_id)
        if snapshot is None:
            raise NotFound()
        return Response(snapshot)


class BidsAfter(View):
    """Public bid events after `after_seq`, in seq order (at most 500; more → take a snapshot)."""

    permission_classes = [permissions.AllowAny]
    pagination_class = None  # type: ignore[assignment]  # one list of at most 500 events, never a page

    @extend_schema(tags=PUBLIC, parameters=[OpenApiParameter("after_seq", int, description="last seq you have")],
                   responses={200: s.PublicBidSerializer(many=True), 400: ERROR, **NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        if selectors.public_round(pk) is None:
            raise NotFound()
        raw = request.query_params.get("after_seq", "0")
        if not re.fullmatch(r"[0-9]{1,18}", raw):  # a bad number is refused, not read as 0
            raise ValidationError({"after_seq": [_("after_seq must be a whole number ≥ 0.")]})
        after = int(raw)
        bids = selectors.bids_after(pk, after)
        if bids is None:
            raise NotFound(_("Too many bids are missing, or after_seq is beyond the last bid; load the live snapshot "
                             "instead."))
        return Response(bids)


class SealedChain(View):
    """The sealed bid chain of a closed round: every link and the published root, to verify receipts."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(tags=PUBLIC, responses={200: s.SealedChainSerializer, **NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        sealed = selectors.sealed_chain(pk)
        if sealed is None:
            raise NotFound(_("This round's bid record is not sealed yet."))
        return Response(sealed)
