"""Every write of money: deposits, receipts, payouts, balance payments, the Stripe webhook inbox and
the clock's settlement jobs. Views, the API, the webhook view and the clock only translate I/O and
call these functions.

Each money movement posts a balanced ledger transaction (settlement.ledger) in the same database
transaction as the state change that caused it, with an idempotency key, and writes an audit record.

Locks (docs/locking.md): a deposit or balance changes state under the lock of its round first
(AuctionRound, 2), then its own row (4), then ledger accounts in id order (4), then the audit chain
head (5). The round lock comes first because the on_deposit_held callbacks of bidding lock bidding rows
(3) and update the round's registrant count; callers from bidding that already hold the round lock
re-take it at no cost. A webhook or a refresh reads the provider's state before taking any lock; calls
that change money are made under the locks, just before the posting they cause, so a provider error
leaves the database unchanged and a retried call finds the provider's first result."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from auction import rules
from auction.models import AuctionRound, Case, Claim, Court, CourtMembership, Party
from auction.services import check_court_staff
from core import audit, clock, days, notify
from core.errors import PermissionDenied, Problems, RuleViolation
from core.money import format_fen
from core.roles import Role, has_role
from core.transitions import TransitionTable, transition
from settlement import distribution, exports, gateways, hooks, ledger, reconciliation, selectors, statements
from settlement.gateways.base import GatewayError, GatewayStatus, Payable, PaymentStart, State
from settlement.gateways.stripe_gateway import StripeGateway
from settlement.ledger import Leg, case_account, forfeit_account, move, virtual_account_number
from settlement.models import (
    BalanceDue,
    BalancePayment,
    BalanceReminder,
    BankStatement,
    CaseCost,
    CasePayout,
    CaseStay,
    Deposit,
    DistributionLine,
    DistributionPlan,
    ForfeitEarmark,
    Gateway,
    LedgerAccount,
    LedgerTransaction,
    Payout,
    PayoutDelay,
    PlanObjection,
    PlanService,
    Receipt,
    RoundPaymentSettings,
    SettlementAlert,
    StripeEvent,
)
from settlement.selectors import (
    accepts_deposits,
    allowed_gateways,
    balance_status,
    finished_at,
    opens_deposits,
)

log = logging.getLogger("fapai.settlement")

D = Deposit.Status
R = Receipt.Status
S = AuctionRound.Status
TX = LedgerTransaction.Kind
CLOCK = "system:clock"
SYSTEM = "system"
STRIPE_ACTOR = "system:stripe"
SETTLE_WITHIN = timedelta(hours=24)  # WP arts.23, 25
PAYOUT_WITHIN = timedelta(hours=24)
FINISHED = frozenset({S.SOLD, S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU})
NO_SALE = frozenset({S.FAILED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU})

DEPOSIT_TRANSITIONS = TransitionTable(
    "deposit",
    {
        D.PENDING: {D.HELD, D.CANCELLED},
        D.HELD: {D.RELEASED, D.APPLIED, D.FORFEITED},
        # The winner's deposit reaches the case account within 24 hours (WP art.25), long before a
        # default (悔拍) can be declared at the end of the balance period: it is forfeited from there.
        D.APPLIED: {D.FORFEITED},
        D.RELEASED: set(),
        D.FORFEITED: set(),
        D.CANCELLED: set(),
    },
)
DEPOSIT_LABELS = dict(D.choices)
AUDIT_ACTIONS = {
    "deposit.open": _("Deposit opened"),
    "deposit.payment_prepared": _("Deposit payment prepared"),
    "deposit.hold": _("Deposit held"),
    "deposit.release": _("Deposit released"),
    "deposit.apply": _("Deposit applied to the price"),
    "deposit.forfeit": _("Deposit forfeited"),
    "deposit.cancel": _("Deposit cancelled"),
    "deposit.settle": _("Deposit marked for settlement"),
    "receipt.queue": _("Receipt put in the claim queue"),
    "receipt.assign": _("Receipt assigned"),
    "receipt.return": _("Receipt returned"),
    "payout.paid": _("Payout made"),
    "statement.import": _("Bank statement imported"),
    "round.payment_settings": _("Payment methods set"),
    "balance.open": _("Balance opened"),
    "balance.payment": _("Balance payment received"),
    "balance.paid": _("Balance paid in full"),
    "balance.default": _("Buyer defaulted"),
    "balance.payment_refund": _("Balance payment refunded"),
    "case.cost_add": _("Execution cost recorded"),
    "case.stay_add": _("Stay of enforcement recorded"),
    "plan.build": _("Distribution plan drawn up"),
    "plan.serve": _("Distribution plan served"),
    "plan.supersede": _("Distribution plan superseded"),
    "objection.file": _("Objection to the plan filed"),
    "objection.counter": _("Counter-objection filed"),
    "objection.sue": _("Objector's suit filed"),
    "objection.upheld": _("Objection upheld (no counter-objection)"),
    "objection.lapsed": _("Objection lapsed (no suit)"),
    "objection.decided": _("Objection decided"),
    "objection.withdrawn": _("Objection withdrawn"),
    "case_payout.prepare": _("Case payout prepared"),
    "case_payout.approve": _("Case payout approved"),
    "case_payout.paid": _("Case payout made"),
    "case_payout.escrowed": _("Case payout paid into escrow"),
    "case_payout.cancel": _("Case payout cancelled"),
    "payout_delay.request": _("Payout delay requested"),
    "payout_delay.approve": _("Payout delay approved"),
    "payout_delay.refuse": _("Payout delay refused"),
    "payout_delay.end": _("Payout delay ended"),
}


# --- who may act --------------------------------------------------------------------------------------


def _is_system(actor: Any) -> bool:
    return isinstance(actor, str) and (actor == SYSTEM or actor.startswith("system:"))


def check_finance(actor: Any, court: Court) -> None:
    """Finance staff act only for their own courts; the clock and the webhook act for all."""
    if _is_system(actor):
        return
    if isinstance(actor, str) or actor is None or not has_role(actor, Role.FINANCE):
        raise PermissionDenied(_("Only finance staff may do this."), code="permission_denied")
    if not CourtMembership.objects.filter(user=actor, court=court).exists():
        raise PermissionDenied(_("You do not act for %(court)s."), code="wrong_court",
                               params={"court": court.display_name})


def check_owner(actor: Any, owner_id: int | None) -> None:
    """Only the bidder who opened a deposit (or owes a balance) sees and pays it."""
    if isinstance(actor, str) or actor is None or not actor.is_authenticated or owner_id != actor.pk:
        raise PermissionDenied(_("This payment belongs to someone else."), code="not_owner")


def _check_owner_or_finance(actor: Any, deposit: Deposit) -> None:
    if _is_system(actor):
        return
    if not isinstance(actor, str) and actor is not None and actor.pk == deposit.owner_id:
        return
    check_finance(actor, deposit.round.lot.case.court)


def _court_of(rnd: AuctionRound) -> Court:
    return rnd.lot.case.court


# --- references and payables ---------------------------------------------------------------------------


def new_reference(prefix: str) -> str:
    """A random transfer reference people can type: the prefix and 8 characters without the look-alikes
    0/O, 1/I/L (e.g. FP7K2Q9X3M). Unique among deposits ("FP") and balances ("FB")."""
    model: Any = Deposit if prefix == "FP" else BalanceDue
    while True:
        candidate = prefix + "".join(secrets.choice(statements.REFERENCE_ALPHABET) for _ in range(8))
        if not model.objects.filter(reference=candidate).exists():
            return candidate


def card_authorisation_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "FAPAI_CARD_AUTH_WINDOW_DAYS", 6)))


def _deposit_payable(d: Deposit, *, for_prepare: bool = False) -> Payable:
    rnd = d.round
    case = rnd.lot.case
    manual = for_prepare and rnd.effective_end - clock.now() <= card_authorisation_window()
    return Payable(kind="deposit", reference=d.reference, transfer_reference=d.reference, amount_fen=d.amount_fen,
                   currency=d.currency, payer_name=d.payer_name, payee_name=case.court.display_name,
                   case_account_reference=virtual_account_number(case), gateway_ref=d.gateway_ref,
                   attempt=d.gateway_attempt, manual_capture=manual)


def _payment_payable(p: BalancePayment) -> Payable:
    b = p.balance
    case = b.round.lot.case
    return Payable(kind="balance", reference=p.reference, transfer_reference=b.reference, amount_fen=p.amount_fen,
                   currency=b.currency, payer_name=b.deposit.payer_name, payee_name=case.court.display_name,
                   case_account_reference=virtual_account_number(case), gateway_ref=p.gateway_ref)


def _gateway_error(exc: GatewayError) -> RuleViolation:
    return RuleViolation(exc.message, code=exc.code)


# --- locks ---------------------------------------------------------------------------------------------


def _lock_round(round_id: int) -> AuctionRound:
    return AuctionRound.objects.select_for_update().get(pk=round_id)


def _lock_deposit(pk: int) -> Deposit:
    """Round, then deposit (see the module docstring)."""
    _lock_round(Deposit.objects.values_list("round_id", flat=True).get(pk=pk))
    return Deposit.objects.select_for_update(of=("self",)).select_related("round__lot__case__court").get(pk=pk)


def _lock_balance(pk: int) -> BalanceDue:
    _lock_round(BalanceDue.objects.values_list("round_id", flat=True).get(pk=pk))
    return BalanceDue.objects.select_for_update(of=("self",)).select_related(
        "round__lot__case__court", "deposit").get(pk=pk)


# --- round payment settings ------------------------------------------------------------------------------


def round_payment_settings_set(*, rnd: AuctionRound, gateways_: list[str], actor: Any) -> RoundPaymentSettings:
    """The court sets the payment methods of a round (WP art.6). New deposits use them; deposits
    already opened keep their gateway. Not after the round has finished."""
    check_court_staff(actor, _court_of(rnd))
    enabled = gateways.enabled_keys()
    chosen = [key for key in enabled if key in set(gateways_)]
    problems = Problems()
    unknown = sorted(set(gateways_) - set(enabled))
    if unknown:
        problems.add(_("Not an enabled payment method: %(keys)s."), "gateway_not_enabled", field="gateways",
                     params={"keys": ", ".join(unknown)})
    if not chosen:
        problems.add(_("Choose at least one payment method."), "gateway_required", field="gateways")
    if rnd.status in FINISHED:
        problems.add(_("The round has finished."), "round_finished")
    problems.raise_if_any()
    with transaction.atomic():
        _lock_round(rnd.pk)
        row, _created = RoundPaymentSettings.objects.select_for_update().get_or_create(round=rnd)
        before = {"gateways": row.gateways}
        row.gateways = chosen
        row.updated_at = clock.now()
        row.updated_by = None if isinstance(actor, str) else actor
        row.save()
        audit.record(actor=actor, action="round.payment_settings", obj=rnd, before=before,
                     after={"gateways": chosen})
    return row


# --- deposits: opening and paying ---------------------------------------------------------------------------


def deposit_open(*, rnd: AuctionRound, amount_fen: int, payer_name: str, gateway: str, actor: Any) -> Deposit:
    """Open a bidder's deposit for a round (WP art.17). The amount is the round's deposit, or less for
    an applicant creditor whose verified claim covers part of it (max(0, deposit − claim), computed by
    the caller); a zero deposit is held at once with no money moved. Open until the round's effective
    end (WP art.18). The gateway must be accepted for the round and able to take the amount (a card
    payment above Stripe's limit is refused with a pointer to bank transfer)."""
    problems = Problems()
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen < 0:
        problems.add(_("The deposit must be a whole number of fen, not negative."), "bad_amount", field="amount_fen")
    elif amount_fen > rnd.deposit_fen:
        problems.add(_("The deposit cannot exceed the round's deposit of %(deposit)s."), "amount_above_deposit",
                     field="amount_fen", params={"deposit": format_fen(rnd.deposit_fen)})
    if not (payer_name or "").strip():
        problems.add(_("The payer's real name is required (WP art.17)."), "payer_name_required", field="payer_name")
    allowed = allowed_gateways(rnd)
    if gateway not in allowed:
        problems.add(_("This payment method is not accepted for this round."), "gateway_not_allowed", field="gateway")
    elif isinstance(amount_fen, int):
        limit = gateways.get(gateway).capabilities.max_amount_fen
        if limit is not None and amount_fen > limit:
            problems.add(_("Card payments are limited to %(limit)s per payment; this deposit is %(amount)s. "
                           "Choose bank transfer instead."), "amount_above_gateway_limit", field="gateway",
                         params={"limit": format_fen(limit), "amount": format_fen(amount_fen)})
    if not opens_deposits(rnd):
        problems.add(_("Deposits for this round are no longer accepted."), "round_not_accepting")
    problems.raise_if_any()
    with transaction.atomic():
        _lock_round(rnd.pk)
        deposit = Deposit.objects.create(
            round=rnd, owner=None if isinstance(actor, str) else actor, amount_fen=amount_fen,
            currency=rnd.currency, payer_name=payer_name.strip()[:100], gateway=gateway,
            reference=new_reference("FP"))
        audit.record(actor=actor, action="deposit.open", obj=deposit,
                     after=audit.snapshot(deposit, ["round_id", "amount_fen", "gateway", "reference"]))
        if amount_fen == 0:
            do_deposit_hold(deposit, actor=actor)
    deposit.refresh_from_db()
    return deposit


def deposit_payment_start(*, deposit: Deposit, actor: Any, return_url: str) -> PaymentStart:
    """What the bidder must do to pay: transfer instructions (offline, bank transfer) or the card form
    of the gateway's page (Stripe). Idempotent: the same PaymentIntent is reused until it is cancelled.
    Only the deposit's owner may start its payment."""
    check_owner(actor, deposit.owner_id)
    deposit = _refresh(deposit, actor)  # a card payment made but not yet reported is held first
    page_url = reverse("settlement:deposit_pay", args=[deposit.pk])
    if deposit.status != D.PENDING:
        return PaymentStart(gateway=deposit.gateway, action="none", amount_fen=deposit.amount_fen,
                            currency=deposit.currency, reference=deposit.reference, page_url=page_url)
    gateway = gateways.get(deposit.gateway)
    if not accepts_deposits(deposit.round):
        raise RuleViolation(_("Deposits for this round are no longer accepted."), code="round_not_accepting")
    with transaction.atomic():
        # Only the deposit row: the round stays free for bidding during the provider call.
        locked = Deposit.objects.select_for_update(of=("self",)).select_related("round__lot__case__court").get(
            pk=deposit.pk)
        try:
            start = gateway.prepare(_deposit_payable(locked, for_prepare=True), return_url=return_url)
        except GatewayError as exc:
            raise _gateway_error(exc) from exc
        if start.gateway_ref and start.gateway_ref != locked.gateway_ref:
            before = audit.snapshot(locked, ["gateway_ref", "gateway_attempt"])
            locked.gateway_ref, locked.gateway_attempt = start.gateway_ref, start.attempt
            locked.save(update_fields=["gateway_ref", "gateway_attempt"])
            audit.record(actor=actor, action="deposit.payment_prepared", obj=locked, before=before,
                         after=audit.snapshot(locked, ["gateway_ref", "gateway_attempt"]))
    return replace(start, page_url=page_url)


def deposit_cancel(*, deposit: Deposit, actor: Any, reason: str = "") -> Deposit:
    """Cancel an unpaid deposit (the bidder changed their mind or chose another payment method, or the
    court refused the registration). A card payment made meanwhile is held instead, as the bidder paid
    it: the deposit is returned held, and is released with the others after the round (WP art.23).
    The deposit's owner, finance staff or court staff of the round's court."""
    if not _is_system(actor) and getattr(actor, "pk", None) != deposit.owner_id:
        if has_role(actor, Role.FINANCE):
            check_finance(actor, deposit.round.lot.case.court)
        else:
            check_court_staff(actor, deposit.round.lot.case.court)
    _refresh(deposit, actor)
    try:
        with transaction.atomic():
            d = _lock_deposit(deposit.pk)
            if d.status == D.PENDING:
                _cancel(d, actor, reason or "cancelled by the bidder")
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    return d


def deposit_refresh(*, deposit: Deposit, actor: Any) -> Deposit:
    """Ask the gateway for the payment's current state and catch up (the same as a webhook would):
    a card payment made but not yet reported is held now."""
    _check_owner_or_finance(actor, deposit)
    return _refresh(deposit, actor)


def _refresh(deposit: Deposit, actor: Any) -> Deposit:
    deposit = Deposit.objects.select_related("round__lot__case__court").get(pk=deposit.pk)
    if deposit.gateway != Gateway.STRIPE or not deposit.gateway_ref:
        return deposit
    try:
        status = _stripe().retrieve(deposit.gateway_ref)
        with transaction.atomic():
            _sync_deposit(deposit.pk, status, actor)
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    deposit.refresh_from_db()
    return deposit


def _stripe() -> StripeGateway:
    gateway = gateways.get(Gateway.STRIPE)
    assert isinstance(gateway, StripeGateway)
    return gateway


def deposit_confirm_offline(*, deposit: Deposit, actor: Any) -> Deposit:
    """Finance staff confirm that an offline deposit was received (the embedded default gateway).
    Posts the receipt and holds the deposit; confirming again changes nothing."""
    check_finance(actor, deposit.round.lot.case.court)
    if deposit.gateway != Gateway.OFFLINE:
        raise RuleViolation(_("Only deposits paid offline are confirmed by hand."), code="not_offline")
    with transaction.atomic():
        d = _lock_deposit(deposit.pk)
        if d.status == D.HELD and d.receipts.filter(gateway=Gateway.OFFLINE).exists():
            return d
        if d.status != D.PENDING:
            raise RuleViolation(_("This deposit is not awaiting payment."), code="deposit_not_pending")
        if not accepts_deposits(d.round):
            raise RuleViolation(_("The round has closed: the deposit can no longer count. Return the money "
                                  "to the payer."), code="round_not_accepting")
        receipt = Receipt.objects.create(
            gateway=Gateway.OFFLINE, external_ref=f"deposit:{d.reference}", amount_fen=d.amount_fen,
            currency=d.currency, received_at=clock.now(), payer_name=d.payer_name, status=R.MATCHED,
            court=d.round.lot.case.court, deposit=d)
        do_deposit_hold(d, actor=actor, receipt=receipt)
    d.refresh_from_db()
    return d


def do_deposit_hold(deposit: Deposit, *, actor: Any = SYSTEM, receipt: Receipt | None = None,
                    funded_from: Any = None, card_authorisation: GatewayStatus | None = None) -> bool:
    """Hold a pending deposit: the bidder is qualified to bid (WP arts.17, 18). The money is either a
    receipt (funds received at a gateway, or assigned from the claim queue: `funded_from` is then the
    unmatched-receipts account), a card authorisation (frozen, nothing moved: a memo posting), or
    nothing at all for a zero deposit. Writes the ledger transaction and the audit record, then runs
    the on_deposit_held callbacks in the same transaction. Returns False if it was not pending.
    Locks: round, deposit (taken again if the caller holds them)."""
    d = _lock_deposit(deposit.pk)
    if d.status != D.PENDING:
        return False
    now = clock.now()
    if d.amount_fen == 0:
        mode = Deposit.HoldMode.NO_MONEY
    elif card_authorisation is not None:
        mode = Deposit.HoldMode.CARD_HOLD
        memo, contra = ledger.card_holds()
        ledger.post(kind=TX.DEPOSIT_HOLD, key=f"deposit:{d.pk}:hold", actor=actor, deposit=d,
                    legs=move(d.amount_fen, debit=memo, credit=contra), memo=f"{d.reference} card authorisation")
    elif receipt is not None:
        mode = Deposit.HoldMode.FUNDS
        source = funded_from or ledger.clearing(receipt.gateway)
        ledger.post(kind=TX.DEPOSIT_HOLD, key=f"deposit:{d.pk}:hold", actor=actor, deposit=d, receipt=receipt,
                    legs=move(d.amount_fen, debit=source, credit=ledger.deposits_held()), memo=d.reference)
    else:
        raise ledger.LedgerError("a deposit with money is held only with a receipt or a card authorisation")
    paid_from = receipt.payer_account if receipt is not None else (
        card_authorisation.instrument if card_authorisation is not None else "")
    transition(d, DEPOSIT_TRANSITIONS, D.HELD, actor=actor, action="deposit.hold", labels=DEPOSIT_LABELS,
               extra_changes={"held_at": now, "hold_mode": mode, "payer_instrument": "".join(paid_from.split())})
    hooks.deposit_held(d)
    deposit.status, deposit.held_at, deposit.hold_mode = d.status, d.held_at, d.hold_mode
    return True


def _card_receipt(d: Deposit, status: GatewayStatus, *, returned: bool = False) -> tuple[Receipt, bool]:
    """The receipt of a captured card payment, recorded once per PaymentIntent."""
    return Receipt.objects.get_or_create(
        gateway=Gateway.STRIPE, external_ref=status.external_ref,
        defaults={"amount_fen": status.amount_fen, "currency": d.currency, "received_at": clock.now(),
                  "payer_name": d.payer_name, "payer_account": status.instrument[:60],
                  "status": R.RETURNED if returned else R.MATCHED,
                  "court": d.round.lot.case.court, "deposit": d})


def _return_card_payment(d: Deposit, status: GatewayStatus, actor: Any) -> None:
    """A card payment that can no longer count (the deposit was cancelled or superseded) goes back."""
    receipt, created = _card_receipt(d, status, returned=True)
    if not created:
        return
    ledger.post(kind=TX.RECEIPT_RETURNED, key=f"receipt:{receipt.pk}:return", actor=actor, receipt=receipt,
                legs=move(receipt.amount_fen, debit=ledger.clearing(Gateway.STRIPE), credit=ledger.refunds_payable()),
                memo=f"{d.reference} late card payment")
    payout = _payout_create(key=f"receipt:{receipt.pk}:return", reason=Payout.Reason.RECEIPT_RETURN,
                            gateway=Gateway.STRIPE, amount_fen=receipt.amount_fen, currency=receipt.currency,
                            court=receipt.court, payee_name=d.payer_name, receipt=receipt)
    _payout_execute(payout, replace(_deposit_payable(d), gateway_ref=status.external_ref), actor)


def _sync_deposit(pk: int, status: GatewayStatus, actor: Any) -> None:
    """Bring a deposit in line with its PaymentIntent as the API reported it. Our own actions drive
    a held deposit's PaymentIntent, so a late or out-of-order report about it changes nothing."""
    d = _lock_deposit(pk)
    if _refunded_elsewhere(status):
        return
    gateway = _stripe()
    payable = replace(_deposit_payable(d), gateway_ref=status.external_ref)
    if status.external_ref != d.gateway_ref:
        # A superseded PaymentIntent of this deposit was paid after all: it cannot count twice.
        if status.state == State.AUTHORISED:
            gateway.release(payable)
        elif status.state == State.CAPTURED:
            _return_card_payment(d, status, actor)
        return
    if d.status == D.PENDING and status.state in (State.AUTHORISED, State.CAPTURED):
        if not accepts_deposits(d.round):
            _cancel(d, actor, "paid after the round closed")
            return
        try:
            with transaction.atomic():
                if status.state == State.AUTHORISED:
                    do_deposit_hold(d, actor=actor, card_authorisation=status)
                else:
                    receipt, _created = _card_receipt(d, status)
                    do_deposit_hold(d, actor=actor, receipt=receipt)
        except RuleViolation as exc:
            # A callback refused the bidder (e.g. barred meanwhile): the card payment goes back.
            _cancel(d, actor, f"the hold was refused: {exc.rule_code}")
    elif d.status == D.CANCELLED:
        if status.state == State.AUTHORISED:
            gateway.release(payable)
        elif status.state == State.CAPTURED:
            _return_card_payment(d, status, actor)


def _refunded_elsewhere(status: GatewayStatus) -> bool:
    """A card payment fapai never recorded that was refunded at Stripe (its dashboard): none of its
    money is here to hold, credit or give back. It changes nothing; reconciliation shows the charge and
    the refund at Stripe, and the payer pays again on a new PaymentIntent."""
    if status.state != State.CAPTURED or status.refunded_fen <= 0:
        return False
    if Receipt.objects.filter(gateway=Gateway.STRIPE, external_ref=status.external_ref).exists():
        return False  # recorded by fapai: the refund is ours (a release or a returned payment)
    log.warning("PaymentIntent %s was refunded outside fapai before fapai recorded it; nothing changed",
                status.external_ref)
    return True


def _cancel(d: Deposit, actor: Any, reason: str) -> None:
    """pending → cancelled; a card payment started for it is cancelled too, or given back if it was
    made meanwhile. Locks held by the caller."""
    if d.gateway == Gateway.STRIPE and d.gateway_ref:
        gateway = _stripe()
        status = gateway.status(_deposit_payable(d))
        if status.state == State.PROCESSING:
            raise GatewayError(_("The card payment is still being processed; try again later."), code="processing")
        if status.state == State.CAPTURED:
            _return_card_payment(d, status, actor)
        elif status.state != State.CANCELED:
            gateway.release(_deposit_payable(d))
    transition(d, DEPOSIT_TRANSITIONS, D.CANCELLED, actor=actor, action="deposit.cancel", reason=reason,
               labels=DEPOSIT_LABELS, extra_changes={"cancelled_at": clock.now()})


# --- deposits: after the round ---------------------------------------------------------------------------


def _payout_create(*, key: str, reason: str, gateway: str, amount_fen: int, currency: str, court: Court,
                   payee_name: str = "", payee_account: str = "", deposit: Deposit | None = None,
                   balance_payment: BalancePayment | None = None, receipt: Receipt | None = None) -> Payout:
    payout, _created = Payout.objects.get_or_create(key=key, defaults={
        "reason": reason, "gateway": gateway, "amount_fen": amount_fen, "currency": currency, "court": court,
        "payee_name": payee_name, "payee_account": payee_account, "deposit": deposit,
        "balance_payment": balance_payment, "receipt": receipt})
    return payout


def _payout_execute(payout: Payout, payable: Payable, actor: Any) -> None:
    """A gateway that refunds by itself (cards) pays out now; otherwise the payout instruction waits
    for finance staff (payout_mark_paid)."""
    gateway = gateways.get(payout.gateway)
    if payout.status != Payout.Status.PENDING or not gateway.capabilities.automatic_refund:
        return
    result = gateway.refund(payable, amount_fen=payout.amount_fen, key=payout.key)
    _payout_paid(payout, actor, external_ref=result.external_ref)


def _payout_paid(payout: Payout, actor: Any, *, external_ref: str) -> None:
    ledger.post(kind=TX.PAYOUT, key=f"payout:{payout.pk}:paid", actor=actor, payout=payout,
                legs=move(payout.amount_fen, debit=ledger.refunds_payable(), credit=ledger.clearing(payout.gateway)),
                memo=payout.key)
    payout.status, payout.paid_at, payout.external_ref = Payout.Status.PAID, clock.now(), external_ref[:120]
    payout.paid_by = None if isinstance(actor, str) else actor
    payout.save(update_fields=["status", "paid_at", "external_ref", "paid_by"])
    audit.record(actor=actor, action="payout.paid", obj=payout,
                 before={"status": Payout.Status.PENDING}, after={"status": payout.status,
                                                                  "external_ref": payout.external_ref})


def _funding_receipt(d: Deposit) -> Receipt | None:
    return d.receipts.filter(status__in=[R.MATCHED, R.ASSIGNED]).order_by("id").first()


def _release(d: Deposit, actor: Any) -> None:
    """held → released: unfreeze (WP art.23). A card authorisation is cancelled; received funds
    become a refund payable, paid by the gateway at once (card) or by finance staff (payout
    instruction). Locks held by the caller."""
    if d.hold_mode == Deposit.HoldMode.CARD_HOLD:
        _stripe().release(_deposit_payable(d))
        memo, contra = ledger.card_holds()
        ledger.post(kind=TX.DEPOSIT_RELEASE, key=f"deposit:{d.pk}:release", actor=actor, deposit=d,
                    legs=move(d.amount_fen, debit=contra, credit=memo), memo=f"{d.reference} authorisation cancelled")
    elif d.hold_mode == Deposit.HoldMode.FUNDS:
        receipt = _funding_receipt(d)
        ledger.post(kind=TX.DEPOSIT_RELEASE, key=f"deposit:{d.pk}:release", actor=actor, deposit=d,
                    legs=move(d.amount_fen, debit=ledger.deposits_held(), credit=ledger.refunds_payable()),
                    memo=d.reference)
        via = receipt.gateway if receipt else d.gateway
        payout = _payout_create(key=f"deposit:{d.pk}:release", reason=Payout.Reason.DEPOSIT_RELEASE, gateway=via,
                                amount_fen=d.amount_fen, currency=d.currency, court=d.round.lot.case.court,
                                payee_name=receipt.payer_name if receipt else d.payer_name,
                                payee_account=receipt.payer_account if receipt else "", deposit=d, receipt=receipt)
        gateway_ref = receipt.external_ref if receipt and receipt.gateway == Gateway.STRIPE else d.gateway_ref
        _payout_execute(payout, replace(_deposit_payable(d), gateway_ref=gateway_ref), actor)
    transition(d, DEPOSIT_TRANSITIONS, D.RELEASED, actor=actor, action="deposit.release", labels=DEPOSIT_LABELS,
               extra_changes={"released_at": clock.now()})
    hooks.deposit_released(d)
    if d.owner_id is not None:
        notify.notify([d.owner], "deposit_released", {"lot": d.round.lot.title, "amount": format_fen(d.amount_fen),
                                                       "reference": d.reference}, key=f"deposit:{d.pk}:released")


def _capture_into(d: Deposit, credit: Any, *, kind: str, key: str, actor: Any) -> None:
    """Capture a card authorisation and post the money straight to `credit`, reversing the memo."""
    status = _stripe().capture(_deposit_payable(d))
    receipt, _created = _card_receipt(d, status)
    memo, contra = ledger.card_holds()
    legs = [Leg(ledger.clearing(Gateway.STRIPE), d.amount_fen), Leg(credit, -d.amount_fen),
            Leg(contra, d.amount_fen), Leg(memo, -d.amount_fen)]
    ledger.post(kind=kind, key=key, actor=actor, deposit=d, receipt=receipt, legs=legs, case=d.round.lot.case,
                memo=f"{d.reference} captured")


def _apply(d: Deposit, actor: Any) -> None:
    """held → applied: the winner's deposit is credited to the price and moved to the case account
    (WP arts.23, 25); a card authorisation is captured first. Locks held by the caller."""
    case = d.round.lot.case
    key = f"deposit:{d.pk}:apply"
    if d.hold_mode == Deposit.HoldMode.CARD_HOLD:
        _capture_into(d, case_account(case), kind=TX.DEPOSIT_APPLY, key=key, actor=actor)
    elif d.hold_mode == Deposit.HoldMode.FUNDS:
        ledger.post(kind=TX.DEPOSIT_APPLY, key=key, actor=actor, deposit=d, case=case, memo=d.reference,
                    legs=move(d.amount_fen, debit=ledger.deposits_held(), credit=case_account(case)))
    transition(d, DEPOSIT_TRANSITIONS, D.APPLIED, actor=actor, action="deposit.apply", labels=DEPOSIT_LABELS,
               extra_changes={"applied_at": clock.now()})


def _check_settle_actor(actor: Any, court: Court) -> None:
    if _is_system(actor):
        return
    check_finance(actor, court)


def deposit_release(*, deposit: Deposit, actor: Any) -> Deposit:
    """Release a held deposit after its round (WP art.23): every deposit of a round that did not
    sell, and every deposit but the winner's of a sold round (marked by round_settle). Finance
    staff use it to retry by hand; the clock does it by itself. Idempotent."""
    _check_settle_actor(actor, deposit.round.lot.case.court)
    try:
        with transaction.atomic():
            d = _lock_deposit(deposit.pk)
            if d.status == D.RELEASED:
                return d
            if d.status != D.HELD:
                raise RuleViolation(_("Only a held deposit can be released."), code="deposit_not_held")
            if d.round.status not in FINISHED:
                raise RuleViolation(_("Deposits are released after the round has finished."),
                                    code="round_not_finished")
            if d.settle_as == Deposit.SettleAs.APPLY or (d.round.status == S.SOLD
                                                          and d.settle_as != Deposit.SettleAs.RELEASE):
                raise RuleViolation(_("This deposit is not to be released: the round's winner is not settled yet "
                                      "or this is the winner's deposit."), code="not_to_release")
            _release(d, actor)
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    return d


def deposit_apply(*, deposit: Deposit, actor: Any) -> Deposit:
    """Move the winner's deposit to the case account (WP art.25); round_settle marks which deposit
    that is. Idempotent."""
    _check_settle_actor(actor, deposit.round.lot.case.court)
    try:
        with transaction.atomic():
            d = _lock_deposit(deposit.pk)
            if d.status == D.APPLIED:
                return d
            if d.status != D.HELD or d.settle_as != Deposit.SettleAs.APPLY:
                raise RuleViolation(_("Only the winner's held deposit is applied to the price."),
                                    code="not_to_apply")
            _apply(d, actor)
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    return d


def deposit_forfeit(*, deposit: Deposit, actor: Any, reason: str) -> ForfeitEarmark:
    """Default by the buyer (悔拍): the WHOLE deposit is forfeited, nothing of it is refunded, and it
    becomes case funds earmarked for, in this order, (1) the costs and losses of the auction, (2) any
    shortfall of the re-auction price below this price, (3) the debtor's debt in this case, (4) the
    debtor's debts related to the property (WP art.24). Balance payments already made are refunded:
    they are not the deposit. A court decision: court staff of the round's court. Idempotent."""
    check_court_staff(actor, deposit.round.lot.case.court)
    if not (reason or "").strip():
        raise RuleViolation(_("A reason is required."), code="reason_required", field="reason")
    try:
        with transaction.atomic():
            d = _lock_deposit(deposit.pk)
            if d.status == D.FORFEITED:
                return d.forfeit_earmark
            if d.round.status != S.SOLD or d.settle_as != Deposit.SettleAs.APPLY or d.status not in (D.HELD, D.APPLIED):
                raise RuleViolation(_("Only the buyer's deposit of a sold round can be forfeited."),
                                    code="not_forfeitable")
            balance = BalanceDue.objects.filter(deposit=d).first()
            if balance is not None and balance.status == BalanceDue.Status.PAID:
                raise RuleViolation(_("The balance is paid in full: there is no default."), code="balance_paid")
            return _forfeit(d, actor, reason.strip(), balance)
    except GatewayError as exc:
        raise _gateway_error(exc) from exc


def _forfeit(d: Deposit, actor: Any, reason: str, balance: BalanceDue | None) -> ForfeitEarmark:
    case = d.round.lot.case
    key = f"deposit:{d.pk}:forfeit"
    target = forfeit_account(case)
    if d.status == D.HELD and d.hold_mode == Deposit.HoldMode.CARD_HOLD:
        _capture_into(d, target, kind=TX.DEPOSIT_FORFEIT, key=key, actor=actor)
    elif d.status == D.HELD and d.hold_mode == Deposit.HoldMode.FUNDS:
        ledger.post(kind=TX.DEPOSIT_FORFEIT, key=key, actor=actor, deposit=d, case=case, memo=d.reference,
                    legs=move(d.amount_fen, debit=ledger.deposits_held(), credit=target))
    elif d.status == D.APPLIED and d.amount_fen > 0:
        ledger.post(kind=TX.DEPOSIT_FORFEIT, key=key, actor=actor, deposit=d, case=case, memo=d.reference,
                    legs=move(d.amount_fen, debit=case_account(case), credit=target))
    earmark = ForfeitEarmark.objects.create(deposit=d, case=case, amount_fen=d.amount_fen, reason=reason,
                                            plan=list(ForfeitEarmark.PLAN))
    if balance is not None:
        _balance_default(_lock_balance(balance.pk), actor, reason)
    transition(d, DEPOSIT_TRANSITIONS, D.FORFEITED, actor=actor, action="deposit.forfeit", reason=reason,
               labels=DEPOSIT_LABELS, extra_changes={"forfeited_at": clock.now()})
    return earmark


@dataclass
class SettleResult:
    released: int = 0
    applied: int = 0
    cancelled: int = 0
    retry: int = 0
    unchanged: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def changed(self) -> int:
        return self.released + self.applied + self.cancelled


def round_settle(*, rnd: AuctionRound, winning_deposit: Deposit | None, actor: Any) -> SettleResult:
    """After a round has finished: every held deposit is released except the winner's, which is
    applied to the price (WP arts.23, 25), within 24 hours of the end; unpaid deposits are
    cancelled. bidding calls it in the closing transaction of a sold or failed round; the clock calls
    it for rounds that finished without a sale and retries what a gateway refused (each deposit is
    settled in its own savepoint, so one refusal does not hold up the others). Idempotent."""
    _check_settle_actor(actor, rnd.lot.case.court)
    with transaction.atomic():
        rnd = _lock_round(rnd.pk)
        if rnd.status not in FINISHED:
            raise RuleViolation(_("Deposits are settled only after the round has finished."),
                                code="round_not_finished")
        if winning_deposit is not None and (rnd.status != S.SOLD or winning_deposit.round_id != rnd.pk):
            raise RuleViolation(_("The winning deposit must belong to this sold round."), code="bad_winner")
        if rnd.status == S.SOLD and winning_deposit is None:
            raise RuleViolation(_("A sold round is settled with its winner's deposit."), code="winner_required")
        due = finished_at(rnd) + SETTLE_WITHIN
        ids = []
        for d in Deposit.objects.select_for_update().filter(round=rnd, status__in=[D.PENDING, D.HELD]).order_by("pk"):
            ids.append(d.pk)
            if d.status != D.HELD:
                continue
            is_winner = winning_deposit is not None and d.pk == winning_deposit.pk
            want = Deposit.SettleAs.APPLY if is_winner else Deposit.SettleAs.RELEASE
            if d.settle_as and d.settle_as != want:
                raise RuleViolation(_("The round was already settled with another winner."), code="winner_changed")
            if d.settle_as != want or d.release_due_at != due:
                transition_marks = {"settle_as": want, "release_due_at": due}
                before = audit.snapshot(d, list(transition_marks))
                d.settle_as, d.release_due_at = want, due
                d.save(update_fields=list(transition_marks))
                audit.record(actor=actor, action="deposit.settle", obj=d, before=before,
                             after=audit.snapshot(d, list(transition_marks)))
        if winning_deposit is not None:
            status = Deposit.objects.values_list("status", flat=True).get(pk=winning_deposit.pk)
            if status not in (D.HELD, D.APPLIED, D.FORFEITED):
                raise RuleViolation(_("The winner's deposit is not held."), code="winner_not_held")
    result = SettleResult()
    for pk in ids:
        result.add(_settle_one(pk, actor))
    return result


def _settle_one(pk: int, actor: Any) -> str:
    try:
        with transaction.atomic():
            d = _lock_deposit(pk)
            if d.status == D.PENDING and d.round.status in FINISHED:
                _cancel(d, actor, "the round has finished")
                return "cancelled"
            if d.status == D.HELD and d.settle_as == Deposit.SettleAs.APPLY:
                _apply(d, actor)
                return "applied"
            if d.status == D.HELD and d.settle_as == Deposit.SettleAs.RELEASE:
                _release(d, actor)
                return "released"
    except GatewayError as exc:
        log.warning("deposit %s not settled yet, will retry: %s", pk, exc)
        return "retry"
    return "unchanged"


# --- bank statements, the claim queue and payouts -------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    deposit: Deposit | None = None
    balance: BalanceDue | None = None


def _find_target(reference: str, court: Court) -> _Target:
    if reference.startswith("FP"):
        return _Target(deposit=Deposit.objects.filter(reference=reference, round__lot__case__court=court).first())
    if reference.startswith("FB"):
        return _Target(balance=BalanceDue.objects.filter(reference=reference, round__lot__case__court=court).first())
    return _Target()


def _account_problem(credited: str, case: Case) -> bool:
    """Paid into a virtual sub-account that is not this case's (一案一账号)."""
    credited_digits = statements.digits(credited)
    main = statements.digits(getattr(settings, "FAPAI_COURT_BANK_ACCOUNT", ""))
    return bool(credited_digits) and credited_digits not in (main, virtual_account_number(case))


def _deposit_queue_reason(d: Deposit, r: Receipt) -> str:
    Q = Receipt.QueueReason
    if d.status != D.PENDING or d.gateway == Gateway.STRIPE or not accepts_deposits(d.round):
        return Q.NOT_PAYABLE
    if r.currency != d.currency:
        return Q.CURRENCY
    if r.amount_fen != d.amount_fen:
        return Q.AMOUNT_MISMATCH
    if not statements.same_name(r.payer_name, d.payer_name):
        return Q.NAME_MISMATCH
    if _account_problem(r.credited_account, d.round.lot.case):
        return Q.WRONG_ACCOUNT
    return Q.NONE


def _balance_queue_reason(b: BalanceDue, r: Receipt) -> str:
    Q = Receipt.QueueReason
    if b.status != BalanceDue.Status.OPEN:
        return Q.NOT_PAYABLE
    if r.currency != b.currency:
        return Q.CURRENCY
    if r.amount_fen > b.outstanding_fen:
        return Q.AMOUNT_MISMATCH
    if not statements.same_name(r.payer_name, b.deposit.payer_name):
        return Q.NAME_MISMATCH
    if _account_problem(r.credited_account, b.round.lot.case):
        return Q.WRONG_ACCOUNT
    return Q.NONE


def _queue(r: Receipt, reason: str, actor: Any) -> None:
    r.status, r.queue_reason = R.QUEUED, reason
    r.save(update_fields=["status", "queue_reason"])
    ledger.post(kind=TX.RECEIPT_QUEUED, key=f"receipt:{r.pk}:in", actor=actor, receipt=r,
                legs=move(r.amount_fen, debit=ledger.clearing(r.gateway), credit=ledger.unmatched_receipts()),
                memo=r.external_ref)
    audit.record(actor=actor, action="receipt.queue", obj=r, after={"queue_reason": reason,
                                                                    "amount_fen": r.amount_fen})


def _bank_line(statement: BankStatement, line: statements.StatementLine, actor: Any) -> str:
    """One credit line of a statement: matched to its deposit or balance by reference, amount and the
    payer's real name, else put in the claim queue. Returns the receipt status, or "duplicate" when
    the line was recorded meanwhile (the same file or an overlapping one imported at the same time)."""
    reference = statements.find_reference(line.remark)
    target = _find_target(reference, statement.court) if reference else _Target()
    with transaction.atomic():
        if target.deposit is not None:
            _lock_deposit(target.deposit.pk)
        elif target.balance is not None:
            _lock_balance(target.balance.pk)
        try:
            with transaction.atomic():
                r = Receipt.objects.create(
                    gateway=Gateway.BANK_TRANSFER, external_ref=line.line_key, amount_fen=line.amount_fen,
                    currency=line.currency, received_at=line.booked_at, payer_name=line.payer_name,
                    payer_account=line.payer_account, remark=line.remark, credited_account=line.credited_account,
                    statement=statement, status=R.MATCHED, court=statement.court)
        except IntegrityError:  # the unique line key: another import recorded this line first
            return "duplicate"
        if target.deposit is not None:
            d = _lock_deposit(target.deposit.pk)
            reason = _deposit_queue_reason(d, r)
            if not reason:
                try:
                    with transaction.atomic():
                        r.deposit = d
                        r.save(update_fields=["deposit"])
                        do_deposit_hold(d, actor=actor, receipt=r)
                    return R.MATCHED
                except RuleViolation:  # a callback refused the bidder; finance decides
                    r.deposit = None
                    reason = Receipt.QueueReason.REFUSED
            _queue(r, reason, actor)
        elif target.balance is not None:
            b = _lock_balance(target.balance.pk)
            reason = _balance_queue_reason(b, r)
            if not reason:
                r.balance = b
                r.save(update_fields=["balance"])
                _balance_receive(b, r, actor)
                return R.MATCHED
            _queue(r, reason, actor)
        else:
            _queue(r, Receipt.QueueReason.UNKNOWN_REFERENCE if reference else Receipt.QueueReason.NO_REFERENCE,
                   actor)
    return R.QUEUED


def statement_label(filename: str) -> str:
    """The uploaded file's name as a label only (it never names a file here): no directories."""
    return PurePosixPath(str(filename).replace("\\", "/")).name[:200] or "statement"


def statement_import(*, court: Court, filename: str, content: bytes, actor: Any) -> BankStatement:
    """Import a bank statement (CSV or CAMT.053) of the court's account. Each credit is matched by its
    transfer reference AND amount AND the payer's real name (WP art.17) to a pending deposit or an open
    balance, else it goes to the claim queue (认领). Every line, debits included, is kept as the
    bank's record for reconciliation (settlement.reconciliation). Importing the same file
    again changes nothing; a line already imported from another file is recognised by its line key.
    Each line is settled in its own transaction, so an interrupted import resumes where it stopped."""
    check_finance(actor, court)
    digest = hashlib.sha256(content).hexdigest()
    existing = BankStatement.objects.filter(sha256=digest).first()
    if existing is not None and existing.completed_at is not None:
        return existing
    try:
        fmt, lines = statements.parse(content, filename)
    except statements.StatementError as exc:
        raise RuleViolation(exc.message, code="bad_statement", params=exc.params, field="file") from exc
    with transaction.atomic():
        statement, created = BankStatement.objects.get_or_create(sha256=digest, defaults={
            "court": court, "filename": statement_label(filename), "format": fmt,
            "uploaded_by": None if isinstance(actor, str) else actor})
        if created:
            audit.record(actor=actor, action="statement.import", obj=statement,
                         after={"filename": statement.filename, "sha256": digest, "lines": len(lines)})
    reconciliation.records_from_statement(statement, lines)  # the bank's own record, debits included
    credits = [line for line in lines if line.amount_fen > 0]
    for line in credits:
        if not Receipt.objects.filter(gateway=Gateway.BANK_TRANSFER, external_ref=line.line_key).exists():
            _bank_line(statement, line, actor)
    own = Receipt.objects.filter(statement=statement)
    matched = own.exclude(queue_reason__gt="").count()
    queued = own.filter(queue_reason__gt="").count()
    statement.line_count, statement.credit_count = len(lines), len(credits)
    statement.skipped_count = len(lines) - len(credits)
    statement.matched_count, statement.queued_count = matched, queued
    statement.duplicate_count = len(credits) - matched - queued
    statement.completed_at = clock.now()
    statement.save()
    return statement


def receipt_assign(*, receipt: Receipt, reference: str, actor: Any, reason: str) -> Receipt:
    """Finance staff assign a receipt from the claim queue to the deposit or balance whose transfer
    reference they have verified, with a reason (recorded in the audit log): the deposit must still be
    payable and the amount equal; a balance payment may be partial but not above what is owed."""
    check_finance(actor, receipt.court)
    problems = Problems()
    if not (reason or "").strip():
        problems.add(_("A reason is required."), "reason_required", field="reason")
    reference = statements.find_reference(reference or "")
    target = _find_target(reference, receipt.court) if reference else _Target()
    if target.deposit is None and target.balance is None:
        problems.add(_("No deposit or balance of your court has this reference."), "unknown_reference",
                     field="reference")
    problems.raise_if_any()
    with transaction.atomic():
        if target.deposit is not None:
            d = _lock_deposit(target.deposit.pk)
        else:
            assert target.balance is not None
            b = _lock_balance(target.balance.pk)
        r = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if r.status == R.ASSIGNED and (r.deposit_id == getattr(target.deposit, "pk", -1)
                                       or r.balance_id == getattr(target.balance, "pk", -1)):
            return r
        if r.status != R.QUEUED:
            raise RuleViolation(_("This receipt is not in the claim queue."), code="not_queued")
        if target.deposit is not None:
            if d.status != D.PENDING or d.gateway == Gateway.STRIPE or not accepts_deposits(d.round):
                raise RuleViolation(_("That deposit cannot take a payment any more; return the money instead."),
                                    code="not_payable", field="reference")
            if r.amount_fen != d.amount_fen or r.currency != d.currency:
                raise RuleViolation(_("The receipt is %(amount)s but the deposit is %(deposit)s."),
                                    code="amount_mismatch", field="reference", params={
                                        "amount": format_fen(r.amount_fen), "deposit": format_fen(d.amount_fen)})
            r.deposit = d
        else:
            if b.status != BalanceDue.Status.OPEN:
                raise RuleViolation(_("That balance cannot take a payment any more; return the money instead."),
                                    code="not_payable", field="reference")
            if r.amount_fen > b.outstanding_fen or r.currency != b.currency:
                raise RuleViolation(_("The receipt is %(amount)s but only %(outstanding)s is owed."),
                                    code="amount_mismatch", field="reference", params={
                                        "amount": format_fen(r.amount_fen),
                                        "outstanding": format_fen(b.outstanding_fen)})
            r.balance = b
        r.status, r.claimed_at, r.claim_reason = R.ASSIGNED, clock.now(), reason.strip()
        r.claimed_by = None if isinstance(actor, str) else actor
        r.save(update_fields=["status", "deposit", "balance", "claimed_at", "claim_reason", "claimed_by"])
        audit.record(actor=actor, action="receipt.assign", obj=r, reason=reason.strip(),
                     before={"status": R.QUEUED}, after={"status": r.status, "reference": reference})
        if target.deposit is not None:
            do_deposit_hold(d, actor=actor, receipt=r, funded_from=ledger.unmatched_receipts())
        else:
            _balance_receive(b, r, actor, funded_from=ledger.unmatched_receipts())
    return r


def receipt_return(*, receipt: Receipt, actor: Any, reason: str, payee_account: str = "") -> Payout:
    """Send a receipt from the claim queue back to its payer: a payout instruction for finance staff
    (the money returns to the account it came from unless another is given)."""
    check_finance(actor, receipt.court)
    if not (reason or "").strip():
        raise RuleViolation(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic():
        r = Receipt.objects.select_for_update().get(pk=receipt.pk)
        if r.status == R.RETURNED:
            return Payout.objects.get(key=f"receipt:{r.pk}:return")
        if r.status != R.QUEUED:
            raise RuleViolation(_("This receipt is not in the claim queue."), code="not_queued")
        r.status, r.claimed_at, r.claim_reason = R.RETURNED, clock.now(), reason.strip()
        r.claimed_by = None if isinstance(actor, str) else actor
        r.save(update_fields=["status", "claimed_at", "claim_reason", "claimed_by"])
        ledger.post(kind=TX.RECEIPT_RETURNED, key=f"receipt:{r.pk}:return", actor=actor, receipt=r,
                    legs=move(r.amount_fen, debit=ledger.unmatched_receipts(), credit=ledger.refunds_payable()),
                    memo=r.external_ref)
        payout = _payout_create(key=f"receipt:{r.pk}:return", reason=Payout.Reason.RECEIPT_RETURN, gateway=r.gateway,
                                amount_fen=r.amount_fen, currency=r.currency, court=r.court, payee_name=r.payer_name,
                                payee_account=(payee_account or r.payer_account)[:60], receipt=r)
        audit.record(actor=actor, action="receipt.return", obj=r, reason=reason.strip(),
                     before={"status": R.QUEUED}, after={"status": r.status})
    return payout


def payout_mark_paid(*, payout: Payout, actor: Any, bank_reference: str) -> Payout:
    """Finance staff record that a payout instruction was executed (with the bank's reference)."""
    check_finance(actor, payout.court)
    if not (bank_reference or "").strip():
        raise RuleViolation(_("The bank's reference of the payment is required."), code="reference_required",
                            field="bank_reference")
    with transaction.atomic():
        p = Payout.objects.select_for_update().get(pk=payout.pk)
        if p.status == Payout.Status.PAID:
            return p
        _payout_paid(p, actor, external_ref=bank_reference.strip())
    return p


# --- the balance (尾款) ------------------------------------------------------------------------------------------


def balance_open(*, rnd: AuctionRound, deposit: Deposit, price_fen: int, actor: Any) -> BalanceDue:
    """Open the buyer's balance: the price less the deposit applied to it, due within the notice's
    period (balance_due_days, 10 by default) counted from the day of the close, the last day moved
    past rest days (WP art.25; CPL art.85). Nothing to pay (a sell-off prepaid in full) means it is
    paid at once. Idempotent for the round."""
    if not _is_system(actor) and not has_role(actor, Role.FINANCE):
        check_court_staff(actor, rnd.lot.case.court)
    elif not _is_system(actor):
        check_finance(actor, rnd.lot.case.court)
    with transaction.atomic():
        rnd = _lock_round(rnd.pk)
        existing = BalanceDue.objects.filter(round=rnd).first()
        if existing is not None:
            if existing.deposit_id != deposit.pk:
                raise RuleViolation(_("The round's balance is already open for another buyer."), code="balance_exists")
            return existing
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if rnd.status != S.SOLD or deposit.round_id != rnd.pk or deposit.status not in (D.HELD, D.APPLIED):
            raise RuleViolation(_("A balance is opened for the winner of a sold round."), code="not_sold")
        if price_fen < deposit.amount_fen:
            raise RuleViolation(_("The price cannot be below the deposit."), code="bad_price")
        closed_on = clock.local_date(rnd.ended_at or clock.now())
        amount = price_fen - deposit.amount_fen
        now = clock.now()
        balance = BalanceDue.objects.create(
            round=rnd, deposit=deposit, owner=deposit.owner, price_fen=price_fen, deposit_credit_fen=deposit.amount_fen,
            amount_fen=amount, currency=deposit.currency, due_on=days.period_end(closed_on, rnd.balance_due_days),
            reference=new_reference("FB"), status=BalanceDue.Status.PAID if amount == 0 else BalanceDue.Status.OPEN,
            paid_at=now if amount == 0 else None)
        audit.record(actor=actor, action="balance.open", obj=balance, after=audit.snapshot(
            balance, ["round_id", "price_fen", "deposit_credit_fen", "amount_fen", "due_on", "reference", "status"]))
    return balance


def _balance_receive(b: BalanceDue, r: Receipt, actor: Any, *, funded_from: Any = None,
                     payment: BalancePayment | None = None) -> BalancePayment:
    """Credit a receipt to the balance and the case account; paid in full, the lot is ready for the
    sale ruling. Locks (round, balance) held by the caller."""
    now = clock.now()
    if payment is None:
        payment = BalancePayment.objects.create(balance=b, gateway=r.gateway, amount_fen=r.amount_fen,
                                                reference=f"{b.reference}-R{r.pk}")
    payment.status, payment.receipt, payment.received_at = BalancePayment.Status.RECEIVED, r, now
    payment.save(update_fields=["status", "receipt", "received_at"])
    case = b.round.lot.case
    ledger.post(kind=TX.BALANCE_PAYMENT, key=f"receipt:{r.pk}:balance", actor=actor, receipt=r,
                balance_payment=payment, case=case, memo=b.reference,
                legs=move(r.amount_fen, debit=funded_from or ledger.clearing(r.gateway), credit=case_account(case)))
    before = audit.snapshot(b, ["paid_fen", "status"])
    b.paid_fen += r.amount_fen
    changed = ["paid_fen"]
    if b.paid_fen == b.amount_fen:
        b.status, b.paid_at = BalanceDue.Status.PAID, now
        changed += ["status", "paid_at"]
    b.save(update_fields=changed)
    audit.record(actor=actor, action="balance.paid" if b.status == BalanceDue.Status.PAID else "balance.payment",
                 obj=b, before=before, after=audit.snapshot(b, ["paid_fen", "status"]))
    return payment


def _balance_default(b: BalanceDue, actor: Any, reason: str) -> None:
    """The buyer defaulted: payments made towards the balance are refunded (only the deposit is
    forfeited, WP art.24); card payments not yet made are cancelled."""
    case = b.round.lot.case
    for p in b.payments.select_for_update().order_by("pk"):
        if p.status == BalancePayment.Status.RECEIVED:
            ledger.post(kind=TX.BALANCE_REFUND, key=f"balance_payment:{p.pk}:refund", actor=actor, balance_payment=p,
                        case=case, memo=b.reference,
                        legs=move(p.amount_fen, debit=case_account(case), credit=ledger.refunds_payable()))
            receipt = p.receipt
            payout = _payout_create(key=f"balance_payment:{p.pk}:refund", reason=Payout.Reason.BALANCE_REFUND,
                                    gateway=p.gateway, amount_fen=p.amount_fen, currency=b.currency, court=case.court,
                                    payee_name=receipt.payer_name if receipt else b.deposit.payer_name,
                                    payee_account=receipt.payer_account if receipt else "", balance_payment=p,
                                    receipt=receipt)
            p.status = BalancePayment.Status.REFUNDED
            p.save(update_fields=["status"])
            audit.record(actor=actor, action="balance.payment_refund", obj=p, reason=reason,
                         before={"status": BalancePayment.Status.RECEIVED}, after={"status": p.status})
            _payout_execute(payout, _payment_payable(p), actor)
        elif p.status == BalancePayment.Status.PENDING:
            if p.gateway == Gateway.STRIPE and p.gateway_ref:
                _stripe().release(_payment_payable(p))
            p.status = BalancePayment.Status.CANCELLED
            p.save(update_fields=["status"])
    before = audit.snapshot(b, ["status"])
    b.status, b.defaulted_at = BalanceDue.Status.DEFAULTED, clock.now()
    b.save(update_fields=["status", "defaulted_at"])
    audit.record(actor=actor, action="balance.default", obj=b, reason=reason, before=before,
                 after=audit.snapshot(b, ["status"]))


def balance_payment_start(*, balance: BalanceDue, gateway: str, amount_fen: int, actor: Any,
                          return_url: str) -> PaymentStart:
    """The buyer pays (part of) the balance: instructions for a transfer quoting the balance's
    reference (partial transfers are fine), or a card payment of the amount chosen. Only the buyer."""
    check_owner(actor, balance.owner_id)
    balance = BalanceDue.objects.select_related("round__lot__case__court", "deposit").get(pk=balance.pk)
    problems = Problems()
    if balance.status != BalanceDue.Status.OPEN:
        problems.add(_("Nothing is owed on this balance."), "balance_not_open")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0 \
            or amount_fen > balance.outstanding_fen:
        problems.add(_("Pay between ¥0.01 and the %(outstanding)s still owed."), "bad_amount", field="amount_fen",
                     params={"outstanding": format_fen(balance.outstanding_fen)})
    if gateway not in allowed_gateways(balance.round):
        problems.add(_("This payment method is not accepted for this round."), "gateway_not_allowed", field="gateway")
    else:
        limit = gateways.get(gateway).capabilities.max_amount_fen
        if limit is not None and isinstance(amount_fen, int) and amount_fen > limit:
            problems.add(_("Card payments are limited to %(limit)s per payment; pay in parts or by bank transfer."),
                         "amount_above_gateway_limit", field="amount_fen", params={"limit": format_fen(limit)})
    problems.raise_if_any()
    page_url = reverse("settlement:balance_pay", args=[balance.pk])
    if gateway != Gateway.STRIPE:
        case = balance.round.lot.case
        payable = Payable(kind="balance", reference=balance.reference, transfer_reference=balance.reference,
                          amount_fen=amount_fen, currency=balance.currency, payer_name=balance.deposit.payer_name,
                          payee_name=case.court.display_name, case_account_reference=virtual_account_number(case))
        return replace(gateways.get(gateway).prepare(payable, return_url=return_url), page_url=page_url)
    with transaction.atomic():
        b = BalanceDue.objects.select_for_update().get(pk=balance.pk)
        payment = b.payments.filter(status=BalancePayment.Status.PENDING, gateway=Gateway.STRIPE,
                                    amount_fen=amount_fen).first()
        if payment is None:
            payment = BalancePayment.objects.create(
                balance=b, gateway=Gateway.STRIPE, amount_fen=amount_fen,
                reference=f"{b.reference}-C{b.payments.count() + 1}")
        try:
            start = _stripe().prepare(_payment_payable(payment), return_url=return_url)
        except GatewayError as exc:
            raise _gateway_error(exc) from exc
        if start.gateway_ref != payment.gateway_ref:
            payment.gateway_ref = start.gateway_ref
            payment.save(update_fields=["gateway_ref"])
    return replace(start, page_url=page_url)


def balance_confirm_offline(*, balance: BalanceDue, amount_fen: int, voucher: str, actor: Any) -> BalancePayment:
    """Finance staff record a balance payment received offline, under the number of their receipt
    voucher (收据号), which makes recording it twice impossible."""
    check_finance(actor, balance.round.lot.case.court)
    voucher = (voucher or "").strip()
    if not voucher:
        raise RuleViolation(_("The receipt voucher number is required."), code="voucher_required", field="voucher")
    with transaction.atomic():
        b = _lock_balance(balance.pk)
        existing = Receipt.objects.filter(gateway=Gateway.OFFLINE, external_ref=f"voucher:{voucher}").first()
        if existing is not None:
            if existing.balance_id == b.pk and existing.amount_fen == amount_fen:
                return BalancePayment.objects.get(receipt=existing)
            raise RuleViolation(_("This voucher number was already used."), code="voucher_used", field="voucher")
        if b.status != BalanceDue.Status.OPEN:
            raise RuleViolation(_("Nothing is owed on this balance."), code="balance_not_open")
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= b.outstanding_fen:
            raise RuleViolation(_("Record between ¥0.01 and the %(outstanding)s still owed."), code="bad_amount",
                                field="amount_fen", params={"outstanding": format_fen(b.outstanding_fen)})
        r = Receipt.objects.create(gateway=Gateway.OFFLINE, external_ref=f"voucher:{voucher}", amount_fen=amount_fen,
                                   currency=b.currency, received_at=clock.now(), payer_name=b.deposit.payer_name,
                                   status=R.MATCHED, court=b.round.lot.case.court, balance=b)
        return _balance_receive(b, r, actor)


def balance_payment_refresh(*, payment: BalancePayment, actor: Any) -> BalancePayment:
    """Ask the card processor about a balance payment and catch up (as the webhook would)."""
    if not _is_system(actor):
        check_owner(actor, payment.balance.owner_id)
    if payment.gateway != Gateway.STRIPE or not payment.gateway_ref:
        return payment
    try:
        status = _stripe().retrieve(payment.gateway_ref)
        with transaction.atomic():
            _sync_balance_payment(payment.pk, status, actor)
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    payment.refresh_from_db()
    return payment


def _sync_balance_payment(pk: int, status: GatewayStatus, actor: Any) -> None:
    balance_id = BalancePayment.objects.values_list("balance_id", flat=True).get(pk=pk)
    b = _lock_balance(balance_id)
    p = BalancePayment.objects.select_for_update().get(pk=pk)
    if p.status != BalancePayment.Status.PENDING or status.external_ref != p.gateway_ref \
            or _refunded_elsewhere(status):
        return
    if status.state == State.CANCELED:
        p.status = BalancePayment.Status.CANCELLED
        p.save(update_fields=["status"])
    elif status.state == State.CAPTURED:
        r, created = Receipt.objects.get_or_create(
            gateway=Gateway.STRIPE, external_ref=status.external_ref,
            defaults={"amount_fen": status.amount_fen, "currency": b.currency, "received_at": clock.now(),
                      "payer_name": b.deposit.payer_name, "status": R.MATCHED, "court": b.round.lot.case.court,
                      "balance": b})
        if not created:
            return
        if b.status == BalanceDue.Status.OPEN and r.amount_fen <= b.outstanding_fen:
            _balance_receive(b, r, actor, payment=p)
            return
        # Paid meanwhile by other means, or defaulted: the card payment goes back.
        r.status, r.balance = R.RETURNED, None
        r.save(update_fields=["status", "balance"])
        ledger.post(kind=TX.RECEIPT_RETURNED, key=f"receipt:{r.pk}:return", actor=actor, receipt=r,
                    legs=move(r.amount_fen, debit=ledger.clearing(Gateway.STRIPE), credit=ledger.refunds_payable()),
                    memo=f"{b.reference} not owed")
        payout = _payout_create(key=f"receipt:{r.pk}:return", reason=Payout.Reason.RECEIPT_RETURN,
                                gateway=Gateway.STRIPE, amount_fen=r.amount_fen, currency=r.currency, court=r.court,
                                payee_name=r.payer_name, receipt=r)
        p.status = BalancePayment.Status.CANCELLED
        p.save(update_fields=["status"])
        _payout_execute(payout, _payment_payable(p), actor)


# --- the Stripe webhook inbox ---------------------------------------------------------------------------------


class Busy(Exception):
    """A row the event needs is locked by another transaction: answer 5xx so Stripe retries."""


def _intent_id(obj: dict[str, Any]) -> str:
    if obj.get("object") == "payment_intent":
        return str(obj.get("id") or "")
    return str(obj.get("payment_intent") or "")


def stripe_event_handle(event: Any) -> str:
    """Process a verified Stripe event once (the inbox dedupes by event id). The payload is never
    trusted: the PaymentIntent is fetched again from the API and the deposit or balance payment is
    brought in line with what it says now, so events in any order give the same result. An event
    about an object fapai does not know is recorded and answered with success. Raises Busy when a row
    stays locked past FAPAI_WEBHOOK_LOCK_TIMEOUT_MS (the view answers 503 and Stripe retries).
    Returns the event's status."""
    payload = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    obj = (payload.get("data") or {}).get("object") or {}
    intent_id = _intent_id(obj)
    with transaction.atomic():
        row, _created = StripeEvent.objects.get_or_create(event_id=str(payload["id"]), defaults={
            "type": str(payload.get("type", ""))[:100], "object_id": intent_id[:100], "payload": payload})
    if row.status != StripeEvent.Status.RECEIVED:
        return row.status
    if not intent_id:
        return _event_done(row.pk, StripeEvent.Status.IGNORED)
    try:
        status = _stripe().retrieve(intent_id)  # unreachable → the view answers 503; Stripe retries
    except GatewayError as exc:
        if exc.code != "resource_missing":
            raise
        # The API does not know it (another account or mode): retrying cannot help; it stays recorded.
        return _event_done(row.pk, StripeEvent.Status.UNKNOWN_OBJECT)
    deposit = Deposit.objects.filter(gateway_ref=intent_id).first()
    if deposit is None and status.reference.startswith("FP"):
        deposit = Deposit.objects.filter(reference=status.reference).first()
    payment = None if deposit else BalancePayment.objects.filter(gateway_ref=intent_id).first()
    if deposit is None and payment is None:
        return _event_done(row.pk, StripeEvent.Status.UNKNOWN_OBJECT)
    try:
        with transaction.atomic():
            _lock_timeout()
            if deposit is not None:
                _lock_deposit(deposit.pk)
            else:
                assert payment is not None
                _lock_balance(payment.balance_id)
            locked = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if locked.status != StripeEvent.Status.RECEIVED:
                return locked.status
            if deposit is not None:
                _sync_deposit(deposit.pk, status, STRIPE_ACTOR)
            else:
                assert payment is not None
                _sync_balance_payment(payment.pk, status, STRIPE_ACTOR)
            locked.status, locked.processed_at = StripeEvent.Status.PROCESSED, clock.now()
            locked.attempts += 1
            locked.save(update_fields=["status", "processed_at", "attempts"])
            return locked.status
    except OperationalError as exc:
        raise Busy(str(exc)) from exc


def _lock_timeout() -> None:
    if connection.vendor == "postgresql":
        timeout = int(getattr(settings, "FAPAI_WEBHOOK_LOCK_TIMEOUT_MS", 3000))
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {timeout}")


def _event_done(pk: int, status: str) -> str:
    with transaction.atomic():
        row = StripeEvent.objects.select_for_update().get(pk=pk)
        if row.status == StripeEvent.Status.RECEIVED:
            row.status, row.processed_at, row.attempts = status, clock.now(), row.attempts + 1
            row.save(update_fields=["status", "processed_at", "attempts"])
        return row.status


# --- the clock -------------------------------------------------------------------------------------------------


def settle_due_rounds() -> int:
    """Clock job: settle every finished round that did not sell (WP art.23: also when unsold) and
    retry every deposit a gateway refused before. Sold rounds are settled by bidding, which knows the
    winner. Idempotent."""
    changed = 0
    rounds = AuctionRound.objects.filter(status__in=NO_SALE, deposits__status__in=[D.PENDING, D.HELD]).distinct()
    for rnd in rounds.select_related("lot__case__court"):
        changed += round_settle(rnd=rnd, winning_deposit=None, actor=CLOCK).changed
    retry = Deposit.objects.filter(status=D.HELD).exclude(settle_as="").values_list("pk", flat=True)
    for pk in list(retry):
        if _settle_one(pk, CLOCK) in ("released", "applied"):
            changed += 1
    pending = Deposit.objects.filter(status=D.PENDING, round__status__in=FINISHED).values_list("pk", flat=True)
    for pk in list(pending):
        if _settle_one(pk, CLOCK) == "cancelled":
            changed += 1
    return changed


def _raise(key: str, kind: str, court: Court, due_at: datetime, **links: Any) -> bool:
    _alert, created = SettlementAlert.objects.get_or_create(key=key, defaults={
        "kind": kind, "court": court, "due_at": due_at, **links})
    return created


def raise_alerts(now: datetime | None = None) -> int:
    """Clock job: an alert, once, for every deposit still held 24 hours after its round finished
    (WP arts.23, 25), every payout instruction not executed within 24 hours and every balance past its
    due date; alerts whose cause has gone are resolved. Returns the number of alerts raised."""
    now = now or clock.now()
    raised = 0
    held = Deposit.objects.filter(status=D.HELD, round__status__in=FINISHED).select_related("round__lot__case__court")
    for d in held:
        due = d.release_due_at or finished_at(d.round) + SETTLE_WITHIN
        if now < due:
            continue
        if d.settle_as == Deposit.SettleAs.APPLY:
            kind = SettlementAlert.Kind.APPLY_OVERDUE
        elif d.settle_as == Deposit.SettleAs.RELEASE or d.round.status in NO_SALE:
            kind = SettlementAlert.Kind.RELEASE_OVERDUE
        else:
            kind = SettlementAlert.Kind.SETTLE_MISSING
        raised += _raise(f"deposit:{d.pk}:{kind}", kind, d.round.lot.case.court, due, round=d.round, deposit=d)
    for p in Payout.objects.filter(status=Payout.Status.PENDING, created_at__lte=now - PAYOUT_WITHIN):
        raised += _raise(f"payout:{p.pk}:overdue", SettlementAlert.Kind.PAYOUT_OVERDUE, p.court,
                         p.created_at + PAYOUT_WITHIN, payout=p)
    today = clock.local_date(now)
    overdue = BalanceDue.objects.filter(status=BalanceDue.Status.OPEN, due_on__lt=today).select_related(
        "round__lot__case__court")
    for b in overdue:
        due_at = clock.local_midnight(b.due_on) + timedelta(days=1)
        raised += _raise(f"balance:{b.pk}:overdue", SettlementAlert.Kind.BALANCE_OVERDUE, b.round.lot.case.court,
                         due_at, round=b.round, balance=b)
    # Case funds not paid out within 30 days of arriving, or 10 days after an approved delay ended (EF).
    overdue_cases = set()
    for case in Case.objects.filter(ledger_accounts__kind=LedgerAccount.Kind.CASE_FUNDS,
                                    ledger_accounts__balance_fen__lt=0).select_related("court"):
        funds = selectors.case_funds(case)
        if funds.due_on is not None and funds.balance_fen > 0 and today > funds.due_on:
            overdue_cases.add(f"case:{case.pk}:payout_overdue")
            raised += _raise(f"case:{case.pk}:payout_overdue", SettlementAlert.Kind.CASE_PAYOUT_OVERDUE, case.court,
                             clock.local_midnight(funds.due_on) + timedelta(days=1))
    for alert in SettlementAlert.objects.filter(resolved_at__isnull=True).select_related("deposit", "payout",
                                                                                          "balance"):
        gone = ((alert.deposit is not None and alert.deposit.status != D.HELD)
                or (alert.payout is not None and alert.payout.status != Payout.Status.PENDING)
                or (alert.balance is not None and alert.balance.status != BalanceDue.Status.OPEN)
                or (alert.kind == SettlementAlert.Kind.CASE_PAYOUT_OVERDUE and alert.key not in overdue_cases))
        if gone:
            alert.resolved_at = now
            alert.save(update_fields=["resolved_at"])
    return raised


MILESTONES = [  # (milestone, days before the due date it starts)
    (BalanceReminder.Milestone.DAYS_3, 3),
    (BalanceReminder.Milestone.DAYS_1, 1),
    (BalanceReminder.Milestone.DUE_TODAY, 0),
    (BalanceReminder.Milestone.OVERDUE, -1),
]


def send_balance_reminders(now: datetime | None = None) -> int:
    """Clock job: one reminder per open balance at the latest milestone reached (3 days before,
    the day before, the due day, overdue). Returns the number of reminders created."""
    today = clock.local_date(now or clock.now())
    created = 0
    for b in BalanceDue.objects.filter(status=BalanceDue.Status.OPEN).select_related("round__lot", "owner"):
        reached = [m for m, before in MILESTONES if today >= b.due_on - timedelta(days=before)]
        if reached:
            with transaction.atomic():
                _reminder, new = BalanceReminder.objects.get_or_create(balance=b, milestone=reached[-1],
                                                                       defaults={"due_on": b.due_on})
                if new and b.owner is not None:  # the buyer hears of it in the app and by email
                    notify.notify([b.owner], "balance_due", {
                        "lot": b.round.lot.title, "amount": format_fen(b.amount_fen - b.paid_fen),
                        "due": b.due_on.isoformat()}, key=f"balance:{b.pk}:{reached[-1]}",
                        url=reverse("settlement:balance_pay", args=[b.pk]))
            created += new
    return created



# --- case funds: execution costs and stays (docs/distribution.md) ---------------------------------------------


def _lock_case(pk: int) -> Case:
    """Case-level money serialises on the case row (docs/locking.md, row 1b): plan versions, payouts
    and the forfeit transfer of one case never interleave."""
    return Case.objects.select_for_update().select_related("court").get(pk=pk)


def _user(actor: Any) -> Any:
    return None if isinstance(actor, str) else actor


def case_cost_add(*, case: Case, kind: str, description: str, amount_fen: int, payee_name: str, actor: Any,
                  payee_account: str = "") -> CaseCost:
    """Record an execution cost of the case (appraisal, inquiry, auxiliary, storage, the auction's
    actual costs): paid first from the proceeds (CPLI art.508; RP art.33; WP art.7; EW art.34)."""
    check_court_staff(actor, case.court)
    problems = Problems()
    if kind not in CaseCost.Kind.values:
        problems.add(_("Choose a kind of cost."), code="bad_kind", field="kind")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        problems.add(_("The amount must be more than zero."), code="bad_amount", field="amount_fen")
    if not (description or "").strip():
        problems.add(_("Describe the cost."), code="description_required", field="description")
    if not (payee_name or "").strip():
        problems.add(_("Name the payee."), code="payee_required", field="payee_name")
    problems.raise_if_any()
    with transaction.atomic():
        _lock_case(case.pk)
        cost = CaseCost.objects.create(case=case, kind=kind, description=description.strip()[:200],
                                       amount_fen=amount_fen, payee_name=payee_name.strip()[:140],
                                       payee_account=(payee_account or "").strip()[:60], created_by=_user(actor))
        audit.record(actor=actor, action="case.cost_add", obj=cost,
                     after={"kind": kind, "amount_fen": amount_fen, "payee": cost.payee_name})
    return cost


def case_stay_add(*, case: Case, first_day: Any, last_day: Any, requested_by_debtor: bool, reason: str,
                  actor: Any) -> CaseStay:
    """Record a stay of enforcement. Late-performance interest does not run during a stay the debtor
    did not ask for (LI art.3)."""
    check_court_staff(actor, case.court)
    problems = Problems()
    if first_day is None or last_day is None or last_day < first_day:
        problems.add(_("The last day of the stay cannot be before its first day."), code="bad_period",
                     field="last_day")
    if not (reason or "").strip():
        problems.add(_("Give the reason for the stay."), code="reason_required", field="reason")
    problems.raise_if_any()
    with transaction.atomic():
        _lock_case(case.pk)
        stay = CaseStay.objects.create(case=case, first_day=first_day, last_day=last_day,
                                       requested_by_debtor=requested_by_debtor, reason=reason.strip()[:200],
                                       created_by=_user(actor))
        audit.record(actor=actor, action="case.stay_add", obj=stay,
                     after={"first_day": first_day, "last_day": last_day, "requested_by_debtor": requested_by_debtor})
    return stay


# --- the distribution plan (CPLI arts.506–514) ------------------------------------------------------------------

PL = DistributionPlan.Status
OB = PlanObjection.Status
PLAN_TRANSITIONS = TransitionTable("distribution plan", {PL.DRAFT: {PL.SERVED, PL.SUPERSEDED},
                                                         PL.SERVED: {PL.SUPERSEDED}, PL.SUPERSEDED: set()})
OBJECTION_TRANSITIONS = TransitionTable("objection", {
    OB.FILED: {OB.COUNTERED, OB.UPHELD, OB.WITHDRAWN},
    OB.COUNTERED: {OB.SUED, OB.LAPSED, OB.WITHDRAWN},
    OB.SUED: {OB.DECIDED, OB.WITHDRAWN},
    OB.UPHELD: set(), OB.LAPSED: set(), OB.DECIDED: set(), OB.WITHDRAWN: set(),
})
OBJECTION_DAYS = 15  # objection, counter-objection and suit windows (CPLI arts.509–510)


def _claim_input(claim: Claim, stop_on: Any, stays: list[tuple[Any, Any]]) -> distribution.ClaimIn:
    late = 0
    if stop_on is not None and claim.performance_due_on is not None:
        late = distribution.late_interest_fen(claim.principal_fen, claim.performance_due_on, stop_on, stays)
    lapsed = False
    if (claim.priority_class == Claim.PriorityClass.CONSTRUCTION_PRICE and claim.performance_due_on is not None
            and claim.asserted_on is not None):
        limit = rules.add_months(claim.performance_due_on, distribution.CONSTRUCTION_PRIORITY_MONTHS)
        lapsed = claim.asserted_on > limit
    return distribution.ClaimIn(
        key=f"claim:{claim.pk}", priority_class=claim.priority_class, principal_fen=claim.principal_fen,
        interest_fen=claim.interest_fen, late_interest_fen=late, registered_on=claim.registered_on,
        seizure_order=claim.seizure_order, priority_lapsed=lapsed,
        secured_lot=f"lot:{claim.secured_lot_id}" if claim.secured_lot_id else None, label=claim.creditor.name)


def plan_build(*, case: Case, actor: Any, interest_stop_on: Any = None, note: str = "") -> DistributionPlan:
    """Draw up a new version of the case's distribution plan from its execution costs, the
    enforcement application fee (FEE art.14, on the applicant's claims) and its court-verified claims,
    over everything the case account has received (applied deposits, balance payments and, moved in
    now, forfeited deposits, WP art.24), in the legal order of settlement.distribution (CPLI arts.508,
    511–514; LI arts.1–5; EW art.34). Late-performance interest stops on `interest_stop_on`, the day the
    sale ruling took effect. A previous draft is superseded at once; a served version when this one
    is served. Locks: case, ledger accounts, audit head."""
    check_court_staff(actor, case.court)
    with transaction.atomic():
        case = _lock_case(case.pk)
        debtor = selectors.debtor_of(case)
        if debtor is None:
            raise RuleViolation(_("Record the debtor of the case before drawing up a distribution plan."),
                                code="no_debtor")
        forfeit = forfeit_account(case)
        moved = -ledger.balance_of(forfeit)
        if moved > 0:
            n = DistributionPlan.objects.filter(case=case).count() + 1
            ledger.post(kind=TX.FORFEIT_TO_CASE, key=f"case:{case.pk}:forfeit_to_case:{n}", actor=actor, case=case,
                        legs=move(moved, debit=forfeit, credit=case_account(case)),
                        memo=f"{case.number} forfeited deposits to the distribution")
        committed = selectors.case_payouts_committed_fen(case)
        balance = -ledger.balance_of(case_account(case))
        available = balance + committed
        stays = [(s.first_day, s.last_day) for s in case.stays.filter(requested_by_debtor=False)]
        claims = list(case.claims.filter(verified=True).select_related("creditor").order_by("id"))
        applicant_total = sum(c.principal_fen + c.interest_fen for c in claims
                              if c.creditor.role == Party.Role.APPLICANT)
        fee = distribution.application_fee_fen(applicant_total)
        costs = [distribution.CostIn(key="fee", amount_fen=fee, label=str(_("Enforcement application fee")))]
        case_costs = list(case.costs.order_by("id"))
        costs += [distribution.CostIn(key=f"cost:{c.pk}", amount_fen=c.amount_fen, label=c.description)
                  for c in case_costs]
        by_seizure = debtor.kind == Party.Kind.COMPANY
        result = distribution.waterfall(
            available, costs, [_claim_input(c, interest_stop_on, stays) for c in claims],
            by_seizure_order=by_seizure, lot_proceeds=selectors.lot_proceeds(case))
        version = (DistributionPlan.objects.filter(case=case).order_by("-version").values_list(
            "version", flat=True).first() or 0) + 1
        previous = DistributionPlan.objects.filter(case=case, status__in=[PL.DRAFT, PL.SERVED]).order_by(
            "-version").first()
        plan = DistributionPlan.objects.create(
            case=case, version=version, mode=DistributionPlan.Mode.SEIZURE_ORDER if by_seizure
            else DistributionPlan.Mode.PRO_RATA, available_fen=available, paid_before_fen=committed,
            forfeit_moved_fen=moved, interest_stop_on=interest_stop_on, application_fee_fen=fee,
            note=(note or "").strip(), based_on=previous, created_by=_user(actor))
        claims_by_key = {f"claim:{c.pk}": c for c in claims}
        costs_by_key = {f"cost:{c.pk}": c for c in case_costs}
        lines = []
        for position, a in enumerate(result.lines, start=1):
            claim = claims_by_key.get(a.claim_key)
            cost = costs_by_key.get(a.key)
            if claim is not None:
                payee = claim.creditor.name
            elif cost is not None:
                payee = cost.payee_name
            elif a.key == "fee":
                payee = str(_("%(court)s (court fees)") % {"court": case.court.display_name})
            else:
                payee = debtor.name
            lines.append(DistributionLine(
                plan=plan, position=position, key=a.key, tier=a.tier, rank=a.rank, claim=claim, cost=cost,
                payee_name=payee[:140], payee_account=cost.payee_account if cost else "", claimed_fen=a.claimed_fen,
                allocated_fen=a.allocated_fen, note=a.note[:300]))
        DistributionLine.objects.bulk_create(lines)
        if previous is not None and previous.status == PL.DRAFT:
            _lock_plan(previous.pk)
            transition(previous, PLAN_TRANSITIONS, PL.SUPERSEDED, actor=actor, action="plan.supersede",
                       labels=dict(PL.choices))
        audit.record(actor=actor, action="plan.build", obj=plan, after={
            "version": version, "available_fen": available, "mode": plan.mode, "application_fee_fen": fee,
            "surplus_fen": result.surplus_fen, "lines": len(lines), "interest_stop_on": interest_stop_on},
            reason=plan.note)
    return plan


def _lock_plan(pk: int) -> DistributionPlan:
    return DistributionPlan.objects.select_for_update().get(pk=pk)


def plan_serve(*, plan: DistributionPlan, served_on: Any, actor: Any) -> DistributionPlan:
    """Serve a draft plan on every creditor and the debtor (CPLI art.509): each may object in writing
    within 15 days of service (the last day moved off a rest day, CPL art.85). The previous served
    version is superseded; its unpaid lines are now paid under this one. Locks: case, plan, audit."""
    check_court_staff(actor, plan.case.court)
    if served_on is None or served_on > clock.today():
        raise RuleViolation(_("The date of service cannot be in the future."), code="bad_date", field="served_on")
    with transaction.atomic():
        case = _lock_case(plan.case_id)
        p = _lock_plan(plan.pk)
        if served_on < clock.local_date(p.created_at):
            raise RuleViolation(_("The plan cannot be served before it was drawn up."), code="bad_date",
                                field="served_on")
        for old in DistributionPlan.objects.filter(case=case, status=PL.SERVED).exclude(pk=p.pk):
            _lock_plan(old.pk)
            transition(old, PLAN_TRANSITIONS, PL.SUPERSEDED, actor=actor, action="plan.supersede",
                       labels=dict(PL.choices))
        due = days.period_end(served_on, OBJECTION_DAYS)
        parties = Party.objects.filter(case=case).filter(
            Q(role=Party.Role.DEBTOR) | Q(claims__case=case)).distinct()
        for party in parties:
            PlanService.objects.get_or_create(plan=p, party=party, defaults={"served_on": served_on,
                                                                             "objection_due": due})
        pdf = exports.plan_statement_pdf(p)
        transition(p, PLAN_TRANSITIONS, PL.SERVED, actor=actor, action="plan.serve", labels=dict(PL.choices),
                   extra_changes={"served_on": served_on, "statement_pdf": pdf,
                                  "statement_sha256": hashlib.sha256(pdf).hexdigest()})
    plan.refresh_from_db()
    return plan


def _lock_objection(pk: int) -> PlanObjection:
    return PlanObjection.objects.select_for_update().select_related("plan", "line").get(pk=pk)


def objection_file(*, plan: DistributionPlan, line: DistributionLine, objector: Party, disputed_fen: int,
                   grounds: str, filed_on: Any, actor: Any) -> PlanObjection:
    """A creditor or the debtor objects in writing to a line of a served plan within 15 days of
    service (CPLI art.509). The other parties may counter-object within 15 days; until the
    objection is settled the disputed amount of the line is held back. Late objections are refused.
    Locks: case, plan, audit."""
    check_court_staff(actor, plan.case.court)
    with transaction.atomic():
        _lock_case(plan.case_id)
        p = _lock_plan(plan.pk)
        problems = Problems()
        service = PlanService.objects.filter(plan=p, party=objector).first()
        if p.status != PL.SERVED:
            problems.add(_("Only a served plan can be objected to."), code="plan_not_served")
        elif service is None:
            problems.add(_("The plan was not served on this party."), code="not_served", field="objector")
        elif filed_on is None or filed_on > clock.today() or filed_on < service.served_on:
            problems.add(_("The filing date must lie between the service and today."), code="bad_date",
                         field="filed_on")
        elif filed_on > service.objection_due:
            problems.add(_("Objections were due by %(due)s (CPLI art.509); this one is late."),
                         code="objection_late", params={"due": service.objection_due}, field="filed_on")
        if line.plan_id != p.pk:
            problems.add(_("Choose a line of this plan."), code="bad_line", field="line")
        elif not isinstance(disputed_fen, int) or not 0 < disputed_fen <= line.allocated_fen:
            problems.add(_("The disputed amount must be more than zero and at most the line's %(amount)s."),
                         code="bad_amount", params={"amount": format_fen(line.allocated_fen)}, field="disputed_fen")
        if not (grounds or "").strip():
            problems.add(_("Give the grounds of the objection."), code="grounds_required", field="grounds")
        problems.raise_if_any()
        objection = PlanObjection.objects.create(
            plan=p, line=line, objector=objector, disputed_fen=disputed_fen, grounds=grounds.strip(),
            filed_on=filed_on, counter_due=days.period_end(filed_on, OBJECTION_DAYS), created_by=_user(actor))
        audit.record(actor=actor, action="objection.file", obj=objection, after={
            "line": line.key, "disputed_fen": disputed_fen, "filed_on": filed_on, "counter_due": objection.counter_due})
    return objection


def objection_counter(*, objection: PlanObjection, party: Party, countered_on: Any, grounds: str,
                      actor: Any) -> PlanObjection:
    """Another creditor or the debtor counter-objects within 15 days of being told of the objection
    (CPLI art.510); the objector must then sue within 15 days. Locks: case, objection, audit."""
    check_court_staff(actor, objection.plan.case.court)
    with transaction.atomic():
        _lock_case(objection.plan.case_id)
        o = _lock_objection(objection.pk)
        problems = Problems()
        if party.pk == o.objector_id or not PlanService.objects.filter(plan=o.plan, party=party).exists():
            problems.add(_("A counter-objection comes from another party the plan was served on."),
                         code="bad_party", field="party")
        if countered_on is None or countered_on > clock.today() or countered_on < o.filed_on:
            problems.add(_("The date must lie between the objection and today."), code="bad_date", field="countered_on")
        elif countered_on > o.counter_due:
            problems.add(_("Counter-objections were due by %(due)s (CPLI art.510); this one is late."),
                         code="counter_late", params={"due": o.counter_due}, field="countered_on")
        if not (grounds or "").strip():
            problems.add(_("Give the grounds of the counter-objection."), code="grounds_required", field="grounds")
        problems.raise_if_any()
        transition(o, OBJECTION_TRANSITIONS, OB.COUNTERED, actor=actor, action="objection.counter",
                   labels=dict(OB.choices), reason=grounds.strip(), extra_changes={
                       "counter_party": party, "countered_on": countered_on,
                       "suit_due": days.period_end(countered_on, OBJECTION_DAYS)})
    return o


def objection_sue(*, objection: PlanObjection, sued_on: Any, suit_reference: str, actor: Any) -> PlanObjection:
    """The objector sued the counter-objectors within 15 days (CPLI art.510): the disputed amount
    stays held until the judgment. Locks: case, objection, audit."""
    check_court_staff(actor, objection.plan.case.court)
    with transaction.atomic():
        _lock_case(objection.plan.case_id)
        o = _lock_objection(objection.pk)
        problems = Problems()
        if o.status != OB.COUNTERED:
            problems.add(_("A suit follows a counter-objection."), code="not_countered")
        elif sued_on is None or sued_on > clock.today() or sued_on < (o.countered_on or o.filed_on):
            problems.add(_("The date must lie between the counter-objection and today."), code="bad_date",
                         field="sued_on")
        elif o.suit_due is not None and sued_on > o.suit_due:
            problems.add(_("The suit was due by %(due)s (CPLI art.510); the plan is carried out as it stands."),
                         code="suit_late", params={"due": o.suit_due}, field="sued_on")
        if not (suit_reference or "").strip():
            problems.add(_("Give the case number of the suit."), code="reference_required", field="suit_reference")
        problems.raise_if_any()
        transition(o, OBJECTION_TRANSITIONS, OB.SUED, actor=actor, action="objection.sue", labels=dict(OB.choices),
                   extra_changes={"sued_on": sued_on, "suit_reference": suit_reference.strip()[:60]})
    return o


def objection_close(*, objection: PlanObjection, target: str, resolution: str, actor: Any) -> PlanObjection:
    """Close an objection: the judgment in the objector's suit (decided), or the objector's
    withdrawal. A decision that changes amounts is carried out by a new plan version built from the
    corrected claims. Locks: case, objection, audit."""
    check_court_staff(actor, objection.plan.case.court)
    if target not in (OB.DECIDED, OB.WITHDRAWN):
        raise RuleViolation(_("Choose decided or withdrawn."), code="bad_target", field="target")
    if not (resolution or "").strip():
        raise RuleViolation(_("Record the judgment or the withdrawal."), code="resolution_required",
                            field="resolution")
    with transaction.atomic():
        _lock_case(objection.plan.case_id)
        o = _lock_objection(objection.pk)
        transition(o, OBJECTION_TRANSITIONS, target, actor=actor, action=f"objection.{target}",
                   labels=dict(OB.choices), reason=resolution.strip(),
                   extra_changes={"resolution": resolution.strip(), "resolved_on": clock.today()})
    return o


def objections_expire(today: Any = None) -> int:
    """Clock job (CPLI art.510): an objection nobody counter-objected to within 15 days is upheld (the
    plan must be revised; its amount stays held until the new version is served); a counter-objected
    one whose objector did not sue within 15 days lapses and the plan is carried out as it stands.
    Idempotent. Returns the number changed."""
    today = today or clock.today()
    changed = 0
    due = PlanObjection.objects.filter(Q(status=OB.FILED, counter_due__lt=today)
                                       | Q(status=OB.COUNTERED, suit_due__lt=today))
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            o = _lock_objection(pk)
            if o.status == OB.FILED and o.counter_due < today:
                transition(o, OBJECTION_TRANSITIONS, OB.UPHELD, actor=CLOCK, action="objection.upheld",
                           labels=dict(OB.choices), extra_changes={"resolved_on": today})
                changed += 1
            elif o.status == OB.COUNTERED and o.suit_due is not None and o.suit_due < today:
                transition(o, OBJECTION_TRANSITIONS, OB.LAPSED, actor=CLOCK, action="objection.lapsed",
                           labels=dict(OB.choices), extra_changes={"resolved_on": today})
                changed += 1
    return changed


# --- case payouts: the two-person rule, delays and escrow (EF) --------------------------------------------------

CP = CasePayout.Status
CASE_PAYOUT_TRANSITIONS = TransitionTable("case payout", {
    CP.PREPARED: {CP.APPROVED, CP.CANCELLED},
    CP.APPROVED: {CP.PAID, CP.ESCROWED, CP.CANCELLED},
    CP.PAID: set(), CP.ESCROWED: set(), CP.CANCELLED: set(),
})
PD = PayoutDelay.Status
DELAY_TRANSITIONS = TransitionTable("payout delay", {PD.REQUESTED: {PD.APPROVED, PD.REFUSED},
                                                     PD.APPROVED: {PD.ENDED}, PD.REFUSED: set(), PD.ENDED: set()})


def check_approver(actor: Any, court: Court) -> None:
    """Approvals of payouts and of their delays: the head of the enforcement bureau or the court
    leader in charge (role `approver`), of the payout's court."""
    if isinstance(actor, str) or actor is None or not has_role(actor, Role.APPROVER):
        raise PermissionDenied(_("Only the head of the enforcement bureau (approver) may approve this."),
                               code="permission_denied")
    if not CourtMembership.objects.filter(user=actor, court=court).exists():
        raise PermissionDenied(_("You do not act for %(court)s."), code="wrong_court",
                               params={"court": court.display_name})


def _check_preparer(actor: Any, court: Court) -> None:
    if isinstance(actor, str) or actor is None or not has_role(actor, Role.COURT_STAFF):
        raise PermissionDenied(_("Only the enforcement officer prepares a payout."), code="permission_denied")
    check_court_staff(actor, court)


def _lock_case_payout(pk: int) -> CasePayout:
    return CasePayout.objects.select_for_update().select_related("line__plan", "case__court").get(pk=pk)


def new_payout_reference() -> str:
    """A reference finance staff put in the transfer's remark (e.g. CPK7Q2M9XA), so the bank
    statement's debit can be matched to the payout."""
    while True:
        candidate = "CP" + "".join(secrets.choice(statements.REFERENCE_ALPHABET) for _ in range(8))
        if not CasePayout.objects.filter(reference=candidate).exists():
            return candidate


def case_payout_prepare(*, line: DistributionLine, amount_fen: int, actor: Any, payee_account: str = "") -> CasePayout:
    """The enforcement officer prepares a payout of a line of the case's current served plan, after
    the objection windows have closed, for at most what the line still has to pay less any amount
    held for an open objection (CPLI art.510). Locks: case, audit."""
    case = line.plan.case
    _check_preparer(actor, case.court)
    with transaction.atomic():
        _lock_case(case.pk)
        line = DistributionLine.objects.select_related("plan").get(pk=line.pk)
        payable = selectors.line_payable_fen(line)
        problems = Problems()
        if line.plan.status != PL.SERVED:
            problems.add(_("Payouts are made only under the served version of the plan."), code="plan_not_served")
        elif not selectors.objection_windows_closed(line.plan):
            problems.add(_("The objection period runs until %(due)s; payouts can be prepared after it."),
                         code="objection_window_open", params={"due": selectors.objection_deadline(line.plan)})
        if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
            problems.add(_("The amount must be more than zero."), code="bad_amount", field="amount_fen")
        elif amount_fen > payable:
            problems.add(_("At most %(amount)s of this line can be paid now."), code="over_payable",
                         params={"amount": format_fen(payable)}, field="amount_fen")
        problems.raise_if_any()
        method = CasePayout.Method.COURT_FEES if line.key == "fee" else CasePayout.Method.BANK
        payout = CasePayout.objects.create(
            case=case, line=line, line_key=line.key, reference=new_payout_reference(), method=method,
            payee_name=line.payee_name, payee_account=(payee_account or line.payee_account).strip()[:60],
            amount_fen=amount_fen, prepared_by=actor, due_on=selectors.case_payout_due(case))
        audit.record(actor=actor, action="case_payout.prepare", obj=payout, after={
            "line": line.key, "amount_fen": amount_fen, "payee": payout.payee_name, "reference": payout.reference})
    return payout


def case_payout_approve(*, payout: CasePayout, actor: Any) -> CasePayout:
    """The approver (not the officer who prepared it) approves the payout (EF: approval form); the
    amount moves from the case account to creditor payables. Locks: case, payout, ledger, audit."""
    check_approver(actor, payout.case.court)
    with transaction.atomic():
        case = _lock_case(payout.case_id)
        p = _lock_case_payout(payout.pk)
        if p.status == CP.APPROVED and p.approved_by_id == actor.pk:
            return p
        if p.prepared_by_id == actor.pk:
            raise PermissionDenied(_("The person who prepared a payout cannot approve it."), code="two_person_rule")
        CASE_PAYOUT_TRANSITIONS.check(p.status, CP.APPROVED, dict(CP.choices))
        if p.line.plan.status != PL.SERVED:
            raise RuleViolation(_("The plan this payout was prepared under has been superseded."),
                                code="plan_superseded")
        payable = selectors.line_payable_fen(p.line, excluding=p)
        if p.amount_fen > payable:
            raise RuleViolation(_("At most %(amount)s of this line can be paid now."), code="over_payable",
                                params={"amount": format_fen(payable)})
        if p.amount_fen > -ledger.balance_of(case_account(case)):
            raise RuleViolation(_("The case account does not hold enough."), code="insufficient_funds")
        ledger.post(kind=TX.CASE_PAYOUT_APPROVED, key=f"case_payout:{p.pk}:approve", actor=actor, case=case,
                    case_payout=p, legs=move(p.amount_fen, debit=case_account(case), credit=ledger.creditor_payables()),
                    memo=p.reference)
        transition(p, CASE_PAYOUT_TRANSITIONS, CP.APPROVED, actor=actor, action="case_payout.approve",
                   labels=dict(CP.choices), extra_changes={"approved_by": actor, "approved_at": clock.now()})
    return p


def case_payout_execute(*, payout: CasePayout, actor: Any, bank_reference: str = "",
                        escrow_reason: str = "") -> CasePayout:
    """Finance (neither the preparer nor the approver) executes an approved payout: a bank transfer
    with the bank's reference, the application fee to the court's fee account, or — when the payee
    refuses, is missing or cannot be reached — a payment into escrow (提存) with the reason. Locks:
    case, payout, ledger, audit."""
    check_finance(actor, payout.case.court)
    if isinstance(actor, str):
        raise PermissionDenied(_("A payout is executed by a member of the finance staff."), code="permission_denied")
    escrow = bool((escrow_reason or "").strip())
    with transaction.atomic():
        case = _lock_case(payout.case_id)
        p = _lock_case_payout(payout.pk)
        if p.status in (CP.PAID, CP.ESCROWED) and p.executed_by_id == getattr(actor, "pk", None):
            return p
        if actor.pk in (p.prepared_by_id, p.approved_by_id):
            raise PermissionDenied(_("Whoever prepared or approved a payout cannot execute it."),
                                   code="two_person_rule")
        target = CP.ESCROWED if escrow else CP.PAID
        CASE_PAYOUT_TRANSITIONS.check(p.status, target, dict(CP.choices))
        reference = (bank_reference or "").strip()
        if p.method == CasePayout.Method.BANK and not reference:
            raise RuleViolation(_("The bank's reference of the payment is required."), code="reference_required",
                                field="bank_reference")
        credit = ledger.court_fees() if p.method == CasePayout.Method.COURT_FEES else ledger.clearing(
            Gateway.BANK_TRANSFER)
        ledger.post(kind=TX.CASE_PAYOUT, key=f"case_payout:{p.pk}:execute", actor=actor, case=case, case_payout=p,
                    legs=move(p.amount_fen, debit=ledger.creditor_payables(), credit=credit),
                    memo=f"{p.reference} escrow" if escrow else p.reference)
        transition(p, CASE_PAYOUT_TRANSITIONS, target, actor=actor, action=f"case_payout.{target}",
                   labels=dict(CP.choices), reason=escrow_reason.strip(), extra_changes={
                       "executed_by": actor, "executed_at": clock.now(), "external_ref": reference[:120],
                       "escrow_reason": escrow_reason.strip()[:300]})
    return p


def case_payout_cancel(*, payout: CasePayout, actor: Any, reason: str) -> CasePayout:
    """Cancel a payout not yet executed (court staff or the approver of its court); an approved one
    returns its amount to the case account. Locks: case, payout, ledger, audit."""
    court = payout.case.court
    if not has_role(actor, Role.APPROVER):
        check_court_staff(actor, court)
    else:
        check_approver(actor, court)
    if not (reason or "").strip():
        raise RuleViolation(_("Give the reason for cancelling."), code="reason_required", field="reason")
    with transaction.atomic():
        case = _lock_case(payout.case_id)
        p = _lock_case_payout(payout.pk)
        CASE_PAYOUT_TRANSITIONS.check(p.status, CP.CANCELLED, dict(CP.choices))
        if p.status == CP.APPROVED:
            ledger.post(kind=TX.CASE_PAYOUT_CANCELLED, key=f"case_payout:{p.pk}:cancel", actor=actor, case=case,
                        case_payout=p, memo=p.reference,
                        legs=move(p.amount_fen, debit=ledger.creditor_payables(), credit=case_account(case)))
        transition(p, CASE_PAYOUT_TRANSITIONS, CP.CANCELLED, actor=actor, action="case_payout.cancel",
                   labels=dict(CP.choices), reason=reason.strip(),
                   extra_changes={"cancel_reason": reason.strip()[:300]})
    return p


def payout_delay_request(*, case: Case, reason: str, note: str, actor: Any) -> PayoutDelay:
    """Ask to pay the case's funds later than 30 days after they arrived, for one of the listed
    reasons (EF); it counts only once approved."""
    check_court_staff(actor, case.court)
    problems = Problems()
    if reason not in PayoutDelay.Reason.values:
        problems.add(_("Choose one of the listed reasons."), code="bad_reason", field="reason")
    if not (note or "").strip():
        problems.add(_("Explain the delay."), code="note_required", field="note")
    problems.raise_if_any()
    with transaction.atomic():
        _lock_case(case.pk)
        delay = PayoutDelay.objects.create(case=case, reason=reason, note=note.strip(), requested_by=_user(actor))
        audit.record(actor=actor, action="payout_delay.request", obj=delay, after={"reason": reason}, reason=note)
    return delay


def payout_delay_decide(*, delay: PayoutDelay, approve: bool, actor: Any) -> PayoutDelay:
    """The head of the enforcement bureau approves or refuses a delay (not the one who asked)."""
    check_approver(actor, delay.case.court)
    with transaction.atomic():
        _lock_case(delay.case_id)
        d = PayoutDelay.objects.select_for_update().get(pk=delay.pk)
        if d.requested_by_id == actor.pk:
            raise PermissionDenied(_("Whoever asked for a delay cannot approve it."), code="two_person_rule")
        transition(d, DELAY_TRANSITIONS, PD.APPROVED if approve else PD.REFUSED, actor=actor,
                   action="payout_delay.approve" if approve else "payout_delay.refuse", labels=dict(PD.choices),
                   extra_changes={"decided_by": actor, "decided_at": clock.now()})
    return d


def payout_delay_end(*, delay: PayoutDelay, ended_on: Any, actor: Any) -> PayoutDelay:
    """The reason for the delay has ended: the funds are due within 10 days (EF)."""
    check_court_staff(actor, delay.case.court)
    if ended_on is None or ended_on > clock.today():
        raise RuleViolation(_("The date cannot be in the future."), code="bad_date", field="ended_on")
    with transaction.atomic():
        _lock_case(delay.case_id)
        d = PayoutDelay.objects.select_for_update().get(pk=delay.pk)
        transition(d, DELAY_TRANSITIONS, PD.ENDED, actor=actor, action="payout_delay.end", labels=dict(PD.choices),
                   extra_changes={"ended_on": ended_on})
    return d


__all__ = [
    "AUDIT_ACTIONS",
    "DEPOSIT_TRANSITIONS",
    "Busy",
    "SettleResult",
    "balance_confirm_offline",
    "balance_open",
    "balance_payment_refresh",
    "balance_payment_start",
    "balance_status",
    "case_account",
    "case_cost_add",
    "case_payout_approve",
    "case_payout_cancel",
    "case_payout_execute",
    "case_payout_prepare",
    "case_stay_add",
    "check_finance",
    "deposit_apply",
    "deposit_cancel",
    "deposit_confirm_offline",
    "deposit_forfeit",
    "deposit_open",
    "deposit_payment_start",
    "deposit_refresh",
    "deposit_release",
    "do_deposit_hold",
    "objection_close",
    "objection_counter",
    "objection_file",
    "objection_sue",
    "objections_expire",
    "payout_delay_decide",
    "payout_delay_end",
    "payout_delay_request",
    "payout_mark_paid",
    "plan_build",
    "plan_serve",
    "raise_alerts",
    "receipt_assign",
    "receipt_return",
    "round_payment_settings_set",
    "round_settle",
    "send_balance_reminders",
    "settle_due_rounds",
    "statement_import",
    "stripe_event_handle",
]
