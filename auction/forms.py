"""Forms of the court staff pages. They only parse input (yuan → fen, Beijing time → aware
datetimes, files checked by content); every rule is checked by auction.services, whose errors
`core.forms.apply_rule_errors` puts back on these fields through each form's FIELD_MAP."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from auction import services
from auction.models import (
    AuctionRound,
    Case,
    Claim,
    Court,
    Encumbrance,
    Lease,
    Lot,
    LotAttachment,
    Notification,
    Party,
    PriorityHolder,
    TaxAllocation,
)
from auction.staff_selectors import RoundHints
from core.forms import BeijingDateTimeField, DateField, DateInput, YuanField
from core.money import format_fen
from core.uploads import validate_document, validate_image

K = AuctionRound.Kind


class StaffForm(forms.Form):
    """A form whose service errors may use other names than its fields."""

    FIELD_MAP: ClassVar[dict[str, str]] = {}


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- cases -------------------------------------------------------------------------------------------


class CaseForm(StaffForm):
    court = forms.ModelChoiceField(label=_("Court"), queryset=Court.objects.none())
    number = forms.CharField(label=_("Case number"), max_length=40,
                             help_text=_("Official format, e.g. （2024）京0105执1234号."))
    cause = forms.CharField(label=_("Cause of action"), max_length=100)
    filed_on = DateField(label=_("Filed on"))
    platform_chosen_by = forms.ChoiceField(label=_("Platform chosen by"), choices=Case.PlatformChosenBy.choices,
                                           help_text=_("WP art.5"))

    def __init__(self, *args: Any, courts: QuerySet[Court], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["court"].queryset = courts  # type: ignore[attr-defined]
        if len(courts) == 1:
            self.fields["court"].initial = courts[0]


class PartyForm(StaffForm):
    role = forms.ChoiceField(label=_("Role"), choices=Party.Role.choices)
    kind = forms.ChoiceField(label=_("Type"), choices=Party.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    contact = forms.CharField(label=_("Contact (address or phone)"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email for notices"), required=False,
                             help_text=_("Valuation results and other notices from the court are sent here."))


class ClaimForm(StaffForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"principal_fen": "principal", "interest_fen": "interest"}

    creditor = forms.ModelChoiceField(label=_("Creditor"), queryset=Party.objects.none())
    title_document = forms.CharField(label=_("Enforceable title"), max_length=200)
    principal = YuanField(label=_("Principal (yuan)"))
    interest = YuanField(label=_("Interest (yuan)"), required=False)
    priority_class = forms.ChoiceField(label=_("Priority class"), choices=Claim.PriorityClass.choices,
                                       initial=Claim.PriorityClass.ORDINARY)
    secured_lot = forms.ModelChoiceField(label=_("Secured lot"), queryset=Lot.objects.none(), required=False)
    registered_on = DateField(label=_("Registration date"), required=False)
    seizure_order = forms.IntegerField(label=_("Seizure order"), min_value=1, required=False)
    performance_due_on = DateField(label=_("End of performance period"), required=False)
    verified = forms.BooleanField(label=_("Verified by the court"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = case.parties.exclude(  # type: ignore[attr-defined]
            role=Party.Role.DEBTOR)
        self.fields["secured_lot"].queryset = case.lots.all()  # type: ignore[attr-defined]


# --- lots ----------------------------------------------------------------------------------------------


class LotForm(forms.ModelForm):
    """All the descriptive fields of a lot (services.LOT_FIELDS); the reference price has its own form."""

    FIELD_MAP: ClassVar[dict[str, str]] = {}

    class Meta:
        model = Lot
        fields = services.LOT_FIELDS
        widgets = {
            "seized_on": DateInput(),
            "description": _textarea(5),
            "occupancy": _textarea(),
            "known_defects": _textarea(),
            "special_qualifications": _textarea(),
            "viewing": _textarea(),
        }
        field_classes = {"seized_on": DateField}


class PhotoForm(StaffForm):
    image = forms.FileField(label=_("Photo (JPEG, PNG or WebP)"), validators=[validate_image],
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    caption = forms.CharField(label=_("Caption (text alternative)"), max_length=200)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0, required=False)


class AttachmentForm(StaffForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=LotAttachment.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"), validators=[validate_document])


class EncumbranceForm(StaffForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"amount_fen": "amount"}

    kind = forms.ChoiceField(label=_("Kind"), choices=Encumbrance.Kind.choices)
    holder = forms.CharField(label=_("Holder"), max_length=100)
    description = forms.CharField(label=_("Description"), widget=_textarea(2), required=False)
    amount = YuanField(label=_("Secured amount (yuan)"), required=False)
    registered_on = DateField(label=_("Registered on"), required=False)
    survives_sale = forms.BooleanField(label=_("Survives the sale"), required=False,
                                       help_text=_("Leases and usufructs survive; security rights end (PB art.28)."))


class LeaseForm(StaffForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"rent_fen": "rent"}

    tenant = forms.CharField(label=_("Tenant"), max_length=100)
    start = DateField(label=_("Lease start"))
    end = DateField(label=_("Lease end"))
    rent = YuanField(label=_("Rent (yuan)"))
    rent_period = forms.ChoiceField(label=_("Rent period"), choices=Lease.RentPeriod.choices)
    rent_prepaid_until = DateField(label=_("Rent prepaid until"), required=False)
    note = forms.CharField(label=_("Note"), widget=_textarea(2), required=False)


class TaxForm(StaffForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"estimate_fen": "estimate"}

    tax = forms.ChoiceField(label=_("Tax or arrear"), choices=TaxAllocation.Tax.choices)
    payer = forms.ChoiceField(label=_("Borne by"), choices=TaxAllocation.Payer.choices)
    estimate = YuanField(label=_("Estimate (yuan)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class PriorityHolderForm(StaffForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    basis = forms.ChoiceField(label=_("Basis of the right"), choices=PriorityHolder.Basis.choices)
    rank = forms.IntegerField(label=_("Rank (1 is first)"), min_value=1, initial=1)
    contact = forms.CharField(label=_("Contact"), max_length=200, required=False)


class ReasonForm(StaffForm):
    """A published or audited reason. Emptiness is judged by the service, which says why it is needed."""

    reason = forms.CharField(label=_("Reason"), widget=_textarea(2), required=False)


class StopForm(ReasonForm):
    reason = forms.CharField(label=_("Public reason"), widget=_textarea(2), required=False,
                             help_text=_("Published with the round (WP art.28)."))


class ReferencePriceForm(StaffForm):
    # The service reports its own argument names; the model check inside it reports the Lot's fields.
    FIELD_MAP: ClassVar[dict[str, str]] = {
        "price_fen": "price", "reference_price_fen": "price", "reference_method": "method",
        "reference_fixed_on": "fixed_on", "reference_valid_until": "valid_until", "reference_note": "note",
        "reference_document": "document"}

    price = YuanField(label=_("Reference price (yuan)"))
    method = forms.ChoiceField(label=_("Method"), choices=Lot.ReferenceMethod.choices)
    fixed_on = DateField(label=_("Fixed on"))
    valid_until = DateField(label=_("Valid until"), help_text=_("At most one year (RP art.27)."))
    note = forms.CharField(label=_("Source (report number)"), max_length=200, required=False)
    document = forms.FileField(label=_("Source document (PDF, JPEG or PNG)"), validators=[validate_document],
                               required=False)

    @classmethod
    def initial_for(cls, lot: Lot) -> dict[str, Any]:
        return {"price": lot.reference_price_fen, "method": lot.reference_method, "fixed_on": lot.reference_fixed_on,
                "valid_until": lot.reference_valid_until, "note": lot.reference_note}


# --- rounds ------------------------------------------------------------------------------------------


class RoundForm(StaffForm):
    """Terms and texts of a round. After the panel decision the price fields are shown but locked
    (WP art.27); the service refuses any change to them anyway."""

    FIELD_MAP: ClassVar[dict[str, str]] = {"start_price_fen": "start_price", "increment_fen": "increment",
                                           "deposit_fen": "deposit"}
    LOCKED = ("start_price", "increment", "deposit")

    start_price = YuanField(label=_("Start price = reserve (yuan)"))
    increment = YuanField(label=_("Bid increment (yuan)"))
    deposit = YuanField(label=_("Deposit (yuan)"))
    bidding_start = BeijingDateTimeField(label=_("Bidding starts (Beijing time)"))
    bidding_end = BeijingDateTimeField(label=_("Bidding ends (Beijing time)"))
    notice_text = forms.CharField(label=_("Auction notice (竞买公告)"), widget=_textarea(6), required=False)
    terms_text = forms.CharField(label=_("Bidding terms (竞买须知)"), widget=_textarea(6), required=False)
    payment_text = forms.CharField(label=_("Deposit, payment method and account"), widget=_textarea(3),
                                   required=False)
    judgment_secret = forms.BooleanField(label=_("The judgment is not published (secret)"), required=False)
    judgment_secret_reason = forms.CharField(label=_("Why the judgment is not published"), max_length=200,
                                             required=False)
    balance_due_days = forms.IntegerField(label=_("Days to pay the balance"), min_value=1, initial=10)

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            for name in self.LOCKED:
                self.fields[name].disabled = True

    @classmethod
    def initial_for(cls, rnd: AuctionRound) -> dict[str, Any]:
        initial: dict[str, Any] = {"start_price": rnd.start_price_fen, "increment": rnd.increment_fen,
                                   "deposit": rnd.deposit_fen}
        initial.update({name: getattr(rnd, name) for name in ("bidding_start", "bidding_end", *services.TEXT_FIELDS)})
        return initial

    def show_hints(self, hints: RoundHints) -> None:
        """Put the lawful bounds (staff_selectors.round_hints) next to the inputs they concern."""
        if self.locked:
            self.fields["start_price"].help_text = _("Fixed by the collegial panel (WP art.27).")
        elif hints.kind == K.FIRST and hints.min_start_fen is not None and hints.reference_fen is not None:
            self.fields["start_price"].help_text = _(
                "Lowest lawful start: %(min)s, 70%% of the reference price %(ref)s (WP art.10).") % {
                "min": format_fen(hints.min_start_fen), "ref": format_fen(hints.reference_fen)}
        elif hints.kind == K.FIRST:
            self.fields["start_price"].help_text = _("The lot has no reference price yet (RP art.30).")
        elif hints.kind == K.SECOND and hints.min_start_fen is not None and hints.previous_start_fen is not None:
            self.fields["start_price"].help_text = _(
                "Lowest lawful start: %(min)s, 80%% of the previous start %(prev)s (WP art.26).") % {
                "min": format_fen(hints.min_start_fen), "prev": format_fen(hints.previous_start_fen)}
        elif hints.kind == K.SELL_OFF and hints.min_start_fen is not None:
            self.fields["start_price"].help_text = _(
                "The sell-off price is the second auction's start price: %(price)s.") % {
                "price": format_fen(hints.min_start_fen)}
        if hints.kind == K.SELL_OFF and hints.deposit_low_fen is not None:
            self.fields["deposit"].help_text = _("A sell-off bidder prepays the full price: %(price)s.") % {
                "price": format_fen(hints.deposit_low_fen)}
        elif hints.deposit_low_fen is not None and hints.deposit_high_fen is not None:
            self.fields["deposit"].help_text = _(
                "5%%–20%% of the start price %(start)s: from %(low)s to %(high)s (WP art.17).") % {
                "start": format_fen(hints.deposit_base_fen or 0), "low": format_fen(hints.deposit_low_fen),
                "high": format_fen(hints.deposit_high_fen)}
        if hints.earliest_bidding_on is not None:
            self.fields["bidding_start"].help_text = _(
                "If the notice were published today, bidding could start on %(date)s at the earliest "
                "(%(days)s days' notice, WP arts.12, 26).") % {
                "date": hints.earliest_bidding_on.isoformat(), "days": hints.notice_days}
        self.fields["bidding_end"].help_text = (
            _("A sell-off lasts 60 days.") if hints.kind == K.SELL_OFF
            else _("Bidding lasts at least 24 hours (WP art.20); late bids extend it by 5 minutes."))

    def terms(self) -> services.RoundTerms:
        data = self.cleaned_data
        return services.RoundTerms(data["start_price"], data["increment"], data["deposit"], data["bidding_start"],
                                   data["bidding_end"])

    def texts(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in services.TEXT_FIELDS}


class NotificationForm(StaffForm):
    FIELD_MAP: ClassVar[dict[str, str]] = {"party": "recipient", "priority_holder": "recipient"}

    recipient = forms.ChoiceField(label=_("Recipient"))
    method = forms.ChoiceField(label=_("Method"), choices=Notification.Method.choices)
    at = BeijingDateTimeField(label=_("Served, posted or waived at (Beijing time)"))
    proof = forms.CharField(label=_("Proof (reference)"), max_length=200, required=False)
    unreachable_reason = forms.CharField(label=_("Why the recipient could not be reached"), max_length=200,
                                         required=False, help_text=_("Required for a public posting (WP art.16)."))

    def __init__(self, *args: Any, rnd: AuctionRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parties = {str(p.pk): p for p in rnd.lot.case.parties.all()}
        self._holders = {str(h.pk): h for h in rnd.lot.priority_holders.all()}
        self.fields["recipient"].choices = [  # type: ignore[attr-defined]
            (_("Parties"), [(f"party:{pk}", str(p)) for pk, p in self._parties.items()]),
            (_("Priority holders"), [(f"holder:{pk}", str(h)) for pk, h in self._holders.items()]),
        ]

    def recipient_kwargs(self) -> dict[str, Any]:
        """The service's keyword for the chosen recipient: party= or priority_holder=."""
        kind, _sep, pk = self.cleaned_data["recipient"].partition(":")
        if kind == "party":
            return {"party": self._parties[pk]}
        return {"priority_holder": self._holders[pk]}


class PanelDecisionForm(StaffForm):
    members = forms.CharField(label=_("Panel members (one per line)"), widget=_textarea(3))
    decided_on = DateField(label=_("Decided on"))
    reference = forms.CharField(label=_("Decision reference"), max_length=100, required=False)
    document = forms.FileField(label=_("Decision document (optional)"), validators=[validate_document],
                               required=False)

    def member_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["members"].splitlines() if line.strip()]


class PublishForm(StaffForm):
    """No inputs: the errors of services.round_publish are listed on it."""


class ResumeForm(StaffForm):
    cause_ended_on = DateField(label=_("Cause of the stop ended on"))
    bidding_start = BeijingDateTimeField(label=_("New bidding start (Beijing time)"))
    bidding_end = BeijingDateTimeField(label=_("New bidding end (Beijing time)"))
    reason = forms.CharField(label=_("Public reason"), widget=_textarea(2), required=False)


class TakeInLieuForm(StaffForm):
    creditor = forms.ModelChoiceField(label=_("Creditor"), queryset=Party.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2), required=False)
    qualification_confirmed = forms.BooleanField(
        label=_("The creditor's purchase qualification is confirmed"), required=False,
        help_text=_("Needed for real estate under purchase restrictions (HQ art.5)."))

    def __init__(self, *args: Any, rnd: AuctionRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = rnd.lot.case.parties.exclude(  # type: ignore[attr-defined]
            role=Party.Role.DEBTOR)
