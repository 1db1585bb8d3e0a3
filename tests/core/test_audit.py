"""The audit hash chain: every record links to the previous one, `verify_audit` recomputes the chain
and names the first broken position after rows are changed or deleted behind the ORM's back, and
concurrent appends on PostgreSQL produce a gap-free chain."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from auction.models import AuctionRound, Court
from core import audit, clock
from core.models import AuditChainHead, AuditRecord
from tests import builders

S = AuctionRound.Status


def append(obj: Court, n: int, action: str = "test.append") -> None:
    for i in range(n):
        with transaction.atomic():
            audit.record(actor="system:test", action=action, obj=obj, before={"i": i}, after={"i": i + 1},
                         reason=f"step {i}")


def raw_sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_command() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


# --- appending ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction() -> None:
    court = builders.court()
    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        audit.record(actor=None, action="x", obj=court)
    assert AuditRecord.objects.count() == 0


@pytest.mark.django_db
def test_records_form_a_chain_from_the_genesis(court: Court) -> None:
    append(court, 3)
    records = list(AuditRecord.objects.order_by("position"))
    assert [r.position for r in records] == [1, 2, 3]
    assert records[0].prev_hash == audit.GENESIS
    assert records[1].prev_hash == records[0].hash
    assert records[2].prev_hash == records[1].hash
    head = AuditChainHead.objects.get(id=1)
    assert (head.position, head.hash) == (3, records[2].hash)
    r = records[1]
    payload = audit._payload(r.position, r.at, r.actor_id, r.actor_label, r.action, r.object_type, r.object_id,
                             r.before, r.after, r.reason, r.prev_hash)
    assert audit.compute_hash(r.prev_hash, payload) == r.hash
    assert (r.object_type, r.object_id, r.before, r.after, r.reason) == ("auction.court", str(court.pk), {"i": 1},
                                                                        {"i": 2}, "step 1")


@pytest.mark.django_db
def test_actor_labels(court: Court, clerk: builders.User) -> None:
    with transaction.atomic():
        by_user = audit.record(actor=clerk, action="a", obj=court)
        by_system = audit.record(actor="system:clock", action="a", obj=court)
        by_nobody = audit.record(actor=None, action="a", obj=court)
    assert (by_user.actor_id, by_user.actor_label) == (clerk.pk, f"user:{clerk.pk}:clerk")
    assert (by_system.actor_id, by_system.actor_label) == (None, "system:clock")
    assert (by_nobody.actor_id, by_nobody.actor_label) == (None, "system")


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_record_and_an_intact_chain(court: Court) -> None:
    append(court, 2)
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(actor=None, action="doomed", obj=court)
        raise ValueError("the change failed after its record was written")
    assert not AuditRecord.objects.filter(action="doomed").exists()
    assert AuditChainHead.objects.get(id=1).position == 2
    append(court, 1)
    assert audit.verify() == audit.VerifyResult(True, 3)


class Colour(Enum):
    RED = "red"


def test_jsonable_is_deterministic_and_refuses_floats() -> None:
    value = {
        "when": datetime(2026, 3, 2, 2, 0, tzinfo=UTC), "day": date(2026, 3, 2), "amount": Decimal("1.50"),
        "colour": Colour.RED, 1: [1, "a", None, True], "tuple": (1, 2),
    }
    assert audit.jsonable(value) == {
        "when": "2026-03-02T02:00:00+00:00", "day": "2026-03-02", "amount": "1.50", "colour": "red",
        "1": [1, "a", None, True], "tuple": [1, 2],
    }
    assert sorted(audit.jsonable({3, 1, 2})) == [1, 2, 3]
    with pytest.raises(TypeError, match="float"):
        audit.jsonable({"price": 1.5})


@pytest.mark.django_db
def test_jsonable_stores_a_model_as_its_key_and_snapshot_reads_fields(court: Court) -> None:
    assert audit.jsonable(court) == court.pk
    assert audit.snapshot(court, ["case_code", "phone"]) == {"case_code": "京0105", "phone": "010-12345678"}


@pytest.mark.django_db
def test_history_lists_the_records_of_one_object(court: Court) -> None:
    other = builders.court(code="沪0101", name="上海市黄浦区人民法院")
    append(court, 2)
    append(other, 1)
    append(court, 1)
    assert [r.position for r in audit.history(court)] == [1, 2, 4]
    assert [r.position for r in audit.history(other)] == [3]


# --- verification --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_empty_chain_verifies() -> None:
    assert audit.verify() == audit.VerifyResult(True, 0)
    assert "audit chain OK: 0 records verified" in verify_command()


@pytest.mark.django_db
def test_a_chain_written_by_the_services_verifies(judge: builders.User, frozen: clock.FrozenClock) -> None:
    builders.round_in(S.TAKEN_IN_LIEU, judge=judge, frozen=frozen)
    total = AuditRecord.objects.count()
    assert total > 10
    assert audit.verify() == audit.VerifyResult(True, total)
    assert f"audit chain OK: {total} records verified" in verify_command()


@pytest.mark.django_db
def test_verification_crosses_batch_boundaries(court: Court) -> None:
    append(court, 7)
    for size in (1, 2, 3, 7, 100):
        assert audit.verify(batch_size=size) == audit.VerifyResult(True, 7)
    raw_sql("UPDATE core_auditrecord SET reason = %s WHERE position = %s", ["forged", 5])
    for size in (1, 2, 3, 7, 100):
        assert audit.verify(batch_size=size).first_broken == 5


@pytest.mark.django_db
@pytest.mark.parametrize("position", [1, 4, 8])
def test_an_edited_reason_is_found_at_exactly_its_position(court: Court, position: int) -> None:
    append(court, 8)
    raw_sql("UPDATE core_auditrecord SET reason = %s WHERE position = %s", ["nothing to see here", position])
    result = audit.verify()
    assert result == audit.VerifyResult(False, position - 1, position, "content does not match its hash")
    with pytest.raises(CommandError) as exc_info:
        verify_command()
    assert str(exc_info.value) == (f"audit chain BROKEN at position {position}: content does not match its hash "
                                   f"({position - 1} records verified before it)")


@pytest.mark.django_db
def test_the_first_of_several_edits_is_named(court: Court) -> None:
    append(court, 8)
    raw_sql("UPDATE core_auditrecord SET reason = %s WHERE position = %s", ["later edit", 6])
    raw_sql("UPDATE core_auditrecord SET reason = %s WHERE position = %s", ["earlier edit", 3])
    assert audit.verify().first_broken == 3


@pytest.mark.django_db
def test_edited_before_after_actor_and_time_are_found(court: Court) -> None:
    append(court, 5)
    raw_sql("UPDATE core_auditrecord SET after = %s WHERE position = %s", ['{"i": 999}', 4])
    assert audit.verify().first_broken == 4
    raw_sql("UPDATE core_auditrecord SET actor_label = %s WHERE position = %s", ["system:someone-else", 2])
    assert audit.verify().first_broken == 2
    raw_sql("UPDATE core_auditrecord SET at = %s WHERE position = %s", [datetime(2020, 1, 1, tzinfo=UTC), 1])
    assert audit.verify().first_broken == 1


@pytest.mark.django_db
def test_a_rehashed_record_breaks_the_link_of_the_next_one(court: Court) -> None:
    append(court, 5)
    forged = AuditRecord.objects.get(position=3)
    forged_payload = audit._payload(3, forged.at, forged.actor_id, forged.actor_label, forged.action,
                                    forged.object_type, forged.object_id, forged.before, forged.after, "forged",
                                    forged.prev_hash)
    raw_sql("UPDATE core_auditrecord SET reason = %s, hash = %s WHERE position = %s",
            ["forged", audit.compute_hash(forged.prev_hash, forged_payload), 3])
    assert audit.verify() == audit.VerifyResult(False, 3, 4, "link to the previous record is broken")


@pytest.mark.django_db
def test_deleting_the_last_record_is_detected(court: Court) -> None:
    append(court, 5)
    raw_sql("DELETE FROM core_auditrecord WHERE position = %s", [5])
    assert audit.verify() == audit.VerifyResult(False, 4, 5, "records after the last one were deleted")
    with pytest.raises(CommandError, match=r"BROKEN at position 5: records after the last one were deleted"):
        verify_command()


@pytest.mark.django_db
def test_deleting_a_record_in_the_middle_is_detected(court: Court) -> None:
    append(court, 5)
    raw_sql("DELETE FROM core_auditrecord WHERE position = %s", [2])
    assert audit.verify() == audit.VerifyResult(False, 1, 2, "missing record")


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_produce_a_gap_free_valid_chain() -> None:
    court = builders.court()
    threads_n, per_thread = 8, 25
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=f"system:thread-{n}", action="test.concurrent", obj=court, after={"i": i})
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()

    assert errors == []
    total = threads_n * per_thread
    positions = list(AuditRecord.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(1, total + 1))
    labels = set(AuditRecord.objects.values_list("actor_label", flat=True))
    assert labels == {f"system:thread-{n}" for n in range(threads_n)}
    assert audit.verify() == audit.VerifyResult(True, total)
