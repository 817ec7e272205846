"""Changing the office's time zone: administrators only, audited, safe when two desks do it at once.

Kept apart from ``office_time`` (which every service reads through ``DeskContext``) so that
module depends on nothing but the storage: the permission check and the audit chain live here.
"""

from __future__ import annotations

from typing import Any

from cashier_app.domain.business_day import parse_zone
from cashier_app.i18n import N_
from cashier_app.services import audit, office_time
from cashier_app.services.office_time import ZONE_KEY
from cashier_app.services.permissions import require
from cashier_app.storage import models as m


def set_office_zone(ctx: Any, name: str | None) -> str | None:
    """Set the office zone (``None``: back to the operating system's); the previous name is returned.

    Administrators only (``manage_settings``), audited as ``settings.office_timezone``.
    """
    require(ctx, "manage_settings")
    value = None if name is None else parse_zone(name, N_("Часовой пояс")).key
    with ctx.db.uow() as uow:
        s = uow.session
        # The row is made to exist first (a no-op when it does), then locked: two administrators
        # setting the zone at once are serialised by the row lock instead of one failing on the
        # primary key with a traceback, and each audit event's «before» is what it replaced.
        s.execute(office_time.insert_missing(s).values(key=ZONE_KEY, value=""))
        row = s.get(m.Setting, ZONE_KEY, with_for_update=True, populate_existing=True)
        assert row is not None
        previous = row.value.strip() if row.value and row.value.strip() else None
        if previous == value:
            return previous
        row.value = value or ""  # empty: the operating system's zone, as when there is no row
        s.flush()
        audit.record(s, ctx, "settings.office_timezone", "setting", ZONE_KEY,
                     {"value": previous or "system"}, {"value": value or "system"})
        uow.commit()
    office_time.forget(ctx.db)
    return previous

