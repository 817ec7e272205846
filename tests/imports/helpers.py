"""Small export files and a signed-in desk for the import tests."""

from __future__ import annotations

import csv
from pathlib import Path

from cashier_app.services.context import DeskContext
from cashier_app.storage.db import Database
from tests.race_helpers import desk_ctx

HEADER = ["number", "contract", "login", "full_name", "phone", "address", "tariff", "monthly_charge", "balance",
          "blocked", "services"]


def row(n: int, **kw: str) -> dict[str, str]:
    base = {"number": f"77{n:04d}", "contract": "", "login": f"imp{n}", "full_name": f"Импортов Абонент {n}",
            "phone": f"+7 920 555-{n // 100 % 100:02d}-{n % 100:02d}",
            "address": f"г. Калуга, ул. Импортная, д. {n}, кв. {n % 9 + 1}", "tariff": "Импорт 300",
            "monthly_charge": "300,00", "balance": f"{n},50", "blocked": "0", "services": ""}
    return {**base, **kw}


def write(path: Path, rows: list[dict[str, str]], *, enc: str = "utf-8", sep: str = ";",
          header: list[str] = HEADER) -> Path:
    with path.open("w", encoding=enc, newline="") as fh:
        w = csv.writer(fh, delimiter=sep)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def admin(db: Database) -> DeskContext:
    return desk_ctx(db, "admin", "import-test")
