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
