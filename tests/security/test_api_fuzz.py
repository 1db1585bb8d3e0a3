"""Schemathesis against the project's own OpenAPI schema (drf-spectacular, /api/schema/): every
operation with generated data, valid and invalid, as an anonymous visitor, a registered bidder and a
court staff member, against the security world (tests/security/world.py: a court with rounds in
several states, registered bidders who have bid), with the path id drawn from real rows of the right
table about half the time.

Checked for every answer: no 5xx; status code, content type and body as the schema documents them;
data that breaks the schema is refused with a 4xx; and a refused (4xx) request changed nothing (the
audit log and the rows a request could touch, before and after). At the end the audit chain verifies.

Bounded and reproducible (docs/security-fuzz.md): a few examples per operation (FAPAI_FUZZ_EXAMPLES for
the caller's own operations, FAPAI_FUZZ_PROBE for the others), derandomized; `--hypothesis-seed=<n>`
(or FAPAI_FUZZ_SEED) explores, and replays, other cases."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, Phase
from hypothesis import core as hypothesis_core
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from auction.models import Court
from core import audit, clock
from tests import builders
from tests.conftest import T0
from tests.security.world import BANK, World, build

pytestmark = pytest.mark.django_db
log = logging.getLogger("fapai.fuzz")

PROBE = int(os.environ.get("FAPAI_FUZZ_PROBE", "1"))
# Derandomized (the same cases on every run) unless a seed is given: FAPAI_FUZZ_SEED or --hypothesis-seed.
SEED: Any = (int(os.environ["FAPAI_FUZZ_SEED"]) if os.environ.get("FAPAI_FUZZ_SEED")
                    else hypothesis_core.global_force_seed)
EXAMPLES = int(os.environ.get("FAPAI_FUZZ_EXAMPLES", "6"))
# JSON scalars DRF converts on purpose: a number into a CharField (as its text), a digit string or an
# integral float into an IntegerField, "true"/1 into a BooleanField. Money is the exception
# (auction.serializers.FenField refuses floats and decimal points), so a fen field never gets here.
COERCIONS = {("string", "integer"), ("string", "number"), ("integer", "string"), ("integer", "number"),
             ("number", "string"), ("number", "integer"), ("boolean", "string"), ("boolean", "integer")}


def is_coercion(mutation: Any) -> bool:
    return (mutation.operator == OperatorKind.CHANGE_TYPE and tuple(mutation.keywords) == ("type",)
            and (mutation.original_value, mutation.new_value) in COERCIONS)


def negative_data_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' negative_data_rejection, except for a case whose only breaks are DRF's coercions."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        mutations = getattr(getattr(case.meta.phase, "data", None), "mutations", None) if case.meta else None
        if mutations and all(is_coercion(m) for m in mutations):
            return None
        raise


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_refused]
# Rows a request could create or change: with the audit log they must not move on a 4xx answer.
WATCHED = ("core.AuditRecord", "auction.AuctionRound", "auction.Lot", "auction.Case", "auction.Party",
           "bidding.Bid", "bidding.Registration", "bidding.BarredPerson", "settlement.Deposit", "settlement.Payout",
           "settlement.CasePayout", "valuation.Valuation")
# The table behind the path id, by the URL segment before "{id}".
ID_TABLES = {
    "rounds": "auction.AuctionRound", "lots": "auction.Lot", "cases": "auction.Case",
    "priority-holders": "auction.PriorityHolder", "registrations": "bidding.Registration",
    "barred": "bidding.BarredPerson", "reviews": "bidding.Review", "balances": "settlement.BalanceDue",
    "case-payouts": "settlement.CasePayout", "deposits": "settlement.Deposit",
    "objections": "settlement.PlanObjection", "payout-delays": "settlement.PayoutDelay", "payouts": "settlement.Payout",
    "plan-lines": "settlement.DistributionLine",
    "plans": "settlement.DistributionPlan", "receipts": "settlement.Receipt", "statements": "settlement.BankStatement",
    "exceptions": "settlement.ReconciliationException", "lotteries": "valuation.AppraisalSelection",
    "valuations": "valuation.Valuation",
}


class InProcessApp:
    """Django's WSGI handler inside the test's transaction (the world is never committed): each
    request runs in a savepoint, rolled back after a 5xx so that the next request starts clean; the
    exception behind a 5xx is kept for the report."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()
        self.last_exception = ""

    def keep_exception(self, sender: Any, **kwargs: Any) -> None:
        self.last_exception = traceback.format_exc()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.last_exception = ""
        status: list[str] = []

        def keep_status(code: str, headers: list[Any], exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, headers, exc_info)

        with transaction.atomic():
            result = self.handler(environ, keep_status)
            body = b"".join(result)
            result.close()
            if status and status[0].startswith("5"):
                transaction.set_rollback(True)
        return [body]


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The security world (tests/security/world.py), once for this module, in a transaction rolled
    back at its end; the clock stays frozen one hour into the live round."""
    with clock.frozen(T0) as frozen, django_db_blocker.unblock(), override_settings(**BANK), transaction.atomic():
        yield build(frozen)
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def app() -> Iterator[InProcessApp]:
    # As Django's test client does around each request: closing "old" connections at the start and end
    # of a request would end the transaction the world lives in.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    wsgi = InProcessApp()
    got_request_exception.connect(wsgi.keep_exception)
    try:
        yield wsgi
    finally:
        got_request_exception.disconnect(wsgi.keep_exception)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Api:
    operations: list[Any]
    strategies: dict[str, Any]  # operation label → its case strategy (valid and invalid data)


@pytest.fixture(scope="module")
def api(app: InProcessApp, world: World, django_db_blocker: Any) -> Api:
    with django_db_blocker.unblock():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, config=SchemathesisConfig())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an operation schemathesis cannot read: {result}"
        operations.append(result.ok())
    strategies = {}
    for op in operations:
        modes = [op.as_strategy(GenerationMode.POSITIVE)]
        if any(p.location != "header" and p.name != "sessionid" for p in op.iter_parameters()) or len(op.body):
            modes.append(op.as_strategy(GenerationMode.NEGATIVE))  # nothing to break without an input
        strategies[op.label] = st.one_of(*modes)
    return Api(operations, strategies)


def state_query() -> str:
    """One statement counting every watched table (a request is fuzzed between two of them)."""
    tables = [apps.get_model(label)._meta.db_table for label in WATCHED]
    # Table names from the models, not from input.
    return "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)  # noqa: S608


def state(sql: str) -> tuple[int, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(row)


def id_pool(path: str) -> list[int]:
    head = path.split("{id}")[0].rstrip("/").rsplit("/", 1)[-1]
    label = ID_TABLES.get(head)
    assert label is not None, f"add the table behind {path} to ID_TABLES"
    return list(apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True))


def staff_token(world: World) -> str:
    """A member of the world's court with every court role: staff, valuation and finance operations
    all get past their permission checks, so their validation is what the fuzz reaches."""
    court = Court.objects.get(pk=world.ids["court"])
    user = builders.staff_user("fuzz_staff", court, roles=["court_staff", "panel", "finance"])
    return Token.objects.create(user=user).key


@dataclass
class Caller:
    who: str
    headers: dict[str, str]
    own: Callable[[Any], bool]  # the operations this caller may use (fuzzed deeper)


def fuzz_operation(op: Any, strategy: Any, app: InProcessApp, caller: Caller, sql: str) -> tuple[int, list[str]]:
    """Examples of one operation: (requests sent, the first failure if any)."""
    pool = id_pool(op.path) if "{id}" in op.path else []
    ids = st.one_of(st.none(), st.sampled_from(pool)) if pool else st.none()
    mine = caller.own(op)
    found: list[str] = []
    sent = 0

    def run(case: Any, real_id: int | None) -> None:
        nonlocal sent
        if found:
            return
        generated = (case.path_parameters or {}).get("id")
        if real_id is not None and type(generated) is int:  # a broken (negative-mode) id stays broken
            case.path_parameters["id"] = real_id
        if mine:  # the caller's own credentials only (a generated bad token would be refused first)
            (case.headers or {}).pop("Authorization", None)
            (case.cookies or {}).pop("sessionid", None)
        before = state(sql)
        response = case.call(headers=caller.headers)
        sent += 1
        problems = []
        try:
            case.validate_response(response, checks=CHECKS, headers=caller.headers)
        except FailureGroup as exc:
            problems.append(str(exc))
        if 400 <= response.status_code < 500 and (after := state(sql)) != before:
            problems.append(f"answered {response.status_code} but changed rows {WATCHED}: {before} → {after}")
        if problems:
            found.append(f"{caller.who} {op.label}: {response.status_code} {response.text[:300]}\n"
                         + "\n".join(problems) + (f"\n{app.last_exception}" if app.last_exception else ""))

    given = hypothesis.given(case=strategy, real_id=ids)(run)
    test = hypothesis.settings(max_examples=EXAMPLES if mine else PROBE, deadline=None, derandomize=SEED is None,
                               database=None, suppress_health_check=list(HealthCheck),
                               phases=[Phase.explicit, Phase.generate])(given)
    (test if SEED is None else hypothesis.seed(SEED)(test))()
    return sent, found


def fuzz(api: Api, app: InProcessApp, caller: Caller) -> None:
    """The caller's own operations get EXAMPLES examples each, the others PROBE (they must be refused
    cleanly, whatever the generated token or session cookie says). One failure per operation is reported."""
    sql = state_query()
    failures: list[str] = []
    requests, started = 0, time.monotonic()
    for op in api.operations:
        sent, found = fuzz_operation(op, api.strategies[op.label], app, caller, sql)
        requests += sent
        failures += found
    log.info("fuzz %s: %d operations, %d requests, %.1f s", caller.who, len(api.operations), requests,
             time.monotonic() - started)
    seed = f"seed {SEED}" if SEED is not None else "derandomized"
    assert not failures, f"{len(failures)} operations failed ({seed}, {EXAMPLES} examples):\n\n" + "\n\n".join(failures)
    assert audit.verify().ok


SIGNUP = "POST /api/bidding/signup/"


def test_fuzz_anonymous(api: Api, app: InProcessApp) -> None:
    fuzz(api, app, Caller("anonymous", {"Accept-Language": "en"},
                          lambda op: op.tags == ["public"] or op.label == SIGNUP))


def test_fuzz_bidder(api: Api, app: InProcessApp, world: World) -> None:
    bidder = world.user("bidder")
    assert bidder is not None
    token = Token.objects.create(user=bidder).key
    fuzz(api, app, Caller("bidder", {"Accept-Language": "en", "Authorization": f"Token {token}"},
                          lambda op: op.tags in (["public"], ["bidder"]) and op.label != SIGNUP))


def test_fuzz_staff(api: Api, app: InProcessApp, world: World) -> None:
    fuzz(api, app, Caller("staff", {"Accept-Language": "en", "Authorization": f"Token {staff_token(world)}"},
                          lambda op: op.tags in (["staff"], ["valuation"], ["finance"])))
