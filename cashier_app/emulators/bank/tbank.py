"""The sandbox's T-Bank v2 protocol (``/v2/*``): Init, GetState, CheckOrder, Cancel, checked by the spec."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cashier_app.emulators.bank import spec
from cashier_app.emulators.bank.core import ApiAnswer, BankCore
from cashier_app.emulators.bank.store import (
    CANCELED,
    DECLINED,
    EXPIRED,
    MSK,
    NEW,
    PAID,
    REFUNDED,
    REFUNDING,
    REVERSED,
    THREE_DS,
)

# Decline reasons in T-Bank ErrorCode (spec 1.80).
TBANK_ERROR = {
    "declined": ("1005", "Платеж отклонен банком, выпустившим карту"),
    "insufficient": ("1051", "Недостаточно средств на карте."),
    "limit": ("1061", "Покупатель превысил лимит платежей по своей карте"),
    "3ds_failed": ("101", "Не пройдена идентификация 3DS"),
    "unsupported": ("1078", "Данный тип операции не поддерживается картой"),
    "expired_card": ("1054", "Истек срок действия карты"),
    "session_expired": ("0", "None"),
    "merchant_cancel": ("0", "None"),
    "attempts_expired": ("0", "None"),
}


class TBankApi(BankCore):
    """T-Bank's API methods; mixed into ``sandbox.SandboxBank``."""

    def _tb_err(self, code: str, message: str, details: str = "") -> ApiAnswer:
        return ApiAnswer({"Success": False, "ErrorCode": code, "Message": message, "Details": details})

    def _tb_status(self, order: dict[str, Any]) -> str:
        status = order["status"]
        if status == NEW:
            return "FORM_SHOWED" if order["form_shown"] else "NEW"
        if status == REFUNDED:
            return "REFUNDED" if order["refunded"] >= order["deposited"] else "PARTIAL_REFUNDED"
        if status == REFUNDING:  # the spec: SBP refunds are ASYNC_REFUNDING, card ones REFUNDING
            return "ASYNC_REFUNDING" if order["pay_method"] == "sbp" else "REFUNDING"
        if status == EXPIRED and order["reason"] == "attempts_expired":
            return "ATTEMPTS_EXPIRED"
        return {
            THREE_DS: "3DS_CHECKING",
            PAID: "CONFIRMED",
            DECLINED: "REJECTED",
            EXPIRED: "DEADLINE_EXPIRED",
            REVERSED: "REVERSED",
            CANCELED: "CANCELED",
        }[status]

    def _tb_payment(self, terminal: str, body: dict[str, Any]) -> dict[str, Any]:
        pid = str(body.get("PaymentId") or "")
        if not pid:
            raise self._tb_err(
                "2", "Отсутствуют обязательные параметры", "Поле PaymentId не должно быть пустым"
            )
        order = self.store.get(pid)
        if order is None or order["bank"] != "tbank" or order["merchant"] != terminal:
            raise self._tb_err("255", "Платеж не найден")
        return order

    def tbank(self, method: str, body: dict[str, Any], public_base: str) -> dict[str, Any]:
        if method not in spec.OPERATIONS:
            raise self._tb_err("9999", "Метод не поддерживается")
        # Fields, types, lengths, enums and formats exactly as the official spec defines them.
        problems = spec.request_problems(method, body)
        if problems:
            raise self._tb_err(*spec.error_for(problems))
        terminal = str(body.get("TerminalKey") or "")
        if terminal != self.creds.tbank_terminal:
            raise self._tb_err(
                "205", "Неверный токен. Проверьте пару TerminalKey/SecretKey.", "Указанный терминал не найден"
            )
        # The sandbox's own Token (from the spec's words), never the client's: a client bug must show.
        if not spec.token_ok(body, self.creds.tbank_password):
            raise self._tb_err("204", "Неверный токен. Проверьте пару TerminalKey/SecretKey.")
        if method == "Init":
            return self._tb_init(terminal, body, public_base)
        if method == "GetState":
            order = self._tb_settle_refund(self._tb_payment(terminal, body))
            source = "qrsbp" if order["pay_method"] == "sbp" else "cards"
            return {
                "Success": True,
                "ErrorCode": "0",
                "Message": "OK",
                "TerminalKey": terminal,
                "Status": self._tb_status(order),
                "PaymentId": order["id"],
                "OrderId": order["order_number"],
                "Amount": order["amount"],
                "Params": [{"Key": "Route", "Value": "ACQ"}, {"Key": "Source", "Value": source}],
            }
        if method == "CheckOrder":
            return self._tb_check(terminal, str(body["OrderId"]))
        return self._tb_cancel(terminal, body)

    def _tb_init(self, terminal: str, body: dict[str, Any], public_base: str) -> dict[str, Any]:
        amount = body["Amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 100:
            raise self._tb_err("251", "Неверная сумма. Сумма должна быть больше или равна 100 копеек")
        order_id = str(body["OrderId"])
        if not 1 <= len(order_id) <= 36:
            raise self._tb_err("212", "Размер поля OrderId должен быть от 1 до 36")
        receipt_error = spec.receipt_error(body, required=self.online_kassa)
        if receipt_error:
            raise self._tb_err(*receipt_error)
        description = str(body.get("Description") or "")
        if len(description) > 140:
            raise self._tb_err("213", "Размер поля Description должен быть от 0 до 140")
        now = self.store.now()
        expires = now + 24 * 3600  # the bank's default when RedirectDueDate is absent
        if body.get("RedirectDueDate"):
            try:
                due = datetime.fromisoformat(str(body["RedirectDueDate"]))
            except ValueError:
                raise self._tb_err("12", "Неверный параметр RedirectDueDate") from None
            if due.tzinfo is None:
                due = due.replace(tzinfo=MSK)
            # Absolute dates from a client follow the real clock; the sandbox clock may have been
            # moved forward by /_control/clock, so shift them by the same offset.
            offset = self.store.clock_offset()
            if not now + 60 <= due.timestamp() + offset <= now + 90 * 86400:
                raise self._tb_err("3017", "Переданное значение RedirectDueDate вне допустимого диапазона")
            expires = due.timestamp() + offset
        with self.store.lock():
            existing = self.store.find("tbank", terminal, order_id)
            if existing is not None:
                # This terminal checks OrderId uniqueness; a paid order gets the stricter 623.
                if existing["status"] in (PAID, REFUNDED, REVERSED):
                    raise self._tb_err(
                        "623",
                        "Выплата по этому заказу уже прошла",
                        "Запрещено проводить платеж с OrderId для которого уже есть успешный платеж",
                    )
                raise self._tb_err("20", "Ошибка повторного идентификатора заказа")
            order = self.store.create(
                bank="tbank",
                merchant=terminal,
                order_number=order_id,
                amount=amount,
                description=description,
                return_url=body.get("SuccessURL"),
                fail_url=body.get("FailURL"),
                expires_at=expires,
                # Kept for the control API (and the cabinet); GetState/CheckOrder do not return DATA.
                params={str(k): str(v) for k, v in data.items()} if isinstance(data := body.get("DATA"), dict) else None,
                receipt=body.get("Receipt") if isinstance(body.get("Receipt"), dict) else None,
            )
        if order is None:
            raise self._tb_err("20", "Ошибка повторного идентификатора заказа")
        return {
            "Success": True,
            "ErrorCode": "0",
            "TerminalKey": terminal,
            "Status": "NEW",
            "PaymentId": order["id"],
            "OrderId": order_id,
            "Amount": amount,
            "PaymentURL": f"{public_base}/new/{order['page_code']}",
        }

    def _tb_check(self, terminal: str, order_id: str) -> dict[str, Any]:
        orders = [o for o in self.store.list_orders("tbank", order_id) if o["merchant"] == terminal]
        if not orders:
            raise self._tb_err("335", f"OrderId {order_id} не найден для TerminalKey {terminal}")
        payments = []
        for o in orders:
            code, message = ("0", "None")
            if o["status"] in (DECLINED, EXPIRED) and o["reason"]:
                code, message = TBANK_ERROR.get(o["reason"], ("0", "None"))
            payments.append(
                {
                    "PaymentId": o["id"],
                    "Amount": o["amount"],
                    "Status": self._tb_status(o),
                    "RRN": str(100000000000 + int(o["seq"])),
                    "Success": "false" if code != "0" else "true",
                    "ErrorCode": int(code),
                    "Message": message,
                }
            )
        return {
            "TerminalKey": terminal,
            "OrderId": order_id,
            "Success": True,
            "ErrorCode": "0",
            "Message": "OK",
            "Details": "None",
            "Payments": payments,
        }

    def _tb_cancel(self, terminal: str, body: dict[str, Any]) -> dict[str, Any]:
        external = str(body.get("ExternalRequestId") or "")
        with self.store.lock():
            order = self._tb_payment(terminal, body)
            # The spec: ExternalRequestId «не работает для операций по СБП» — an SBP payment refunds again.
            keyed = bool(external) and order["pay_method"] != "sbp"
            if keyed and self.store.cancel_request("tbank", terminal, external) == order["id"]:
                left = self._tb_left(order)  # repeated request: the current state, no new refund
                return self._tb_cancel_answer(order, external, left, left)
            amount = body.get("Amount")
            if amount is not None and (
                isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
            ):
                raise self._tb_err("326", "Неверный amount")
            if order["status"] in (NEW, THREE_DS):
                # «При отмене статуса NEW поле Amount игнорируется … Отмена производится на полную сумму.»
                before, after = order["amount"], 0
                order = self.store.update(order["id"], status=CANCELED, reason="merchant_cancel")
            elif order["status"] in (PAID, REFUNDED, REFUNDING):
                before = self._tb_left(order)
                amount = before if amount is None else amount
                if before <= 0:
                    raise self._tb_err("8", "Неверный статус транзакции")
                if amount > before:
                    raise self._tb_err("330", "Сумма в запросе больше чем в оригинальной транзакции")
                receipt_error = spec.cancel_receipt_error(body, required=self.online_kassa,
                                                          full=amount == order["amount"], amount=amount)
                if receipt_error:
                    raise self._tb_err(*receipt_error)
                if isinstance(body.get("Receipt"), dict):
                    self.store.add_refund_receipt(order["id"], body["Receipt"])
                after = before - amount
                if (order["pay_method"] == "sbp" or order["status"] == REFUNDING
                        or getattr(self._call, "in_progress", False)):
                    # Accepted, still being processed: the money goes back at a later GetState.
                    order = self.store.update(order["id"], status=REFUNDING, refund_polls=0,
                                              pending_refund=order["pending_refund"] + amount)
                else:
                    order = self.store.update(order["id"], status=REFUNDED, refunded=order["refunded"] + amount)
            else:
                raise self._tb_err("8", "Неверный статус транзакции")
            if keyed:
                self.store.remember_cancel("tbank", terminal, external, order["id"])
        return self._tb_cancel_answer(order, external, before, after)

    @staticmethod
    def _tb_left(order: dict[str, Any]) -> int:
        """What can still be refunded: taken, minus refunded, minus a refund in progress."""
        if order["status"] in (NEW, THREE_DS, CANCELED, DECLINED, EXPIRED, REVERSED):
            return 0
        return int(order["deposited"] - order["refunded"] - order["pending_refund"])

    def _tb_settle_refund(self, order: dict[str, Any]) -> dict[str, Any]:
        """A refund in progress finishes when the merchant asks the second time (deterministic, no clock)."""
        if order["status"] != REFUNDING:
            return order
        with self.store.lock():
            if order["refund_polls"] < 1:
                return self.store.update(order["id"], refund_polls=order["refund_polls"] + 1)
            return self.store.update(order["id"], status=REFUNDED, refunded=order["refunded"] + order["pending_refund"],
                                     pending_refund=0, refund_polls=0)

    def _tb_cancel_answer(self, order: dict[str, Any], external: str, before: int, after: int) -> dict[str, Any]:
        # The spec: OriginalAmount «сумма до операции отмены», NewAmount «сумма после операции отмены».
        answer = {
            "TerminalKey": order["merchant"],
            "OrderId": order["order_number"],
            "Success": True,
            "Status": self._tb_status(order),
            "OriginalAmount": before,
            "NewAmount": after,
            "PaymentId": int(order["id"]),
            "ErrorCode": "0",
            "Message": "OK",
            "Details": "None",
        }
        if external:
            answer["ExternalRequestId"] = external
        return answer
