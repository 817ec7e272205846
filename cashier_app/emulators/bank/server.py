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
against the bank's OpenAPI spec and its Token by the spec's own rules (``spec``).
This module is the server and its routing; the protocols are in ``sber`` and
``tbank``, the orders in ``store``, the control API in ``control``.

Run: ``cashier-app gateway-sandbox [--host 127.0.0.1] [--port 8765] [--db FILE]``; another
address than this computer's needs ``--allow-remote``.
The card number and CVC are never stored nor logged; only ``220138******0013``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cashier_app.emulators.bank import pages, spec
from cashier_app.emulators.bank.control import ControlApi, _send
from cashier_app.emulators.bank.core import ApiAnswer, Credentials
from cashier_app.emulators.bank.sber import SBER_PAGE, SberApi
from cashier_app.emulators.bank.store import (
    CANCELED,
    DECLINED,
    EXPIRED,
    MAX_FORM_OPENS,
    NEW,
    PAID,
    REFUNDED,
    REVERSED,
    THREE_DS,
    THREE_DS_CODE,
    CardError,
    SandboxStore,
    dumps,
    parse_card,
)
from cashier_app.emulators.bank.tbank import TBankApi
from cashier_app.emulators.common import EmulatorHandler, ServerThread
from cashier_app.emulators.server_args import add_arguments, is_loopback_host

log = logging.getLogger("cashier_app.gateway_sandbox")


class SandboxBank(SberApi, TBankApi):
    """Both banks' protocols on top of one :class:`SandboxStore` (Sber in ``sber``, T-Bank in
    ``tbank``, the shared state in ``core``)."""


class SandboxHandler(ControlApi, EmulatorHandler):
    # Never log bodies; the request line holds no card data because forms are POSTed.
    logger = log
    server_version = "SandboxBank/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, like a real bank: a dropped socket then hurts for real

    @property
    def bank(self) -> SandboxBank:
        return self.server.bank  # type: ignore[attr-defined,no-any-return]

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _public_base(self) -> str:
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        scheme = "https" if hasattr(self.connection, "getpeercert") else "http"  # an SSL socket has it
        return f"{scheme}://{host}"


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


class SandboxServer(ServerThread):
    """The sandbox in a background thread: ``url = SandboxServer(db_path=...).start()``; port 0 = any free port."""

    thread_name = "gateway-sandbox"
    label = "sandbox"

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

    @property
    def spec_violations(self) -> list[str]:
        """Answers that broke the T-Bank spec so far (each a sandbox bug); empty when all is well."""
        return list(self._server.bank.spec_violations) if self._server is not None else []


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
