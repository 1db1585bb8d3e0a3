"""Offline: the embedded default. The payer pays at the court's finance office (or into the court's
account by any means); finance staff confirm the receipt by hand and pay refunds out by hand. Every
action still goes through the ledger."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from settlement.gateways.base import (
    BaseGateway,
    Capabilities,
    GatewayStatus,
    Payable,
    PaymentStart,
    RefundResult,
    State,
)


class OfflineGateway(BaseGateway):
    key = "offline"
    label = _("Offline (confirmed by finance staff)")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(can_hold=False, can_partial_capture=False, max_amount_fen=None,
                            needs_staff_confirmation=True, automatic_refund=False, matches_by_reference=False)

    def is_enabled(self) -> bool:
        return True

    def prepare(self, payable: Payable, *, return_url: str) -> PaymentStart:
        return PaymentStart(
            gateway=self.key, action="instructions", amount_fen=payable.amount_fen, currency=payable.currency,
            reference=payable.transfer_reference, payee=payable.payee_name,
            case_account_reference=payable.case_account_reference, return_url=return_url,
            note=_("Pay the amount to the court's finance office quoting the reference. The deposit counts "
                   "once finance staff have confirmed the receipt."),
        )

    def status(self, payable: Payable) -> GatewayStatus:
        # Nothing to ask: the only record of an offline payment is finance staff's confirmation.
        return GatewayStatus(State.NONE, amount_fen=0)

    def hold(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CAPTURED, amount_fen=payable.amount_fen)

    def capture(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CAPTURED, amount_fen=payable.amount_fen)

    def release(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CANCELED)

    def refund(self, payable: Payable, *, amount_fen: int, key: str) -> RefundResult:
        return RefundResult(automatic=False)
