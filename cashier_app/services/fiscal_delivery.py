"""Delivering outbox receipts to their register exactly once, and settling the unfinished ones.

One row, one conversation at a time: :func:`deliver` first takes the row's lease by a
conditional update (``claim_token``/``claimed_until``; a lapsed lease — or one whose
holder on this machine is dead — can be taken over by exactly one process).  A
``pending`` row is turned ``sent`` in the same committed update, *before* the register
is called; from then on every attempt asks the register (``lookup`` by the row's key)
before it sends anything again, and sends only what the register has never seen.
The register is idempotent on the key besides (uuid / external_id), so even a
takeover racing a slow holder cannot make a second document.

Outcomes: done → the fiscal data is stored, but only if its total is ours (a document
under our key on another amount is not adopted: failed, with the reason); refused →
failed with the register's reason; unknown (network, timeout, 5xx) → the row stays
``sent`` with ``last_error`` and :func:`reconcile` settles it later.  Nothing here
touches the payment: it is paid whatever the register does.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, fiscal_outbox, fiscal_settings, ledger
from cashier_app.services.card_gateway import crash_point
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_views import ReceiptView, for_payment, payment_by_number, view_by_id
from cashier_app.services.permissions import require
from cashier_app.services.registers.base import Lookup, RegisterClient, RegisterRefused, RegisterUnavailable
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

# Test hook points (``card_gateway.crash_point``), in the order a receipt passes them.
FISCAL_CRASH_POINTS = ("fiscal_after_commit", "fiscal_after_accept", "fiscal_before_store")
UNFINISHED = ("pending", "sent")
# How long the counter waits for the register before telling the cashier «чек формируется».
DEFAULT_WAIT_SECS = 10.0
RECONCILE_WAIT_SECS = 5.0
# A lease outlives the longest conversation its holder may have (waiting plus client timeouts).
LEASE_MARGIN_SECS = 90.0
_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFFFF:08x}"


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    checked: int = 0
    done: int = 0
    failed: int = 0
    unfinished: int = 0  # still pending/sent: the register did not answer, or another process holds it
    views: list[ReceiptView] = field(default_factory=list)

    @property
    def text(self) -> str:
        return tr("Проверено чеков: {checked}; пробито: {done}; не пробито: {failed}; ждут ответа ККТ: {unfinished}.",
                  checked=self.checked, done=self.done, failed=self.failed, unfinished=self.unfinished)


# Notes stored on the receipt row (Russian, like the register's own words); fiscal_views shows them via tr().
REFUSED_NOTE = N_("ККТ отказала")
MAKING_NOTE = N_("ККТ приняла чек и ещё формирует его")
UNCONFIRMED_NOTE = N_("ККТ не подтвердила приём чека")
NO_ANSWER_NOTE = N_("нет ответа ККТ")


# --- the lease ---------------------------------------------------------------------------------------------------

def _new_token() -> str:
    """``<pid>@<host>:<random>`` — a holder on this machine can be seen to be dead (kill -9, power cut)."""
    return f"{os.getpid()}@{_HOST}:{uuid.uuid4().hex}"[:36]


def _holder_dead(token: str | None) -> bool:
    if not token or "@" not in token or ":" not in token:
        return False
    pid_text, _, rest = token.partition("@")
    host = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False  # another machine's holder: only its lease's end frees the row
    if os.name != "posix":
        return False  # Windows' os.kill(pid, 0) would terminate the process, not probe it
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _claim(ctx: DeskContext, receipt_id: int, token: str, wait_secs: float, now: datetime) -> str | None:
    """Take the row's lease; returns the state it had (``pending``/``sent``) or None if not ours to talk about.

    One conditional UPDATE: only a free, lapsed or dead-holder lease, and only the state we read,
    so of any number of processes exactly one gets the row.  A pending row becomes ``sent`` in the
    same committed update — the register is called only after this commit.
    """
    with ctx.db.uow() as uow:
        s = uow.session
        row = s.execute(select(m.FiscalReceipt.state, m.FiscalReceipt.claim_token, m.FiscalReceipt.claimed_until)
                        .where(m.FiscalReceipt.id == receipt_id)).first()
        if row is None or row.state not in UNFINISHED:
            return None
        free = or_(m.FiscalReceipt.claim_token.is_(None), m.FiscalReceipt.claimed_until < now)
        if row.claim_token is not None and _holder_dead(row.claim_token):
            free = or_(free, m.FiscalReceipt.claim_token == row.claim_token)
        # ``attempts`` counts conversations with the register (one per lease taken).
        values: dict[str, Any] = {"claim_token": token, "updated_at": now, "attempts": m.FiscalReceipt.attempts + 1,
                                  "claimed_until": now + timedelta(seconds=wait_secs + LEASE_MARGIN_SECS)}
        if row.state == "pending":
            values.update(state="sent", sent_at=now)
        got = s.execute(update(m.FiscalReceipt)
                        .where(m.FiscalReceipt.id == receipt_id, m.FiscalReceipt.state == row.state, free)
                        .values(**values).execution_options(synchronize_session=False)).rowcount
        if got != 1:
            return None
        uow.commit()
        return str(row.state)


def _write(ctx: DeskContext, receipt_id: int, token: str, values: dict[str, Any], *,
           own_lease: bool = True) -> bool:
    """A state change of a row we hold (``own_lease``) or of any unfinished one; the lease is released."""
    values = {**values, "claim_token": None, "claimed_until": None, "updated_at": datetime.now(UTC)}
    cond = [m.FiscalReceipt.id == receipt_id, m.FiscalReceipt.state.in_(UNFINISHED)]
    if own_lease:
        cond.append(m.FiscalReceipt.claim_token == token)
    with ctx.db.uow() as uow:
        done = uow.session.execute(update(m.FiscalReceipt).where(and_(*cond)).values(**values)
                                   .execution_options(synchronize_session=False)).rowcount
        uow.commit()
    return done == 1


def _note(ctx: DeskContext, receipt_id: int, token: str, message: str) -> None:
    _write(ctx, receipt_id, token, {"last_error": message[:255]})


# --- talking to the register -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Job:
    id: int
    key: str
    amount_minor: int
    payee_id: int | None
    channel: str
    register_url: str | None
    remote_uuid: str | None
    body: dict[str, Any]


def _job(ctx: DeskContext, receipt_id: int) -> _Job:
    with ctx.db.read() as uow:
        r = uow.session.get(m.FiscalReceipt, receipt_id, populate_existing=True)
        assert r is not None
        return _Job(r.id, r.key, r.amount_minor, r.payee_id, r.channel, r.register_url, r.remote_uuid, dict(r.body))


def _client(ctx: DeskContext, job: _Job, wait_secs: float = DEFAULT_WAIT_SECS) -> RegisterClient:
    """The register the row was queued for (its URL frozen on the row), with the payee's credentials."""
    from cashier_app.services.registers.factory import client_for

    with ctx.db.read() as uow:
        s = uow.session
        rules = fiscal_settings.get_rules(s, job.payee_id) if job.payee_id is not None else None
        code = s.execute(select(m.Payee.code).where(m.Payee.id == job.payee_id)).scalar_one_or_none()
    if rules is None or code is None:
        raise ValidationError(N_("ККТ"), tr("у получателя платежа больше не настроена ККТ"))
    if rules.mode != job.channel:
        rules = replace(rules, mode=job.channel)  # the row goes where it was queued, whatever changed since
    secret = fiscal_settings.secret_for(code, job.register_url) if job.channel == "atol_online" else None
    # The client's own wait for a task it sent is bounded by ours (the counter's patience).
    return client_for(rules, secret, url_override=job.register_url, poll_secs=max(wait_secs, 0.2))


def _poll(client: RegisterClient, job: _Job, lk: Lookup, deadline: float) -> Lookup:
    pause = 0.05
    while lk.state == "wait" and time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
        lk = client.lookup(job.key, lk.remote_uuid or job.remote_uuid)
    return lk


def _rekey(ctx: DeskContext, job: _Job, token: str, why: str | None) -> _Job:
    """The same receipt under a new key, after the register said for certain it made nothing under the old one.

    A register never takes a used key again (ATOL Web: 409 for ever; ATOL Online: «чек с external_id
    уже существует» with the failed report), so the cashier's «Повторить» after «нет бумаги» would
    otherwise end only in a correction receipt.  The new key is committed (and audited with the old
    one) before anything is sent under it, so a crash after this point looks the new key up.
    """
    head, operation, _ = job.key.rsplit("-", 2)  # <payment>-<op>-<12 hex> (fiscal_outbox.new_key)
    new = fiscal_outbox.new_key(head, operation)
    with ctx.db.uow() as uow:
        s = uow.session
        moved = s.execute(update(m.FiscalReceipt)
                          .where(m.FiscalReceipt.id == job.id, m.FiscalReceipt.key == job.key,
                                 m.FiscalReceipt.claim_token == token)
                          .values(key=new, remote_uuid=None, updated_at=datetime.now(UTC))
                          .execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            raise RegisterUnavailable("чек уже обрабатывает другая касса")  # i18n: data
        audit.record(s, ctx, "fiscal.rekey", "fiscal_receipt", str(job.id), {"key": job.key, "register": why},
                     {"key": new})
        uow.commit()
    return replace(job, key=new, remote_uuid=None)


def _talk(ctx: DeskContext, client: RegisterClient, job: _Job, token: str, was: str, deadline: float,
          resend_failed: bool) -> tuple[_Job, Lookup]:
    """The register's word on the row: look it up first unless it was never sent; send only what is absent."""
    receipt = fr.from_json(job.body)
    if was == "pending":
        lk = client.submit(job.key, receipt)
    else:
        lk = client.lookup(job.key, job.remote_uuid)
        if lk.state == "absent":
            lk = client.submit(job.key, receipt)
        elif lk.state == "failed" and resend_failed:
            # The cashier's «Повторить» once the cause is fixed: the register made nothing under the
            # old key (it says so), so the same receipt goes under a new one — one sale, not two.
            job = _rekey(ctx, job, token, lk.error)
            lk = client.submit(job.key, receipt)
    crash_point("fiscal_after_accept")
    if lk.remote_uuid and lk.remote_uuid != job.remote_uuid:
        # ATOL Online's uuid for our external_id: kept at once, the report is read by it.
        with ctx.db.uow() as uow:
            uow.session.execute(update(m.FiscalReceipt).where(m.FiscalReceipt.id == job.id)
                                .values(remote_uuid=lk.remote_uuid[:64]).execution_options(synchronize_session=False))
            uow.commit()
    return job, _poll(client, job, lk, deadline)


def _offset_minutes(at: datetime) -> int | None:
    off = at.utcoffset()
    return None if off is None else int(off.total_seconds() // 60)


def _settle(ctx: DeskContext, job: _Job, token: str, lk: Lookup) -> None:
    now = datetime.now(UTC)
    if lk.state == "done" and lk.fiscal is not None:
        f = lk.fiscal
        if f.total_minor != job.amount_minor:
            # Under our key, but not our amount: nothing proves it is ours, so it is not adopted.
            _write(ctx, job.id, token, {"state": "failed", "last_error": (
                f"в ККТ под ключом {job.key} чек на {f.total_minor / 100:.2f} ₽, а платёж на "  # i18n: data
                f"{job.amount_minor / 100:.2f} ₽ — чек не принят как наш; проверьте ККТ")[:255]})
            return
        crash_point("fiscal_before_store")
        # Not conditional on the lease: the register's answer is the same whoever stores it.
        _write(ctx, job.id, token, {
            "state": "done", "fd_number": f.fd_number, "fiscal_sign": str(f.fiscal_sign)[:16],
            "fn_number": str(f.fn_number)[:16], "shift_number": f.shift_number, "receipt_number": f.receipt_number,
            "fiscal_at": f.at, "fiscal_utc_offset": _offset_minutes(f.at), "registration_number": (f.registration_number or "")[:20] or None,
            "fns_url": (f.fns_url or "")[:64] or None, "fiscal_total_minor": f.total_minor, "done_at": now,
            "last_error": None, "remote_uuid": (lk.remote_uuid or job.remote_uuid)}, own_lease=False)
        return
    if lk.state == "failed":
        _write(ctx, job.id, token, {"state": "failed", "last_error": (lk.error or REFUSED_NOTE)[:255]})
        return
    if lk.state == "wait":
        _note(ctx, job.id, token, MAKING_NOTE)
        return
    _note(ctx, job.id, token, UNCONFIRMED_NOTE)


def deliver(ctx: DeskContext, receipt_id: int, *, wait_secs: float = DEFAULT_WAIT_SECS,
            resend_failed: bool = False) -> ReceiptView:
    """Send (or settle) one outbox row; returns what is known afterwards.  Never raises for the network."""
    require(ctx, "take_payment")
    token = _new_token()
    was = _claim(ctx, receipt_id, token, wait_secs, datetime.now(UTC))
    if was is None:
        return view_by_id(ctx, receipt_id)  # final, or another process is talking to the register about it
    job = _job(ctx, receipt_id)
    try:
        client = _client(ctx, job, wait_secs)
    except Exception as exc:  # configuration (no password, bad URL): the receipt waits, the reason is shown
        log.warning("fiscal receipt %s: no client: %s", job.key, exc)
        _note(ctx, job.id, token, f"ККТ недоступна: {exc}")  # i18n: data
        return view_by_id(ctx, receipt_id)
    try:
        job, lk = _talk(ctx, client, job, token, was, time.monotonic() + max(wait_secs, 0.0), resend_failed)
    except RegisterRefused as exc:
        log.info("fiscal receipt %s refused: %s", job.key, exc)
        why = str(exc) or REFUSED_NOTE
        values: dict[str, Any] = {"state": "failed", "last_error": why[:255]}
        if exc.remote_uuid:
            values["remote_uuid"] = exc.remote_uuid[:64]
        _write(ctx, job.id, token, values)
    except RegisterUnavailable as exc:
        log.warning("fiscal receipt %s: outcome unknown: %s", job.key, exc)
        _note(ctx, job.id, token, f"нет ответа ККТ: {exc}" if str(exc) else NO_ANSWER_NOTE)  # i18n: data
    except Exception as exc:  # a bug or a surprise must not lose the row: it stays sent, looked up next time
        log.exception("fiscal receipt %s: unexpected error", job.key)
        _note(ctx, job.id, token, f"ошибка при обращении к ККТ: {type(exc).__name__}")  # i18n: data
    else:
        _settle(ctx, job, token, lk)
    return view_by_id(ctx, receipt_id)


def deliver_after_commit(ctx: DeskContext, payment_id: int, *, wait_secs: float = DEFAULT_WAIT_SECS) -> ReceiptView | None:
    """After a payment's (or refund entry's) commit: its receipt, sent now if it has one.  Never raises.

    The money is committed already; whatever happens here only the receipt's state says it.
    """
    crash_point("fiscal_after_commit")
    try:
        found = for_payment(ctx, payment_id)
        if found is None or found.final:
            return found
        return deliver(ctx, found.id, wait_secs=wait_secs)
    except Exception:  # the payment stands; the row (if any) is settled by reconcile
        log.exception("fiscal receipt of payment %s: not delivered after commit", payment_id)
        try:
            return for_payment(ctx, payment_id)
        except Exception:
            return None


# --- settling, retrying, correcting --------------------------------------------------------------------------------

def unfinished_ids(s: Session, desk: str) -> list[int]:
    """Rows this desk may settle: cloud rows of any desk, local-register rows only of this desk."""
    return list(s.execute(
        select(m.FiscalReceipt.id).where(
            m.FiscalReceipt.state.in_(UNFINISHED),
            or_(m.FiscalReceipt.channel == "atol_online", m.FiscalReceipt.desk == desk))
        .order_by(m.FiscalReceipt.id)).scalars())


def reconcile(ctx: DeskContext, *, wait_secs: float = RECONCILE_WAIT_SECS) -> ReconcileResult:
    """Settle every unfinished receipt this desk may (on start and by ``cashier-app fiscal reconcile``)."""
    require(ctx, "take_payment")
    with ctx.db.read() as uow:
        ids = unfinished_ids(uow.session, ctx.desk)
    views = [deliver(ctx, rid, wait_secs=wait_secs) for rid in ids]
    return ReconcileResult(len(views), sum(v.state == "done" for v in views), sum(v.state == "failed" for v in views),
                           sum(v.state in UNFINISHED for v in views), views)


def retry(ctx: DeskContext, payment_number: str, *, wait_secs: float = DEFAULT_WAIT_SECS) -> list[ReceiptView]:
    """The payment's failed (or unfinished) receipts once more: looked up first, sent again under the same key.

    ``payment_number`` may be a payment or a refund entry.  A failed row is turned ``sent``
    (not ``pending``): the register is asked before anything is sent.
    """
    require(ctx, "take_payment")
    with ctx.db.read() as uow:
        s = uow.session
        p = payment_by_number(s, payment_number)
        rows = list(s.execute(select(m.FiscalReceipt.id, m.FiscalReceipt.state, m.FiscalReceipt.operation)
                              .where(m.FiscalReceipt.payment_id == p.id).order_by(m.FiscalReceipt.id)))
    if not rows:
        raise RuleViolation(tr("у платежа {number} нет фискального чека", number=payment_number))
    # A failed sale that a correction replaced stays failed: sending it now would make a second sale.
    corrected = any(op == "sell_correction" and state != "failed" for _, state, op in rows)
    todo = [rid for rid, state, op in rows
            if state in ("failed", *UNFINISHED) and not (corrected and op == "sell" and state == "failed")]
    if not todo and corrected:
        raise RuleViolation(tr("чек продажи по платежу {number} заменён чеком коррекции — повторять нечего",
                               number=payment_number))
    if not todo:
        raise RuleViolation(tr("чек по платежу {number} уже пробит — повторять нечего", number=payment_number))
    out = []
    for rid in todo:
        if _rebuild_unsent(ctx, rid):
            out.append(deliver(ctx, rid, wait_secs=wait_secs))
            continue
        with ctx.db.uow() as uow:
            flipped = uow.session.execute(
                update(m.FiscalReceipt).where(m.FiscalReceipt.id == rid, m.FiscalReceipt.state == "failed")
                .values(state="sent", updated_at=datetime.now(UTC)).execution_options(synchronize_session=False)
            ).rowcount
            if flipped:
                audit.record(uow.session, ctx, "fiscal.retry", "payment", payment_number, {"state": "failed"},
                             {"state": "sent", "receipt_id": rid})
            uow.commit()
        out.append(deliver(ctx, rid, wait_secs=wait_secs, resend_failed=bool(flipped)))
    return out


def _rebuild_unsent(ctx: DeskContext, receipt_id: int) -> bool:
    """A failed row that was never built (so never sent) is built again from today's settings: True if so."""
    with ctx.db.uow() as uow:
        s = uow.session
        r = s.execute(select(m.FiscalReceipt).where(m.FiscalReceipt.id == receipt_id).with_for_update()
                      .execution_options(populate_existing=True)).scalar_one()
        if r.state != "failed" or r.body or r.attempts:
            return False
        try:
            fiscal_outbox.rebuild(s, r)
        except ValidationError as exc:
            raise RuleViolation(tr("чек по-прежнему не формируется: {error} — исправьте настройки ККТ получателя",
                                   error=exc)) from None
        uow.commit()
    return True


def correct(ctx: DeskContext, payment_number: str, reason: str, *,
            wait_secs: float = DEFAULT_WAIT_SECS) -> ReceiptView:
    """A ``sell_correction`` for a payment whose sale receipt was never made (failed, or no row at all).

    Never a second sale: a payment whose sale is done, or still on its way, is refused; a
    second correction while one is not failed is refused too (under the payment's row lock).
    """
    require(ctx, "correct")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(N_("Причина"), tr("укажите причину коррекции"))
    if len(reason) > 255:
        raise ValidationError(N_("Причина"), ntr("не длиннее {n} символа", "не длиннее {n} символов", 255))
    with ctx.db.uow() as uow:
        s = uow.session
        p = payment_by_number(s, payment_number)
        if p.entry_kind != "payment" or not p.credited:
            raise RuleViolation(tr("{number}: чек коррекции оформляется только по проведённому платежу",
                                   number=payment_number))
        ledger.lock_payment(s, p.id)  # two managers correcting at once: one after the other
        rows = list(s.execute(select(m.FiscalReceipt).where(m.FiscalReceipt.payment_id == p.id)
                              .order_by(m.FiscalReceipt.id).execution_options(populate_existing=True)).scalars())
        sale = next((r for r in rows if r.operation == "sell"), None)
        if sale is not None and sale.state != "failed":
            raise RuleViolation(tr("чек продажи по платежу {number} {state} — коррекция не нужна",
                                   number=payment_number, state=_state_words(sale.state)))
        if any(r.operation == "sell_correction" and r.state != "failed" for r in rows):
            raise RuleViolation(tr("по платежу {number} чек коррекции уже оформлен", number=payment_number))
        base_day = ctx.today().strftime("%d.%m.%Y")
        row = fiscal_outbox.enqueue_correction(s, ctx, p, reason=reason, base_day=base_day, corrects=sale)
        audit.record(s, ctx, "fiscal.correct", "payment", payment_number, None,
                     {"receipt_id": row.id, "reason": reason, "corrects": sale.key if sale else None})
        rid = row.id
        uow.commit()
    return deliver(ctx, rid, wait_secs=wait_secs)


def _state_words(state: str) -> str:
    words = {"done": N_("уже пробит"), "bank": N_("пробивает банк"), "pending": N_("ещё отправляется"),
             "sent": N_("ещё отправляется")}
    return tr(words[state]) if state in words else state


__all__ = ["DEFAULT_WAIT_SECS", "FISCAL_CRASH_POINTS", "ReconcileResult", "correct", "deliver",
           "deliver_after_commit", "reconcile", "retry", "unfinished_ids"]
