"""Who is working where: passed to every service call from the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

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
    # Tests and scripts may pin "today"; the office's local date otherwise.
    today_override: date | None = field(default=None)

    def today(self) -> date:
        return self.today_override or date.today()


def day_start_utc(day: date) -> datetime:
    """The start of a business day (the office's local date) as a UTC timestamp."""
    return datetime.combine(day, time.min).astimezone().astimezone(UTC)
