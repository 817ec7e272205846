"""Who is working where: passed to every service call from the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cashier_app.services import office_time
from cashier_app.storage.db import Database


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    login: str
    full_name: str
    role: str  # cashier | manager | admin


@dataclass(slots=True)
class DeskContext:
    db: Database
    desk: str
    user: UserInfo | None = None
    # Tests and scripts may pin "today"; the office's business day otherwise (its zone, not the desk's).
    today_override: date | None = field(default=None)

    def today(self) -> date:
        return self.today_override or office_time.today(self.db)


def day_start_utc(day: date, source: Any) -> datetime:
    """The start of the office's business ``day`` as a UTC timestamp (``source``: its Database or a Session).

    The zone is the office's (``office_time``), not the desk's clock: a journal filtered
    «за 1 апреля» on a desk set to UTC still means 1 April in the office.
    """
    return office_time.start_utc(source, day)
