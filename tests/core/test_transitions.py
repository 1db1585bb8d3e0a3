"""State machines: a table of allowed moves; `transition()` refuses anything else, and an allowed move
saves the object and writes its audit record in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from auction.models import Case
from core import audit
from core.errors import RuleViolation
from core.models import AuditRecord
from core.transitions import TransitionTable, transition
from tests import builders

TABLE = TransitionTable("case", {"open": {"closed"}, "closed": set()})
LABELS = {"open": "Open", "closed": "Closed"}


def test_table_answers_allowed_and_targets() -> None:
    assert TABLE.allowed("open", "closed")
    assert not TABLE.allowed("closed", "open")
    assert not TABLE.allowed("open", "open")
    assert not TABLE.allowed("unknown", "closed")
    assert TABLE.targets("open") == frozenset({"closed"})
    assert TABLE.targets("closed") == frozenset()
    assert TABLE.targets("unknown") == frozenset()


def test_a_refused_check_names_both_statuses_in_english() -> None:
    with pytest.raises(RuleViolation) as exc_info:
        TABLE.check("closed", "open", LABELS)
    assert exc_info.value.rule_code == "transition_not_allowed"
    with translation.override("en"):
        assert exc_info.value.text == "Cannot change the status from “Closed” to “Open”."
    with translation.override("zh-hans"):
        assert "Closed" in exc_info.value.text
    with pytest.raises(RuleViolation) as without_labels:
        TABLE.check("closed", "open")
    with translation.override("en"):
        assert without_labels.value.text == "Cannot change the status from “closed” to “open”."


@pytest.fixture
def case(court: builders.Court) -> Case:
    return builders.case(court)


@pytest.mark.django_db
def test_an_allowed_transition_saves_and_audits_in_one_go(case: Case, clerk: builders.User) -> None:
    with transaction.atomic():
        transition(case, TABLE, "closed", actor=clerk, action="case.close", reason="执行完毕",
                   extra_changes={"cause": "已结案"}, labels=LABELS)
    case.refresh_from_db()
    assert (case.status, case.cause) == ("closed", "已结案")
    rec = AuditRecord.objects.get(action="case.close")
    assert rec.before == {"status": "open", "cause": "借款合同纠纷"}
    assert rec.after == {"status": "closed", "cause": "已结案"}
    assert (rec.reason, rec.actor_id, rec.object_id) == ("执行完毕", clerk.pk, str(case.pk))
    assert audit.verify().ok


@pytest.mark.django_db
def test_a_refused_transition_changes_nothing(case: Case, clerk: builders.User) -> None:
    Case.objects.filter(pk=case.pk).update(status="closed")
    case.refresh_from_db()
    records = AuditRecord.objects.count()
    with pytest.raises(RuleViolation) as exc_info, transaction.atomic():
        transition(case, TABLE, "open", actor=clerk, action="case.reopen", extra_changes={"cause": "x"})
    assert exc_info.value.rule_code == "transition_not_allowed"
    assert (case.status, case.cause) == ("closed", "借款合同纠纷")
    case.refresh_from_db()
    assert (case.status, case.cause) == ("closed", "借款合同纠纷")
    assert AuditRecord.objects.count() == records


@pytest.mark.django_db
def test_a_failing_audit_append_rolls_the_change_back(case: Case, clerk: builders.User,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_record(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken_record)
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(case, TABLE, "closed", actor=clerk, action="case.close")
    case.refresh_from_db()
    assert case.status == "open"


@pytest.mark.django_db(transaction=True)
def test_a_transition_outside_a_transaction_changes_nothing() -> None:
    court = builders.court()
    case = builders.case(court)
    with pytest.raises(RuntimeError):
        transition(case, TABLE, "closed", actor="system:test", action="case.close")
    case.refresh_from_db()
    assert case.status == "open"
