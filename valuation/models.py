"""The reference-price procedure (参考价, RP 2018): a valuation request per lot, the four methods in
their legal order, the reports of platforms and agencies, their delivery to the parties, the
objections, the appraisal lottery, the costs and the reminders.

Every write goes through valuation.services, which audits each change (core.audit); the constraints
below are the last line of defence for the invariants the services enforce with clear messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from auction.models import Case, Lot, Party
from core import clock
from core.uploads import RandomUploadTo, private_storage, validate_document

Method = Lot.ReferenceMethod


class Agency(models.Model):
    """An appraisal agency on the court's list (人民法院司法评估机构名单库, RP art.15): one list per
    specialty, with province and city sub-lists. Kept by administrators, like the courts."""

    class Specialty(models.TextChoices):
        REAL_ESTATE = "real_estate", _("Real estate and land")
        ASSETS = "assets", _("Assets (machinery, equity, intangibles)")
        VEHICLES = "vehicles", _("Motor vehicles")
        JEWELLERY = "jewellery", _("Jewellery and precious goods")

    name = models.CharField(_("name"), max_length=150, unique=True)
    specialty = models.CharField(_("specialty"), max_length=16, choices=Specialty.choices)
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30, blank=True)
    active = models.BooleanField(_("on the list"), default=True)

    class Meta:
        verbose_name = _("appraisal agency")
        verbose_name_plural = _("appraisal agencies")
        ordering = ["specialty", "province", "city", "name"]

    def __str__(self) -> str:
        return self.name


class Valuation(models.Model):
    """One request to fix a lot's reference price. At most one is open (or stayed) per lot."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("valuation status", "In progress")
        STAYED = "stayed", pgettext_lazy("valuation status", "Stayed")
        FIXED = "fixed", pgettext_lazy("valuation status", "Price fixed")
        WITHDRAWN = "withdrawn", pgettext_lazy("valuation status", "Withdrawn")

    class StayGround(models.TextChoices):
        ENFORCEMENT_STAYED = "enforcement_stayed", _("Enforcement is stayed or suspended (RP art.28(1))")
        MATERIALS_WRONG = "materials_wrong", _("The materials are seriously wrong and must be checked again "
                                               "(RP art.28(2))")
        OTHER = "other", _("Other reason the court decides (RP art.28(3))")

    class WithdrawGround(models.TextChoices):
        APPLICATION_WITHDRAWN = "application_withdrawn", _("The applicant withdrew the enforcement application "
                                                           "(RP art.29(1))")
        PERFORMED = "performed", _("The obligations were performed in full (RP art.29(2))")
        TITLE_SET_ASIDE = "title_set_aside", _("The enforceable title was set aside or is not enforced "
                                               "(RP art.29(3))")
        PARTIES_AGREED = "parties_agreed", _("The parties agreed on a price or to stop the sale (RP art.29 ¶2)")
        OTHER = "other", _("Other reason the court decides (RP art.29(4))")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="valuations")
    reissue_of = models.ForeignKey("self", verbose_name=_("reissue of"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="reissues")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    investigation = models.JSONField(_("investigation checklist"), default=dict, blank=True)
    investigation_note = models.TextField(_("investigation notes"), blank=True)
    investigated_on = models.DateField(_("investigation completed on"), null=True, blank=True)
    # The method being tried now, then the one that fixed the price.
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, blank=True)
    price_fen = models.BigIntegerField(_("reference price (fen)"), null=True, blank=True)
    fixed_on = models.DateField(_("fixed on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    stayed_on = models.DateField(_("stayed on"), null=True, blank=True)
    status_ground = models.CharField(_("ground"), max_length=24, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("valuation")
        verbose_name_plural = _("valuations")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lot"], condition=Q(status__in=["open", "stayed"]),
                                    name="valuation_one_active_per_lot"),
            models.CheckConstraint(condition=Q(price_fen__isnull=True) | Q(price_fen__gt=0),
                                   name="valuation_price_positive"),
            models.CheckConstraint(condition=~Q(status="fixed") | (Q(price_fen__isnull=False)
                                                                   & Q(fixed_on__isnull=False)
                                                                   & Q(valid_until__isnull=False)),
                                   name="valuation_fixed_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} ({self.opened_on:%Y-%m-%d})"


class MethodStep(models.Model):
    """One method of the cascade (RP arts.4–7, 14): tried (in progress, succeeded, failed) or
    skipped, always with the legal ground when it did not give the price."""

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("In progress")
        SUCCEEDED = "succeeded", _("Gave the price")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class Ground(models.TextChoices):
        PARTY_REFUSES = "party_refuses", _("A party refuses to negotiate (RP art.4)")
        PARTY_MISSING = "party_missing", _("A party cannot be found (RP art.4)")
        PROPOSALS_DIFFER = "proposals_differ", _("The parties' prices differ or would harm others (RP art.4)")
        PARTIES_ASK_DIRECTED = "parties_ask_directed", _("Both parties ask for a directed inquiry (RP art.5)")
        PARTIES_ASK_ONLINE = "parties_ask_online", _("Both parties ask for an online inquiry (RP art.7)")
        PARTIES_ASK_APPRAISAL = "parties_ask_appraisal", _("Both parties ask for an appraisal (RP art.14)")
        LAW_REQUIRES_APPRAISAL = "law_requires_appraisal", _("A law or regulation requires an appraisal "
                                                             "(RP art.14)")
        NO_GOVERNMENT_PRICE = "no_government_price", _("No tax base price, government price or government "
                                                       "guidance price (RP art.5)")
        NO_ANSWER = "no_answer", _("The institution did not or could not answer in time (RP arts.6, 7)")
        INSPECTION_NEEDED = "inspection_needed", _("On-site inspection or expert assessment is needed (RP art.7)")
        NO_ONLINE_CONDITIONS = "no_online_conditions", _("The conditions for an online inquiry are lacking "
                                                         "(RP art.7)")
        NO_PLATFORM_DELIVERED = "no_platform_delivered", _("No platform delivered a usable result in time "
                                                           "(RP arts.11, 14)")
        REISSUE = "reissue", _("A reissue: the earlier result expired before a first notice (RP arts.11, 19)")

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                  related_name="steps")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    position = models.PositiveSmallIntegerField(_("position in the legal order"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    ground = models.CharField(_("ground"), max_length=24, choices=Ground.choices, blank=True)
    reason = models.TextField(_("explanation"), blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("method step")
        verbose_name_plural = _("method steps")
        ordering = ["valuation", "position"]
        constraints = [models.UniqueConstraint(fields=["valuation", "method"], name="valuation_step_once")]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


class Proposal(models.Model):
    """A party's price in the negotiation (当事人议价, RP art.4). A new proposal replaces the old one."""

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                  related_name="proposals")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+")
    price_fen = models.BigIntegerField(_("proposed price (fen)"))
    proposed_on = models.DateField(_("proposed on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("negotiation proposal")
        verbose_name_plural = _("negotiation proposals")
        ordering = ["valuation", "party"]
        constraints = [
            models.UniqueConstraint(fields=["valuation", "party"], name="valuation_proposal_per_party"),
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="valuation_proposal_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.price_fen}"


class DirectedInquiry(models.Model):
    """The inquiry letter to the institution that keeps a tax base, government or government
    guidance price (定向询价, RP arts.5–6); the letter sets the deadline."""

    class Basis(models.TextChoices):
        TAX_BASE = "tax_base", _("Tax base price (计税基准价)")
        GOVERNMENT = "government", _("Government price (政府定价)")
        GUIDANCE = "guidance", _("Government guidance price (政府指导价)")

    valuation = models.OneToOneField(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                     related_name="directed_inquiry")
    institution = models.CharField(_("institution"), max_length=150)
    basis = models.CharField(_("price basis"), max_length=10, choices=Basis.choices)
    requested_on = models.DateField(_("letter sent on"))
    due_on = models.DateField(_("answer due on"))
    letter_reference = models.CharField(_("letter reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("directed inquiry")
        verbose_name_plural = _("directed inquiries")

    def __str__(self) -> str:
        return self.institution


class OnlineInquiry(models.Model):
    """The commission sent at once to every configured inquiry platform (网络询价, RP arts.10–11)."""

    valuation = models.OneToOneField(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                     related_name="online_inquiry")
    sent_on = models.DateField(_("sent on"))
    due_on = models.DateField(_("reports due on"))
    extended_due_on = models.DateField(_("extended to"), null=True, blank=True)

    class Meta:
        verbose_name = _("online inquiry")
        verbose_name_plural = _("online inquiries")

    def __str__(self) -> str:
        return f"{self.valuation} {self.sent_on:%Y-%m-%d}"


class AppraisalSelection(models.Model):
    """How the three agencies and their order were chosen (RP art.16): agreed by the parties or
    drawn by lottery. A lottery records everything needed to re-run it."""

    class Mode(models.TextChoices):
        AGREED = "agreed", _("Agreed by the parties")
        LOTTERY = "lottery", _("Random lottery (摇号)")
        REISSUE = "reissue", _("The same agency reissues its report (RP art.19)")

    class Scope(models.TextChoices):
        SPECIALTY = "specialty", _("The whole specialty list")
        PROVINCE = "province", _("The sub-list of the property's province")
        CITY = "city", _("The sub-list of the property's city")

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                  related_name="selections")
    mode = models.CharField(_("how chosen"), max_length=8, choices=Mode.choices)
    specialty = models.CharField(_("specialty"), max_length=16, choices=Agency.Specialty.choices)
    scope = models.CharField(_("list"), max_length=10, choices=Scope.choices, blank=True)
    lottery_reason = models.CharField(_("why by lottery"), max_length=200, blank=True)
    candidates = models.JSONField(_("candidates (canonical order)"), default=list, blank=True)
    seed = models.CharField(_("seed"), max_length=128, blank=True)
    algorithm = models.CharField(_("algorithm"), max_length=40, blank=True)
    drawn = models.JSONField(_("drawn agencies in order"), default=list)
    agreement_reference = models.CharField(_("agreement reference"), max_length=150, blank=True)
    selected_on = models.DateField(_("selected on"))
    created_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("agency selection")
        verbose_name_plural = _("agency selections")
        ordering = ["valuation", "id"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.selected_on:%Y-%m-%d}"


class Engagement(models.Model):
    """One selected agency, in its order. The first is commissioned; a late one hands over to the
    next (RP art.19)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting its turn")
        ACTIVE = "active", _("Commissioned")
        REPORTED = "reported", _("Report received")
        LATE = "late", _("Late: handed over to the next agency")
        SET_ASIDE = "set_aside", _("Report set aside on objection")
        RELEASED = "released", _("Not needed")

    selection = models.ForeignKey(AppraisalSelection, verbose_name=_("selection"), on_delete=models.CASCADE,
                                  related_name="engagements")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("order"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    due_on = models.DateField(_("report due on"), null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(pgettext_lazy("appraisal", "extensions"), default=0)
    stayed_days = models.PositiveIntegerField(_("days deducted for stays"), default=0)

    class Meta:
        verbose_name = _("agency engagement")
        verbose_name_plural = _("agency engagements")
        ordering = ["selection", "order"]
        constraints = [models.UniqueConstraint(fields=["selection", "order"], name="valuation_engagement_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.agency}"


class Extension(models.Model):
    """An agency's extension of the appraisal period (RP art.19)."""

    engagement = models.ForeignKey(Engagement, verbose_name=_("engagement"), on_delete=models.CASCADE,
                                   related_name="extension_rows")
    requested_on = models.DateField(_("requested on"))
    days = models.PositiveSmallIntegerField(_("days"))
    previous_due_on = models.DateField(_("previous due date"))
    new_due_on = models.DateField(_("new due date"))

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["engagement", "requested_on"]

    def __str__(self) -> str:
        return f"+{self.days} → {self.new_due_on:%Y-%m-%d}"


class Report(models.Model):
    """A result: the directed-inquiry answer, one platform's online-inquiry report (a row per
    platform from the moment the inquiry is sent, empty until it answers) or an appraisal report."""

    class Kind(models.TextChoices):
        DIRECTED_INQUIRY = "directed_inquiry", _("Directed inquiry answer")
        ONLINE_INQUIRY = "online_inquiry", _("Online inquiry report")
        APPRAISAL = "appraisal", _("Appraisal report")

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                  related_name="reports")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    provider = models.CharField(_("provider key"), max_length=60, blank=True)
    provider_name = models.CharField(_("issued by"), max_length=150)
    engagement = models.ForeignKey(Engagement, verbose_name=_("engagement"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="reports")
    extension_requested_on = models.DateField(_("extension requested on"), null=True, blank=True)
    price_fen = models.BigIntegerField(_("result (fen)"), null=True, blank=True)
    report_date = models.DateField(_("report date"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    number = models.CharField(_("report number"), max_length=100, blank=True)
    # The court's record of the report: private storage, served only by valuation.views.report_document.
    document = models.FileField(_("report document"), upload_to=RandomUploadTo("valuation"), blank=True,
                                storage=private_storage, validators=[validate_document])
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    corrected_price_fen = models.BigIntegerField(_("corrected result (fen)"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["valuation", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__isnull=True) | Q(price_fen__gt=0),
                                   name="valuation_report_price_positive"),
            models.CheckConstraint(condition=Q(corrected_price_fen__isnull=True) | Q(corrected_price_fen__gt=0),
                                   name="valuation_report_corrected_positive"),
            models.UniqueConstraint(fields=["valuation", "provider"], condition=Q(kind="online_inquiry"),
                                    name="valuation_one_report_per_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.provider_name} {self.number}".strip()

    @property
    def received(self) -> bool:
        return self.received_on is not None

    @property
    def display_name(self) -> str:
        """A configured platform's name in the reader's language; otherwise the issuer as recorded."""
        from valuation import providers

        provider = providers.by_key(self.provider) if self.provider else None
        return str(provider.name) if provider is not None else self.provider_name

    @property
    def effective_price_fen(self) -> int | None:
        return self.corrected_price_fen if self.corrected_price_fen is not None else self.price_fen


class Delivery(models.Model):
    """A report sent to a party (RP art.21): served, or publicly notified on 中国执行信息公开网 when
    the party cannot be reached, which counts as received 15 days later."""

    class Method(models.TextChoices):
        SERVED = "served", _("Served (in person, left, by post, electronically)")
        PUBLIC_NOTICE = "public_notice", _("Public notice on the enforcement information website")

    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE,
                               related_name="deliveries")
    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("method"), max_length=14, choices=Method.choices)
    delivered_on = models.DateField(_("served or published on"))
    proof = models.CharField(_("proof"), max_length=200)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["report", "party"]
        constraints = [models.UniqueConstraint(fields=["report", "party"], name="valuation_delivery_once")]

    def __str__(self) -> str:
        return f"{self.report} → {self.party}"


class Objection(models.Model):
    """A written objection to an online-inquiry or appraisal report (RP arts.22–24). Procedural
    objections are examined like an enforcement objection (CPL art.236, old 225); objections to an
    appraisal's method or result go to the agency, then to a technical review (RP art.23)."""

    class Kind(models.TextChoices):
        PROCEDURAL = "procedural", _("Procedural (RP art.22)")
        METHOD_RESULT = "method_result", _("Method or result of an appraisal (RP art.23)")

    class Ground(models.TextChoices):
        BASIC_INFO = "basic_info", _("Wrong basic information about the property")
        SCOPE = "scope", _("Beyond the property, or part of it left out")
        QUALIFICATION = "qualification", _("The agency or appraisers lack the qualification")
        PROCEDURE = "procedure", _("Seriously unlawful procedure")
        METHOD = "method", _("Reference standard, calculation method or result")

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        FORWARDED = "forwarded", _("Sent to the agency for an explanation")
        EXPLAINED = "explained", _("Explained by the agency")
        IN_REVIEW = "in_review", _("In technical review")
        DECIDED = "decided", _("Decided")

    class Outcome(models.TextChoices):
        REJECTED = "rejected", _("Rejected: the result stands")
        CORRECTED = "corrected", _("Upheld: the result is corrected")
        SET_ASIDE = "set_aside", _("Upheld: the report is set aside")

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.CASCADE,
                                  related_name="objections")
    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="objections")
    party = models.ForeignKey(Party, verbose_name=_("objecting party"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    ground = models.CharField(_("ground"), max_length=14, choices=Ground.choices)
    grounds_text = models.TextField(_("the objection"))
    filed_on = models.DateField(pgettext_lazy("objection", "filed on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FILED)
    forwarded_on = models.DateField(_("sent to the agency on"), null=True, blank=True)
    explained_on = models.DateField(_("explained on"), null=True, blank=True)
    explanation = models.TextField(_("the agency's explanation"), blank=True)
    review_body = models.CharField(_("reviewing association"), max_length=150, blank=True)
    referred_on = models.DateField(_("referred to review on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    corrected_price_fen = models.BigIntegerField(_("corrected result (fen)"), null=True, blank=True)
    decided_on = models.DateField(pgettext_lazy("objection", "decided on"), null=True, blank=True)
    decision_reference = models.CharField(_("ruling or conclusion reference"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["valuation", "filed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(outcome="corrected") | Q(corrected_price_fen__gt=0),
                                   name="valuation_objection_correction_price"),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.get_kind_display()}"


class ValuationCost(models.Model):
    """A cost of the valuation, advanced by the applicant and borne by the debtor (RP art.33). The
    settlement app reads these as execution costs of the case."""

    class Kind(models.TextChoices):
        INQUIRY_FEE = "inquiry_fee", _("Online inquiry fee")
        APPRAISAL_FEE = "appraisal_fee", _("Appraisal fee")
        APPRAISAL_EXPENSES = "appraisal_expenses", _("Appraisal: reasonable actual expenses")

    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), on_delete=models.PROTECT,
                                  related_name="costs")
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="valuation_costs")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payee = models.CharField(_("payee"), max_length=150)
    base_fen = models.BigIntegerField(_("base (fen)"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    advanced_by = models.ForeignKey(Party, verbose_name=_("advanced by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    borne_by = models.ForeignKey(Party, verbose_name=_("borne by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    explanation = models.CharField(_("explanation"), max_length=300)
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        verbose_name = _("valuation cost")
        verbose_name_plural = _("valuation costs")
        ordering = ["case", "valuation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["valuation", "kind", "payee"], name="valuation_cost_once"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="valuation_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.payee}"


class ValuationReminder(models.Model):
    """A reminder the clock sent about one deadline: once per deadline, kind and due date, so the
    clock can run any number of times."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")

    lot = models.ForeignKey(Lot, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="valuation_reminders")
    valuation = models.ForeignKey(Valuation, verbose_name=_("valuation"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="reminders")
    code = models.CharField(_("deadline"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_on = models.DateField(_("due on"))
    message = models.TextField(_("message"))
    recipients = models.PositiveIntegerField(_("e-mails sent"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=clock.now)

    class Meta:
        verbose_name = _("valuation reminder")
        verbose_name_plural = _("valuation reminders")
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lot", "code", "kind", "due_on"],
                                               name="valuation_reminder_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.kind} {self.due_on:%Y-%m-%d}"
