"""A local fake of a subscriber billing's OSMP endpoint, for demos and tests: ABillS or Ubilling dialect.

A real HTTP server (``ThreadingHTTPServer``) on loopback; the billing's accounts and accepted payments
live in :class:`~cashier_app.emulators.billing.store.BillingStore` (a sqlite file with ``--state``)::

    GET /osmp?command=check|pay|cancel&txn_id=…&account=…&sum=R.KK[&txn_date=…][&prv_txn=N]  → XML
        (also at ABillS' ``/paysys_check.cgi`` and Ubilling's ``/openpayz/frontend/qiwi/``)

Semantics per dialect: ``protocol.py``.  Control API (JSON bodies only, see ``control.py``)::

    GET  /_control/accounts;  POST /_control/accounts {"rows": [{number, full_name, balance, blocked,
                               closed}…], "replace": false}
    GET  /_control/payments;  GET /_control/requests  (counts per command)
    POST /_control/faults {"command": check|pay|cancel|"*", "kind": drop_after | drop_before | http500 |
                           timeout | slow | result=<code>, "count": 1, "after": 0, "seconds": …}
    GET, DELETE /_control/faults
    GET  /_control/registry[?date=YYYY-MM-DD]  → CSV txn_id;prv_txn;account;sum;date (UTF-8)
    POST /_control/reset {"all": false}  faults and request counts (``all``: accounts and payments too)

Faults, each consumed by the next matching request (``after`` lets that many through first):

* ``drop_before`` — close the connection before anything is done (nothing recorded);
* ``drop_after`` — do it (record the payment), then close without a byte of answer: the lost answer;
* ``http500`` — an HTML 500 page, nothing done;
* ``timeout`` — do it **first**, then hold the answer ``seconds`` (default 30, longer than any client
  timeout) before writing it: the client gives up while the billing has the payment, which is the
  case a connector must survive, and a test can count on the payment being there once the client
  has raised;
* ``slow`` — wait ``seconds`` (default 1), then do it and answer: a slow billing that still answers;
* ``result=<code>`` — answer that result without doing anything (``result=1`` a temporary error,
  ``result=300`` …).

Run: ``cashier-app billing-sandbox [--port 8766] [--dialect abills|ubilling] [--accounts FILE] [--state FILE]
[--office-db URL --payee CODE]`` (the last two: the demo billing borrows a demo payee's accounts, ``office_seed.py``).
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import logging
import signal
import sys
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cashier_app.emulators.billing.args import DEFAULT_PORT, add_arguments
from cashier_app.emulators.billing.control import COMMANDS, FAULT_KINDS, ControlApi
from cashier_app.emulators.billing.office_seed import OfficeSeed
from cashier_app.emulators.billing.protocol import DIALECTS, answer_xml, handle, registry_csv
from cashier_app.emulators.billing.store import BillingStore, read_accounts_csv
from cashier_app.emulators.common import EmulatorHandler, Fault, Faults, ServerThread, send
from cashier_app.emulators.server_args import is_loopback_host

log = logging.getLogger("cashier_app.billing_sandbox")

OSMP_PATHS = ("/osmp", "/paysys_check.cgi", "/openpayz/frontend/qiwi", "/openpayz/frontend/qiwi/index.php")
class Emulator:
    """What the request handlers share: the store, the dialect, faults, request counts, auth."""

    def __init__(self, store: BillingStore, dialect: str, login: str | None, password: str | None,
                 seed: OfficeSeed | None = None) -> None:
        self.store = store
        self.seed = seed
        self.dialect = dialect
        self.faults = Faults()
        self.login = login
        self.password = password
        self.stopping = threading.Event()  # ends a held answer at once when the server stops
        self._counts_lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def count(self, command: str) -> None:
        with self._counts_lock:
            key = command if command in COMMANDS else "other"
            self.counts[key] = self.counts.get(key, 0) + 1

    def request_counts(self) -> dict[str, int]:
        with self._counts_lock:
            return {**dict.fromkeys(COMMANDS, 0), **self.counts}

    def reset(self, everything: bool) -> None:
        self.faults.clear()
        with self._counts_lock:
            self.counts.clear()
        if everything:
            self.store.wipe()

    def authorized(self, header: str | None) -> bool:
        if not self.login:
            return True
        expected = base64.b64encode(f"{self.login}:{self.password or ''}".encode()).decode()
        return hmac.compare_digest((header or "").encode(), f"Basic {expected}".encode())


class BillingHandler(ControlApi, EmulatorHandler):
    logger = log
    server_version = "Billing/1.0 (emulator)"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; see the register emulator

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator  # type: ignore[attr-defined,no-any-return]

    def _dispatch(self, verb: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 10 * 1024 * 1024)) if length > 0 else b""
        try:
            if url.path.startswith("/_control/"):
                self._control(verb, url.path, url.query, body)
            elif url.path.rstrip("/") in OSMP_PATHS or url.path in OSMP_PATHS:
                params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
                if verb == "POST" and body:  # some acceptors send the same fields as a form
                    params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
                self._osmp(params)
            else:
                send(self, 404, b"not found", "text/plain")  # type: ignore[arg-type]
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # an emulator bug: say so loudly rather than look like a lost answer
            log.exception("billing emulator failed on %s %s", verb, url.path)
            send(self, 500, "Ошибка эмулятора биллинга (см. журнал)".encode(), "text/plain; charset=utf-8")  # type: ignore[arg-type]

    def _osmp(self, params: dict[str, str]) -> None:
        emulator = self.emulator
        command = params.get("command", "")
        emulator.count(command)
        if not emulator.authorized(self.headers.get("Authorization")):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="billing"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fault = emulator.faults.take(command) if command else None
        if fault:
            log.info("fault %s on %s txn_id=%s", fault.kind, command, params.get("txn_id"))
            if fault.kind == "drop_before":
                self._drop()
                return
            if fault.kind == "http500":
                send(self, 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")  # type: ignore[arg-type]
                return
            if fault.kind.startswith("result="):
                code = int(fault.kind.split("=", 1)[1])
                self._xml(answer_xml(code, osmp_txn_id=params.get("txn_id", ""), comment="fault injected"))
                return
            if fault.kind == "slow" and emulator.stopping.wait(fault.delay_secs):
                self._drop()  # the server is stopping: its store is about to close
                return
        account = params.get("account", "")
        if emulator.seed and command in ("check", "pay") and account and emulator.store.account(account) is None:
            emulator.seed.adopt(emulator.store)  # the demo office may have got this account since the start
        answer = handle(emulator.store, emulator.dialect, params)
        log.info("%s txn_id=%s account=%s → %s", command, params.get("txn_id"), params.get("account"),
                 answer["result"])
        if fault and fault.kind == "drop_after":
            self._drop()
            return
        if fault and fault.kind == "timeout":
            emulator.stopping.wait(fault.delay_secs)
            self.close_connection = True
        self._xml(answer_xml(**answer))

    def _xml(self, body: bytes) -> None:
        send(self, 200, body, "text/xml; charset=utf-8")  # type: ignore[arg-type]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Eight deliverers at once overflow the default backlog of 5: the kernel drops the SYN and the
    # client waits a second for its retry, which every race test and the benchmark would pay.
    request_queue_size = 128
    emulator: Emulator


class RemoteBindRefused(ValueError):
    """Asked to listen on a non-loopback address without ``allow_remote``."""


def _remote_message(host: str) -> str:
    return (f"Эмулятор биллинга слушает только этот компьютер (127.0.0.1); адрес «{host}» доступен из сети. "
            "Если это действительно нужно, запустите с --allow-remote.")


class BillingControl:
    """The control API of a running billing emulator (this process's or a ``billing-sandbox``'s)."""

    control_ssl: Any = None  # an ssl context for the control calls of an https emulator

    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/")

    @property
    def osmp_url(self) -> str:
        """The check/pay endpoint to configure a payee with (``payees billing CODE --osmp …``)."""
        return f"{self.url}/osmp"

    def _request(self, verb: str, name: str, data: dict[str, Any] | None = None,
                 query: dict[str, str] | None = None) -> bytes:
        url = f"{self.url}/_control/{name}" + (f"?{urlencode(query)}" if query else "")
        raw = json.dumps(data or {}, ensure_ascii=False).encode("utf-8") if verb != "GET" else None
        request = urllib.request.Request(url, data=raw, method=verb,
                                         headers={"Content-Type": "application/json"} if raw else {})
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.control_ssl) as answer:
                return bytes(answer.read())
        except urllib.error.HTTPError as exc:
            raise ValueError(f"/_control/{name}: {exc.code} {exc.read().decode('utf-8', 'replace')}") from None

    def control(self, verb: str, name: str, data: dict[str, Any] | None = None,
                query: dict[str, str] | None = None) -> Any:
        return json.loads(self._request(verb, name, data, query).decode("utf-8"))

    def load_accounts(self, source: str | Path | list[dict[str, Any]], *, replace: bool = False) -> int:
        """Accounts from a generic import CSV (path) or rows (``number``, ``full_name``, ``balance`` rubles
        text or ``balance_minor`` int, ``blocked``, ``closed``); upsert by number. → how many."""
        rows = read_accounts_csv(source) if isinstance(source, str | Path) else [dict(r) for r in source]
        for row in rows:  # JSON has no Decimal; the store reads rubles as text exactly
            if "balance" in row and not isinstance(row["balance"], str | int):
                row["balance"] = str(row["balance"])
        return int(self.control("POST", "accounts", {"rows": rows, "replace": replace})["count"])

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "accounts")["accounts"])

    def payments(self) -> list[dict[str, Any]]:
        """Every payment the billing recorded: txn_id, prv_txn, account, sum_minor, txn_date, cancelled,
        received_at (UTC ISO), cancelled_at."""
        return list(self.control("GET", "payments")["payments"])

    def requests(self) -> dict[str, int]:
        """How many requests arrived per command (``check``, ``pay``, ``cancel``, ``other``), faulted ones too."""
        return dict(self.control("GET", "requests")["requests"])

    def fault(self, command: str, kind: str, count: int = 1, seconds: float | None = None, after: int = 0) -> int:
        """Arm a fault for ``command`` (check | pay | cancel | ``*``); see the module docstring. → its id."""
        data: dict[str, Any] = {"command": command, "kind": kind, "count": count, "after": after}
        if seconds is not None:
            data["seconds"] = seconds
        return int(self.control("POST", "faults", data)["id"])

    def clear_faults(self) -> None:
        self.control("DELETE", "faults", {})

    def registry(self, date: str | None = None) -> str:
        """The billing's list of accepted payments (``date`` YYYY-MM-DD: of that day) as CSV text."""
        return self._request("GET", "registry", query={"date": date} if date else None).decode("utf-8")

    def reset(self, *, everything: bool = False) -> None:
        """Faults and request counts back to none; ``everything``: accounts and payments forgotten too."""
        self.control("POST", "reset", {"all": everything})


class BillingServer(BillingControl, ServerThread):
    """The billing emulator in a background thread; ``port=0`` = any free port.

    ``BillingServer(dialect="abills", port=0, state=None)``: ``start()`` → base URL, ``osmp_url``,
    ``stop()``, and the control methods of :class:`BillingControl` (accounts, payments, faults…).
    """

    thread_name = "billing-sandbox"
    label = "billing emulator"

    def __init__(self, dialect: str = "abills", port: int = 0, state: str | Path | None = None, *,
                 host: str = "127.0.0.1", login: str | None = None, password: str | None = None,
                 allow_remote: bool = False, office_db: str | None = None, payee: str | None = None,
                 tls: tuple[str, str] | None = None) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect: {', '.join(DIALECTS)}, not {dialect!r}")
        if not allow_remote and not is_loopback_host(host):
            # Anyone who reaches the emulator could "pay" through it and read its accounts.
            raise RemoteBindRefused(_remote_message(host))
        self.dialect = dialect
        self.host = host
        self.port = port
        self.state_path = str(state) if state else ":memory:"
        self.login = login
        self.password = password
        if office_db and not payee:
            raise ValueError("office_db needs payee (the code of the payee whose accounts the billing keeps)")
        self.seed = OfficeSeed(office_db, payee) if office_db and payee else None
        self.tls = tls  # (certificate PEM, key PEM): https, for the client's ca_file tests
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.store: BillingStore | None = None
        self.url = ""

    def _build(self) -> _Server:
        self.store = BillingStore(self.state_path)
        server = _Server((self.host, self.port), BillingHandler)
        server.emulator = Emulator(self.store, self.dialect, self.login, self.password, self.seed)
        if self.seed:
            self.seed.adopt(self.store, force=True)
        host, port = server.server_address[:2]
        self.port = int(port)
        scheme = "http"
        if self.tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
            # The test's own control calls to its own loopback emulator; the client under test verifies.
            self.control_ssl = ssl._create_unverified_context()
        self.url = f"{scheme}://{host}:{port}"
        return server

    def stop(self) -> None:
        if self._server is not None:
            self._server.emulator.stopping.set()  # a held ``timeout`` answer must not keep the store busy
        super().stop()


def default_state_path() -> Path:
    """``billing-sandbox.sqlite3`` in the app's data dir (platformdirs, or ``CASHIER_DATA_DIR``)."""
    from cashier_app.settings import data_dir

    return data_dir() / "billing-sandbox.sqlite3"


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not args.allow_remote and not is_loopback_host(args.host):
        print(_remote_message(args.host), file=sys.stderr, flush=True)
        return 2
    if bool(args.office_db) != bool(args.payee):
        print("--office-db и --payee указываются вместе", file=sys.stderr, flush=True)
        return 2
    server = BillingServer(args.dialect, args.port, args.state, host=args.host, login=args.login,
                           password=args.password, allow_remote=args.allow_remote, office_db=args.office_db,
                           payee=args.payee)
    try:
        server._server = server._build()
    except OSError as exc:
        print(f"Не удалось открыть порт {args.host}:{args.port}: {exc}", file=sys.stderr, flush=True)
        return 1
    assert server.store is not None
    if args.accounts:
        try:
            count = server.store.load_accounts(read_accounts_csv(args.accounts))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            print(f"Счета из «{args.accounts}» не загружены: {exc}", file=sys.stderr, flush=True)
            server._server.server_close()
            server.store.close()
            return 2
        print(f"Загружено лицевых счетов: {count}", flush=True)
    if args.office_db:
        print(f"Лицевые счета получателя {args.payee} из базы офиса: {len(server.store.accounts())}", flush=True)
    print(f"Эмулятор биллинга ({args.dialect}): {server.url}  OSMP: {server.osmp_url}  "
          f"(состояние: {args.state or 'в памяти'})", flush=True)
    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # run.sh's background sandbox is stopped by TERM: close the state file cleanly

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server._server.emulator.stopping.set()
        server._server.server_close()
        server.store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``cashier-app billing-sandbox``: an OSMP billing (ABillS or Ubilling dialect) on one local port."""
    parser = argparse.ArgumentParser(prog="cashier-app billing-sandbox",
                                     description="Эмулятор биллинга (протокол OSMP check/pay) для демонстрации и тестов")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


__all__ = ["DEFAULT_PORT", "FAULT_KINDS", "BillingControl", "BillingServer", "Fault", "RemoteBindRefused", "main",
           "registry_csv"]


if __name__ == "__main__":
    raise SystemExit(main())
