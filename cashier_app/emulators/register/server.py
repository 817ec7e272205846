"""A local fake of an online cash register, for demos and tests: ATOL Web Server v2 and ATOL Online v5.

A real HTTP server (``ThreadingHTTPServer``) on loopback with one emulated register (one FN,
one shift, numbered fiscal documents) kept in a sqlite state file, reachable by both
protocols::

    POST /api/v2/requests {"uuid", "request": [task, …]}   → 201; the same uuid again → 409
    GET  /api/v2/requests/<uuid>                           → {"results": [{status, errorCode, …, result}]}
    POST /possystem/v5/getToken {"login", "pass"}          → {"token", "error", "timestamp"}
    POST /possystem/v5/<group>/sell|sell_refund|sell_correction|sell_refund_correction  (Token header)
    GET  /possystem/v5/<group>/report/<uuid>               → {"status": wait|done|fail, "payload", …}

Control API (JSON bodies only)::

    GET  /_control/documents [?key=<uuid or external_id>]
    POST /_control/faults {"endpoint": <task type: sell, sellReturn, openShift, …> | <ATOL Online
                           operation: sell, sell_refund, …> | "requests" (any Web POST) | "results"
                           (a Web poll) | "report" | "getToken" | "*", "kind": drop_after_processing |
                           drop_before_processing | delay | http500 | wait | paper_out | offline,
                           "count": 1, "after": 0, "delay_secs": 1.0};  GET, DELETE /_control/faults
    POST /_control/state {"paper": bool, "offline": bool, "unsent": int, "shift_opened_at": iso,
                          "shift_open": bool};  GET /_control/state
    POST /_control/clock {"advance_secs": 90000} | {"offset_secs": 0};  GET /_control/clock
    POST /_control/reset  faults, clock, paper, offline, unsent back to normal (documents stay)

Run: ``cashier-app fiscal-sandbox [--host 127.0.0.1] [--port 16732] [--state FILE]``; another
address than this computer's needs ``--allow-remote``.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from cashier_app.emulators.common import EmulatorHandler, Fault, Faults, ServerThread, ok_json, send
from cashier_app.emulators.register import web_api
from cashier_app.emulators.register.args import DEFAULT_PORT, add_arguments
from cashier_app.emulators.register.control import ControlApi
from cashier_app.emulators.register.device import Register
from cashier_app.emulators.register.online_api import ONLINE_PREFIX, OnlineApi, OnlineCredentials
from cashier_app.emulators.register.store import RegisterStore
from cashier_app.emulators.server_args import is_loopback_host

log = logging.getLogger("cashier_app.fiscal_sandbox")

_WEB_POLL = re.compile(r"/api/v2/requests/([^/]+)")


def take_fault(faults: Faults, names: list[str], *, whole_wait: bool) -> Fault | None:
    """The first armed fault for any of ``names`` (or ``*``), one use consumed.

    ``whole_wait``: a ``wait`` fault is taken whole (its count is the number of polls the
    request then stays waiting), not one use of it.
    """
    with faults.lock:
        for fault in list(faults.items):
            if fault.endpoint != "*" and fault.endpoint not in names:
                continue
            if fault.after > 0:
                fault.after -= 1
                continue
            if whole_wait and fault.kind == "wait":
                faults.items.remove(fault)
                return copy.copy(fault)
            fault.count -= 1
            if fault.count <= 0:
                faults.items.remove(fault)
            return fault
    return None


class Emulator:
    """What the request handlers share: the store, the register, both protocols, the faults."""

    def __init__(self, store: RegisterStore, creds: OnlineCredentials) -> None:
        self.store = store
        self.register = Register(store)
        self.web = web_api.WebApi(self.register)
        self.online = OnlineApi(self.register, creds)
        self.faults = Faults()


class RegisterHandler(ControlApi, EmulatorHandler):
    logger = log
    server_version = "ATOLWebServer/1.0 (emulator)"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle + delayed ACK hold every
    # keep-alive answer ~40 ms, which the receipt benchmark would otherwise charge to the app.
    disable_nagle_algorithm = True

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator  # type: ignore[attr-defined,no-any-return]

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


    def _dispatch(self, verb: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        body = self._body()
        try:
            if path.startswith("/_control/"):
                self._control(verb, path, url.query, body)
            elif path.startswith("/api/v2/") or path.startswith(ONLINE_PREFIX + "/"):
                self._api(verb, path, url.query, body)
            else:
                ok_json(self, {"error": {"code": 404, "description": "Не найдено"}}, 404)  # type: ignore[arg-type]
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # an emulator bug: say so loudly rather than look like a lost answer
            log.exception("register emulator failed on %s %s", verb, path)
            send(self, 500, "Ошибка эмулятора кассы (см. журнал)".encode(), "text/plain; charset=utf-8")  # type: ignore[arg-type]

    def _route(self, verb: str, path: str, body: bytes) -> tuple[list[str], bool] | None:
        """The fault names of a call and whether a ``wait`` fault is taken whole; None: no such call."""
        if path == "/api/v2/requests" and verb == "POST":
            return [*web_api.task_types(body), "requests"], True
        if _WEB_POLL.fullmatch(path) and verb == "GET":
            return ["results"], False
        return self.emulator.online.fault_names(verb, path)

    def _api(self, verb: str, path: str, query: str, body: bytes) -> None:
        emulator = self.emulator
        if emulator.store.get("offline"):
            self._drop()  # the register is switched off / unplugged: nobody answers
            return
        route = self._route(verb, path, body)
        if route is None:
            ok_json(self, {"error": {"code": 404, "description": "Нет такого метода"}}, 404)  # type: ignore[arg-type]
            return
        names, whole_wait = route
        fault = take_fault(emulator.faults, names, whole_wait=whole_wait)
        if fault:
            log.info("fault %s on %s %s", fault.kind, verb, path)
        if fault and fault.kind in ("drop_before_processing", "offline"):
            self._drop()
            return
        if fault and fault.kind == "http500":
            send(self, 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")  # type: ignore[arg-type]
            return
        if fault and fault.kind == "delay":
            time.sleep(fault.delay_secs)  # then carry on: a slow register still does the work
        wait = fault.count if fault and fault.kind == "wait" and whole_wait else 0
        hold = bool(fault and fault.kind == "wait" and not whole_wait)
        paper_out = bool(fault and fault.kind == "paper_out")
        if path == "/api/v2/requests":
            status, payload = emulator.web.accept(body, wait_polls=wait, paper_out=paper_out)
        elif m := _WEB_POLL.fullmatch(path):
            status, payload = emulator.web.poll(m.group(1), hold=hold)
        else:
            status, payload = emulator.online.handle(verb, path, body, self.headers, query,
                                                     wait_polls=wait, hold=hold, paper_out=paper_out)
        if fault and fault.kind == "drop_after_processing":
            self._drop()
            return
        if payload is None:
            send(self, status, b"", "text/plain")  # type: ignore[arg-type]
            return
        ok_json(self, payload, status)  # type: ignore[arg-type]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: Emulator


class RemoteBindRefused(ValueError):
    """Asked to listen on a non-loopback address without ``allow_remote``."""


def _remote_message(host: str) -> str:
    return (f"Эмулятор кассы слушает только этот компьютер (127.0.0.1); адрес «{host}» доступен из сети. "
            "Если это действительно нужно, запустите с --allow-remote.")


class RegisterServer(ServerThread):
    """The emulator in a background thread; ``port=0`` = any free port."""

    thread_name = "fiscal-sandbox"
    label = "register emulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state_path: str | Path = ":memory:", *,
                 login: str = "demo-login", password: str = "demo-pass", group_code: str = "demo-group",
                 allow_remote: bool = False) -> None:
        if not allow_remote and not is_loopback_host(host):
            # Anyone who reaches the emulator could make "fiscal" documents through its control API.
            raise RemoteBindRefused(_remote_message(host))
        self.host = host
        self.port = port
        self.state_path = str(state_path)
        self.creds = OnlineCredentials(login, password, group_code)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.store: RegisterStore | None = None
        self.url = ""

    @property
    def web_url(self) -> str:
        return self.url

    @property
    def online_url(self) -> str:
        return f"{self.url}{ONLINE_PREFIX}"

    def _build(self) -> _Server:
        self.store = RegisterStore(self.state_path)
        server = _Server((self.host, self.port), RegisterHandler)
        server.emulator = Emulator(self.store, self.creds)
        host, port = server.server_address[:2]
        self.port = int(port)
        self.url = f"http://{host}:{port}"
        return server

    # -- the control API, for tests ---------------------------------------------------------------

    def control(self, verb: str, name: str, data: dict[str, Any] | None = None,
                query: dict[str, str] | None = None) -> Any:
        url = f"{self.url}/_control/{name}" + (f"?{urlencode(query)}" if query else "")
        raw = json.dumps(data or {}).encode("utf-8") if verb != "GET" else None
        request = urllib.request.Request(url, data=raw, method=verb,
                                         headers={"Content-Type": "application/json"} if raw else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise ValueError(f"/_control/{name}: {exc.code} {exc.read().decode('utf-8', 'replace')}") from None

    def documents(self, key: str | None = None) -> list[dict[str, Any]]:
        docs: list[dict[str, Any]] = self.control("GET", "documents", query={"key": key} if key else None)["documents"]
        return docs

    def fault(self, endpoint: str, kind: str, count: int = 1, after: int = 0, delay_secs: float = 1.0) -> int:
        answer = self.control("POST", "faults", {"endpoint": endpoint, "kind": kind, "count": count,
                                                 "after": after, "delay_secs": delay_secs})
        return int(answer["id"])

    def clear_faults(self) -> None:
        self.control("DELETE", "faults", {})

    def set_state(self, **values: Any) -> dict[str, Any]:
        state: dict[str, Any] = self.control("POST", "state", values)
        return state

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.control("GET", "state")
        return state

    def clock(self, *, advance_secs: float | None = None, offset_secs: float | None = None) -> dict[str, Any]:
        if advance_secs is None and offset_secs is None:
            return self.control("GET", "clock")  # type: ignore[no-any-return]
        data = {"advance_secs": advance_secs} if advance_secs is not None else {"offset_secs": offset_secs}
        return self.control("POST", "clock", data)  # type: ignore[no-any-return]

    def reset(self) -> None:
        self.control("POST", "reset", {})


def default_state_path() -> Path:
    """``fiscal-sandbox.sqlite3`` in the app's data dir (platformdirs, or ``CASHIER_DATA_DIR``)."""
    from cashier_app.settings import data_dir

    return data_dir() / "fiscal-sandbox.sqlite3"


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.allow_remote and not is_loopback_host(args.host):
        print(_remote_message(args.host), file=sys.stderr, flush=True)
        return 2
    state = args.state or default_state_path()
    server = RegisterServer(args.host, args.port, state, login=args.login, password=args.password,
                            group_code=args.group, allow_remote=args.allow_remote)
    try:
        server._server = server._build()
    except OSError as exc:
        print(f"Не удалось открыть порт {args.host}:{args.port}: {exc}", file=sys.stderr, flush=True)
        return 1
    fn = server.store.get("fn_number") if server.store else "?"
    print(f"Эмулятор кассы АТОЛ: {server.url}  (ФН {fn}, состояние: {state})", flush=True)
    print(f"АТОЛ Веб-сервер: {server.web_url}/api/v2/requests;  АТОЛ Онлайн: {server.online_url}, "
          f"группа {args.group}, логин {args.login}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
        if server.store:
            server.store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``cashier-app fiscal-sandbox``: an ATOL register (Web Server and Online) on one local port."""
    parser = argparse.ArgumentParser(prog="cashier-app fiscal-sandbox",
                                     description="Эмулятор онлайн-кассы АТОЛ для демонстрации и тестов")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


__all__ = ["DEFAULT_PORT", "RegisterServer", "RemoteBindRefused", "main"]


if __name__ == "__main__":
    raise SystemExit(main())
