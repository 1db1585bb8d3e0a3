"""Explicit state machines. A model lists its allowed transitions in one table; services move an
object only through `transition()`, which refuses anything not in the table and writes the audit
record in the same database transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import RuleViolation
from core.signals import transitioned


class TransitionTable:
    def __init__(self, name: str, table: Mapping[str, Iterable[str]]) -> None:
        self.name = name
        self.table = {src: frozenset(dsts) for src, dsts in table.items()}

    def allowed(self, source: str, target: str) -> bool:
        return target in self.table.get(source, frozenset())

    def targets(self, source: str) -> frozenset[str]:
        return self.table.get(source, frozenset())

    def check(self, source: str, target: str, labels: Mapping[str, Any] | None = None) -> None:
        if not self.allowed(source, target):
            labels = labels or {}
            raise RuleViolation(
                _("Cannot change the status from “%(source)s” to “%(target)s”."),
                code="transition_not_allowed",
                params={"source": labels.get(source, source), "target": labels.get(target, target)},
            )


def transition(obj: models.Model, table: TransitionTable, target: str, *, actor: Any, action: str,
               reason: str = "", field: str = "status", extra_changes: dict[str, Any] | None = None,
               labels: Mapping[str, Any] | None = None) -> None:
    """Move `obj` to `target` if the table allows it, save the changed fields and write the audit
    record. The caller holds the row lock on `obj` and is inside transaction.atomic()."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside transaction.atomic() with the row locked")
    source = getattr(obj, field)
    table.check(source, target, labels)
    before = {field: source}
    after = {field: target}
    setattr(obj, field, target)
    for name, value in (extra_changes or {}).items():
        before[name] = audit.jsonable(getattr(obj, name))
        setattr(obj, name, value)
        after[name] = audit.jsonable(value)
    obj.save(update_fields=[field, *(extra_changes or {}).keys()])
    audit.record(actor=actor, action=action, obj=obj, before=before, after=after, reason=reason)
    transitioned.send(sender=type(obj), obj=obj, field=field, source=source, target=target, action=action)
