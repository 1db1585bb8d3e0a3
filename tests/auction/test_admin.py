"""The Django admin: every model is registered and its pages load; what the services govern is
read-only (no add, change or delete) and links to the staff page; courts, memberships, users and
the holiday calendar stay editable."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import reverse

from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
    CourtMembership,
    Encumbrance,
    Lease,
    Lot,
    LotAttachment,
    LotPhoto,
    Notification,
    PanelDecision,
    Party,
    PriorityHolder,
    TaxAllocation,
)
from core import clock
from core.models import AuditChainHead, AuditRecord, CalendarDay, User
from tests import builders

S = AuctionRound.Status
READ_ONLY: list[type[Model]] = [Case, Party, Claim, Lot, LotPhoto, LotAttachment, Encumbrance, Lease, TaxAllocation,
                                PriorityHolder, AuctionRound, PanelDecision, Notification, AuditRecord, AuditChainHead]
EDITABLE: list[type[Model]] = [Court, CourtMembership, CalendarDay, User]
# Where the change page of a read-only object links to: the staff page of it or of its parent.
STAFF_LINKS = {
    Case: lambda o: reverse("staff:case_detail", args=[o.pk]),
    Party: lambda o: reverse("staff:case_detail", args=[o.case_id]),
    Claim: lambda o: reverse("staff:case_detail", args=[o.case_id]),
    Lot: lambda o: reverse("staff:lot_detail", args=[o.pk]),
    LotPhoto: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    LotAttachment: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    Encumbrance: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    Lease: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    TaxAllocation: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    PriorityHolder: lambda o: reverse("staff:lot_detail", args=[o.lot_id]),
    AuctionRound: lambda o: reverse("staff:round_detail", args=[o.pk]),
    PanelDecision: lambda o: reverse("staff:round_detail", args=[o.round_id]),
    Notification: lambda o: reverse("staff:round_detail", args=[o.round_id]),
}


def admin_url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.org", "pw-not-used-1234")


@pytest.fixture
def admin_client(client: Client, superuser: User) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(superuser)
    return client


@pytest.fixture
def every_model(court: builders.Court, judge: builders.User, frozen: clock.FrozenClock) -> AuctionRound:
    """One row of every model, written the way the system writes them."""
    lot = builders.lot(builders.case(court))
    lot.encumbrances.create(kind="mortgage", holder="某银行", survives_sale=False, amount_fen=30_000_000)
    lot.leases.create(tenant="王某", start=date(2025, 1, 1), end=date(2027, 12, 31), rent_fen=500_000,
                      rent_period="month")
    lot.priority_holders.create(name="王某", basis="tenant")
    applicant = lot.case.parties.get(role=Party.Role.APPLICANT)
    Claim.objects.create(case=lot.case, creditor=applicant, title_document="判决书", principal_fen=50_000_000)
    return builders.round_in(S.PANEL_APPROVED, judge=judge, frozen=frozen, lot_obj=lot)


def test_every_model_is_registered() -> None:
    registered = set(admin.site._registry)
    assert set(READ_ONLY) | set(EDITABLE) <= registered


@pytest.mark.django_db
def test_read_only_models_cannot_be_added_changed_or_deleted(superuser: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model in READ_ONLY:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert model_admin.has_view_permission(request), model
    for model in EDITABLE:
        model_admin = admin.site._registry[model]
        assert model_admin.has_add_permission(request), model
        assert model_admin.has_change_permission(request), model


@pytest.mark.django_db
def test_admin_pages_load_and_read_only_pages_link_to_the_staff_pages(admin_client: Client,
                                                                      every_model: AuctionRound) -> None:
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "fapai administration" in index.content.decode()
    for model in READ_ONLY + EDITABLE:
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200, model
        assert admin_client.get(admin_url(model, "changelist"), {"q": "某"}).status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        page = admin_client.get(admin_url(model, "change", obj.pk))
        assert page.status_code == 200, model
        html = page.content.decode()
        if model in READ_ONLY:
            assert 'name="_save"' not in html, model
            assert admin_client.get(admin_url(model, "add")).status_code == 403, model
        else:
            assert 'name="_save"' in html, model
        if model in STAFF_LINKS:
            assert f'href="{STAFF_LINKS[model](obj)}"' in html, model


@pytest.mark.django_db
def test_audit_records_link_to_the_staff_page_of_their_object(admin_client: Client,
                                                              every_model: AuctionRound) -> None:
    record = AuditRecord.objects.get(action="round.panel_approve", object_id=str(every_model.pk))
    html = admin_client.get(admin_url(AuditRecord, "change", record.pk)).content.decode()
    assert f'href="{reverse("staff:round_detail", args=[every_model.pk])}"' in html


@pytest.mark.django_db
def test_read_only_objects_are_not_changed_by_a_post(admin_client: Client, every_model: AuctionRound) -> None:
    response = admin_client.post(admin_url(AuctionRound, "change", every_model.pk),
                                 {"start_price_fen": "1", "status": "sold"})
    assert response.status_code == 403
    every_model.refresh_from_db()
    assert every_model.status == S.PANEL_APPROVED
    response = admin_client.post(admin_url(AuctionRound, "delete", every_model.pk), {"post": "yes"})
    assert response.status_code == 403
    assert AuctionRound.objects.filter(pk=every_model.pk).exists()
