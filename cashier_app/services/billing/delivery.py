"""Delivering the billing outbox exactly once: every credited payment reaches the billing as one payment.

The pattern of ``fiscal_delivery``: a row is talked about by one process at a time — its lease is
taken by one conditional UPDATE (``claim_token``/``claimed_until``; a lapsed lease, or one whose
holder on this machine is dead, is taken over by exactly one process).  In that same committed
UPDATE a ``pending`` row becomes ``sent`` and ``attempts`` grows by one: from then on the billing
*may* have it, and every later attempt sends **the same txn_id** — which is how both dialects let
an acceptor verify (ABillS answers the same ``prv_txn``, Ubilling 300 «duplicate»).

Answers: 0 → delivered (``verified_by`` answer, or repeat when the row had been sent before) —
but only if the billing's ``<sum>``, when it says one, is ours; Ubilling's duplicate → delivered
(``duplicate``) for a row sent before, ``manual`` on the very first send (the billing knew the
txn_id before we ever sent it: not provably ours); 5/7/79/241 → refused with the reason; 1 or
another 300 → pending with back-off; no answer (``BillingUnreachable``) → stays ``sent`` with
back-off.  A kill -9 anywhere leaves the row pending or sent, and both end in one payment.
Nothing here touches the money: the payment is credited whatever the billing says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from cashier_app.domain.errors import NotFound, RuleViolation
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import audit
from cashier_app.services.billing import settings as billing_settings
from cashier_app.services.billing.billing_views import view_of
from cashier_app.services.billing.osmp import OsmpClient
from cashier_app.services.billing.osmp_types import (
    RESULT_NOT_ALLOWED,
    RESULT_NOT_FOUND,
    RESULT_OK,
    BillingUnreachable,
    PayAnswer,
)
from cashier_app.services.billing.views import DeliveryView
from cashier_app.services.card_gateway import crash_point
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_delivery import _holder_dead, _new_token
from cashier_app.services.permissions import require
from cashier_app.storage import models as m
from cashier_app.storage.db import Database

log = logging.getLogger(__name__)

# Test hook points (``card_gateway.crash_point``): after the credit's commit, after the billing answered.
BILLING_CRASH_POINTS = ("billing_after_commit", "billing_before_store")
UNFINISHED = ("pending", "sent")
BACKOFF_BASE_SECS = 30.0
BACKOFF_CAP_SECS = 3600.0
LEASE_MARGIN_SECS = 60.0
AFTER_COMMIT_TIMEOUT = 5.0  # the counter waits this long for the billing after a payment, then moves on
_D = m.BillingDelivery

# Notes stored on the delivery row (Russian; views.py shows the ones the catalog knows translated).
PAY_NOT_SENT_TEXT = N_("платёж в биллинг не доставлен — отмену проверьте вручную")
NO_ANSWER_TEXT = N_("нет ответа биллинга")
REFUSAL_TEXT = {
    RESULT_NOT_FOUND: "биллинг не знает лицевой счёт {account}",  # i18n: data
    7: "биллинг не принимает платежи на счёт {account} (счёт закрыт или заблокирован)",  # i18n: data
    79: "биллинг запретил платёж на счёт {account}",  # i18n: data
    241: "биллинг не принял сумму {amount}",  # i18n: data
}


def backoff(attempts: int) -> timedelta:
    """30 s, 60 s, 120 s … capped at one hour: a billing that is down is not hammered."""
    return timedelta(seconds=min(BACKOFF_BASE_SECS * (2 ** max(attempts - 1, 0)), BACKOFF_CAP_SECS))


@dataclass(frozen=True, slots=True)
class _Job:
    id: int
    operation: str
    payee_id: int
    txn_id: str
    account: str
    amount_minor: int
    txn_date: str
    url: str | None
    dialect: str | None
    was: str  # the state before this lease: pending (never sent) | sent
    attempts: int  # including this one
    cancels_prv_txn: str | None
    cancels_txn_id: str | None  # a cancel names the pay it reverses by the pay's prv_txn *and* txn_id


# --- the lease --------------------------------------------------------------------------------------------

def _claim(db: Database, row_id: int, token: str, lease_secs: float, now: datetime) -> _Job | None:
    """Take the row's lease (one conditional UPDATE, committed before the billing is called), or None."""
    with db.uow() as uow:
        s = uow.session
        r = s.execute(select(_D).where(_D.id == row_id).execution_options(populate_existing=True)).scalar_one_or_none()
        if r is None or r.state not in UNFINISHED:
            return None
        prv = prv_txn_id = None
        if r.operation == "cancel":
            pay = s.get(_D, r.cancels_id, populate_existing=True) if r.cancels_id else None
            if pay is None or pay.state in ("refused", "manual"):
                s.execute(update(_D).where(_D.id == row_id, _D.state.in_(UNFINISHED)).values(
                    state="manual", updated_at=now, next_attempt_at=None,
                    last_error=PAY_NOT_SENT_TEXT))
                uow.commit()
                return None
            if pay.state != "delivered" or not pay.prv_txn:
                return None  # a cancel goes only after its pay is delivered (it names the pay's prv_txn)
            prv, prv_txn_id = pay.prv_txn, pay.txn_id
        free = or_(_D.claim_token.is_(None), _D.claimed_until < now)
        if r.claim_token is not None and _holder_dead(r.claim_token):
            free = or_(free, _D.claim_token == r.claim_token)
        values: dict[str, Any] = {"claim_token": token, "claimed_until": now + timedelta(seconds=lease_secs),
                                  "attempts": _D.attempts + 1, "updated_at": now}
        if r.state == "pending":
            values.update(state="sent", sent_at=now)
        if not r.url or not r.dialect:
            conn = billing_settings.connector(s, r.payee_id)
            if conn is None:
                return None  # no connector any more and nowhere frozen: nothing to send to
            values.update(url=conn.url, dialect=conn.dialect)
        got = s.execute(update(_D).where(_D.id == row_id, _D.state == r.state, free).values(**values)
                        .execution_options(synchronize_session=False)).rowcount
        if got != 1:
            return None
        uow.commit()
        return _Job(r.id, r.operation, r.payee_id, r.txn_id, r.account_number, r.amount_minor, r.txn_date,
                    values.get("url", r.url), values.get("dialect", r.dialect), str(r.state), r.attempts + 1, prv,
                    prv_txn_id)


def _write(db: Database, job: _Job, token: str, values: dict[str, Any]) -> bool:
    """A state change of the row we hold; the lease is released.  False if we lost the lease."""
    now = datetime.now(UTC)
    values = {**values, "claim_token": None, "claimed_until": None, "updated_at": now}
    if values.get("last_error"):
        values["last_error"] = str(values["last_error"])[:255]
    with db.uow() as uow:
        done = uow.session.execute(update(_D).where(and_(_D.id == job.id, _D.state.in_(UNFINISHED),
                                                         _D.claim_token == token))
                                   .values(**values).execution_options(synchronize_session=False)).rowcount
        uow.commit()
    return done == 1


# --- talking to the billing -------------------------------------------------------------------------------

def _client(db: Database, job: _Job, timeout: float | None) -> OsmpClient:
    """The billing the row was frozen for, with the payee's current login/password/CA."""
    with db.read() as uow:
        s = uow.session
        row = s.get(m.BillingSettings, job.payee_id)
        code = s.execute(select(m.Payee.code).where(m.Payee.id == job.payee_id)).scalar_one()
    login = row.login if row is not None else None
    ca_file = row.ca_file if row is not None else None
    password = billing_settings.get_password(code) if login else None
    return OsmpClient(str(job.url), str(job.dialect), timeout=timeout, ca_file=ca_file, login=login,
                      password=password)


def _outcome(job: _Job, ans: PayAnswer) -> dict[str, Any]:
    """The row's new values from a readable answer (see the module's docstring)."""
    now = datetime.now(UTC)
    code = ans.result
    if code == RESULT_OK:
        if job.operation == "pay" and ans.sum_minor is not None and ans.sum_minor != job.amount_minor:
            return {"state": "manual", "result_code": code, "next_attempt_at": None, "last_error": (
                f"биллинг под txn_id {job.txn_id} записал {format_money(ans.sum_minor)}, а платёж на "  # i18n: data
                f"{format_money(job.amount_minor)} — не принят как наш; сверьте вручную")}
        how = "answer" if job.was == "pending" else "repeat"
        return {"state": "delivered", "result_code": code, "prv_txn": (ans.prv_txn or None), "verified_by": how,
                "delivered_at": now, "last_error": None, "next_attempt_at": None}
    if ans.duplicate and job.operation == "pay":
        if job.was == "sent" or job.attempts > 1:
            # Our own earlier send, whose answer we did not get: the billing has it exactly once.
            return {"state": "delivered", "result_code": code, "verified_by": "duplicate", "delivered_at": now,
                    "last_error": None, "next_attempt_at": None}
        return {"state": "manual", "result_code": code, "next_attempt_at": None, "last_error": (
            f"биллинг уже знает txn_id {job.txn_id}, хотя мы его ещё не отправляли — не наш? Сверьте вручную")}  # i18n: data
    if code == RESULT_NOT_FOUND or code in RESULT_NOT_ALLOWED:
        text = REFUSAL_TEXT.get(code, "биллинг отказал").format(account=job.account,  # i18n: data
                                                                amount=format_money(job.amount_minor))
        if ans.comment:
            text += f" ({ans.comment})"
        return {"state": "refused", "result_code": code, "last_error": text, "next_attempt_at": None}
    # 1 (try later) or another 300: a definite «not done»; the same txn_id goes again after the back-off.
    return {"state": "pending", "result_code": code, "next_attempt_at": now + backoff(job.attempts),
            "last_error": f"биллинг ответил {code}" + (f": {ans.comment}" if ans.comment else "")}  # i18n: data


def _deliver_row(db: Database, row_id: int, *, timeout: float | None = None) -> tuple[DeliveryView | None, bool]:
    """One conversation about one row, if it is ours to have → (the view afterwards, whether we talked).

    Never raises for the network.
    """
    token = _new_token()
    lease = (timeout or 13.0) * 2 + LEASE_MARGIN_SECS
    job = _claim(db, row_id, token, lease, datetime.now(UTC))
    if job is None:
        return _view(db, row_id), False
    try:
        client = _client(db, job, timeout)
    except Exception as exc:  # a bad frozen URL, a missing CA file: the row waits, the reason is shown
        log.warning("billing delivery %s: no client: %s", job.txn_id, exc)
        _write(db, job, token, {"last_error": f"биллинг недоступен: {exc}",  # i18n: data
                                "next_attempt_at": datetime.now(UTC) + backoff(job.attempts)})
        return _view(db, row_id), True
    try:
        with client:
            if job.operation == "pay":
                ans = client.pay(txn_id=job.txn_id, account=job.account, sum_minor=job.amount_minor,
                                 txn_date=job.txn_date)
            else:
                ans = client.cancel(prv_txn=str(job.cancels_prv_txn), txn_id=str(job.cancels_txn_id))
    except BillingUnreachable as exc:
        log.warning("billing %s txn_id=%s: outcome unknown: %s", job.operation, job.txn_id, exc)
        _write(db, job, token, {"last_error": str(exc) or NO_ANSWER_TEXT,
                                "next_attempt_at": datetime.now(UTC) + backoff(job.attempts)})
    except Exception as exc:  # a bug must not lose the row: it stays sent, verified next time
        log.exception("billing %s txn_id=%s: unexpected error", job.operation, job.txn_id)
        _write(db, job, token, {"last_error": f"ошибка при обращении к биллингу: {type(exc).__name__}",  # i18n: data
                                "next_attempt_at": datetime.now(UTC) + backoff(job.attempts)})
    else:
        crash_point("billing_before_store")
        values = _outcome(job, ans)
        log.info("billing %s txn_id=%s: result %s → %s", job.operation, job.txn_id, ans.result, values["state"])
        _write(db, job, token, values)
    return _view(db, row_id), True


def _view(db: Database, row_id: int) -> DeliveryView | None:
    with db.read() as uow:
        r = uow.session.get(_D, row_id, populate_existing=True)
        return view_of(r) if r is not None else None


# --- the public API ---------------------------------------------------------------------------------------

def _due_ids(db: Database, *, now: datetime, limit: int | None, ignore_backoff: bool,
             payment_id: int | None = None) -> list[int]:
    # Leases are not filtered here: a row held by a process that died (kill -9) is taken over in ``_claim``.
    q = select(_D.id).where(_D.state.in_(UNFINISHED))
    if not ignore_backoff:
        q = q.where(or_(_D.next_attempt_at.is_(None), _D.next_attempt_at <= now))
    if payment_id is not None:
        q = q.where(_D.payment_id == payment_id)
    q = q.order_by(_D.id)
    if limit is not None:
        q = q.limit(limit)
    with db.read() as uow:
        return list(uow.session.execute(q).scalars())


def _counts(done: list[tuple[DeliveryView | None, bool]]) -> dict[str, int]:
    """By resulting state, of the rows this call talked about (another process's rows are not counted)."""
    out = {"processed": 0, "delivered": 0, "refused": 0, "manual": 0, "pending": 0, "sent": 0}
    for v, talked in done:
        if v is not None and talked:
            out["processed"] += 1
            out[v.state] = out.get(v.state, 0) + 1
    return out


def deliver_due(db: Database, *, limit: int | None = 50, now: datetime | None = None,
                timeout: float | None = None) -> dict[str, int]:
    """Every row due now (back-off passed, lease free), oldest first; counts by resulting state.

    Safe to run in any number of processes at once (the GUI's background run, ``billing deliver``).
    """
    ids = _due_ids(db, now=now or datetime.now(UTC), limit=limit, ignore_backoff=False)
    return _counts([_deliver_row(db, rid, timeout=timeout) for rid in ids])


def reconcile(db: Database, *, timeout: float | None = None) -> dict[str, int]:
    """Every pending/sent row now, regardless of back-off (``billing reconcile``, after an outage)."""
    ids = _due_ids(db, now=datetime.now(UTC), limit=None, ignore_backoff=True)
    return _counts([_deliver_row(db, rid, timeout=timeout) for rid in ids])


def deliver_after_commit(db: Database, payment_id: int, *,
                         timeout: float = AFTER_COMMIT_TIMEOUT) -> DeliveryView | None:
    """After a payment's commit (``pay-cash``, ``pay-card``): its row sent now.  Never raises."""
    crash_point("billing_after_commit")
    try:
        for rid in _due_ids(db, now=datetime.now(UTC), limit=None, ignore_backoff=True, payment_id=payment_id):
            _deliver_row(db, rid, timeout=timeout)
        with db.read() as uow:
            r = uow.session.execute(select(_D).where(_D.payment_id == payment_id)).scalar_one_or_none()
            return view_of(r) if r is not None else None
    except Exception:  # the payment stands; the row is delivered by the next run
        log.exception("billing delivery of payment %s after commit failed", payment_id)
        return None


def retry(ctx: DeskContext, payment_id: int, *, timeout: float | None = None) -> DeliveryView:
    """A person's «Повторить»: a refused row goes back to pending, an unfinished one is due now; sent at once.

    The same txn_id is sent (never a new one): the billing verifies it.  Manager or administrator.
    """
    require(ctx, "correct")
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        r = s.execute(select(_D).where(_D.payment_id == payment_id)).scalar_one_or_none()
        number = s.execute(select(m.Payment.number).where(m.Payment.id == payment_id)).scalar_one_or_none()
        if r is None or number is None:
            raise NotFound(tr("У платежа {number} нет доставки в биллинг.", number=number or payment_id))
        if r.state == "delivered":
            raise RuleViolation(tr("платёж {number} уже доставлен в биллинг — повторять нечего", number=number))
        if r.state == "manual":
            raise RuleViolation(tr("платёж {number} передаётся в биллинг вручную: {why}", number=number,
                                   why=tr(r.last_error) if r.last_error else "").rstrip(": "))
        before = {"state": r.state, "attempts": r.attempts}
        values: dict[str, Any] = {"next_attempt_at": now, "updated_at": now}
        if r.state == "refused":
            values["state"] = "pending"
        s.execute(update(_D).where(_D.id == r.id, _D.state == r.state).values(**values)
                  .execution_options(synchronize_session=False))
        audit.record(s, ctx, "billing.retry", "payment", number, before, {"state": values.get("state", r.state)})
        rid = r.id
        uow.commit()
    view, _ = _deliver_row(ctx.db, rid, timeout=timeout)
    assert view is not None
    return view


def payment_id_by_number(db: Database, number: str) -> int:
    with db.read() as uow:
        pid = uow.session.execute(select(m.Payment.id).where(m.Payment.number == number.strip())).scalar_one_or_none()
    if pid is None:
        raise NotFound(tr("Платёж {number} не найден.", number=number))
    return int(pid)


__all__ = ["BILLING_CRASH_POINTS", "backoff", "deliver_after_commit", "deliver_due", "payment_id_by_number",
           "reconcile", "retry"]
