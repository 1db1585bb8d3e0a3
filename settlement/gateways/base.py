"""The one interface every payment gateway implements (after pretix's payment providers, written for
deposits that are frozen and later released, applied or forfeited).

A gateway only talks to its provider and describes what the payer must do; it never writes to the
database. The services decide, post to the ledger and change states; they call a gateway method
before the state change it causes, so a provider error leaves the database untouched, and every
provider call is idempotent so a retry after a rolled-back transaction finds the first result."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise


class GatewayError(Exception):
    """The provider refused or could not be reached. `message` is shown to people (translatable)."""

    def __init__(self, message: Any, code: str = "gateway_error") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Capabilities:
    can_hold: bool  # can freeze money without taking it (card authorisation)
    can_partial_capture: bool
    max_amount_fen: int | None  # the largest single payment the provider takes
    needs_staff_confirmation: bool  # finance staff confirm receipts by hand
    automatic_refund: bool  # refunds are made by the provider at once (else a payout instruction)
    matches_by_reference: bool  # receipts arrive on a statement and are matched by the transfer reference


class State(StrEnum):
    NONE = "none"  # nothing paid yet
    PROCESSING = "processing"
    AUTHORISED = "authorised"  # frozen, not captured
    CAPTURED = "captured"
    CANCELED = "canceled"


@dataclass(frozen=True)
class GatewayStatus:
    state: State
    external_ref: str = ""
    amount_fen: int = 0  # authorised or captured
    refunded_fen: int = 0
    reference: str = ""  # our reference as the provider recorded it (metadata)
    instrument: str = ""  # what paid: a card fingerprint or payment method (collusion screening)


@dataclass(frozen=True)
class Payable:
    """What a gateway needs to know about a deposit or a balance payment."""

    kind: str  # "deposit" | "balance"
    reference: str  # our unique reference (deposit transfer reference, balance payment reference)
    transfer_reference: str  # what a payer quotes on a bank transfer
    amount_fen: int
    currency: str
    payer_name: str
    payee_name: str  # the court
    case_account_reference: str  # 一案一账号
    gateway_ref: str = ""  # the provider's object, once prepared
    attempt: int = 0
    manual_capture: bool = False


@dataclass(frozen=True)
class PaymentStart:
    """What the payer must do next: transfer instructions, or a card form on the gateway's page."""

    gateway: str
    action: str  # "instructions" | "card" | "none"
    amount_fen: int
    currency: str
    reference: str
    payee: str = ""
    bank_name: str = ""
    account_number: str = ""
    case_account_reference: str = ""
    note: str | Promise = ""
    client_secret: str = ""
    publishable_key: str = ""
    js_url: str = ""
    page_url: str = ""
    return_url: str = ""
    gateway_ref: str = ""
    attempt: int = 0
    manual_capture: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    automatic: bool  # the provider refunded at once; otherwise finance must pay out
    external_ref: str = ""


class BaseGateway(ABC):
    key: str
    label: Any

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities:
        """What the provider can do (may depend on the settings, e.g. a payment limit)."""

    @abstractmethod
    def is_enabled(self) -> bool:
        """Configured on this installation."""

    @abstractmethod
    def prepare(self, payable: Payable, *, return_url: str) -> PaymentStart:
        """What the payer must do; idempotent (the same object is returned while it can be paid)."""

    @abstractmethod
    def status(self, payable: Payable) -> GatewayStatus:
        """What the provider says about this payment now."""

    @abstractmethod
    def hold(self, payable: Payable) -> GatewayStatus:
        """Confirm the money is frozen or received; raises GatewayError if it is not."""

    @abstractmethod
    def capture(self, payable: Payable) -> GatewayStatus:
        """Take frozen money (the whole authorisation); never twice, never after a cancellation."""

    @abstractmethod
    def release(self, payable: Payable) -> GatewayStatus:
        """Cancel a frozen authorisation (unfreeze) without taking money."""

    @abstractmethod
    def refund(self, payable: Payable, *, amount_fen: int, key: str) -> RefundResult:
        """Give captured money back; never more than was captured, never twice for the same key."""
