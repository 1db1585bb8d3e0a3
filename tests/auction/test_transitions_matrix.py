"""Every status of a round × every action on it: allowed actions move the round and write their audit
records; refused ones raise the right code (or, for the clock's open and close, return False) and
change nothing. Each status is reached through the services (`tests.builders.round_in`), except
ENDED, which the services never leave a round in (closing goes on to sold or failed in the same
transaction): it is set directly to check that nothing can act on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from auction import services
from auction.models import AuctionRound, Lot, Party
from core import audit, clock
from core.errors import RuleViolation
from core.models import AuditRecord
from tests import builders
from tests.auction.conftest import PANEL, reload, second_terms

S = AuctionRound.Status
REASON = "依法处理"


@dataclass(frozen=True)
class Ctx:
    judge: builders.User
    frozen: clock.FrozenClock


def panel_decision(ctx: Ctx, rnd: AuctionRound) -> Any:
    return services.round_record_panel_decision(actor=ctx.judge, rnd=rnd, decided_on=clock.today(),
                                                reference="合议庭评议笔录", members=PANEL)


def publish(ctx: Ctx, rnd: AuctionRound) -> Any:
    ctx.frozen.advance(timedelta(days=3))  # the WP art.16 notifications were made when the round was approved
    return services.round_publish(actor=ctx.judge, rnd=rnd)


def open_round(ctx: Ctx, rnd: AuctionRound) -> Any:
    ctx.frozen.set(max(clock.now(), rnd.bidding_start))
    return services.round_open(rnd=rnd)


def close_round(ctx: Ctx, rnd: AuctionRound) -> Any:
    ctx.frozen.set(max(clock.now(), rnd.effective_end))
    return services.round_close(rnd=rnd)


def stop(service: Callable[..., AuctionRound]) -> Callable[[Ctx, AuctionRound], Any]:
    return lambda ctx, rnd: service(actor=ctx.judge, rnd=rnd, reason=REASON)


def resume(ctx: Ctx, rnd: AuctionRound) -> Any:
    start = clock.now() + timedelta(days=2)
    return services.round_resume(actor=ctx.judge, rnd=rnd, reason=REASON, cause_ended_on=clock.today(),
                                 bidding_start=start, bidding_end=start + timedelta(hours=24))


def take_in_lieu(ctx: Ctx, rnd: AuctionRound) -> Any:
    applicant = rnd.lot.case.parties.get(role=Party.Role.APPLICANT)
    return services.round_take_in_lieu(actor=ctx.judge, rnd=rnd, creditor=applicant, reason=REASON,
                                       qualification_confirmed=True)


def create_next(ctx: Ctx, rnd: AuctionRound) -> Any:
    return services.round_create_next(actor=ctx.judge, previous=rnd, terms=second_terms(), **builders.TEXTS)


ACTIONS: dict[str, Callable[[Ctx, AuctionRound], Any]] = {
    "panel_decision": panel_decision,
    "publish": publish,
    "open": open_round,
    "close": close_round,
    "stay": stop(services.round_stay),
    "suspend": stop(services.round_suspend),
    "withdraw": stop(services.round_withdraw),
    "terminate": stop(services.round_terminate),
    "resume": resume,
    "take_in_lieu": take_in_lieu,
    "create_next": create_next,
}

# action → {status it is allowed in: (status afterwards, audit actions written on the round)}
ALLOWED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "panel_decision": {S.DRAFT: (S.PANEL_APPROVED, ["round.panel_approve"])},
    "publish": {S.PANEL_APPROVED: (S.ANNOUNCED, ["round.publish"])},
    "open": {S.ANNOUNCED: (S.BIDDING, ["round.open"])},
    "close": {S.BIDDING: (S.FAILED, ["round.end", "round.failed"])},
    "stay": {s: (S.STAYED, ["round.stay"]) for s in (S.ANNOUNCED, S.BIDDING)},
    "suspend": {s: (S.SUSPENDED, ["round.suspend"]) for s in (S.ANNOUNCED, S.BIDDING, S.STAYED)},
    "withdraw": {s: (S.WITHDRAWN, ["round.withdraw"])
                 for s in (S.DRAFT, S.PANEL_APPROVED, S.ANNOUNCED, S.BIDDING, S.STAYED, S.SUSPENDED)},
    "terminate": {s: (S.TERMINATED, ["round.terminate"]) for s in (S.ANNOUNCED, S.BIDDING, S.STAYED, S.SUSPENDED)},
    "resume": {s: (S.ANNOUNCED, ["round.resume"]) for s in (S.STAYED, S.SUSPENDED)},
    "take_in_lieu": {S.FAILED: (S.TAKEN_IN_LIEU, ["round.take_in_lieu", "round.in_lieu_terms"])},
    "create_next": {S.FAILED: (S.FAILED, [])},
}
REFUSAL_CODE = {
    "panel_decision": "transition_not_allowed",
    "publish": "transition_not_allowed",
    "stay": "transition_not_allowed",
    "suspend": "transition_not_allowed",
    "withdraw": "transition_not_allowed",
    "terminate": "transition_not_allowed",
    "resume": "not_stopped",
    "take_in_lieu": "transition_not_allowed",
    "create_next": "previous_not_failed",
}
# The clock's actions are idempotent: out of turn they do nothing and say so.
CLOCK_ACTIONS = {"open", "close"}

def reach(status: str, judge: builders.User, frozen: clock.FrozenClock, lot: Lot) -> AuctionRound:
    if status == S.ENDED:
        rnd = builders.round_in(S.BIDDING, judge=judge, frozen=frozen, lot_obj=lot)
        AuctionRound.objects.filter(pk=rnd.pk).update(status=S.ENDED)
        return reload(rnd)
    rnd = builders.round_in(status, judge=judge, frozen=frozen, lot_obj=lot)
    assert rnd.status == status
    return rnd


def cases() -> list[Any]:
    return [pytest.param(status, action, id=f"{status}-{action}")
            for status in S.values for action in ACTIONS]


def round_actions(rnd: AuctionRound) -> list[str]:
    return list(AuditRecord.objects.filter(object_type="auction.auctionround", object_id=str(rnd.pk))
                .values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action"), cases())
def test_transition_matrix(judge: builders.User, frozen: clock.FrozenClock, lot_obj: Lot, status: str,
                           action: str) -> None:
    rnd = reach(status, judge, frozen, lot_obj)
    before_actions = round_actions(rnd)
    records = AuditRecord.objects.count()
    ctx = Ctx(judge, frozen)

    if status in ALLOWED[action]:
        after_status, written = ALLOWED[action][status]
        result = ACTIONS[action](ctx, rnd)
        if action in CLOCK_ACTIONS:
            assert result is True
        assert reload(rnd).status == after_status
        assert round_actions(rnd) == before_actions + written
        new_records = AuditRecord.objects.filter(object_type="auction.auctionround", object_id=str(rnd.pk),
                                                 position__gt=records)
        changes = [(r.before["status"], r.after["status"]) for r in new_records if "status" in r.after]
        if after_status == status:
            assert changes == []
        else:
            assert (changes[0][0], changes[-1][1]) == (status, after_status)
            assert all(a[1] == b[0] for a, b in pairwise(changes))
            assert all(services.ROUND_TRANSITIONS.allowed(s, t) for s, t in changes)
        if action == "create_next":
            new = AuctionRound.objects.get(previous_round=rnd)
            assert (new.status, new.kind, round_actions(new)) == (S.DRAFT, AuctionRound.Kind.SECOND, ["round.create"])
        assert audit.verify().ok
        return

    if action in CLOCK_ACTIONS:
        assert ACTIONS[action](ctx, rnd) is False
    else:
        with pytest.raises(RuleViolation) as exc_info:
            ACTIONS[action](ctx, rnd)
        assert exc_info.value.rule_code == REFUSAL_CODE[action]
    assert reload(rnd).status == status
    assert AuditRecord.objects.count() == records
    assert not AuctionRound.objects.filter(previous_round=rnd).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["stay", "suspend", "withdraw", "terminate"])
def test_a_transition_records_the_status_before_and_after(judge: builders.User, frozen: clock.FrozenClock,
                                                          lot_obj: Lot, action: str) -> None:
    rnd = reach(S.BIDDING, judge, frozen, lot_obj)
    ACTIONS[action](Ctx(judge, frozen), rnd)
    rec = AuditRecord.objects.last()
    assert rec is not None
    assert (rec.action, rec.before["status"], rec.after["status"], rec.reason) == (
        f"round.{action}", S.BIDDING, ALLOWED[action][S.BIDDING][0], REASON)
    assert rec.actor_id == judge.pk


def test_the_table_and_this_matrix_agree() -> None:
    """Each status change the services make is in ROUND_TRANSITIONS, and the table allows nothing the
    matrix above does not exercise."""
    exercised = {(source, target) for action, per_action in ALLOWED.items() if action != "close"
                 for source, (target, _actions) in per_action.items() if source != target}
    exercised |= {(S.BIDDING, S.ENDED), (S.ENDED, S.FAILED), (S.ENDED, S.SOLD)}  # the steps of a close
    table = {(source, target) for source, targets in services.ROUND_TRANSITIONS.table.items() for target in targets}
    assert table == exercised
    assert set(services.ROUND_TRANSITIONS.table) == set(S.values)
