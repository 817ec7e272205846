"""A payment that was taken is never reported as failed (issue 10, §3).

* a bad ``--pdf`` is refused before money moves;
* a file that cannot be written after the commit says «оплата проведена: P-…» and exits 3;
* a connection killed at the commit (``pg_terminate_backend``) is answered by looking the
  operation up again: done → success with its number, not done → a clear failure, safe to retry;
* ``pay-cash`` prints the token it used, and a retry with it pays once.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from cashier_app import cli as cli_module
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.test_cli import ROOT, as_user, clean_env, cli

ACCOUNT = "0000001"


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _balance(db: Database) -> int:
    with db.read() as uow:
        return uow.session.execute(select(m.Account.balance_minor).where(m.Account.number == ACCOUNT)).scalar_one()


def _count(db: Database, *where) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return int(uow.session.execute(select(func.count()).select_from(m.Payment).where(*where)).scalar_one())


def _shift_status(db: Database) -> str | None:
    with db.read() as uow:
        return uow.session.execute(select(m.CashShift.status).order_by(m.CashShift.id.desc()).limit(1)).scalar()


@pytest.fixture
def pg_office(pg_database_factory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A small private demo office on PostgreSQL (the tests close shifts and kill connections)."""
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 60}))
    yield db
    db.dispose()


# --- output paths -------------------------------------------------------------------------------

def test_bad_output_paths_are_refused_before_money_moves(fresh_db: Database, tmp_path: Path) -> None:
    url = _url(fresh_db)
    assert cli("shift", "open", "--float", "5000", "--db", url, user="manager").returncode == 0
    paid = cli("pay-cash", "--account", ACCOUNT, "--amount", "1000", "--json", "--db", url, user="manager")
    assert paid.returncode == 0, paid.stderr
    payment = json.loads(paid.stdout)["payment"]
    balance, entries = _balance(fresh_db), _count(fresh_db)
    for args, option in (
        (("pay-cash", "--account", ACCOUNT, "--amount", "100", "--pdf", "/nonexistent/slip.pdf"), "--pdf"),
        (("pay-cash", "--account", ACCOUNT, "--amount", "100", "--pdf", str(tmp_path)), "--pdf"),
        (("refund", payment, "--reason", "ошибка", "--pdf", "/nonexistent/r.pdf"), "--pdf"),
        (("shift", "close", "--counted", "0", "--pdf", "/nonexistent/z.pdf"), "--pdf"),
        (("shift", "x", "--pdf", "/nonexistent/x.pdf"), "--pdf"),
        (("journal", "--csv", "/nonexistent/j.csv"), "--csv"),
    ):
        p = cli(*args, "--db", url, user="manager")
        assert p.returncode == 2, (args, p.stderr)
        assert option in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert (_balance(fresh_db), _count(fresh_db)) == (balance, entries)
    assert _shift_status(fresh_db) == "open"


def _file_size_limited() -> None:
    # Any file this process writes stops at 1 KB (a PDF is bigger): a full disk for the slip only,
    # since the database (PostgreSQL) writes on the server.  SIGXFSZ ignored → write() fails with EFBIG.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


def _cli_disk_full(*args: str, user: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cashier_app", *args], capture_output=True, text=True, timeout=90,
                          cwd=ROOT, env=clean_env(as_user(user)), preexec_fn=_file_size_limited)


def test_a_file_failing_after_the_commit_says_the_money_moved(pg_office: Database, tmp_path: Path) -> None:
    url = _url(pg_office)
    assert cli("shift", "open", "--float", "5000", "--db", url, user="manager").returncode == 0
    before = _balance(pg_office)
    p = _cli_disk_full("pay-cash", "--account", ACCOUNT, "--amount", "1000", "--pdf", str(tmp_path / "slip.pdf"),
                       "--db", url, user="manager")
    assert p.returncode == 3, p.stderr
    assert "Traceback" not in p.stderr
    with pg_office.read() as uow:
        number = uow.session.execute(select(m.Payment.number).order_by(m.Payment.id.desc()).limit(1)).scalar_one()
    assert f"оплата проведена: {number}" in p.stderr and number in p.stdout
    assert _balance(pg_office) == before + 100_000
    p = _cli_disk_full("refund", number, "--amount", "400", "--reason", "ошибка", "--pdf", str(tmp_path / "r.pdf"),
                       "--db", url, user="manager")
    assert p.returncode == 3 and "Traceback" not in p.stderr, p.stderr
    assert "возврат проведён: " in p.stderr and number in p.stderr
    assert _balance(pg_office) == before + 60_000
    p = _cli_disk_full("shift", "close", "--counted", "56", "--pdf", str(tmp_path / "z.pdf"), "--db", url,
                       user="manager")
    assert p.returncode == 3 and "Traceback" not in p.stderr, p.stderr
    assert "смена закрыта" in p.stderr and "reprint" in p.stderr
    assert _shift_status(pg_office) == "closed"
    assert not [f for f in tmp_path.iterdir() if f.suffix == ".pdf"]


# --- the connection dies at the commit --------------------------------------------------------------

def _terminate(db: Database, pid: int) -> None:
    """Kill a backend from another connection and wait until the server has let it go."""
    dsn = _url(db).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(10_000):  # a wait, not a timing assertion: the server ends the backend asynchronously
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is None:
                return
            conn.execute("SELECT pg_sleep(0.01)")
    raise AssertionError(f"backend {pid} did not end")


@contextmanager
def killed_at_commit(db: Database, is_target: Callable[[Session], bool], *, committed: bool) -> Iterator[list[int]]:
    """Terminate the session's backend at the commit of the transaction ``is_target`` picks.

    ``committed=False``: before COMMIT is sent — the server rolls the transaction back.
    ``committed=True``: the transaction is committed first on the raw connection, then a new one
    is opened and the backend killed, so the client's own COMMIT meets a dead server: the data
    is there but the answer is lost, as when the network drops after the server commits.
    """
    fired: list[int] = []

    def hook(session: Session) -> None:
        if fired or not is_target(session):
            return
        conn = session.connection()
        pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        fired.append(pid)
        if committed:
            session.flush()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.commit()
            raw.execute("SELECT 1")
        _terminate(db, pid)

    event.listen(Session, "before_commit", hook)
    try:
        yield fired
    finally:
        event.remove(Session, "before_commit", hook)


def _holds(session: Session, pred: Callable[[object], bool]) -> bool:
    return any(pred(obj) for obj in list(session.identity_map.values()) + list(session.new))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli_module.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def as_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in as_user("manager").items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("CASHIER_TOKEN", raising=False)


@pytest.mark.parametrize("committed", [False, True], ids=["lost-before-commit", "lost-after-commit"])
def test_pay_cash_killed_at_commit_tells_the_truth(pg_office: Database, capsys: pytest.CaptureFixture[str],
                                                    as_manager: None, committed: bool) -> None:
    url = _url(pg_office)
    assert _run(capsys, "shift", "open", "--float", "0", "--db", url)[0] == 0
    token = "lost-answer-" + ("after" if committed else "before")
    before = _balance(pg_office)
    mine = lambda s: _holds(s, lambda o: isinstance(o, m.Payment) and o.operation_token == token)  # noqa: E731
    with killed_at_commit(pg_office, mine, committed=committed) as fired:
        code, out, err = _run(capsys, "pay-cash", "--account", ACCOUNT, "--amount", "250", "--token", token,
                              "--db", url)
    assert fired, "the commit hook never ran"
    there = _count(pg_office, m.Payment.operation_token == token)
    assert "Traceback" not in err
    if committed:
        # The truth: it was paid.  The answer: paid, with the payment's number.
        assert there == 1 and _balance(pg_office) == before + 25_000
        with pg_office.read() as uow:
            number = uow.session.execute(select(m.Payment.number).where(m.Payment.operation_token == token)).scalar_one()
        assert code == 0, err
        assert f"платёж {number}: 250,00" in out and "платёж проведён" in err
    else:
        # The truth: nothing was written.  The answer: not paid, and how to retry safely.
        assert there == 0 and _balance(pg_office) == before
        assert code == 2, err
        assert "платёж не проведён" in err and f"--token {token}" in err
    # The retry with the same token pays (once) in both cases.
    code, out, err = _run(capsys, "pay-cash", "--account", ACCOUNT, "--amount", "250", "--token", token, "--db", url)
    assert code == 0, err
    assert _count(pg_office, m.Payment.operation_token == token) == 1
    assert _balance(pg_office) == before + 25_000


@pytest.mark.parametrize("committed", [False, True], ids=["lost-before-commit", "lost-after-commit"])
def test_refund_and_shift_close_killed_at_commit_tell_the_truth(pg_office: Database,
                                                                capsys: pytest.CaptureFixture[str],
                                                                as_manager: None, committed: bool) -> None:
    url = _url(pg_office)
    assert _run(capsys, "shift", "open", "--float", "1000", "--db", url)[0] == 0
    code, out, _ = _run(capsys, "pay-cash", "--account", ACCOUNT, "--amount", "300", "--db", url)
    number = out.split()[1].rstrip(":")
    before = _balance(pg_office)
    refund = lambda s: _holds(s, lambda o: isinstance(o, m.Payment) and o.entry_kind == "refund")  # noqa: E731
    with killed_at_commit(pg_office, refund, committed=committed) as fired:
        code, out, err = _run(capsys, "refund", number, "--amount", "100", "--reason", "ошибка", "--db", url)
    assert fired and "Traceback" not in err
    refunds = _count(pg_office, m.Payment.entry_kind == "refund")
    if committed:
        assert refunds == 1 and _balance(pg_office) == before - 10_000
        assert code == 0 and f"{number}: возврат 100,00" in out and "проведён" in err, err
    else:
        assert refunds == 0 and _balance(pg_office) == before
        assert code == 2 and "не проведён" in err, err

    closing = lambda s: _holds(s, lambda o: isinstance(o, m.CashShift) and o.status == "closed")  # noqa: E731
    with killed_at_commit(pg_office, closing, committed=committed) as fired:
        code, out, err = _run(capsys, "shift", "close", "--counted", "0", "--db", url)
    assert fired and "Traceback" not in err
    if committed:
        assert _shift_status(pg_office) == "closed"
        assert code == 0 and "закрыта" in out and "Z-отчёт D-" in out, err
    else:
        assert _shift_status(pg_office) == "open"
        assert code == 2 and "не закрыта" in err, err


# --- the token a retry needs -------------------------------------------------------------------------

def test_pay_cash_prints_its_token_and_a_retry_with_it_pays_once(fresh_db: Database) -> None:
    url = _url(fresh_db)
    assert cli("shift", "open", "--float", "0", "--db", url, user="cashier").returncode == 0
    before = _balance(fresh_db)
    first = cli("pay-cash", "--account", ACCOUNT, "--amount", "75", "--db", url, user="cashier")
    assert first.returncode == 0, first.stderr
    line = first.stderr.splitlines()[0]
    assert line.startswith("токен операции: ")
    token = line.split(": ", 1)[1]
    again = cli("pay-cash", "--account", ACCOUNT, "--amount", "75", "--token", token, "--db", url, user="cashier")
    assert again.returncode == 0 and "повтор" in again.stdout, again.stderr
    assert first.stdout.split()[1] == again.stdout.split()[1]  # the same payment number
    assert _count(fresh_db, m.Payment.operation_token == token) == 1
    assert _balance(fresh_db) == before + 7_500
    # Without --token each run is a new payment: that is why the token is printed.
    other = cli("pay-cash", "--account", ACCOUNT, "--amount", "75", "--db", url, user="cashier")
    assert other.stderr.splitlines()[0] != line and _balance(fresh_db) == before + 15_000
