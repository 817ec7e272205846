"""What the cashier, the journal and the CLI are told about fiscal receipts: ``ReceiptView`` and the reads.

A view tells the truth in one Russian sentence (``text``): the payment is never in doubt
(it is paid whatever the register did), only the receipt's state is.  A done receipt
carries the FNS check QR text (``t=…&s=…&fn=…&i=…&fp=…&n=…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cashier_app.domain import fiscal_receipt as fr
from cashier_app.domain.errors import NotFound
from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import office_time
from cashier_app.services.context import DeskContext
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

OPERATION_LABELS = {"sell": N_("приход"), "sell_return": N_("возврат прихода"),
                    "sell_correction": N_("коррекция прихода"),
                    "sell_return_correction": N_("коррекция возврата прихода")}
STATE_LABELS = {"pending": N_("не отправлен"), "sent": N_("отправлен, ждёт ответа ККТ"), "done": N_("пробит"),
                "failed": N_("не пробит"), "bank": N_("пробивает банк")}
CHANNEL_LABELS = {"atol_web": N_("ККТ на кассе"), "atol_online": N_("АТОЛ Онлайн"), "bank": N_("онлайн-касса банка")}


@dataclass(frozen=True, slots=True)
class ReceiptView:
    id: int
    key: str
    payment_number: str
    operation: str
    channel: str
    state: str
    amount_minor: int
    desk: str
    contact: str | None
    electronically: bool
    register_url: str | None
    remote_uuid: str | None
    attempts: int
    last_error: str | None
    fd_number: int | None
    fiscal_sign: str | None
    fn_number: str | None
    shift_number: int | None
    receipt_number: int | None
    fiscal_at: datetime | None
    registration_number: str | None
    fns_url: str | None
    fiscal_total_minor: int | None
    created_at: datetime
    done_at: datetime | None
    qr: str | None  # the FNS check QR text, when done
    text: str  # one sentence for the cashier

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def final(self) -> bool:
        return self.state in ("done", "failed", "bank")

    def as_json(self) -> dict[str, object]:
        """For ``--json`` output: plain values only."""
        out: dict[str, object] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


def _text(r: m.FiscalReceipt) -> str:
    op = OPERATION_LABELS.get(r.operation)
    what = tr("Чек ({operation}, {amount})", operation=tr(op) if op else r.operation,
              amount=format_money(r.amount_minor))
    if r.state == "done":
        return tr("{what} пробит: ФД № {fd}, ФП {sign}, ФН {fn}.", what=what, fd=r.fd_number, sign=r.fiscal_sign,
                  fn=r.fn_number)
    if r.state == "bank":
        return tr("{what} пробивает онлайн-касса банка.", what=what)
    # The stored note is the register's or our own words (Russian); the catalog translates the ones it knows.
    note = f" ({tr(r.last_error)})" if r.last_error else ""
    if r.state == "failed":
        return tr("{what} не пробит{note}. Платёж проведён; чек можно повторить или оформить чеком коррекции.",
                  what=what, note=note)
    if r.state == "sent":
        return tr("{what} отправлен в ККТ, ответа ещё нет{note}. Платёж проведён; чек проверяется "
                  "автоматически — повторно он не пробьётся.", what=what, note=note)
    return tr("{what} ещё не отправлен в ККТ{note}. Платёж проведён; чек будет отправлен автоматически.",
              what=what, note=note)


def register_clock(r: m.FiscalReceipt) -> datetime | None:
    """The receipt's time as the register printed it: its own clock, else the office's."""
    if r.fiscal_at is None:
        return None
    if r.fiscal_utc_offset is not None:
        return r.fiscal_at.astimezone(timezone(timedelta(minutes=r.fiscal_utc_offset)))
    return office_time.local_clock(r.fiscal_at)


def _qr(s: Session, r: m.FiscalReceipt) -> str | None:
    if r.state != "done" or r.fiscal_at is None or r.fd_number is None or not r.fn_number or not r.fiscal_sign:
        return None
    local = register_clock(r)
    return fr.fns_qr(local, r.fiscal_total_minor or r.amount_minor, r.fn_number, r.fd_number, r.fiscal_sign,
                     r.operation)


def view(s: Session, r: m.FiscalReceipt) -> ReceiptView:
    number = s.execute(select(m.Payment.number).where(m.Payment.id == r.payment_id)).scalar_one()
    return ReceiptView(
        r.id, r.key, number, r.operation, r.channel, r.state, r.amount_minor, r.desk, r.contact, r.electronically,
        r.register_url, r.remote_uuid, r.attempts, r.last_error, r.fd_number, r.fiscal_sign, r.fn_number,
        r.shift_number, r.receipt_number, register_clock(r), r.registration_number, r.fns_url, r.fiscal_total_minor,
        r.created_at, r.done_at, _qr(s, r), _text(r))


def view_by_id(ctx: DeskContext, receipt_id: int) -> ReceiptView:
    with ctx.db.read() as uow:
        r = uow.session.get(m.FiscalReceipt, receipt_id, populate_existing=True)
        if r is None:
            raise NotFound(tr("Чек {id} не найден.", id=receipt_id))
        return view(uow.session, r)


def payment_by_number(s: Session, payment_number: str) -> m.Payment:
    p = s.execute(select(m.Payment).where(m.Payment.number == (payment_number or "").strip())).scalar_one_or_none()
    if p is None:
        raise NotFound(tr("Платёж № {number} не найден.", number=payment_number))
    return p


def receipts(ctx: DeskContext, payment: str | None = None, *, limit: int = 200) -> list[ReceiptView]:
    """A payment's receipts (its sale, its returns, corrections), or the latest ``limit`` of all."""
    require(ctx, "take_payment")
    with ctx.db.read() as uow:
        s = uow.session
        q = select(m.FiscalReceipt)
        if payment is not None:
            p = payment_by_number(s, payment)
            entries = select(m.Payment.id).where(m.Payment.reverses_id == p.id)
            q = q.where(or_(m.FiscalReceipt.payment_id == p.id, m.FiscalReceipt.payment_id.in_(entries)))
            q = q.order_by(m.FiscalReceipt.id)
        else:
            q = q.order_by(m.FiscalReceipt.id.desc()).limit(limit)
        return [view(s, r) for r in s.execute(q).scalars()]


def for_payment(ctx: DeskContext, payment_id: int) -> ReceiptView | None:
    """The receipt of this ledger entry (a payment's sale or a refund entry's return), if it has one."""
    with ctx.db.read() as uow:
        s = uow.session
        r = s.execute(select(m.FiscalReceipt).where(
            m.FiscalReceipt.payment_id == payment_id, m.FiscalReceipt.operation.in_(("sell", "sell_return")))
            .order_by(m.FiscalReceipt.id).limit(1)).scalar_one_or_none()
        return None if r is None else view(s, r)


__all__ = ["ReceiptView", "for_payment", "payment_by_number", "receipts", "view", "view_by_id"]
