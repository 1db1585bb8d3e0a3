"""The audit log: every state change of a case, lot, round, registration, deposit, payment or
distribution appends a record (actor, action, object, before/after, reason, time) to one hash chain.

hash(n) = sha256(hash(n-1) ‖ canonical JSON of record n). Appending locks the chain head row, which
is therefore the LAST lock any transaction takes (see docs/locking.md): a writer holding the head
never waits for another business row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import AuditChainHead, AuditRecord

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """A JSON-safe, deterministic form of a field value for before/after snapshots."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not allowed in audit records (money is integer fen)")
    return str(value)


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: jsonable(getattr(obj, name)) for name in fields}


def _actor_label(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor  # e.g. "system:clock"
    return actor.pk, f"user:{actor.pk}:{actor.get_username()}"


def _payload(position: int, at: datetime, actor_id: int | None, actor_label: str, action: str,
             object_type: str, object_id: str, before: Any, after: Any, reason: str, prev_hash: str) -> bytes:
    return orjson.dumps(
        {
            "position": position,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
            "reason": reason,
            "prev": prev_hash,
        },
        option=orjson.OPT_SORT_KEYS,
    )


def compute_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


def object_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(*, actor: Any, action: str, obj: models.Model, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, reason: str = "") -> AuditRecord:
    """Append one record. Must run inside the caller's transaction so the record commits or rolls
    back together with the change it describes. Takes the chain-head lock last."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must be called inside transaction.atomic()")
    # The head row is created after migrate (core.apps.ensure_seed_data), so there is no create race here.
    head = AuditChainHead.objects.select_for_update().get(id=1)
    at = clock.now()
    actor_id, label = _actor_label(actor)
    before_j, after_j = jsonable(before or {}), jsonable(after or {})
    position = head.position + 1
    object_type, object_id = object_type_of(obj), str(obj.pk)
    digest = compute_hash(
        head.hash,
        _payload(position, at, actor_id, label, action, object_type, object_id, before_j, after_j, reason,
                 head.hash),
    )
    rec = AuditRecord.objects.create(
        position=position, at=at, actor_id=actor_id, actor_label=label, action=action,
        object_type=object_type, object_id=object_id, before=before_j, after=after_j, reason=reason,
        prev_hash=head.hash, hash=digest,
    )
    head.position, head.hash = position, digest
    head.save(update_fields=["position", "hash"])
    return rec


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    problem: str = ""


def verify(batch_size: int = 2000) -> VerifyResult:
    """Recompute the chain from the genesis. Reports the first position whose stored hash does not
    match its content, whose link to the previous record is wrong, or that is missing."""
    prev = GENESIS
    expected_position = 1
    checked = 0
    qs = AuditRecord.objects.order_by("position")
    last_position = 0
    while True:
        rows = list(qs.filter(position__gt=last_position)[:batch_size])
        if not rows:
            break
        for r in rows:
            if r.position != expected_position:
                return VerifyResult(False, checked, expected_position, "missing record")
            if r.prev_hash != prev:
                return VerifyResult(False, checked, r.position, "link to the previous record is broken")
            payload = _payload(r.position, r.at, r.actor_id, r.actor_label, r.action, r.object_type,
                               r.object_id, r.before, r.after, r.reason, r.prev_hash)
            if compute_hash(prev, payload) != r.hash:
                return VerifyResult(False, checked, r.position, "content does not match its hash")
            prev = r.hash
            expected_position += 1
            checked += 1
            last_position = r.position
    head = AuditChainHead.objects.filter(id=1).first()
    if head and (head.position != checked or head.hash != prev):
        return VerifyResult(False, checked, checked + 1, "records after the last one were deleted")
    return VerifyResult(True, checked)


def history(obj: models.Model) -> models.QuerySet[AuditRecord]:
    return AuditRecord.objects.filter(object_type=object_type_of(obj), object_id=str(obj.pk)).order_by(
        "position")


# --- display -------------------------------------------------------------------------------------
# Records store stable codes (action names, field names, status values); these turn them into text
# in the reader's language when shown, so a record written in one language reads well in the other.

_ACTION_LABELS: dict[str, Any] = {}
SYSTEM_ACTORS = {"system": _("System"), "system:clock": _("System clock")}


def register_actions(labels: dict[str, Any]) -> None:
    """Apps register translatable labels for their action codes in AppConfig.ready()."""
    _ACTION_LABELS.update(labels)


def action_label(code: str) -> str:
    return str(_ACTION_LABELS.get(code, code))


@dataclass(frozen=True)
class ShownChange:
    name: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ShownRecord:
    position: int
    at: datetime
    actor: str
    action: str
    action_label: str
    reason: str
    changes: list[ShownChange]


def _field(object_type: str, name: str) -> Any:
    try:
        return django_apps.get_model(object_type)._meta.get_field(name)
    except (LookupError, FieldDoesNotExist, ValueError):
        return None


def _shown_value(field: Any, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name.endswith("_fen") and isinstance(value, int) and not isinstance(value, bool):
        from core.money import format_fen

        return format_fen(value)
    if field is not None and getattr(field, "flatchoices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    return str(value)


def describe(rec: AuditRecord) -> ShownRecord:
    names = sorted(set(rec.before or {}) | set(rec.after or {}))
    changes = []
    for name in names:
        field = _field(rec.object_type, name)
        label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else name
        changes.append(ShownChange(name, label, _shown_value(field, name, (rec.before or {}).get(name)),
                                   _shown_value(field, name, (rec.after or {}).get(name))))
    if rec.actor_id is not None and rec.actor is not None:
        actor = str(rec.actor)
    else:
        actor = str(SYSTEM_ACTORS.get(rec.actor_label, rec.actor_label))
    return ShownRecord(rec.position, rec.at, actor, rec.action, action_label(rec.action), rec.reason, changes)
