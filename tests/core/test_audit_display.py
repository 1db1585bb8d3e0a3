"""Audit records store codes; they are shown in the reader's language."""

import pytest
from django.utils import translation

from auction.models import AuctionRound
from core import audit
from tests import builders

S = AuctionRound.Status


@pytest.mark.django_db
def test_history_reads_in_the_readers_language(judge, frozen) -> None:
    rnd = builders.round_in(S.STAYED, judge=judge, frozen=frozen)
    stay = audit.describe(audit.history(rnd).filter(action="round.stay").get())
    with translation.override("en"):
        stay_en = audit.describe(audit.history(rnd).filter(action="round.stay").get())
        change = {c.name: c for c in stay_en.changes}["status"]
        assert (stay_en.action_label, change.label, change.before, change.after) == (
            "Stayed", "status", "Announced", "Stayed")
    zh_change = {c.name: c for c in stay.changes}["status"]
    assert (stay.action_label, zh_change.label, zh_change.after) == ("暂缓", "状态", "已暂缓")
    assert stay.actor == "judge" and stay.reason == "案外人提出异议"


@pytest.mark.django_db
def test_system_actor_and_money_are_readable(judge, frozen) -> None:
    rnd = builders.round_in(S.FAILED, judge=judge, frozen=frozen)
    failed = audit.describe(audit.history(rnd).filter(action="round.failed").get())
    created = audit.describe(audit.history(rnd).filter(action="round.create").get())
    assert failed.actor == "系统时钟"
    assert {c.name: c.after for c in created.changes}["start_price_fen"] == "¥800,000.00"
