"""Headless sub-commands of ``cashier-app``; each module has ``register(subparsers)``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

# Exit codes shared by the commands (README, «Коды завершения»).
EXIT_REFUSED = 2  # nothing was done: a user mistake, a refused rule, the database unreachable
EXIT_DONE_BUT = 3  # the money moved (committed), something after it failed: the file, the slip
EXIT_OUTCOME_UNKNOWN = 4  # the connection dropped at the commit and the database cannot be asked again


def add_db_arg(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a global ``--db`` given before the sub-command.
    parser.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=tr("база данных"))


def add_as_arg(parser: argparse.ArgumentParser, dest: str = "login") -> None:
    """``--as LOGIN``: the user a headless command acts as (see :func:`cli_context`)."""
    parser.add_argument("--as", dest=dest, metavar=tr("ЛОГИН"),
                        help=tr("от имени пользователя (или CASHIER_USER); пароль — CASHIER_PASSWORD или запрос, "
                                "либо токен в CASHIER_TOKEN"))


def open_db(args: argparse.Namespace, *, migrate: bool = True):  # type: ignore[no-untyped-def]
    """The database for a command, checked and migrated; one clear line if unreachable."""
    from cashier_app.services import office_time
    from cashier_app.services.bootstrap import open_database

    db = open_database(getattr(args, "db", None), migrate=migrate)
    # Read the office's zone once: ``--date`` defaults and printed times use it (issue 11).
    office_time.office_zone(db)
    return db


def parse_date(text: str | None, field: str = "--date") -> date:
    if not text:
        from cashier_app.services.office_time import process_today

        return process_today()  # the office's business day, not the desk clock's
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(field, tr("«{typed}» — не дата; нужен формат ГГГГ-ММ-ДД", typed=text)) from exc


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


ENV_USER = "CASHIER_USER"
ENV_PASSWORD = "CASHIER_PASSWORD"
ENV_TOKEN = "CASHIER_TOKEN"


def cli_context(db, login: str | None = None):  # type: ignore[no-untyped-def]
    """The acting user for a headless command, authenticated.

    There is no default user and no password on the command line (``ps`` and
    shell history show argv): the user is ``--as`` or ``CASHIER_USER``, proved
    by ``CASHIER_TOKEN`` (a token an administrator issued; it names its user,
    so ``--as`` may be left out), ``CASHIER_PASSWORD``, or a password typed at
    the prompt.  Wrong passwords count toward the same lockout as the window's
    sign-in, and a locked or disabled user is refused here as there.
    """
    import os

    from cashier_app.domain.errors import UserError
    from cashier_app.services import user_tokens, users
    from cashier_app.services.context import DeskContext
    from cashier_app.settings import DeskSettings

    desk = DeskSettings().get("desk")
    login = login or os.environ.get(ENV_USER) or None
    token = os.environ.get(ENV_TOKEN)
    if token:
        info = user_tokens.authenticate_token(db, desk, token, login=login)
        return DeskContext(db=db, desk=desk, user=info)
    if not login:
        raise UserError(tr("укажите пользователя: --as ЛОГИН или CASHIER_USER (и пароль в CASHIER_PASSWORD, "
                           "или токен в CASHIER_TOKEN)"))
    password = os.environ.get(ENV_PASSWORD)
    if password is None:
        password = _prompt(tr("Пароль пользователя {login}: ", login=login),
                           tr("нужен пароль: задайте CASHIER_PASSWORD или CASHIER_TOKEN, либо запустите из "
                              "терминала"))
    info = users.authenticate(db, desk, login, password, via="cli")
    return DeskContext(db=db, desk=desk, user=info)


def _prompt(text: str, no_tty: str) -> str:
    import getpass

    from cashier_app.domain.errors import UserError

    if not sys.stdin.isatty():
        raise UserError(no_tty)
    return getpass.getpass(text)


def read_new_password(field: str = N_("пароль")) -> str:
    """A new password from the prompt (typed twice) or, from a script, one line of stdin."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(tr("Новый пароль: "))
        if getpass.getpass(tr("Ещё раз: ")) != first:
            raise ValidationError(field, tr("пароли не совпадают"))
        return first
    # One line; the newline a shell or `echo` adds is not part of the password.
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValidationError(field, tr("пустой ввод: передайте пароль одной строкой на стандартный ввод"))
    return line


def check_output_path(path: str | None, option: str) -> None:
    """Refuse a bad output file before anything is done: money must not move for a file we cannot write."""
    from cashier_app.services.output_files import check_target

    if not path:
        return
    # One set of rules for every output option: a folder, a missing folder, no write access, a device
    # (it cannot be replaced atomically), a name too long or with a NUL byte.
    check_target(path, option)
