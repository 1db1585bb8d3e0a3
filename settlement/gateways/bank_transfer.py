"""Bank transfer: the payer transfers to the court's account quoting the unique transfer reference
(and, where the bank supports virtual sub-accounts, into the case's own account number, 一案一账号).
Finance staff import the bank statement; receipts are matched by reference and amount
(settlement.services.statement_import). Refunds are payout instructions finance staff execute."""

from __future__ import annotations

from django.conf import settings
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


class BankTransferGateway(BaseGateway):
    key = "bank_transfer"
    label = _("Bank transfer")

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(can_hold=False, can_partial_capture=False, max_amount_fen=None,
                            needs_staff_confirmation=False, automatic_refund=False, matches_by_reference=True)

    def is_enabled(self) -> bool:
        return bool(getattr(settings, "FAPAI_COURT_BANK_ACCOUNT", ""))

    def prepare(self, payable: Payable, *, return_url: str) -> PaymentStart:
        return PaymentStart(
            gateway=self.key, action="instructions", amount_fen=payable.amount_fen, currency=payable.currency,
            reference=payable.transfer_reference,
            payee=getattr(settings, "FAPAI_COURT_BANK_ACCOUNT_NAME", "") or payable.payee_name,
            bank_name=getattr(settings, "FAPAI_COURT_BANK_NAME", ""),
            account_number=getattr(settings, "FAPAI_COURT_BANK_ACCOUNT", ""),
            case_account_reference=payable.case_account_reference, return_url=return_url,
            note=_("Transfer exactly this amount from an account in the payer's own name and write the reference "
                   "in the remark (附言). A transfer with another amount, name or reference is not counted "
                   "until finance staff have checked it."),
        )

    def status(self, payable: Payable) -> GatewayStatus:
        # The statement import is the only source; there is nothing to ask the bank here.
        return GatewayStatus(State.NONE)

    def hold(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CAPTURED, amount_fen=payable.amount_fen)

    def capture(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CAPTURED, amount_fen=payable.amount_fen)

    def release(self, payable: Payable) -> GatewayStatus:
        return GatewayStatus(State.CANCELED)

    def refund(self, payable: Payable, *, amount_fen: int, key: str) -> RefundResult:
        return RefundResult(automatic=False)
