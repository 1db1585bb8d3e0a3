"""Forms of the finance and payment pages. Money is typed in yuan and cleaned to fen (YuanField);
the services check every rule again and their errors are put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from auction.models import Court
from core.forms import YuanField
from settlement import gateways

MAX_STATEMENT_BYTES = 10 * 1024 * 1024


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
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."), code="file_too_large")
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
