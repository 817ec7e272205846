"""The register's side of a cash shift (issue 13): open/adopt, cash in/out, X, close with the Z data.

Only a local register (payee mode ``atol_web``) has shifts; ``none`` and ``atol_online`` (the cloud
register opens its own) make every call here a no-op.  A desk mirrors its shift on one register:
the desk's ``fiscal_register_url`` or, else, the URL of the ``atol_web`` payees (``desk_register``).

Order of writes, so nothing is half-written:

* **open** — the app's shift is committed first (``shifts.open_shift``), the register is called
  after (:func:`after_open`).  A register that is offline leaves the app's shift open with
  ``register_url`` set and ``register_shift_number`` empty: «смена ККТ не открыта», and
  :func:`sync` retries.  A register shift already open is adopted (its number stored), never
  opened twice.
* **cash in/out, X** — after the app's commit, each with a task uuid derived from the app's
  record (``<base>-in-<movement id>``, ``<base>-x-<document>``; ``<base>`` is :func:`task_base`): :func:`sync` re-sends every
  movement of the shift with its own uuid and the register answers a uuid it has seen with 409,
  read back as done — so a retry never makes a second cash-in.
* **close** — the register first (:func:`close_register`, uuid ``<base>-close``: a lookup
  before the send, so a lost answer is read back, and parallel closes make one closeShift),
  then the app's close in one transaction carrying the Z data into the Z report and
  ``CashShift.register_z``.  A register that fails does not stop the app's close: the Z report
  says so, the shift stays «закрытие смены ККТ не выполнено», and :func:`sync` closes it later.
  A crash between the two leaves the register closed and the app's shift open; closing again
  reads the same closeShift back by its uuid.

``CashShift.register_z`` while the shift is open holds the register's shift facts
(``{"state": "opened", "shift_number", "opened_at"}``) or the last failure (``{"state":
"open_failed", "error"}``); after the close, the Z data (``{"state": "closed", "shift_number",
"fn_number", "registration_number", "fd_number", "fiscal_sign", "closed_at", ...}``) or
``{"state": "close_failed", "error"}``.  A register shift past 24 h refuses the next sale
(:func:`check_can_sell`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cashier_app.domain.errors import RuleViolation
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, fiscal_settings
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.services.registers.base import (
    Lookup,
    Operator,
    RegisterClient,
    RegisterRefused,
    RegisterUnavailable,
    ShiftState,
)
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

SHIFT_LIMIT = timedelta(hours=24)
EXPIRED_TEXT = N_("смена ККТ длится больше 24 часов: закройте смену")
NOT_OPENED_TEXT = N_("смена ККТ не открыта")
# Kept Russian where it goes into the Z report's stored register block (printed with the report).
NOT_CLOSED_TEXT = N_("смена ККТ не закрыта")
STATUS_TEXT = {
    "ready": N_("ККТ готова"), "paper_out": N_("в ККТ нет бумаги"), "shift_expired": N_("смена ККТ больше 24 часов"),
    "offline": N_("ККТ не отвечает"), "shift_closed": N_("смена ККТ закрыта"), "cloud": N_("АТОЛ Онлайн"),
    "none": N_("без ККТ"),
}


@dataclass(frozen=True, slots=True)
class RegisterStatus:
    """For the status bar and ``fiscal status``: ``state`` is one of :data:`STATUS_TEXT`."""

    state: str
    url: str | None = None
    shift_state: str | None = None  # opened | closed | expired (the register's)
    shift_number: int | None = None
    unsent: int = 0  # documents the register has not passed to the OFD
    pending_receipts: int = 0  # our outbox rows not done yet (pending/sent)
    failed_receipts: int = 0
    text: str = ""
    app_shift: str | None = None  # the app's open shift number on this desk
    app_shift_register: str | None = None  # opened | open_failed | ... (register_z state)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "url": self.url, "shift_state": self.shift_state,
                "shift_number": self.shift_number, "unsent": self.unsent, "pending_receipts": self.pending_receipts,
                "failed_receipts": self.failed_receipts, "text": self.text, "app_shift": self.app_shift,
                "app_shift_register": self.app_shift_register}


@dataclass(frozen=True, slots=True)
class SyncResult:
    shift_number: str | None
    actions: tuple[str, ...]  # what was done, in words
    problems: tuple[str, ...]  # what is still to do


# --- which register -------------------------------------------------------------------------------

def _atol_web_rules(s: Session) -> list[Any]:
    out = []
    for p in s.execute(select(m.Payee).join(m.FiscalSettings, m.FiscalSettings.payee_id == m.Payee.id)
                       .where(m.FiscalSettings.mode == "atol_web").order_by(m.Payee.code)).scalars():
        rules = fiscal_settings.get_rules(s, p.id)
        if rules is not None:
            out.append(rules)
    return out


def desk_register(s: Session) -> tuple[str, Any] | None:
    """(url, rules) of the register this desk's shifts mirror on, or None (no local register)."""
    rules = _atol_web_rules(s)
    if not rules:
        return None
    url = fiscal_settings.desk_register_url() or (rules[0].url or fiscal_settings.DEFAULT_WEB_URL).rstrip("/")
    return url, rules[0]


def _client(rules: Any, url: str) -> RegisterClient:
    from cashier_app.services.registers import factory

    return factory.client_for(rules, None, url_override=url)


def _operator(s: Session, ctx: DeskContext) -> Operator:
    return fiscal_settings.operator_for(s, ctx.user.id if ctx.user else None)


def _z_state(shift: m.CashShift) -> str | None:
    return (shift.register_z or {}).get("state") if shift.register_url else None


def _set(ctx: DeskContext, shift_id: int, **values: Any) -> None:
    with ctx.db.uow() as uow:
        uow.session.execute(update(m.CashShift).where(m.CashShift.id == shift_id).values(**values)
                            .execution_options(synchronize_session=False))
        uow.commit()


def _iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat() if dt is not None else None


# A task the register refused (paper out, ...) keeps its uuid's error for ever: the retry goes under
# the next derived uuid (``<key>-2``, ...), never a random one.
MAX_ATTEMPTS = 20


def task_base(shift: m.CashShift) -> str:
    """The register tasks' uuid prefix of an app shift: its number and the microsecond it opened.

    The number alone repeats in another office's (or a re-created) database sharing the register;
    its tasks must not be adopted as ours.  A restored backup of the same shift keeps both, and
    rightly finds its own tasks.
    """
    micros = (shift.opened_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{shift.number}-{micros:x}"


def _attempt_key(client: RegisterClient, key: str) -> tuple[str, Lookup | None]:
    """(the uuid to send under, its Lookup if that task is already done): the first not refused."""
    for n in range(1, MAX_ATTEMPTS + 1):
        k = key if n == 1 else f"{key}-{n}"
        found = client.lookup(k)
        if found.state == "failed":
            continue  # refused: no document was made under it
        return k, (found if found.state == "done" else None)
    raise RegisterRefused(ntr("ККТ отказала {n} раз подряд: проверьте её", "ККТ отказала {n} раз подряд: проверьте её",
                              MAX_ATTEMPTS))


def _err(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


# --- open -------------------------------------------------------------------------------------------

def after_open(ctx: DeskContext, shift_id: int) -> str | None:
    """Mirror a just-committed app shift on the register; returns a note for the cashier or None."""
    with ctx.db.read() as uow:
        s = uow.session
        reg = desk_register(s)
        shift = s.get(m.CashShift, shift_id)
        if reg is None or shift is None or shift.status != "open":
            return None
        url, rules = reg
        number, operator, base = shift.number, _operator(s, ctx), task_base(shift)
    if shift.register_url is None:
        _set(ctx, shift_id, register_url=url, register_z={"state": "open_pending"})
    return _open_register(ctx, shift_id, number, url, rules, operator, base)


def _open_register(ctx: DeskContext, shift_id: int, number: str, url: str, rules: Any,
                   operator: Operator, base: str) -> str | None:
    client = _client(rules, url)
    try:
        _finish_previous(ctx, client, url, shift_id)
        st = client.shift_state()
        if st.state == "expired" and not _owned_by_app(ctx, url, st.number, shift_id):
            # Nobody in the app holds it: its Z is made now so the new shift can open.
            key, done = _attempt_key(client, f"{base}-close-stale-{st.number}")
            if done is None:
                client.close_shift(key, operator)
            st = client.shift_state()
        if st.state == "expired":
            raise RegisterRefused(tr("{expired} № {number} прежней смены программы", expired=tr(EXPIRED_TEXT),
                                     number=st.number))
        if st.state != "opened":
            key, done = _attempt_key(client, f"{base}-open")
            st = client.open_shift(key, operator) if done is None else client.shift_state()
            if st.number is None:
                st = client.shift_state()
            action = "opened"
        else:
            action = "adopted"
        if st.fn_number is None:  # getShiftStatus may not say; the device status does
            st = ShiftState(st.state, st.number, st.opened_at, client.device_state().fn_number)
    except (RegisterUnavailable, RegisterRefused) as exc:
        log.warning("register shift for %s not opened: %s", number, exc)
        _set(ctx, shift_id, register_z={"state": "open_failed", "error": _err(exc)})
        return tr("{not_opened}: {error}. Повторите: «Смена → ККТ» (cashier-app fiscal sync)",
                  not_opened=tr(NOT_OPENED_TEXT), error=_err(exc))
    _store_opened(ctx, shift_id, number, st, action)
    # The float goes into the register's drawer too (a cash-in), so its cash-outs add up.
    problems = _sync_movements(ctx, client, shift_id, base, operator)
    return tr("ККТ не приняла: {problems}. Повторите: fiscal sync", problems="; ".join(problems)) if problems else None


def _store_opened(ctx: DeskContext, shift_id: int, number: str, st: ShiftState, action: str) -> None:
    z = {"state": "opened", "shift_number": st.number, "opened_at": _iso(st.opened_at) or _iso(datetime.now(UTC))}
    with ctx.db.uow() as uow:
        s = uow.session
        uow.session.execute(update(m.CashShift).where(m.CashShift.id == shift_id)
                            .values(register_shift_number=st.number, register_fn=st.fn_number, register_z=z)
                            .execution_options(synchronize_session=False))
        audit.record(s, ctx, f"shift.register_{action}", "shift", number, None,
                     {"register_shift_number": st.number, "fn": st.fn_number})
        uow.commit()


def _owned_by_app(ctx: DeskContext, url: str, register_number: int | None, except_id: int) -> bool:
    if register_number is None:
        return False
    with ctx.db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(m.CashShift).where(
            m.CashShift.register_url == url, m.CashShift.register_shift_number == register_number,
            m.CashShift.id != except_id)).scalar_one() > 0


def _finish_previous(ctx: DeskContext, client: RegisterClient, url: str, shift_id: int) -> None:
    """Close on the register the earlier app shifts of this register whose register close failed."""
    with ctx.db.read() as uow:
        rows = uow.session.execute(select(m.CashShift).where(
            m.CashShift.register_url == url, m.CashShift.status == "closed", m.CashShift.id != shift_id,
            m.CashShift.register_shift_number.is_not(None))).scalars().all()
        todo = [(r.id, task_base(r), r.register_shift_number) for r in rows
                if (r.register_z or {}).get("state") != "closed"]
        operator = _operator(uow.session, ctx)
    for sid, base, reg_number in todo:
        z = _close_on_register(client, base, reg_number, operator)
        _set(ctx, sid, register_z=z)


# --- close ------------------------------------------------------------------------------------------

def _z_from(result: Any, reg_number: int | None) -> dict[str, Any]:
    """closeShift's answer (the client's dict or a Lookup) as the Z report's ``register`` block."""
    z: dict[str, Any] = {"state": "closed", "shift_number": reg_number}
    fiscal = getattr(result, "fiscal", None)
    if fiscal is not None:
        z.update(fn_number=fiscal.fn_number, registration_number=fiscal.registration_number,
                 fd_number=fiscal.fd_number, fiscal_sign=fiscal.fiscal_sign, closed_at=_iso(fiscal.at))
        if fiscal.shift_number is not None:
            z["shift_number"] = fiscal.shift_number
        return z
    raw = dict(result or {}) if isinstance(result, dict) else {}
    params = raw.get("fiscalParams") if isinstance(raw.get("fiscalParams"), dict) else raw
    aliases = {"shift_number": ("shift_number", "shiftNumber"), "fn_number": ("fn_number", "fnNumber"),
               "registration_number": ("registration_number", "registrationNumber"),
               "fd_number": ("fd_number", "fiscalDocumentNumber"),
               "fiscal_sign": ("fiscal_sign", "fiscalDocumentSign"),
               "closed_at": ("closed_at", "fiscalDocumentDateTime", "at"),
               "receipts": ("receipts", "receiptsCount"), "unsent": ("unsent", "notSentCount")}
    for key, names in aliases.items():
        for name in names:
            value = params.get(name, raw.get(name))
            if value not in (None, ""):
                z[key] = value.isoformat() if isinstance(value, datetime) else value
                break
    return z


def _close_on_register(client: RegisterClient, base: str, reg_number: int | None,
                       operator: Operator) -> dict[str, Any]:
    """Close the register shift of an app shift (``task_base``) once: its uuid is looked up before it is sent."""
    try:
        key, found = _attempt_key(client, f"{base}-close")
        if found is not None:
            return _z_from(found, reg_number)
        st = client.shift_state()
        if st.state == "closed" or (reg_number is not None and st.number not in (None, reg_number)):
            # Another desk's closeShift under our uuid may have finished between the lookup and the
            # state: the register's document is then ours and the Z report must carry it.
            again = client.lookup(key)
            if again.state == "done":
                return _z_from(again, reg_number)
            # Closed without us (on the register itself, or a later shift is open): nothing to close.
            return {"state": "closed", "shift_number": reg_number, "note": "закрыта на ККТ без программы"}  # i18n: data
        return _z_from(client.close_shift(key, operator), reg_number if reg_number is not None else st.number)
    except (RegisterUnavailable, RegisterRefused) as exc:
        log.warning("register shift of %s not closed: %s", base, exc)
        return {"state": "close_failed", "shift_number": reg_number, "error": f"{NOT_CLOSED_TEXT}: {_err(exc)}"}


def close_register(ctx: DeskContext, shift_id: int) -> dict[str, Any] | None:
    """Before the app's close (``shifts.close_shift``): close the register's shift; the ``register`` block.

    None when the shift is not mirrored.  Never raises for the register: a failure is a block
    with ``error`` (the app's close goes on; :func:`sync` closes the register later).
    """
    with ctx.db.read() as uow:
        shift = uow.session.get(m.CashShift, shift_id)
        reg = desk_register(uow.session)
        operator = _operator(uow.session, ctx)
        if shift is None or shift.register_url is None or reg is None:
            return None
        base, url, reg_number = task_base(shift), shift.register_url, shift.register_shift_number
    client = _client(reg[1], url)
    if reg_number is None:
        # The register part never opened: sync first (it may be open on the register after all).
        try:
            st = client.shift_state()
        except (RegisterUnavailable, RegisterRefused) as exc:
            return {"state": "close_failed", "shift_number": None, "error": f"{NOT_CLOSED_TEXT}: {_err(exc)}"}
        if st.state == "closed":
            return {"state": "closed", "shift_number": None, "note": "смена ККТ не открывалась"}  # i18n: data
        return _close_on_register(client, base, st.number, operator)
    _sync_movements(ctx, client, shift_id, base, operator)
    return _close_on_register(client, base, reg_number, operator)


# --- cash in/out and X ----------------------------------------------------------------------------

def _register_open(ctx: DeskContext, shift_id: int) -> tuple[m.CashShift, str, Any, Operator] | None:
    with ctx.db.read() as uow:
        s = uow.session
        shift = s.get(m.CashShift, shift_id)
        reg = desk_register(s)
        if shift is None or reg is None or shift.register_url is None or shift.register_shift_number is None:
            return None
        if _z_state(shift) != "opened":
            return None
        return shift, shift.register_url, reg[1], _operator(s, ctx)


def after_movement(ctx: DeskContext, shift_id: int, movement_id: int) -> str | None:
    """Mirror one committed cash in/out; a note for the cashier when the register did not take it."""
    found = _register_open(ctx, shift_id)
    if found is None:
        return None
    shift, url, rules, operator = found
    with ctx.db.read() as uow:
        mv = uow.session.get(m.CashMovement, movement_id)
        if mv is None:
            return None
        kind, amount = mv.kind, mv.amount_minor
    try:
        _send_movement(_client(rules, url), task_base(shift), movement_id, kind, amount, operator)
    except (RegisterUnavailable, RegisterRefused) as exc:
        log.warning("register cash %s of %s not made: %s", kind, shift.number, exc)
        return (tr("ККТ не приняла внесение: {error}. Повторите: fiscal sync", error=_err(exc)) if kind == "in"
                else tr("ККТ не приняла изъятие: {error}. Повторите: fiscal sync", error=_err(exc)))
    return None


def _send_movement(client: RegisterClient, base: str, movement_id: int | str, kind: str, amount: int,
                   operator: Operator) -> None:
    # Derived from the movement: a retry finds it done (or is answered 409), never a second cash-in.
    key, done = _attempt_key(client, f"{base}-{kind}-{movement_id}")
    if done is not None:
        return
    if kind == "in":
        client.cash_in(key, amount, operator)
    else:
        client.cash_out(key, amount, operator)


def _sync_movements(ctx: DeskContext, client: RegisterClient, shift_id: int, base: str,
                    operator: Operator) -> list[str]:
    """Every cash in/out of the shift, and its float as the first cash-in, each under its own uuid."""
    with ctx.db.read() as uow:
        shift = uow.session.get(m.CashShift, shift_id)
        moves: list[tuple[int | str, str, int]] = [("float", "in", shift.float_minor)] if shift and shift.float_minor else []
        moves += [(mv.id, mv.kind, mv.amount_minor) for mv in uow.session.execute(
            select(m.CashMovement).where(m.CashMovement.shift_id == shift_id).order_by(m.CashMovement.id)).scalars()]
    problems = []
    for mid, kind, amount in moves:
        try:
            _send_movement(client, base, mid, kind, amount, operator)
        except (RegisterUnavailable, RegisterRefused) as exc:
            problems.append(tr("внесение № {id}: {error}", id=mid, error=_err(exc)) if kind == "in"
                            else tr("изъятие № {id}: {error}", id=mid, error=_err(exc)))
    return problems


def after_x(ctx: DeskContext, shift_id: int, document_number: str) -> str | None:
    """The X report on the register too (uuid from the app's X document); a note when it failed."""
    found = _register_open(ctx, shift_id)
    if found is None:
        return None
    shift, url, rules, operator = found
    try:
        client = _client(rules, url)
        key, done = _attempt_key(client, f"{task_base(shift)}-x-{document_number}")
        if done is None:
            client.report_x(key, operator)
    except (RegisterUnavailable, RegisterRefused) as exc:
        return tr("ККТ не напечатала X-отчёт: {error}", error=_err(exc))
    return None


# --- retry ------------------------------------------------------------------------------------------

def sync(ctx: DeskContext) -> SyncResult:
    """Finish what the register missed on this desk: open the shift, cash in/out, close earlier shifts."""
    require(ctx, "shift_own")
    with ctx.db.read() as uow:
        s = uow.session
        reg = desk_register(s)
        shift = _own_open_shift(s, ctx)
        operator = _operator(s, ctx)
        info = (shift.id, shift.number, shift.register_shift_number, _z_state(shift), task_base(shift)) if shift \
            else None
    if reg is None:
        return SyncResult(info[1] if info else None, (), ())
    url, rules = reg
    actions: list[str] = []
    problems: list[str] = []
    client = _client(rules, url)
    if info is None:
        try:
            _finish_previous(ctx, client, url, -1)
        except (RegisterUnavailable, RegisterRefused) as exc:
            problems.append(_err(exc))
        return SyncResult(None, tuple(actions), tuple(problems) + _closing_problems(ctx, url))
    sid, number, reg_number, state, base = info
    if reg_number is None or state != "opened":
        if state is None:
            _set(ctx, sid, register_url=url, register_z={"state": "open_pending"})
        note = _open_register(ctx, sid, number, url, rules, operator, base)
        if note:
            return SyncResult(number, (), (note,))
        actions.append(tr("смена ККТ открыта"))
    problems.extend(_sync_movements(ctx, client, sid, base, operator))
    return SyncResult(number, tuple(actions), tuple(problems) + _closing_problems(ctx, url))


def _own_open_shift(s: Session, ctx: DeskContext) -> m.CashShift | None:
    # shifts.open_shift_row's query: shifts imports this module, so it is not imported back.
    if ctx.user is None:
        return None
    return s.execute(select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.user_id == ctx.user.id,
                                               m.CashShift.status == "open")).scalars().first()


def _closing_problems(ctx: DeskContext, url: str) -> tuple[str, ...]:
    with ctx.db.read() as uow:
        rows = uow.session.execute(select(m.CashShift).where(
            m.CashShift.register_url == url, m.CashShift.status == "closed",
            m.CashShift.register_shift_number.is_not(None))).scalars().all()
        return tuple(tr("{not_closed} (смена № {number})", not_closed=tr(NOT_CLOSED_TEXT), number=r.number) for r in rows
                     if (r.register_z or {}).get("state") == "close_failed")


def sync_close(ctx: DeskContext, shift_number: str) -> dict[str, Any] | None:
    """Retry the register close of a closed app shift (``fiscal sync`` calls it for each failed one)."""
    with ctx.db.read() as uow:
        s = uow.session
        shift = s.execute(select(m.CashShift).where(m.CashShift.number == shift_number)).scalar_one_or_none()
        reg = desk_register(s)
        if shift is None or reg is None or shift.status != "closed" or shift.register_url is None:
            return None
        if (shift.register_z or {}).get("state") == "closed":
            return shift.register_z
        operator = _operator(s, ctx)
        sid, reg_number, url, base = shift.id, shift.register_shift_number, shift.register_url, task_base(shift)
    z = _close_on_register(_client(reg[1], url), base, reg_number, operator)
    if z.get("state") == "closed":
        _set(ctx, sid, register_z=z)
    return z


# --- at the sale ------------------------------------------------------------------------------------

def _opened_at(shift: m.CashShift) -> datetime | None:
    raw = (shift.register_z or {}).get("opened_at")
    try:
        return datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def check_can_sell(s: Session, ctx: DeskContext, payee_id: int | None, *, now: datetime | None = None) -> None:
    """Refuse a sale through this desk's register whose shift is past 24 h (no HTTP call: the DB only).

    Called in the payment's transaction before anything is written.  Only ``atol_web`` payees;
    the register's opening time is what it said when the shift was opened or adopted.
    """
    if payee_id is None:
        return
    rules = fiscal_settings.get_rules(s, payee_id)
    if rules is None or rules.mode != "atol_web":
        return
    shift = s.execute(select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.status == "open")
                      .limit(1)).scalar_one_or_none()
    if shift is None or _z_state(shift) != "opened":
        return
    opened = _opened_at(shift)
    if opened is not None and (now or datetime.now(UTC)) - opened > SHIFT_LIMIT:
        raise RuleViolation(tr(EXPIRED_TEXT))


# --- status -----------------------------------------------------------------------------------------

def _outbox_counts(s: Session, ctx: DeskContext) -> tuple[int, int]:
    rows = dict(s.execute(select(m.FiscalReceipt.state, func.count()).where(
        m.FiscalReceipt.state.in_(("pending", "sent", "failed")), m.FiscalReceipt.desk == ctx.desk)
        .group_by(m.FiscalReceipt.state)).all())
    return int(rows.get("pending", 0)) + int(rows.get("sent", 0)), int(rows.get("failed", 0))


def register_status(ctx: DeskContext, *, now: datetime | None = None) -> RegisterStatus:
    """The desk's register as the status bar shows it; asks the register (call it off the GUI thread)."""
    with ctx.db.read() as uow:
        s = uow.session
        reg = desk_register(s)
        pending, failed = _outbox_counts(s, ctx)
        shift = s.execute(select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.status == "open")
                          .limit(1)).scalar_one_or_none()
        app_shift = shift.number if shift else None
        app_reg = _z_state(shift) if shift else None
        opened = _opened_at(shift) if shift else None
        cloud = s.execute(select(func.count()).select_from(m.FiscalSettings)
                          .where(m.FiscalSettings.mode == "atol_online")).scalar_one()
    common = {"pending_receipts": pending, "failed_receipts": failed, "app_shift": app_shift,
              "app_shift_register": app_reg}
    if reg is None:
        state = "cloud" if cloud else "none"
        return RegisterStatus(state, text=tr(STATUS_TEXT[state]), **common)
    url, rules = reg
    try:
        dev = _client(rules, url).device_state()
    except (RegisterUnavailable, RegisterRefused) as exc:
        return RegisterStatus("offline", url, text=f"{tr(STATUS_TEXT['offline'])}: {_err(exc)}", **common)
    sh = dev.shift
    expired = sh is not None and sh.state == "expired"
    if sh is not None and sh.state == "opened":
        started = sh.opened_at or opened
        expired = started is not None and (now or datetime.now(UTC)) - started > SHIFT_LIMIT
    if not dev.online:
        state = "offline"
    elif dev.paper_out:
        state = "paper_out"
    elif expired:
        state = "shift_expired"
    elif sh is not None and sh.state == "closed":
        state = "shift_closed"
    else:
        state = "ready"
    text = tr(STATUS_TEXT[state])
    if dev.unsent_documents:
        text += "; " + tr("не отправлено в ОФД: {n}", n=dev.unsent_documents)
    if app_reg in ("open_failed", "open_pending"):
        text += f"; {tr(NOT_OPENED_TEXT)}"
    return RegisterStatus(state, url, sh.state if sh else None, sh.number if sh else None, dev.unsent_documents,
                          text=text, **common)


__all__ = [
    "EXPIRED_TEXT", "SHIFT_LIMIT", "RegisterStatus", "SyncResult", "after_movement", "after_open", "after_x",
    "check_can_sell", "close_register", "desk_register", "register_status", "sync", "sync_close",
]
