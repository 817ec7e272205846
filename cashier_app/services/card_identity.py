"""Which bank order is ours: order identities and order numbers a restored database cannot repeat (issue 10 §1).

A database counter alone proves nothing: a restored backup, a second ``init-db``
or a copy of the database given to a second office on the same merchant account
counts the same numbers again, and the bank then holds a stranger's order — maybe
paid — under "our" number.  So every gateway order gets:

* an **identity**: a random UUID written with the payment row, before the bank
  is called, and sent to the bank (Sberbank ``jsonParams``, T-Bank ``DATA``);
* an **order number** ``CA-<installation>-<counter>-<token>``: the installation
  part (random, made once per database) tells offices apart in a shared
  merchant cabinet, the counter keeps numbers readable and ordered, and the
  token — the first 40 bits of the identity — makes a repeated counter harmless:
  a restored or copied database draws a new identity, hence a new number.

When the bank already has an order under our number (a duplicate refusal, or a
look-up after a lost answer), :func:`stranger_reason` decides whether it is ours:

* the amount must be ours;
* Sberbank echoes ``jsonParams`` in ``merchantOrderParams``: the identity must be
  ours (a Sberbank order without one is not ours: we always send it);
* T-Bank's GetState and CheckOrder return no DATA (OpenAPI 1.80: only OrderId,
  Amount, Status, PaymentId…), so for T-Bank the identity is carried by the
  OrderId itself: the number's token must be our identity's;
* a row written before identities existed (no identity) can prove nothing, so a
  bank order under its number is never adopted.

A stranger is never credited and never cancelled: our order takes a new number
(:func:`renumber`) and is registered again.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cashier_app.domain.money import format_money
from cashier_app.services import audit
from cashier_app.services.context import DeskContext
from cashier_app.services.numbering import next_value
from cashier_app.storage import models as m

INSTALLATION_KEY = "installation_id"
# Crockford's base32: no I, L, O, U — a number read over the phone is not misheard.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INSTALLATION_LEN = 4
TOKEN_LEN = 8  # 40 bits of the identity
# The tightest bank: Sberbank's orderNumber is at most 32 characters (T-Bank's OrderId 36, our column 36).
MAX_NUMBER_LEN = 32


def _base32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_uid() -> str:
    return str(uuid.uuid4())


def token_of(uid: str) -> str:
    """The number's token: the identity's first 40 bits (all random in a version-4 UUID)."""
    return _base32(int.from_bytes(uuid.UUID(uid).bytes[:5], "big"), TOKEN_LEN)


def installation_id(s: Session) -> str:
    """This database's random installation part, made once (migration 0003 or the first order)."""
    value = s.execute(select(m.Setting.value).where(m.Setting.key == INSTALLATION_KEY)).scalar_one_or_none()
    if value:
        return value
    made = "".join(secrets.choice(ALPHABET) for _ in range(INSTALLATION_LEN))
    try:
        # A savepoint: another desk creating it at the same moment must not spoil our transaction.
        with s.begin_nested():
            s.add(m.Setting(key=INSTALLATION_KEY, value=made))
    except IntegrityError:
        pass
    return s.execute(select(m.Setting.value).where(m.Setting.key == INSTALLATION_KEY)).scalar_one()


def new_identity(s: Session) -> tuple[str, str]:
    """(order number, identity) for a new bank order; both are written before the bank is called."""
    uid = new_uid()
    number = f"CA-{installation_id(s)}-{next_value(s, 'gateway_order'):06d}-{token_of(uid)}"
    assert len(number) <= MAX_NUMBER_LEN, number
    return number, uid


def carries(order_number: str, uid: str | None) -> bool:
    """Does this order number carry this identity (its token)?"""
    return uid is not None and order_number.endswith("-" + token_of(uid))


def stranger_reason(provider: str, order_number: str, uid: str | None, amount_minor: int,
                    bank_amount: int | None, bank_uid: str | None) -> str | None:
    """None if the bank's order under our number is ours; otherwise why not (plain Russian)."""
    if uid is None:
        return "заказ записан до появления идентификаторов — что заказ в банке наш, не доказать"  # i18n: data
    if bank_uid is not None and bank_uid != uid:
        return "у заказа в банке другой идентификатор — это чужой заказ"  # i18n: data
    if bank_amount is not None and bank_amount != amount_minor:
        return (f"в банке заказ с этим номером на {format_money(bank_amount)}, "  # i18n: data
                f"а наш — на {format_money(amount_minor)}")
    if bank_uid is None:
        if provider == "sberbank":
            # We always send jsonParams with the identity; Sberbank returns them in merchantOrderParams.
            return "у заказа в банке нет нашего идентификатора — это чужой заказ"  # i18n: data
        if not carries(order_number, uid):
            return "номер заказа не несёт нашего идентификатора — что заказ в банке наш, не доказать"  # i18n: data
    if bank_amount is None:
        return "банк не сообщил сумму заказа — что заказ наш, не доказать"  # i18n: data
    return None


def renumber(ctx: DeskContext, order_id: int, old_number: str, reason: str) -> str | None:
    """Give an order the bank has never registered for us a new number and identity.

    Only a ``new`` order whose number is still ``old_number`` changes (a conditional
    UPDATE: another desk may have renumbered or registered it meanwhile); the payment
    row's copy of the number changes in the same transaction.  Returns the new number,
    or None when the row had already moved on.
    """
    now = datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        number, uid = new_identity(s)
        flipped = s.execute(
            update(m.GatewayOrder)
            .where(m.GatewayOrder.id == order_id, m.GatewayOrder.state == "new",
                   m.GatewayOrder.order_number == old_number)
            .values(order_number=number, order_uid=uid, last_error=None, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            uow.rollback()
            return None
        payment_id = s.execute(select(m.GatewayOrder.payment_id).where(m.GatewayOrder.id == order_id)).scalar_one()
        p = s.get(m.Payment, payment_id)
        assert p is not None
        p.gateway_order_number = number
        audit.record(s, ctx, "card.renumber", "payment", p.number, {"order_number": old_number},
                     {"order_number": number, "reason": reason}, now=now)
        uow.commit()
        return number


__all__ = ["carries", "installation_id", "new_identity", "new_uid", "renumber", "stranger_reason", "token_of"]
