"""Signals of the core kernel. `transitioned` is sent by `core.transitions.transition()` inside the
transaction that changed the state, after the audit record: a receiver that must act only on commit
uses `transaction.on_commit`; one that must publish in commit order (bidding's live events) does it
inside the transaction."""

from __future__ import annotations

from django.dispatch import Signal

# sender = the model class; kwargs: obj, field, source, target, action
transitioned = Signal()
