"""Headless sub-commands of ``cashier-app``; each module has ``register(subparsers)``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from cashier_app.domain.errors import ValidationError


def add_db_arg(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a global ``--db`` given before the sub-command.
    parser.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="база данных")


def add_as_arg(parser: argparse.ArgumentParser, dest: str = "login") -> None:
    """``--as LOGIN``: the user a headless command acts as (see :func:`cli_context`)."""
    parser.add_argument("--as", dest=dest, metavar="ЛОГИН",
                        help="от имени пользователя (по умолчанию CASHIER_USER или admin)")


def open_db(args: argparse.Namespace, *, migrate: bool = True):  # type: ignore[no-untyped-def]
    """The database for a command, checked and migrated; one clear line if unreachable."""
    from cashier_app.services.bootstrap import open_database

    return open_database(getattr(args, "db", None), migrate=migrate)


def parse_date(text: str | None, field: str = "--date") -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(field, f"«{text}» — не дата; нужен формат ГГГГ-ММ-ДД") from exc


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def cli_context(db, login: str | None = None):  # type: ignore[no-untyped-def]
    """The acting user for a headless command.

    Someone with a shell on the office machine already holds the database, so
    the command acts as the user named by ``--as`` or ``CASHIER_USER`` (default
    ``admin``) without a password; services still check that user's role.
    """
    import os

    from sqlalchemy import select

    from cashier_app.domain.errors import UserError
    from cashier_app.services.context import DeskContext, UserInfo
    from cashier_app.settings import DeskSettings
    from cashier_app.storage import models as m

    login = login or os.environ.get("CASHIER_USER") or "admin"
    with db.read() as uow:
        u = uow.session.execute(select(m.User).where(m.User.login == login)).scalar_one_or_none()
    if u is None or not u.active:
        raise UserError(f"пользователь «{login}» не найден или отключён")
    return DeskContext(db=db, desk=DeskSettings().get("desk"), user=UserInfo(u.id, u.login, u.full_name, u.role))
