"""Admin for the bidding app. Everything here is read-only except adding barred persons, which goes
through bidding.services (keyed hash and masked number only). Identity numbers appear only masked;
registrations, which carry bidder codes, are listed only for rounds that have finished, so no admin
screen links a code to a person while a round runs (WP art.18)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from bidding import selectors, services
from bidding.forms import person_fields
from bidding.models import (
    BarredPerson,
    BidderProfile,
    PromptAcceptance,
    Registration,
    Review,
    RoundScreening,
    ScreeningDecision,
)
from bidding.services import PersonInput
from core.admin import ReadOnlyAdmin, register_staff_page
from core.forms import apply_rule_errors

register_staff_page("bidding.review", "bidding:review_detail")


@admin.register(BidderProfile)
class BidderProfileAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "id_type", "id_masked", "user", "created_at")
    list_filter = ("kind", "id_type")
    search_fields = ("name", "user__username")
    fields = ("user", "kind", "name", "id_type", "id_masked", "nationality", "legal_representative", "phone",
              "created_at")


class PromptAcceptanceInline(admin.TabularInline):
    model = PromptAcceptance
    fields = ("position", "key", "accepted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ("id", "round", "code", "status", "capacity", "is_priority", "created_at")
    list_filter = ("status", "capacity", "is_priority")
    fields = ("round", "bidder", "status", "code", "capacity", "principal_name", "principal_id_masked",
              "qualification_required", "qualification_promised_at", "priority_holder", "is_priority",
              "priority_rank", "creditor_party", "deposit", "deposit_due_fen", "created_at", "qualified_at",
              "ended_at", "defaulted_at", "default_reason")
    inlines = [PromptAcceptanceInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Registration]:
        return super().get_queryset(request).filter(round__status__in=selectors.FINISHED).select_related(
            "round__lot", "bidder")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "submitted_at", "decided_at")
    list_filter = ("kind", "status")
    fields = ("kind", "status", "submitted_at", "decided_at", "decided_by", "note")


class ScreeningDecisionInline(admin.TabularInline):
    model = ScreeningDecision
    fields = ("decided_at", "decision", "decided_by", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoundScreening)
class RoundScreeningAdmin(ReadOnlyAdmin):
    """Read-only: decisions are taken on the screening page (note required, audited)."""

    list_display = ("round", "stage", "score", "level", "review", "screened_at")
    list_filter = ("stage", "level", "review")
    fields = ("round", "stage", "score", "level", "review", "bidder_scores", "screened_at", "runs")
    inlines = [ScreeningDecisionInline]


class BarredPersonAddForm(forms.ModelForm):
    """The person is typed like everywhere else; the service keeps only the hash and the mask."""

    class Meta:
        model = BarredPerson
        fields = ["category", "court", "relation"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(person_fields())

    actor: Any = None

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(kind=data["kind"], name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                           nationality=data["nationality"], legal_representative=data["legal_representative"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                services.check_barred_add(actor=self.actor, category=data["category"], person=self.person(),
                                          court=data.get("court"), relation=data.get("relation") or "")
            except ValidationError as exc:
                apply_rule_errors(self, exc)
        return data


@admin.register(BarredPerson)
class BarredPersonAdmin(admin.ModelAdmin):
    list_display = ("name", "id_masked", "category", "court", "added_at", "removed_at")
    list_filter = ("category", "court")
    search_fields = ("name", "id_masked")
    readonly_fields = ("name", "id_type", "id_masked", "category", "court", "relation", "added_by", "added_at",
                       "removed_at", "removed_by", "removal_reason")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = type("BarredPersonAddFormFor", (BarredPersonAddForm,), {"actor": request.user})
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["category", "court", "relation", "kind", "name", "id_type", "id_number", "nationality",
                    "legal_representative"]
        return self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BarredPerson, form: Any, change: bool) -> None:
        # The form ran the same checks; the service repeats them and writes the hash, the mask and the audit.
        created = services.barred_add(actor=request.user, category=form.cleaned_data["category"],
                                      person=form.person(), court=form.cleaned_data["court"],
                                      relation=form.cleaned_data["relation"] or "")
        obj.pk = created.pk
        obj.refresh_from_db()
