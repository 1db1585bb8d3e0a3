"""Fixtures for the bidding tests: bidders signed up through the service (real identity numbers with
their check digits), rounds at the stage a test needs, registrations driven through the services and
deposits held through settlement's offline gateway (the embedded default)."""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from auction import rules
from auction.models import AuctionRound
from bidding import identity, services
from bidding.models import BidderProfile, PersonKind, Registration
from bidding.services import PersonInput, RegistrationInput
from core import clock
from core.models import User
from settlement import services as settlement
from settlement.models import Deposit
from tests import builders

S = AuctionRound.Status
_serial = itertools.count(1)
_case_serial = itertools.count(7000)


def resident_id(region: str = "110105", born: str = "19800101", seq: int | None = None) -> str:
    """A valid resident ID number (GB 11643): region, birth date, a sequence and the check character."""
    first17 = f"{region}{born}{(seq if seq is not None else next(_serial)) % 1000:03d}"
    return first17 + identity.resident_id_check_char(first17)


def person(name: str, number: str | None = None) -> PersonInput:
    return PersonInput(kind=PersonKind.INDIVIDUAL, name=name, id_type="resident_id", id_number=number or resident_id())


def sign_up(username: str, name: str = "张三", number: str | None = None) -> BidderProfile:
    # A phone per account: collusion screening links accounts that share one (docs/screening.md).
    return services.bidder_signup(username=username, password="a-long-pass-phrase-9", email=f"{username}@example.cn",
                                  phone=f"138{zlib.crc32(username.encode()) % 10**8:08d}", person=person(name, number))


def pdf(name: str = "doc.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, builders.pdf_bytes(), "application/pdf")


def new_round(status: str, judge: User, frozen: clock.FrozenClock, **lot_extra: Any) -> AuctionRound:
    lot = builders.lot(builders.case(builders.court(), serial=next(_case_serial)), **lot_extra)
    return builders.round_in(status, judge=judge, frozen=frozen, lot_obj=lot)


def dep(reg: Registration) -> Deposit:
    """The registration's deposit (which a test knows exists)."""
    assert reg.deposit is not None
    return reg.deposit


def reload(rnd: AuctionRound) -> AuctionRound:
    return AuctionRound.objects.select_related("lot__case__court").get(pk=rnd.pk)


def accept_all(reg: Registration, user: User) -> None:
    for key, _label in rules.SPECIAL_PROMPTS:
        services.prompt_accept(actor=user, registration=reg, key=key)


def register(user: User, rnd: AuctionRound, data: RegistrationInput | None = None, *, pay: str | None = "offline",
             finance: User | None = None) -> Registration:
    """Start, accept every prompt, submit the qualification where needed, choose the payment method
    and (with `finance`) have the offline deposit confirmed."""
    reg = services.registration_start(actor=user, rnd=rnd, data=data or RegistrationInput(declaration=True))
    accept_all(reg, user)
    if reg.qualification_required:
        services.qualification_submit(actor=user, registration=reg, promise=True, proof=pdf())
    if pay:
        deposit = services.registration_pay(actor=user, registration=reg, gateway=pay)
        if finance is not None and deposit.status == Deposit.Status.PENDING:
            settlement.deposit_confirm_offline(deposit=deposit, actor=finance)
    return Registration.objects.get(pk=reg.pk)


@pytest.fixture
def finance(court: builders.Court) -> User:
    return builders.staff_user("finance", court, roles=["finance"])


@pytest.fixture
def bidding_round(judge: User, frozen: clock.FrozenClock) -> AuctionRound:
    return new_round(S.BIDDING, judge, frozen)


@pytest.fixture
def announced_round(judge: User, frozen: clock.FrozenClock) -> AuctionRound:
    return new_round(S.ANNOUNCED, judge, frozen)


@pytest.fixture
def alice(db: None) -> User:
    return sign_up("alice", "王丽").user


@pytest.fixture
def bob(db: None) -> User:
    return sign_up("bob", "李强").user


@pytest.fixture
def make_bidder(db: None) -> Callable[..., User]:
    count = itertools.count(1)

    def run(name: str = "赵六", number: str | None = None) -> User:
        return sign_up(f"bidder{next(count)}", name, number).user

    return run

