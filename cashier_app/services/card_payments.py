"""Card payments at the counter: ledger row first, bank second, credit exactly once.

The flow (issue 5):

1. :func:`open_order` writes a pending ``card`` payment and a ``gateway_orders``
   row in state ``new`` with a random identity and an order number a restored
   or copied database cannot repeat (``CA-<installation>-<counter>-<token>``,
   ``card_identity.py``) and COMMITS, before the bank is called.  A crash after
   this point leaves a row that :func:`reconcile` finds.
2. :func:`register` calls Register/Init with the identity.  A lost answer
   (timeout, dropped connection, 5xx, broken JSON) is recovered by order
   number, a duplicate refusal the same way — but the bank's order is adopted
   only if it is provably ours (identity and amount); a stranger's is never
   credited or touched, ours takes a new number.  :func:`start` then settles a
   lost link (``card_recovery.py``).  A network error never marks anything failed.
3. :func:`check` polls the bank once and settles: paid → credit (one
   transaction, guarded by a conditional state change, and only if the bank's
   amount is ours; a mismatch is ``held``), declined / expired → marked with
   the bank's reason in plain Russian.
4. :func:`cancel` (before payment), :func:`refund` (full or partial, through
   the bank, recorded only after the bank confirms), :func:`confirm_manual`
   (ChronoPay: from the bank statement) and :func:`reconcile` (every order
   still open, on start-up and from ``cashier-app reconcile``).

Secrets: :func:`gateway_secret` takes the keyring / environment secret
(``gateways.config.get_secret``); only for a payee whose gateway URL is the
loopback sandbox does it fall back to the sandbox's documented demo passwords.
A real bank URL never gets a demo secret.  No secret, card number or CVC is
stored, logged or put into an exception text: the banks only give masked PANs.

Test hook: with ``CASHIER_TEST_HOOKS=1`` and ``CASHIER_TEST_CRASH_AT=<point>``
the process SIGKILLs itself at that named point (see :data:`CRASH_POINTS`);
the crash tests use it to stop ``cashier-app pay-card`` deterministically.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cashier_app.domain.errors import NotFound, RuleViolation, UserError, ValidationError
from cashier_app.domain.money import ABSURD_AMOUNT_MINOR, format_money
from cashier_app.services import audit, card_identity, ledger
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.base import (
    GatewayClient,
    GatewayConfigError,
    GatewayNetworkError,
    GatewayRejected,
    OrderStatus,
)
from cashier_app.services.gateways.config import (
    GatewaySettings,
    get_secret,
    make_client,
    normalise_provider,
    return_url_for,
)
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

log = logging.getLogger(__name__)

# How long the customer has to pay (DOMAIN: «the bank gives 20 minutes»).
PAY_WINDOW_SECS = 20 * 60
# A ``new`` order the bank does not know is left alone this long: its register may still be in flight.
REGISTER_GRACE_SECS = 120
# Orders the poller and reconcile still look at; every other state is final for the counter.
ACTIVE_STATES = ("new", "registered", "pending")
FINAL_STATES = frozenset({"paid", "declined", "expired", "cancelled", "refunded", "partially_refunded", "held"})
CRASH_POINTS = ("before_register", "after_register", "after_status_paid", "mid_credit")

AMOUNT_FIELD = "Сумма"
REASON_FIELD = "Причина"
REFUND_FIELD = "Сумма возврата"
REF_FIELD = "Номер операции по выписке"

# The sandbox's documented demo credentials (``cashier-app gateway-sandbox``); used only for loopback URLs.
DEMO_SECRETS = {"sberbank": "demo", "tbank": "demo-password", "chronopay": "demo-secret"}
DEMO_LOGINS = {"sberbank": "demo-api", "tbank": "DemoTerminal", "chronopay": "demo-product"}
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

PROVIDER_LABELS = {"sberbank": "Сбербанк", "tbank": "Т-Банк", "chronopay": "ChronoPay"}
STATE_TEXT = {
    "new": "Заказ регистрируется в банке…",
    "registered": "Ожидает оплаты",
    "pending": "Ожидает оплаты",
    "paid": "Оплачено",
    "declined": "Отклонено",
    "expired": "Время на оплату истекло",
    "cancelled": "Отменено",
    "held": "Сумма банка не совпала с заказом — платёж задержан, не зачислен",
    "manual": "Подтвердите оплату по выписке банка",
    "refunded": "Возвращено",
    "partially_refunded": "Оплачено, частично возвращено",
}


# --- DTOs ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CardOrder:
    """What the counter shows about one card order."""

    order_number: str
    payment_id: int
    payment_number: str
    provider: str
    payee_name: str
    target: str  # «Лицевой счёт № …» / «Заявка № …»
    account_number: str | None
    booking_number: str | None
    amount_minor: int  # rubles (kopecks) the card is charged
    target_amount_minor: int | None  # booking: tour-currency amount credited
    target_currency: str | None
    state: str
    payment_status: str
    credited: bool
    payment_url: str | None
    bank_order_id: str | None
    card_mask: str | None
    status_text: str  # plain Russian for the cashier
    last_error: str | None
    refunded_minor: int
    # What start() did after a lost register answer (recovered, replaced, kept), in plain Russian.
    recovery: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def paid(self) -> bool:
        return self.credited and self.state in ("paid", "refunded", "partially_refunded")

    @property
    def manual(self) -> bool:
        return self.state == "manual"

    def as_json(self) -> dict[str, Any]:
        return {
            "order_number": self.order_number, "payment_number": self.payment_number,
            "provider": self.provider, "state": self.state, "payment_status": self.payment_status,
            "credited": self.credited, "amount_minor": self.amount_minor,
            "target_amount_minor": self.target_amount_minor, "target_currency": self.target_currency,
            "card_mask": self.card_mask, "status": self.status_text, "last_error": self.last_error,
            "refunded_minor": self.refunded_minor, "payment_url": self.payment_url, "recovery": self.recovery,
        }


@dataclass(frozen=True, slots=True)
class ReconcileLine:
    order_number: str
    before: str
    after: CardOrder | None
    note: str | None = None

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after.state != self.before


@dataclass(frozen=True, slots=True)
class _Row:
    """A snapshot of an order with everything needed to talk to its bank."""

    order_id: int
    order_number: str
    provider: str
    state: str
    bank_order_id: str | None
    amount_minor: int
    refunded_minor: int
    created_at: datetime
    payment_id: int
    payment_number: str
    credited: bool
    payee_code: str
    payee_provider: str | None
    base_url: str
    login: str
    ca_file: str | None = None  # the payee's extra CA (PEM), added to certifi's bundle
    order_uid: str | None = None  # our identity at the bank (card_identity.py); None for older orders
    payment_url: str | None = None


# --- test hook ---------------------------------------------------------------------------------------

def crash_point(name: str) -> None:
    """TEST HOOK: SIGKILL this process at a named point (only with ``CASHIER_TEST_HOOKS=1``)."""
    if os.environ.get("CASHIER_TEST_HOOKS") == "1" and os.environ.get("CASHIER_TEST_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


# --- secrets and clients -------------------------------------------------------------------------------

def is_loopback(url: str | None) -> bool:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return False
    return host in _LOOPBACK


def gateway_secret(provider: str, payee_code: str, base_url: str | None) -> str | None:
    """Keyring / environment first; the sandbox demo secret only for a loopback gateway URL."""
    secret = get_secret(provider, payee_code)
    if secret:
        return secret
    if is_loopback(base_url):
        return DEMO_SECRETS.get(normalise_provider(provider))
    return None


def _timeouts() -> tuple[float, float]:
    """(connect, read) seconds; ``CASHIER_GW_TIMEOUTS="5,20"`` overrides (tests use short ones)."""
    raw = os.environ.get("CASHIER_GW_TIMEOUTS", "")
    try:
        connect, read = (float(x) for x in raw.split(","))
        if connect > 0 and read > 0:
            return connect, read
    except ValueError:
        pass
    return 5.0, 20.0


def _client(row: _Row) -> GatewayClient:
    connect, read = _timeouts()
    settings = GatewaySettings(row.provider, row.base_url, row.login, row.ca_file, connect, read)
    return make_client(settings, gateway_secret(row.provider, row.payee_code, row.base_url))


def _provider_for(payee: m.Payee, override: str | None) -> tuple[str, str]:
    """(provider, login) for a new order; ``override`` only against the loopback sandbox."""
    if not payee.gateway_provider or not payee.gateway_base_url:
        raise RuleViolation(f"у получателя «{payee.name}» не настроен платёжный шлюз")
    own = normalise_provider(payee.gateway_provider)
    if override is None:
        return own, payee.gateway_login or ""
    try:
        provider = normalise_provider(override)
    except GatewayConfigError as exc:
        raise ValidationError("--provider", str(exc)) from None
    if provider == own:
        return own, payee.gateway_login or ""
    if not is_loopback(payee.gateway_base_url):
        raise ValidationError("--provider", "другой банк можно выбрать только для песочницы (тест, демонстрация)")
    return provider, DEMO_LOGINS[provider]


# --- reading ---------------------------------------------------------------------------------------------



def _order_row(s: Session, order_number: str) -> m.GatewayOrder:
    go = s.execute(select(m.GatewayOrder).where(m.GatewayOrder.order_number == order_number)).scalar_one_or_none()
    if go is None:
        raise NotFound(f"Заказ оплаты картой № {order_number} не найден.")
    return go


def _snapshot(s: Session, go: m.GatewayOrder) -> _Row:
    p = s.get(m.Payment, go.payment_id)
    assert p is not None
    payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
    if payee is None:
        raise RuleViolation(f"у платежа {p.number} не указан получатель")
    own = normalise_provider(payee.gateway_provider) if payee.gateway_provider else None
    login = payee.gateway_login or "" if own == go.provider else DEMO_LOGINS.get(go.provider, "")
    return _Row(go.id, go.order_number, go.provider, go.state, go.bank_order_id, go.amount_minor,
                go.refunded_minor, go.created_at or datetime.now(UTC), p.id, p.number, p.credited,
                payee.code, payee.gateway_provider, payee.gateway_base_url or "", login, payee.gateway_ca_file,
                order_uid=go.order_uid, payment_url=go.payment_url)


def _dto(s: Session, go: m.GatewayOrder) -> CardOrder:
    p = s.get(m.Payment, go.payment_id, populate_existing=True)
    assert p is not None
    payee = s.get(m.Payee, p.payee_id) if p.payee_id else None
    account = booking = None
    if p.account_id is not None:
        account = s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()
        target = f"Лицевой счёт № {account}"
    else:
        booking = s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()
        target = f"Заявка № {booking}"
    text = STATE_TEXT.get(go.state, go.state)
    if go.state in ("declined", "expired", "held", "cancelled") and p.reason:
        text = f"{text}: {p.reason}" if p.reason not in text else text
    elif go.state in ("registered", "pending") and not go.payment_url and go.provider != "chronopay":
        # Derived from the row, not from last_error: a later poll's note must not hide that the link is lost.
        text = f"{text} ({LOST_LINK_TEXT}" + (f"; {go.last_error})" if go.last_error not in (None, LOST_LINK_TEXT)
                                              else ")")
    elif go.state in ("registered", "pending") and go.last_error:
        text = f"{text} ({go.last_error})"
    return CardOrder(
        order_number=go.order_number, payment_id=p.id, payment_number=p.number, provider=go.provider,
        payee_name=payee.name if payee else "", target=target, account_number=account, booking_number=booking,
        amount_minor=go.amount_minor, target_amount_minor=p.target_amount_minor,
        target_currency=p.target_currency, state=go.state, payment_status=p.status, credited=p.credited,
        payment_url=go.payment_url, bank_order_id=go.bank_order_id, card_mask=go.card_mask or p.card_mask,
        status_text=text, last_error=go.last_error, refunded_minor=go.refunded_minor,
    )


def get(ctx: DeskContext, order_number: str) -> CardOrder:
    with ctx.db.read() as uow:
        s = uow.session
        return _dto(s, _order_row(s, order_number))


def find_by_payment(ctx: DeskContext, payment_number: str) -> CardOrder:
    with ctx.db.read() as uow:
        s = uow.session
        go = s.execute(
            select(m.GatewayOrder).join(m.Payment, m.Payment.id == m.GatewayOrder.payment_id)
            .where(m.Payment.number == payment_number)
        ).scalar_one_or_none()
        if go is None:
            raise NotFound(f"Платёж № {payment_number} не найден среди оплат картой.")
        return _dto(s, go)


def open_orders(ctx: DeskContext, *, desk_only: bool = True) -> list[str]:
    """Order numbers still waiting for the bank (this desk's, or every desk's)."""
    with ctx.db.read() as uow:
        q = select(m.GatewayOrder.order_number).where(m.GatewayOrder.state.in_(ACTIVE_STATES))
        if desk_only:
            q = q.where(m.GatewayOrder.desk == ctx.desk)
        return list(uow.session.execute(q.order_by(m.GatewayOrder.id)).scalars())


# --- 1. the row before the bank ----------------------------------------------------------------------------

def _check_rub(value: int | None, field: str) -> int:
    if value is None:
        raise ValidationError(field, "введите сумму")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "сумма должна быть целым числом копеек")
    if value <= 0:
        raise ValidationError(field, "сумма должна быть больше нуля")
    if value > ABSURD_AMOUNT_MINOR:
        raise ValidationError(field, f"слишком большая сумма: {format_money(value)}")
    return value


def open_order(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
               amount_minor: int | None = None, provider: str | None = None,
               now: datetime | None = None) -> CardOrder:
    """Write the payment and the order (state ``new``) and commit, before any bank call.

    ``amount_minor`` is rubles for an account and the tour currency for a booking
    (None = all that is due); a booking is converted at today's rate by
    ``booking_payments.quote_in`` with method ``card`` (its limit and rules).
    """
    require(ctx, "card_payment")
    if (account is None) == (booking is None):
        raise ValidationError("Получатель", "укажите лицевой счёт или заявку")
    now = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        target, payee_id = ledger.find_target(s, account=account, booking=booking)
        payee = s.get(m.Payee, payee_id)
        assert payee is not None
        prov, _login = _provider_for(payee, provider)
        booking_amount = None
        if booking is not None:
            from cashier_app.services.booking_payments import quote_in

            q = quote_in(s, booking, "card", amount_minor, ctx.today(), lock=True)  # due minus open orders
            booking_amount = q.booking_amount
            rub = q.total_rub_minor
        else:
            rub = _check_rub(amount_minor, AMOUNT_FIELD)
        if prov == "tbank" and rub < 100:
            raise ValidationError(AMOUNT_FIELD, "Т-Банк принимает платёж не меньше 1,00 ₽")
        from cashier_app.services.shifts import open_shift_row

        shift = open_shift_row(s, ctx)
        number, uid = card_identity.new_identity(s)
        p = ledger.open_payment(s, ctx, target, method="card", amount_minor=rub, payee_id=payee_id,
                                booking_amount=booking_amount, status="pending", gateway_order_number=number,
                                shift_id=shift.id if shift else None, now=now)
        go = m.GatewayOrder(payment_id=p.id, provider=prov, order_number=number, order_uid=uid, state="new",
                            amount_minor=rub,
                            refunded_minor=0, checks=0, created_at=now, updated_at=now,
                            expires_at=now + timedelta(seconds=PAY_WINDOW_SECS), desk=ctx.desk)
        s.add(go)
        s.flush()
        audit.record(s, ctx, "card.order", "payment", p.number, None,
                     {"order_number": number, "order_uid": uid, "provider": prov, "amount_minor": rub,
                      "target_amount_minor": p.target_amount_minor, "target_currency": p.target_currency},
                     now=now)
        uow.commit()
        log.info("card order %s opened (%s, %s kopecks)", number, prov, rub)
        return _dto(s, go)


def start(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
          amount_minor: int | None = None, provider: str | None = None) -> CardOrder:
    """Open the order and register it at the bank: what the F7 dialog and ``pay-card`` call.

    A lost register answer is resolved here, and ``recovery`` says how (``card_recovery``).
    """
    from cashier_app.services.card_recovery import start_order

    return start_order(ctx, account=account, booking=booking, amount_minor=amount_minor, provider=provider)


# --- 2. register / recover ------------------------------------------------------------------------------

def _description(s: Session, payment_id: int) -> str:
    p = s.get(m.Payment, payment_id)
    assert p is not None
    if p.account_id is not None:
        number = s.execute(select(m.Account.number).where(m.Account.id == p.account_id)).scalar_one()
        return f"Л/с {number}"
    number = s.execute(select(m.Booking.number).where(m.Booking.id == p.booking_id)).scalar_one()
    return f"Заявка {number}"


def _note(ctx: DeskContext, row: _Row, message: str, *, now: datetime | None = None) -> None:
    """Remember why the last check failed (shown in the dialog); never changes the state."""
    with ctx.db.uow() as uow:
        uow.session.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id)
            .values(last_error=message[:255], checks=m.GatewayOrder.checks + 1,
                    updated_at=now or datetime.now(UTC))
            .execution_options(synchronize_session=False))
        uow.commit()


def _store_registered(ctx: DeskContext, row: _Row, bank_order_id: str | None, url: str | None,
                      note: str | None = None) -> None:
    now = datetime.now(UTC)
    values: dict[str, Any] = {"state": "registered", "bank_order_id": bank_order_id, "updated_at": now,
                              "last_error": note}
    if url:
        values["payment_url"] = url[:512]
    with ctx.db.uow() as uow:
        uow.session.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "new")
            .values(**values).execution_options(synchronize_session=False))
        uow.commit()


def _load(ctx: DeskContext, order_number: str) -> _Row:
    with ctx.db.read() as uow:
        s = uow.session
        return _snapshot(s, _order_row(s, order_number))


def register(ctx: DeskContext, order_number: str, *, renumbers_left: int = 1) -> CardOrder:
    """Register/Init the order at its bank (once); a lost answer is recovered by order number.

    A duplicate refusal whose order at the bank is not ours (``card_identity.stranger_reason``)
    gives our order a new number and registers it again (``renumbers_left`` times).
    """
    require(ctx, "card_payment")
    row = _load(ctx, order_number)
    if row.state != "new":
        return get(ctx, order_number)
    client = _client(row)
    if row.provider == "chronopay":
        # The signed link is the order: nothing to send, nothing that can be lost.
        created = client.create_order(row.order_number, row.amount_minor, "")
        with ctx.db.uow() as uow:
            uow.session.execute(
                update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "new")
                .values(state="manual", payment_url=(created.payment_url or "")[:512], updated_at=datetime.now(UTC))
                .execution_options(synchronize_session=False))
            uow.commit()
        return get(ctx, order_number)
    with ctx.db.read() as uow:
        description = _description(uow.session, row.payment_id)
        back = return_url_for(uow.session, row.payee_code)  # the office's page, not the bank's root
    crash_point("before_register")
    try:
        created = client.create_order(row.order_number, row.amount_minor, description, timeout_secs=PAY_WINDOW_SECS,
                                      order_uid=row.order_uid, return_url=back)
    except GatewayRejected as exc:
        if exc.duplicate:
            log.info("card order %s: duplicate at the bank, recovering", row.order_number)
            return _recover(ctx, row, client, allow_register=False,
                            on_stranger="renumber" if renumbers_left > 0 else "keep",
                            renumbers_left=renumbers_left - 1)
        _finish(ctx, row, "declined", "declined", exc.message_ru)
        return get(ctx, order_number)
    except GatewayNetworkError as exc:
        log.warning("card order %s: register answer lost, recovering by number", row.order_number)
        _note(ctx, row, exc.message_ru)
        return _recover(ctx, row, client, allow_register=False)
    crash_point("after_register")
    _store_registered(ctx, row, created.bank_order_id, created.payment_url)
    log.info("card order %s registered", row.order_number)
    return get(ctx, order_number)


LOST_LINK_TEXT = ("банк зарегистрировал заказ, но ссылка на оплату потерялась вместе с ответом; "
                  "отмените заказ и создайте новый, если покупатель ещё не платил")


def _recover(ctx: DeskContext, row: _Row, client: GatewayClient, *, allow_register: bool,
             on_stranger: str = "cancel", renumbers_left: int = 0) -> CardOrder:
    """Look the order up by number; adopt the bank's order only when it is provably ours.

    ``on_stranger``: what becomes of our order when the bank holds someone else's under its
    number — ``renumber`` (someone is registering it now: new number, register again),
    ``cancel`` (poller, reconcile: ours never reached the bank and never can under this
    number) or ``keep`` (leave it, with the reason as a note).  The stranger is never
    credited, cancelled or otherwise touched.
    """
    try:
        found = client.find_order(row.order_number)
    except (GatewayNetworkError, GatewayRejected) as exc:
        _note(ctx, row, getattr(exc, "message_ru", str(exc)))
        return get(ctx, row.order_number)
    if found is not None:
        why = card_identity.stranger_reason(row.provider, row.order_number, row.order_uid, row.amount_minor,
                                            found.amount_kopecks, found.order_uid)
        if why is not None:
            return _stranger(ctx, row, why, on_stranger, renumbers_left)
        _store_registered(ctx, row, found.bank_order_id, found.payment_url,
                          note=None if found.payment_url else LOST_LINK_TEXT)
        return check(ctx, row.order_number)
    if allow_register:
        return register(ctx, row.order_number)
    age = (datetime.now(UTC) - row.created_at).total_seconds()
    if age > REGISTER_GRACE_SECS:
        # The bank never got it and nobody is at the counter with this order: close it, no money moved.
        _finish(ctx, row, "cancelled", "cancelled", "заказ не дошёл до банка")
    return get(ctx, row.order_number)


def _stranger(ctx: DeskContext, row: _Row, why: str, on_stranger: str, renumbers_left: int) -> CardOrder:
    log.warning("card order %s: the bank's order under this number is not ours (%s)", row.order_number, why)
    if on_stranger == "renumber":
        new_number = card_identity.renumber(ctx, row.order_id, row.order_number, why)
        if new_number is not None:
            log.info("card order %s renumbered %s", row.order_number, new_number)
            return register(ctx, new_number, renumbers_left=renumbers_left)
        return _get_by_id(ctx, row.order_id)  # another desk renumbered or registered it meanwhile
    if on_stranger == "cancel" and row.order_uid is None:
        # An order from before identities: the bank's order may be ours or not — a human decides.
        _finish(ctx, row, "held", "held", f"под номером заказа в банке есть заказ, но {why}; не зачислен — "
                                          "проверьте заказ в личном кабинете банка")
    elif on_stranger == "cancel":
        _finish(ctx, row, "cancelled", "cancelled", f"заказ не зарегистрирован: под его номером в банке "
                                                    f"другой заказ ({why}); деньги не списывались")
    else:
        _note(ctx, row, f"под номером заказа в банке другой заказ: {why}")
    return _get_by_id(ctx, row.order_id)


def _get_by_id(ctx: DeskContext, order_id: int) -> CardOrder:
    with ctx.db.read() as uow:
        go = uow.session.get(m.GatewayOrder, order_id)
        assert go is not None
        return _dto(uow.session, go)


# --- 3. status and settlement ------------------------------------------------------------------------------

def check(ctx: DeskContext, order_number: str, *, allow_register: bool = False) -> CardOrder:
    """Ask the bank once and settle; network trouble only leaves a note, never a failure."""
    row = _load(ctx, order_number)
    if row.state not in ACTIVE_STATES:
        return get(ctx, order_number)
    client = _client(row)
    if row.state == "new":
        # Someone at the counter (allow_register) gets a new number when a stranger holds ours.
        return _recover(ctx, row, client, allow_register=allow_register,
                        on_stranger="renumber" if allow_register else "cancel", renumbers_left=1)
    try:
        st = client.status(row.order_number, row.bank_order_id)
    except (GatewayNetworkError, GatewayRejected) as exc:
        log.warning("card order %s: status not read: %s", row.order_number, type(exc).__name__)
        _note(ctx, row, getattr(exc, "message_ru", str(exc)))
        return get(ctx, order_number)
    return _settle(ctx, row, st)


def _finish(ctx: DeskContext, row: _Row, state: str, payment_status: str, reason: str | None,
            st: OrderStatus | None = None) -> bool:
    """A final state that moves no money; False if another desk settled the order first."""
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder)
            .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(ACTIVE_STATES))
            .values(state=state, updated_at=now, last_error=None,
                    bank_amount_minor=st.amount_kopecks if st else None,
                    card_mask=st.card_mask if st else None)
            .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            return False
        ledger.mark(s, row.payment_id, payment_status, reason=reason)
        audit.record(s, ctx, f"card.{state}", "payment", row.payment_number, {"state": row.state},
                     {"state": state, "order_number": row.order_number, "reason": reason,
                      "bank_amount_minor": st.amount_kopecks if st else None}, now=now)
        uow.commit()
    log.info("card order %s: %s", row.order_number, state)
    return True


def _settle(ctx: DeskContext, row: _Row, st: OrderStatus, *, cancelling: bool = False) -> CardOrder:
    if row.order_uid is not None and st.order_uid is not None and st.order_uid != row.order_uid:
        # The bank echoes an identity that is not ours (Sber merchantOrderParams): never credit it.
        if st.state in ("paid", "refunded", "partially_refunded"):
            _finish(ctx, row, "held", "held", "у заказа в банке чужой идентификатор — платёж не наш, не зачислен", st)
        else:
            _note(ctx, row, "у заказа в банке чужой идентификатор — проверьте заказ в личном кабинете банка")
        return get(ctx, row.order_number)
    if st.state == "paid":
        if st.amount_kopecks != row.amount_minor:
            got = format_money(st.amount_kopecks) if st.amount_kopecks is not None else "неизвестно"
            _finish(ctx, row, "held", "held",
                    f"банк сообщает сумму {got}, а заказ на {format_money(row.amount_minor)} — проверьте вручную",
                    st)
        else:
            crash_point("after_status_paid")
            _credit(ctx, row, st)
    elif st.state in ("declined", "expired", "reversed"):
        if cancelling or st.state == "reversed":
            _finish(ctx, row, "cancelled", "cancelled", st.reason_text_ru or "заказ отменён", st)
        else:
            _finish(ctx, row, st.state, st.state, st.reason_text_ru, st)
    elif st.state in ("refunded", "partially_refunded", "refunding"):
        # The bank took and returned money we never credited (done in the bank's cabinet): a human decides.
        _finish(ctx, row, "held", "held", "банк сообщает о возврате по неподтверждённому у нас платежу", st)
    else:
        # pending (incl. 3-D Secure in progress) or a bank that does not know a registered order yet.
        note = st.reason_text_ru if st.state == "pending" else "банк пока не нашёл заказ"
        with ctx.db.uow() as uow:
            uow.session.execute(
                update(m.GatewayOrder)
                .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(("registered", "pending")))
                .values(state="pending" if st.state == "pending" else row.state, last_error=note,
                        checks=m.GatewayOrder.checks + 1, updated_at=datetime.now(UTC))
                .execution_options(synchronize_session=False))
            uow.commit()
    return get(ctx, row.order_number)


def _credit(ctx: DeskContext, row: _Row, st: OrderStatus) -> bool:
    """paid → the order's state and the ledger credit change in ONE transaction, exactly once."""
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder)
            .where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state.in_(ACTIVE_STATES))
            .values(state="paid", bank_amount_minor=st.amount_kopecks, card_mask=st.card_mask,
                    bank_order_id=st.bank_order_id or row.bank_order_id, last_error=None, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            return False  # another desk (or reconcile) got there first
        credited = ledger.credit(s, ctx, row.payment_id, now=now, transaction_ref=st.bank_order_id,
                                 card_mask=st.card_mask)
        crash_point("mid_credit")
        uow.commit()
    log.info("card order %s paid and credited=%s", row.order_number, credited)
    return credited


# --- 4. cancel, refund, manual confirmation, reconcile ----------------------------------------------------------

def cancel(ctx: DeskContext, order_number: str, reason: str = "отменено кассиром до оплаты") -> CardOrder:
    """Cancel an unpaid order at the bank (the link stops working) and mark the payment cancelled."""
    require(ctx, "card_payment")
    row = _load(ctx, order_number)
    if row.state == "manual":
        _finish_manual(ctx, row, "cancelled", reason)
        return get(ctx, order_number)
    if row.state not in ACTIVE_STATES:
        raise RuleViolation(f"заказ {order_number} уже завершён ({STATE_TEXT.get(row.state, row.state)})")
    client = _client(row)
    try:
        if row.state == "new":
            found = client.find_order(order_number)
            if found is not None and card_identity.stranger_reason(
                    row.provider, row.order_number, row.order_uid, row.amount_minor,
                    found.amount_kopecks, found.order_uid) is not None:
                found = None  # someone else's order under our number: ours never got there; theirs is left alone
            if found is None:
                _finish(ctx, row, "cancelled", "cancelled", reason)
                return get(ctx, order_number)
            _store_registered(ctx, row, found.bank_order_id, found.payment_url)
            row = _load(ctx, order_number)
        # Only an unpaid order is cancelled here: a paid one is settled (credited) and refunded separately.
        before = client.status(order_number, row.bank_order_id)
        if before.state != "pending":
            return _settle(ctx, row, before)
        st = client.cancel(order_number, row.bank_order_id, None, f"{order_number}-cancel")
    except GatewayNetworkError as exc:
        _note(ctx, row, exc.message_ru)
        after = check(ctx, order_number)
        if after.final:
            return after
        raise UserError("Банк не ответил на отмену. Результат неизвестен — статус заказа проверяется, "
                        "повторите отмену через минуту.") from None
    except GatewayRejected as exc:
        after = check(ctx, order_number)
        if after.final:
            return after
        raise RuleViolation(f"банк не отменил заказ: {exc.message_ru}") from None
    return _settle(ctx, row, st, cancelling=True)


def _finish_manual(ctx: DeskContext, row: _Row, state: str, reason: str) -> None:
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "manual")
            .values(state=state, updated_at=now).execution_options(synchronize_session=False)).rowcount
        if flipped == 1:
            ledger.mark(s, row.payment_id, state, reason=reason)
            audit.record(s, ctx, f"card.{state}", "payment", row.payment_number, {"state": "manual"},
                         {"state": state, "reason": reason}, now=now)
            uow.commit()


def confirm_manual(ctx: DeskContext, order_number: str, bank_reference: str) -> CardOrder:
    """ChronoPay: a user with ``correct`` confirms the payment from the bank statement; credited once."""
    require(ctx, "correct")
    ref = (bank_reference or "").strip()
    if not ref:
        raise ValidationError(REF_FIELD, "укажите номер операции из выписки банка")
    if len(ref) > 64:
        raise ValidationError(REF_FIELD, "не длиннее 64 символов")
    row = _load(ctx, order_number)
    if row.state != "manual":
        raise RuleViolation(f"заказ {order_number} не ждёт подтверждения по выписке "
                            f"({STATE_TEXT.get(row.state, row.state)})")
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        flipped = s.execute(
            update(m.GatewayOrder).where(m.GatewayOrder.id == row.order_id, m.GatewayOrder.state == "manual")
            .values(state="paid", bank_amount_minor=row.amount_minor, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if flipped == 1:
            ledger.credit(s, ctx, row.payment_id, now=now, transaction_ref=ref)
            audit.record(s, ctx, "card.confirm_manual", "payment", row.payment_number, {"state": "manual"},
                         {"state": "paid", "bank_reference": ref}, now=now)
            uow.commit()
    return get(ctx, order_number)


def _refund_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_FIELD, "укажите причину")
    if len(reason) > 255:
        raise ValidationError(REASON_FIELD, "не длиннее 255 символов")
    return reason


def refund(ctx: DeskContext, payment_number: str, *, amount_minor: int | None = None, reason: str) -> Any:
    """Return money of a paid card payment through the bank, fully or partly; recorded after the bank confirms.

    Returns ``corrections.CorrectionResult``.  One refund of a payment at a time, claimed at the
    database and recorded exactly once: see ``card_refunds`` (issue 10).
    """
    from cashier_app.services import card_refunds

    return card_refunds.refund(ctx, payment_number, amount_minor=amount_minor, reason=reason)


REFUND_UNKNOWN = "refund-unknown:"  # card_refunds.MARK: a refund whose outcome the bank has not told yet


def _settle_refund(ctx: DeskContext, order_number: str) -> CardOrder:
    """A refund whose answer was lost: record what the bank has refunded beyond the ledger, once."""
    from cashier_app.services import card_refunds

    return card_refunds.settle(ctx, order_number)  # type: ignore[no-any-return]


def reconcile(ctx: DeskContext) -> list[ReconcileLine]:
    """Re-check every order still open (any desk) and settle what the bank has decided,
    including refunds whose answer was lost."""
    with ctx.db.read() as uow:
        rows = uow.session.execute(
            select(m.GatewayOrder.order_number, m.GatewayOrder.state)
            .where(m.GatewayOrder.state.in_(ACTIVE_STATES)).order_by(m.GatewayOrder.id)).all()
        refunds = uow.session.execute(
            select(m.GatewayOrder.order_number, m.GatewayOrder.state)
            .where(m.GatewayOrder.last_error.startswith(REFUND_UNKNOWN)).order_by(m.GatewayOrder.id)).all()
    out: list[ReconcileLine] = []
    for number, state in rows:
        try:
            out.append(ReconcileLine(number, state, check(ctx, number)))
        except UserError as exc:
            out.append(ReconcileLine(number, state, None, str(exc)))
    for number, state in refunds:
        try:
            out.append(ReconcileLine(number, state, _settle_refund(ctx, number)))
        except (UserError, GatewayNetworkError) as exc:
            out.append(ReconcileLine(number, state, None, str(exc)))
    return out


__all__ = [
    "ACTIVE_STATES", "CRASH_POINTS", "FINAL_STATES", "CardOrder", "GatewayConfigError", "ReconcileLine",
    "cancel", "check", "confirm_manual", "find_by_payment", "gateway_secret", "get", "open_order", "open_orders",
    "reconcile", "refund", "register", "start",
]
