"""How settlement tells the apps above it about deposit events without importing them (dependencies
point one way: auction ← settlement ← bidding).

An app registers its callbacks in AppConfig.ready(). They run inside the database transaction of the
event, after the deposit row, its ledger transaction and its audit record are written: a callback
that raises rolls the whole event back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from settlement.models import Deposit

DepositCallback = Callable[["Deposit"], None]

_held: list[DepositCallback] = []
_released: list[DepositCallback] = []


def on_deposit_held(fn: DepositCallback) -> DepositCallback:
    """Call `fn(deposit)` whenever a deposit becomes held (bidding assigns the bidder code here)."""
    if fn not in _held:
        _held.append(fn)
    return fn


def on_deposit_released(fn: DepositCallback) -> DepositCallback:
    """Call `fn(deposit)` whenever a held deposit is released."""
    if fn not in _released:
        _released.append(fn)
    return fn


def deposit_held(deposit: Deposit) -> None:
    for fn in list(_held):
        fn(deposit)


def deposit_released(deposit: Deposit) -> None:
    for fn in list(_released):
        fn(deposit)
