"""Courts, enforcement cases, parties, claims, lots (the seized assets) and auction rounds.

Every write goes through auction.services; the database constraints below are the last line of
defence for the invariants the services enforce with clear messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import clock
from core.uploads import RandomUploadTo, private_storage, validate_document, validate_image


class Court(models.Model):
    name = models.CharField(_("name (Chinese)"), max_length=100, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # 法院代字 as used in case numbers, e.g. 京0105 (《关于人民法院案件案号的若干规定》).
    case_code = models.CharField(_("court code in case numbers"), max_length=16, unique=True)
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("contact phone"), max_length=40)
    supervision_phone = models.CharField(_("supervision phone"), max_length=40)

    class Meta:
        verbose_name = _("court")
        verbose_name_plural = _("courts")
        ordering = ["case_code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class CourtMembership(models.Model):
    """Which courts a staff member acts for. Staff see and change only their courts' cases."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="court_memberships")
    court = models.ForeignKey(Court, verbose_name=_("court"), on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("court membership")
        verbose_name_plural = _("court memberships")
        constraints = [models.UniqueConstraint(fields=["user", "court"], name="unique_court_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.court}"


class Case(models.Model):
    class PlatformChosenBy(models.TextChoices):
        APPLICANT = "applicant", _("Chosen by the applicant")
        COURT = "court", _("Decided by the court")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    court = models.ForeignKey(Court, verbose_name=_("court"), on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("case number"), max_length=40, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    type_code = models.CharField(_("case type"), max_length=4)
    serial = models.PositiveIntegerField(_("serial"))
    cause = models.CharField(_("cause of action"), max_length=100)
    filed_on = models.DateField(_("filed on"))
    platform_chosen_by = models.CharField(
        _("platform chosen by"), max_length=10, choices=PlatformChosenBy.choices,
        default=PlatformChosenBy.APPLICANT, help_text=_("WP art.5"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")
        ordering = ["-year", "-serial"]

    def __str__(self) -> str:
        return self.number


class Party(models.Model):
    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant creditor")
        DEBTOR = "debtor", _("Debtor")
        CREDITOR = "creditor", _("Other creditor (joining the distribution)")

    class Kind(models.TextChoices):
        NATURAL_PERSON = "natural_person", _("Natural person")
        OTHER_ORG = "other_org", _("Other organisation")
        COMPANY = "company", _("Company (enterprise legal person)")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact (address or phone)"), max_length=200, blank=True)
    email = models.EmailField(_("email for notices"), blank=True)
    # The party's access to its case file (执行节点查询): only a hash is kept; issuing a new code
    # revokes the old one and every session opened with it.
    access_code_hash = models.CharField(_("access code (hash)"), max_length=128, blank=True)
    access_code_issued_at = models.DateTimeField(_("access code issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "role", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Claim(models.Model):
    class PriorityClass(models.TextChoices):
        CONSUMER_HOME_BUYER = "consumer_home_buyer", _("Consumer home buyer")
        CONSTRUCTION_PRICE = "construction_price", _("Construction price")
        LIEN = "lien", _("Lien")
        MORTGAGE = "mortgage", _("Mortgage")
        PLEDGE = "pledge", _("Pledge")
        TAX = "tax", _("Tax")
        ORDINARY = "ordinary", _("Ordinary claim")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="claims")
    creditor = models.ForeignKey(Party, verbose_name=_("creditor"), on_delete=models.PROTECT, related_name="claims")
    title_document = models.CharField(_("enforceable title"), max_length=200)
    principal_fen = models.BigIntegerField(_("principal (fen)"))
    interest_fen = models.BigIntegerField(_("interest (fen)"), default=0)
    priority_class = models.CharField(_("priority class"), max_length=24, choices=PriorityClass.choices,
                                      default=PriorityClass.ORDINARY)
    secured_lot = models.ForeignKey("Lot", verbose_name=_("secured lot"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="secured_claims")
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    seizure_order = models.PositiveIntegerField(_("seizure order"), null=True, blank=True)
    performance_due_on = models.DateField(_("end of performance period"), null=True, blank=True)
    # CW art.41: a construction-price priority must be asserted within 18 months of when the price was due.
    asserted_on = models.DateField(_("priority asserted on"), null=True, blank=True)
    verified = models.BooleanField(_("verified by the court"), default=False)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["case", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal_fen__gte=0) & Q(interest_fen__gte=0),
                                   name="claim_amounts_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.creditor.name}: {self.principal_fen}"

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen


class Lot(models.Model):
    """The seized asset offered for sale."""

    class AssetType(models.TextChoices):
        REAL_ESTATE = "real_estate", _("Real estate")
        VEHICLE = "vehicle", _("Vehicle")
        EQUITY = "equity", _("Equity")
        MOVABLE = "movable", _("Movable property")
        OTHER = "other", _("Other")

    class Nature(models.TextChoices):
        """What the notice period depends on (WP art.12): movables 15 days, the rest 30 days."""

        MOVABLE = "movable", _("Movable")
        IMMOVABLE = "immovable", _("Real estate")
        RIGHT = "right", _("Other property right")

    class Possession(models.TextChoices):
        """Never defaults to vacant: whoever occupies the property must be stated (PB art.28)."""

        NOT_STATED = "", _("Not stated")
        VACANT = "vacant", _("Vacant possession")
        TENANT = "tenant", _("Occupied by a tenant (lease survives)")
        DEBTOR = "debtor", _("Occupied by the debtor")
        OTHER = "other", _("Other occupant")
        NOT_APPLICABLE = "n/a", _("Not applicable")

    class ReferenceMethod(models.TextChoices):
        NEGOTIATION = "negotiation", _("Party negotiation (当事人议价)")
        DIRECTED_INQUIRY = "directed_inquiry", _("Directed inquiry (定向询价)")
        ONLINE_INQUIRY = "online_inquiry", _("Online inquiry (网络询价)")
        APPRAISAL = "appraisal", _("Commissioned appraisal (委托评估)")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="lots")
    asset_type = models.CharField(_("asset type"), max_length=12, choices=AssetType.choices)
    nature = models.CharField(_("property nature"), max_length=10, choices=Nature.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30, db_index=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    quantity_unit = models.CharField(_("unit"), max_length=20, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built / made"), null=True, blank=True)
    seized_on = models.DateField(_("seized on"))
    possession = models.CharField(_("possession at handover"), max_length=8, choices=Possession.choices,
                                  blank=True, default=Possession.NOT_STATED)
    occupancy = models.TextField(_("occupancy and use"), blank=True)
    known_defects = models.TextField(_("known defects"), blank=True,
                                     help_text=_("WP art.14(3); write “none known” explicitly if there are none."))
    special_qualifications = models.TextField(
        _("bidder qualifications"), blank=True,
        help_text=_("Special qualifications or purchase restrictions bidders must meet (WP art.14(1), HQ)."),
    )
    purchase_restricted = models.BooleanField(_("local purchase restrictions apply"), default=False)
    viewing = models.TextField(_("viewing (看样) arrangements"), blank=True)
    # The reference price is set only through auction.services.lot_set_reference_price (RP arts.2, 27).
    reference_price_fen = models.BigIntegerField(_("reference price (fen)"), null=True, blank=True)
    reference_method = models.CharField(_("reference price method"), max_length=20,
                                        choices=ReferenceMethod.choices, blank=True)
    reference_fixed_on = models.DateField(_("reference price fixed on"), null=True, blank=True)
    reference_valid_until = models.DateField(_("reference price valid until"), null=True, blank=True)
    reference_document = models.FileField(_("reference price document"), upload_to=RandomUploadTo("reference"),
                                          blank=True, validators=[validate_document])
    reference_note = models.CharField(_("reference price source"), max_length=200, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(reference_price_fen__isnull=True) | Q(reference_price_fen__gt=0),
                                   name="lot_reference_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def court(self) -> Court:
        return self.case.court

    @property
    def location(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district) if p)


class LotPhoto(models.Model):
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to=RandomUploadTo("photos"), validators=[validate_image])
    caption = models.CharField(_("caption (text alternative)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["lot", "position", "id"]

    def __str__(self) -> str:
        return self.caption


class LotAttachment(models.Model):
    class Kind(models.TextChoices):
        JUDGMENT = "judgment", _("Judgment or other enforceable title")
        PRICING_BASIS = "pricing_basis", _("Appraisal report or pricing basis")
        TITLE = "title", _("Title certificate")
        CONDITION = "condition", _("Condition and occupancy record")
        RULING = "ruling", _("Ruling or decision")
        OTHER = "other", _("Other")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=RandomUploadTo("attachments"), validators=[validate_document])
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["lot", "kind", "id"]

    def __str__(self) -> str:
        return self.title


class Encumbrance(models.Model):
    """Rights on the lot. Security rights end on sale and are paid from the proceeds; leases and
    usufructs survive unless the court removed them before the sale (PB art.28)."""

    class Kind(models.TextChoices):
        MORTGAGE = "mortgage", _("Mortgage")
        PLEDGE = "pledge", _("Pledge")
        LIEN = "lien", _("Lien")
        SEIZURE = "seizure", _("Seizure by another court")
        LEASE = "lease", _("Lease")
        USUFRUCT = "usufruct", _("Right of residence or other usufruct")
        OTHER = "other", _("Other")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="encumbrances")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    holder = models.CharField(_("holder"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    amount_fen = models.BigIntegerField(_("secured amount (fen)"), null=True, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    survives_sale = models.BooleanField(_("survives the sale"))

    class Meta:
        verbose_name = _("encumbrance")
        verbose_name_plural = _("encumbrances")
        ordering = ["lot", "registered_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.holder}"


class Lease(models.Model):
    """A lease survives the sale (买卖不破租赁, CC art.725); the buyer takes the property subject to it."""

    class RentPeriod(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")
        TOTAL = "total", _("for the whole term")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="leases")
    tenant = models.CharField(_("tenant"), max_length=100)
    start = models.DateField(_("lease start"))
    end = models.DateField(_("lease end"))
    rent_fen = models.BigIntegerField(_("rent (fen)"))
    rent_period = models.CharField(_("rent period"), max_length=8, choices=RentPeriod.choices)
    rent_prepaid_until = models.DateField(_("rent prepaid until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["lot", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="lease_end_after_start"),
            models.CheckConstraint(condition=Q(rent_fen__gte=0), name="lease_rent_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} {self.start}–{self.end}"


class TaxAllocation(models.Model):
    """Who bears each tax or arrear arising from the sale (WP arts.30, 13(9)). Never a blanket
    "buyer pays all": each item is listed with its payer and an estimate."""

    class Tax(models.TextChoices):
        DEED_TAX = "deed_tax", _("Deed tax (契税)")
        VAT = "vat", _("Value-added tax (增值税)")
        LAND_VAT = "land_vat", _("Land value-added tax (土地增值税)")
        INCOME_TAX = "income_tax", _("Income tax (所得税)")
        STAMP_DUTY = "stamp_duty", _("Stamp duty (印花税)")
        PROPERTY_FEES = "property_fees", _("Arrears of property management fees")
        UTILITIES = "utilities", _("Arrears of water, power and gas")
        OTHER = "other", _("Other")

    class Payer(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        DEBTOR = "debtor", _("Debtor (seller)")
        BY_LAW = "by_law", _("Each party as the law provides")
        COURT = "court", _("As the court decides")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="tax_allocations")
    tax = models.CharField(_("tax or arrear"), max_length=16, choices=Tax.choices)
    payer = models.CharField(_("borne by"), max_length=8, choices=Payer.choices)
    estimate_fen = models.BigIntegerField(_("estimate (fen)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tax allocation")
        verbose_name_plural = _("tax allocations")
        ordering = ["lot", "id"]
        constraints = [models.UniqueConstraint(fields=["lot", "tax"], name="unique_tax_per_lot")]

    def __str__(self) -> str:
        return f"{self.get_tax_display()}: {self.get_payer_display()}"


class PriorityHolder(models.Model):
    """A known holder of a priority purchase right (tenant, co-owner, shareholder). Only a holder
    whose rank was confirmed by the collegial panel bids with priority (WP arts.19, 21, 27)."""

    class Basis(models.TextChoices):
        TENANT = "tenant", _("Tenant")
        CO_OWNER = "co_owner", _("Co-owner")
        SHAREHOLDER = "shareholder", _("Shareholder")
        OTHER = "other", _("Other statutory right")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="priority_holders")
    name = models.CharField(_("name"), max_length=100)
    basis = models.CharField(_("basis of the right"), max_length=12, choices=Basis.choices)
    rank = models.PositiveSmallIntegerField(_("rank (1 is first)"), default=1)
    contact = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("priority holder")
        verbose_name_plural = _("priority holders")
        ordering = ["lot", "rank", "id"]
        constraints = [models.CheckConstraint(condition=Q(rank__gte=1), name="priority_rank_positive")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_basis_display()}, {self.rank})"


class AuctionRound(models.Model):
    class Kind(models.TextChoices):
        FIRST = "first", _("First auction")
        SECOND = "second", _("Second auction")
        SELL_OFF = "sell_off", _("Sell-off (变卖)")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("round status", "Draft")
        PANEL_APPROVED = "panel_approved", pgettext_lazy("round status", "Approved by the panel")
        ANNOUNCED = "announced", pgettext_lazy("round status", "Announced")
        BIDDING = "bidding", pgettext_lazy("round status", "Bidding")
        ENDED = "ended", pgettext_lazy("round status", "Ended")
        SOLD = "sold", pgettext_lazy("round status", "Sold")
        FAILED = "failed", pgettext_lazy("round status", "Failed (no bid)")
        STAYED = "stayed", pgettext_lazy("round status", "Stayed")
        SUSPENDED = "suspended", pgettext_lazy("round status", "Suspended")
        WITHDRAWN = "withdrawn", pgettext_lazy("round status", "Withdrawn")
        TERMINATED = "terminated", pgettext_lazy("round status", "Terminated")
        TAKEN_IN_LIEU = "taken_in_lieu", pgettext_lazy("round status", "Taken in lieu of payment")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round number"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # A ForeignKey, not one-to-one: a next round that was withdrawn can be replaced by another.
    previous_round = models.ForeignKey("self", verbose_name=_("previous round"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="next_rounds")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Reserve = start price (WP art.10): there is deliberately no separate reserve field.
    start_price_fen = models.BigIntegerField(_("start price (fen)"))
    increment_fen = models.BigIntegerField(_("increment (fen)"))
    deposit_fen = models.BigIntegerField(_("deposit (fen)"))
    bidding_start = models.DateTimeField(_("bidding starts"))
    bidding_end = models.DateTimeField(_("bidding ends (scheduled)"))
    effective_end = models.DateTimeField(_("bidding ends (with extensions)"))
    extension_count = models.PositiveIntegerField(_("extensions"), default=0)
    notice_published_at = models.DateTimeField(_("notice published at"), null=True, blank=True)
    balance_due_days = models.PositiveSmallIntegerField(_("days to pay the balance"), default=10)

    # The notice package (WP art.13) and the terms.
    notice_text = models.TextField(_("auction notice (竞买公告)"), blank=True)
    terms_text = models.TextField(_("bidding terms (竞买须知)"), blank=True)
    judgment_secret = models.BooleanField(_("the judgment is not published (secret)"), default=False)
    judgment_secret_reason = models.CharField(_("why the judgment is not published"), max_length=200, blank=True)
    payment_text = models.TextField(_("deposit, payment method and account"), blank=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    status_reason = models.TextField(_("published reason"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=clock.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    # After a sale: the sale ruling served on the buyer (title passes, WP art.22) and the handover (PB arts.20, 27).
    ruling_served_on = models.DateField(_("sale ruling served on"), null=True, blank=True)
    handed_over_on = models.DateField(_("handed over on"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    # Live figures, written by the bid engine in the same transaction as each accepted bid.
    current_price_fen = models.BigIntegerField(_("current price (fen)"), null=True, blank=True)
    leader_code = models.CharField(_("leading bidder code"), max_length=16, blank=True)
    bid_count = models.PositiveIntegerField(_("bids"), default=0)
    registrant_count = models.PositiveIntegerField(_("registrants"), default=0)
    reminder_count = models.PositiveIntegerField(_("reminders set"), default=0)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("auction round")
        verbose_name_plural = _("auction rounds")
        ordering = ["-bidding_start"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "number"], name="unique_round_number_per_lot"),
            models.CheckConstraint(condition=Q(start_price_fen__gt=0), name="round_start_positive"),
            models.CheckConstraint(condition=Q(increment_fen__gt=0), name="round_increment_positive"),
            # WP art.17: deposit 5%–20% of the start price; a sell-off prepays the full price.
            models.CheckConstraint(
                condition=(
                    Q(kind="sell_off", deposit_fen=F("start_price_fen"))
                    | (~Q(kind="sell_off")
                       & GreaterThanOrEqual(F("deposit_fen") * 100, F("start_price_fen") * 5)
                       & LessThanOrEqual(F("deposit_fen") * 100, F("start_price_fen") * 20))
                ),
                name="round_deposit_range",
            ),
            models.CheckConstraint(condition=Q(bidding_end__gt=F("bidding_start")), name="round_end_after_start"),
            # A sell-off ends 24 h after its first bid, which may be before the window closes.
            models.CheckConstraint(condition=Q(kind="sell_off") | Q(effective_end__gte=F("bidding_end")),
                                   name="round_effective_end_not_earlier"),
            models.CheckConstraint(condition=Q(current_price_fen__isnull=True)
                                   | Q(current_price_fen__gte=F("start_price_fen")),
                                   name="round_price_not_below_start"),
        ]
        indexes = [models.Index(fields=["status", "effective_end"]), models.Index(fields=["status", "bidding_start"])]

    def __str__(self) -> str:
        return f"{self.kind_label}{self.lot.title}"

    @property
    def kind_label(self) -> str:
        """The bracketed prefix platforms put in front of the title: 【第一次拍卖】."""
        labels = {
            self.Kind.FIRST: _("【First auction】"),
            self.Kind.SECOND: _("【Second auction】"),
            self.Kind.SELL_OFF: _("【Sell-off】"),
        }
        return str(labels[self.Kind(self.kind)])

    @property
    def is_public(self) -> bool:
        """Public once its notice was published; a draft withdrawn before publication never is."""
        return self.notice_published_at is not None

    @property
    def display_price_fen(self) -> int:
        return self.current_price_fen if self.current_price_fen is not None else self.start_price_fen


class PanelDecision(models.Model):
    """The collegial panel's decision on start price, increment, deposit and priority holders
    (WP art.27). Recording it locks those values for the round."""

    round = models.OneToOneField(AuctionRound, verbose_name=_("round"),
                                 on_delete=models.CASCADE, related_name="panel_decision")
    decided_on = models.DateField(_("decided on"))
    reference = models.CharField(_("decision reference"), max_length=100)
    members = models.JSONField(_("panel members"))
    # Internal court record: private storage, served only by auction.staff_views.panel_decision_document.
    document = models.FileField(_("decision document"), upload_to=RandomUploadTo("decisions"), blank=True,
                                storage=private_storage, validators=[validate_document])
    start_price_fen = models.BigIntegerField(_("start price (fen)"))
    increment_fen = models.BigIntegerField(_("increment (fen)"))
    deposit_fen = models.BigIntegerField(_("deposit (fen)"))
    priority_holders = models.JSONField(_("priority holders and ranks"), default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("collegial panel decision")
        verbose_name_plural = _("collegial panel decisions")

    def __str__(self) -> str:
        return self.reference


class Notification(models.Model):
    """Notice of the sale to a party or a known priority holder, ≥ 3 days before the auction notice
    (WP art.16). An unreachable recipient is notified by public posting, deemed done after 5 days."""

    class Method(models.TextChoices):
        WRITTEN = "written", _("Written notice served")
        ELECTRONIC = "electronic", _("Electronic service with confirmation")
        PHONE = "phone", _("Telephone, recorded")
        PUBLIC_POSTING = "public_posting", _("Public posting on the platform (unreachable)")
        WAIVED = "waived", _("Written waiver received")

    round = models.ForeignKey(AuctionRound, verbose_name=_("round"), on_delete=models.CASCADE,
                              related_name="notifications")
    party = models.ForeignKey(Party, verbose_name=_("party"),
                              null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority_holder = models.ForeignKey(PriorityHolder, verbose_name=_("priority holder"),
                                        null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    at = models.DateTimeField(_("served / posted / waived at"))
    proof = models.CharField(_("proof (reference)"), max_length=200)
    unreachable_reason = models.CharField(_("why the recipient could not be reached"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["round", "at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(party__isnull=False, priority_holder__isnull=True)
                           | Q(party__isnull=True, priority_holder__isnull=False)),
                name="notification_one_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_name}: {self.get_method_display()}"

    @property
    def recipient_name(self) -> str:
        if self.party_id:
            assert self.party is not None
            return self.party.name
        assert self.priority_holder is not None
        return self.priority_holder.name
