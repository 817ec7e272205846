"""Card payments at the counter: ledger row first, bank second, credit exactly once.

The flow (issue 5):

1. :func:`open_order` (``card_open``) writes a pending ``card`` payment and a ``gateway_orders``
   row in state ``new`` with a random identity and an order number a restored
   or copied database cannot repeat (``CA-<installation>-<counter>-<token>``,
   ``card_identity.py``) and COMMITS, before the bank is called.  A crash after
   this point leaves a row that :func:`reconcile` finds.
2. :func:`register` (``card_settle``) calls Register/Init with the identity.  A lost answer
   (timeout, dropped connection, 5xx, broken JSON) is recovered by order
   number, a duplicate refusal the same way — but the bank's order is adopted
   only if it is provably ours (identity and amount); a stranger's is never
   credited or touched, ours takes a new number.  :func:`start` then settles a
   lost link (``card_recovery.py``).  A network error never marks anything failed.
3. :func:`check` (``card_settle``) polls the bank once and settles: paid → credit (one
   transaction, guarded by a conditional state change, and only if the bank's
   amount is ours; a mismatch is ``held``), declined / expired → marked with
   the bank's reason in plain Russian.
4. :func:`cancel` (before payment, ``card_settle``), :func:`refund` (full or
   partial, through the bank, recorded only after the bank confirms:
   ``card_refunds``), :func:`confirm_manual` (ChronoPay: from the bank
   statement, ``card_settle``) and :func:`reconcile` (every order still open,
   on start-up and from ``cashier-app reconcile``).

Secrets (``card_gateway``): :func:`gateway_secret` takes the keyring / environment secret
(``gateways.config.get_secret``); only for a payee whose gateway URL is the
loopback sandbox does it fall back to the sandbox's documented demo passwords.
A real bank URL never gets a demo secret.  No secret, card number or CVC is
stored, logged or put into an exception text: the banks only give masked PANs.

Test hook (``card_gateway.crash_point``): with ``CASHIER_TEST_HOOKS=1`` and ``CASHIER_TEST_CRASH_AT=<point>``
the process SIGKILLs itself at that named point (see :data:`CRASH_POINTS`);
the crash tests use it to stop ``cashier-app pay-card`` deterministically.
This module is the facade the UI, the CLI and the tests call: :func:`start`,
:func:`refund` and :func:`reconcile` live here, everything else is re-exported
from the stage that owns it.  The stages import each other strictly downwards
(``card_gateway`` ← ``card_orders`` ← ``card_open`` / ``card_settle`` ←
``card_recovery`` ← ``card_pending``; ``card_refunds`` on ``card_orders`` and
``card_gateway``) and none imports this module, so the card flow has no import
cycle (``tests/test_architecture.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cashier_app.domain.card_order_states import ACTIVE_STATES, FINAL_STATES
from cashier_app.domain.errors import UserError
from cashier_app.services import card_refunds
from cashier_app.services.card_gateway import (
    CRASH_POINTS,
    DEMO_LOGINS,
    DEMO_SECRETS,
    PAY_WINDOW_SECS,
    crash_point,
    gateway_secret,
    is_loopback,
)
from cashier_app.services.card_open import AMOUNT_FIELD, open_order
from cashier_app.services.card_orders import (
    LOST_LINK_TEXT,
    PROVIDER_LABELS,
    STATE_TEXT,
    CardOrder,
    ReconcileLine,
    find_by_payment,
    get,
    open_orders,
)
from cashier_app.services.card_recovery import start_order
from cashier_app.services.card_refunds import REASON_FIELD, REFUND_FIELD
from cashier_app.services.card_settle import (
    REF_FIELD,
    REGISTER_GRACE_SECS,
    cancel,
    check,
    confirm_manual,
    register,
)
from cashier_app.services.context import DeskContext
from cashier_app.services.gateways.base import GatewayConfigError, GatewayNetworkError
from cashier_app.storage import models as m

REFUND_UNKNOWN = card_refunds.MARK  # a refund whose outcome the bank has not told yet


def start(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
          amount_minor: int | None = None, provider: str | None = None, reuse_pending: bool = False,
          receipt_contact: str | None = None, receipt_paperless: bool = False) -> CardOrder:
    """Open the order and register it at the bank (F7 and ``pay-card`` go through ``card_pending``).

    A lost register answer is resolved here, and ``recovery`` says how (``card_recovery``).
    ``reuse_pending``: see :func:`open_order`.
    """
    return start_order(ctx, account=account, booking=booking, amount_minor=amount_minor, provider=provider,
                       reuse_pending=reuse_pending, receipt_contact=receipt_contact,
                       receipt_paperless=receipt_paperless)


def refund(ctx: DeskContext, payment_number: str, *, amount_minor: int | None = None, reason: str) -> Any:
    """Return money of a paid card payment through the bank, fully or partly; recorded after the bank confirms.

    Returns ``corrections.CorrectionResult``.  One refund of a payment at a time, claimed at the
    database and recorded exactly once: see ``card_refunds`` (issue 10).
    """
    return card_refunds.refund(ctx, payment_number, amount_minor=amount_minor, reason=reason)


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
            # A refund whose answer was lost: record what the bank has refunded beyond the ledger, once.
            out.append(ReconcileLine(number, state, card_refunds.settle(ctx, number)))
        except (UserError, GatewayNetworkError) as exc:
            out.append(ReconcileLine(number, state, None, str(exc)))
    return out


__all__ = [
    "ACTIVE_STATES", "AMOUNT_FIELD", "CRASH_POINTS", "DEMO_LOGINS", "DEMO_SECRETS", "FINAL_STATES", "LOST_LINK_TEXT",
    "PAY_WINDOW_SECS", "PROVIDER_LABELS", "REASON_FIELD", "REFUND_FIELD", "REFUND_UNKNOWN", "REF_FIELD",
    "REGISTER_GRACE_SECS", "STATE_TEXT", "CardOrder", "GatewayConfigError", "ReconcileLine", "cancel", "check",
    "confirm_manual", "crash_point", "find_by_payment", "gateway_secret", "get", "is_loopback", "open_order",
    "open_orders", "reconcile", "refund", "register", "start",
]
