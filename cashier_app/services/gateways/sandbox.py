"""A local fake of both banks' acquiring APIs, for demos and tests.

A real HTTP server (``ThreadingHTTPServer``) speaking Sber REST
(``/payment/rest/*.do``) and T-Bank v2 (``/v2/*``) closely enough that the real
clients cannot tell, with a card payment page, 3-D Secure, expiry, a per-card
daily limit, orders persisted in sqlite, and a control API for tests::

    POST /_control/pay     {"bank_order_id"| "order_number" [+ "bank"], "card", "exp", "cvc", "three_ds_code"}
    POST /_control/faults  {"endpoint": "register.do" | "Init" | "/v2/Init" | "*", "kind": "delay" |
                            "http500" | "malformed_json" | "drop_after_processing" |
                            "drop_before_processing", "count": 1, "delay_secs": 1.0,
                            "after": 0 (let that many matching calls through first)}
    GET  /_control/faults, DELETE /_control/faults
    POST /_control/clock   {"advance_secs": 1300} | {"offset_secs": 0};  GET /_control/clock
    GET  /_control/orders  [?bank=sberbank|tbank&order_number=...]
    POST /_control/reset   clears faults and the clock offset

Run: ``cashier-app gateway-sandbox [--host 127.0.0.1] [--port 8765] [--db FILE]``.
The card number and CVC are never stored nor logged; only ``220138******0013``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cashier_app.services.gateways import sandbox_pages as pages
from cashier_app.services.gateways.sandbox_args import add_arguments
from cashier_app.services.gateways.sandbox_store import (
    CANCELED,
    DECLINED,
    EXPIRED,
    MSK,
    NEW,
    PAID,
    REASON_TEXT_RU,
    REFUNDED,
    REVERSED,
    THREE_DS,
    THREE_DS_CODE,
    CardError,
    SandboxStore,
    dumps,
    order_public,
    parse_card,
)
from cashier_app.services.gateways.tbank import make_token, verify_token

log = logging.getLogger("cashier_app.gateway_sandbox")

FAULT_KINDS = ("delay", "http500", "malformed_json", "drop_after_processing", "drop_before_processing")
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
}


@dataclass
class Fault:
    endpoint: str
    kind: str
    count: int = 1
    delay_secs: float = 1.0
    id: int = 0
    # Let this many matching calls through first: "the status check before a refund works, the ones after fail".
    after: int = 0

    def matches(self, path: str) -> bool:
        if self.endpoint == "*":
            return True
        last = path.rstrip("/").rsplit("/", 1)[-1]
        return self.endpoint in (path, last)


@dataclass
class Faults:
    items: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1

    def add(self, fault: Fault) -> Fault:
        with self.lock:
            fault.id = self.next_id
            self.next_id += 1
            self.items.append(fault)
            return fault

    def take(self, path: str) -> Fault | None:
        """The first matching fault, consuming one of its uses."""
        with self.lock:
            for fault in self.items:
                if fault.matches(path):
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    fault.count -= 1
                    if fault.count <= 0:
                        self.items.remove(fault)
                    return fault
            return None

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


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


class SandboxBank:
    """Both banks' protocols on top of one :class:`SandboxStore`."""

    def __init__(self, store: SandboxStore, creds: Credentials) -> None:
        self.store = store
        self.creds = creds
        self.faults = Faults()

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
        )
        if order is None:
            raise self._sber_err(1, "Заказ с таким номером уже обработан")
        return {"orderId": order["id"], "formUrl": f"{public_base}{SBER_PAGE}?mdOrder={order['id']}"}

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
            CANCELED: 6,
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
            CANCELED: "DECLINED",
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
            "merchantOrderParams": [],
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
        required = {
            "Init": ("Amount", "OrderId"),
            "GetState": ("PaymentId",),
            "CheckOrder": ("OrderId",),
            "Cancel": ("PaymentId",),
        }
        if method not in required:
            raise self._tb_err("9999", "Метод не поддерживается")
        terminal = str(body.get("TerminalKey") or "")
        missing = [k for k in ("TerminalKey", *required[method], "Token") if body.get(k) in (None, "")]
        if missing:
            raise self._tb_err(
                "2", "Отсутствуют обязательные параметры", f"Не переданы: {', '.join(missing)}"
            )
        if terminal != self.creds.tbank_terminal:
            raise self._tb_err(
                "205", "Неверный токен. Проверьте пару TerminalKey/SecretKey.", "Указанный терминал не найден"
            )
        if not verify_token(body, self.creds.tbank_password):
            raise self._tb_err("204", "Неверный токен. Проверьте пару TerminalKey/SecretKey.")
        if method == "Init":
            return self._tb_init(terminal, body, public_base)
        if method == "GetState":
            order = self._tb_payment(terminal, body)
            return {
                "Success": True,
                "ErrorCode": "0",
                "Message": "OK",
                "TerminalKey": terminal,
                "Status": self._tb_status(order),
                "PaymentId": order["id"],
                "OrderId": order["order_number"],
                "Amount": order["amount"],
                "Params": [{"Key": "Route", "Value": "ACQ"}, {"Key": "Source", "Value": "cards"}],
            }
        if method == "CheckOrder":
            return self._tb_check(terminal, str(body["OrderId"]))
        return self._tb_cancel(terminal, body)

    def _tb_init(self, terminal: str, body: dict[str, Any], public_base: str) -> dict[str, Any]:
        amount = body["Amount"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 100:
            raise self._tb_err("251", "Неверная сумма. Сумма должна быть больше или равна 100 копеек")
        order_id = str(body["OrderId"])
        if len(order_id) > 36:
            raise self._tb_err("212", "Размер поля OrderId должен быть от 1 до 36")
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
            if external and self.store.cancel_request("tbank", terminal, external) == order["id"]:
                return self._tb_cancel_answer(
                    order, external
                )  # repeated request: current state, no new refund
            amount = body.get("Amount")
            if amount is not None and (
                isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0
            ):
                raise self._tb_err("326", "Неверный amount")
            if order["status"] in (NEW, THREE_DS):
                order = self.store.update(order["id"], status=CANCELED, reason="merchant_cancel")
            elif order["status"] in (PAID, REFUNDED):
                left = order["deposited"] - order["refunded"]
                amount = left if amount is None else amount
                if left <= 0:
                    raise self._tb_err("8", "Неверный статус транзакции")
                if amount > left:
                    raise self._tb_err("330", "Сумма в запросе больше чем в оригинальной транзакции")
                order = self.store.update(order["id"], status=REFUNDED, refunded=order["refunded"] + amount)
            else:
                raise self._tb_err("8", "Неверный статус транзакции")
            if external:
                self.store.remember_cancel("tbank", terminal, external, order["id"])
        return self._tb_cancel_answer(order, external)

    def _tb_cancel_answer(self, order: dict[str, Any], external: str) -> dict[str, Any]:
        new_amount = 0 if order["status"] == CANCELED else order["deposited"] - order["refunded"]
        answer = {
            "TerminalKey": order["merchant"],
            "OrderId": order["order_number"],
            "Success": True,
            "Status": self._tb_status(order),
            "OriginalAmount": order["amount"],
            "NewAmount": new_amount,
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


def _ok_json(handler: BaseHTTPRequestHandler, payload: Any, status: int = 200) -> None:
    _send(handler, status, dumps(payload), "application/json; charset=utf-8")


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Cache-Control", "no-store")
    handler.end_headers()
    handler.wfile.write(body)


class SandboxHandler(BaseHTTPRequestHandler):
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
        payload = self._process(verb, path, query, body)
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
            if not order["form_shown"]:
                store.update(order["id"], form_shown=1)
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

    # -- control API ------------------------------------------------------------------------------

    def _control(self, verb: str, path: str, query: str, body: bytes) -> None:
        try:
            data = json.loads(body.decode("utf-8") or "{}") if body else {}
        except (UnicodeDecodeError, ValueError):
            _ok_json(self, {"error": "тело запроса — не JSON"}, 400)
            return
        name = path.removeprefix("/_control/").strip("/")
        handler: Callable[[str, dict[str, str], dict[str, Any]], tuple[int, Any]] | None = {
            "pay": self._c_pay,
            "faults": self._c_faults,
            "clock": self._c_clock,
            "orders": self._c_orders,
            "reset": self._c_reset,
        }.get(name)
        if handler is None:
            _ok_json(self, {"error": f"нет такого метода: {name}"}, 404)
            return
        qs = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            status, payload = handler(verb, qs, data if isinstance(data, dict) else {})
        except (KeyError, ValueError, TypeError) as exc:
            status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
        _ok_json(self, payload, status)

    def _c_pay(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.bank.store
        order = None
        if data.get("bank_order_id"):
            order = store.get(str(data["bank_order_id"]))
        elif data.get("order_number"):
            bank = data.get("bank")
            found = store.list_orders(bank, str(data["order_number"]))
            if len(found) > 1:
                return 400, {"error": "номер заказа есть у нескольких банков — укажите bank"}
            order = found[0] if found else None
        if order is None:
            return 404, {"error": "заказ не найден"}
        if order["status"] == NEW:
            now = datetime.fromtimestamp(store.now(), MSK)
            exp = str(data.get("exp") or f"12/{(now.year + 3) % 100:02d}")
            try:
                card = parse_card(str(data.get("card", "")), exp, str(data.get("cvc", "123")))
            except CardError as exc:
                return 400, {"error": str(exc)}
            order = store.pay(order["id"], card)
        if order["status"] == THREE_DS and data.get("three_ds_code") is not None:
            order = store.submit_3ds(order["id"], str(data["three_ds_code"]))
        answer = {
            "bank_order_id": order["id"],
            "status": order["status"],
            "card_mask": order["card_mask"],
            "reason": order["reason"],
            "reason_ru": self.bank.reason_ru(order),
        }
        if order["status"] == THREE_DS:
            answer["acs_url"] = f"{self._public_base()}/acs/{order['page_code']}"
        return 200, answer

    def _c_faults(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        faults = self.bank.faults
        if verb == "DELETE":
            faults.clear()
            return 200, {"faults": []}
        if verb == "POST":
            kind = str(data.get("kind", ""))
            if kind not in FAULT_KINDS:
                return 400, {"error": f"kind: одно из {', '.join(FAULT_KINDS)}"}
            fault = faults.add(
                Fault(
                    endpoint=str(data.get("endpoint") or "*"),
                    kind=kind,
                    count=int(data.get("count", 1)),
                    delay_secs=float(data.get("delay_secs", 1.0)),
                    after=max(0, int(data.get("after", 0))),
                )
            )
            return 200, {"id": fault.id}
        with faults.lock:
            return 200, {"faults": [vars(f).copy() for f in faults.items]}

    def _c_clock(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        store = self.bank.store
        if verb == "POST":
            if "advance_secs" in data:
                store.advance_clock(float(data["advance_secs"]))
            elif "offset_secs" in data:
                store.set_clock_offset(float(data["offset_secs"]))
        now = store.now()
        return 200, {"now": datetime.fromtimestamp(now, UTC).isoformat(), "offset_secs": store.clock_offset()}

    def _c_orders(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        orders = self.bank.store.list_orders(qs.get("bank"), qs.get("order_number"))
        return 200, {"orders": [order_public(o) for o in orders]}

    def _c_reset(self, verb: str, qs: dict[str, str], data: dict[str, Any]) -> tuple[int, Any]:
        self.bank.faults.clear()
        self.bank.store.set_clock_offset(0)
        return 200, {"ok": True}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    bank: SandboxBank


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
    ) -> None:
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
        server.bank = SandboxBank(self.store, self.credentials)
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

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def default_db_path() -> Path:
    """``gateway-sandbox.sqlite3`` in the app's data dir (platformdirs, or ``CASHIER_DATA_DIR``)."""
    from cashier_app.settings import data_dir

    return data_dir() / "gateway-sandbox.sqlite3"


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 8765,
    db_path: str | Path | None = None,
    *,
    sber_user: str = "demo-api",
    sber_password: str = "demo",
    tbank_terminal: str = "DemoTerminal",
    tbank_password: str = "demo-password",
) -> None:
    """Serve until Ctrl+C."""
    server = SandboxServer(
        db_path or default_db_path(),
        host,
        port,
        sber_user=sber_user,
        sber_password=sber_password,
        tbank_terminal=tbank_terminal,
        tbank_password=tbank_password,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    db = args.db or default_db_path()
    print(f"Песочница банков: http://{args.host}:{args.port}  (база: {db})", flush=True)
    # Passwords are not printed: they were typed by the user or are the documented demo ones.
    print(f"Сбербанк: userName {args.sber_user};  Т-Банк: TerminalKey {args.tbank_terminal}", flush=True)
    run_sandbox(
        args.host,
        args.port,
        db,
        sber_user=args.sber_user,
        sber_password=args.sber_password,
        tbank_terminal=args.tbank_terminal,
        tbank_password=args.tbank_password,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``cashier-app gateway-sandbox``: both banks' test APIs on one local port."""
    parser = argparse.ArgumentParser(
        prog="cashier-app gateway-sandbox",
        description="Песочница Сбербанка и Т-Банка для демонстрации и тестов",
    )
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


__all__ = ["SandboxServer", "main", "make_token", "run_sandbox"]


if __name__ == "__main__":
    raise SystemExit(main())
