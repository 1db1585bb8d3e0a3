"""Writes for screening: running it on a round (live, then complete at close; idempotent) and the
court's review decisions. Screening informs the court; it never blocks a bid or a registration."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from auction.models import AuctionRound
from auction.services import check_court_staff
from bidding.models import RoundScreening, ScreeningDecision, ScreeningReason
from bidding.screening import engine
from bidding.screening import selectors as sel
from core import audit, clock
from core.errors import RuleViolation
from core.transitions import TransitionTable, transition
from settlement.selectors import FINISHED_STATUSES

log = logging.getLogger(__name__)
SR = RoundScreening.Review

REVIEW_TRANSITIONS = TransitionTable(
    "screening review",
    {
        SR.OPEN: {SR.DISMISSED, SR.WATCH, SR.ESCALATED, SR.ANNULMENT},
        SR.WATCH: {SR.DISMISSED, SR.WATCH, SR.ESCALATED, SR.ANNULMENT},
        SR.ESCALATED: {SR.DISMISSED, SR.WATCH, SR.ANNULMENT},
        SR.DISMISSED: {SR.WATCH, SR.ESCALATED, SR.ANNULMENT},
        SR.ANNULMENT: set(),
    },
)

AUDIT_ACTIONS = {
    "screening.run": gettext_lazy("Round screened for collusion"),
    "screening.review": gettext_lazy("Screening decision recorded"),
}


def screening_run(rnd: AuctionRound, *, actor: Any = "system:screening") -> RoundScreening:
    """Screen a round and store the result, replacing the reasons of an earlier run and keeping the
    court's review. Until the round has finished only identity links among its registrants are
    screened, named by bidder code (WP art.18); once it has finished everything is (WP art.31(3)).
    The computation runs outside any transaction; the write locks only the screening row."""
    rnd = AuctionRound.objects.select_related("lot__case").get(pk=rnd.pk)
    complete = rnd.status in FINISHED_STATUSES
    target = sel.round_log(rnd)
    thresholds = settings.FAPAI_SCREENING
    if complete:
        context = sel.round_logs(sel.context_rounds(rnd))
        result = engine.screen([target], context, thresholds=thresholds)[0]
    else:
        result = engine.screen([target], thresholds=thresholds, identity_only=True)[0]
    stage = RoundScreening.Stage.CLOSED if complete else RoundScreening.Stage.LIVE
    try:
        return _store(rnd, stage, result, actor)
    except IntegrityError:  # a concurrent first run created the row: store again over it
        return _store(rnd, stage, result, actor)


def _store(rnd: AuctionRound, stage: str, result: engine.RoundResult, actor: Any) -> RoundScreening:
    with transaction.atomic():
        screening = RoundScreening.objects.select_for_update().filter(round=rnd).first()
        if screening is None:
            screening = RoundScreening.objects.create(round=rnd, stage=stage, screened_at=clock.now())
        elif screening.stage == RoundScreening.Stage.CLOSED and stage == RoundScreening.Stage.LIVE:
            return screening  # a late live run never overwrites the complete screening
        before = {"stage": screening.stage, "score": screening.score, "level": screening.level}
        screening.stage, screening.score, screening.level = stage, result.score, result.level
        screening.bidder_scores = result.bidder_scores
        screening.features = {b: {k: round(v, 4) for k, v in f.items()} for b, f in result.features.items()}
        screening.screened_at = clock.now()
        screening.runs += 1
        screening.save()
        screening.reasons.all().delete()
        ScreeningReason.objects.bulk_create([
            ScreeningReason(screening=screening, code=r.code, subjects=list(r.subjects), points=r.points,
                            params=r.params) for r in result.reasons])
        audit.record(actor=actor, action="screening.run", obj=screening, before=before,
                     after={"stage": stage, "score": result.score, "level": result.level,
                            "reasons": sorted(r.code for r in result.reasons)})
    return screening


def screening_run_live_on_commit(round_id: int) -> None:
    """After a registration qualified: screen identity links once the transaction has committed.
    A failure is logged, never raised into the payment that qualified the bidder."""

    def run() -> None:
        try:
            screening_run(AuctionRound.objects.get(pk=round_id))
        except Exception:  # screening must not break registration; the close-time run repeats it
            log.exception("live screening of round %s failed", round_id)

    transaction.on_commit(run)


def screen_finished_rounds(now: Any = None) -> int:
    """Clock job `bidding.screening`: the complete screening of every finished round not yet screened."""
    done = 0
    for rnd in sel.unscreened_finished_rounds():
        screening_run(rnd)
        done += 1
    return done


def screening_decide(*, actor: Any, screening: RoundScreening, decision: str, note: str) -> RoundScreening:
    """The court decides on a screened round: dismiss, watch, escalate or start annulment (WP art.31(3)),
    always with a note; each decision is kept and audited."""
    check_court_staff(actor, screening.round.lot.case.court)
    if decision not in SR.values or decision == SR.OPEN:
        raise RuleViolation(_("Choose a decision."), code="invalid_decision", field="decision")
    if not note.strip():
        raise RuleViolation(_("Write a note with the decision."), code="note_required", field="note")
    with transaction.atomic():
        locked = RoundScreening.objects.select_for_update().get(pk=screening.pk)
        transition(locked, REVIEW_TRANSITIONS, decision, actor=actor, action="screening.review", field="review",
                   reason=note.strip(), labels=dict(SR.choices))
        ScreeningDecision.objects.create(screening=locked, decision=decision, note=note.strip(), decided_by=actor,
                                         decided_at=clock.now())
    return locked
