"""A case's timeline (执行节点) from the audit log: each app registers which of its objects belong to a
case; the timeline is every audit record of those objects, in chain order. Nothing is written for it:
the audit log already holds every step."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet

Provider = Callable[[int], Iterable[tuple[str, Iterable[Any]]]]  # case id -> (object type, ids)
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def records(case_id: int) -> QuerySet[Any]:
    from core.models import AuditRecord

    query = Q(pk__in=[])
    for _name, provider in sorted(_providers.items()):
        for object_type, ids in provider(case_id):
            ids = [str(i) for i in ids]
            if ids:
                query |= Q(object_type=object_type, object_id__in=ids)
    return AuditRecord.objects.filter(query).select_related("actor").order_by("position")
