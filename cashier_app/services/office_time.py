"""The office's time zone and its business day, read once per process and database.

The zone is office-wide (every desk of the office closes the same day), so it
lives in the ``settings`` table under ``office.timezone`` as an IANA name; no
row (or an empty value) means the operating system's zone of the desk — what
the program did before the setting existed, and right for a one-desk office.

It is read on first use and cached per database for the life of the process:
dates are derived inside hot write paths (crediting a payment) and the zone
changes perhaps once in the office's life.  A change made by this process is
seen at once; other running desks see it after a restart (the README says so).
Changing it (administrators, audited) is ``office_settings.set_office_zone``.
"""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.business_day import business_day, day_bounds, day_start, parse_zone, zone_name
from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import tr
from cashier_app.storage import models as m

ZONE_KEY = "office.timezone"

_MISSING = object()
# Keyed by the engine's pool: a Database's engine and its read-only variant share one pool,
# and a disposed test database's entry goes away with it.
_cache: weakref.WeakKeyDictionary[Any, tzinfo | None] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
# The zone of the database this process opened last: the CLI's ``--date`` default has no session.
_last: list[tzinfo | None] = [None]


def _pool_of(source: Any) -> Any:
    """The pool behind a Database, an Engine or a Session (the cache key)."""
    if isinstance(source, Session):
        source = source.get_bind()  # an Engine, or a Connection in tests that bind one
    engine = getattr(source, "engine", source)  # Database.engine, Connection.engine, Engine.engine is itself
    return engine.pool


def _read(s: Session) -> tzinfo | None:
    value = s.execute(select(m.Setting.value).where(m.Setting.key == ZONE_KEY)).scalar_one_or_none()
    if not value or not value.strip():
        return None
    try:
        return parse_zone(value)
    except ValidationError:
        # A name this machine's tz database does not know must not stop the counter: fall back to
        # the desk's own zone, as with no setting (the CLI shows the stored name and the problem).
        return None


def office_zone(source: Any) -> tzinfo | None:
    """The office's zone (None: the operating system's); ``source`` is a Database or a Session."""
    pool = _pool_of(source)
    with _lock:
        cached = _cache.get(pool, _MISSING)
    if cached is not _MISSING:
        _last[0] = cached  # type: ignore[assignment]
        return cached  # type: ignore[return-value]
    if isinstance(source, Session):
        zone = _read(source)
    else:
        with source.read() as uow:
            zone = _read(uow.session)
    with _lock:
        _cache[pool] = zone
    _last[0] = zone
    return zone


def forget(source: Any) -> None:
    """Drop the cached zone of a database (after a change, in tests)."""
    with _lock:
        _cache.pop(_pool_of(source), None)


def day_of(source: Any, instant: datetime) -> date:
    """The office's business day of ``instant``."""
    return business_day(instant, office_zone(source))


def today(source: Any, now: datetime | None = None) -> date:
    """The office's date now."""
    return business_day(now or datetime.now(UTC), office_zone(source))


def process_today() -> date:
    """Today in the zone of the database this process opened last (the OS zone before any)."""
    return business_day(datetime.now(UTC), _last[0])


def start_utc(source: Any, day: date) -> datetime:
    """The first instant of the office's ``day`` in UTC."""
    return day_start(day, office_zone(source))


def bounds_utc(source: Any, first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the office's days ``first`` … ``last`` — for ``created_at`` queries."""
    return day_bounds(first, last, office_zone(source))


# --- the setting itself ---------------------------------------------------------------------------------


def stored_zone_name(s: Session) -> str | None:
    """The name as stored (None: not set, the operating system's zone)."""
    value = s.execute(select(m.Setting.value).where(m.Setting.key == ZONE_KEY)).scalar_one_or_none()
    return value.strip() if value and value.strip() else None


def describe(db: Any) -> str:
    """One line for people: the zone in use and where it comes from."""
    with db.read() as uow:
        stored = stored_zone_name(uow.session)
    if stored is None:
        return tr("часовой пояс офиса: системный ({zone}) — не задан, берётся пояс операционной системы",
                  zone=zone_name(None))
    try:
        parse_zone(stored)
    except ValidationError:
        return tr("часовой пояс офиса: «{stored}» не найден в базе поясов этого компьютера — используется "
                  "системный ({zone})", stored=stored, zone=zone_name(None))
    return tr("часовой пояс офиса: {stored}", stored=stored)


def insert_missing(s: Session) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the settings table, on PostgreSQL and SQLite alike."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(m.Setting).on_conflict_do_nothing(index_elements=[m.Setting.key])


def local_clock(instant: datetime) -> datetime:
    """``instant`` on the office's clock, for printed times (the zone of the database opened last)."""
    moment = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    zone = _last[0]
    return moment.astimezone(zone) if zone is not None else moment.astimezone()
