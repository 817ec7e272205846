"""The demo billing's subscribers, taken from the demo office's own database (read only).

In a real office the subscribers come *from* the billing (``cashier-app import accounts``).  The demo
office is generated instead, so for the demo the emulated billing borrows the office's list of one
payee: ``cashier-app billing-sandbox --office-db URL --payee interra``.  The office database may not
exist yet when ``run.sh`` starts the sandbox (the app creates it on its first start), so an account the
billing does not know makes it look again — at most every :data:`RELOAD_SECS` — and adopt the accounts
that are new; the ones it has keep the balance the billing itself keeps.  Nothing is ever written
to the office database, and a missing SQLite file is not created.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("cashier_app.billing_sandbox")

RELOAD_SECS = 10.0
_QUERY = (
    "SELECT a.number AS number, c.full_name AS full_name, a.balance_minor AS balance_minor,"
    " a.block_state AS block_state, a.closed_on AS closed_on"
    " FROM accounts a JOIN contracts c ON c.id = a.contract_id JOIN payees p ON p.id = c.payee_id"
    " WHERE p.code = :code ORDER BY a.number"
)


def _sqlite_file(url: str) -> Path | None:
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            return Path(url.removeprefix(prefix).split("?", 1)[0])
    return None


def office_accounts(db_url: str, payee_code: str) -> list[dict[str, Any]]:
    """The payee's accounts in the office database as emulator rows; [] if the database is not there yet."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    path = _sqlite_file(db_url)
    if path is not None:
        if not path.exists():
            return []
        # Read only: the sandbox must never lock or change the office's file.
        db_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(_QUERY), {"code": payee_code}).mappings().all()
    except SQLAlchemyError as exc:
        log.warning("office database not readable yet: %s", type(exc).__name__)
        return []
    finally:
        engine.dispose()
    return [{"number": r["number"], "full_name": r["full_name"] or "", "balance_minor": int(r["balance_minor"] or 0),
             # Only an administrative block (ABillS' DISABLE, the import's «blocked») makes check say 7:
             # a debtor or a voluntary pause must still be able to pay, that is how they come back.
             "blocked": r["block_state"] == "admin", "closed": r["closed_on"] is not None}
            for r in rows]


class OfficeSeed:
    """Adopts the office's new accounts into the store, now and (throttled) when an unknown one is asked for."""

    def __init__(self, db_url: str, payee_code: str) -> None:
        self.db_url = db_url
        self.payee_code = payee_code
        self._lock = threading.Lock()
        self._last = 0.0

    def adopt(self, store: Any, *, force: bool = False) -> int:
        """Insert the accounts the store does not have yet; → how many were added."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < RELOAD_SECS:
                return 0
            self._last = now
            rows = office_accounts(self.db_url, self.payee_code)
        added = int(store.load_accounts(rows, only_new=True)) if rows else 0
        if added:
            log.info("adopted %d accounts of %s from the office database", added, self.payee_code)
        return added
