"""The payment gateways, by key. A round accepts the gateways in its RoundPaymentSettings (by default
every enabled gateway in FAPAI_DEFAULT_GATEWAYS)."""

from __future__ import annotations

from settlement.gateways.bank_transfer import BankTransferGateway
from settlement.gateways.base import BaseGateway, GatewayError
from settlement.gateways.offline import OfflineGateway
from settlement.gateways.stripe_gateway import StripeGateway

GATEWAYS: dict[str, BaseGateway] = {g.key: g for g in (OfflineGateway(), BankTransferGateway(), StripeGateway())}


def get(key: str) -> BaseGateway:
    return GATEWAYS[key]


def enabled_keys() -> list[str]:
    return [key for key, gateway in GATEWAYS.items() if gateway.is_enabled()]


__all__ = ["GATEWAYS", "BaseGateway", "GatewayError", "enabled_keys", "get"]
