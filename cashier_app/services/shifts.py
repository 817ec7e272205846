"""Cash shifts: open with a float, cash in/out, X report, close with the counted cash.

Expected cash = float + cash payments − cash cancels/refunds + cash in − cash
out, all read from the ledger and ``cash_movements`` of the shift.  Closing
never refuses a difference: over/short is recorded and printed on the Z
report, which is journaled (kind ``z_report``) and whose SHA-256 is kept on
the shift, so the closed figures cannot be changed silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, fiscal_shifts, journal, office_time, shift_takings
from cashier_app.services.context import DeskContext
from cashier_app.services.journal import IssuedDocument
from cashier_app.services.numbering import next_number
from cashier_app.services.permissions import allowed, require
from cashier_app.storage import models as m

# Banknotes and coins in kopecks; "coins" is the kopeck change counted as one sum.
DENOMINATIONS: tuple[int, ...] = (500000, 200000, 100000, 50000, 20000, 10000, 5000, 1000, 500, 200, 100)


@dataclass(frozen=True, slots=True)
class ShiftSummary:
    id: int
    number: str
    desk: str
    user_login: str
    user_name: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    float_minor: int
    payments_count: int
    payments_minor: int
    returns_count: int
    returns_minor: int  # negative or zero: cash given back
    cash_in_minor: int
    cash_out_minor: int
    expected_minor: int
    counted_minor: int | None
    over_short_minor: int | None
    z_report_sha256: str | None
    # The fiscal register's side (issue 13, ``fiscal_shifts``): None when the shift is not mirrored;
    # else opened | open_pending | open_failed | closed | close_failed, and what the cashier must know.
    register_state: str | None = None
    register_shift_number: int | None = None
    register_note: str | None = None


@dataclass(frozen=True, slots=True)
class ShiftReport:
    summary: ShiftSummary
    document: IssuedDocument
    register_note: str | None = None  # the register did not do its part (X on the register, ...)
    z_number: str | None = None  # the Z report's own number (close_shift only), said when the shift closes


@dataclass(frozen=True, slots=True)
class CashOnHand:
    desk: str
    user_login: str
    shift_number: str
    expected_minor: int
    user_name: str = ""
    opened_at: datetime | None = None




def local_text(dt: datetime | None) -> str:
    """Office-local time as printed on documents (the office's zone, not the desk clock's)."""
    if dt is None:
        return ""
    return office_time.local_clock(dt).strftime("%d.%m.%Y %H:%M")


def summarize(s: Session, shift: m.CashShift) -> ShiftSummary:
    cash = (m.Payment.shift_id == shift.id, m.Payment.method == "cash", m.Payment.credited.is_(True))
    pay_n, pay_sum = s.execute(
        select(func.count(), func.coalesce(func.sum(m.Payment.amount_minor), 0))
        .where(*cash, m.Payment.entry_kind == "payment")
    ).one()
    ret_n, ret_sum = s.execute(
        select(func.count(), func.coalesce(func.sum(m.Payment.amount_minor), 0))
        .where(*cash, m.Payment.entry_kind != "payment")
    ).one()
    moves = dict(s.execute(
        select(m.CashMovement.kind, func.coalesce(func.sum(m.CashMovement.amount_minor), 0))
        .where(m.CashMovement.shift_id == shift.id).group_by(m.CashMovement.kind)
    ).all())
    cash_in, cash_out = int(moves.get("in", 0)), int(moves.get("out", 0))
    expected = shift.float_minor + int(pay_sum) + int(ret_sum) + cash_in - cash_out
    if shift.status == "closed" and shift.expected_minor is not None:
        expected = shift.expected_minor
    user = s.get(m.User, shift.user_id)
    reg = dict(shift.register_z or {}) if shift.register_url else {}
    return ShiftSummary(
        id=shift.id, number=shift.number, desk=shift.desk, user_login=user.login if user else "",
        user_name=user.full_name if user else "", status=shift.status, opened_at=shift.opened_at,  # type: ignore[arg-type]
        closed_at=shift.closed_at, float_minor=shift.float_minor, payments_count=int(pay_n),
        payments_minor=int(pay_sum), returns_count=int(ret_n), returns_minor=int(ret_sum),
        cash_in_minor=cash_in, cash_out_minor=cash_out, expected_minor=expected,
        counted_minor=shift.counted_minor, over_short_minor=shift.over_short_minor,
        z_report_sha256=shift.z_report_sha256,
        register_state=reg.get("state") if shift.register_url else None,
        register_shift_number=shift.register_shift_number, register_note=reg.get("error"),
    )


def open_shift_row(s: Session, ctx: DeskContext, *, lock: bool = False) -> m.CashShift | None:
    """This user's open shift on this desk (a cash payment needs one).

    ``lock=True`` locks the row until commit (``FOR NO KEY UPDATE``, see
    ``ledger.lock_payment``): every write that moves cash in or out of the
    drawer and the close itself lock it, so a payment either lands in the shift
    before the Z report is made or, arriving after, finds the shift closed
    (PostgreSQL re-checks ``status`` once the lock is free).
    """
    if ctx.user is None:
        return None
    stmt = select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.user_id == ctx.user.id,
                                     m.CashShift.status == "open")
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return s.execute(stmt).scalars().first()


def lock_shift(s: Session, shift_id: int) -> m.CashShift | None:
    """A shift by id, locked until commit and re-read (see :func:`open_shift_row`)."""
    return s.execute(select(m.CashShift).where(m.CashShift.id == shift_id).with_for_update(key_share=True)
                     .execution_options(populate_existing=True)).scalar_one_or_none()


def require_open_shift(s: Session, ctx: DeskContext, *, lock: bool = False) -> m.CashShift:
    shift = open_shift_row(s, ctx, lock=lock)
    if shift is None:
        # The desk's shift may be open under another user: one open shift a desk, and only its cashier
        # takes cash into it — say whose, or the shift indicator («открыта») and the refusal disagree.
        other = s.execute(select(m.User.full_name).join(m.CashShift, m.CashShift.user_id == m.User.id)
                          .where(m.CashShift.desk == ctx.desk, m.CashShift.status == "open")).scalar()
        if other is not None:
            raise RuleViolation(tr("смена открыта пользователем {name}: наличные принимает он", name=other))
        raise RuleViolation(tr("смена не открыта: откройте смену (меню «Смена → Открыть»), затем принимайте "
                               "наличные"))
    return shift


def current(ctx: DeskContext) -> ShiftSummary | None:
    require(ctx, "shift_own")
    with ctx.db.read() as uow:
        shift = open_shift_row(uow.session, ctx)
        return summarize(uow.session, shift) if shift else None


def proposed_float(ctx: DeskContext) -> int:
    """The last counted cash on this desk: what stayed in the drawer overnight."""
    require(ctx, "shift_own")
    with ctx.db.read() as uow:
        value = uow.session.execute(
            select(m.CashShift.counted_minor)
            .where(m.CashShift.desk == ctx.desk, m.CashShift.status == "closed")
            .order_by(m.CashShift.closed_at.desc(), m.CashShift.id.desc()).limit(1)
        ).scalar()
    return int(value or 0)


def _refuse_second_open(s: Session, ctx: DeskContext) -> None:
    """One open shift per desk: whose it is, in the cashier's words."""
    assert ctx.user is not None
    other = s.execute(select(m.CashShift).where(m.CashShift.desk == ctx.desk, m.CashShift.status == "open")
                      .order_by(m.CashShift.id).limit(1)).scalar_one_or_none()
    if other is None:
        return
    if other.user_id == ctx.user.id:
        raise RuleViolation(tr("у вас уже открыта смена на этой кассе"))
    user = s.get(m.User, other.user_id)
    raise RuleViolation(tr("на кассе {desk} уже открыта смена № {number} ({cashier}): её нужно сначала закрыть",
                           desk=ctx.desk, number=other.number, cashier=user.full_name if user else other.user_id))


def open_shift(ctx: DeskContext, float_minor: int, *, now: datetime | None = None) -> ShiftSummary:
    require(ctx, "shift_own")
    check_amount(float_minor, N_("Размен"), allow_zero=True)
    assert ctx.user is not None
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        _refuse_second_open(s, ctx)
        shift = m.CashShift(number=next_number(s, "shift"), desk=ctx.desk, user_id=ctx.user.id, status="open",
                            opened_at=now, float_minor=float_minor)
        s.add(shift)
        try:
            s.flush()
        except IntegrityError:
            # Another process opened a shift on this desk after our check: the partial unique
            # index «one open shift per desk» (migration 0002) refused ours.
            uow.rollback()
            _refuse_second_open(s, ctx)
            raise RuleViolation(tr("на этой кассе уже открыта смена")) from None
        audit.record(s, ctx, "shift.open", "shift", shift.number, None, {"float_minor": float_minor}, now=now)
        uow.commit()
        shift_id = shift.id
    # The app's shift is committed: the register follows; a register that fails leaves it open and says so.
    note = fiscal_shifts.after_open(ctx, shift_id)
    return _summary_with(ctx, shift_id, note)


def _summary_with(ctx: DeskContext, shift_id: int, note: str | None) -> ShiftSummary:
    from dataclasses import replace

    with ctx.db.read() as uow:
        shift = uow.session.get(m.CashShift, shift_id)
        assert shift is not None
        summary = summarize(uow.session, shift)
    return replace(summary, register_note=note) if note else summary


def cash_movement(ctx: DeskContext, kind: str, amount_minor: int, reason: str,
                  *, now: datetime | None = None) -> ShiftSummary:
    require(ctx, "shift_own")
    if kind not in ("in", "out"):
        raise ValidationError(N_("Операция"), tr("нужно «in» (внести) или «out» (изъять)"))
    check_amount(amount_minor, N_("Сумма"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(N_("Основание"), tr("укажите основание внесения или изъятия"))
    if len(reason) > 255:
        raise ValidationError(N_("Основание"), ntr("не длиннее {n} символа", "не длиннее {n} символов", 255))
    assert ctx.user is not None
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        shift = require_open_shift(s, ctx, lock=True)
        if kind == "out":
            have = summarize(s, shift).expected_minor
            if amount_minor > have:
                raise ValidationError(N_("Сумма"), tr("в кассе по учёту только {amount}", amount=format_money(have)))
        mv = m.CashMovement(shift_id=shift.id, kind=kind, amount_minor=amount_minor, reason=reason,
                            user_id=ctx.user.id, created_at=now)
        s.add(mv)
        s.flush()
        audit.record(s, ctx, f"shift.cash_{kind}", "shift", shift.number, None,
                     {"amount_minor": amount_minor, "reason": reason}, now=now)
        uow.commit()
        shift_id, movement_id = shift.id, mv.id
    # Mirrored after the commit with a uuid derived from the movement: ``fiscal_shifts.sync`` re-sends safely.
    note = fiscal_shifts.after_movement(ctx, shift_id, movement_id)
    return _summary_with(ctx, shift_id, note)


def _report_params(s: Session, ctx: DeskContext, kind: str, summary: ShiftSummary, number: str,
                   now: datetime, denominations: dict[str, int] | None, paper: str) -> dict[str, Any]:
    moves = s.execute(select(m.CashMovement).where(m.CashMovement.shift_id == summary.id)
                      .order_by(m.CashMovement.id)).scalars().all()
    shift = s.get(m.CashShift, summary.id)
    assert shift is not None
    return {
        "kind": kind, "document_number": number, "shift_number": summary.number, "desk": summary.desk,
        "cashier": summary.user_name or summary.user_login, "opened_at": local_text(summary.opened_at),
        "closed_at": local_text(summary.closed_at) if summary.closed_at else None,
        "issued_at": local_text(now), "float_minor": summary.float_minor,
        "payments_count": summary.payments_count, "payments_minor": summary.payments_minor,
        "returns_count": summary.returns_count, "returns_minor": summary.returns_minor,
        "cash_in_minor": summary.cash_in_minor, "cash_out_minor": summary.cash_out_minor,
        "expected_minor": summary.expected_minor, "counted_minor": summary.counted_minor,
        "over_short_minor": summary.over_short_minor, "denominations": denominations, "paper": paper,
        "movements": [{"kind": mv.kind, "amount_minor": mv.amount_minor, "reason": mv.reason,
                       "at": local_text(mv.created_at)} for mv in moves],
        # Every method's takings (the drawer above is cash only) and the card orders still open.
        "takings": shift_takings.takings(s, shift, now),
        "pending_orders": shift_takings.pending_orders(s, summary.desk, local_text),
    }


def x_report(ctx: DeskContext, *, paper: str = "a4", now: datetime | None = None) -> ShiftReport:
    """The running figures of the open shift; journaled, the shift stays open."""
    require(ctx, "shift_own")
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        shift = require_open_shift(s, ctx)
        summary = summarize(s, shift)
        number = journal.reserve_number(s)
        params = _report_params(s, ctx, "x_report", summary, number, now, None, paper)
        pdf = journal.renderer("x_report")(params)
        doc = journal.record(s, ctx, number=number, kind="x_report", params=params, pdf=pdf,
                             amount_minor=summary.expected_minor, shift_id=shift.id, now=now)
        uow.commit()
        shift_id = shift.id
    return ShiftReport(summary, doc, fiscal_shifts.after_x(ctx, shift_id, number))


def count_denominations(counts: dict[str, int]) -> int:
    """Kopecks in a drawer counted by denomination (``{"500000": 3, ..., "coins": 1550}``)."""
    total = 0
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(_denomination(key), tr("нужно целое неотрицательное число"))
        if key == "coins":
            total += value
        elif key.isascii() and key.isdigit() and len(key) <= 9 and int(key) in DENOMINATIONS:  # not «²», «٥٠٠»
            total += int(key) * value
        else:
            raise ValidationError(_denomination(key), tr("нет такого номинала"))
    return total


def _denomination(key: str) -> str:
    # The field names the denomination typed: built, so shown as built (no fixed source label).
    return tr("Номинал {value}", value=key)


def close_shift(ctx: DeskContext, counted_minor: int | None, *, denominations: dict[str, int] | None = None,
                paper: str = "a4", now: datetime | None = None) -> ShiftReport:
    """Close the open shift; the difference is recorded, never refused."""
    require(ctx, "shift_own")
    if denominations:
        by_notes = count_denominations(denominations)
        if counted_minor is None:
            counted_minor = by_notes
        elif counted_minor != by_notes:
            raise ValidationError(N_("Пересчитано"), tr("сумма не совпадает с пересчётом по номиналам"))
    if counted_minor is None:
        raise ValidationError(N_("Пересчитано"), tr("введите пересчитанную сумму"))
    check_amount(counted_minor, N_("Пересчитано"), allow_zero=True)
    # The register's shift first (its closeShift uuid derives from the shift: parallel or repeated
    # closes make one); the app's close below carries its Z data. A failing register never stops it.
    with ctx.db.read() as uow:
        shift_id = require_open_shift(uow.session, ctx).id
    register = fiscal_shifts.close_register(ctx, shift_id)
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        # Locked: parallel closes make one Z report, and no payment slips in after the sums are read.
        shift = require_open_shift(s, ctx, lock=True)
        expected = summarize(s, shift).expected_minor
        # The conditional update is the second fence: only the close that flips «open» goes on.
        flipped = s.execute(
            update(m.CashShift).where(m.CashShift.id == shift.id, m.CashShift.status == "open")
            .values(status="closed", closed_at=now, expected_minor=expected, counted_minor=counted_minor,
                    over_short_minor=counted_minor - expected, denominations=denominations or None)
            .execution_options(synchronize_session=False)
        ).rowcount
        if flipped != 1:
            raise RuleViolation(tr("смена № {number} уже закрыта", number=shift.number))
        s.refresh(shift)
        summary = summarize(s, shift)
        number = journal.reserve_number(s)
        params = _report_params(s, ctx, "z_report", summary, number, now, denominations or None, paper)
        params["z_number"] = next_number(s, "z_report")
        # The audit chain's head goes on paper: `audit verify --anchor` proves nothing before it changed.
        params["audit_anchor"] = audit.head(s).as_params()
        if register is not None:
            params["register"] = {k: v for k, v in register.items() if k != "state"}
            closed = params["register"].get("closed_at")
            if isinstance(closed, str) and "T" in closed:
                try:  # printed on the office's clock, like every other time on the Z report
                    params["register"]["closed_at"] = local_text(datetime.fromisoformat(closed))
                except ValueError:
                    pass
            shift.register_z = register
        pdf = journal.renderer("z_report")(params)
        doc = journal.record(s, ctx, number=number, kind="z_report", params=params, pdf=pdf,
                             amount_minor=counted_minor, shift_id=shift.id, now=now)
        shift.z_report_sha256 = doc.sha256
        audit.record(s, ctx, "shift.close", "shift", shift.number, {"status": "open"},
                     {"expected_minor": expected, "counted_minor": counted_minor,
                      "over_short_minor": counted_minor - expected, "z_report": number,
                      "sha256": doc.sha256}, now=now)
        audit.anchor(s, shift_id=shift.id, document_number=number, now=now)  # the head after the close, kept
        uow.commit()
        return ShiftReport(summarize(s, shift), doc, z_number=params["z_number"])


def cash_on_hand(ctx: DeskContext) -> list[CashOnHand]:
    """Cash expected in every open drawer: per cashier and desk (managers see all, cashiers their own)."""
    require(ctx, "shift_own")
    assert ctx.user is not None
    with ctx.db.read() as uow:
        s = uow.session
        stmt = select(m.CashShift).where(m.CashShift.status == "open").order_by(m.CashShift.desk, m.CashShift.id)
        if not allowed(ctx.user.role, "reports"):
            stmt = stmt.where(m.CashShift.user_id == ctx.user.id)
        out = []
        for shift in s.execute(stmt).scalars():
            sm = summarize(s, shift)
            out.append(CashOnHand(sm.desk, sm.user_login, sm.number, sm.expected_minor, sm.user_name, sm.opened_at))
        return out


def get_summary(ctx: DeskContext, number: str) -> ShiftSummary:
    require(ctx, "shift_own")
    with ctx.db.read() as uow:
        shift = uow.session.execute(select(m.CashShift).where(m.CashShift.number == number)).scalar_one_or_none()
        if shift is None:
            raise NotFound(tr("Смена № {number} не найдена.", number=number))
        return summarize(uow.session, shift)
