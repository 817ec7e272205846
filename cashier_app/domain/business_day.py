"""The business day: the office's calendar date of an instant.

Timestamps are stored in UTC; the «paid on» of a booking, the rate of the day,
a same-day cancel, bonus milestones and commission quarters all need the date
*at the office*.  ``instant.date()`` of a UTC timestamp is wrong for every
office east of Greenwich (01:30 in Moscow on 1 April is 22:30 UTC on 31 March),
and ``astimezone()`` without a zone is wrong when the desk's clock zone is not
the office's.  Everything that turns an instant into a date goes through
:func:`business_day`; everything that turns a date into a query range goes
through :func:`day_bounds`.

``tz=None`` means "the operating system's zone" — the default office zone when
none is set (see ``services/office_time.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr


def _aware(instant: datetime) -> datetime:
    # Naive values come only from old SQLite rows and tests; the database stores UTC.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def business_day(instant: datetime, tz: tzinfo | None) -> date:
    """The office's calendar date of ``instant`` (``tz=None``: the operating system's zone)."""
    moment = _aware(instant)
    return (moment.astimezone(tz) if tz is not None else moment.astimezone()).date()


def day_start(day: date, tz: tzinfo | None) -> datetime:
    """The first instant of the office's ``day``, in UTC."""
    if tz is None:
        # A naive value's astimezone() is read in the operating system's zone (DST included).
        return datetime.combine(day, time.min).astimezone().astimezone(UTC)
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def day_bounds(first: date, last: date | None = None, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC covering the office's days ``first`` … ``last`` (one day if no ``last``)."""
    return day_start(first, tz), day_start((last or first) + timedelta(days=1), tz)


def parse_zone(name: str, field: str = N_("Часовой пояс")) -> ZoneInfo:
    """An IANA zone by name (``Europe/Moscow``), or a clear refusal naming the field."""
    text = (name or "").strip()
    if not text:
        raise ValidationError(field, tr("укажите часовой пояс, например Europe/Moscow"))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown key, a path, a folder ("Europe")
        pass
    hint = ""
    lowered = text.lower()
    close = sorted(z for z in available_timezones() if lowered in z.lower())[:3]
    if close:
        hint = tr("; может быть, {zones}", zones=", ".join(close))
    raise ValidationError(field, tr("«{typed}» — неизвестный часовой пояс; нужен пояс из базы IANA, "
                                    "например Europe/Moscow или Asia/Vladivostok{hint}", typed=text, hint=hint))


def zone_name(tz: tzinfo | None) -> str:
    """The name shown to people: the IANA key, or the operating system's name for its own zone."""
    if tz is None:
        return datetime.now().astimezone().tzname() or tr("системный")
    return getattr(tz, "key", None) or str(tz)
