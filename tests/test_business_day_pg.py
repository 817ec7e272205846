"""Eight administrators set the office's time zone at once on PostgreSQL (issue 11 §2).

The setting row may not exist yet: without ``INSERT … ON CONFLICT DO NOTHING``
followed by a row lock, the desks that find no row all insert one and all but
the first fail on the primary key, and those that do find it record a «before»
another desk has already replaced.  Here every desk succeeds and the audit
events form one chain of changes: each «before» is the previous «after».
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.race_helpers import PROCESSES, desk_ctx, desk_processes, make_office

ZONES = ("Europe/Moscow", "Asia/Vladivostok", "Europe/Kaliningrad", "Asia/Yekaterinburg",
         "Asia/Novosibirsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Kamchatka")


def _set(url: str, desk: str, zone: str, barrier: Any, results: Any) -> None:
    db = Database(url)
    try:
        ctx = desk_ctx(db, "admin", desk)  # connected and warm before the start
        from cashier_app.services import audit, office_settings  # noqa: F401  (loaded before the start too)

        barrier.wait()
        results.put(("ok", zone, office_settings.set_office_zone(ctx, zone)))
    except BaseException as exc:  # reported to the test, which fails on it
        results.put(("error", zone, f"{type(exc).__name__}: {exc}"))
    finally:
        db.dispose()


def test_eight_administrators_set_the_zone_at_once(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    assert len(ZONES) == PROCESSES
    url = make_office(pg_database_factory)
    ctx = desk_processes()  # spawn-like, started from a preloaded fork server
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=_set, args=(url, f"desk-{i}", zone, barrier, results)) for i, zone in enumerate(ZONES)]
    for p in procs:
        p.start()
    out = [results.get(timeout=600) for _ in procs]  # a bound so a deadlock fails instead of hanging
    for p in procs:
        p.join()
    assert [o for o in out if o[0] != "ok"] == []
    db = Database(url)
    try:
        from cashier_app.services import audit, office_time

        with db.read() as uow:
            events = uow.session.execute(select(m.AuditEvent).where(
                m.AuditEvent.action == "settings.office_timezone").order_by(m.AuditEvent.id)).scalars().all()
            stored = office_time.stored_zone_name(uow.session)

        def value(raw: Any) -> str:
            return (raw if isinstance(raw, dict) else json.loads(raw))["value"]

        befores, afters = [value(e.before) for e in events], [value(e.after) for e in events]
        assert sorted(afters) == sorted(ZONES)  # every desk's change was made and audited once
        # One chain: system → the first desk's zone → … → the last, which is what is stored.
        assert befores == ["system", *afters[:-1]]
        assert stored == afters[-1]
        assert sorted(prev for _ok, _zone, prev in out if prev) == sorted(afters[:-1])
        assert audit.verify(db).ok
    finally:
        db.dispose()
