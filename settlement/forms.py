"""Forms of the finance and payment pages. Money is typed in yuan and cleaned to fen (YuanField);
the services check every rule again and their errors are put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from auction.models import Court, Party
from core.forms import YuanField
from settlement import gateways, statements
from settlement.models import CaseCost, DistributionLine, DistributionPlan, PayoutDelay


class StatementUploadForm(forms.Form):
    court = forms.ModelChoiceField(queryset=Court.objects.none(), label=_("Court account"), empty_label=None)
    file = forms.FileField(label=_("Statement file"),
                           help_text=_("CSV (see the column names in the documentation) or CAMT.053 XML, as exported "
                                       "from the bank, at most 10 MB."))

    def __init__(self, *args: Any, courts: QuerySet[Court], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["court"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = courts

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = statements.max_bytes()  # refused before the file is read; the import checks again
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB."), code="file_too_large",
                                        params={"limit": limit // (1024 * 1024)})
        return upload


class ClaimAssignForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference of the deposit or balance"), max_length=40,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    reason = forms.CharField(label=_("Reason (recorded in the audit log)"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ClaimReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason (recorded in the audit log)"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
    payee_account = forms.CharField(label=_("Return to account"), max_length=60, required=False,
                                    help_text=_("Leave empty to return the money to the account it came from."))


class PayoutPaidForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank reference of the payment"), max_length=120)


class PaymentSettingsForm(forms.Form):
    gateways = forms.MultipleChoiceField(label=_("Payment methods accepted"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gateways"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, gateways.get(key).label) for key in gateways.enabled_keys()]

    FIELD_MAP = {"gateways_": "gateways"}


class BalanceOfflineForm(forms.Form):
    amount_fen = YuanField(label=_("Amount received (yuan)"))
    voucher = forms.CharField(label=_("Receipt voucher number (收据号)"), max_length=60)


class BalancePayForm(forms.Form):
    gateway = forms.ChoiceField(label=_("Payment method"))
    amount_fen = YuanField(label=_("Amount (yuan)"), help_text=_("You may pay the balance in several parts."))

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gateway"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(key, gateways.get(key).label) for key in allowed]


# --- case funds: costs, stays, the distribution plan, payouts ---------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"})


class CaseCostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseCost.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=200)
    amount_fen = YuanField(label=_("Amount (yuan)"))
    payee_name = forms.CharField(label=_("Payee"), max_length=140)
    payee_account = forms.CharField(label=_("Payee's account"), max_length=60, required=False)


class CaseStayForm(forms.Form):
    first_day = forms.DateField(label=_("First day"), widget=DATE)
    last_day = forms.DateField(label=_("Last day"), widget=DATE)
    requested_by_debtor = forms.BooleanField(label=_("Requested by the debtor (interest keeps running)"),
                                             required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PlanBuildForm(forms.Form):
    interest_stop_on = forms.DateField(
        label=_("Sale ruling took effect on"), widget=DATE, required=False,
        help_text=_("Late-performance interest runs until this day (LI art.3). Leave empty if no claim carries it."))
    note = forms.CharField(label=_("Reason for this version"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class PlanServeForm(forms.Form):
    plan = forms.IntegerField(widget=forms.HiddenInput)
    served_on = forms.DateField(label=_("Served on"), widget=DATE)


class ObjectionForm(forms.Form):
    line = forms.ModelChoiceField(label=_("Disputed line"), queryset=DistributionLine.objects.none())
    objector = forms.ModelChoiceField(label=_("Objector"), queryset=Party.objects.none())
    disputed_fen = YuanField(label=_("Disputed amount (yuan)"))
    filed_on = forms.DateField(label=_("Filed on"), widget=DATE)
    grounds = forms.CharField(label=_("Grounds"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, plan: DistributionPlan | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            line, objector = self.fields["line"], self.fields["objector"]
            assert isinstance(line, forms.ModelChoiceField) and isinstance(objector, forms.ModelChoiceField)
            line.queryset = plan.lines.exclude(tier=DistributionLine.Tier.SURPLUS).order_by("position")
            objector.queryset = Party.objects.filter(pk__in=plan.services.values("party_id"))


class CounterForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    party = forms.ModelChoiceField(label=_("Counter-objector"), queryset=Party.objects.none())
    countered_on = forms.DateField(label=_("Counter-objected on"), widget=DATE)
    grounds = forms.CharField(label=_("Grounds"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, plan: DistributionPlan | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            party = self.fields["party"]
            assert isinstance(party, forms.ModelChoiceField)
            party.queryset = Party.objects.filter(pk__in=plan.services.values("party_id"))


class SueForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    sued_on = forms.DateField(label=_("Suit filed on"), widget=DATE)
    suit_reference = forms.CharField(label=_("Suit case number"), max_length=60)


class ObjectionCloseForm(forms.Form):
    objection = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.ChoiceField(label=_("Outcome"), choices=[("decided", _("Decided by judgment")),
                                                            ("withdrawn", _("Withdrawn"))])
    resolution = forms.CharField(label=_("Judgment or withdrawal"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class PayoutPrepareForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    amount_fen = YuanField(label=_("Amount (yuan)"))
    payee_account = forms.CharField(label=_("Payee's account"), max_length=60, required=False)


class CasePayoutExecuteForm(forms.Form):
    bank_reference = forms.CharField(label=_("Bank reference of the payment"), max_length=120, required=False)
    escrow_reason = forms.CharField(
        label=_("Escrow (提存): why the payee cannot receive"), max_length=300, required=False,
        help_text=_("Only when the payee refuses, is missing or cannot be reached; the money goes to escrow."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (recorded in the audit log)"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DelayForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=PayoutDelay.Reason.choices)
    note = forms.CharField(label=_("Explanation"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class DelayEndForm(forms.Form):
    ended_on = forms.DateField(label=_("The reason ended on"), widget=DATE)


class ReconcileForm(forms.Form):
    gateway = forms.ChoiceField(label=_("Gateway"), choices=[("bank_transfer", _("Bank transfer")),
                                                             ("stripe", _("Card payment (Stripe)"))])
    day = forms.DateField(label=_("Up to the end of"), widget=DATE)
