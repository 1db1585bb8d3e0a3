"""Forms of the valuation pages. They only parse input (yuan → fen, dates, files checked by content)
and offer the choices that make sense in the valuation's state; every rule is checked by
valuation.services, whose errors core.forms.apply_rule_errors puts back on these fields."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from auction.models import Lot, Party
from core import clock
from core.forms import DateField, YuanField
from core.uploads import validate_document
from valuation import services
from valuation.models import (
    Agency,
    AppraisalSelection,
    Delivery,
    DirectedInquiry,
    MethodStep,
    Objection,
    Report,
    Valuation,
)

M = Lot.ReferenceMethod
OS = Objection.Status


class ActionForm(forms.Form):
    """A form of one action on the valuation page. Service errors name fields such as `price_fen`;
    FIELD_MAP puts them on the form's own fields."""

    FIELD_MAP: ClassVar[dict[str, str]] = {"price_fen": "price", "corrected_price_fen": "corrected_price",
                                           "inquiry_fee_fen": "inquiry_fee", "actual_expenses_fen": "actual_expenses",
                                           "days": "days"}

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.valuation = valuation


def _text(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class OpenForm(forms.Form):
    opened_on = DateField(label=_("Opened on"), initial=clock.today)


class EmptyForm(ActionForm):
    """An action with nothing to fill in: the button says it all."""


class InvestigationForm(ActionForm):
    note = forms.CharField(label=_("Findings"), required=False, widget=_text(3))

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {**valuation.investigation, "note": valuation.investigation_note})
        super().__init__(*args, valuation=valuation, **kwargs)
        items = {key: forms.BooleanField(label=label, required=False) for key, label in services.INVESTIGATION_ITEMS}
        self.fields = {**items, "note": self.fields["note"]}

    def items(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(key)) for key, _label in services.INVESTIGATION_ITEMS}


def _grounds(allowed: set[str]) -> list[tuple[str, Any]]:
    return [(value, label) for value, label in MethodStep.Ground.choices if value in allowed]


class SkipForm(ActionForm):
    ground = forms.ChoiceField(label=_("Legal ground"))
    reason = forms.CharField(label=_("Explanation"), required=False, widget=_text())

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        method = services.next_method(valuation)
        self.method = method or ""
        self.fields["ground"].choices = _grounds(services.SKIP_GROUNDS.get(self.method, set()))  # type: ignore[attr-defined]


class FailForm(ActionForm):
    ground = forms.ChoiceField(label=_("Legal ground"))
    reason = forms.CharField(label=_("Explanation"), required=False, widget=_text())

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        step = valuation.steps.filter(outcome=MethodStep.Outcome.IN_PROGRESS).first()
        allowed = services.FAIL_GROUNDS.get(step.method, set()) if step else set()
        self.fields["ground"].choices = _grounds(allowed)  # type: ignore[attr-defined]


class ProposalForm(ActionForm):
    party = forms.ModelChoiceField(label=_("Party"), queryset=Party.objects.none())
    price = YuanField(label=_("Proposed price (yuan)"))
    proposed_on = DateField(label=_("Proposed on"), initial=clock.today)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["party"].queryset = valuation.lot.case.parties.filter(  # type: ignore[attr-defined]
            role__in=[Party.Role.APPLICANT, Party.Role.DEBTOR])


class ConcludeForm(ActionForm):
    harms_nobody = forms.BooleanField(label=_("The agreed price harms nobody's lawful rights (RP art.4)"),
                                      required=False)
    valid_until = DateField(label=_("Valid until (agreed; at most one year)"), required=False)


class DirectedSendForm(ActionForm):
    institution = forms.CharField(label=_("Institution"), max_length=150,
                                  help_text=_("Where the property lies, e.g. the tax bureau or the price authority."))
    basis = forms.ChoiceField(label=_("Price basis"), choices=DirectedInquiry.Basis.choices)
    requested_on = DateField(label=_("Letter sent on"), initial=clock.today)
    due_on = DateField(label=_("Answer due on (set in the letter)"))
    letter_reference = forms.CharField(label=_("Letter reference"), required=False, max_length=100)


class ReportFieldsForm(ActionForm):
    price = YuanField(label=_("Result (yuan)"))
    report_date = DateField(label=_("Report date"), initial=clock.today)
    received_on = DateField(label=_("Received on"), initial=clock.today)
    number = forms.CharField(label=_("Report number"), required=False, max_length=100)
    document = forms.FileField(label=_("Report (PDF, JPEG or PNG)"), required=False, validators=[validate_document])
    valid_until = DateField(label=_("Valid until (as the report states; at most one year)"), required=False)

    def report_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"price_fen": data["price"], "report_date": data["report_date"], "received_on": data["received_on"],
                "number": data["number"], "document": data["document"], "valid_until": data["valid_until"]}


def _platform_reports(valuation: Valuation) -> QuerySet[Report]:
    return valuation.reports.filter(kind=Report.Kind.ONLINE_INQUIRY, received_on__isnull=True)


class InquiryResultForm(ReportFieldsForm):
    report = forms.ModelChoiceField(label=_("Platform"), queryset=Report.objects.none())

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["report"].queryset = _platform_reports(valuation)  # type: ignore[attr-defined]
        self.order_fields(["report"])


class ExtensionRequestForm(ActionForm):
    report = forms.ModelChoiceField(label=_("Platform"), queryset=Report.objects.none())
    requested_on = DateField(label=_("Asked on"), initial=clock.today)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["report"].queryset = _platform_reports(valuation).filter(  # type: ignore[attr-defined]
            extension_requested_on__isnull=True)


def _agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(active=True)


class AgreedForm(ActionForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"agencies": "first"}

    specialty = forms.ChoiceField(label=_("Specialty"), choices=Agency.Specialty.choices)
    first = forms.ModelChoiceField(label=_("First agency"), queryset=_agencies())
    second = forms.ModelChoiceField(label=_("Second agency"), queryset=_agencies())
    third = forms.ModelChoiceField(label=_("Third agency"), queryset=_agencies())
    agreement_reference = forms.CharField(label=_("Where the agreement is recorded"), max_length=150)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        for name in ("first", "second", "third"):
            self.fields[name].queryset = _agencies()  # type: ignore[attr-defined]


class LotteryForm(ActionForm):
    specialty = forms.ChoiceField(label=_("Specialty"), choices=Agency.Specialty.choices)
    scope = forms.ChoiceField(label=_("List to draw from"), choices=AppraisalSelection.Scope.choices,
                              initial=AppraisalSelection.Scope.CITY)
    reason = forms.CharField(label=_("Why by lottery"), max_length=200,
                             help_text=_("The parties did not agree in time, or a party cannot be found (RP art.16)."))


class AppraisalExtendForm(ActionForm):
    days = forms.IntegerField(label=_("Days (at most 15)"), min_value=1, max_value=365)
    requested_on = DateField(label=_("Asked on"), initial=clock.today)


class DeliverForm(ActionForm):
    party = forms.ModelChoiceField(label=_("Party"), queryset=Party.objects.none())
    method = forms.ChoiceField(label=_("How"), choices=Delivery.Method.choices)
    delivered_on = DateField(label=_("Served or published on"), initial=clock.today)
    proof = forms.CharField(label=_("Proof"), max_length=200)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["party"].queryset = valuation.lot.case.parties.all()  # type: ignore[attr-defined]


class ObjectionForm(ActionForm):
    report = forms.ModelChoiceField(label=_("Report"), queryset=Report.objects.none())
    party = forms.ModelChoiceField(label=_("Objecting party"), queryset=Party.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Objection.Kind.choices)
    ground = forms.ChoiceField(label=_("Ground"), choices=Objection.Ground.choices)
    grounds_text = forms.CharField(label=_("The objection"), widget=_text(3))
    filed_on = DateField(label=pgettext_lazy("objection", "Filed on"), initial=clock.today)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["report"].queryset = valuation.reports.filter(  # type: ignore[attr-defined]
            kind__in=[Report.Kind.ONLINE_INQUIRY, Report.Kind.APPRAISAL], deliveries__isnull=False).distinct()
        self.fields["party"].queryset = valuation.lot.case.parties.all()  # type: ignore[attr-defined]


class _ObjectionStepForm(ActionForm):
    STATUSES: ClassVar[list[str]] = []
    objection = forms.ModelChoiceField(label=_("Objection"), queryset=Objection.objects.none())

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        qs = valuation.objections.filter(status__in=self.STATUSES).select_related("party", "report")
        self.fields["objection"].queryset = qs  # type: ignore[attr-defined]
        self.order_fields(["objection"])


class ForwardForm(_ObjectionStepForm):
    STATUSES = [OS.FILED]
    forwarded_on = DateField(label=_("Sent to the agency on"), initial=clock.today)

    def __init__(self, *args: Any, valuation: Valuation, **kwargs: Any) -> None:
        super().__init__(*args, valuation=valuation, **kwargs)
        self.fields["objection"].queryset = self.fields["objection"].queryset.filter(  # type: ignore[attr-defined]
            kind=Objection.Kind.METHOD_RESULT)


class ExplainForm(_ObjectionStepForm):
    STATUSES = [OS.FORWARDED]
    explained_on = DateField(label=_("Explained on"), initial=clock.today)
    explanation = forms.CharField(label=_("The agency's explanation"), widget=_text(3))


class ReviewForm(_ObjectionStepForm):
    STATUSES = [OS.FORWARDED, OS.EXPLAINED]
    review_body = forms.CharField(label=_("Industry association"), max_length=150)
    referred_on = DateField(label=_("Referred on"), initial=clock.today)


class DecideForm(_ObjectionStepForm):
    STATUSES = [OS.FILED, OS.EXPLAINED, OS.IN_REVIEW]
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Objection.Outcome.choices)
    corrected_price = YuanField(label=_("Corrected result (yuan)"), required=False)
    decided_on = DateField(label=pgettext_lazy("objection", "Decided on"), initial=clock.today)
    decision_reference = forms.CharField(label=_("Ruling, explanation or review reference"), max_length=150)


class StayForm(ActionForm):
    ground = forms.ChoiceField(label=_("Ground"), choices=Valuation.StayGround.choices)
    reason = forms.CharField(label=_("Reason"), widget=_text())


class ResumeForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), widget=_text())


class WithdrawForm(ActionForm):
    ground = forms.ChoiceField(label=_("Ground"), choices=Valuation.WithdrawGround.choices)
    reason = forms.CharField(label=_("Reason"), widget=_text())


class CostsForm(ActionForm):
    inquiry_fee = YuanField(label=_("Online inquiry fee (yuan)"), required=False)
    appraisal_fee_rate_bp = forms.IntegerField(label=_("Appraisal fee rate (basis points, 1 bp = 0.01%)"),
                                               required=False, min_value=0, max_value=10_000)
    actual_expenses = YuanField(label=_("Agency's reasonable actual expenses (yuan)"), required=False)
