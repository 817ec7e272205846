"""Where the bank sends the customer after paying: a page of the office's choosing (issue 10 §8).

Kept in the office-wide settings table (``gateway.return_url`` for the whole
office, ``gateway.return_url.<payee code>`` for one payee); without one, T-Bank
uses the terminal's own setting from the bank's cabinet and Sber the gateway's
address.  Set with ``cashier-app payees gateway CODE … --return-url URL``.
"""

from __future__ import annotations

from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.i18n import N_, tr
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.base import GatewayConfigError
from cashier_app.services.gateways.config import return_url_for, set_return_url
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

FIELD = N_("Страница возврата покупателя")


def set_return_page(ctx: DeskContext, payee_code: str | None, url: str | None) -> str | None:
    """Set (``url=None``: remove) the return page of a payee, or of the office for ``payee_code=None``."""
    require(ctx, "gateway_settings")
    with ctx.db.uow() as uow:
        s = uow.session
        if payee_code is not None and s.query(m.Payee).filter(m.Payee.code == payee_code).first() is None:
            raise NotFound(tr("Получатель «{code}» не найден.", code=payee_code))
        before = return_url_for(s, payee_code or "")
        try:
            set_return_url(s, payee_code, url)
        except GatewayConfigError as exc:
            raise ValidationError(FIELD, str(exc)) from None
        s.flush()
        after = return_url_for(s, payee_code or "")
        audit.record(s, ctx, "payee.return_url", "payee", payee_code or "*", {"return_url": before},
                     {"return_url": after})
        uow.commit()
        return after


__all__ = ["set_return_page"]
