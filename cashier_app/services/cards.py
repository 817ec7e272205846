"""The account card and the booking card: everything the counter shows about one record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.accounts import BLOCK_STATE_LABELS, monthly_charge, suggested_payment
from cashier_app.domain.audit_words import METHOD_WORDS, STATUS_WORDS
from cashier_app.domain.booking_rules import payment_options
from cashier_app.domain.errors import NotFound
from cashier_app.domain.money import convert_to_rub
from cashier_app.domain.tours import (
    BOOKING_STATUS_LABELS,
    TOUR_TYPE_LABELS,
    BookingStatus,
    TourType,
    days_to_departure,
    due_minor,
    paid_share_percent,
)
from cashier_app.i18n import tr
from cashier_app.services.commission_report import booking_commission
from cashier_app.services.context import DeskContext
from cashier_app.services.lookup import format_address
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m

# One list of words for the cards, the journals and the audit trail (domain/audit_words).
METHOD_LABELS = METHOD_WORDS
STATUS_LABELS = STATUS_WORDS


@dataclass(frozen=True, slots=True)
class PaymentLine:
    number: str
    created_at: datetime
    method: str
    method_label: str
    status: str
    amount_minor: int
    currency: str
    transaction_ref: str | None
    card_mask: str | None
    status_label: str = ""
    entry_kind: str = "payment"  # payment | reversal | refund


@dataclass(frozen=True, slots=True)
class SiblingAccount:
    number: str
    balance_minor: int
    tariff: str | None


@dataclass(frozen=True, slots=True)
class AccountCard:
    number: str
    login: str | None
    payee_code: str
    payee_name: str
    owner: str
    address: str
    phone: str | None
    email: str | None
    contract: str
    contract_accounts: list[SiblingAccount]
    tariff: str | None
    tariff_fee_minor: int
    services: list[tuple[str, int]]
    monthly_minor: int
    balance_minor: int
    credit_minor: int
    blocked_minor: int
    internet_on: bool
    block_state: str
    block_state_label: str
    block_until: date | None
    suggested_minor: int
    currency: str
    autopay_amount_minor: int | None
    autopay_next_on: date | None
    autopay_card_mask: str | None
    promised_amount_minor: int | None
    promised_until: date | None
    last_payments: list[PaymentLine]
    # A full export from the billing no longer lists it (issue 14): it takes no new money.
    closed_on: date | None = None

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["kind"] = "account"
        d["amount_due_minor"] = self.suggested_minor
        return d


@dataclass(frozen=True, slots=True)
class TouristLine:
    full_name: str
    passport_masked: str
    birth_date: date | None
    is_lead: bool
    # The search found the booking by this tourist (their passport or name): the card highlights them.
    matched: bool = False


@dataclass(frozen=True, slots=True)
class MethodLine:
    method: str
    label: str
    available: bool
    reason: str | None
    amount_mode: str
    min_minor: int
    max_minor: int
    max_rub_minor: int | None
    fee_percent: str
    fee_rub_minor: int | None
    total_rub_minor: int | None
    valid_until: date | None
    note: str | None


@dataclass(frozen=True, slots=True)
class BookingCard:
    number: str
    status: str
    status_label: str
    tour_type: str
    tour_type_label: str
    country: str
    hotel: str | None
    departure_on: date
    return_on: date
    days_to_departure: int
    tourists: list[TouristLine]
    currency: str
    price_minor: int
    paid_minor: int
    paid_share: str  # "89.99"
    due_minor: int
    rate: str | None  # Decimal as text, RUB per unit
    rate_day: date | None
    rate_is_today: bool
    due_rub_minor: int | None
    manager: str | None
    agency: str | None
    payee_code: str
    payee_name: str
    methods: list[MethodLine]
    today: date
    last_payments: list[PaymentLine]
    # The agency's commission for this booking today (issue 6): percent as text and why.
    commission_percent: str | None = None
    commission: str | None = None
    # The tourist the search matched (issue 12 §3), by full name; None when the booking was found otherwise.
    matched_tourist: str | None = None

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["kind"] = "booking"
        d["amount_due_minor"] = self.due_minor
        return d


def mask_passport(passport: str) -> str:
    """Only the last four digits are shown at the counter."""
    return "•" * max(0, len(passport) - 4) + passport[-4:]


def _payments(s: Session, *, account_id: int | None = None, booking_id: int | None = None) -> list[PaymentLine]:
    stmt = select(m.Payment).order_by(m.Payment.created_at.desc(), m.Payment.id.desc()).limit(10)
    stmt = stmt.where(m.Payment.account_id == account_id) if account_id else stmt.where(
        m.Payment.booking_id == booking_id
    )
    return [
        PaymentLine(
            number=p.number, created_at=p.created_at, method=p.method,
            method_label=METHOD_LABELS.get(p.method, p.method), status=p.status,
            amount_minor=p.amount_minor, currency=p.currency, transaction_ref=p.transaction_ref,
            card_mask=p.card_mask,
            status_label=STATUS_LABELS.get(p.status, p.status)
            + (" (возврат)" if p.entry_kind == "refund" else " (сторно)" if p.entry_kind == "reversal" else ""),  # i18n: data
            entry_kind=p.entry_kind,
        )
        for p in s.execute(stmt).scalars()
    ]


def account_card(ctx: DeskContext, number: str) -> AccountCard:
    """The account's card; needs ``lookup`` (the owner's name, address and phone are on it)."""
    require(ctx, "lookup")
    with ctx.db.read() as uow:
        return load_account_card(uow.session, number)


def load_account_card(s: Session, number: str) -> AccountCard:
    a = s.execute(select(m.Account).where(m.Account.number == number)).unique().scalar_one_or_none()
    if a is None:
        raise NotFound(tr("Лицевой счёт «{n}» не найден (номер вводится точно, с нулями впереди).", n=number))
    c = a.contract
    payee = s.get(m.Payee, c.payee_id)
    assert payee is not None
    services = [(x.service.name, x.service.monthly_fee_minor) for x in a.services]
    tariff_fee = a.tariff.monthly_fee_minor if a.tariff else 0
    monthly = monthly_charge(tariff_fee, [fee for _, fee in services], a.block_state)
    siblings = [
        SiblingAccount(x.number, x.balance_minor, x.tariff.name if x.tariff else None)
        for x in sorted(c.accounts, key=lambda x: x.number)
    ]
    return AccountCard(
        number=a.number, login=a.login, payee_code=payee.code, payee_name=payee.name,
        owner=c.full_name, address=format_address(c), phone=c.phone, email=c.email,
        contract=c.number, contract_accounts=siblings,
        tariff=a.tariff.name if a.tariff else None, tariff_fee_minor=tariff_fee, services=services,
        monthly_minor=monthly, balance_minor=a.balance_minor, credit_minor=a.credit_minor,
        blocked_minor=a.blocked_minor, internet_on=a.internet_on, block_state=a.block_state,
        block_state_label=BLOCK_STATE_LABELS.get(a.block_state, a.block_state),
        block_until=a.block_until, suggested_minor=suggested_payment(monthly, a.balance_minor),
        currency=a.currency, autopay_amount_minor=a.autopay_amount_minor,
        autopay_next_on=a.autopay_next_on if a.autopay_amount_minor else None,
        autopay_card_mask=a.autopay_card_mask if a.autopay_amount_minor else None,
        promised_amount_minor=a.promised_amount_minor, promised_until=a.promised_until,
        last_payments=_payments(s, account_id=a.id), closed_on=a.closed_on,
    )


def booking_card(ctx: DeskContext, number: str, today: date | None = None, *,
                 matched_passport: str | None = None, matched_tourist: str | None = None) -> BookingCard:
    """The booking's card on ``today`` (default: the office's business day); needs ``lookup``.

    ``matched_passport`` (digits, as ``SearchHit.matched_passport``) or ``matched_tourist`` (a full
    name): the tourist the search found the booking by, highlighted on the card.
    """
    require(ctx, "lookup")
    day = today or ctx.today()
    with ctx.db.read() as uow:
        return load_booking_card(uow.session, number, day, matched_passport=matched_passport,
                                 matched_tourist=matched_tourist)


def _matched(t: m.Tourist, passport: str | None, name: str | None) -> bool:
    if passport:
        return t.passport_no == passport
    return bool(name) and t.full_name == name


def load_booking_card(s: Session, number: str, today: date, *, matched_passport: str | None = None,
                      matched_tourist: str | None = None) -> BookingCard:
    b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(tr("Заявка № {n} не найдена.", n=number))
    facts = booking_facts(s, b, today)
    rate, rate_day = latest_rate(s, b.currency, today)
    # Open card orders hold part of the due (issue 10): shown and offered is only the rest.
    from cashier_app.services.booking_payments import card_reserved

    reserved, orders = card_reserved(s, b.id)
    options = payment_options(facts, today, rate, rate_day, reserved_minor=reserved, reserved_orders=orders)
    due = max(due_minor(facts) - reserved, 0)
    rate_is_today = rate is not None and rate_day == today
    payee = s.get(m.Payee, b.payee_id)
    assert payee is not None
    commission = booking_commission(s, b, today)
    tourists = [
        TouristLine(t.full_name, mask_passport(t.passport_no), t.birth_date, t.is_lead,
                    matched=_matched(t, matched_passport, matched_tourist))
        for t in b.tourists
    ]
    matched = next((t.full_name for t in tourists if t.matched), None)
    return BookingCard(
        number=b.number, status=b.status,
        status_label=BOOKING_STATUS_LABELS[BookingStatus(b.status)],
        tour_type=b.tour_type, tour_type_label=TOUR_TYPE_LABELS[TourType(b.tour_type)],
        country=b.country, hotel=b.hotel, departure_on=b.departure_on, return_on=b.return_on,
        days_to_departure=days_to_departure(facts, today),
        tourists=tourists,
        currency=b.currency, price_minor=b.price_minor, paid_minor=b.paid_minor,
        paid_share=str(paid_share_percent(facts)), due_minor=due,
        rate=str(rate) if rate is not None else None, rate_day=rate_day, rate_is_today=rate_is_today,
        due_rub_minor=convert_to_rub(due, rate) if rate_is_today and isinstance(rate, Decimal) else None,
        manager=b.manager.full_name if b.manager else None,
        agency=b.agency.name if b.agency else None,
        payee_code=payee.code, payee_name=payee.name,
        methods=[
            MethodLine(
                method=str(o.method), label=o.label, available=o.available, reason=o.reason,
                amount_mode=str(o.amount_mode), min_minor=o.min_minor, max_minor=o.max_minor,
                max_rub_minor=o.max_rub_minor, fee_percent=str(o.fee_percent),
                fee_rub_minor=o.fee_rub_minor, total_rub_minor=o.total_rub_minor,
                valid_until=o.valid_until, note=o.note,
            )
            for o in options
        ],
        today=today,
        last_payments=_payments(s, booking_id=b.id),
        commission_percent=str(commission.percent) if commission else None,
        commission=commission.reason_ru if commission else None,
        matched_tourist=matched,
    )
