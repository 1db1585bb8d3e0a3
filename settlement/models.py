"""Money: deposits (保证金), receipts, payouts, balance payments (尾款), the double-entry ledger and the
Stripe webhook inbox.

Every write goes through settlement.services. The ledger rows (LedgerTransaction, LedgerEntry) are
append-only: their models refuse updates and deletes, and corrections are new transactions. The
constraints below are the last line of defence for what the services check with clear messages."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import clock


class Gateway(models.TextChoices):
    """The payment gateways fapai knows (settlement.gateways holds their code)."""

    OFFLINE = "offline", _("Offline (confirmed by finance staff)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    STRIPE = "stripe", _("Card payment (Stripe)")


class RoundPaymentSettings(models.Model):
    """The gateways a round accepts (the court sets the payment methods, WP art.6). Without a row
    the round accepts every enabled gateway listed in FAPAI_DEFAULT_GATEWAYS."""

    round = models.OneToOneField("auction.AuctionRound", verbose_name=_("round"), on_delete=models.CASCADE,
                                 related_name="payment_settings")
    gateways = models.JSONField(_("accepted gateways"), default=list)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("round payment settings")
        verbose_name_plural = _("round payment settings")

    def __str__(self) -> str:
        return ", ".join(self.gateways)


# --- the ledger ------------------------------------------------------------------------------------


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("ledger rows are append-only; post a correcting transaction instead")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("ledger rows are append-only; post a correcting transaction instead")


class AppendOnly(models.Model):
    objects: ClassVar[Any] = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("ledger rows are append-only; post a correcting transaction instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("ledger rows are append-only; post a correcting transaction instead")


class LedgerAccount(models.Model):
    """One account of the chart (docs/ledger.md). Balances are signed: debits positive, credits
    negative, so an asset has a positive balance and a liability a negative one. `balance_fen` is a
    running total kept in the same transaction as each entry; check_ledger recomputes it."""

    class Kind(models.TextChoices):
        GATEWAY_CLEARING = "gateway_clearing", _("Gateway clearing")
        DEPOSITS_HELD = "deposits_held", _("Bidder deposits held")
        CARD_HOLDS = "card_holds", _("Card authorisations (memo)")
        CARD_HOLDS_CONTRA = "card_holds_contra", _("Card authorisations, contra (memo)")
        CASE_FUNDS = "case_funds", _("Case account")
        FORFEIT_FUNDS = "forfeit_funds", _("Forfeited deposits earmarked for the case")
        COURT_FEES = "court_fees", _("Court fees")
        REFUNDS_PAYABLE = "refunds_payable", _("Refunds payable")
        DEBTOR_SURPLUS = "debtor_surplus", _("Surplus due to the debtor")
        CREDITOR_PAYABLES = "creditor_payables", _("Payable to creditors")
        UNMATCHED_RECEIPTS = "unmatched_receipts", _("Unmatched receipts (claim queue)")

    code = models.CharField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices, blank=True)
    case = models.ForeignKey("auction.Case", verbose_name=_("case"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="ledger_accounts")
    # 一案一账号: the virtual sub-account number payers quote for this case's account.
    account_reference = models.CharField(_("account reference"), max_length=32, blank=True)
    balance_fen = models.BigIntegerField(_("balance (fen)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["account_reference"], condition=~Q(account_reference=""),
                                    name="unique_ledger_account_reference"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_memo(self) -> bool:
        return self.kind in (self.Kind.CARD_HOLDS, self.Kind.CARD_HOLDS_CONTRA)


class LedgerTransaction(AppendOnly):
    """A balanced set of entries, written in the same database transaction as the state change that
    caused it. The idempotency key makes a retried operation find its first posting instead of
    posting twice."""

    class Kind(models.TextChoices):
        DEPOSIT_HOLD = "deposit_hold", _("Deposit held")
        DEPOSIT_RELEASE = "deposit_release", _("Deposit released")
        DEPOSIT_APPLY = "deposit_apply", _("Deposit applied to the price")
        DEPOSIT_FORFEIT = "deposit_forfeit", _("Deposit forfeited")
        RECEIPT_QUEUED = "receipt_queued", _("Receipt put in the claim queue")
        RECEIPT_ASSIGNED = "receipt_assigned", _("Receipt assigned from the claim queue")
        RECEIPT_RETURNED = "receipt_returned", _("Receipt returned to the payer")
        BALANCE_PAYMENT = "balance_payment", _("Balance payment received")
        BALANCE_REFUND = "balance_refund", _("Balance payment refunded")
        PAYOUT = "payout", _("Payout made")
        FORFEIT_TO_CASE = "forfeit_to_case", _("Forfeited deposits applied to the distribution")
        CASE_PAYOUT_APPROVED = "case_payout_approved", _("Case payout approved")
        CASE_PAYOUT_CANCELLED = "case_payout_cancel", _("Approved case payout cancelled")
        CASE_PAYOUT = "case_payout", _("Case payout made")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    deposit = models.ForeignKey("Deposit", verbose_name=_("deposit"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ledger_transactions")
    receipt = models.ForeignKey("Receipt", verbose_name=_("receipt"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="ledger_transactions")
    payout = models.ForeignKey("Payout", verbose_name=_("payout"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="ledger_transactions")
    balance_payment = models.ForeignKey("BalancePayment", verbose_name=_("balance payment"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="ledger_transactions")
    case = models.ForeignKey("auction.Case", verbose_name=_("case"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="ledger_transactions")
    case_payout = models.ForeignKey("CasePayout", verbose_name=_("case payout"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="ledger_transactions")

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.idempotency_key}"


class LedgerEntry(AppendOnly):
    """One leg of a transaction: a signed amount (debit positive, credit negative) on one account."""

    transaction = models.ForeignKey(LedgerTransaction, verbose_name=_("transaction"), on_delete=models.PROTECT,
                                    related_name="entries")
    account = models.ForeignKey(LedgerAccount, verbose_name=_("account"), on_delete=models.PROTECT,
                                related_name="entries")
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount_fen:+d}"


# --- deposits ----------------------------------------------------------------------------------------


class Deposit(models.Model):
    """A bidder's deposit (保证金) for one round (WP art.17). Held deposits qualify the bidder; after
    the round every deposit but the winner's is released within 24 hours (WP art.23) and the
    winner's is moved to the case account (WP art.25); a defaulting buyer's is forfeited (WP art.24)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("deposit status", "Awaiting payment")
        HELD = "held", pgettext_lazy("deposit status", "Held")
        RELEASED = "released", pgettext_lazy("deposit status", "Released")
        APPLIED = "applied", pgettext_lazy("deposit status", "Applied to the price")
        FORFEITED = "forfeited", pgettext_lazy("deposit status", "Forfeited")
        CANCELLED = "cancelled", pgettext_lazy("deposit status", "Cancelled")

    class HoldMode(models.TextChoices):
        NONE = "", _("Not held")
        FUNDS = "funds", _("Funds received")
        CARD_HOLD = "card_hold", _("Card authorisation (not captured)")
        NO_MONEY = "no_money", _("Nothing to pay (covered by a verified claim)")

    class SettleAs(models.TextChoices):
        UNDECIDED = "", _("Undecided")
        RELEASE = "release", _("Release")
        APPLY = "apply", _("Apply to the price")

    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                              related_name="deposits")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="deposits")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payer_name = models.CharField(_("payer's real name"), max_length=100)
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    reference = models.CharField(_("transfer reference"), max_length=12, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    hold_mode = models.CharField(_("held as"), max_length=10, choices=HoldMode.choices, blank=True,
                                 default=HoldMode.NONE)
    settle_as = models.CharField(_("to be settled as"), max_length=8, choices=SettleAs.choices, blank=True,
                                 default=SettleAs.UNDECIDED)
    # The gateway's own object (a Stripe PaymentIntent id) and how many were created for this deposit.
    gateway_ref = models.CharField(_("gateway reference"), max_length=100, blank=True, db_index=True)
    gateway_attempt = models.PositiveSmallIntegerField(_("gateway attempt"), default=0)
    # What paid it (a bank account number, a card fingerprint): collusion screening compares them.
    payer_instrument = models.CharField(_("paid from"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    forfeited_at = models.DateTimeField(_("forfeited at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    release_due_at = models.DateTimeField(_("release or application due by"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="deposit_amount_non_negative"),
            models.CheckConstraint(condition=Q(status="pending") | Q(status="cancelled") | ~Q(hold_mode=""),
                                   name="deposit_held_has_mode"),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return self.reference


class Receipt(models.Model):
    """Money that arrived through a gateway: a bank statement line, an offline receipt confirmed by
    finance staff, a captured card payment. Unmatched receipts wait in the claim queue (认领)."""

    class Status(models.TextChoices):
        MATCHED = "matched", pgettext_lazy("receipt status", "Matched")
        QUEUED = "queued", pgettext_lazy("receipt status", "In the claim queue")
        ASSIGNED = "assigned", pgettext_lazy("receipt status", "Assigned from the claim queue")
        RETURNED = "returned", pgettext_lazy("receipt status", "Returned to the payer")

    class QueueReason(models.TextChoices):
        NONE = "", _("—")
        NO_REFERENCE = "no_reference", _("No transfer reference")
        UNKNOWN_REFERENCE = "unknown_reference", _("Unknown transfer reference")
        AMOUNT_MISMATCH = "amount_mismatch", _("The amount does not match")
        NAME_MISMATCH = "name_mismatch", _("The payer's name does not match (WP art.17)")
        WRONG_ACCOUNT = "wrong_account", _("Paid into another case's account")
        NOT_PAYABLE = "not_payable", _("Nothing is payable under this reference any more")
        CURRENCY = "currency", _("Another currency")
        REFUSED = "refused", _("The deposit could not be held")

    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    external_ref = models.CharField(_("gateway reference"), max_length=120)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    received_at = models.DateTimeField(_("received at"))
    payer_name = models.CharField(_("payer"), max_length=140, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=60, blank=True)
    remark = models.CharField(_("remark"), max_length=300, blank=True)
    credited_account = models.CharField(_("credited account"), max_length=40, blank=True)
    statement = models.ForeignKey("BankStatement", verbose_name=_("bank statement"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="receipts")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    queue_reason = models.CharField(_("why it is in the claim queue"), max_length=20, choices=QueueReason.choices,
                                    blank=True, default=QueueReason.NONE)
    court = models.ForeignKey("auction.Court", verbose_name=_("court"), on_delete=models.PROTECT,
                              related_name="receipts")
    deposit = models.ForeignKey(Deposit, verbose_name=_("deposit"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="receipts")
    balance = models.ForeignKey("BalanceDue", verbose_name=_("balance"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="receipts")
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    claim_reason = models.TextField(_("reason for the assignment"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "external_ref"], name="unique_receipt_per_gateway"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="receipt_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_gateway_display()} {self.external_ref}"


class BankStatement(models.Model):
    """An imported bank statement file. The same file imported again is recognised by its hash and
    changes nothing; single lines are deduplicated by their line key (Receipt.external_ref)."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        CAMT053 = "camt053", _("CAMT.053 (ISO 20022 XML)")

    court = models.ForeignKey("auction.Court", verbose_name=_("court"), on_delete=models.PROTECT,
                              related_name="bank_statements")
    sha256 = models.CharField(_("file hash"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    credit_count = models.PositiveIntegerField(_("credits"), default=0)
    duplicate_count = models.PositiveIntegerField(_("already imported"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    queued_count = models.PositiveIntegerField(_("to the claim queue"), default=0)
    skipped_count = models.PositiveIntegerField(_("debits skipped"), default=0)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.filename


class Payout(models.Model):
    """Money owed back to a payer (refunds payable): a released deposit, a refunded balance payment,
    a returned receipt. A card refund is made by the gateway at once; a bank or offline payout is a
    payout instruction that finance staff execute and then mark as paid."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payout status", "To be paid")
        PAID = "paid", pgettext_lazy("payout status", "Paid")

    class Reason(models.TextChoices):
        DEPOSIT_RELEASE = "deposit_release", _("Deposit released")
        BALANCE_REFUND = "balance_refund", _("Balance payment refunded")
        RECEIPT_RETURN = "receipt_return", _("Receipt returned")

    key = models.CharField(_("key"), max_length=120, unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    payee_name = models.CharField(_("payee"), max_length=140, blank=True)
    payee_account = models.CharField(_("payee's account"), max_length=60, blank=True)
    court = models.ForeignKey("auction.Court", verbose_name=_("court"), on_delete=models.PROTECT,
                              related_name="payouts")
    deposit = models.ForeignKey(Deposit, verbose_name=_("deposit"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="payouts")
    balance_payment = models.ForeignKey("BalancePayment", verbose_name=_("balance payment"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="payouts")
    receipt = models.ForeignKey(Receipt, verbose_name=_("receipt"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="payouts")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    external_ref = models.CharField(_("bank or gateway reference"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paid by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return self.key


class ForfeitEarmark(models.Model):
    """A forfeited deposit earmarked as case funds (WP art.24): nothing is refunded, and the court
    applies it in the fixed order of `plan`. The distribution itself is a later step."""

    class Step(models.TextChoices):
        AUCTION_COSTS = "auction_costs", _("Costs and losses of the auction")
        RE_AUCTION_SHORTFALL = "re_auction_shortfall", _("Shortfall of the re-auction price below the original price")
        CASE_DEBT = "case_debt", _("The debtor's debt in this case")
        PROPERTY_DEBTS = "property_debts", _("The debtor's debts related to the property")

    PLAN: ClassVar[list[str]] = [Step.AUCTION_COSTS, Step.RE_AUCTION_SHORTFALL, Step.CASE_DEBT, Step.PROPERTY_DEBTS]

    deposit = models.OneToOneField(Deposit, verbose_name=_("deposit"), on_delete=models.PROTECT,
                                   related_name="forfeit_earmark")
    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="forfeit_earmarks")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.TextField(_("reason"))
    plan = models.JSONField(_("order of application (WP art.24)"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("forfeited deposit")
        verbose_name_plural = _("forfeited deposits")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.deposit} → {self.case}"

    @property
    def plan_labels(self) -> list[str]:
        return [str(self.Step(step).label) for step in self.plan]


# --- the balance (尾款) ------------------------------------------------------------------------------


class BalanceDue(models.Model):
    """What the buyer still owes after the winning deposit is applied to the price, due within the
    notice's period from the close (WP art.25; 10 days by default, the last day rolled past rest
    days). Paid in full, the lot is ready for the sale ruling."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("balance status", "Open")
        PAID = "paid", pgettext_lazy("balance status", "Paid: ready for the sale ruling")
        DEFAULTED = "defaulted", pgettext_lazy("balance status", "Defaulted (悔拍)")

    round = models.OneToOneField("auction.AuctionRound", verbose_name=_("round"), on_delete=models.PROTECT,
                                 related_name="balance_due")
    deposit = models.OneToOneField(Deposit, verbose_name=_("winning deposit"), on_delete=models.PROTECT,
                                   related_name="balance_due")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("buyer"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="balances_due")
    price_fen = models.BigIntegerField(_("price (fen)"))
    deposit_credit_fen = models.BigIntegerField(_("deposit credited (fen)"))
    amount_fen = models.BigIntegerField(_("balance (fen)"))
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    due_on = models.DateField(_("due on"))
    reference = models.CharField(_("transfer reference"), max_length=12, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    paid_at = models.DateTimeField(_("paid in full at"), null=True, blank=True)
    defaulted_at = models.DateTimeField(_("defaulted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("balance due")
        verbose_name_plural = _("balances due")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0) & Q(paid_fen__gte=0), name="balance_non_negative"),
            models.CheckConstraint(condition=Q(paid_fen__lte=models.F("amount_fen")), name="balance_not_overpaid"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen


class BalancePayment(models.Model):
    """One payment towards a balance; partial payments are allowed."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payment status", "Awaiting payment")
        RECEIVED = "received", pgettext_lazy("payment status", "Received")
        CANCELLED = "cancelled", pgettext_lazy("payment status", "Cancelled")
        REFUNDED = "refunded", pgettext_lazy("payment status", "Refunded")

    balance = models.ForeignKey(BalanceDue, verbose_name=_("balance"), on_delete=models.PROTECT,
                                related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(_("payment reference"), max_length=40, unique=True)
    gateway_ref = models.CharField(_("gateway reference"), max_length=100, blank=True, db_index=True)
    receipt = models.OneToOneField(Receipt, verbose_name=_("receipt"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="balance_payment")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("balance payment")
        verbose_name_plural = _("balance payments")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="balance_payment_positive")]

    def __str__(self) -> str:
        return self.reference


class BalanceReminder(models.Model):
    """A reminder to the buyer at a milestone before (and after) the due date, once per milestone."""

    class Milestone(models.TextChoices):
        DAYS_3 = "due_in_3_days", _("Due in 3 days")
        DAYS_1 = "due_tomorrow", _("Due tomorrow")
        DUE_TODAY = "due_today", _("Due today")
        OVERDUE = "overdue", _("Overdue")

    balance = models.ForeignKey(BalanceDue, verbose_name=_("balance"), on_delete=models.CASCADE,
                                related_name="reminders")
    milestone = models.CharField(_("milestone"), max_length=16, choices=Milestone.choices)
    due_on = models.DateField(_("due on"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("balance reminder")
        verbose_name_plural = _("balance reminders")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["balance", "milestone"], name="unique_reminder_milestone")]

    def __str__(self) -> str:
        return f"{self.balance} {self.milestone}"


# --- alerts and the webhook inbox ----------------------------------------------------------------------


class SettlementAlert(models.Model):
    """Something late that finance staff must see: a deposit still held 24 hours after its round
    ended (WP arts.23, 25), a payout not made within 24 hours, an overdue balance. One per object and
    kind: the clock raises it once and resolves it when the cause is gone."""

    class Kind(models.TextChoices):
        RELEASE_OVERDUE = "release_overdue", _("Deposit not released within 24 hours (WP art.23)")
        APPLY_OVERDUE = "apply_overdue", _("Winning deposit not moved to the case account within 24 hours (WP art.25)")
        SETTLE_MISSING = "settle_missing", _("Round sold but deposits not settled within 24 hours")
        PAYOUT_OVERDUE = "payout_overdue", _("Payout not made within 24 hours")
        CASE_PAYOUT_OVERDUE = "case_payout_overdue", _(
            "Case funds not paid out within 30 days (or 10 days after a delay ended)")
        BALANCE_OVERDUE = "balance_overdue", _("Balance overdue")

    key = models.CharField(_("key"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    court = models.ForeignKey("auction.Court", verbose_name=_("court"), on_delete=models.PROTECT,
                              related_name="settlement_alerts")
    round = models.ForeignKey("auction.AuctionRound", verbose_name=_("round"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="settlement_alerts")
    deposit = models.ForeignKey(Deposit, verbose_name=_("deposit"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="alerts")
    payout = models.ForeignKey(Payout, verbose_name=_("payout"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="alerts")
    balance = models.ForeignKey(BalanceDue, verbose_name=_("balance"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="alerts")
    due_at = models.DateTimeField(_("was due at"))
    created_at = models.DateTimeField(_("raised at"), default=clock.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement alert")
        verbose_name_plural = _("settlement alerts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class StripeEvent(models.Model):
    """The webhook inbox: every verified Stripe event once, by its id. The payload is kept for the
    record only; processing re-fetches the object from the API."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("event status", "Received")
        PROCESSED = "processed", pgettext_lazy("event status", "Processed")
        UNKNOWN_OBJECT = "unknown", pgettext_lazy("event status", "Unknown object (recorded only)")
        IGNORED = "ignored", pgettext_lazy("event status", "Not relevant")

    event_id = models.CharField(_("event id"), max_length=100, unique=True)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(_("received at"), default=clock.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


# --- case funds: costs, the distribution plan, payouts (docs/distribution.md) ------------------------------


class CaseCost(models.Model):
    """An execution cost of the case, paid first from the proceeds (CPLI art.508; RP art.33; WP art.7).
    The enforcement application fee is not entered here: the plan computes it (FEE art.14)."""

    class Kind(models.TextChoices):
        AUCTION = "auction", _("Actual costs of the auction")
        APPRAISAL = "appraisal", _("Appraisal fee")
        INQUIRY = "inquiry", _("Online inquiry fee")
        AUXILIARY = "auxiliary", _("Auxiliary costs")
        STORAGE = "storage", _("Storage costs")
        OTHER = "other", _("Other execution costs")

    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    payee_name = models.CharField(_("payee"), max_length=140)
    payee_account = models.CharField(_("payee's account"), max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("entered at"), default=clock.now)

    class Meta:
        verbose_name = _("execution cost")
        verbose_name_plural = _("execution costs")
        ordering = ["case", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="case_cost_amount_positive")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()} {self.amount_fen}"


class DistributionPlan(models.Model):
    """One version of a case's distribution plan (分配方案, CPLI arts.508–510): built from the case's
    costs and claims, served on every creditor and the debtor, then carried out line by line. A
    revision after an objection is a new version; the old one is superseded."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("plan status", "Draft")
        SERVED = "served", pgettext_lazy("plan status", "Served")
        SUPERSEDED = "superseded", pgettext_lazy("plan status", "Superseded")

    class Mode(models.TextChoices):
        PRO_RATA = "pro_rata", _("Pro rata (natural person or other organisation, CPLI art.508)")
        SEIZURE_ORDER = "seizure_order", _("By seizure order (company debtor, CPLI arts.511–514)")

    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="distribution_plans")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    mode = models.CharField(_("ordinary claims"), max_length=14, choices=Mode.choices)
    available_fen = models.BigIntegerField(_("funds to distribute (fen)"))
    paid_before_fen = models.BigIntegerField(_("already paid under earlier versions (fen)"), default=0)
    forfeit_moved_fen = models.BigIntegerField(_("forfeited deposits moved into the case account (fen)"), default=0)
    interest_stop_on = models.DateField(_("sale ruling took effect on"), null=True, blank=True,
                                        help_text=_("Late-performance interest stops on this day (LI art.3)."))
    application_fee_fen = models.BigIntegerField(_("enforcement application fee (fen)"), default=0)
    note = models.TextField(_("reason for this version"), blank=True)
    based_on = models.ForeignKey("self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="revisions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn up by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("drawn up at"), default=clock.now)
    served_on = models.DateField(_("served on"), null=True, blank=True)
    statement_pdf = models.BinaryField(_("distribution statement (PDF)"), blank=True, default=b"")
    statement_sha256 = models.CharField(_("statement SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("distribution plan")
        verbose_name_plural = _("distribution plans")
        ordering = ["case", "-version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="unique_plan_version")]

    def __str__(self) -> str:
        return f"{self.case} v{self.version}"


class DistributionLine(models.Model):
    """One line of a plan, in payment order. `key` names what the line pays across versions
    ("claim:12:priority", "cost:3", "fee", "surplus"), so payouts made under an earlier version count
    against the same line of the next."""

    class Tier(models.TextChoices):
        COST = "cost", _("Execution costs")
        PRIORITY = "priority", _("Priority claims")
        ORDINARY = "ordinary", _("Ordinary claims")
        INTEREST = "interest", _("Late-performance interest")
        SURPLUS = "surplus", _("Surplus to the debtor")

    plan = models.ForeignKey(DistributionPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    key = models.CharField(_("key"), max_length=60)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    rank = models.CharField(_("rank"), max_length=30, blank=True)
    claim = models.ForeignKey("auction.Claim", verbose_name=_("claim"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="distribution_lines")
    cost = models.ForeignKey(CaseCost, verbose_name=_("cost"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="distribution_lines")
    payee_name = models.CharField(_("payee"), max_length=140)
    payee_account = models.CharField(_("payee's account"), max_length=60, blank=True)
    claimed_fen = models.BigIntegerField(_("claimed (fen)"))
    allocated_fen = models.BigIntegerField(_("allocated (fen)"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("distribution line")
        verbose_name_plural = _("distribution lines")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="unique_plan_line_key"),
            models.CheckConstraint(condition=Q(allocated_fen__gte=0) & Q(allocated_fen__lte=models.F("claimed_fen")),
                                   name="line_allocation_within_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.payee_name} · {self.get_tier_display()}"


class PlanService(models.Model):
    """Service of a plan version on one party; the objection window runs 15 days from it (CPLI
    art.509)."""

    plan = models.ForeignKey(DistributionPlan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="services")
    party = models.ForeignKey("auction.Party", verbose_name=_("party"), on_delete=models.PROTECT, related_name="+")
    served_on = models.DateField(_("served on"))
    objection_due = models.DateField(_("objections due by"))

    class Meta:
        verbose_name = _("service of the plan")
        verbose_name_plural = _("services of the plan")
        ordering = ["plan", "party"]
        constraints = [models.UniqueConstraint(fields=["plan", "party"], name="unique_plan_service")]

    def __str__(self) -> str:
        return f"{self.plan} → {self.party}"


class PlanObjection(models.Model):
    """A written objection to a plan line (CPLI arts.509–510): the other parties may counter-object
    within 15 days; with no counter-objection the plan is revised; with one, the objector must sue
    within 15 days or the plan is carried out as it stands. While it is open the disputed amount of
    the line is held back; everything else can be paid."""

    class Status(models.TextChoices):
        FILED = "filed", pgettext_lazy("objection status", "Filed; counter-objections open")
        COUNTERED = "countered", pgettext_lazy("objection status", "Counter-objected; suit window open")
        SUED = "sued", pgettext_lazy("objection status", "Suit filed; amount held")
        UPHELD = "upheld", pgettext_lazy("objection status", "No counter-objection; plan to be revised")
        LAPSED = "lapsed", pgettext_lazy("objection status", "No suit in time; plan carried out")
        DECIDED = "decided", pgettext_lazy("objection status", "Decided by the court")
        WITHDRAWN = "withdrawn", pgettext_lazy("objection status", "Withdrawn")

    OPEN: ClassVar[tuple[str, ...]] = (Status.FILED, Status.COUNTERED, Status.SUED)

    plan = models.ForeignKey(DistributionPlan, verbose_name=_("plan"), on_delete=models.PROTECT,
                             related_name="objections")
    line = models.ForeignKey(DistributionLine, verbose_name=_("disputed line"), on_delete=models.PROTECT,
                             related_name="objections")
    objector = models.ForeignKey("auction.Party", verbose_name=_("objector"), on_delete=models.PROTECT,
                                 related_name="+")
    disputed_fen = models.BigIntegerField(_("disputed amount (fen)"))
    grounds = models.TextField(_("grounds"))
    filed_on = models.DateField(_("filed on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FILED)
    counter_due = models.DateField(_("counter-objections due by"))
    counter_party = models.ForeignKey("auction.Party", verbose_name=_("counter-objector"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    countered_on = models.DateField(_("counter-objected on"), null=True, blank=True)
    suit_due = models.DateField(_("suit due by"), null=True, blank=True)
    sued_on = models.DateField(_("suit filed on"), null=True, blank=True)
    suit_reference = models.CharField(_("suit case number"), max_length=60, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("objection to the plan")
        verbose_name_plural = _("objections to the plan")
        ordering = ["plan", "id"]
        constraints = [models.CheckConstraint(condition=Q(disputed_fen__gt=0), name="objection_amount_positive")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.objector} ({self.get_status_display()})"


class CaseStay(models.Model):
    """A period during which enforcement of the case was stayed. Late-performance interest does not
    run during a stay the debtor did not ask for (LI art.3); a stay at the debtor's request counts."""

    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="stays")
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    requested_by_debtor = models.BooleanField(_("requested by the debtor"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("stay of enforcement")
        verbose_name_plural = _("stays of enforcement")
        ordering = ["case", "first_day"]
        constraints = [models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")),
                                              name="stay_ends_after_it_starts")]

    def __str__(self) -> str:
        return f"{self.case} {self.first_day}–{self.last_day}"


class PayoutDelay(models.Model):
    """A listed reason to pay a case's funds later than 30 days after they arrived, approved by the
    head of the enforcement bureau or the court leader in charge; once it ends, payment is due within
    10 days (EF)."""

    class Reason(models.TextChoices):
        DISTRIBUTION = "distribution", _("A distribution is needed (案款分配)")
        FUNDS_FROZEN = "funds_frozen", _("The applicant's funds are frozen or preserved in other proceedings")
        NOT_COLLECTED = "not_collected", _("The applicant did not collect after notice")
        CASE_SUSPENDED = "case_suspended", _("The case is suspended or stayed")
        OTHER = "other", _("Other good reason")

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("delay status", "Awaiting approval")
        APPROVED = "approved", pgettext_lazy("delay status", "Approved")
        REFUSED = "refused", pgettext_lazy("delay status", "Refused")
        ENDED = "ended", pgettext_lazy("delay status", "Ended")

    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="payout_delays")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.TextField(_("explanation"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ended_on = models.DateField(_("reason ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout delay")
        verbose_name_plural = _("payout delays")
        ordering = ["case", "-requested_at"]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_reason_display()}"


class CasePayout(models.Model):
    """A payment of case funds to a payee of the plan (案款发放). Two-person rule: an enforcement
    officer prepares it, an approver (head of the enforcement bureau) approves it, finance executes
    it — three different people. Escrow (提存) when the payee cannot receive."""

    class Status(models.TextChoices):
        PREPARED = "prepared", pgettext_lazy("case payout status", "Prepared; awaiting approval")
        APPROVED = "approved", pgettext_lazy("case payout status", "Approved; awaiting payment")
        PAID = "paid", pgettext_lazy("case payout status", "Paid")
        ESCROWED = "escrowed", pgettext_lazy("case payout status", "Paid into escrow (提存)")
        CANCELLED = "cancelled", pgettext_lazy("case payout status", "Cancelled")

    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        COURT_FEES = "court_fees", _("Transfer to the court's fee account")

    case = models.ForeignKey("auction.Case", verbose_name=_("case"), on_delete=models.PROTECT,
                             related_name="case_payouts")
    line = models.ForeignKey(DistributionLine, verbose_name=_("plan line"), on_delete=models.PROTECT,
                             related_name="payouts")
    line_key = models.CharField(_("line key"), max_length=60, db_index=True)
    reference = models.CharField(_("payment reference"), max_length=16, unique=True)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default=Method.BANK)
    payee_name = models.CharField(_("payee"), max_length=140)
    payee_account = models.CharField(_("payee's account"), max_length=60, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREPARED,
                              db_index=True)
    due_on = models.DateField(_("due by"), null=True, blank=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prepared by"),
                                    on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(_("prepared at"), default=clock.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("executed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    external_ref = models.CharField(_("bank reference"), max_length=120, blank=True)
    escrow_reason = models.CharField(_("why in escrow"), max_length=300, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("case payout")
        verbose_name_plural = _("case payouts")
        ordering = ["-prepared_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="case_payout_amount_positive"),
            # the two-person rule, as the database's last word (services check it with a message)
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("prepared_by")),
                                   name="case_payout_approver_not_preparer"),
            models.CheckConstraint(condition=Q(executed_by__isnull=True) | (
                ~Q(executed_by=models.F("prepared_by")) & ~Q(executed_by=models.F("approved_by"))),
                name="case_payout_executor_not_preparer_or_approver"),
        ]

    def __str__(self) -> str:
        return self.reference


# --- reconciliation (docs/reconciliation.md) --------------------------------------------------------------


class GatewayRecord(models.Model):
    """A movement as the gateway itself reports it: a Stripe balance transaction fetched through the
    API, or a line of an imported bank statement (credits and debits). Reconciliation compares these
    with the ledger's movements on the gateway's clearing account."""

    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    external_id = models.CharField(_("gateway's id"), max_length=120)
    reference = models.CharField(_("matching reference"), max_length=120, db_index=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))  # money in positive, out negative
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    statement = models.ForeignKey(BankStatement, verbose_name=_("bank statement"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="gateway_records")
    fetched_at = models.DateTimeField(_("recorded at"), default=clock.now)

    class Meta:
        verbose_name = _("gateway record")
        verbose_name_plural = _("gateway records")
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "external_id"], name="unique_gateway_record")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.external_id} {self.amount_fen}"


class ReconciliationRun(models.Model):
    """One run of the daily reconciliation of a gateway up to the end of `day`."""

    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    day = models.DateField(_("up to the end of"))
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    started_by = models.CharField(_("started by"), max_length=150)
    gateway_count = models.PositiveIntegerField(_("gateway movements"), default=0)
    ledger_count = models.PositiveIntegerField(_("ledger movements"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    exception_count = models.PositiveIntegerField(_("exceptions open"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.day}"


class ReconciliationException(models.Model):
    """A difference between the ledger and a gateway. One per gateway, kind and reference: a re-run
    finds the same one again instead of adding another; it is resolved by a person with a reason, or
    by the run that no longer finds the difference."""

    class Kind(models.TextChoices):
        UNMATCHED_RECEIPT = "unmatched_receipt", _("Receipt not matched to a case (claim queue)")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amounts differ between the gateway and the ledger")
        DUPLICATE = "duplicate", _("Recorded more than once")
        GATEWAY_ONLY = "gateway_only", _("Money at the gateway with no ledger entry")
        LEDGER_ONLY = "ledger_only", _("Ledger entry with no money at the gateway")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("exception status", "Open")
        RESOLVED = "resolved", pgettext_lazy("exception status", "Resolved")

    gateway = models.CharField(_("gateway"), max_length=20, choices=Gateway.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=120)
    gateway_amount_fen = models.BigIntegerField(_("gateway amount (fen)"), null=True, blank=True)
    ledger_amount_fen = models.BigIntegerField(_("ledger amount (fen)"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    court = models.ForeignKey("auction.Court", verbose_name=_("court"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="reconciliation_exceptions")
    first_run = models.ForeignKey(ReconciliationRun, verbose_name=_("found by"), on_delete=models.PROTECT,
                                  related_name="+")
    last_run = models.ForeignKey(ReconciliationRun, verbose_name=_("last seen by"), on_delete=models.PROTECT,
                                 related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.CharField(_("resolved by"), max_length=150, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reconciliation exception")
        verbose_name_plural = _("reconciliation exceptions")
        ordering = ["status", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "kind", "reference"],
                                               name="unique_reconciliation_exception")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.kind} {self.reference}"
