"""The one interface every card gateway client implements, and its errors.

Amounts are integer kopecks everywhere.  The crucial distinction for callers:

* :class:`GatewayNetworkError` — the bank's answer never arrived intact
  (timeout, dropped connection, HTTP 5xx, garbage instead of JSON).  The
  operation MAY have happened.  Never mark the payment failed; ask again with
  :meth:`GatewayClient.status` / :meth:`GatewayClient.find_order` by order number.
* :class:`GatewayRejected` — the bank answered and said no.  Nothing happened.
* :class:`GatewayConfigError` — our side is misconfigured (no secret, bad URL).

All texts are meant for a cashier and never contain a password, token or
terminal password.  A refusal keeps two texts: ``message_ru`` (Russian, as it is
stored on the order and the payment) and ``message`` (the current language, for
the screen); ``str()`` is ``message``.  Configuration errors are shown only, in the
current language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from cashier_app.domain.errors import UserError
from cashier_app.i18n import N_, tr

if TYPE_CHECKING:
    from cashier_app.domain.fiscal_receipt import Receipt

OrderState = Literal[
    "pending",  # registered, not paid yet (includes 3-D Secure in progress)
    "paid",  # money taken in full
    "declined",  # payment refused, or the order was cancelled before payment
    "expired",  # nobody paid before the deadline
    "reversed",  # the hold / same-day payment was cancelled, money never left the card
    "refunded",  # money returned in full
    "partially_refunded",
    # a cancel or refund the bank accepted and is still processing (T-Bank REVERSING, REFUNDING,
    # ASYNC_REFUNDING): not final — ask again; the money is not back yet
    "refunding",
    "unknown_order",  # the bank has never heard of this order number
    "manual",  # the provider has no status method (ChronoPay): check the bank statement
]

ORDER_STATES: tuple[str, ...] = (
    "pending",
    "paid",
    "declined",
    "expired",
    "reversed",
    "refunded",
    "partially_refunded",
    "refunding",
    "unknown_order",
    "manual",
)
# States after which the order never changes by itself: the poller can stop.
FINAL_STATES = frozenset({"paid", "declined", "expired", "reversed", "refunded", "unknown_order"})


# The key our order identity travels under (T-Bank DATA keys: at most 20 characters).
ORDER_UID_KEY = "cashier_order_uid"


@dataclass(frozen=True, slots=True)
class CreatedOrder:
    """What the bank gave back for a registered order."""

    bank_order_id: str | None  # Sber orderId (UUID), T-Bank PaymentId; None for ChronoPay
    payment_url: str | None  # page (or QR content) for the customer
    raw_status: str  # the bank's own status word/code, for the log
    # Filled by find_order (a look-up by number): what proves the bank's order is ours (card_identity.py).
    amount_kopecks: int | None = None
    order_uid: str | None = None


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """A bank's answer to "what happened to this order", normalised."""

    state: OrderState
    amount_kopecks: int | None  # the order amount as the bank knows it; compare before crediting
    approved_kopecks: int = 0
    deposited_kopecks: int = 0
    # None when the bank does not report it (T-Bank after a partial refund).
    refunded_kopecks: int | None = 0
    card_mask: str | None = None
    bank_order_id: str | None = None
    reason_code: str | None = None  # the bank's decline / error code
    reason_text_ru: str | None = None  # plain Russian for the cashier
    raw_status: str | None = None  # orderStatus / Status exactly as received
    order_uid: str | None = None  # our identity as the bank echoes it (Sber merchantOrderParams); None if not
    # "sbp" when the customer paid by SBP (T-Bank Source qrsbp): the bank then ignores a refund's
    # ExternalRequestId, so a repeated refund is NOT safe; "card" or None otherwise.
    payment_method: str | None = None
    # What THIS cancel/refund returned (T-Bank OriginalAmount − NewAmount); None when not reported.
    operation_kopecks: int | None = None


class GatewayError(UserError):
    """Base of everything a gateway client raises on purpose."""


def said(template: str, **kwargs: object) -> tuple[str, str]:
    """(Russian, current language) of an ``N_`` template: the stored text and the shown one."""
    return template.format(**kwargs), tr(template, **kwargs)


def _shown(message_ru: str, message: str | None) -> str:
    # A fixed text is looked up in the catalog; a composed one comes with its translation.
    return message if message is not None else (tr(message_ru) if message_ru else message_ru)


class GatewayNetworkError(GatewayError):
    """No trustworthy answer: the outcome is UNKNOWN.  Never mark the payment failed."""

    def __init__(self, message_ru: str, *, operation: str = "", message: str | None = None) -> None:
        self.message_ru = message_ru
        self.message = _shown(message_ru, message)
        self.operation = operation
        super().__init__(self.message)


class GatewayRejected(GatewayError):
    """The bank answered with an error; the operation did not happen."""

    def __init__(
        self, code: str, message_ru: str, *, duplicate: bool = False, bank_message: str = "",
        message: str | None = None,
    ) -> None:
        self.code = code
        self.message_ru = message_ru
        self.message = _shown(message_ru, message)
        self.duplicate = duplicate
        self.bank_message = bank_message  # the bank's own text, may be English or technical
        super().__init__(tr("{message} (код банка {code})", message=self.message, code=code))


class GatewayConfigError(GatewayError):
    """Settings or credentials are missing or wrong on our side."""


@runtime_checkable
class GatewayClient(Protocol):
    """One acquiring account of one payee at one bank."""

    provider: str

    def create_order(
        self,
        order_number: str,
        amount_kopecks: int,
        description: str,
        return_url: str | None = None,
        timeout_secs: int = 1200,
        order_uid: str | None = None,
        *,
        receipt: Receipt | None = None,
    ) -> CreatedOrder:
        """Register an order and get the payment page; ``timeout_secs`` bounds how long it can be paid.

        ``order_uid`` (our random identity) goes to the bank with the order (Sber ``jsonParams``,
        T-Bank ``DATA``) under :data:`ORDER_UID_KEY`.  ``receipt``: the sell receipt the bank's own
        online register makes (T-Bank ``Receipt``, Sber ``orderBundle``) when the payee has that
        service (issue 13, ``FiscalSettings.card_by_bank``); ChronoPay takes none."""
        ...

    def status(self, order_number: str, bank_order_id: str | None) -> OrderStatus:
        """Current state; with ``bank_order_id=None`` looks the order up by its number."""
        ...

    def find_order(self, order_number: str) -> CreatedOrder | None:
        """Recovery after a lost create answer: the bank's record of this order, or None."""
        ...

    def cancel(
        self,
        order_number: str,
        bank_order_id: str | None,
        amount_kopecks: int | None,
        idempotency_key: str,
        *,
        receipt: Receipt | None = None,
    ) -> OrderStatus:
        """Cancel an unpaid order or a hold / same-day payment (None = full amount).

        ``receipt``: the sell-return receipt of a paid payment's cancel (bank's online register)."""
        ...

    def refund(
        self,
        order_number: str,
        bank_order_id: str | None,
        amount_kopecks: int,
        idempotency_key: str,
        *,
        receipt: Receipt | None = None,
    ) -> OrderStatus:
        """Return money of a paid order, fully or partly (``receipt``: its sell-return receipt, as above)."""
        ...


def receipt_contact(receipt: Receipt) -> tuple[str, str]:
    """("email" | "phone", value) a bank's receipt goes to: the buyer's, else the company's e-mail.

    Both banks require one (T-Bank error 329); a card receipt is sent electronically anyway.
    """
    contact = (receipt.contact or "").strip()
    if contact:
        return ("email", contact) if "@" in contact else ("phone", contact)
    if receipt.company_email:
        return "email", receipt.company_email
    raise GatewayConfigError(tr("Для чека онлайн-кассы банка нужен телефон или e-mail покупателя "
                                "(или e-mail организации в настройках ККТ получателя)"))


def check_amount(amount_kopecks: int) -> None:
    """Refuse floats and non-positive amounts before anything goes to a bank."""
    if not isinstance(amount_kopecks, int) or isinstance(amount_kopecks, bool):
        raise TypeError("amount_kopecks must be int kopecks, not float")
    if amount_kopecks <= 0:
        raise GatewayConfigError(tr("Сумма платежа должна быть больше нуля"))


NETWORK_MESSAGE_RU = N_(
    "Нет ответа от банка ({what}). Результат операции неизвестен — "
    "не принимайте повторную оплату, проверьте статус заказа."
)


def network_error(what: str, operation: str) -> GatewayNetworkError:
    """The lost-answer error; ``what`` is an ``N_`` text (why the answer is missing)."""
    return GatewayNetworkError(NETWORK_MESSAGE_RU.format(what=what), operation=operation,
                               message=tr(NETWORK_MESSAGE_RU, what=tr(what)))
