"""The identity and the date a billing is told: the database's txn_id prefix, txn_id, txn_date.

``txn_id`` = this database's random 6-digit prefix + the 9 digits of the payment number
(``P-000000123`` → ``482913000000123``): numeric as OSMP wants, unique per database, and a
re-created database (another prefix) never adopts payments the billing has from this one.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cashier_app.services import office_time
from cashier_app.storage import models as m

PREFIX_KEY = "billing.txn_prefix"


def txn_prefix(s: Session) -> str:
    """The database's txn_id prefix, created once: of 8 processes at once exactly one INSERT wins.

    The INSERT runs in a savepoint so the loser's IntegrityError does not spoil the caller's
    transaction (this runs inside ``ledger.credit``); then everybody reads the winner's value.
    """
    value = s.execute(select(m.Setting.value).where(m.Setting.key == PREFIX_KEY)).scalar_one_or_none()
    if value:
        return value
    candidate = str(secrets.randbelow(900_000) + 100_000)  # 6 digits, no leading zero to lose
    try:
        with s.begin_nested():
            s.add(m.Setting(key=PREFIX_KEY, value=candidate))
            s.flush()
    except IntegrityError:
        pass  # another process created it first: theirs is the prefix
    return s.execute(select(m.Setting.value).where(m.Setting.key == PREFIX_KEY)
                     .execution_options(populate_existing=True)).scalar_one()


def txn_id_for(prefix: str, payment_number: str) -> str:
    """``482913`` + ``P-000000123`` → ``482913000000123`` (digits only, ≤ 20)."""
    digits = "".join(ch for ch in payment_number if ch.isdigit())
    txn = f"{prefix}{digits.zfill(9)}"
    if len(txn) > 20 or not txn.isdigit():
        raise ValueError(f"txn_id {txn!r} is not OSMP's numeric ≤ 20 digits")
    return txn


def txn_date_for(s: Session, instant: datetime) -> str:
    """``YYYYMMDDHHMMSS`` on the office's clock (the billing shows the office's time, not UTC)."""
    moment = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    zone = office_time.office_zone(s)
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return local.strftime("%Y%m%d%H%M%S")
