"""T-Bank (Tinkoff) internet acquiring API v2: Init, GetState, CheckOrder, Cancel.

JSON POST signed with ``Token`` (STANDARDS §6.2).  The terminal Password only
enters the hash; it is never sent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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

MAX_ORDER_ID = 36
MAX_DESCRIPTION = 140

DUPLICATE_CODES = frozenset({"20", "623"})
NOT_FOUND_CODES = frozenset({"255", "914", "325", "63", "335", "407"})
# Russian, as stored on the payment; GatewayRejected and card_orders.shown() translate them for the screen.
_CODE_TEXT_RU: dict[str, str] = {
    "2": N_("Банк не получил обязательный параметр"),
    "203": N_("Банк не получил обязательный параметр"),
    "202": N_("Терминал заблокирован — обратитесь в Т-Банк"),
    "204": N_("Неверная подпись запроса: проверьте TerminalKey и пароль терминала Т-Банка"),
    "205": N_("Терминал не найден: проверьте TerminalKey Т-Банка"),
    "501": N_("Терминал не найден: проверьте TerminalKey Т-Банка"),
    "331": N_("Неверный терминал Т-Банка"),
    "4": N_("Операция невозможна в текущем статусе платежа"),
    "8": N_("Операция невозможна в текущем статусе платежа"),
    "12": N_("Неверный срок оплаты (RedirectDueDate)"),
    "3017": N_("Неверный срок оплаты (RedirectDueDate)"),
    "101": N_("Не пройдена проверка 3-D Secure"),
    "511": N_("Не пройдена проверка 3-D Secure"),
    "2014": N_("Не пройдена проверка 3-D Secure"),
    "103": N_("Недостаточно средств на карте"),
    "116": N_("Недостаточно средств на карте"),
    "1051": N_("Недостаточно средств на карте"),
    "1202": N_("Сумма превышает лимит разовой операции магазина"),
    "1203": N_("Сумма превышает лимит разовой операции магазина"),
    "1204": N_("Достигнут суточный лимит оборота магазина"),
    "1013": N_("Сумма превышает лимит по карте покупателя"),
    "1019": N_("Сумма превышает лимит по карте покупателя"),
    "1061": N_("Покупатель превысил лимит платежей по своей карте"),
    "1065": N_("Покупатель превысил лимит платежей по своей карте"),
    "1075": N_("Покупатель превысил лимит платежей по своей карте за день"),
    "1005": N_("Банк, выпустивший карту, отклонил платёж"),
    "1006": N_("Платёж не прошёл — покупателю нужно обратиться в свой банк"),
    "1014": N_("Карта недействительна"),
    "1015": N_("Неверный номер карты"),
    "1033": N_("Истёк срок действия карты"),
    "1054": N_("Истёк срок действия карты"),
    "1078": N_("Карта не поддерживается"),
    "1082": N_("Неверный CVC"),
    "323": N_("Сумма не совпадает с суммой платежа"),
    "326": N_("Неверная сумма"),
    "330": N_("Сумма больше суммы платежа"),
    "3": N_("Внутренняя ошибка банка"),
    "9999": N_("Внутренняя ошибка банка"),
}
# Status → normalised state.  In-flight states map to where they are going.
STATUS_MAP: dict[str, OrderState] = {
    "NEW": "pending",
    "FORM_SHOWED": "pending",
    "AUTHORIZING": "pending",
    "3DS_CHECKING": "pending",
    "3DS_CHECKED": "pending",
    "AUTHORIZED": "pending",  # a hold on a one-stage terminal becomes CONFIRMED shortly
    "CONFIRMING": "pending",
    "PAY_CHECKING": "pending",
    "CONFIRMED": "paid",
    # The spec: Cancel may answer REVERSING/REFUNDING «while processing continues»; ASYNC_REFUNDING is an
    # SBP refund being processed.  None of them is final, none means the money is back yet.
    "REVERSING": "refunding",
    "REFUNDING": "refunding",
    "ASYNC_REFUNDING": "refunding",
    "PARTIAL_REVERSED": "reversed",
    "REVERSED": "reversed",
    "PARTIAL_REFUNDED": "partially_refunded",
    "REFUNDED": "refunded",
    "CANCELED": "declined",  # cancelled before payment: no money moved
    "DEADLINE_EXPIRED": "expired",
    "ATTEMPTS_EXPIRED": "expired",  # «Клиент превысил количество попыток открытия формы»: final, unpaid
    "REJECTED": "declined",
    "AUTH_FAIL": "declined",
}
IN_PROGRESS = frozenset({"REVERSING", "REFUNDING", "ASYNC_REFUNDING"})
_PAID_LIKE = ("CONFIRMED", "PARTIAL_REFUNDED", "REFUNDED", "AUTHORIZED", "PARTIAL_REVERSED", "REVERSED",
              *sorted(IN_PROGRESS))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass; the bank wants "true"
        return "true" if value else "false"
    if isinstance(value, float):
        raise TypeError("floats are not signed; amounts are int kopecks")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def make_token(params: Mapping[str, Any], password: str) -> str:
    """T-Bank request signature: root scalars + Password, sorted by key, values joined, SHA-256 hex."""
    pairs = {
        key: _scalar(value)
        for key, value in params.items()
        if key != "Token" and value is not None and not isinstance(value, (dict, list, tuple))
    }
    pairs["Password"] = password
    joined = "".join(pairs[key] for key in sorted(pairs))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def verify_token(params: Mapping[str, Any], password: str) -> bool:
    """Check the Token of an incoming message (notification, or a request in the sandbox)."""
    given = params.get("Token")
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(make_token(params, password), given.lower())


# FFD 1.2 (tag 2108): the unit of a service sold per piece; T-Bank takes «шт» or free text.
MEASUREMENT_UNIT = "шт"  # i18n: data


def _quantity(text: str) -> int | float:
    # Quantity is a count, not money: the spec's number type; a whole count goes as an integer.
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    """The receipt as T-Bank's ``Receipt`` (FFD 1.2, OpenAPI 1.80 ``Receipt_FFD_12``): amounts in kopecks.

    The agent sign and data (1222, 1044, 1073, 1074) and the supplier (1224–1226, 1171) go on
    every item, as FFD 1.2 wants them per position.
    """
    kind, contact = receipt_contact(receipt)
    items = []
    for item in receipt.items:
        row: dict[str, Any] = {
            "Name": item.name, "Price": item.price_minor, "Quantity": _quantity(item.quantity),
            "Amount": item.amount_minor, "Tax": item.vat, "PaymentMethod": item.payment_method,
            "PaymentObject": item.payment_object, "MeasurementUnit": MEASUREMENT_UNIT,
        }
        if item.agent is not None:
            agent: dict[str, Any] = {"AgentSign": item.agent.type}
            if item.agent.operation:
                agent["OperationName"] = item.agent.operation
            if item.agent.agent_phones:
                agent["Phones"] = list(item.agent.agent_phones)
            if item.agent.operator_phones:
                agent["ReceiverPhones"] = list(item.agent.operator_phones)
            row["AgentData"] = agent
        if item.supplier is not None:
            supplier: dict[str, Any] = {"Name": item.supplier.name, "Inn": item.supplier.inn}
            if item.supplier.phones:
                supplier["Phones"] = list(item.supplier.phones)
            row["SupplierInfo"] = supplier
        items.append(row)
    out: dict[str, Any] = {"FfdVersion": "1.2", "Taxation": receipt.tax_system, "Items": items,
                           "Payments": {"Electronic": receipt.total_minor}}
    out["Email" if kind == "email" else "Phone"] = contact
    return out


def reject_from(payload: Mapping[str, Any]) -> GatewayRejected:
    code = str(payload.get("ErrorCode", "")).strip() or "?"
    bank_msg = " ".join(str(payload.get(k) or "") for k in ("Message", "Details")).strip()
    if code in DUPLICATE_CODES:
        return GatewayRejected(
            code, N_("Заказ с таким номером уже зарегистрирован в банке"), duplicate=True, bank_message=bank_msg
        )
    if code in NOT_FOUND_CODES:
        return GatewayRejected(code, N_("Банк не знает такой платёж"), bank_message=bank_msg)
    text = _CODE_TEXT_RU.get(code)
    if text and code in ("2", "203") and payload.get("Details"):
        details = str(payload.get("Details"))
        return GatewayRejected(code, f"{text}: {details}", bank_message=bank_msg, message=f"{tr(text)}: {details}")
    if text:
        return GatewayRejected(code, text, bank_message=bank_msg)
    ru, shown = said(N_("Банк отказал: {why}"), why=bank_msg or tr("без пояснений"))
    return GatewayRejected(code, ru, bank_message=bank_msg, message=shown)


def reason_text(code: str | None, bank_message: str | None) -> str | None:
    if not code or code == "0":
        return bank_message or None
    return _CODE_TEXT_RU.get(code) or bank_message or f"Платёж отклонён (код {code})"  # i18n: data


class TBankClient:
    """One T-Bank terminal."""

    provider = "tbank"

    def __init__(
        self,
        base_url: str,
        terminal_key: str,
        password: str,
        *,
        verify: bool | str = True,
        connect_timeout: float = 5,
        read_timeout: float = 20,
        language: str = "ru",
    ) -> None:
        root = base_url.rstrip("/")
        if not root.endswith("/v2"):
            root += "/v2"
        self._http = Transport(
            root, verify=verify, connect_timeout=connect_timeout, read_timeout=read_timeout, provider="tbank"
        )
        self.terminal_key = terminal_key
        self._password = password
        self.language = language

    def __repr__(self) -> str:  # never show the password
        return f"TBankClient({self._http.base_url!r}, terminal={self.terminal_key!r})"

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"TerminalKey": self.terminal_key, **params}
        body["Token"] = make_token(body, self._password)
        return self._http.post_json(method, body, method)

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
        if not order_number or len(order_number) > MAX_ORDER_ID:
            raise GatewayConfigError(tr("Номер заказа для Т-Банка — от 1 до {n} символов", n=MAX_ORDER_ID))
        # Without RedirectDueDate the link lives 24 h: a customer could pay long after the cashier gave up.
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=int(timeout_secs))
        params: dict[str, Any] = {
            "Amount": amount_kopecks,
            "OrderId": order_number,
            "Description": description[:MAX_DESCRIPTION],
            "Language": self.language,
            "PayType": "O",  # one stage: CONFIRMED means the money is taken
            "RedirectDueDate": due.isoformat(),
        }
        if return_url:
            params["SuccessURL"] = return_url
            params["FailURL"] = return_url
        if order_uid:
            # DATA is not signed (nested) and GetState/CheckOrder never return it (OpenAPI 1.80): it marks
            # the order in the bank's cabinet and notifications; the OrderId itself carries the identity.
            params["DATA"] = {ORDER_UID_KEY: order_uid}
        if receipt is not None:
            # The bank's online register makes the sell receipt (a terminal with it on refuses Init
            # without one: 309).  Nested, so not signed — like DATA.
            params["Receipt"] = receipt_json(receipt)
        payload = self._call("Init", params)
        if not payload.get("Success"):
            raise reject_from(payload)
        payment_id, url = payload.get("PaymentId"), payload.get("PaymentURL")
        if not payment_id:
            raise GatewayNetworkError(
                N_("Банк прислал неполный ответ; проверьте статус заказа"), operation="Init"
            )
        return CreatedOrder(
            bank_order_id=str(payment_id), payment_url=url, raw_status=str(payload.get("Status", ""))
        )

    def check_order(self, order_number: str) -> list[dict[str, Any]]:
        """All payments the bank has for this OrderId (empty if none)."""
        payload = self._call("CheckOrder", {"OrderId": order_number})
        if not payload.get("Success"):
            if str(payload.get("ErrorCode")) in NOT_FOUND_CODES:
                return []
            raise reject_from(payload)
        payments = payload.get("Payments") or []
        return [p for p in payments if isinstance(p, dict)]

    @staticmethod
    def _pick(payments: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The payment that matters: one that took money, else the newest."""
        if not payments:
            return None
        for p in payments:
            if str(p.get("Status")) in _PAID_LIKE:
                return p
        return max(payments, key=lambda p: _int(p.get("PaymentId")))

    def find_order(self, order_number: str) -> CreatedOrder | None:
        chosen = self._pick(self.check_order(order_number))
        if chosen is None:
            return None
        # CheckOrder does not give PaymentURL back; the page of a recovered order cannot be rebuilt.
        amount = chosen.get("Amount")
        return CreatedOrder(
            bank_order_id=str(chosen.get("PaymentId")),
            payment_url=None,
            raw_status=str(chosen.get("Status", "")),
            amount_kopecks=_int(amount) if amount is not None else None,
        )

    def status(self, order_number: str, bank_order_id: str | None) -> OrderStatus:
        from_check: dict[str, Any] | None = None
        if not bank_order_id:
            from_check = self._pick(self.check_order(order_number))
            if from_check is None:
                return OrderStatus(
                    state="unknown_order", amount_kopecks=None, reason_text_ru=N_("Банк не знает такой заказ")
                )
            bank_order_id = str(from_check.get("PaymentId"))
        payload = self._call("GetState", {"PaymentId": bank_order_id})
        if not payload.get("Success"):
            if str(payload.get("ErrorCode")) in NOT_FOUND_CODES:
                return OrderStatus(
                    state="unknown_order",
                    amount_kopecks=None,
                    bank_order_id=bank_order_id,
                    reason_text_ru=N_("Банк не знает такой платёж"),
                )
            raise reject_from(payload)
        raw = str(payload.get("Status", ""))
        if not raw:
            raise GatewayNetworkError(N_("Банк прислал неполный ответ о статусе"), operation="GetState")
        if str(payload.get("OrderId", order_number)) != order_number:
            # A PaymentId of another order must never credit this one.
            raise GatewayRejected("order", N_("Платёж банка относится к другому заказу"))
        st = _replace(state_from(raw, _int(payload.get("Amount")), bank_order_id),
                      payment_method=_method(payload))
        if st.state in ("declined", "expired"):
            # GetState carries no decline reason; CheckOrder lists it per payment.
            if from_check is None:
                try:
                    payments = self.check_order(order_number)
                except GatewayRejected:
                    payments = []
                from_check = next((p for p in payments if str(p.get("PaymentId")) == bank_order_id), None)
            code = str((from_check or {}).get("ErrorCode", "") or "") or None
            msg = (from_check or {}).get("Message")
            code = None if code == "0" else code
            text = reason_text(code, str(msg) if msg and msg != "None" else None)
            if raw == "ATTEMPTS_EXPIRED":
                text = N_("Покупатель слишком много раз открывал страницу оплаты — платёж закрыт банком")
            elif st.state == "expired":
                text = N_("Время на оплату истекло")
            elif raw == "CANCELED":
                text = N_("Заказ отменён до оплаты")
            return _replace(st, reason_code=code, reason_text_ru=text)
        return st

    def _resolve_payment(self, order_number: str, bank_order_id: str | None) -> str:
        if bank_order_id:
            return bank_order_id
        chosen = self._pick(self.check_order(order_number))
        if chosen is None:
            raise GatewayRejected("255", N_("Банк не знает такой заказ"))
        return str(chosen.get("PaymentId"))

    def _cancel(self, payment_id: str, amount: int | None, key: str, *, paid: int | None = None,
                sbp: bool = False, receipt: Receipt | None = None) -> OrderStatus:
        """Cancel/refund; ``paid`` = the payment's amount (GetState), so the refunded total can be told.

        The spec: OriginalAmount is «сумма до операции отмены» — before THIS cancel — and NewAmount
        the amount after it, so this cancel returned OriginalAmount − NewAmount and everything
        refunded so far is the payment's amount − NewAmount.
        """
        params: dict[str, Any] = {"PaymentId": payment_id}
        if amount is not None:
            params["Amount"] = amount
        if key and not sbp:
            # The bank answers a repeated ExternalRequestId with the state instead of refunding twice —
            # except for SBP payments («Параметр не работает для операций по СБП»): not sent there.
            params["ExternalRequestId"] = key
        if receipt is not None and amount is not None and amount != paid:
            # The spec: «При полной отмене структура чека не передается, при частичной — передаются
            # товары, которые нужно отменить»: the bank returns the whole Init receipt by itself.
            params["Receipt"] = receipt_json(receipt)  # the sell-return receipt of the bank's register
        payload = self._call("Cancel", params)
        if not payload.get("Success"):
            raise reject_from(payload)
        raw = str(payload.get("Status", ""))
        if not raw or "NewAmount" not in payload:
            raise GatewayNetworkError(N_("Банк прислал неполный ответ на отмену"), operation="Cancel")
        before = _int(payload.get("OriginalAmount"))
        after = _int(payload.get("NewAmount"))
        st = _replace(state_from(raw, paid if paid is not None else before, payment_id),
                      operation_kopecks=max(before - after, 0), payment_method="sbp" if sbp else None)
        if st.state in ("refunded", "partially_refunded"):
            st = _replace(st, refunded_kopecks=max(paid - after, 0) if paid is not None else None)
        return st

    def _payment_state(self, payment_id: str) -> dict[str, Any]:
        payload = self._call("GetState", {"PaymentId": payment_id})
        if not payload.get("Success"):
            raise reject_from(payload)
        return payload

    def cancel(
        self,
        order_number: str,
        bank_order_id: str | None,
        amount_kopecks: int | None,
        idempotency_key: str,
        *,
        receipt: Receipt | None = None,
    ) -> OrderStatus:
        if amount_kopecks is not None:
            check_amount(amount_kopecks)
        payment_id = self._resolve_payment(order_number, bank_order_id)
        before = self._payment_state(payment_id)  # the payment's amount and method, as for a refund
        return self._cancel(payment_id, amount_kopecks, idempotency_key, paid=_int(before.get("Amount")),
                            sbp=_method(before) == "sbp", receipt=receipt)

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
        payment_id = self._resolve_payment(order_number, bank_order_id)
        # The state first: Cancel's answer does not carry the payment's amount (needed for the refunded
        # total), nor whether it was paid by SBP (where ExternalRequestId does not protect a retry).
        before = self._payment_state(payment_id)
        if str(before.get("Status")) in IN_PROGRESS:
            raise GatewayRejected("busy", N_("Предыдущий возврат по этому платежу ещё обрабатывается банком — "
                                             "повторите, когда он завершится"))
        return self._cancel(payment_id, amount_kopecks, idempotency_key, paid=_int(before.get("Amount")),
                            sbp=_method(before) == "sbp", receipt=receipt)


def _method(payload: dict[str, Any]) -> str | None:
    """"sbp" / "card" from GetState's Params (Source ``qrsbp`` is an SBP payment), None if not said."""
    for item in payload.get("Params") or []:
        if isinstance(item, dict) and item.get("Key") == "Source":
            return "sbp" if item.get("Value") == "qrsbp" else "card"
    return None


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _replace(st: OrderStatus, **changes: Any) -> OrderStatus:
    from dataclasses import replace

    return replace(st, **changes)


def state_from(raw: str, amount: int, payment_id: str | None) -> OrderStatus:
    state: OrderState = STATUS_MAP.get(raw, "pending")  # unknown status: keep polling, never final
    approved = amount if raw in _PAID_LIKE else 0
    deposited = amount if raw in ("CONFIRMED", "PARTIAL_REFUNDED", "REFUNDED", "REFUNDING", "ASYNC_REFUNDING") else 0
    refunded: int | None = 0
    if raw == "REFUNDED":
        refunded = amount
    elif raw in ("PARTIAL_REFUNDED", *IN_PROGRESS):
        refunded = None  # GetState does not say how much went back
    return OrderStatus(
        state=state,
        amount_kopecks=amount,
        approved_kopecks=approved,
        deposited_kopecks=deposited,
        refunded_kopecks=refunded,
        bank_order_id=payment_id,
        raw_status=raw,
    )
