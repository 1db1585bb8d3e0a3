"""Daily reconciliation of the ledger against the gateways' own records (docs/reconciliation.md).

The gateway side is what the outside world says happened: every line of every imported bank
statement (credits and debits) and every Stripe balance transaction, fetched through the SDK, stored
as GatewayRecord rows. The ledger side is every entry on the gateway's clearing account. Each side is
grouped by the reference both know — the bank line or PaymentIntent of a receipt, the bank reference
or refund id of a payout, the CP… reference a case payout's transfer carries in its remark — and the
groups are compared. Differences become exceptions for finance staff, one per gateway, kind and
reference: a re-run finds the same ones again (and resolves those that have gone), so running it
twice changes nothing. Every exception is closed with a recorded reason."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import stripe
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from auction.models import Court
from core import audit, clock
from core.errors import PermissionDenied, RuleViolation
from core.roles import Role, has_role
from settlement.gateways.base import GatewayError
from settlement.gateways.stripe_gateway import StripeGateway
from settlement.models import (
    BankStatement,
    Gateway,
    GatewayRecord,
    LedgerEntry,
    Receipt,
    ReconciliationException,
    ReconciliationRun,
)
from settlement.statements import StatementLine

log = logging.getLogger("fapai.settlement")
K = ReconciliationException.Kind
RECONCILED_GATEWAYS = (Gateway.BANK_TRANSFER, Gateway.STRIPE)


# --- the gateway side -----------------------------------------------------------------------------------


def bank_line_id(line_key: str) -> str:
    """The bank's own id of a statement line ("id:<account>:<id>" → "<id>"; a hashed key has none)."""
    if line_key.startswith("id:"):
        return line_key.rsplit(":", 1)[-1]
    return ""


def records_from_statement(statement: BankStatement, lines: list[StatementLine]) -> int:
    """Keep every line of an imported statement, credits and debits, as the bank's record. Returns the
    number of new records (a line already kept from another file is not kept twice)."""
    created = 0
    for line in lines:
        _record, new = GatewayRecord.objects.get_or_create(
            gateway=Gateway.BANK_TRANSFER, external_id=line.line_key,
            defaults={"reference": line.line_key, "amount_fen": line.amount_fen, "currency": line.currency,
                      "occurred_at": line.booked_at, "description": line.remark[:300], "statement": statement})
        created += new
    return created


def stripe_records_fetch() -> int:
    """Fetch Stripe's balance transactions through the SDK and keep the new ones. A charge is known by
    its PaymentIntent (the reference fapai keeps), a refund by its own id. An uncaptured charge moves
    no money and is skipped. Returns the number of new records. Raises RuleViolation if Stripe cannot
    be reached (what was fetched before the error is kept: each record stands alone)."""
    try:
        return _fetch_stripe(StripeGateway().client())
    except (stripe.StripeError, GatewayError) as exc:
        raise RuleViolation(_("The card processor could not be reached: %(error)s"), code="gateway_unreachable",
                            params={"error": exc.__class__.__name__}) from exc


def _fetch_stripe(client: stripe.StripeClient) -> int:
    known = set(GatewayRecord.objects.filter(gateway=Gateway.STRIPE).values_list("external_id", flat=True))
    created = 0
    for txn in client.v1.balance_transactions.list(params={"limit": 100}).auto_paging_iter():
        if txn.id in known:
            continue
        source = str(getattr(txn.source, "id", txn.source) or "")
        reference = source
        if source.startswith("ch_"):
            charge = client.v1.charges.retrieve(source)
            if not charge.captured:
                continue
            reference = str(getattr(charge.payment_intent, "id", charge.payment_intent) or source)
        _record, new = GatewayRecord.objects.get_or_create(
            gateway=Gateway.STRIPE, external_id=str(txn.id),
            defaults={"reference": reference, "amount_fen": int(txn.amount),
                      "currency": str(txn.currency or "cny").upper()[:3],
                      "occurred_at": datetime.fromtimestamp(int(txn.created), tz=clock.SHANGHAI),
                      "description": f"{txn.type} {source}"[:300]})
        created += new
    return created


# --- comparing ----------------------------------------------------------------------------------------------


@dataclass
class _Side:
    amounts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    court: dict[str, int | None] = field(default_factory=dict)

    def add(self, reference: str, amount_fen: int, court_id: int | None = None) -> None:
        self.amounts[reference] += amount_fen
        self.counts[reference] += 1
        if court_id is not None:
            self.court[reference] = court_id


def _ledger_side(gateway: str, until: date) -> tuple[_Side, dict[str, str]]:
    """Entries on clearing:<gateway> dated up to `until`, by reference; and the other names (a case
    payout's CP… reference) under which a bank line may mention them."""
    side, aliases = _Side(), {}
    entries = (LedgerEntry.objects.filter(account__code=f"clearing:{gateway}")
               .select_related("transaction__receipt", "transaction__payout__deposit",
                               "transaction__case_payout__case"))
    for entry in entries:
        txn = entry.transaction
        when, reference, court_id = txn.created_at, "", None
        if txn.receipt is not None:
            when, reference, court_id = txn.receipt.received_at, txn.receipt.external_ref, txn.receipt.court_id
        elif txn.payout is not None:
            payout = txn.payout
            when, reference, court_id = payout.paid_at or when, payout.external_ref, payout.court_id
            aliases[payout.key] = reference
            if payout.deposit is not None:  # a refund transfer quotes the deposit's reference
                aliases[payout.deposit.reference] = reference
        elif txn.case_payout is not None:
            cp = txn.case_payout
            when, court_id = cp.executed_at or when, cp.case.court_id
            reference = cp.external_ref or cp.reference
            aliases[cp.reference] = reference
        if clock.local_date(when) > until:
            continue
        side.add(reference or f"txn:{txn.pk}", entry.amount_fen, court_id)
    return side, aliases


def _gateway_side(gateway: str, until: date, ledger: _Side, aliases: dict[str, str]) -> _Side:
    """Records dated up to `until`, each under the ledger's reference it matches: its own reference,
    the bank's line id, or a payout reference quoted in its remark."""
    side = _Side()
    for record in GatewayRecord.objects.filter(gateway=gateway).select_related("statement"):
        if clock.local_date(record.occurred_at) > until:
            continue
        candidates = [record.reference, bank_line_id(record.external_id)]
        candidates += [target for alias, target in aliases.items() if alias and alias in record.description]
        reference = next((c for c in candidates if c and c in ledger.amounts), record.reference)
        side.add(reference, record.amount_fen, record.statement.court_id if record.statement else None)
    return side


@dataclass(frozen=True)
class Finding:
    kind: str
    reference: str
    gateway_fen: int | None
    ledger_fen: int | None
    court_id: int | None
    detail: str = ""


def compare(gateway: str, until: date) -> tuple[list[Finding], int, int, int]:
    """(findings, gateway groups, ledger groups, matched groups) for everything dated up to `until`."""
    ledger, aliases = _ledger_side(gateway, until)
    outside = _gateway_side(gateway, until, ledger, aliases)
    findings: list[Finding] = []
    matched = 0
    for reference in sorted(set(ledger.amounts) | set(outside.amounts)):
        in_ledger, at_gateway = reference in ledger.amounts, reference in outside.amounts
        court_id = ledger.court.get(reference) or outside.court.get(reference)
        g, led = outside.amounts.get(reference), ledger.amounts.get(reference)
        if in_ledger and at_gateway:
            if outside.counts[reference] > 1 or ledger.counts[reference] > 1:
                findings.append(Finding(K.DUPLICATE, reference, g, led, court_id,
                                        f"{outside.counts[reference]} × gateway, {ledger.counts[reference]} × ledger"))
            elif g != led:
                findings.append(Finding(K.AMOUNT_MISMATCH, reference, g, led, court_id))
            else:
                matched += 1
        elif at_gateway:
            findings.append(Finding(K.GATEWAY_ONLY, reference, g, None, court_id))
        else:
            findings.append(Finding(K.LEDGER_ONLY, reference, None, led, court_id))
    queued = Receipt.objects.filter(gateway=gateway, status=Receipt.Status.QUEUED)
    for r in queued:
        if clock.local_date(r.received_at) <= until:
            findings.append(Finding(K.UNMATCHED_RECEIPT, r.external_ref, r.amount_fen, None, r.court_id,
                                    r.get_queue_reason_display()[:300]))
    return findings, len(outside.amounts), len(ledger.amounts), matched


def _actor_label(actor: Any) -> str:
    if isinstance(actor, str):
        return actor
    return f"user:{actor.pk}:{actor.get_username()}"


def _same_as(run: ReconciliationRun | None, findings: list[Finding], counts: tuple[int, int, int]) -> bool:
    """Would recording this outcome change nothing against `run` (the same gateway, day and actor's
    last run)? The same counts, every finding already recorded by that run with the same amounts,
    and no open exception left to resolve."""
    if run is None or (run.gateway_count, run.ledger_count, run.matched_count, run.exception_count) != (
            *counts, len(findings)):
        return False
    recorded = {(e.kind, e.reference): e for e in ReconciliationException.objects.filter(gateway=run.gateway)}
    found = set()
    for f in findings:
        found.add((f.kind, f.reference[:120]))
        exc = recorded.get((f.kind, f.reference[:120]))
        if exc is None or exc.last_run_id != run.pk or (exc.gateway_amount_fen, exc.ledger_amount_fen) != (
                f.gateway_fen, f.ledger_fen):
            return False
    return not any(key not in found for key, exc in recorded.items()
                   if exc.status == ReconciliationException.Status.OPEN)


def reconcile(*, gateway: str, day: date, actor: Any) -> ReconciliationRun:
    """Reconcile one gateway with everything dated up to the end of `day`: record each difference
    as an open exception (once per gateway, kind and reference; a re-run updates it) and resolve the
    open ones this run no longer finds. Idempotent: a re-run by the same actor for the same day that
    finds exactly what their last run found records nothing and returns that run."""
    if gateway not in RECONCILED_GATEWAYS:
        raise RuleViolation(_("This gateway has no records of its own to reconcile with."), code="bad_gateway",
                            field="gateway")
    findings, gateway_count, ledger_count, matched = compare(gateway, day)
    last = ReconciliationRun.objects.filter(gateway=gateway, day=day, started_by=_actor_label(actor)).order_by(
        "-pk").first()
    if _same_as(last, findings, (gateway_count, ledger_count, matched)):
        assert last is not None
        return last
    with transaction.atomic():
        run = ReconciliationRun.objects.create(gateway=gateway, day=day, started_by=_actor_label(actor),
                                               gateway_count=gateway_count, ledger_count=ledger_count,
                                               matched_count=matched, exception_count=len(findings))
        found = set()
        for f in findings:
            found.add((f.kind, f.reference))
            exc, created = ReconciliationException.objects.get_or_create(
                gateway=gateway, kind=f.kind, reference=f.reference[:120], defaults={
                    "gateway_amount_fen": f.gateway_fen, "ledger_amount_fen": f.ledger_fen, "detail": f.detail,
                    "court_id": f.court_id, "first_run": run, "last_run": run})
            if created:
                audit.record(actor=actor, action="reconciliation.exception", obj=exc, after={
                    "kind": f.kind, "reference": f.reference, "gateway_fen": f.gateway_fen, "ledger_fen": f.ledger_fen})
                continue
            exc.last_run, exc.gateway_amount_fen, exc.ledger_amount_fen = run, f.gateway_fen, f.ledger_fen
            exc.save(update_fields=["last_run", "gateway_amount_fen", "ledger_amount_fen"])
        for exc in ReconciliationException.objects.filter(gateway=gateway, status=ReconciliationException.Status.OPEN):
            if (exc.kind, exc.reference) not in found:
                _resolve(exc, "system:reconciliation", str(_("No longer found by the run of %(day)s.") % {"day": day}))
        audit.record(actor=actor, action="reconciliation.run", obj=run, after={
            "gateway": gateway, "day": day, "matched": matched, "exceptions": len(findings)})
    return run


def _resolve(exc: ReconciliationException, actor: Any, reason: str) -> None:
    exc.status, exc.resolution = ReconciliationException.Status.RESOLVED, reason
    exc.resolved_by, exc.resolved_at = _actor_label(actor), clock.now()
    exc.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit.record(actor=actor, action="reconciliation.resolve", obj=exc, reason=reason,
                 before={"status": ReconciliationException.Status.OPEN}, after={"status": exc.status})


def check_reconciler(actor: Any, court: Court | None) -> None:
    """Finance staff of the exception's court (any finance staff for one no court can be told for)."""
    from settlement.services import check_finance

    if court is not None:
        check_finance(actor, court)
    elif isinstance(actor, str) or actor is None or not has_role(actor, Role.FINANCE):
        raise PermissionDenied(_("Only finance staff may do this."), code="permission_denied")


def exception_resolve(*, exception: ReconciliationException, actor: Any, reason: str) -> ReconciliationException:
    """Finance staff close an exception with the reason they found (a timing difference, a bank
    error corrected, a correcting posting made …). Resolving it again changes nothing."""
    check_reconciler(actor, exception.court)
    if not (reason or "").strip():
        raise RuleViolation(_("Record why the difference is resolved."), code="reason_required", field="reason")
    with transaction.atomic():
        exc = ReconciliationException.objects.select_for_update().get(pk=exception.pk)
        if exc.status == ReconciliationException.Status.OPEN:
            _resolve(exc, actor, reason.strip())
    return exc


def reconcile_daily(today: date | None = None) -> int:
    """Clock job: once a day, fetch Stripe's records (when card payments are configured) and reconcile
    every gateway up to the end of yesterday. Returns the number of runs made (0 once done today)."""
    day = (today or clock.today()) - timedelta(days=1)
    runs = 0
    for gateway in RECONCILED_GATEWAYS:
        if ReconciliationRun.objects.filter(gateway=gateway, day=day, started_by="system:clock").exists():
            continue
        if gateway == Gateway.STRIPE:
            if not StripeGateway().is_enabled():
                continue
            try:
                stripe_records_fetch()
            except RuleViolation as exc:  # try again on the next run
                log.warning("reconciliation: Stripe records could not be fetched: %s", exc)
                continue
        reconcile(gateway=gateway, day=day, actor="system:clock")
        runs += 1
    return runs


AUDIT_ACTIONS = {
    "reconciliation.run": _("Reconciliation run"),
    "reconciliation.exception": _("Reconciliation difference found"),
    "reconciliation.resolve": _("Reconciliation difference resolved"),
}
