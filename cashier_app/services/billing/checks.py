"""«Does the billing know this account?» — OSMP ``check`` when an account card opens (in the background).

The answer is kept in ``billing_checks`` (one row per account, the last one) and shown on the card
with its time.  It refuses nothing: the cashier decides (``ledger.open_payment`` never looks here);
``pay-cash`` only warns when the last check said «не найден».  A check has a txn_id of its own
(``chk`` + random digits is not numeric, so: ``9`` + 15 random digits — never a payment's, whose
prefix is 6 digits + 9), a short timeout, and never raises for the network.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound
from cashier_app.i18n import N_, tr
from cashier_app.services import office_time
from cashier_app.services.billing import settings as billing_settings
from cashier_app.services.billing.osmp import OsmpClient
from cashier_app.services.billing.osmp_types import RESULT_NOT_ALLOWED, RESULT_NOT_FOUND, BillingUnreachable
from cashier_app.services.billing.views import CheckView
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

CHECK_TIMEOUT = 3.0


def check_txn_id() -> str:
    """16 digits starting with 9: cannot collide with a payment's 15-digit txn_id."""
    return "9" + "".join(str(secrets.randbelow(10)) for _ in range(15))


def _time_text(s: Session, at: datetime | None) -> str:
    if at is None:
        return ""
    moment = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    zone = office_time.office_zone(s)
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    today = office_time.today(s)
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d.%m.%Y %H:%M")


# Stored with the check (Russian); shown in the current language by _view.
NOT_FOUND_TEXT = N_("лицевой счёт в биллинге не найден")
REFUSED_TEXT = N_("биллинг не принимает платежи на этот счёт (закрыт или заблокирован)")
NO_LINK_TEXT = N_("нет связи с биллингом")


def _view(s: Session, number: str, row: m.BillingCheck) -> CheckView:
    return CheckView(number, row.state, row.balance_minor, row.full_name, tr(row.message) if row.message else None,
                     row.checked_at, _time_text(s, row.checked_at))


def _off(number: str) -> CheckView:
    return CheckView(number, "off", None, None, tr("биллинг не подключён"), None, "")


def last_check(s: Session, account_id: int) -> CheckView | None:
    """The last stored answer for the account (None: never checked)."""
    row = s.get(m.BillingCheck, account_id)
    if row is None:
        return None
    number = s.execute(select(m.Account.number).where(m.Account.id == account_id)).scalar_one()
    return _view(s, number, row)


def last_check_by_number(s: Session, account_number: str) -> CheckView | None:
    aid = s.execute(select(m.Account.id).where(m.Account.number == account_number.strip())).scalar_one_or_none()
    return last_check(s, int(aid)) if aid is not None else None


def check_account(ctx: DeskContext, account_number: str, *, timeout: float = CHECK_TIMEOUT) -> CheckView:
    """Ask the payee's billing about the account now; stored and returned.  Never raises for the network."""
    require(ctx, "lookup")
    number = (account_number or "").strip()
    with ctx.db.read() as uow:
        s = uow.session
        row = s.execute(select(m.Account.id, m.Contract.payee_id).join(m.Contract)
                        .where(m.Account.number == number)).first()
        if row is None:
            raise NotFound(tr("Лицевой счёт «{number}» не найден (номер вводится точно, с нулями впереди).",
                              number=number))
        account_id, payee_id = int(row[0]), row[1]
        conn = billing_settings.connector(s, payee_id)
    if conn is None:
        return _off(number)
    password = billing_settings.get_password(conn.payee_code) if conn.login else None
    state, code, balance, name, message = "error", None, None, None, None
    try:
        with OsmpClient(conn.url, conn.dialect, timeout=timeout, ca_file=conn.ca_file, login=conn.login,
                        password=password) as client:
            ans = client.check(txn_id=check_txn_id(), account=number)
        code, balance, name = ans.result, ans.balance_minor, ans.full_name
        if ans.found:
            state = "found"
        elif ans.result == RESULT_NOT_FOUND:
            state, message = "not_found", NOT_FOUND_TEXT
        elif ans.result in RESULT_NOT_ALLOWED:
            state, message = "refused", REFUSED_TEXT
        else:
            state, message = "error", f"биллинг ответил {ans.result}" + (f": {ans.comment}" if ans.comment else "")  # i18n: data
    except BillingUnreachable as exc:
        message = str(exc) or NO_LINK_TEXT
    except ValueError as exc:  # a URL the client refuses: said, not raised
        message = f"нет связи с биллингом: {exc}"  # i18n: data
    values = {"state": state, "result_code": code, "balance_minor": balance,
              "full_name": name[:160] if name else None, "message": message[:255] if message else None,
              "checked_at": datetime.now(UTC)}
    return _store(ctx, account_id, number, values)


def _store(ctx: DeskContext, account_id: int, number: str, values: dict[str, object]) -> CheckView:
    """The last answer wins: an UPDATE, else an INSERT — two desks opening the same card at once both
    end with a row (the loser of the INSERT updates the winner's row)."""
    for _ in range(2):
        try:
            with ctx.db.uow() as uow:
                s = uow.session
                done = s.execute(update(m.BillingCheck).where(m.BillingCheck.account_id == account_id)
                                 .values(**values).execution_options(synchronize_session=False)).rowcount
                if not done:
                    s.add(m.BillingCheck(account_id=account_id, **values))
                s.flush()
                view = _view(s, number, s.get(m.BillingCheck, account_id, populate_existing=True))  # type: ignore[arg-type]
                uow.commit()
            return view
        except IntegrityError:
            continue
    raise RuntimeError("billing check not stored")  # pragma: no cover - two lost INSERT races in a row


__all__ = ["CHECK_TIMEOUT", "check_account", "check_txn_id", "last_check", "last_check_by_number"]
