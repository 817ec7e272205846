"""ChronoPay hosted payment page (STANDARDS §6.3).

Only a signed GET link exists: ``sign = md5(product_id-product_price-order_id-sharedSec)``.
ChronoPay documents no status method, so :meth:`status` answers ``manual``:
a person confirms the payment from the bank statement.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from cashier_app.domain.money import to_decimal
from cashier_app.i18n import N_
from cashier_app.services.gateways.base import (
    CreatedOrder,
    GatewayRejected,
    OrderStatus,
    check_amount,
)

DEFAULT_URL = "https://payments.chronopay.com/"
# Russian, as stored on the payment; GatewayRejected and card_orders.shown() translate the texts for the screen.
MANUAL_TEXT_RU = N_("ChronoPay не сообщает статус оплаты: подтвердите платёж по выписке банка")


def chronopay_price(amount_kopecks: int) -> str:
    """Kopecks → ``1234.50`` (exact, via Decimal: the same text goes into the signature)."""
    return format(to_decimal(amount_kopecks), "f")


def chronopay_sign(product_id: str, product_price: str, order_id: str, shared_sec: str) -> str:
    return hashlib.md5(f"{product_id}-{product_price}-{order_id}-{shared_sec}".encode()).hexdigest()


class ChronoPayClient:
    provider = "chronopay"

    def __init__(
        self,
        base_url: str | None,
        product_id: str,
        shared_sec: str,
        *,
        success_url: str | None = None,
        decline_url: str | None = None,
        cb_url: str | None = None,
    ) -> None:
        self.base_url = base_url or DEFAULT_URL
        self.product_id = product_id
        self._shared_sec = shared_sec
        self.success_url = success_url
        self.decline_url = decline_url
        self.cb_url = cb_url

    def __repr__(self) -> str:
        return f"ChronoPayClient({self.base_url!r}, product_id={self.product_id!r})"

    def payment_url(self, order_number: str, amount_kopecks: int, return_url: str | None = None) -> str:
        price = chronopay_price(amount_kopecks)
        query: dict[str, str] = {
            "product_id": self.product_id,
            "product_price": price,
            "order_id": order_number,
        }
        success = return_url or self.success_url
        decline = return_url or self.decline_url
        if success:
            query["success_url"] = success
        if decline:
            query["decline_url"] = decline
        if self.cb_url:
            query["cb_url"] = self.cb_url
        query["sign"] = chronopay_sign(self.product_id, price, order_number, self._shared_sec)
        sep = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{sep}{urlencode(query)}"

    def create_order(
        self,
        order_number: str,
        amount_kopecks: int,
        description: str,
        return_url: str | None = None,
        timeout_secs: int = 1200,
        order_uid: str | None = None,  # unused: ChronoPay has no status method that could return it
    ) -> CreatedOrder:
        check_amount(amount_kopecks)
        # Nothing is sent anywhere: the link itself is the order, so it can never be "lost".
        return CreatedOrder(
            bank_order_id=None,
            payment_url=self.payment_url(order_number, amount_kopecks, return_url),
            raw_status="manual",
        )

    def status(self, order_number: str, bank_order_id: str | None) -> OrderStatus:
        return OrderStatus(
            state="manual", amount_kopecks=None, reason_text_ru=MANUAL_TEXT_RU, raw_status="manual"
        )

    def find_order(self, order_number: str) -> CreatedOrder | None:
        return None  # no lookup method exists; create_order never talks to the network anyway

    def cancel(
        self, order_number: str, bank_order_id: str | None, amount_kopecks: int | None, idempotency_key: str
    ) -> OrderStatus:
        raise GatewayRejected(
            "unsupported", N_("Отмена платежа ChronoPay выполняется в личном кабинете ChronoPay")
        )

    def refund(
        self, order_number: str, bank_order_id: str | None, amount_kopecks: int, idempotency_key: str
    ) -> OrderStatus:
        raise GatewayRejected(
            "unsupported", N_("Возврат платежа ChronoPay выполняется в личном кабинете ChronoPay")
        )
