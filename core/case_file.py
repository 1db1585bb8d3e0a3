"""The party's case file (执行节点查询): what a party of a case may see of it, by section. Each app
registers a provider in its AppConfig.ready() that returns its sections for one party; core knows
none of the content. Providers show the party's own data and facts about the case, never another
person's identity (no bidder, no other party's name, no staff name)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""  # e.g. the objection rule that applies
    order: int = 50  # where the section goes on the page (lower first)


Provider = Callable[[Any], Iterable[Section]]  # a Party -> its sections
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def sections(party: Any) -> list[Section]:
    out: list[Section] = []
    for _name, provider in sorted(_providers.items()):
        out.extend(provider(party))
    return sorted(out, key=lambda s: s.order)
