"""Who may move money from the command line: a named user, proved by a password or a token (issue 10, §4)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from cashier_app.services import users
from cashier_app.services.users import SignInError
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.test_cli import _one_clean_line, as_user, cli


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _role(db: Database, login: str) -> str:
    with db.read() as uow:
        return uow.session.execute(select(m.User.role).where(m.User.login == login)).scalar_one()


def _payments(db: Database) -> int:
    with db.read() as uow:
        return int(uow.session.execute(select(func.count()).select_from(m.Payment)).scalar_one())


def test_no_default_user_and_no_password_means_no_change(fresh_db: Database) -> None:
    url = _url(fresh_db)
    # No --as, no CASHIER_USER: nobody to act as (the old default was «admin», without a password).
    line = _one_clean_line(cli("users", "role", "cashier", "admin", "--db", url))
    assert "--as" in line and "CASHIER_USER" in line
    # A user but no password, and no terminal to ask on.
    line = _one_clean_line(cli("users", "role", "cashier", "admin", "--as", "admin", "--db", url))
    assert "CASHIER_PASSWORD" in line
    line = _one_clean_line(cli("users", "role", "cashier", "admin", "--db", url, env=as_user("admin", "guess")))
    assert "Неверное имя пользователя или пароль" in line
    # The right password for a cashier: signed in, and still only a cashier.
    line = _one_clean_line(cli("users", "role", "cashier", "admin", "--db", url, user="cashier"))
    assert "Недостаточно прав" in line
    assert _role(fresh_db, "cashier") == "cashier"
    ok = cli("users", "role", "manager", "cashier", "--db", url, user="admin")
    assert ok.returncode == 0, ok.stderr
    assert _role(fresh_db, "manager") == "cashier"
    # Looking up signs in too (issue 11): hits and cards carry names, addresses and phones.
    for lookup in (("find", "dem001"), ("show", "account", "0000001"), ("rates", "list")):
        assert "CASHIER_USER" in _one_clean_line(cli(*lookup, "--db", url))
        assert "Неверное имя пользователя или пароль" in _one_clean_line(
            cli(*lookup, "--db", url, env=as_user("cashier", "guess")))
        ok = cli(*lookup, "--db", url, user="cashier")
        assert ok.returncode == 0, ok.stderr


def test_wrong_cli_passwords_lock_the_user_in_the_window_too(fresh_db: Database) -> None:
    url = _url(fresh_db)
    pay = ("pay-cash", "--account", "0000001", "--amount", "100", "--db", url)
    before = _payments(fresh_db)
    for left in (4, 3, 2, 1):
        line = _one_clean_line(cli(*pay, env=as_user("cashier", "wrong")))
        assert f"осталось попыток: {left}" in line
    assert "заблокирован на 5 мин" in _one_clean_line(cli(*pay, env=as_user("cashier", "wrong")))
    # Locked everywhere: the right password on the command line, and the window's sign-in.
    assert "заблокирован" in _one_clean_line(cli(*pay, user="cashier"))
    with pytest.raises(SignInError, match="заблокирован"):
        users.authenticate(fresh_db, "desk-1", "cashier", "cashier")
    assert _payments(fresh_db) == before
    with fresh_db.read() as uow:
        failed = uow.session.execute(select(m.AuditEvent.after).where(m.AuditEvent.action == "auth.failed")).scalars()
        assert [a.get("via") for a in failed] == ["cli"] * 5
    # The administrator resets the password from stdin (never argv); that unlocks.
    reset = cli("users", "password", "cashier", "--db", url, user="admin", stdin="new-secret-1\n")
    assert reset.returncode == 0, reset.stderr
    assert cli("shift", "open", "--float", "0", "--db", url, env=as_user("cashier", "new-secret-1")).returncode == 0


def test_disabled_user_is_refused_on_the_command_line(fresh_db: Database) -> None:
    url = _url(fresh_db)
    issued = cli("users", "token", "issue", "manager", "--db", url, user="admin")
    token = issued.stdout.splitlines()[0]
    assert cli("users", "disable", "manager", "--db", url, user="admin").returncode == 0
    assert "отключён" in _one_clean_line(cli("journal", "--db", url, user="manager"))
    assert "отключён" in _one_clean_line(cli("journal", "--db", url, env={"CASHIER_TOKEN": token}))
    with pytest.raises(SignInError, match="отключён"):
        users.authenticate(fresh_db, "desk-1", "manager", "manager")


def test_tokens_are_issued_hashed_named_and_revoked(fresh_db: Database) -> None:
    url = _url(fresh_db)
    assert "Недостаточно прав" in _one_clean_line(cli("users", "token", "issue", "cashier", "--db", url,
                                                      user="cashier"))
    issued = cli("users", "token", "issue", "cashier", "--label", "скрипт", "--json", "--db", url, user="admin")
    assert issued.returncode == 0, issued.stderr
    data = json.loads(issued.stdout)
    token, token_id = data["token"], data["id"]
    assert token.startswith("ct_") and len(token) > 40
    # Only a hash is stored: the token is nowhere in the database, not even in the audit trail.
    with fresh_db.read() as uow:
        s = uow.session
        stored = s.execute(select(m.UserToken.token_hash)).scalar_one()
        audit_text = " ".join(str(r) for r in s.execute(text("SELECT before, after FROM audit_events")).all())
    assert stored != token and token not in audit_text and len(stored) == 64
    env = {"CASHIER_TOKEN": token}
    # The token names its user; --as may be left out, and may not name someone else.
    opened = cli("shift", "open", "--float", "0", "--json", "--db", url, env=env)
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout)["user_login"] == "cashier"
    assert "выдан пользователю «cashier»" in _one_clean_line(cli("users", "list", "--as", "admin", "--db", url,
                                                                 env=env))
    assert "Недостаточно прав" in _one_clean_line(cli("users", "list", "--db", url, env=env))
    listed = cli("users", "token", "list", "cashier", "--json", "--db", url, user="admin")
    row = json.loads(listed.stdout.splitlines()[0])
    assert row["id"] == token_id and row["label"] == "скрипт" and row["last_used_at"] and not row["revoked_at"]
    assert "token" not in row
    assert cli("users", "token", "revoke", str(token_id), "--db", url, user="admin").returncode == 0
    assert "отозван" in _one_clean_line(cli("shift", "status", "--db", url, env=env))
    assert "токен не найден" in _one_clean_line(cli("shift", "status", "--db", url, env={"CASHIER_TOKEN": "ct_x"}))


def test_passwords_never_on_the_command_line(fresh_db: Database) -> None:
    url = _url(fresh_db)
    add = ("users", "add", "new1", "--name", "Новый Кассир", "--role", "cashier", "--db", url)
    line = _one_clean_line(cli(*add, "--password", "secret-77", user="admin"))
    assert "командной строке" in line
    line = _one_clean_line(cli("users", "password", "cashier", "secret-77", "--db", url, user="admin"))
    assert "командной строке" in line
    with fresh_db.read() as uow:
        assert uow.session.execute(select(m.User).where(m.User.login == "new1")).scalar_one_or_none() is None
    line = _one_clean_line(cli(*add, user="admin", stdin=""))
    assert "стандартный ввод" in line
    made = cli(*add, user="admin", stdin="secret-77\n")
    assert made.returncode == 0, made.stderr
    assert users.authenticate(fresh_db, "desk-1", "new1", "secret-77").role == "cashier"
    assert users.authenticate(fresh_db, "desk-1", "cashier", "cashier").login == "cashier"  # not changed


def test_password_typed_at_the_prompt_is_not_echoed(fresh_db: Database) -> None:
    """From a terminal with no CASHIER_PASSWORD the command asks, and the typed password is not shown."""
    import os
    import pty
    import select
    import sys

    from tests.test_cli import ROOT, clean_env

    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command on a terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "cashier_app", "users", "list", "--as", "admin",
                                   "--db", _url(fresh_db)], clean_env())
    seen = b""

    def read_until(marker: bytes) -> None:
        nonlocal seen
        for _ in range(600):  # a bound on a dead child, not a timing check
            if marker in seen:
                return
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                seen += chunk

    read_until("Пароль пользователя admin".encode())
    os.write(fd, b"admin-typed-wrong\n")
    read_until("попыток".encode())
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text_seen = seen.decode("utf-8", "replace")
    assert "Неверное имя пользователя или пароль" in text_seen, text_seen
    assert "admin-typed-wrong" not in text_seen  # getpass turned the echo off
    assert os.waitstatus_to_exitcode(status) == 2
