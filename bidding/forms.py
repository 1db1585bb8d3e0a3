"""Forms of the bidder and court pages. They only type and shape the input; every rule is checked by
bidding.services, whose RuleViolations `core.forms.apply_rule_errors` puts back on these fields."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from auction.models import Court, Party, PriorityHolder
from bidding.identity import IdType
from bidding.models import BarredPerson, PersonKind, Registration, RoundScreening
from bidding.services import PersonInput, RegistrationInput

ID_NUMBER_HELP = _("Resident ID: 18 characters, the last may be X. Unified social credit code: 18 characters. "
                   "It is stored encrypted and shown masked after entry.")


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def person_fields(required: bool = True) -> dict[str, forms.Field]:
    """The identity of a person or organisation: the bidder's, a principal's, a barred person's."""
    return {
        "kind": forms.ChoiceField(label=_("Type"), choices=PersonKind.choices, widget=forms.RadioSelect,
                                  required=required, initial=PersonKind.INDIVIDUAL),
        "name": forms.CharField(label=_("Real name (as on the document)"), max_length=100, required=required),
        "id_type": forms.ChoiceField(label=_("Identity document"), choices=IdType.choices, required=required),
        "id_number": forms.CharField(label=_("Document number"), max_length=30, required=required,
                                     help_text=ID_NUMBER_HELP,
                                     widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})),
        "nationality": forms.CharField(label=_("Nationality (passport only, three letters, e.g. USA)"),
                                       max_length=3, required=False),
        "legal_representative": forms.CharField(label=_("Legal representative (organisations only)"),
                                                max_length=100, required=False),
    }


class SignupForm(forms.Form):
    FIELD_MAP: ClassVar[dict[str, str]] = {}

    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Password again"),
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=30)
    address = forms.CharField(label=_("Contact address"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(person_fields())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(kind=data["kind"], name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                           nationality=data["nationality"], legal_representative=data["legal_representative"])


class RegistrationForm(forms.Form):
    """The first step of registering: the declaration and what the court must confirm."""

    declaration = forms.BooleanField(
        label=_("I declare that I am not, and do not bid for, the enforcing court, the platform operator, an "
                "auxiliary service body, any of their staff or a close relative of such staff (WP art.34)."),
        required=False)
    capacity = forms.ChoiceField(label=_("I register"), choices=Registration.Capacity.choices,
                                 widget=forms.RadioSelect, initial=Registration.Capacity.SELF)
    proxy_document = forms.FileField(label=_("Authorisation of the proxy (PDF or image)"), required=False)
    priority_holder = forms.ModelChoiceField(label=_("I hold a priority purchase right as"),
                                             queryset=PriorityHolder.objects.none(), required=False,
                                             empty_label=_("No priority purchase right"))
    priority_document = forms.FileField(label=_("Proof of the priority right (optional)"), required=False)
    creditor_party = forms.ModelChoiceField(label=_("I am the applicant creditor"), queryset=Party.objects.none(),
                                            required=False, empty_label=_("No"),
                                            help_text=_("The applicant creditor pays only the part of the deposit "
                                                        "its verified claims do not cover (WP art.17)."))
    creditor_document = forms.FileField(label=_("Proof of representing the applicant (optional)"), required=False)

    def __init__(self, *args: Any, holders: QuerySet[PriorityHolder], applicants: QuerySet[Party],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in person_fields(required=False).items():
            self.fields[f"principal_{name}"] = field
            field.label = _("Principal: %(field)s") % {"field": field.label}
        holder_field = self.fields["priority_holder"]
        assert isinstance(holder_field, forms.ModelChoiceField)
        holder_field.queryset = holders
        creditor_field = self.fields["creditor_party"]
        assert isinstance(creditor_field, forms.ModelChoiceField)
        creditor_field.queryset = applicants
        if not holders.exists():
            del self.fields["priority_holder"], self.fields["priority_document"]

    def principal_field_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith("principal_")]

    def data_for_service(self) -> RegistrationInput:
        data = self.cleaned_data
        principal = None
        if data["capacity"] == Registration.Capacity.PROXY:
            principal = PersonInput(
                kind=data["principal_kind"] or PersonKind.INDIVIDUAL, name=data["principal_name"],
                id_type=data["principal_id_type"], id_number=data["principal_id_number"],
                nationality=data["principal_nationality"],
                legal_representative=data["principal_legal_representative"])
        return RegistrationInput(
            declaration=data["declaration"], capacity=data["capacity"], principal=principal,
            proxy_document=data["proxy_document"], priority_holder=data.get("priority_holder"),
            priority_document=data.get("priority_document"), creditor_party=data["creditor_party"],
            creditor_document=data["creditor_document"])


class QualificationForm(forms.Form):
    promise = forms.BooleanField(label=_("I promise that I am qualified to buy this property under the local "
                                         "purchase rules, from now until the sale ruling (HQ arts.1–3)."),
                                 required=False)
    proof = forms.FileField(label=_("Proof of the purchase qualification (PDF or image)"), required=False)


class PaymentForm(forms.Form):
    gateway = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, gateways: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gateway"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = gateways
        if len(gateways) == 1:
            field.initial = gateways[0][0]


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[("approve", _("Confirm")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Reason or note"), widget=_textarea(2), required=False)


class BarredForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=BarredPerson.Category.choices)
    court = forms.ModelChoiceField(label=_("Court"), queryset=Court.objects.none())
    relation = forms.CharField(label=_("Relation (for a close relative)"), max_length=200, required=False)

    def __init__(self, *args: Any, courts: QuerySet[Court], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(person_fields())
        court_field = self.fields["court"]
        assert isinstance(court_field, forms.ModelChoiceField)
        court_field.queryset = courts
        if courts.count() == 1:
            court_field.initial = courts.first()

    def person(self) -> PersonInput:
        data = self.cleaned_data
        return PersonInput(kind=data["kind"], name=data["name"], id_type=data["id_type"], id_number=data["id_number"],
                           nationality=data["nationality"], legal_representative=data["legal_representative"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2))


class ScreeningDecisionForm(forms.Form):
    """The court's decision on a screened round; the note is required (docs/screening.md)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=[
        (value, label) for value, label in RoundScreening.Review.choices if value != RoundScreening.Review.OPEN])
    note = forms.CharField(label=_("Note"), widget=_textarea(3))


class DateForm(forms.Form):
    """One date, e.g. when the sale ruling was served or the property handed over."""

    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
