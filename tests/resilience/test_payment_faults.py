"""Payment faults with the real stripe SDK: a real HTTP proxy in front of localstripe answers 500, 503
or 429, drops the connection, or answers after the client gave up, on the Nth request, and it honours
idempotency keys the way Stripe does (localstripe ignores them): a key seen before replays the first
answer, a key in flight is a 409, a key reused with other parameters a 400. Every request's
Idempotency-Key and body are recorded. Then: retries carry the same key, operations carry different
keys, refusals are not retried and change nothing, an outage after Stripe did the work ends with one
effect, and webhooks delivered twice, late, out of order, concurrently, about unknown objects or with a
bad signature change nothing twice (docs/resilience-payments.md)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe
from django.db import connection
from django.test import Client, override_settings
from django.utils import translation

from auction import services as auction_services
from auction.models import AuctionRound
from core import clock
from core.errors import RuleViolation
from core.models import AuditRecord, User
from settlement import services
from settlement.models import (
    BalanceDue,
    BalancePayment,
    BankStatement,
    Deposit,
    GatewayRecord,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    Receipt,
    StripeEvent,
)
from settlement.selectors import check_ledger
from tests import builders
from tests.settlement import conftest as settlement_fixtures
from tests.settlement import factories
from tests.settlement.stripe_helpers import deliver, event, signed

# The settlement fixtures (localstripe, finance staff, bidders, a round in bidding), shared.
localstripe_url = settlement_fixtures.localstripe_url
stripe_enabled = settlement_fixtures.stripe_enabled
bank_enabled = settlement_fixtures.bank_enabled
finance = settlement_fixtures.finance
bidder = settlement_fixtures.bidder
other_bidder = settlement_fixtures.other_bidder
rnd = settlement_fixtures.rnd

D = Deposit.Status
TIMEOUT = 2.0  # the SDK's read timeout in these tests (FAPAI_STRIPE_TIMEOUT_SECONDS)
CREATE = r"/v1/payment_intents"
CAPTURE = r"/v1/payment_intents/[^/]+/capture"
CANCEL = r"/v1/payment_intents/[^/]+/cancel"
REFUND = r"/v1/refunds"


# --- the fault proxy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """status | drop | timeout: the request never reached Stripe (a load balancer's 5xx or 429, a
    reset, a hang). refused: Stripe's own refusal, stored under the key like any answer of Stripe's.
    lost | slow: Stripe did the work, the answer was lost or came after the client's timeout;
    lost_then_down: lost, and from then on every request fails with a 503 until `down` is cleared."""

    kind: str
    status: int = 0
    error: dict[str, Any] = field(default_factory=dict)


E500 = Fault("status", 500, {"type": "api_error", "message": "An unknown error occurred."})
E503 = Fault("status", 503, {"type": "api_error", "message": "The service is temporarily unavailable."})
E429 = Fault("status", 429, {"type": "invalid_request_error", "code": "rate_limit",
                             "message": "Too many requests hit the API too quickly."})
DROP = Fault("drop")
LOST = Fault("lost")
SLOW = Fault("slow")
LOST_THEN_DOWN = Fault("lost_then_down")
DECLINED = Fault("refused", 402, {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                                  "message": "Your card was declined."})
TOO_SMALL = Fault("refused", 400, {"type": "invalid_request_error", "code": "amount_too_small", "param": "amount",
                                   "message": "Amount must be at least ¥0.50 cny."})
REFUNDED = Fault("refused", 400, {"type": "invalid_request_error", "code": "charge_already_refunded",
                                  "message": "Charge ch_x has already been refunded."})
WORK_DONE = ("pass", "lost", "slow", "lost_then_down")  # outcomes after which Stripe has done the work


@dataclass
class Seen:
    method: str
    path: str
    key: str
    body: str
    outcome: str  # pass | replayed | in_flight | conflict | down | a fault's kind


@dataclass
class _Plan:
    method: str
    path: re.Pattern[str]
    outcomes: list[Fault | None]


class FaultProxy:
    """Forwards to localstripe; faults planned per (method, path) hit the next matching requests in
    order (None lets one through). Stripe's idempotency is reproduced here, answers are recorded."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.plans: list[_Plan] = []
        self.answers: dict[str, tuple[bytes, int, bytes]] = {}  # key → (request body, status, answer)
        self.in_flight: set[str] = set()
        self.down = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            do_POST = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.plans.clear()  # the stored answers stay, as Stripe keeps keys for 24 hours
            self.down = False

    def plan(self, method: str, path: str, *outcomes: Fault | None) -> None:
        with self.lock:
            self.plans.append(_Plan(method, re.compile(path), list(outcomes)))

    def calls(self, method: str, path: str) -> list[Seen]:
        pattern = re.compile(path)
        with self.lock:
            return [s for s in self.seen if s.method == method and pattern.fullmatch(s.path.split("?")[0])]

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for plan in self.plans:
                if plan.method == method and plan.path.fullmatch(path.split("?")[0]) and plan.outcomes:
                    return plan.outcomes.pop(0)
            return E503 if self.down else None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        key = request.headers.get("Idempotency-Key", "")
        fault = self._fault_for(request.command, request.path)
        seen = Seen(request.command, request.path, key, body.decode(), fault.kind if fault else "pass")
        with self.lock:
            self.seen.append(seen)  # before any wait: the test may look while a slow answer is pending
        if fault is not None and fault.kind == "status":
            self._send(request, fault.status, json.dumps({"error": fault.error}).encode())
            return
        if fault is not None and fault.kind in ("drop", "timeout"):
            if fault.kind == "timeout":
                time.sleep(TIMEOUT + 1)
            return  # closed without an answer
        refusal = (fault.status, json.dumps({"error": fault.error}).encode()) if fault and fault.kind == "refused" \
            else None
        outcome, status, answer = self._answer(request, key, body, refusal)
        if outcome != "pass":
            seen.outcome = outcome
        if fault is not None and fault.kind in ("lost", "slow", "lost_then_down"):
            if fault.kind == "slow":
                time.sleep(TIMEOUT + 1)
            if fault.kind == "lost_then_down":
                self.down = True
            return
        self._send(request, status, answer, replayed=outcome == "replayed")

    def _answer(self, request: BaseHTTPRequestHandler, key: str, body: bytes,
                refusal: tuple[int, bytes] | None) -> tuple[str, int, bytes]:
        """Stripe's idempotency: the stored answer for a key seen before, a 409 while it is in flight,
        else forward to localstripe (or refuse) and store the answer under the key."""
        if key:
            with self.lock:
                if key in self.answers:
                    first_body, status, answer = self.answers[key]
                    if first_body != body:
                        return "conflict", 400, json.dumps({"error": {
                            "type": "idempotency_error", "message": "Keys for idempotent requests can only be "
                            "used with the same parameters they were first used with."}}).encode()
                    return "replayed", status, answer
                if key in self.in_flight:
                    return "in_flight", 409, json.dumps({"error": {
                        "type": "idempotency_error", "code": "idempotency_key_in_use",
                        "message": "There is currently another in-progress request using this key."}}).encode()
                self.in_flight.add(key)
        try:
            if refusal is not None:
                status, answer = refusal
            else:
                upstream = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port,
                                                      timeout=30)
                headers = {name: request.headers[name] for name in ("Authorization", "Content-Type",
                                                                    "Stripe-Version") if request.headers.get(name)}
                upstream.request(request.command, request.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                status, answer = response.status, response.read()
                upstream.close()
        finally:
            with self.lock:
                self.in_flight.discard(key)
        if key:
            with self.lock:
                self.answers[key] = (body, status, answer)
        return "pass", status, answer

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, answer: bytes, replayed: bool = False) -> None:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(answer)))
        if replayed:
            request.send_header("Idempotent-Replayed", "true")
        request.end_headers()
        request.wfile.write(answer)


@pytest.fixture(scope="module")
def proxy(localstripe_url: str) -> Iterator[FaultProxy]:
    server = FaultProxy(localstripe_url)
    yield server
    server.stop()


@pytest.fixture
def faulty(proxy: FaultProxy, stripe_enabled: dict[str, str]) -> Iterator[FaultProxy]:
    """fapai talks to Stripe through the proxy, with a short timeout and backoff."""
    proxy.reset()
    with override_settings(STRIPE_API_BASE=proxy.url, FAPAI_STRIPE_TIMEOUT_SECONDS=TIMEOUT,
                           FAPAI_STRIPE_RETRY_DELAY_SECONDS=0.05, FAPAI_STRIPE_NETWORK_RETRIES=2):
        yield proxy


@pytest.fixture
def stripe_truth(localstripe_url: str) -> stripe.StripeClient:
    """localstripe itself, past the proxy: what the card holder does and what Stripe really holds."""
    return stripe.StripeClient("sk_test_fapai", base_addresses={"api": localstripe_url})


# --- helpers ----------------------------------------------------------------------------------------------


def pay(truth: stripe.StripeClient, intent_id: str) -> None:
    """What Stripe.js does in the browser (localstripe takes the card by an update, then confirm)."""
    truth.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    truth.v1.payment_intents.confirm(intent_id)


def intents_for(truth: stripe.StripeClient, reference: str) -> list[Any]:
    found = truth.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return [pi for pi in found if (pi.to_dict().get("metadata") or {}).get("fapai_ref") == reference]


def refunds_of(truth: stripe.StripeClient, intent_id: str) -> list[tuple[int, str]]:
    listed = truth.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
    return [(r.amount, (r.to_dict().get("metadata") or {}).get("fapai_key", "")) for r in listed.data]


def open_card(rnd: AuctionRound, owner: User, name: str = "张三") -> Deposit:
    return services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=name, gateway="stripe", actor=owner)


def held_card(rnd: AuctionRound, owner: User, truth: stripe.StripeClient, name: str = "张三") -> Deposit:
    deposit = open_card(rnd, owner, name)
    start = services.deposit_payment_start(deposit=deposit, actor=owner, return_url="/")
    pay(truth, start.gateway_ref)
    deposit = services.deposit_refresh(deposit=deposit, actor=owner)
    assert deposit.status == D.HELD
    return deposit


def reload(deposit: Deposit) -> Deposit:
    return Deposit.objects.select_related("round__lot__case__court").get(pk=deposit.pk)


def deposit_state(deposit: Deposit) -> dict[str, Any]:
    """Everything a payment operation on this deposit may write: its row, its ledger transactions and
    entries, receipts, payouts and audit records (and the ledger's check)."""
    d = reload(deposit)
    payouts = Payout.objects.filter(deposit=d) | Payout.objects.filter(receipt__deposit=d)
    txns = LedgerTransaction.objects.filter(deposit=d) | LedgerTransaction.objects.filter(receipt__deposit=d) | \
        LedgerTransaction.objects.filter(payout__in=payouts)
    return {
        "deposit": (d.status, d.hold_mode, d.gateway_ref, d.gateway_attempt, d.settle_as),
        "ledger": sorted(txns.distinct().values_list("kind", "idempotency_key")),
        "entries": LedgerEntry.objects.filter(transaction__in=txns.distinct()).count(),
        "receipts": sorted(Receipt.objects.filter(deposit=d).values_list("external_ref", "status", "amount_fen")),
        "payouts": sorted(payouts.distinct().values_list("key", "status", "external_ref")),
        "audit": audit_of(d),
        "ledger_ok": check_ledger().ok,
    }


def audit_of(obj: Any) -> list[str]:
    return list(AuditRecord.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
                .order_by("position").values_list("action", flat=True))


def key_of(deposit: Deposit, operation: str) -> str:
    return f"fapai:deposit:{deposit.reference}:{operation}"


def fail_round(rnd: AuctionRound, frozen: clock.FrozenClock) -> AuctionRound:
    """Close the round without a bid (failed): the clock releases every held deposit."""
    return factories.close(rnd, frozen)


def funded_card(judge: User, owner: User, frozen: clock.FrozenClock, truth: stripe.StripeClient) -> Deposit:
    """A deposit charged at once (the round ends beyond the authorisation window), held; the round
    then opens, so that a failed close releases it by a refund."""
    rnd = factories.announced_round(judge, frozen)
    deposit = held_card(rnd, owner, truth)
    assert deposit.hold_mode == Deposit.HoldMode.FUNDS
    frozen.set(rnd.bidding_start)
    auction_services.round_open(rnd=rnd)
    return deposit


# --- 1. Stripe API errors and timeouts --------------------------------------------------------------------


TRANSIENT = [
    ("create", E500, 2), ("create", E503, 2), ("create", E429, 2), ("create", DROP, 2), ("create", SLOW, 1),
    ("capture", E503, 2), ("capture", LOST, 1),
    ("cancel", E429, 1), ("cancel", DROP, 1),
    ("refund", E500, 2), ("refund", SLOW, 1),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "fault", "times"), TRANSIENT,
                         ids=[f"{op}-{f.kind}{f.status or ''}" for op, f, _n in TRANSIENT])
def test_transient_errors_are_retried_with_the_same_key_and_take_effect_once(
        operation: str, fault: Fault, times: int, faulty: FaultProxy, stripe_truth: stripe.StripeClient,
        rnd: AuctionRound, judge: User, bidder: User, frozen: clock.FrozenClock) -> None:
    faults = [fault] * times
    if operation == "create":
        deposit = open_card(rnd, bidder)
        faulty.plan("POST", CREATE, *faults)
        start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
        path, key = CREATE, key_of(deposit, "create:1:manual")
    elif operation == "capture":
        deposit = held_card(rnd, bidder, stripe_truth)
        faulty.plan("POST", CAPTURE, *faults)
        factories.sell(rnd, deposit, frozen)
        path, key = CAPTURE, key_of(deposit, "capture")
    elif operation == "cancel":
        deposit = held_card(rnd, bidder, stripe_truth)
        faulty.plan("POST", CANCEL, *faults)
        fail_round(rnd, frozen)
        services.settle_due_rounds()
        path, key = CANCEL, key_of(deposit, "cancel")
    else:
        deposit = funded_card(judge, bidder, frozen, stripe_truth)
        faulty.plan("POST", REFUND, *faults)
        fail_round(deposit.round, frozen)
        services.settle_due_rounds()
        path, key = REFUND, key_of(deposit, f"refund:deposit:{deposit.pk}:release")

    calls = faulty.calls("POST", path)
    assert len(calls) == times + 1, calls  # the SDK retried each failure
    assert {c.key for c in calls} == {key}  # every retry of the one operation carries the same key ...
    assert len({c.body for c in calls}) == 1  # ... and the same parameters
    assert sum(c.outcome in WORK_DONE for c in calls) == 1  # Stripe did it once; a replay answered the rest
    assert calls[-1].outcome in ("pass", "replayed")

    state = deposit_state(deposit)
    pis = intents_for(stripe_truth, deposit.reference)
    assert len(pis) == 1  # one PaymentIntent at Stripe
    pi = pis[0]
    if operation == "create":
        assert start.gateway_ref == pi.id and state["deposit"] == (D.PENDING, "", pi.id, 1, "")
        assert state["audit"] == ["deposit.open", "deposit.payment_prepared"]
    elif operation == "capture":
        charge = pi.to_dict()["charges"]["data"][0]
        assert pi.status == "succeeded" and charge["captured"] and charge["amount"] == deposit.amount_fen
        assert state["deposit"][0] == D.APPLIED
        assert state["ledger"] == [("deposit_apply", f"deposit:{deposit.pk}:apply"),
                                   ("deposit_hold", f"deposit:{deposit.pk}:hold")]
        assert state["receipts"] == [(pi.id, "matched", deposit.amount_fen)]
        assert state["audit"].count("deposit.apply") == 1
    elif operation == "cancel":
        assert pi.status == "canceled" and state["deposit"][0] == D.RELEASED
        assert state["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold"),
                                   ("deposit_release", f"deposit:{deposit.pk}:release")]
        assert state["payouts"] == []  # an authorisation is cancelled, not refunded
    else:
        refund_key = f"deposit:{deposit.pk}:release"
        assert refunds_of(stripe_truth, pi.id) == [(deposit.amount_fen, refund_key)]  # one refund
        (payout,) = state["payouts"]
        assert payout[:2] == (refund_key, "paid") and payout[2].startswith("re_")
        assert [k for k, _key in state["ledger"]].count("payout") == 1
    assert state["ledger_ok"]


@pytest.mark.django_db
def test_each_operation_has_its_own_key_and_each_retry_reuses_it(
        faulty: FaultProxy, stripe_truth: stripe.StripeClient, rnd: AuctionRound, bidder: User, other_bidder: User,
        frozen: clock.FrozenClock) -> None:
    """Every mutating call fails once with a 503 and succeeds on the SDK's retry: per logical
    operation exactly two requests under one key, and four operations under four keys."""
    faulty.plan("POST", r"/v1/payment_intents(/[^/]+/(capture|cancel))?", *[E503, None] * 4)
    winner = held_card(rnd, bidder, stripe_truth)
    loser = held_card(rnd, other_bidder, stripe_truth, "李四")
    factories.sell(rnd, winner, frozen)  # captures the winner, cancels the loser
    by_key: dict[str, list[str]] = {}
    for call in faulty.calls("POST", r"/v1/payment_intents(/[^/]+/(capture|cancel))?"):
        by_key.setdefault(call.key, []).append(call.outcome)
    assert by_key == {key_of(winner, "create:1:manual"): ["status", "pass"],
                      key_of(loser, "create:1:manual"): ["status", "pass"],
                      key_of(winner, "capture"): ["status", "pass"],
                      key_of(loser, "cancel"): ["status", "pass"]}
    assert (reload(winner).status, reload(loser).status) == (D.APPLIED, D.RELEASED)
    assert check_ledger().ok


OUTAGE = ["create", "capture", "cancel", "refund"]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", OUTAGE)
def test_an_outage_after_stripe_did_the_work_ends_with_one_effect(
        operation: str, faulty: FaultProxy, stripe_truth: stripe.StripeClient, rnd: AuctionRound, judge: User,
        bidder: User, frozen: clock.FrozenClock) -> None:
    """Stripe does the work but the answer is lost, and every retry fails: the operation fails with a
    clear error and writes nothing; the re-run (the bidder again, the clock's next tick) finds
    Stripe's first result under the same key, or reads the state first, and takes effect once."""
    if operation == "create":
        deposit = open_card(rnd, bidder)
        before = deposit_state(deposit)
        faulty.plan("POST", CREATE, LOST_THEN_DOWN)
        with translation.override("zh-hans"), pytest.raises(RuleViolation) as exc:
            services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
        assert exc.value.rule_code == "gateway_unreachable"
        assert exc.value.text == "无法连接银行卡支付机构：多次尝试均无应答，未作任何变更，请稍后再试"
        assert deposit_state(deposit) == before
        faulty.down = False
        start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")  # the bidder again
        path = CREATE
    else:
        if operation == "refund":
            deposit = funded_card(judge, bidder, frozen, stripe_truth)
        else:
            deposit = held_card(rnd, bidder, stripe_truth)
        path = {"capture": CAPTURE, "cancel": CANCEL, "refund": REFUND}[operation]
        faulty.plan("POST", path, LOST_THEN_DOWN)
        if operation == "capture":
            factories.sell(rnd, deposit, frozen)  # bidding's closing job: the capture fails, will retry
        else:
            fail_round(deposit.round, frozen)
            assert services.settle_due_rounds() == 0  # the clock: the release fails (and its own retry)
        failed = deposit_state(deposit)
        assert failed["deposit"][0] == D.HELD  # nothing half-written: still held, marked for settlement
        assert failed["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold")]
        assert failed["payouts"] == []
        assert failed["audit"][-1] == "deposit.settle"
        faulty.down = False
        assert services.settle_due_rounds() == 1  # the clock's next tick

    calls = faulty.calls("POST", path)
    assert calls[0].outcome == "lost_then_down" and {c.outcome for c in calls[1:3]} == {"status"}
    assert sum(c.outcome in WORK_DONE for c in calls) == 1  # Stripe did it once
    assert len({c.key for c in calls}) == 1
    state = deposit_state(deposit)
    (pi,) = intents_for(stripe_truth, deposit.reference)
    if operation == "create":
        assert [c.outcome for c in calls] == ["lost_then_down", "status", "status", "replayed"]
        assert start.gateway_ref == pi.id and state["deposit"][2:4] == (pi.id, 1)
        assert state["audit"] == ["deposit.open", "deposit.payment_prepared"]
    else:
        assert calls[-1].outcome == "status"  # the re-run read the state first and made no second call
        expected = {"capture": D.APPLIED, "cancel": D.RELEASED, "refund": D.RELEASED}[operation]
        assert state["deposit"][0] == expected
        kinds = [kind for kind, _key in state["ledger"]]
        assert kinds.count("deposit_apply" if operation == "capture" else "deposit_release") == 1
        assert state["audit"].count("deposit.apply" if operation == "capture" else "deposit.release") == 1
        if operation == "capture":
            assert pi.status == "succeeded" and state["receipts"] == [(pi.id, "matched", deposit.amount_fen)]
        elif operation == "cancel":
            assert pi.status == "canceled"
        else:
            assert refunds_of(stripe_truth, pi.id) == [(deposit.amount_fen, f"deposit:{deposit.pk}:release")]
            assert kinds.count("payout") == 1 and state["payouts"][0][1] == "paid"
    assert state["ledger_ok"]


REFUSALS = [("create", TOO_SMALL, "amount_too_small", "The card processor refused the payment: the amount is too "
             "small for a card payment", "银行卡支付机构拒绝付款：金额低于银行卡支付下限"),
            ("capture", DECLINED, "card_declined", "The card processor refused the capture: the card was declined",
             "银行卡支付机构拒绝扣款：银行卡被拒绝"),
            ("refund", REFUNDED, "charge_already_refunded", "The card processor refused the refund: the payment "
             "was already refunded", "银行卡支付机构拒绝退款：该笔付款已退款")]


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "fault", "code", "en", "zh"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refusal_is_not_retried_and_changes_nothing(
        operation: str, fault: Fault, code: str, en: str, zh: str, faulty: FaultProxy,
        stripe_truth: stripe.StripeClient, rnd: AuctionRound, judge: User, bidder: User, finance: User,
        frozen: clock.FrozenClock) -> None:
    """Stripe's refusal is stored under the key like any answer of Stripe's: the SDK does not retry
    it, and each later call under that key (the clock's retry, finance staff's button) gets the same
    refusal in one request."""
    path = {"create": CREATE, "capture": CAPTURE, "refund": REFUND}[operation]
    faulty.plan("POST", path, fault)
    if operation == "create":
        deposit = open_card(rnd, bidder)
    elif operation == "capture":
        deposit = held_card(rnd, bidder, stripe_truth)
        factories.sell(rnd, deposit, frozen)  # the closing job's capture is refused: held, to retry
    else:
        deposit = funded_card(judge, bidder, frozen, stripe_truth)
        fail_round(deposit.round, frozen)
        assert services.settle_due_rounds() == 0  # refused, and refused again by the job's own retry
    before = deposit_state(deposit)
    assert before["deposit"][0] == (D.PENDING if operation == "create" else D.HELD)
    for language, text in (("en", en), ("zh-hans", zh)):
        made = len(faulty.calls("POST", path))
        with translation.override(language), pytest.raises(RuleViolation) as exc:
            if operation == "create":
                services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
            elif operation == "capture":
                services.deposit_apply(deposit=reload(deposit), actor=finance)
            else:
                services.deposit_release(deposit=reload(deposit), actor=finance)
        assert (exc.value.rule_code, exc.value.text) == (code, text)
        assert len(faulty.calls("POST", path)) == made + 1  # one request: a refusal is not retried
        assert deposit_state(deposit) == before  # nothing half-written
    calls = faulty.calls("POST", path)
    assert calls[0].outcome == "refused" and {c.outcome for c in calls[1:]} == {"replayed"}
    assert len({c.key for c in calls}) == 1
    if operation == "create":
        assert intents_for(stripe_truth, deposit.reference) == []
        assert before["audit"] == ["deposit.open"]
    else:
        assert before["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold")] and before["payouts"] == []
        assert "deposit.apply" not in before["audit"] and "deposit.release" not in before["audit"]


@pytest.mark.django_db
def test_cancelling_a_deposit_during_an_outage_is_a_clear_error_not_a_crash(
        faulty: FaultProxy, stripe_truth: stripe.StripeClient, rnd: AuctionRound, bidder: User) -> None:
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    before = deposit_state(deposit)
    faulty.plan("POST", CANCEL, E503, E503, E503)
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(bidder)
    page = web.post(f"/finance/pay/deposit/{deposit.pk}/cancel/", follow=True)
    assert page.status_code == 200 and "The card processor could not be reached" in page.content.decode()
    assert deposit_state(deposit) == before
    assert stripe_truth.v1.payment_intents.retrieve(start.gateway_ref).status == "requires_payment_method"
    services.deposit_cancel(deposit=deposit, actor=bidder)  # Stripe is back
    assert reload(deposit).status == D.CANCELLED
    assert stripe_truth.v1.payment_intents.retrieve(start.gateway_ref).status == "canceled"
    assert len({c.key for c in faulty.calls("POST", CANCEL)}) == 1


@pytest.mark.django_db
def test_a_replaced_balance_payment_intent_gets_a_new_key(
        faulty: FaultProxy, stripe_truth: stripe.StripeClient, rnd: AuctionRound, bidder: User, finance: User,
        frozen: clock.FrozenClock) -> None:
    """A balance payment keeps no attempt counter: when its PaymentIntent was cancelled at Stripe
    before fapai heard of it, the replacement must not reuse the first key (Stripe, honouring the
    key, would hand back the cancelled PaymentIntent's answer)."""
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen, price_fen=85_000_000)
    balance = services.balance_open(rnd=rnd, deposit=reload(winner), price_fen=85_000_000, actor="system:clock")
    first = services.balance_payment_start(balance=balance, gateway="stripe", amount_fen=1_000_000, actor=bidder,
                                           return_url="/")
    stripe_truth.v1.payment_intents.cancel(first.gateway_ref)
    second = services.balance_payment_start(balance=balance, gateway="stripe", amount_fen=1_000_000, actor=bidder,
                                            return_url="/")
    assert second.gateway_ref != first.gateway_ref
    assert stripe_truth.v1.payment_intents.retrieve(second.gateway_ref).status == "requires_payment_method"
    reference = BalancePayment.objects.get().reference
    keys = [c.key for c in faulty.calls("POST", CREATE)]
    assert keys == [f"fapai:balance:{reference}:create:1:automatic", f"fapai:balance:{reference}:create:2:automatic"]
    pay(stripe_truth, second.gateway_ref)
    payment = services.balance_payment_refresh(payment=BalancePayment.objects.get(), actor=bidder)
    assert payment.status == "received" and BalanceDue.objects.get().paid_fen == 1_000_000


# --- 2. webhooks ---------------------------------------------------------------------------------------------


def stripe_state(deposit: Deposit) -> dict[str, Any]:
    return {**deposit_state(deposit), "events": sorted(StripeEvent.objects.values_list("event_id", "status",
                                                                                         "attempts"))}


def intent_dict(truth: stripe.StripeClient, intent_id: str) -> dict[str, Any]:
    return truth.v1.payment_intents.retrieve(intent_id).to_dict()


def charge_of(payload: dict[str, Any]) -> dict[str, Any]:
    return dict(payload["charges"]["data"][0])


@pytest.mark.django_db
def test_duplicate_and_late_deliveries_change_nothing_twice(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User) -> None:
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    capturable = event("evt_cap", "payment_intent.amount_capturable_updated",
                       intent_dict(stripe_truth, start.gateway_ref))
    first = deliver(client, capturable)
    assert (first.status_code, first.json()) == (200, {"status": "processed"})
    held = stripe_state(deposit)
    assert held["deposit"][:2] == (D.HELD, Deposit.HoldMode.CARD_HOLD)
    assert held["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold")] and held["entries"] == 2
    assert held["audit"] == ["deposit.open", "deposit.payment_prepared", "deposit.hold"]
    assert held["events"] == [("evt_cap", "processed", 1)]
    for _ in range(2):  # Stripe delivers again (our 200 was lost)
        again = deliver(client, capturable)
        assert (again.status_code, again.json()) == (200, {"status": "processed"})
    assert stripe_state(deposit) == held
    # Another event about the same payment, then the bidder's page polls: nothing new.
    charge = event("evt_ch", "charge.succeeded", charge_of(intent_dict(stripe_truth, start.gateway_ref)))
    assert deliver(client, charge).status_code == 200
    services.deposit_refresh(deposit=deposit, actor=bidder)
    assert stripe_state(deposit) == {**held, "events": [("evt_cap", "processed", 1), ("evt_ch", "processed", 1)]}


@pytest.mark.django_db
def test_an_event_after_polling_confirmed_the_deposit_changes_nothing(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User) -> None:
    deposit = held_card(rnd, bidder, stripe_truth)  # the bidder's page confirmed it by polling
    before = deposit_state(deposit)
    late = event("evt_late", "payment_intent.amount_capturable_updated", intent_dict(stripe_truth, deposit.gateway_ref))
    assert deliver(client, late).json() == {"status": "processed"}
    assert deposit_state(deposit) == before
    assert before["audit"] == ["deposit.open", "deposit.payment_prepared", "deposit.hold"]


@pytest.mark.django_db
def test_events_delivered_after_the_release_and_the_capture_change_nothing(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User, other_bidder: User, frozen: clock.FrozenClock) -> None:
    winner = held_card(rnd, bidder, stripe_truth)
    loser = held_card(rnd, other_bidder, stripe_truth, "李四")
    stale = {d.pk: intent_dict(stripe_truth, d.gateway_ref) for d in (winner, loser)}  # requires_capture
    factories.sell(rnd, winner, frozen)
    before = (deposit_state(winner), deposit_state(loser))
    assert (before[0]["deposit"][0], before[1]["deposit"][0]) == (D.APPLIED, D.RELEASED)
    for n, d in enumerate((winner, loser)):
        for kind in ("payment_intent.amount_capturable_updated", "payment_intent.succeeded",
                     "payment_intent.canceled"):
            assert deliver(client, event(f"evt_{n}_{kind}", kind, stale[d.pk])).status_code == 200
    assert (deposit_state(winner), deposit_state(loser)) == before
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert stripe_truth.v1.payment_intents.retrieve(loser.gateway_ref).status == "canceled"


@pytest.mark.django_db
def test_canceled_before_amount_capturable_updated_changes_nothing(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User, frozen: clock.FrozenClock) -> None:
    """The card was authorised after fapai stopped listening (the round had closed): the clock
    cancels the deposit and its authorisation; then Stripe delivers `canceled` first and the old
    `amount_capturable_updated` last."""
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    capturable = intent_dict(stripe_truth, start.gateway_ref)
    fail_round(rnd, frozen)
    services.settle_due_rounds()
    cancelled = deposit_state(deposit)
    assert cancelled["deposit"][0] == D.CANCELLED and cancelled["ledger"] == []
    assert cancelled["audit"] == ["deposit.open", "deposit.payment_prepared", "deposit.cancel"]
    for event_id, kind, payload in (
            ("evt_c", "payment_intent.canceled", intent_dict(stripe_truth, start.gateway_ref)),
            ("evt_a", "payment_intent.amount_capturable_updated", capturable)):
        assert deliver(client, event(event_id, kind, payload)).json() == {"status": "processed"}
        assert deposit_state(deposit) == cancelled
    assert stripe_truth.v1.payment_intents.retrieve(start.gateway_ref).status == "canceled"
    assert refunds_of(stripe_truth, start.gateway_ref) == []


@pytest.mark.django_db
def test_charge_refunded_before_payment_intent_succeeded_changes_nothing(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, judge: User,
        bidder: User, frozen: clock.FrozenClock) -> None:
    """Charged at once after the round closed: the clock gives the payment back; `charge.refunded`
    arrives, then the old `payment_intent.succeeded`."""
    rnd = factories.announced_round(judge, frozen)
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    frozen.set(rnd.bidding_start)
    auction_services.round_open(rnd=rnd)
    pay(stripe_truth, start.gateway_ref)
    succeeded = intent_dict(stripe_truth, start.gateway_ref)
    fail_round(rnd, frozen)
    services.settle_due_rounds()
    returned = deposit_state(deposit)
    assert returned["deposit"][0] == D.CANCELLED
    assert returned["receipts"] == [(start.gateway_ref, "returned", deposit.amount_fen)]
    assert [kind for kind, _key in returned["ledger"]] == ["payout", "receipt_returned"]
    refunded = charge_of(intent_dict(stripe_truth, start.gateway_ref))
    assert refunded["amount_refunded"] == deposit.amount_fen
    for event_id, kind, payload in (("evt_r", "charge.refunded", refunded),
                                    ("evt_s", "payment_intent.succeeded", succeeded)):
        assert deliver(client, event(event_id, kind, payload)).json() == {"status": "processed"}
        assert deposit_state(deposit) == returned
    assert refunds_of(stripe_truth, start.gateway_ref) == [(deposit.amount_fen, returned["payouts"][0][0])]


@pytest.mark.django_db
def test_a_payment_refunded_at_stripe_before_fapai_heard_of_it_is_not_held(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, judge: User,
        bidder: User, frozen: clock.FrozenClock) -> None:
    """Refunded at Stripe's dashboard before any event reached fapai: `charge.refunded` then
    `payment_intent.succeeded` hold nothing and post nothing (the money is back with the payer); the
    bidder pays again on a new PaymentIntent."""
    rnd = factories.announced_round(judge, frozen)  # charged at once
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    succeeded = intent_dict(stripe_truth, start.gateway_ref)
    stripe_truth.v1.refunds.create(params={"payment_intent": start.gateway_ref})
    before = deposit_state(deposit)
    for event_id, kind, payload in (("evt_r", "charge.refunded", charge_of(intent_dict(stripe_truth,
                                                                                       start.gateway_ref))),
                                    ("evt_s", "payment_intent.succeeded", succeeded)):
        assert deliver(client, event(event_id, kind, payload)).json() == {"status": "processed"}
        assert deposit_state(deposit) == before
    assert before["deposit"][0] == D.PENDING and before["ledger"] == [] and before["receipts"] == []
    again = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    assert again.gateway_ref != start.gateway_ref and again.attempt == 2


@pytest.mark.django_db
def test_unknown_objects_and_event_types_are_recorded_and_acknowledged(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User) -> None:
    """2xx, so that Stripe stops retrying what fapai can never act on; each stays in the inbox."""
    deposit = held_card(rnd, bidder, stripe_truth)
    before = deposit_state(deposit)
    stranger = stripe_truth.v1.payment_intents.create(params={"amount": 100, "currency": "cny"})
    ghost = {**stranger.to_dict(), "id": "pi_NotAtThisAccount"}  # Stripe answers 404 for it
    sent = [("evt_ghost", "payment_intent.succeeded", ghost, "unknown"),
            ("evt_stranger", "payment_intent.created", stranger.to_dict(), "unknown"),
            ("evt_customer", "customer.created", {"object": "customer", "id": "cus_1"}, "ignored"),
            ("evt_new_type", "payment_intent.partially_funded", intent_dict(stripe_truth, deposit.gateway_ref),
             "processed")]
    for event_id, kind, obj, status in sent:
        response = deliver(client, event(event_id, kind, obj))
        assert (response.status_code, response.json()) == (200, {"status": status}), event_id
    rows = {e.event_id: (e.type, e.object_id, e.status, e.attempts) for e in StripeEvent.objects.all()}
    assert rows == {"evt_ghost": ("payment_intent.succeeded", "pi_NotAtThisAccount", "unknown", 1),
                    "evt_stranger": ("payment_intent.created", stranger.id, "unknown", 1),
                    "evt_customer": ("customer.created", "", "ignored", 1),
                    "evt_new_type": ("payment_intent.partially_funded", deposit.gateway_ref, "processed", 1)}
    assert StripeEvent.objects.get(event_id="evt_ghost").payload["data"]["object"]["id"] == "pi_NotAtThisAccount"
    assert deposit_state(deposit) == before


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User) -> None:
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    payload = event("evt_sig", "payment_intent.amount_capturable_updated", intent_dict(stripe_truth, start.gateway_ref))
    before = stripe_state(deposit)
    body, good = signed(payload)
    t = good.split(",")[0]
    bad = [deliver(client, payload, secret="whsec_someone_else"),  # another secret
           deliver(client, payload, timestamp=int(time.time()) - 3600),  # replayed an hour later
           client.post("/webhooks/stripe/", data=body + b" ", content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=good),  # the body changed after signing
           client.post("/webhooks/stripe/", data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=f"{t},v1={'0' * 64}"),  # a forged MAC
           client.post("/webhooks/stripe/", data=body, content_type="application/json")]  # none at all
    assert [r.status_code for r in bad] == [400] * 5
    assert stripe_state(deposit) == before and before["events"] == []
    # Stripe signs with every active secret during a rotation: one valid v1 among others is accepted.
    rotated = client.post("/webhooks/stripe/", data=body, content_type="application/json",
                          HTTP_STRIPE_SIGNATURE=f"{good},v1={'0' * 64}")
    assert rotated.status_code == 200 and reload(deposit).status == D.HELD


@pytest.mark.django_db
def test_a_webhook_while_the_api_is_down_asks_stripe_to_retry(
        client: Client, faulty: FaultProxy, stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User) -> None:
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    payload = event("evt_down", "payment_intent.amount_capturable_updated",
                    intent_dict(stripe_truth, start.gateway_ref))
    before = deposit_state(deposit)
    faulty.plan("GET", r"/v1/payment_intents/[^/]+", E503, E503, E503)
    assert deliver(client, payload).status_code == 503
    assert deposit_state(deposit) == before
    assert list(StripeEvent.objects.values_list("status", "attempts")) == [("received", 0)]
    retried = deliver(client, payload)  # Stripe's retry, the API is back
    assert (retried.status_code, retried.json()) == (200, {"status": "processed"})
    assert deposit_state(deposit)["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold")]
    assert list(StripeEvent.objects.values_list("status", "attempts")) == [("processed", 1)]


@pytest.mark.django_db
def test_balance_payment_events_twice_and_polling_credit_once(
        client: Client, stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, rnd: AuctionRound,
        bidder: User, finance: User, frozen: clock.FrozenClock) -> None:
    winner = factories.held_offline(rnd, bidder, finance)
    rnd = factories.sell(rnd, winner, frozen, price_fen=85_000_000)
    balance = services.balance_open(rnd=rnd, deposit=reload(winner), price_fen=85_000_000, actor="system:clock")
    start = services.balance_payment_start(balance=balance, gateway="stripe", amount_fen=3_000_000, actor=bidder,
                                           return_url="/")
    pay(stripe_truth, start.gateway_ref)
    succeeded = event("evt_bal", "payment_intent.succeeded", intent_dict(stripe_truth, start.gateway_ref))
    for _ in range(2):
        assert deliver(client, succeeded).json() == {"status": "processed"}
    payment = services.balance_payment_refresh(payment=BalancePayment.objects.get(), actor=bidder)
    assert deliver(client, event("evt_ch", "charge.succeeded",
                                 charge_of(intent_dict(stripe_truth, start.gateway_ref)))).status_code == 200
    balance.refresh_from_db()
    assert (balance.paid_fen, payment.status) == (3_000_000, "received")
    assert list(LedgerTransaction.objects.filter(balance_payment=payment).values_list("kind", flat=True)) == [
        "balance_payment"]
    assert audit_of(balance) == ["balance.open", "balance.payment"]
    assert Receipt.objects.filter(external_ref=start.gateway_ref).count() == 1 and check_ledger().ok


# --- concurrency against PostgreSQL ---------------------------------------------------------------------------


def run_together(*jobs: Any) -> list[Any]:
    """Run the callables in threads released at the same moment; each thread closes its connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = jobs[index]()
        except Exception as exc:  # reported to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_holds_once(
        stripe_enabled: dict[str, str], stripe_truth: stripe.StripeClient, judge: User, bidder: User,
        frozen: clock.FrozenClock) -> None:
    rnd = factories.bidding_round(judge, frozen)
    deposit = open_card(rnd, bidder)
    start = services.deposit_payment_start(deposit=deposit, actor=bidder, return_url="/")
    pay(stripe_truth, start.gateway_ref)
    payload = event("evt_twice", "payment_intent.amount_capturable_updated",
                    intent_dict(stripe_truth, start.gateway_ref))
    other = event("evt_other", "charge.succeeded", charge_of(intent_dict(stripe_truth, start.gateway_ref)))

    def post(body: dict[str, Any]) -> Any:
        return lambda: deliver(Client(), body)

    results = run_together(post(payload), post(payload), post(other),
                           lambda: services.deposit_refresh(deposit=deposit, actor=bidder))
    responses = results[:3]
    assert not [r for r in results if isinstance(r, Exception)], results
    for body, response in zip((payload, payload, other), responses, strict=True):
        if response.status_code == 503:  # a row stayed locked past the lock timeout: Stripe retries
            response = deliver(Client(), body)
        assert response.status_code == 200
    state = stripe_state(deposit)
    assert state["deposit"][0] == D.HELD
    assert state["ledger"] == [("deposit_hold", f"deposit:{deposit.pk}:hold")] and state["entries"] == 2
    assert state["audit"] == ["deposit.open", "deposit.payment_prepared", "deposit.hold"]
    assert state["events"] == [("evt_other", "processed", 1), ("evt_twice", "processed", 1)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_statement_at_once_record_it_once(
        bank_enabled: None, judge: User, bidder: User, other_bidder: User, frozen: clock.FrozenClock) -> None:
    """Two finance staff upload the same file at the same moment, and a third an overlapping one:
    nobody gets an error, every line is recorded and matched once."""
    from tests.settlement.test_bank import csv_file, line

    rnd = factories.bidding_round(judge, frozen)
    court = rnd.lot.case.court
    staff = [builders.staff_user(f"finance{i}", court, roles=["finance"]) for i in range(3)]
    deposits = [services.deposit_open(rnd=rnd, amount_fen=rnd.deposit_fen, payer_name=name,
                                      gateway="bank_transfer", actor=owner)
                for owner, name in ((bidder, "张三"), (other_bidder, "李四"))]
    lines = [line("L1", "80000.00", "张三", deposits[0].reference),
             line("L2", "80000.00", "李四", deposits[1].reference),
             line("L3", "12.00", "某人", "无附言"), line("L4", "-5.00", "银行", "手续费")]
    content = csv_file(*lines)
    overlapping = csv_file(*lines[1:], line("L5", "7.00", "某人", "无附言"))

    def upload(actor: User, data: bytes, name: str) -> Any:
        return lambda: services.statement_import(court=court, filename=name, content=data, actor=actor).pk

    results = run_together(upload(staff[0], content, "a.csv"), upload(staff[1], content, "a (1).csv"),
                           upload(staff[2], overlapping, "b.csv"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == results[1] and BankStatement.objects.count() == 2
    receipts = Receipt.objects.filter(gateway="bank_transfer")
    assert sorted(r.external_ref.rsplit(":", 1)[-1] for r in receipts) == ["L1", "L2", "L3", "L5"]
    assert sorted(Deposit.objects.values_list("status", flat=True)) == [D.HELD, D.HELD]
    assert LedgerTransaction.objects.filter(kind="deposit_hold").count() == 2
    assert LedgerTransaction.objects.filter(kind="receipt_queued").count() == 2  # L3 and L5
    assert GatewayRecord.objects.count() == 5
    assert AuditRecord.objects.filter(action="statement.import").count() == 2
    assert check_ledger().ok
