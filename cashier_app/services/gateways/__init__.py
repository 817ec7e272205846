"""Card gateways: Sberbank, T-Bank, ChronoPay clients and a local sandbox bank."""

from cashier_app.services.gateways.base import (
    FINAL_STATES,
    ORDER_STATES,
    CreatedOrder,
    GatewayClient,
    GatewayConfigError,
    GatewayError,
    GatewayNetworkError,
    GatewayRejected,
    OrderState,
    OrderStatus,
)
from cashier_app.services.gateways.config import GatewaySettings, get_secret, make_client, set_secret

__all__ = [
    "FINAL_STATES",
    "ORDER_STATES",
    "CreatedOrder",
    "GatewayClient",
    "GatewayConfigError",
    "GatewayError",
    "GatewayNetworkError",
    "GatewayRejected",
    "GatewaySettings",
    "OrderState",
    "OrderStatus",
    "get_secret",
    "make_client",
    "set_secret",
]
