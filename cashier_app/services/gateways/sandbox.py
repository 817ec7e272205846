"""A local fake of both banks' acquiring APIs, for demos and tests.

A real HTTP server (``ThreadingHTTPServer``) speaking Sber REST
(``/payment/rest/*.do``) and T-Bank v2 (``/v2/*``) closely enough that the real
clients cannot tell, with a card payment page, 3-D Secure, expiry, a per-card
daily limit, orders persisted in sqlite, and a control API for tests::

    POST /_control/pay     {"bank_order_id"| "order_number" [+ "bank"], "card", "exp", "cvc", "three_ds_code"}
                           or {..., "method": "sbp"} (paid by SBP: no card; its refunds are ASYNC_REFUNDING)
    POST /_control/faults  {"endpoint": "register.do" | "Init" | "/v2/Init" | "*", "kind": "delay" |
                            "http500" | "malformed_json" | "drop_after_processing" |
                            "drop_before_processing" | "delay_after_processing" | "in_progress",
                            "count": 1, "delay_secs": 1.0,
                            "after": 0 (let that many matching calls through first)}
    POST /_control/terminal {"online_kassa": true}  (T-Bank Init then needs a Receipt: error 309)
    GET  /_control/spec    answers of ours that broke the T-Bank OpenAPI spec (each a sandbox bug)
    GET  /_control/faults, DELETE /_control/faults
    POST /_control/clock   {"advance_secs": 1300} | {"offset_secs": 0};  GET /_control/clock
    GET  /_control/orders  [?bank=sberbank|tbank&order_number=...]
    POST /_control/reset   clears faults and the clock offset

POST/DELETE to ``/_control/`` take ``application/json`` only.  Every T-Bank request is checked
against the bank's OpenAPI spec and its Token by the spec's own rules (``sandbox_spec``).

Run: ``cashier-app gateway-sandbox [--host 127.0.0.1] [--port 8765] [--db FILE]``; another
address than this computer's needs ``--allow-remote``.
The card number and CVC are never stored nor logged; only ``220138******0013``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cashier_app.services.gateways import sandbox_pages as pages
from cashier_app.services.gateways import sandbox_spec as spec
from cashier_app.services.gateways.sandbox_args import add_arguments, is_loopback_host
from cashier_app.services.gateways.sandbox_control import ControlApi, Faults, _send
from cashier_app.services.gateways.sandbox_store import (
    CANCELED,
    DECLINED,
    EXPIRED,
    MAX_FORM_OPENS,
    MSK,
    NEW,
    PAID,
    REASON_TEXT_RU,
    REFUNDED,
    REFUNDING,
    REVERSED,
    THREE_DS,
    THREE_DS_CODE,
    CardError,
    SandboxStore,
    dumps,
    parse_card,
)

log = logging.getLogger("cashier_app.gateway_sandbox")

SBER_PAGE = "/payment/merchants/sandbox/payment_ru.html"

# Decline reasons in each bank's codes.  Sber actionCode (BPC/RBS list), T-Bank ErrorCode (spec 1.80).
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


class ApiAnswer(Exception):
    """Raised by a protocol handler to answer at once (errors are HTTP 200 JSON at both banks)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        super().__init__("api answer")


@dataclass(frozen=True)
class Credentials:
    sber_user: str = "demo-api"
    sber_password: str = "demo"
    tbank_terminal: str = "DemoTerminal"
    tbank_password: str = "demo-password"
    # The merchant's login at Sber is not derivable from the API user name (decline.do's merchantLogin).
    sber_merchant_login: str = "sandbox-merchant"


class SandboxBank:
    """Both banks' protocols on top of one :class:`SandboxStore`."""

    def __init__(self, store: SandboxStore, creds: Credentials, *, online_kassa: bool = False) -> None:
        self.store = store
        self.creds = creds
        self.faults = Faults()
        # The T-Bank terminal is connected to the bank's online cash register: Init needs a Receipt (309).
        self.online_kassa = online_kassa
        # Answers of ours that broke the bank's spec: a sandbox bug; the test fixtures assert none.
        self.spec_violations: list[str] = []
        self._call = threading.local()  # per request: "this Cancel is processed asynchronously"

    # ======================= Sber ==============================================================

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
        )
        if order is None:
            raise self._sber_err(1, "Заказ с таким номером уже обработан")
        return {"orderId": order["id"], "formUrl": f"{public_base}{SBER_PAGE}?mdOrder={order['id']}"}

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

    # ======================= T-Bank ============================================================

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

    # ======================= payment outcome, shared ============================================

    def reason_ru(self, order: dict[str, Any]) -> str | None:
        return REASON_TEXT_RU.get(order["reason"] or "", None)


class SandboxHandler(ControlApi, BaseHTTPRequestHandler):
    server_version = "SandboxBank/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, like a real bank: a dropped socket then hurts for real

    @property
    def bank(self) -> SandboxBank:
        return self.server.bank  # type: ignore[attr-defined,no-any-return]

    # Never log bodies; the request line holds no card data because forms are POSTed.
    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args: Any) -> None:
        log.warning("%s %s", self.address_string(), format % args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _public_base(self) -> str:
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        scheme = "https" if hasattr(self.connection, "getpeercert") else "http"  # an SSL socket has it
        return f"{scheme}://{host}"

    def _drop(self) -> None:
        """Close the socket without a byte of answer: the client cannot know what happened."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, verb: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        body = self._body()
        try:
            if path.startswith("/_control/"):
                self._control(verb, path, url.query, body)
            elif path.startswith("/payment/rest/") or path.startswith("/v2/"):
                self._api(verb, path, url.query, body)
            elif path == SBER_PAGE:
                code = (parse_qs(url.query).get("mdOrder") or [""])[0]
                self._pay_page(verb, code, body, f"{SBER_PAGE}?mdOrder={code}")
            elif m := re.fullmatch(r"/new/([\w-]+)", path):
                self._pay_page(verb, m.group(1), body, path)
            elif m := re.fullmatch(r"/acs/([\w-]+)", path):
                self._acs_page(verb, m.group(1), body)
            elif path == "/":
                _send(
                    self,
                    200,
                    pages.message_page("Песочница банков", "Оплата завершена, окно можно закрыть."),
                    "text/html; charset=utf-8",
                )
            else:
                _send(
                    self,
                    404,
                    pages.message_page("Не найдено", "Такой страницы нет"),
                    "text/html; charset=utf-8",
                )
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (read timeout): nothing to tell it

    # -- API with faults ------------------------------------------------------------------------

    def _api(self, verb: str, path: str, query: str, body: bytes) -> None:
        fault = self.bank.faults.take(path)
        if fault and fault.kind == "drop_before_processing":
            log.info("fault %s on %s", fault.kind, path)
            self._drop()
            return
        if fault and fault.kind == "http500":
            log.info("fault %s on %s", fault.kind, path)
            _send(self, 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
            return
        if fault and fault.kind == "delay":
            log.info("fault %s %.2fs on %s", fault.kind, fault.delay_secs, path)
            time.sleep(fault.delay_secs)  # then carry on: a slow bank still does the work
        self.bank._call.in_progress = bool(fault and fault.kind == "in_progress")
        try:
            payload = self._process(verb, path, query, body)
        finally:
            self.bank._call.in_progress = False
        if fault and fault.kind == "delay_after_processing":
            log.info("fault %s %.2fs on %s", fault.kind, fault.delay_secs, path)
            time.sleep(fault.delay_secs)  # done at the bank; the caller does not know yet
        method = path.rstrip("/").rsplit("/", 1)[-1]
        if path.startswith("/v2/") and method in spec.OPERATIONS:
            # Our own answer must pass the bank's spec too; a departure is a sandbox bug, kept for the tests.
            for problem in spec.answer_problems(method, payload):
                log.error("sandbox answer to %s breaks the spec: %s", method, problem)
                self.bank.spec_violations.append(f"{method}: {problem}")
        if fault and fault.kind == "drop_after_processing":
            log.info("fault %s on %s", fault.kind, path)
            self._drop()
            return
        raw = dumps(payload)
        if fault and fault.kind == "malformed_json":
            log.info("fault %s on %s", fault.kind, path)
            raw = raw[: max(len(raw) // 2, 1)]  # processed, but the answer is cut in half
        _send(self, 200, raw, "application/json; charset=utf-8")

    def _process(self, verb: str, path: str, query: str, body: bytes) -> dict[str, Any]:
        try:
            if path.startswith("/payment/rest/"):
                params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
                if verb == "POST":
                    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                    params.update({k: v[0] for k, v in form.items()})
                return self.bank.sber(path.rsplit("/", 1)[-1], params, self._public_base())
            try:
                data = json.loads(body.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                raise self.bank._tb_err("1", "Параметры не сопоставлены", "Тело запроса — не JSON") from None
            if not isinstance(data, dict):
                raise self.bank._tb_err("1", "Параметры не сопоставлены")
            return self.bank.tbank(path.rsplit("/", 1)[-1], data, self._public_base())
        except ApiAnswer as answer:
            return answer.payload

    # -- pages --------------------------------------------------------------------------------

    def _html(self, body: bytes, status: int = 200) -> None:
        _send(self, status, body, "text/html; charset=utf-8")

    def _final_page(self, order: dict[str, Any]) -> None:
        if order["status"] in (PAID, REFUNDED, REVERSED) and order["paid_at"]:
            self._html(pages.result_page(order, True, None))
        elif order["status"] in (DECLINED, EXPIRED, CANCELED):
            self._html(pages.result_page(order, False, self.bank.reason_ru(order)))
        else:
            self._html(pages.message_page("Оплата", "Заказ в обработке"))

    def _pay_page(self, verb: str, code: str, body: bytes, action: str) -> None:
        store = self.bank.store
        order = store.get_by_page(code) if code else None
        if order is None:
            self._html(pages.message_page("Заказ не найден", "Ссылка на оплату недействительна"), 404)
            return
        if order["status"] == THREE_DS:
            self._html(pages.three_ds_form(order, f"/acs/{order['page_code']}", THREE_DS_CODE))
            return
        if order["status"] != NEW:
            self._final_page(order)
            return
        if verb == "GET":
            # A T-Bank payment page opened too many times ends the payment (ATTEMPTS_EXPIRED, final).
            order = store.update(order["id"], form_shown=order["form_shown"] + 1)
            if order["bank"] == "tbank" and order["form_shown"] > MAX_FORM_OPENS:
                self._final_page(store.update(order["id"], status=EXPIRED, reason="attempts_expired"))
                return
            self._html(pages.card_form(order, action))
            return
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        try:
            card = parse_card(form.get("pan", ""), form.get("exp", ""), form.get("cvc", ""))
        except CardError as exc:
            self._html(pages.card_form(order, action, str(exc)))
            return
        del form  # drop the raw fields as early as possible
        order = store.pay(order["id"], card)
        if order["status"] == THREE_DS:
            self._html(pages.three_ds_form(order, f"/acs/{order['page_code']}", THREE_DS_CODE))
        else:
            self._final_page(order)

    def _acs_page(self, verb: str, code: str, body: bytes) -> None:
        store = self.bank.store
        order = store.get_by_page(code)
        if order is None:
            self._html(pages.message_page("Заказ не найден", "Ссылка недействительна"), 404)
            return
        if order["status"] != THREE_DS:
            self._final_page(order)
            return
        if verb == "GET":
            self._html(pages.three_ds_form(order, f"/acs/{code}", THREE_DS_CODE))
            return
        form = parse_qs(body.decode("utf-8", "replace"))
        self._final_page(store.submit_3ds(order["id"], (form.get("code") or [""])[0]))

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    bank: SandboxBank


class RemoteBindRefused(ValueError):
    """The sandbox was asked to listen on a non-loopback address without ``--allow-remote``."""


class SandboxServer:
    """The sandbox in a background thread: ``url = SandboxServer(db_path=...).start()``; port 0 = any free port."""

    def __init__(
        self,
        db_path: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        sber_user: str = "demo-api",
        sber_password: str = "demo",
        tbank_terminal: str = "DemoTerminal",
        tbank_password: str = "demo-password",
        tls: tuple[str, str] | None = None,
        allow_remote: bool = False,
        tbank_online_kassa: bool = False,
    ) -> None:
        if not allow_remote and not is_loopback_host(host):
            # Anyone who reaches the sandbox can "pay" any order through its control API.
            raise RemoteBindRefused(
                f"Песочница слушает только этот компьютер (127.0.0.1); адрес «{host}» доступен из сети. "
                "Если это действительно нужно, запустите с --allow-remote."
            )
        self.online_kassa = tbank_online_kassa
        self.db_path = str(db_path)
        self.host = host
        self.port = port
        # (certificate PEM, key PEM): serve https, so a client's certificate checks are exercised for real.
        self.tls = tls
        self.credentials = Credentials(sber_user, sber_password, tbank_terminal, tbank_password)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.store: SandboxStore | None = None
        self.url = ""

    def _build(self) -> _Server:
        self.store = SandboxStore(self.db_path)
        server = _Server((self.host, self.port), SandboxHandler)
        server.bank = SandboxBank(self.store, self.credentials, online_kassa=self.online_kassa)
        host, port = server.server_address[:2]
        scheme = "http"
        if self.tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{host}:{port}"
        return server

    def start(self) -> str:
        self._server = self._build()
        # A short poll interval makes stop() quick (tests start and stop a sandbox per test).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="gateway-sandbox",
            daemon=True,
        )
        self._thread.start()
        log.info("sandbox listening on %s", self.url)
        return self.url

    def serve_forever(self) -> None:
        self._server = self._build()
        log.info("sandbox listening on %s", self.url)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            if self.store:
                self.store.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.store is not None:
            self.store.close()
            self.store = None

    @property
    def spec_violations(self) -> list[str]:
        """Answers that broke the T-Bank spec so far (each a sandbox bug); empty when all is well."""
        return list(self._server.bank.spec_violations) if self._server is not None else []

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def default_db_path() -> Path:
    """``gateway-sandbox.sqlite3`` in the app's data dir (platformdirs, or ``CASHIER_DATA_DIR``)."""
    from cashier_app.settings import data_dir

    return data_dir() / "gateway-sandbox.sqlite3"


def run_sandbox(host: str = "127.0.0.1", port: int = 8765, db_path: str | Path | None = None,
                **options: Any) -> None:
    """Serve until Ctrl+C; ``options`` are :class:`SandboxServer`'s keyword arguments."""
    server = SandboxServer(db_path or default_db_path(), host, port, **options)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.allow_remote and not is_loopback_host(args.host):
        print(f"Песочница слушает только этот компьютер (127.0.0.1); адрес «{args.host}» доступен из сети. "
              "Если это действительно нужно, запустите с --allow-remote.", file=sys.stderr, flush=True)
        return 2
    db = args.db or default_db_path()
    print(f"Песочница банков: http://{args.host}:{args.port}  (база: {db})", flush=True)
    # Passwords are not printed: they were typed by the user or are the documented demo ones.
    print(f"Сбербанк: userName {args.sber_user};  Т-Банк: TerminalKey {args.tbank_terminal}", flush=True)
    run_sandbox(args.host, args.port, db, sber_user=args.sber_user, sber_password=args.sber_password,
                tbank_terminal=args.tbank_terminal, tbank_password=args.tbank_password,
                allow_remote=args.allow_remote, tbank_online_kassa=args.tbank_online_kassa)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``cashier-app gateway-sandbox``: both banks' test APIs on one local port."""
    parser = argparse.ArgumentParser(
        prog="cashier-app gateway-sandbox",
        description="Песочница Сбербанка и Т-Банка для демонстрации и тестов",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


__all__ = ["RemoteBindRefused", "SandboxServer", "main", "run_sandbox"]


if __name__ == "__main__":
    raise SystemExit(main())
