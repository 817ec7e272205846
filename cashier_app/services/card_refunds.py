"""Card refunds through the bank: one refund of a payment at a time, recorded exactly once.

Why a claim (issue 10 §2): eight desks refunding one card payment at once used to
each read «nothing refunded yet», each ask the bank, and a desk that saw the
bank's refund before its owner recorded it recorded it too — twice in the
ledger, and the desk whose refund went through was told «вернуть можно не
больше …».  Now a refund first CLAIMS the order with a conditional UPDATE of
``gateway_orders.last_error`` (rowcount 1 = ours; works alike on PostgreSQL and
SQLite and holds no transaction open while the bank is called).  Whoever holds
the claim is the only one who asks the bank and the only one who records, and
the record itself is conditional on still holding the claim, so a refund can
never be written twice, nor by two desks.

The claim is a «refund-unknown:» mark — until the bank has answered, the outcome
IS unknown.  ``key|amount|pre|state`` where state is ``busy:<token>`` (in flight),
``lost`` (the answer never came: reconcile asks the bank) or ``async`` (the bank
accepted and is processing: T-Bank REFUNDING / ASYNC_REFUNDING).  A busy mark
older than :data:`STALE_SECS` belongs to a desk that died mid-refund and is
settled like a lost one.

Retrying after a lost answer is safe per bank: T-Bank card payments get the same
``ExternalRequestId``; Sber ``refund.do`` and T-Bank SBP payments (where the bank
ignores ExternalRequestId) are never re-sent blindly — the state is looked up
first and a refund is repeated only when the state proves the first one did not
happen.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from cashier_app.domain.errors import NotFound, RuleViolation, UserError, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, bank_receipts, ledger
from cashier_app.services.card_gateway import _client, _timeouts
from cashier_app.services.card_orders import _order_row, _snapshot, get
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_delivery import deliver_after_commit
from cashier_app.services.gateways.base import (
    GatewayClient,
    GatewayNetworkError,
    GatewayRejected,
    OrderStatus,
)
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

MARK = "refund-unknown:"  # card_payments.reconcile looks for this prefix
STALE_SECS = 15 * 60  # far beyond every timeout and re-check of one refund
BUSY_TEXT = N_("по этому платежу уже выполняется возврат на другой кассе — дождитесь его результата "
               "и повторите, если нужно")
UNKNOWN_TEXT = N_("Банк не ответил на возврат. Результат неизвестен — возврат не записан; повторите через "
                  "минуту: перед повтором заказ будет проверен в банке.")
REFUSED = N_("банк отказал в возврате: {why}")
REASON_FIELD = N_("Причина")
REFUND_FIELD = N_("Сумма возврата")
# Stored as the refund's reason (Russian, like the cashier's own); the catalog shows them translated.
CONFIRMED_LATE = N_("возврат подтверждён банком после потерянного ответа")
CONFIRMED_AT_RECONCILE = N_("возврат подтверждён банком при сверке (ответ на возврат был потерян)")


@dataclass(frozen=True, slots=True)
class Mark:
    key: str  # the refund's bank key (T-Bank ExternalRequestId)
    amount: int  # what was asked for
    pre: str  # the bank's raw status before the refund was sent
    state: str  # busy:<token> | lost | async

    def text(self) -> str:
        return f"{MARK}{self.key}|{self.amount}|{self.pre}|{self.state}"[:255]

    def with_state(self, state: str) -> Mark:
        return Mark(self.key, self.amount, self.pre, state)

    @property
    def busy(self) -> bool:
        return self.state.startswith("busy:")


def parse_mark(text: str | None) -> Mark | None:
    if not text or not text.startswith(MARK):
        return None
    parts = text[len(MARK):].split("|")
    if len(parts) != 4:  # a mark of an older version (key only): the outcome is unknown, nothing more
        return Mark(text[len(MARK):], 0, "", "lost")
    try:
        return Mark(parts[0], int(parts[1]), parts[2], parts[3])
    except ValueError:
        return Mark(parts[0], 0, parts[2], parts[3])


# --- the claim -------------------------------------------------------------------------------------------

def _claim(ctx: DeskContext, order_id: int, mark: Mark, *, over: str | None = "any") -> bool:
    """Take the order for this refund: a conditional UPDATE, True when it was ours to take.

    ``over="any"``: free (no refund mark), a lost/async mark (settled by the claimant first) or a
    stale busy one; otherwise exactly the mark text ``over``.
    """
    now = datetime.now(UTC)
    go = m.GatewayOrder
    if over == "any":
        free = or_(go.last_error.is_(None), ~go.last_error.startswith(MARK),
                   ~go.last_error.contains("|busy:"),
                   and_(go.last_error.contains("|busy:"), go.updated_at < now - timedelta(seconds=STALE_SECS)))
    else:
        free = go.last_error == over
    with ctx.db.uow() as uow:
        taken = uow.session.execute(
            update(go).where(go.id == order_id, free).values(last_error=mark.text(), updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        uow.commit()
    return taken == 1


def _swap(ctx: DeskContext, order_id: int, held: Mark, new_text: str | None) -> bool:
    """Replace our own mark (only if we still hold it): release, or leave «lost»/«async» for reconcile."""
    with ctx.db.uow() as uow:
        done = uow.session.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == order_id, m.GatewayOrder.last_error == held.text())
            .values(last_error=new_text, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)).rowcount
        uow.commit()
    return done == 1


def _record(ctx: DeskContext, row: Any, held: Mark, amount: int, reason: str, *, keep: bool = False) -> str | None:
    """The refund in the ledger and on the order, in ONE transaction, only while we hold the claim.

    ``keep``: the claim stays ours afterwards (a refund that settles an earlier one first).
    """
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        p = ledger.lock_payment(s, row.payment_id)  # the original payment, locked until commit
        assert p is not None
        left = p.amount_minor - ledger.reversed_minor(s, p.id)
        amount = min(amount, left)
        go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id).with_for_update()
                       .execution_options(populate_existing=True)).scalar_one()
        if go.last_error != held.text() or amount <= 0:
            return None  # no longer ours (a stale claim was taken over), or nothing left to record
        before = go.refunded_minor
        entry = ledger.add_reversal(s, ctx, row.payment_id, kind="refund", amount_minor=amount, reason=reason,
                                    method="card", now=now)
        go.refunded_minor = before + amount
        go.state = "refunded" if amount == left else "partially_refunded"
        go.last_error, go.updated_at = (held.text() if keep else None), now
        audit.record(s, ctx, "card.refund", "payment", row.payment_number, {"refunded_minor": before},
                     {"refunded_minor": before + amount, "entry": entry.number, "bank_key": held.key}, now=now)
        entry_id, entry_number = entry.id, entry.number
        uow.commit()
    deliver_after_commit(ctx, entry_id)  # the return receipt, after the refund's commit; never raises
    return entry_number


# --- refund -----------------------------------------------------------------------------------------------------

def _refund_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_FIELD, tr("укажите причину"))
    if len(reason) > 255:
        raise ValidationError(REASON_FIELD, ntr("не длиннее {n} символа", "не длиннее {n} символов", 255))
    return reason


def refund(ctx: DeskContext, payment_number: str, *, amount_minor: int | None = None, reason: str) -> Any:
    """Return money of a paid card payment through the bank, fully or partly; recorded after the bank confirms.

    Returns ``ledger.CorrectionResult``.  See the module text for the claim and the retries.
    """
    require(ctx, "refund")
    reason = _refund_reason(reason)
    if amount_minor is not None:
        check_amount(amount_minor, REFUND_FIELD)
    with ctx.db.read() as uow:
        s = uow.session
        p = s.execute(select(m.Payment).where(m.Payment.number == payment_number)).scalar_one_or_none()
        if p is None:
            raise NotFound(tr("Платёж № {number} не найден.", number=payment_number))
        if p.method != "card" or p.entry_kind != "payment":
            raise RuleViolation(tr("{number} — не оплата картой; возврат через банк невозможен",
                                   number=payment_number))
        go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.payment_id == p.id)).scalar_one_or_none()
        if go is None:
            # Taken before this program or on another terminal: the bank refunds it on a written application.
            raise RuleViolation(tr(
                "платёж {number} принят не через платёжный шлюз кассы — возврат на карту "
                "оформляется в банке по заявлению клиента", number=payment_number))
        if not p.credited:
            raise RuleViolation(tr("платёж {number} не зачислен — возвращать нечего", number=payment_number))
        if go.provider == "chronopay":
            raise RuleViolation(tr("возврат платежа ChronoPay выполняется в личном кабинете ChronoPay"))
        order_id, order_number, previous = go.id, go.order_number, parse_mark(go.last_error)
    held = Mark("?", 0, "?", f"busy:{uuid.uuid4().hex[:12]}")
    if not _claim(ctx, order_id, held):
        raise RuleViolation(tr(BUSY_TEXT))
    try:
        if previous is not None and not previous.busy:
            # An earlier refund's outcome is still unknown: settle it first, under our claim.  If the bank
            # did make it, the cashier's retry is that refund — it is recorded, not sent a second time.
            try:
                found = _settle_held(ctx, order_number, held, previous, keep=True)
            except (GatewayNetworkError, GatewayRejected) as exc:
                _swap(ctx, order_id, held, previous.text())
                raise UserError(tr("Не удалось проверить заказ в банке перед возвратом: {error}",
                                   error=_bank_words(exc))) from None
            if found is None:
                _swap(ctx, order_id, held, previous.text())
                raise RuleViolation(tr("исход прошлого возврата на {amount} ещё неизвестен "
                                       "(банк не ответил или ещё обрабатывает его) — проверьте заказ в личном "
                                       "кабинете банка или повторите позже", amount=format_money(previous.amount)))
            if found > 0:
                raise RuleViolation(tr(ALREADY_REFUNDED, amount=format_money(found)))
        return _refund_claimed(ctx, payment_number, order_number, held, amount_minor, reason,
                                ledger.CorrectionResult)
    finally:
        _swap(ctx, order_id, held, None)  # a no-op once the claim was turned into a record or a mark


ALREADY_REFUNDED = N_("банк уже вернул {amount} по этому платежу (ответ на прошлый возврат был потерян); "
                      "возврат записан, проверьте сумму и повторите при необходимости")


def _bank_words(exc: Exception) -> str:
    """A gateway's text in the current language (``message_ru`` is the stored one)."""
    return getattr(exc, "message", None) or str(exc)


def _refund_claimed(ctx: DeskContext, payment_number: str, order_number: str, held: Mark, amount_minor: int | None,
                    reason: str, result_cls: Any) -> Any:
    # Everything is read again now that no other desk can be refunding this payment.
    with ctx.db.read() as uow:
        s = uow.session
        go = _order_row(s, order_number)
        row = _snapshot(s, go)
        p = s.get(m.Payment, row.payment_id)
        assert p is not None
        left = p.amount_minor - ledger.reversed_minor(s, p.id)
        done = s.execute(select(func.count()).select_from(m.Payment).where(
            m.Payment.reverses_id == p.id, m.Payment.entry_kind == "refund")).scalar_one()
    if left <= 0:
        raise RuleViolation(tr("по платежу {number} уже всё возвращено", number=payment_number))
    amount = left if amount_minor is None else amount_minor
    if amount > left:
        raise ValidationError(REFUND_FIELD, tr("не больше {amount}", amount=format_money(left)))
    client = _client(row)
    with ctx.db.read() as uow:  # the bank's online register's return receipt (card_by_bank), else None
        receipt = bank_receipts.for_refund(uow.session, row.payment_id, row.provider, amount,
                                           ctx.user.id if ctx.user else None)
    # Re-check first: a refund whose answer was lost earlier may have gone through after all.
    try:
        st0 = client.status(row.order_number, row.bank_order_id)
    except (GatewayNetworkError, GatewayRejected) as exc:
        raise UserError(tr("Не удалось проверить заказ в банке перед возвратом: {error}",
                           error=_bank_words(exc))) from None
    if st0.state == "refunding":
        raise RuleViolation(tr("предыдущий возврат по этому платежу ещё обрабатывается банком — повторите позже"))
    key = f"{row.order_number}-R{done + 1}"
    if st0.refunded_kopecks is not None and st0.refunded_kopecks > row.refunded_minor:
        missing = min(st0.refunded_kopecks - row.refunded_minor, left)
        mine = _retag(ctx, row.order_id, held, Mark(key, missing, st0.raw_status or "", held.state))
        _record(ctx, row, mine, missing, CONFIRMED_LATE)
        _swap(ctx, row.order_id, mine, None)  # a no-op once recorded
        raise RuleViolation(tr(ALREADY_REFUNDED, amount=format_money(missing)))
    mine = _retag(ctx, row.order_id, held, Mark(key, amount, st0.raw_status or "", held.state))
    try:
        expected_total = row.refunded_minor + amount
        try:
            st = client.refund(row.order_number, row.bank_order_id, amount, key, receipt=receipt)
        except GatewayRejected as exc:
            raise RuleViolation(tr(REFUSED, why=exc.message)) from None
        except GatewayNetworkError:
            log.warning("card refund %s: answer lost, re-checking by status", key)
            try:
                st = _recheck(client, row, amount, key, expected_total, st0, receipt)
            except UserError:
                # The bank may still have refunded: reconcile (and every start) asks it again.
                _swap(ctx, row.order_id, mine, mine.with_state("lost").text())
                raise
        if st.state == "refunding":
            _swap(ctx, row.order_id, mine, mine.with_state("async").text())
            raise UserError(tr("Банк принял возврат {amount} и ещё обрабатывает его. Он будет записан, "
                               "когда банк его завершит (сверка при запуске или «cashier-app reconcile»).",
                               amount=format_money(amount)))
        if st.refunded_kopecks is not None and st.refunded_kopecks < expected_total:
            _swap(ctx, row.order_id, mine, mine.with_state("lost").text())
            raise UserError(tr("Банк подтвердил возврат только {amount}; проверьте заказ в личном кабинете банка.",
                               amount=format_money(st.refunded_kopecks - row.refunded_minor)))
        entry_number = _record(ctx, row, mine, amount, reason)
        if entry_number is None:
            raise UserError(tr("Возврат проведён банком, но запись о нём уже сделана на другой кассе — "
                               "проверьте журнал."))
        return result_cls(row.payment_number, entry_number, amount, None)
    finally:
        _swap(ctx, row.order_id, mine, None)  # a refused or failed refund frees the order (no-op after a mark)


def _retag(ctx: DeskContext, order_id: int, held: Mark, mark: Mark) -> Mark:
    """Our claim, now naming the refund (key, amount, the state before) — still ours."""
    if not _swap(ctx, order_id, held, mark.text()):
        raise UserError(tr("Возврат прерван: заказ занят другой кассой. Повторите через минуту."))
    return mark


def _recheck(client: GatewayClient, row: Any, amount: int, key: str, expected_total: int,
             before: OrderStatus, receipt: Any = None) -> OrderStatus:
    """After a lost refund answer: did it happen?  Never a blind second refund where it could be one."""
    unknown = UserError(tr(UNKNOWN_TEXT))
    if row.provider == "tbank" and before.payment_method != "sbp":
        # The same ExternalRequestId again: the bank answers the state instead of refunding twice.
        try:
            return client.refund(row.order_number, row.bank_order_id, amount, key, receipt=receipt)
        except GatewayRejected as exc:
            raise RuleViolation(tr(REFUSED, why=exc.message)) from None
        except GatewayNetworkError:
            raise unknown from None
    if row.provider == "tbank":
        # SBP: the bank ignores ExternalRequestId, so look before repeating.  A refund that reached the
        # bank is ASYNC_REFUNDING (or already done: the status moved); CONFIRMED unchanged proves it did not.
        try:
            now = client.status(row.order_number, row.bank_order_id)
        except (GatewayNetworkError, GatewayRejected):
            raise unknown from None
        if now.state == "refunding":
            return now
        if now.raw_status == before.raw_status == "CONFIRMED":
            try:
                return client.refund(row.order_number, row.bank_order_id, amount, key, receipt=receipt)
            except GatewayRejected as exc:
                raise RuleViolation(tr(REFUSED, why=exc.message)) from None
            except GatewayNetworkError:
                raise unknown from None
        if now.raw_status == "REFUNDED" and before.raw_status == "CONFIRMED":
            return now
        raise unknown
    # Sber: refund.do has no idempotency key; watch the refunded total (a slow bank finishes late).
    _connect, read = _timeouts()
    deadline = time.monotonic() + max(3.0, 4 * read)
    while True:
        try:
            st = client.status(row.order_number, row.bank_order_id)
            if st.refunded_kopecks is not None and st.refunded_kopecks >= expected_total:
                return st
        except (GatewayNetworkError, GatewayRejected):
            pass
        if time.monotonic() >= deadline:
            raise unknown
        time.sleep(0.25)


# --- reconcile ----------------------------------------------------------------------------------------------------

def settle(ctx: DeskContext, order_number: str) -> Any:
    """A refund whose outcome is unknown (lost answer, in progress, a desk died): record what the bank did, once."""
    with ctx.db.read() as uow:
        go = _order_row(uow.session, order_number)
        order_id, text, stamp = go.id, go.last_error, go.updated_at
    previous = parse_mark(text)
    if previous is None:
        return get(ctx, order_number)
    if previous.busy:
        age = (datetime.now(UTC) - (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))).total_seconds()
        if age < STALE_SECS:
            return get(ctx, order_number)  # a desk is refunding right now
    held = previous.with_state(f"busy:{uuid.uuid4().hex[:12]}")
    if not _claim(ctx, order_id, held, over=text):
        return get(ctx, order_number)
    try:
        if _settle_held(ctx, order_number, held, previous) is None:
            _swap(ctx, order_id, held, previous.text())  # the bank cannot tell yet: keep the mark
    except (GatewayNetworkError, GatewayRejected):
        _swap(ctx, order_id, held, previous.text())
        raise
    finally:
        _swap(ctx, order_id, held, None)  # settled: the mark goes (a no-op after a record)
    return get(ctx, order_number)


def _settle_held(ctx: DeskContext, order_number: str, held: Mark, previous: Mark, *, keep: bool = False) -> int | None:
    """Under our claim: ask the bank about ``previous``; record what it refunded beyond the ledger.

    Returns the kopecks recorded (0: the bank refunded nothing more), or None when the bank cannot
    tell yet (in progress, or T-Bank's status is ambiguous).
    """
    with ctx.db.read() as uow:
        s = uow.session
        go = _order_row(s, order_number)
        row = _snapshot(s, go)
        p = s.get(m.Payment, row.payment_id)
        assert p is not None
        left = p.amount_minor - ledger.reversed_minor(s, p.id)
    st = _client(row).status(row.order_number, row.bank_order_id)
    missing = _bank_refunded(row, st, previous)
    if missing is None:
        return None
    amount = min(missing, left)
    if amount > 0:
        _record(ctx, row, held, amount, CONFIRMED_AT_RECONCILE, keep=keep)
    return max(amount, 0)


def _bank_refunded(row: Any, st: OrderStatus, mark: Mark) -> int | None:
    """How much the bank refunded beyond our ledger; None when it cannot be told (yet)."""
    if st.state == "refunding":
        return None
    if row.provider != "tbank":
        return None if st.refunded_kopecks is None else max(st.refunded_kopecks - row.refunded_minor, 0)
    # T-Bank's GetState names the status, not the refunded sum.
    if st.raw_status == "REFUNDED":
        return max(row.amount_minor - row.refunded_minor, 0)
    if st.raw_status == "CONFIRMED":
        return 0  # nothing was refunded
    if st.raw_status == "PARTIAL_REFUNDED" and mark.pre == "CONFIRMED" and mark.amount > 0:
        return mark.amount  # the only refund since CONFIRMED is the one we asked for
    return None


__all__ = ["MARK", "Mark", "parse_mark", "refund", "settle"]
