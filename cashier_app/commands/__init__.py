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
