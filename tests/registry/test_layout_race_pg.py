"""Eight administrators set a payee's first layout at once on PostgreSQL: every save lands, none crashes
on the primary key, and the audit trail is one unbroken chain (each «before» is the previous «after»).

Checked without the guard: with the ``with_for_update()`` line of ``registry_layouts.set_layout``
removed, this test fails — the desks that lose the INSERT race die with IntegrityError
(duplicate key ``registry_layouts_pkey``) and the chain has repeated «before: None»."""

from __future__ import annotations

from sqlalchemy import select

from cashier_app.storage import models as m
from tests.race_helpers import PROCESSES, connect, make_office
from tests.registry.layout_race import race


def test_first_layout_saved_by_eight_admins(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    url = make_office(pg_database_factory)
    db = connect(url)
    try:
        with db.read() as uow:
            code = uow.session.execute(select(m.Payee.code).where(m.Payee.kind == "isp").limit(1)).scalar_one()
        seps = [";", ",", "|", "\t"]
        jobs = [{"desk": f"desk-{i}", "payee": code,
                 "layout": {"columns": ["txn_id", "amount"], "separator": seps[i % 4],
                            "encoding": "utf-8" if i % 2 else "cp1251", "header": i < 4}}
                for i in range(PROCESSES)]
        out = race(url, jobs)
        assert [r[1] for r in out] == ["ok"] * PROCESSES
        with db.read() as uow:
            s = uow.session
            events = s.execute(select(m.AuditEvent).where(m.AuditEvent.action == "payee.registry_layout")
                               .order_by(m.AuditEvent.id)).scalars().all()
            row = s.get(m.RegistryLayout, s.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar_one())
            final = dict(row.layout)
        befores = [e.before for e in events]
        afters = [e.after for e in events]
        assert befores[0] is None and befores.count(None) == 1
        assert all(befores[i + 1] == afters[i] for i in range(len(events) - 1))
        assert afters[-1] == final
    finally:
        db.dispose()
