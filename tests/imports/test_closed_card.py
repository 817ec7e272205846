"""An account a full export no longer lists says so on its card, and takes no money."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from cashier_app.domain.errors import RuleViolation
from cashier_app.services import cards, cash
from cashier_app.storage import models as m
from cashier_app.storage.db import Database
from tests.billing.helpers import accounts, ctx_for, isp_payee, open_desk


def test_closed_account_card_and_refusal(fresh_db: Database, qtbot) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.account_view import AccountView

    number = accounts(fresh_db, isp_payee(fresh_db), 1)[0]
    ctx = open_desk(fresh_db)
    view = AccountView()
    qtbot.addWidget(view)
    view.show_card(cards.account_card(ctx, number))
    assert "Закрыт" not in view.money.values["block_state"].text()
    with fresh_db.uow() as uow:
        uow.session.execute(update(m.Account).where(m.Account.number == number).values(closed_on=date(2026, 11, 30)))
        uow.commit()
    card = cards.account_card(ctx_for(fresh_db), number)
    assert card.closed_on == date(2026, 11, 30) and card.to_json()["closed_on"] == date(2026, 11, 30)
    view.show_card(card)
    assert view.money.values["block_state"].text() == "Закрыт 30.11.2026 — платежи не принимаются"
    with pytest.raises(RuleViolation, match=r"закрыт 30\.11\.2026"):
        cash.take_cash(ctx, token=cash.new_token(), amount_minor=10_000, account=number)
