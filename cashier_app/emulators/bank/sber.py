"""The sandbox's Sberbank REST protocol (``/payment/rest/*.do``): register, status, reverse, refund, decline."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cashier_app.emulators.bank.core import ApiAnswer, BankCore
from cashier_app.emulators.bank.store import (
    CANCELED,
    DECLINED,
    EXPIRED,
    MSK,
    NEW,
    PAID,
    REASON_TEXT_RU,
    REFUNDED,
    REFUNDING,
    REVERSED,
    THREE_DS,
)

SBER_PAGE = "/payment/merchants/sandbox/payment_ru.html"

# Decline reasons in Sber actionCode (BPC/RBS list).
SBER_ACTION = {
    "declined": 107,
    "insufficient": 116,
    "limit": 121,
    "3ds_failed": -2006,
    "unsupported": 100,
    "expired_card": 101,
    "session_expired": -2007,
    "merchant_cancel": 0,
}


class SberApi(BankCore):
    """Sber's API methods; mixed into ``sandbox.SandboxBank``."""

    def _sber_err(self, code: int, message: str) -> ApiAnswer:
        return ApiAnswer({"errorCode": str(code), "errorMessage": message})

    def _sber_auth(self, p: dict[str, str]) -> str:
        user, password = p.get("userName", ""), p.get("password", "")
        if not user or not password or user != self.creds.sber_user or password != self.creds.sber_password:
            raise self._sber_err(5, "Доступ запрещён.")
        return user

    def _sber_order(self, merchant: str, p: dict[str, str]) -> dict[str, Any]:
        order: dict[str, Any] | None = None
        if p.get("orderId"):
            order = self.store.get(p["orderId"])
            if order is not None and (order["bank"] != "sberbank" or order["merchant"] != merchant):
                order = None
        elif p.get("orderNumber"):
            order = self.store.find("sberbank", merchant, p["orderNumber"])
        else:
            raise self._sber_err(4, "Номер заказа не может быть пуст")
        if order is None:
            raise self._sber_err(6, "Заказ не найден")
        return order

    def sber(self, method: str, p: dict[str, str], public_base: str) -> dict[str, Any]:
        merchant = self._sber_auth(p)
        if method == "register.do":
            return self._sber_register(merchant, p, public_base)
        if method in ("getOrderStatusExtended.do", "getOrderStatus.do"):
            order = self._sber_order(merchant, p)
            return self.sber_status(order, legacy=method == "getOrderStatus.do")
        if method == "reverse.do":
            return self._sber_reverse(merchant, p)
        if method == "refund.do":
            return self._sber_refund(merchant, p)
        if method == "decline.do":
            return self._sber_decline(merchant, p)
        raise self._sber_err(7, "Метод не поддерживается")

    def _sber_register(self, merchant: str, p: dict[str, str], public_base: str) -> dict[str, Any]:
        number = p.get("orderNumber", "")
        if not number:
            raise self._sber_err(4, "Номер заказа не может быть пуст")
        if len(number) > 32:
            raise self._sber_err(5, "Неверный номер заказа: длина больше 32 символов")
        if not p.get("amount"):
            raise self._sber_err(4, "Сумма не может быть пустой")
        if not p["amount"].isdigit() or int(p["amount"]) <= 0:
            raise self._sber_err(5, "Неверная сумма")
        if p.get("currency", "643") != "643":
            raise self._sber_err(3, "Неизвестная валюта")
        if not p.get("returnUrl"):
            raise self._sber_err(4, "URL возврата не может быть пуст")
        merchant_params = self._sber_json_params(p.get("jsonParams"))
        receipt = self._sber_bundle(p, int(p["amount"]))
        now = self.store.now()
        expires = now + 1200
        if p.get("sessionTimeoutSecs"):
            if not p["sessionTimeoutSecs"].isdigit():
                raise self._sber_err(5, "Неверное значение параметра sessionTimeoutSecs")
            expires = now + int(p["sessionTimeoutSecs"])
        if p.get("expirationDate"):
            try:
                exp = datetime.strptime(p["expirationDate"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=MSK)
            except ValueError:
                raise self._sber_err(5, "Неверный формат expirationDate") from None
            exp_ts = exp.timestamp() + self.store.clock_offset()  # real-clock date → sandbox clock
            expires = min(expires, exp_ts) if p.get("sessionTimeoutSecs") else exp_ts
        order = self.store.create(
            bank="sberbank",
            merchant=merchant,
            order_number=number,
            amount=int(p["amount"]),
            description=p.get("description", ""),
            return_url=p["returnUrl"],
            fail_url=p.get("failUrl"),
            expires_at=expires,
            currency=p.get("currency", "643"),
            params=merchant_params,
            receipt=receipt,
        )
        if order is None:
            raise self._sber_err(1, "Заказ с таким номером уже обработан")
        return {"orderId": order["id"], "formUrl": f"{public_base}{SBER_PAGE}?mdOrder={order['id']}"}

    def _sber_bundle(self, p: dict[str, str], amount: int) -> dict[str, Any] | None:
        """``orderBundle`` (the cart for the bank's online register): its sums and agent/supplier attributes.

        Kept on the order as ``{"orderBundle": …, "taxSystem": …}`` for ``/_control/orders``.
        """
        raw = p.get("orderBundle")
        if not raw:
            return None
        try:
            bundle = json.loads(raw)
        except ValueError:
            raise self._sber_err(5, "Неверный формат orderBundle") from None
        items = ((bundle.get("cartItems") or {}).get("items") if isinstance(bundle, dict) else None)
        if not isinstance(items, list) or not items:
            raise self._sber_err(4, "Не указаны позиции корзины (cartItems.items)")
        details = bundle.get("customerDetails") or {}
        if not isinstance(details, dict) or not (details.get("email") or details.get("phone")):
            raise self._sber_err(4, "Не указан e-mail или телефон покупателя (customerDetails) для чека")
        if p.get("taxSystem", "") not in ("0", "1", "2", "3", "4", "5"):
            raise self._sber_err(5, "Неверное значение taxSystem")
        total = 0
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not isinstance(item.get("itemAmount"), int):
                raise self._sber_err(5, f"Позиция {n}: не указана сумма itemAmount")
            quantity = (item.get("quantity") or {}).get("value")
            if not isinstance(item.get("itemPrice"), int) or not isinstance(quantity, int) \
                    or item["itemPrice"] * quantity != item["itemAmount"]:
                raise self._sber_err(5, f"Позиция {n}: itemAmount ≠ itemPrice × quantity")
            if not isinstance((item.get("tax") or {}).get("taxType"), int):
                raise self._sber_err(4, f"Позиция {n}: не указана ставка НДС (tax.taxType)")
            attrs = {a.get("name"): a.get("value") for a in ((item.get("itemAttributes") or {}).get("attributes") or [])
                     if isinstance(a, dict)}
            for name in ("paymentMethod", "paymentObject"):
                if not attrs.get(name):
                    raise self._sber_err(4, f"Позиция {n}: не указан атрибут {name}")
            if attrs.get("agent_info.type"):
                # FFD 1.2: an agent's position carries its supplier (1224–1226, 1171).
                for name in ("supplier_info.name", "supplier_info.inn", "supplier_info.phones"):
                    if not attrs.get(name):
                        raise self._sber_err(4, f"Позиция {n}: для агента нужен атрибут {name}")
                if attrs["agent_info.type"] in ("3", "4") and not (
                        attrs.get("agent_info.paying.phones") and attrs.get("agent_info.paymentsOperator.phones")):
                    raise self._sber_err(4, f"Позиция {n}: платёжному агенту нужны телефоны агента и оператора")
            total += item["itemAmount"]
        if total != amount:
            raise self._sber_err(5, f"Сумма позиций корзины {total} не равна сумме заказа {amount}")
        return {"orderBundle": bundle, "taxSystem": p.get("taxSystem")}

    def _sber_json_params(self, raw: str | None) -> dict[str, str]:
        """``jsonParams``: a JSON object of strings, kept and returned as ``merchantOrderParams``."""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise self._sber_err(5, "Неверный формат jsonParams") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise self._sber_err(5, "Неверный формат jsonParams")
        return {str(k): v for k, v in data.items()}

    def sber_status(self, order: dict[str, Any], legacy: bool = False) -> dict[str, Any]:
        status = order["status"]
        order_status = {
            NEW: 0,
            THREE_DS: 5,
            PAID: 2,
            DECLINED: 6,
            EXPIRED: 6,
            REVERSED: 3,
            REFUNDED: 4,
            REFUNDING: 4,
            CANCELED: 3,  # decline.do: «the order is transferred to the Reversed state»
        }[status]
        reason = order["reason"]
        action = SBER_ACTION.get(reason, 0) if reason else 0
        action_text = REASON_TEXT_RU.get(reason, "") if reason else ("Успешно" if status == PAID else "")
        if legacy:
            return {
                "ErrorCode": "0",
                "ErrorMessage": "Успешно",
                "OrderStatus": order_status,
                "OrderNumber": order["order_number"],
                "Amount": order["amount"],
                "currency": order["currency"],
            }
        payment_state = {
            NEW: "CREATED",
            THREE_DS: "STARTED",
            PAID: "DEPOSITED",
            DECLINED: "DECLINED",
            EXPIRED: "DECLINED",
            REVERSED: "REVERSED",
            REFUNDED: "REFUNDED",
            REFUNDING: "REFUNDED",
            CANCELED: "REVERSED",
        }[status]
        answer: dict[str, Any] = {
            "errorCode": "0",
            "errorMessage": "Успешно",
            "orderNumber": order["order_number"],
            "orderStatus": order_status,
            "actionCode": action,
            "actionCodeDescription": action_text,
            "amount": order["amount"],
            "currency": order["currency"],
            "date": int(order["created_at"] * 1000),
            "orderDescription": order["description"],
            "merchantOrderParams": [{"name": k, "value": v} for k, v in (order.get("params") or {}).items()],
            "attributes": [{"name": "mdOrder", "value": order["id"]}],
            "paymentAmountInfo": {
                "paymentState": payment_state,
                "approvedAmount": order["approved"],
                "depositedAmount": order["deposited"],
                "refundedAmount": order["refunded"],
            },
            "bankInfo": {"bankName": "SANDBOX", "bankCountryCode": "RU", "bankCountryName": "Россия"},
        }
        if order["card_mask"]:
            # Sber masks as 6 digits, two stars, 4 digits.
            short = order["card_mask"][:6] + "**" + order["card_mask"][-4:]
            answer["cardAuthInfo"] = {"maskedPan": short, "pan": short, "cardholderName": "CARDHOLDER"}
        return answer

    def _sber_reverse(self, merchant: str, p: dict[str, str]) -> dict[str, Any]:
        with self.store.lock():
            order = self._sber_order(merchant, p)
            if order["status"] != PAID or order["refunded"]:
                raise self._sber_err(7, "Операция невозможна для текущего состояния платежа")
            if p.get("amount") and p["amount"] != str(order["amount"]):
                raise self._sber_err(7, "Частичная отмена недоступна; используйте возврат")
            self.store.update(order["id"], status=REVERSED, deposited=0)
        return {"errorCode": "0", "errorMessage": "Успешно"}

    def _sber_refund(self, merchant: str, p: dict[str, str]) -> dict[str, Any]:
        if not p.get("amount"):
            raise self._sber_err(4, "Сумма возврата не может быть пустой")
        with self.store.lock():
            order = self._sber_order(merchant, p)
            if order["status"] not in (PAID, REFUNDED):
                raise self._sber_err(7, "Платёж должен быть в корректном состоянии")
            if not p["amount"].isdigit():
                raise self._sber_err(5, "Неверная сумма")
            left = order["deposited"] - order["refunded"]
            amount = int(p["amount"]) or left  # 0 = everything that is left
            if amount > left or left <= 0:
                raise self._sber_err(7, "Сумма возврата превышает сумму списания")
            if p.get("orderBundle"):
                receipt = self._sber_bundle({**p, "taxSystem": p.get("taxSystem", "0")}, amount)
                if receipt is not None:
                    self.store.add_refund_receipt(order["id"], receipt)
            self.store.update(order["id"], status=REFUNDED, refunded=order["refunded"] + amount)
        return {"errorCode": "0", "errorMessage": "Успешно"}

    def _sber_decline(self, merchant: str, p: dict[str, str]) -> dict[str, Any]:
        # merchantLogin is optional; when given it must name this merchant (a guessed one is refused).
        if p.get("merchantLogin") and p["merchantLogin"] != self.creds.sber_merchant_login:
            raise self._sber_err(5, f"Неверный merchantLogin «{p['merchantLogin'][:40]}»")
        with self.store.lock():
            order = self._sber_order(merchant, p)
            if order["status"] not in (NEW, THREE_DS):
                raise self._sber_err(7, "Операция невозможна для текущего состояния заказа")
            self.store.update(order["id"], status=CANCELED, reason="merchant_cancel")
        return {"errorCode": "0", "errorMessage": "Успешно"}
