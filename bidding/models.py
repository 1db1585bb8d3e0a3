"""Bidders, their registrations for rounds, the court's reviews of what a registration claims, the
bidder codes ever issued and the list of barred persons.

Identity numbers are never stored in clear: an AES-GCM ciphertext, a keyed hash for matching and a
masked form for display (bidding.identity). Every write goes through bidding.services; the
constraints below are the last line of defence for what the services check with clear messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bidding.identity import IdType
from bidding.storage import private_storage
from core import clock
from core.uploads import RandomUploadTo, validate_document


class PersonKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company or other organisation")


class BidderProfile(models.Model):
    """The real-name identity of a user with the bidder role: an individual (name and resident ID
    number, or passport and nationality) or an organisation (name, unified social credit code and
    legal representative). The identity is fixed once entered: it is what screening matches."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                                related_name="bidder_profile")
    kind = models.CharField(_("bidder type"), max_length=10, choices=PersonKind.choices)
    name = models.CharField(_("real name"), max_length=100)
    id_type = models.CharField(_("identity document"), max_length=12, choices=IdType.choices)
    id_number_encrypted = models.TextField(_("identity number (encrypted)"))
    id_hash = models.CharField(_("identity hash"), max_length=64, db_index=True)
    id_masked = models.CharField(_("identity number"), max_length=32)
    nationality = models.CharField(_("nationality"), max_length=3, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=30)
    address = models.CharField(_("contact address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("bidder profile")
        verbose_name_plural = _("bidder profiles")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="company", id_type="uscc") & ~Q(legal_representative=""))
                | Q(kind="individual", id_type__in=["resident_id", "passport"]),
                name="bidder_profile_document_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"


class Registration(models.Model):
    """A bidder's registration for one round (报名). It qualifies the bidder when its deposit is held:
    the bidder then gets a random code for this round only (WP art.18)."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("registration status", "Registering")
        PAYMENT = "payment", pgettext_lazy("registration status", "Awaiting the deposit")
        QUALIFIED = "qualified", pgettext_lazy("registration status", "Qualified")
        CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")
        DISQUALIFIED = "disqualified", pgettext_lazy("registration status", "Refused by the court")
        DEFAULTED = "defaulted", pgettext_lazy("registration status", "Defaulted (悔拍)")

    class Capacity(models.TextChoices):
        SELF = "self", _("For myself")
        PROXY = "proxy", _("As the proxy of another person (委托代理)")

    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="registrations")
    bidder = models.ForeignKey(BidderProfile, verbose_name=_("bidder"), on_delete=models.PROTECT,
                               related_name="registrations")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    capacity = models.CharField(_("registering"), max_length=8, choices=Capacity.choices, default=Capacity.SELF)
    # The bidder in law: the principal when bidding by proxy, else the bidder's own identity.
    identity_hash = models.CharField(_("identity hash of the bidder in law"), max_length=64, db_index=True)
    declared_not_barred_at = models.DateTimeField(_("declared not barred at"))

    # Bidding by proxy (委托代理): the principal's identity; the court approves before bidding (WP art.14(2)).
    principal_kind = models.CharField(_("principal type"), max_length=10, choices=PersonKind.choices, blank=True)
    principal_name = models.CharField(_("principal's real name"), max_length=100, blank=True)
    principal_id_type = models.CharField(_("principal's identity document"), max_length=12, choices=IdType.choices,
                                         blank=True)
    principal_id_encrypted = models.TextField(_("principal's identity number (encrypted)"), blank=True)
    principal_id_masked = models.CharField(_("principal's identity number"), max_length=32, blank=True)

    # Real estate under purchase restrictions: the bidder's promise (HQ arts.1–3); the proof is a review.
    qualification_required = models.BooleanField(_("purchase qualification required"), default=False)
    qualification_promised_at = models.DateTimeField(_("qualification promised at"), null=True, blank=True)

    # A priority holder of the lot (WP arts.19, 21); priority counts once the court confirmed the link.
    priority_holder = models.ForeignKey("auction.PriorityHolder", verbose_name=_("priority holder claimed"),
                                        null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_priority = models.BooleanField(_("confirmed priority holder"), default=False)
    priority_rank = models.PositiveSmallIntegerField(_("priority rank"), null=True, blank=True)

    # The applicant creditor pays max(0, deposit − verified claims) once the court confirmed the link (WP art.17).
    creditor_party = models.ForeignKey("auction.Party", verbose_name=_("applicant creditor claimed"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")

    deposit = models.OneToOneField("settlement.Deposit", verbose_name=_("deposit"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="registration")
    deposit_due_fen = models.BigIntegerField(_("deposit due (fen)"), null=True, blank=True)
    code = models.CharField(_("bidder code"), max_length=16, blank=True)

    created_at = models.DateTimeField(_("registered at"), default=clock.now)
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("cancelled or refused at"), null=True, blank=True)
    defaulted_at = models.DateTimeField(_("defaulted at"), null=True, blank=True)
    default_reason = models.TextField(_("reason of the default"), blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], condition=~Q(code=""), name="unique_code_per_round"),
            models.UniqueConstraint(fields=["round", "bidder"], condition=~Q(status="cancelled"),
                                    name="one_registration_per_account_and_round"),
            models.UniqueConstraint(fields=["round", "identity_hash"], condition=~Q(status="cancelled"),
                                    name="one_registration_per_identity_and_round"),
            models.CheckConstraint(condition=Q(status__in=["qualified", "disqualified", "defaulted"]) | Q(code=""),
                                   name="registration_code_only_when_qualified"),
            models.CheckConstraint(condition=Q(capacity="self") | ~Q(principal_id_encrypted=""),
                                   name="registration_proxy_has_principal"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_proxy(self) -> bool:
        return self.capacity == self.Capacity.PROXY


class PromptAcceptance(models.Model):
    """One special prompt of WP art.14 accepted by the bidder, in order, with its time."""

    registration = models.ForeignKey(Registration, verbose_name=_("registration"), on_delete=models.CASCADE,
                                     related_name="prompt_acceptances")
    key = models.CharField(_("prompt"), max_length=20)
    position = models.PositiveSmallIntegerField(_("position"))
    accepted_at = models.DateTimeField(_("accepted at"))

    class Meta:
        verbose_name = _("special prompt accepted")
        verbose_name_plural = _("special prompts accepted")
        ordering = ["registration", "position"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "key"], name="unique_prompt_acceptance"),
            models.UniqueConstraint(fields=["registration", "position"], name="unique_prompt_position"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}:{self.key}"


class Review(models.Model):
    """Something a registration claims that the court must confirm: a proxy (WP art.14(2)), the
    purchase qualification (HQ art.3), a priority purchase right (WP art.19), being the applicant
    creditor (WP art.17). Staff decide from the item and its document; a review never shows the
    bidder code (WP art.18)."""

    class Kind(models.TextChoices):
        PROXY = "proxy", _("Proxy (委托代理)")
        QUALIFICATION = "qualification", _("Purchase qualification (购房资格)")
        PRIORITY = "priority", _("Priority purchase right (优先购买权)")
        CREDITOR = "creditor", _("Applicant creditor (申请执行人)")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("review status", "Waiting for the court")
        APPROVED = "approved", pgettext_lazy("review status", "Confirmed")
        REFUSED = "refused", pgettext_lazy("review status", "Refused")

    registration = models.ForeignKey(Registration, verbose_name=_("registration"), on_delete=models.PROTECT,
                                     related_name="reviews")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    document = models.FileField(_("document"), storage=private_storage, upload_to=RandomUploadTo("bidder-documents"),
                                blank=True, validators=[validate_document])
    submitted_at = models.DateTimeField(_("submitted at"), default=clock.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("court's note"), blank=True)

    class Meta:
        verbose_name = _("court review")
        verbose_name_plural = _("court reviews")
        ordering = ["submitted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["registration", "kind"], name="unique_review_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class IssuedCode(models.Model):
    """Every bidder code ever issued, in any round: a code is never issued twice (WP art.18; trap 6).
    Deliberately no link to the registration: this table only guards uniqueness."""

    code = models.CharField(_("bidder code"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("issued at"), default=clock.now)

    class Meta:
        verbose_name = _("issued bidder code")
        verbose_name_plural = _("issued bidder codes")

    def __str__(self) -> str:
        return self.code


class BarredPerson(models.Model):
    """A person or body who may not bid (WP art.34): staff of the enforcing court, of the platform
    and of auxiliary service bodies, and their close relatives (近亲属). Kept as a keyed hash and a
    masked number only; screening compares hashes. `court` empty: barred at every court."""

    class Category(models.TextChoices):
        COURT_STAFF = "court_staff", _("Court staff")
        PLATFORM = "platform", _("Platform operator or its staff")
        AUXILIARY = "auxiliary", _("Auxiliary service body or its staff")
        RELATIVE = "relative", _("Close relative of a barred person")

    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(_("identity document"), max_length=12, choices=IdType.choices)
    id_hash = models.CharField(_("identity hash"), max_length=64, db_index=True)
    id_masked = models.CharField(_("identity number"), max_length=32)
    court = models.ForeignKey("auction.Court", verbose_name=_("court"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="barred_persons",
                              help_text=_("Leave empty to bar the person at every court."))
    relation = models.CharField(_("relation"), max_length=200, blank=True,
                                help_text=_("For a close relative: whose relative, and how."))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"), default=clock.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("removed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    removal_reason = models.TextField(_("reason for removal"), blank=True)

    class Meta:
        verbose_name = _("barred person")
        verbose_name_plural = _("barred persons")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(category="relative") | ~Q(relation=""),
                                   name="barred_relative_has_relation"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"


class Bid(models.Model):
    """An accepted bid. `seq` numbers a round's accepted bids 1..n without gaps (= the round's
    bid_count); each bid's `hash` chains it to the one before (bidding.chain), so the sealed record
    can be checked by anyone holding a receipt. The registration is sealed: public output shows
    code, amount, time and status only (WP art.18)."""

    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="bids")
    seq = models.PositiveIntegerField(_("sequence number"))
    registration = models.ForeignKey(Registration, verbose_name=_("registration"), on_delete=models.PROTECT,
                                     related_name="bids")
    code = models.CharField(_("bidder code"), max_length=16)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    is_priority = models.BooleanField(_("priority holder's bid"), default=False)
    priority_rank = models.PositiveSmallIntegerField(_("priority rank"), null=True, blank=True)
    received_at = models.DateTimeField(_("received by the server at"))
    client_id = models.CharField(_("client id"), max_length=64)
    receipt_nonce = models.CharField(_("receipt nonce"), max_length=32)
    # The round's end and extension count right after this bid, so missed events can be replayed.
    end_after = models.DateTimeField(_("round end after this bid"))
    extensions_after = models.PositiveIntegerField(_("extensions after this bid"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["round", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["round", "seq"], name="unique_bid_seq_per_round"),
            models.UniqueConstraint(fields=["registration", "client_id"], name="unique_bid_client_id"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="bid_amount_positive"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="bid_seq_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.code} #{self.seq}"


class BidRejection(models.Model):
    """The first answer to a refused bid, so that a resent message gets the same answer; also what the
    per-bidder rate limit counts."""

    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="+")
    registration = models.ForeignKey(Registration, verbose_name=_("registration"), on_delete=models.PROTECT,
                                     related_name="bid_rejections")
    client_id = models.CharField(_("client id"), max_length=64)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    code = models.CharField(_("reason code"), max_length=40)
    received_at = models.DateTimeField(_("received by the server at"))

    class Meta:
        verbose_name = _("refused bid")
        verbose_name_plural = _("refused bids")
        constraints = [
            models.UniqueConstraint(fields=["registration", "client_id"], name="unique_rejection_client_id"),
        ]
        indexes = [models.Index(fields=["registration", "received_at"])]

    def __str__(self) -> str:
        return f"{self.client_id} {self.code}"


class BidChainSeal(models.Model):
    """The sealed record of a closed round: the last hash of its bid chain, published on the round page."""

    round = models.OneToOneField("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                                 related_name="bid_seal")
    bid_count = models.PositiveIntegerField(_("bids"))
    root = models.CharField(_("root hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        verbose_name = _("sealed bid record")
        verbose_name_plural = _("sealed bid records")

    def __str__(self) -> str:
        return self.root


class SaleConfirmation(models.Model):
    """The sale confirmation (成交确认书) of a sold round, generated at close with the buyer's real
    name and bidder code and published (WP art.22). Kept as written; its sha256 is shown with it."""

    round = models.OneToOneField("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                                 related_name="sale_confirmation")
    registration = models.ForeignKey(Registration, verbose_name=_("buyer's registration"), on_delete=models.PROTECT,
                                     related_name="+")
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("sha256"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("sale confirmation")
        verbose_name_plural = _("sale confirmations")

    def __str__(self) -> str:
        return self.sha256


# --- collusion and shill screening (bidding.screening) ------------------------------------------------------


class RoundScreening(models.Model):
    """The screening of one round: live (identity links among registrants, by bidder code only) until
    the round has finished, then complete (bid patterns, round screens, rings, outliers). Re-running
    replaces the reasons and keeps the court's review (docs/screening.md)."""

    class Stage(models.TextChoices):
        LIVE = "live", pgettext_lazy("screening stage", "Live (identity links)")
        CLOSED = "closed", pgettext_lazy("screening stage", "After close (complete)")

    class Level(models.TextChoices):
        NONE = "none", pgettext_lazy("screening level", "Nothing notable")
        FLAGGED = "flagged", pgettext_lazy("screening level", "Flagged for review")
        HIGH = "high", pgettext_lazy("screening level", "High risk")

    class Review(models.TextChoices):
        OPEN = "open", pgettext_lazy("screening review", "Not reviewed")
        DISMISSED = "dismissed", pgettext_lazy("screening review", "Dismissed")
        WATCH = "watch", pgettext_lazy("screening review", "Watching")
        ESCALATED = "escalated", pgettext_lazy("screening review", "Escalated")
        ANNULMENT = "annulment", pgettext_lazy("screening review", "Annulment started (WP art.31(3))")

    round = models.OneToOneField("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                                 related_name="screening")
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    score = models.PositiveIntegerField(_("risk score"), default=0)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.NONE, db_index=True)
    bidder_scores = models.JSONField(_("score per bidder code"), default=dict)
    features = models.JSONField(_("features per bidder code"), default=dict)
    review = models.CharField(_("review"), max_length=10, choices=Review.choices, default=Review.OPEN,
                              db_index=True)
    screened_at = models.DateTimeField(_("screened at"))
    runs = models.PositiveIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("round screening")
        verbose_name_plural = _("round screenings")
        ordering = ["-score", "-screened_at"]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.score}"


class ScreeningReason(models.Model):
    """One finding with its points; the sentence comes from bidding.screening.reasons in either language.
    `subjects` are bidder codes only; `params` may hold a masked attribute shown after close."""

    screening = models.ForeignKey(RoundScreening, verbose_name=_("screening"), on_delete=models.CASCADE,
                                  related_name="reasons")
    code = models.CharField(_("reason code"), max_length=32)
    subjects = models.JSONField(_("bidder codes"), default=list)
    points = models.IntegerField(_("points"))
    params = models.JSONField(_("parameters"), default=dict)

    class Meta:
        verbose_name = _("screening reason")
        verbose_name_plural = _("screening reasons")
        ordering = ["-points", "id"]

    def __str__(self) -> str:
        return f"{self.code} {self.points}"


class ScreeningDecision(models.Model):
    """The court's decision on a screened round, with the required note; every one is kept."""

    screening = models.ForeignKey(RoundScreening, verbose_name=_("screening"), on_delete=models.PROTECT,
                                  related_name="decisions")
    decision = models.CharField(_("decision"), max_length=10, choices=RoundScreening.Review.choices)
    note = models.TextField(_("note"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("screening decision")
        verbose_name_plural = _("screening decisions")
        ordering = ["-decided_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="screening_decision_has_note")]

    def __str__(self) -> str:
        return f"{self.decision} #{self.pk}"


class EndReminder(models.Model):
    """"Remind me before it ends" (结束前提醒): a logged-in user asks to be notified a set number of
    minutes before a round's end. Sent once; the public count is the round's reminder_count."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="end_reminders")
    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), on_delete=models.CASCADE,
                              related_name="end_reminders")
    minutes_before = models.PositiveIntegerField(_("minutes before the end"))
    created_at = models.DateTimeField(_("set at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("end reminder")
        verbose_name_plural = _("end reminders")
        constraints = [models.UniqueConstraint(fields=["user", "round"], name="one_end_reminder_per_user_round")]
        indexes = [models.Index(fields=["sent_at", "round"])]

    def __str__(self) -> str:
        return f"{self.round_id} −{self.minutes_before} min"
