"""The demo (`manage.py load_demo`): realistic content created through the services, every round
status present, exactly one round bidding live and ending within the hour, real pictures and PDFs,
an intact audit chain, and a second run that changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation
from PIL import Image

from auction import rules
from auction.case_number import parse_case_number
from auction.demo import data
from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
    CourtMembership,
    Lease,
    Lot,
    LotAttachment,
    LotPhoto,
    Notification,
    Party,
)
from core import audit, clock
from core.models import AuditChainHead, AuditRecord, User

S = AuctionRound.Status
EVERY_STATUS = {S.DRAFT, S.PANEL_APPROVED, S.ANNOUNCED, S.BIDDING, S.SOLD, S.FAILED, S.STAYED, S.SUSPENDED,
                S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU}


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    """Uploads go to a temporary folder, so the test can list exactly what the demo wrote."""
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def load_demo() -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    head = AuditChainHead.objects.get(id=1)
    counts = {m.__name__: m.objects.count() for m in (Court, Case, Party, Claim, Lot, LotPhoto, LotAttachment,
                                                       AuctionRound, Notification, User, CourtMembership)}
    rounds = list(AuctionRound.objects.order_by("pk").values_list("status", "effective_end", "current_price_fen"))
    return {"counts": counts, "rounds": rounds, "audit": (head.position, head.hash)}


@pytest.mark.django_db
def test_demo_has_realistic_content_in_every_status(frozen: clock.FrozenClock, media: Path) -> None:
    loaded_at = clock.now()
    output = load_demo()

    assert Court.objects.count() >= 2 and all(c.phone and c.supervision_phone for c in Court.objects.all())
    assert Case.objects.count() >= 6
    for case in Case.objects.select_related("court"):
        parsed = parse_case_number(case.number, current_year=loaded_at.year)
        assert parsed.court_code == case.court.case_code
        roles = set(case.parties.values_list("role", flat=True))
        assert {Party.Role.APPLICANT, Party.Role.DEBTOR} <= roles
    assert set(Party.objects.filter(role=Party.Role.DEBTOR).values_list("kind", flat=True)) == set(Party.Kind.values)
    assert {Claim.PriorityClass.MORTGAGE, Claim.PriorityClass.ORDINARY, Claim.PriorityClass.CONSTRUCTION_PRICE} <= set(
        Claim.objects.values_list("priority_class", flat=True))

    lots = Lot.objects.all()
    assert lots.count() >= 12
    assert set(lots.values_list("asset_type", flat=True)) == set(Lot.AssetType.values)
    assert set(lots.values_list("reference_method", flat=True)) == set(Lot.ReferenceMethod.values)
    assert lots.get(asset_type=Lot.AssetType.OTHER, title__contains="车位").nature == Lot.Nature.RIGHT
    for lot in lots:
        assert lot.reference_price_fen is not None and lot.reference_document.name is not None
        assert 5_000_000 <= lot.reference_price_fen <= 3_000_000_000  # ¥50k to ¥30m
        assert lot.reference_note and lot.reference_document.name.endswith(".pdf")
        assert lot.tax_allocations.exists() and lot.known_defects and lot.viewing
    # A tenant whose lease survives the sale is also a priority holder.
    lease = Lease.objects.get()
    assert lease.lot.encumbrances.get(kind="lease").survives_sale
    assert lease.lot.priority_holders.filter(name=lease.tenant, basis="tenant").exists()
    assert not lease.lot.encumbrances.get(kind="mortgage").survives_sale

    assert set(AuctionRound.objects.values_list("status", flat=True)) == EVERY_STATUS
    for rnd in AuctionRound.objects.exclude(status__in=[S.DRAFT, S.PANEL_APPROVED]):
        court = rnd.lot.case.court
        assert rnd.notice_published_at is not None and rnd.terms_text and rnd.payment_text
        assert court.name in rnd.notice_text and rnd.lot.title in rnd.notice_text and "延时五分钟" in rnd.notice_text
        assert len(rnd.panel_decision.members) == 3 and rnd.notifications.exists()
    for rnd in AuctionRound.objects.filter(kind=AuctionRound.Kind.SECOND):
        first = rnd.previous_round
        assert first is not None and first.status == S.FAILED
        assert rnd.start_price_fen == rules.min_second_start(first.start_price_fen)  # 80% of the first
    sell_off = AuctionRound.objects.get(kind=AuctionRound.Kind.SELL_OFF)
    second = sell_off.previous_round
    assert second is not None and second.kind == AuctionRound.Kind.SECOND and second.status == S.FAILED
    assert sell_off.deposit_fen == sell_off.start_price_fen == second.start_price_fen

    # Exactly one round is bidding and ends within the hour; other bidding rounds end days later.
    soon = AuctionRound.objects.filter(status=S.BIDDING, effective_end__lte=loaded_at + timedelta(hours=1))
    assert soon.count() == 1
    live = soon.get()
    assert timedelta(minutes=30) <= live.effective_end - loaded_at <= timedelta(minutes=55)
    assert live.current_price_fen is not None and live.current_price_fen > live.start_price_fen
    assert live.bid_count > 0 and live.leader_code
    assert f"{live.effective_end.astimezone(clock.SHANGHAI):%H:%M}" in output
    assert AuctionRound.objects.filter(status=S.BIDDING, effective_end__gte=loaded_at + timedelta(days=1)).exists()
    for sold in AuctionRound.objects.filter(status=S.SOLD):
        assert sold.bid_count > 0 and sold.current_price_fen is not None
        assert (sold.current_price_fen - sold.start_price_fen) % sold.increment_fen == 0
        assert 4 <= len(sold.leader_code) <= 6
    assert AuctionRound.objects.filter(status=S.SOLD, extension_count__gt=0).exists()
    assert not AuctionRound.objects.filter(status=S.BIDDING, effective_end__lte=loaded_at).exists()
    assert not AuctionRound.objects.filter(status=S.ANNOUNCED, bidding_start__lte=loaded_at).exists()

    for photo in LotPhoto.objects.all():
        with photo.image.open("rb") as f, Image.open(f) as img:
            assert img.format == "JPEG" and img.size == (800, 600)
            bands: tuple[tuple[int, int], ...] = img.getextrema()  # type: ignore[assignment]
            assert all(high - low > 100 for low, high in bands)  # real pictures, not blank
        assert photo.caption
    assert all(2 <= lot.photos.count() <= 4 for lot in lots)
    assert len({p.image.size for p in LotPhoto.objects.all()}) > 10  # distinct pictures, not one reused
    for attachment in LotAttachment.objects.all():
        with attachment.file.open("rb") as document:
            assert document.read(5) == b"%PDF-"
    assert {LotAttachment.Kind.JUDGMENT, LotAttachment.Kind.PRICING_BASIS} == set(
        LotAttachment.objects.values_list("kind", flat=True))

    # Everything went through the services: the chain verifies and reads in time order.
    assert audit.verify().ok
    times = list(AuditRecord.objects.order_by("position").values_list("at", flat=True))
    assert times == sorted(times) and times[-1] <= loaded_at and times[0] < loaded_at - timedelta(days=120)
    assert AuditRecord.objects.filter(action="round.take_in_lieu").exists()
    assert clock.now() == loaded_at  # the demo's frozen clock was put back


@pytest.mark.django_db
def test_users_can_log_in_with_their_roles(frozen: clock.FrozenClock, media: Path) -> None:
    output = load_demo()
    for spec in data.USERS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(data.DEMO_PASSWORD) and spec.username in output
        assert set(user.groups.values_list("name", flat=True)) == set(spec.roles)
        courts = set(CourtMembership.objects.filter(user=user).values_list("court__case_code", flat=True))
        assert courts == ({spec.court} if spec.court else set())
    assert User.objects.get(username="admin").is_superuser
    assert Group.objects.get(name="panel").user_set.count() == 3
    assert data.DEMO_PASSWORD in output and "local demo only" in output


@pytest.mark.django_db
def test_second_run_changes_nothing(frozen: clock.FrozenClock, media: Path) -> None:
    load_demo()
    before = snapshot()
    files = sorted(p.name for p in media.rglob("*") if p.is_file())
    frozen.advance(timedelta(minutes=10))

    output = load_demo()

    assert "already loaded" in output and "nothing was changed" in output
    assert snapshot() == before
    assert sorted(p.name for p in media.rglob("*") if p.is_file()) == files
    assert audit.verify().ok


@pytest.mark.django_db
@pytest.mark.parametrize("at", [
    datetime(2025, 10, 9, 8, 5, tzinfo=clock.SHANGHAI),  # the day after the National Day week
    datetime(2026, 2, 24, 23, 50, tzinfo=clock.SHANGHAI),  # after Spring Festival, just before midnight
])
def test_demo_loads_lawfully_around_holidays(at: datetime, media: Path) -> None:
    with clock.frozen(at):
        load_demo()
    assert set(AuctionRound.objects.values_list("status", flat=True)) == EVERY_STATUS
    live = AuctionRound.objects.get(status=S.BIDDING, effective_end__lte=at + timedelta(hours=1))
    assert timedelta(minutes=30) <= live.effective_end - at <= timedelta(minutes=55)
    assert audit.verify().ok
