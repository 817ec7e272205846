"""A payee's register layout: read by anyone who exports, changed by an administrator (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain import registry_layout as rl
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m


def payee_by_code(s: Session, code: str) -> m.Payee:
    p = s.execute(select(m.Payee).where(m.Payee.code == code)).scalar_one_or_none()
    if p is None:
        raise NotFound(tr("получатель «{code}» не найден", code=code))
    return p


def get(s: Session, payee_id: int) -> rl.RegistryLayout:
    """The stored layout, or the default; a stored document that no longer validates falls back to
    the default rather than stopping the day's register (``show`` names the problem)."""
    row = s.get(m.RegistryLayout, payee_id)
    if row is None:
        return rl.DEFAULT
    try:
        return rl.from_json(dict(row.layout))
    except ValidationError:
        return rl.DEFAULT


def show(ctx: DeskContext, payee_code: str) -> dict[str, Any]:
    require(ctx, "reports")
    with ctx.db.read() as uow:
        p = payee_by_code(uow.session, payee_code)
        row = uow.session.get(m.RegistryLayout, p.id)
        layout = get(uow.session, p.id)
        return {"payee": p.code, "stored": row is not None, "layout": layout.as_json()}


def set_layout(ctx: DeskContext, payee_code: str, data: dict[str, Any]) -> rl.RegistryLayout:
    """Validate and store a layout (every problem at once, ``PayeeProblems``-like: the first raised
    carries all of them in its message); audited ``payee.registry_layout``; admin only."""
    require(ctx, "manage_payees")
    found = rl.problems(data)
    if found:
        if len(found) == 1:
            raise found[0]
        # Each part names its field as ValidationError shows one: translated (the fields stay source keys).
        raise ValidationError(found[0].field, "; ".join(f"{tr(e.field) if e.field else ''}: {e.message}"
                                                        for e in found))
    layout = rl.from_json(data)
    with ctx.db.uow() as uow:
        s = uow.session
        p = payee_by_code(s, payee_code)
        # Two administrators saving a first layout at once would both INSERT: the payee row's lock
        # serialises them (the second reads the first's row and updates it; its audit «before» is true).
        s.execute(select(m.Payee.id).where(m.Payee.id == p.id).with_for_update())
        row = s.get(m.RegistryLayout, p.id, populate_existing=True)
        before = dict(row.layout) if row is not None else None
        after = layout.as_json()
        if before == after:
            return layout
        if row is None:
            row = m.RegistryLayout(payee_id=p.id, layout=after)
            s.add(row)
        else:
            row.layout = after
        row.updated_at = datetime.now(UTC)
        s.flush()
        audit.record(s, ctx, "payee.registry_layout", "payee", p.code, before, after)
        uow.commit()
    return layout
