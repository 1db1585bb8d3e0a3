"""Demo bidders for the embedded default (`manage.py load_bidding_demo`, run by `make run` after
`load_demo`): two real-name bidder accounts registered, through the services, for the demo's live
round with their offline deposits confirmed by the demo loader (audited as system:demo), so that anyone can try live
bidding at once. Running it again changes nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from reportlab.pdfgen import canvas

from auction.demo.data import DEMO_PASSWORD
from auction.models import AuctionRound
from bidding import identity, services
from bidding.models import BidderProfile, PersonKind, Registration
from settlement import services as settlement
from settlement.models import Deposit

PASSWORD = DEMO_PASSWORD  # public on purpose: the embedded local demo
DEMO_ACTOR = "system:demo"
BIDDERS = [("demo_bidder_a", "周明", "110105198503070017"), ("demo_bidder_b", "吴芳", "310115199001150028")]


class DemoMissing(Exception):
    pass


@dataclass
class Result:
    created: bool
    round_id: int | None
    usernames: list[str]


def _valid(number17: str) -> str:
    return number17 + identity.resident_id_check_char(number17)


def _proof() -> SimpleUploadedFile:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 720, "Demo purchase qualification proof")
    pdf.save()
    return SimpleUploadedFile("qualification.pdf", out.getvalue(), "application/pdf")


def load() -> Result:
    rnd = AuctionRound.objects.filter(status=AuctionRound.Status.BIDDING).order_by("effective_end").first()
    if rnd is None:
        raise DemoMissing
    if BidderProfile.objects.filter(user__username=BIDDERS[0][0]).exists():
        return Result(False, rnd.pk, [u for u, _n, _i in BIDDERS])
    with transaction.atomic():
        for username, name, number in BIDDERS:
            profile = services.bidder_signup(
                username=username, password=PASSWORD, email=f"{username}@example.cn", phone="13800000000",
                person=services.PersonInput(kind=PersonKind.INDIVIDUAL, name=name, id_type="resident_id",
                                            id_number=_valid(number[:17])))
            user = profile.user
            reg = services.registration_start(actor=user, rnd=rnd,
                                              data=services.RegistrationInput(declaration=True))
            for key, _label in services.rules.SPECIAL_PROMPTS:
                services.prompt_accept(actor=user, registration=reg, key=key)
            reg = Registration.objects.get(pk=reg.pk)
            if reg.qualification_required:
                services.qualification_submit(actor=user, registration=reg, promise=True, proof=_proof())
            deposit = services.registration_pay(actor=user, registration=reg, gateway="offline")
            if deposit.status == Deposit.Status.PENDING:
                # The demo's finance user acts for no court; the audit names the demo loader instead.
                settlement.deposit_confirm_offline(deposit=deposit, actor=DEMO_ACTOR)
    return Result(True, rnd.pk, [u for u, _n, _i in BIDDERS])
