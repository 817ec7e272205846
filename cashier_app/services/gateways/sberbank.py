"""Sberbank internet acquiring, REST API (``/payment/rest/*.do``).

Form-encoded POST with userName/password in the body (never in the query
string), JSON answers, amounts in kopecks, currency 643.  STANDARDS §6.1.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cashier_app.i18n import N_, tr
from cashier_app.services.gateways.base import (
    ORDER_UID_KEY,
    CreatedOrder,
    GatewayConfigError,
    GatewayNetworkError,
    GatewayRejected,
    OrderState,
    OrderStatus,
    check_amount,
    receipt_contact,
    said,
)
from cashier_app.services.gateways.transport import Transport

if TYPE_CHECKING:
    from cashier_app.domain.fiscal_receipt import Receipt

log = logging.getLogger(__name__)

CURRENCY_RUB = "643"
MAX_ORDER_NUMBER = 32
# Sber actionCode values the cashier may see, in plain words (Russian, stored; translated where shown).
ACTION_CODES_RU: dict[int, str] = {
    0: N_("Платёж проведён"),
    -2006: N_("Не пройдена проверка 3-D Secure"),
    -2007: N_("Время на оплату истекло"),
    -20010: N_("Превышен лимит платежа, установленный банком, выпустившим карту"),
    100: N_("Карта не поддерживается или операции по ней ограничены"),
    101: N_("Истёк срок действия карты"),
    107: N_("Банк, выпустивший карту, отклонил платёж"),
    111: N_("Неверный номер карты"),
    116: N_("Недостаточно средств на карте"),
    120: N_("Банк, выпустивший карту, запретил эту операцию"),
    121: N_("Превышен суточный лимит по карте"),
    151017: N_("Не пройдена проверка 3-D Secure"),
}
# orderStatus → normalised state where it does not depend on amounts.
_ORDER_STATUS: dict[int, OrderState] = {0: "pending", 1: "pending", 5: "pending", 3: "reversed"}


# Sber's codes for the receipt (register.do ``taxSystem``, ``orderBundle`` item tax and attributes).
TAX_SYSTEM_CODES = {"osn": 0, "usn_income": 1, "usn_income_outcome": 2, "esn": 4, "patent": 5}
VAT_CODES = {"none": 0, "vat0": 1, "vat10": 2, "vat110": 4, "vat20": 6, "vat120": 7, "vat5": 8, "vat7": 9,
             "vat105": 10, "vat107": 11}
PAYMENT_METHOD_CODES = {"full_prepayment": 1, "prepayment": 2, "advance": 3, "full_payment": 4}
PAYMENT_OBJECT_CODES = {"commodity": 1, "service": 4, "payment": 10, "agent_commission": 11, "another": 13}
AGENT_CODES = {"bank_paying_agent": 1, "bank_paying_subagent": 2, "paying_agent": 3, "paying_subagent": 4,
               "attorney": 5, "commission_agent": 6, "another": 7}


def _code(table: dict[str, int], value: str, what: str) -> int:
    if value not in table:
        raise GatewayConfigError(tr("Сбербанк не принимает {what} «{value}» в чеке", what=tr(what), value=value))
    return table[value]


def order_bundle(receipt: Receipt) -> dict[str, Any]:
    """The receipt as Sber's ``orderBundle`` (cart for the bank's online register, FFD 1.2).

    Per position: ``tax.taxType``, ``itemAttributes`` with ``paymentMethod`` / ``paymentObject``
    and the agent (``agent_info.*``: 1222, 1044, 1073, 1074) and supplier (``supplier_info.*``:
    1225, 1226, 1171) attributes.
    """
    kind, contact = receipt_contact(receipt)
    items = []
    for n, item in enumerate(receipt.items, start=1):
        attrs = [{"name": "paymentMethod", "value": str(_code(PAYMENT_METHOD_CODES, item.payment_method,
                                                                 N_("способ расчёта")))},
                 {"name": "paymentObject", "value": str(_code(PAYMENT_OBJECT_CODES, item.payment_object,
                                                                 N_("предмет расчёта")))}]
        if item.agent is not None:
            attrs.append({"name": "agent_info.type", "value": str(_code(AGENT_CODES, item.agent.type, N_("агента")))})
            if item.agent.operation:
                attrs.append({"name": "agent_info.paying.operation", "value": item.agent.operation})
            attrs += [{"name": "agent_info.paying.phones", "value": ph} for ph in item.agent.agent_phones]
            attrs += [{"name": "agent_info.paymentsOperator.phones", "value": ph} for ph in item.agent.operator_phones]
        if item.supplier is not None:
            attrs += [{"name": "supplier_info.name", "value": item.supplier.name},
                      {"name": "supplier_info.inn", "value": item.supplier.inn}]
            attrs += [{"name": "supplier_info.phones", "value": ph} for ph in item.supplier.phones]
        quantity = Decimal(item.quantity)
        items.append({
            "positionId": str(n), "name": item.name,
            "quantity": {"value": int(quantity) if quantity == quantity.to_integral_value() else str(quantity),
                         "measure": "шт"},  # i18n: data
            "itemAmount": item.amount_minor, "itemPrice": item.price_minor, "itemCode": str(n),
            "tax": {"taxType": _code(VAT_CODES, item.vat, N_("ставку НДС"))},
            "itemAttributes": {"attributes": attrs},
        })
    return {"customerDetails": {kind: contact}, "cartItems": {"items": items}}


def _bundle_params(receipt: Receipt | None) -> dict[str, str]:
    if receipt is None:
        return {}
    return {"orderBundle": json.dumps(order_bundle(receipt), ensure_ascii=False),
            "taxSystem": str(_code(TAX_SYSTEM_CODES, receipt.tax_system, N_("систему налогообложения"))),
            "ffdVersion": "1.2"}


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def reject_from(payload: dict[str, Any], *, operation: str) -> GatewayRejected:
    """Sber errorCode → :class:`GatewayRejected` with a cashier-friendly Russian text."""
    code = str(payload.get("errorCode", "")).strip()
    bank_msg = str(payload.get("errorMessage") or "").strip()
    low = bank_msg.lower()
    if code == "1" and operation == "register":
        return GatewayRejected(
            code, N_("Заказ с таким номером уже зарегистрирован в банке"), duplicate=True, bank_message=bank_msg
        )
    if code == "3":
        return GatewayRejected(code, N_("Банк не принимает эту валюту"), bank_message=bank_msg)
    if code == "4":
        ru, shown = said(N_("Банк не получил обязательный параметр: {what}"),
                         what=bank_msg or tr("неизвестно какой"))
        return GatewayRejected(code, ru, bank_message=bank_msg, message=shown)
    if code == "5" and ("доступ" in low or "парол" in low or "access" in low):  # i18n: data
        return GatewayRejected(
            code,
            N_("Банк не принял логин или пароль API Сбербанка — проверьте настройки шлюза"),
            bank_message=bank_msg,
        )
    if code == "6":
        return GatewayRejected(code, N_("Банк не знает такой заказ"), bank_message=bank_msg)
    if code == "7":
        ru, shown = said(N_("Банк не может выполнить операцию для заказа в текущем состоянии: {why}"), why=bank_msg)
        return GatewayRejected(code, ru, bank_message=bank_msg, message=shown)
    ru, shown = said(N_("Банк отказал: {why}"), why=bank_msg or tr("без пояснений"))
    return GatewayRejected(code or "?", ru, bank_message=bank_msg, message=shown)


def _is_error(payload: dict[str, Any]) -> bool:
    code = payload.get("errorCode")
    return code not in (None, "", "0", 0)


class SberbankClient:
    """One Sber merchant API user (``xxx-api``)."""

    provider = "sberbank"

    def __init__(
        self,
        base_url: str,
        user_name: str,
        password: str,
        *,
        verify: bool | str = True,
        connect_timeout: float = 5,
        read_timeout: float = 20,
        default_return_url: str | None = None,
        language: str = "ru",
    ) -> None:
        root = base_url.rstrip("/")
        for suffix in ("/payment/rest", "/payment"):
            root = root.removesuffix(suffix)
        self._http = Transport(
            root,
            verify=verify,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            provider="sberbank",
        )
        self.user_name = user_name
        self._password = password
        # Sber requires returnUrl.  The office's page (settings ``gateway.return_url``) is passed per order;
        # this last resort is used only when the office has chosen none.
        self.default_return_url = default_return_url or f"{root}/"
        self.language = language

    def __repr__(self) -> str:  # never show the password
        return f"SberbankClient({self._http.base_url!r}, user={self.user_name!r})"

    # -- plumbing -------------------------------------------------------------------------------

    def _call(self, method: str, params: dict[str, str], operation: str) -> dict[str, Any]:
        data = {"userName": self.user_name, "password": self._password, **params}
        return self._http.post_form(f"/payment/rest/{method}", data, operation)

    # -- GatewayClient ------------------------------------------------------------------------

    def create_order(
        self,
        order_number: str,
        amount_kopecks: int,
        description: str,
        return_url: str | None = None,
        timeout_secs: int = 1200,
        order_uid: str | None = None,
        *,
        receipt: Receipt | None = None,
    ) -> CreatedOrder:
        check_amount(amount_kopecks)
        if not order_number or len(order_number) > MAX_ORDER_NUMBER:
            raise GatewayConfigError(tr("Номер заказа для Сбербанка — от 1 до {n} символов", n=MAX_ORDER_NUMBER))
        url = return_url or self.default_return_url
        params = {
            "orderNumber": order_number,
            "amount": str(amount_kopecks),
            "currency": CURRENCY_RUB,
            "returnUrl": url,
            "failUrl": url,
            "description": description[:512],
            "language": self.language,
            "sessionTimeoutSecs": str(int(timeout_secs)),
        }
        if order_uid:
            # Echoed back by getOrderStatusExtended as merchantOrderParams: proves the order is ours.
            params["jsonParams"] = json.dumps({ORDER_UID_KEY: order_uid})
        params.update(_bundle_params(receipt))  # the bank's online register makes the sell receipt
        payload = self._call("register.do", params, "register")
        if _is_error(payload):
            raise reject_from(payload, operation="register")
        order_id, form_url = payload.get("orderId"), payload.get("formUrl")
        if not order_id or not form_url:
            # An answer without an id is not an answer: the order may exist, recover by number.
            raise GatewayNetworkError(
                N_("Банк прислал неполный ответ; проверьте статус заказа"), operation="register"
            )
        return CreatedOrder(bank_order_id=str(order_id), payment_url=str(form_url), raw_status="0")

    def _status_payload(self, order_number: str, bank_order_id: str | None) -> dict[str, Any] | None:
        params = {"language": self.language}
        if bank_order_id:
            params["orderId"] = bank_order_id
        else:
            params["orderNumber"] = order_number
        payload = self._call("getOrderStatusExtended.do", params, "status")
        if _is_error(payload):
            if str(payload.get("errorCode")) == "6":
                return None  # «Заказ не найден»: a fact, not a failure
            raise reject_from(payload, operation="status")
        if "orderStatus" not in payload:
            raise GatewayNetworkError(N_("Банк прислал неполный ответ о статусе заказа"), operation="status")
        return payload

    def status(self, order_number: str, bank_order_id: str | None) -> OrderStatus:
        payload = self._status_payload(order_number, bank_order_id)
        if payload is None:
            return OrderStatus(
                state="unknown_order",
                amount_kopecks=None,
                bank_order_id=bank_order_id,
                reason_text_ru=N_("Банк не знает такой заказ"),
            )
        if str(payload.get("orderNumber", order_number)) != order_number:
            # An orderId of another order must never credit this one.
            raise GatewayRejected("order", N_("Заказ банка относится к другому номеру заказа"))
        return parse_status(payload, bank_order_id)

    def find_order(self, order_number: str) -> CreatedOrder | None:
        payload = self._status_payload(order_number, None)
        if payload is None:
            return None
        st = parse_status(payload, None)
        # getOrderStatusExtended does not return formUrl; the page of a recovered order
        # cannot be rebuilt, so the caller cancels it or waits for its final state.
        return CreatedOrder(
            bank_order_id=st.bank_order_id,
            payment_url=None,
            raw_status=str(payload["orderStatus"]),
            amount_kopecks=st.amount_kopecks,
            order_uid=st.order_uid,
        )

    def _resolve(self, order_number: str, bank_order_id: str | None) -> OrderStatus:
        st = self.status(order_number, bank_order_id)
        if st.state == "unknown_order" or not st.bank_order_id:
            raise GatewayRejected("6", N_("Банк не знает такой заказ"))
        return st

    def cancel(
        self,
        order_number: str,
        bank_order_id: str | None,
        amount_kopecks: int | None,
        idempotency_key: str,
        *,
        receipt: Receipt | None = None,
    ) -> OrderStatus:
        # A reversal cancels the authorisation: no money was taken, so the bank's register made no
        # receipt to return (``receipt`` is accepted for the interface and not sent).
        # Sber has no idempotency key for reverse/decline; asking the state first makes a
        # repeated cancel a no-op instead of an error.
        st = self._resolve(order_number, bank_order_id)
        oid = st.bank_order_id or ""
        if st.state in ("reversed", "declined", "expired"):
            return st
        if st.raw_status == "0":
            # Unpaid: decline.do makes the payment page unusable (a late payment would be unbooked money).
            # merchantLogin is optional («the merchant for which to decline»): without it the API user's own
            # merchant is meant.  It cannot be derived from the user name, so it is never guessed.
            params = {"orderId": oid, "language": self.language}
            payload = self._call("decline.do", params, "decline")
        elif st.raw_status in ("1", "2"):
            if amount_kopecks is not None and amount_kopecks != st.amount_kopecks:
                raise GatewayRejected(
                    "partial", N_("Сбербанк отменяет платёж только целиком; для части сделайте возврат")
                )
            payload = self._call("reverse.do", {"orderId": oid, "language": self.language}, "reverse")
        else:
            raise GatewayRejected("7", N_("Заказ нельзя отменить в текущем состоянии; используйте возврат"))
        if _is_error(payload):
            raise reject_from(payload, operation="cancel")
        return self.status(order_number, oid)

    def refund(
        self,
        order_number: str,
        bank_order_id: str | None,
        amount_kopecks: int,
        idempotency_key: str,
        *,
        receipt: Receipt | None = None,
    ) -> OrderStatus:
        check_amount(amount_kopecks)
        # refund.do has no idempotency key: after a GatewayNetworkError the caller must compare
        # status().refunded_kopecks with what it expected before repeating the refund.
        oid = bank_order_id or self._resolve(order_number, None).bank_order_id or ""
        params = {"orderId": oid, "amount": str(amount_kopecks), "language": self.language}
        if receipt is not None:
            params["orderBundle"] = json.dumps(order_bundle(receipt), ensure_ascii=False)  # the return receipt
        payload = self._call("refund.do", params, "refund")
        if _is_error(payload):
            raise reject_from(payload, operation="refund")
        return self.status(order_number, oid)


def parse_status(payload: dict[str, Any], bank_order_id: str | None) -> OrderStatus:
    """getOrderStatusExtended answer → :class:`OrderStatus` (paid = orderStatus 2 and deposited == amount)."""
    order_status = _int(payload.get("orderStatus"), -1)
    amount = _int(payload.get("amount"))
    info = payload.get("paymentAmountInfo") or {}
    approved = _int(info.get("approvedAmount"))
    deposited = _int(info.get("depositedAmount"))
    refunded = _int(info.get("refundedAmount"))
    card = payload.get("cardAuthInfo") or {}
    mask = card.get("maskedPan") or card.get("pan") or None
    action = payload.get("actionCode")
    action_int = _int(action, 0) if action not in (None, "") else None
    if not bank_order_id:
        for attr in payload.get("attributes") or []:
            if isinstance(attr, dict) and attr.get("name") == "mdOrder":
                bank_order_id = str(attr.get("value"))
    # Russian, stored on the payment; card_orders.shown() translates the fixed ones for the screen.
    reason_text: str | None = None
    state: OrderState
    if order_status == 2:
        if refunded > 0:
            state = "partially_refunded"
        elif deposited == amount:
            state = "paid"
        else:
            state = "pending"
            reason_text = N_("Списана не вся сумма заказа — проверьте заказ в личном кабинете банка")
    elif order_status == 4:
        state = "refunded" if refunded >= (deposited or amount) else "partially_refunded"
    elif order_status == 6:
        state = "expired" if action_int == -2007 else "declined"
    elif order_status in _ORDER_STATUS:
        state = _ORDER_STATUS[order_status]
        if order_status == 5:
            reason_text = N_("Покупатель проходит проверку 3-D Secure")
        elif order_status == 1:
            reason_text = N_("Сумма заблокирована на карте, ждём списания")
        elif order_status == 3 and deposited == 0 and approved == 0:
            # decline.do leaves an unpaid order Reversed (status 3) as the docs define it: no money moved.
            reason_text = N_("Заказ отменён до оплаты")
    else:
        # An unknown status must never look final: keep polling.
        state = "pending"
        reason_text = f"Неизвестный статус заказа {order_status}"  # i18n: data
    if state in ("declined", "expired"):
        if action_int in (None, 0):
            # Status 6 without a decline code: the merchant cancelled the order (decline.do).
            reason_text = str(payload.get("actionCodeDescription") or N_("Заказ отменён до оплаты"))
        else:
            reason_text = ACTION_CODES_RU.get(action_int) or str(
                payload.get("actionCodeDescription") or f"Платёж отклонён (код {action_int})"  # i18n: data
            )
    return OrderStatus(
        state=state,
        amount_kopecks=amount,
        approved_kopecks=approved,
        deposited_kopecks=deposited,
        refunded_kopecks=refunded,
        card_mask=mask,
        bank_order_id=bank_order_id,
        reason_code=str(action_int) if action_int not in (None, 0) else None,
        reason_text_ru=reason_text,
        raw_status=str(order_status),
        order_uid=_order_uid(payload),
    )


def _order_uid(payload: dict[str, Any]) -> str | None:
    """Our identity from ``merchantOrderParams`` (the jsonParams sent at register), or None."""
    for item in payload.get("merchantOrderParams") or []:
        if isinstance(item, dict) and item.get("name") == ORDER_UID_KEY and item.get("value"):
            return str(item["value"])
    return None
