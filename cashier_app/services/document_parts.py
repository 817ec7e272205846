"""What the document use cases share: kinds, labels, the payee's requisites, a card's payer and due.

Split out of :mod:`cashier_app.services.documents` (module size); the batch and the journal
views use these too, so they live below all three and import none of them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashier_app.domain.accounts import monthly_charge, suggested_payment
from cashier_app.domain.booking_rules import MethodOption, payment_options
from cashier_app.domain.errors import NotFound, ValidationError
from cashier_app.domain.requisites import validate_payee
from cashier_app.domain.tours import PaymentMethod
from cashier_app.i18n import N_, tr
from cashier_app.printing.dto import DocumentKind, PayeeDTO, TargetKind
from cashier_app.services.document_payer import PayerFields
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m

AMOUNT_FIELD = N_("Сумма")

# Marked for translation; whoever shows a label passes it through tr().
KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.PD4: N_("Квитанция ПД-4 (банк)"),
    DocumentKind.POST112: N_("Почтовый перевод ф. 112ЭП"),
    DocumentKind.INFO_CONTACT: N_("Информационный лист CONTACT"),
    DocumentKind.INFO_EUROSET: N_("Информационный лист «Евросеть»"),
    DocumentKind.INVOICE: N_("Счёт на оплату (юрлицо)"),
}
JOURNAL_KIND_LABELS: dict[str, str] = {str(k): v for k, v in KIND_LABELS.items()} | {
    "pd4_batch": N_("Пачка ПД-4 должникам"), "slip": N_("Квитанция об оплате"), "z_report": N_("Z-отчёт"),
    "x_report": N_("X-отчёт"), "refund_application": N_("Заявление на возврат"),
}
# Which payment method of the booking card each document pays by.
METHOD_OF_KIND: dict[DocumentKind, PaymentMethod] = {
    DocumentKind.PD4: PaymentMethod.BANK_RECEIPT,
    DocumentKind.POST112: PaymentMethod.POST,
    DocumentKind.INFO_CONTACT: PaymentMethod.CONTACT,
    DocumentKind.INFO_EUROSET: PaymentMethod.EUROSET,
    DocumentKind.INVOICE: PaymentMethod.BANK_TRANSFER,
}
BOOKING_KINDS = tuple(METHOD_OF_KIND)
ACCOUNT_KINDS = (DocumentKind.PD4,)


def resolve_kind(kind: str, method: str | None = None) -> DocumentKind:
    """``info`` + ``contact|euroset`` → the information sheet kind; the rest as is."""
    k = (kind or "").strip().lower()
    if k == "info":
        if method not in ("contact", "euroset"):
            raise ValidationError(N_("Способ"), tr("для информационного листа укажите contact или euroset"))
        return DocumentKind.INFO_CONTACT if method == "contact" else DocumentKind.INFO_EUROSET
    try:
        return DocumentKind(k)
    except ValueError as exc:
        raise ValidationError(N_("Вид документа"), tr("«{kind}» — неизвестный вид; нужен pd4, post112, info или invoice",
                                                      kind=kind)) from exc


def payee_dto(p: m.Payee) -> PayeeDTO:
    return PayeeDTO(code=p.code, name=p.name, inn=p.inn, kpp=p.kpp or "", account=p.account,
                    bank_name=p.bank_name, bic=p.bic, corr_account=p.corr_account,
                    postal_index=p.postal_index or "", address=p.address or "", tech_code=p.tech_code or "")


def payee_problems(p: PayeeDTO) -> list[str]:
    """Requisites are checked again before printing: an edited-in-the-DB typo must not reach a bank."""
    return [tr("Реквизиты получателя «{name}»: {error}", name=p.name, error=err)
            for err in validate_payee(p.name, p.inn, p.kpp, p.bic, p.account, p.corr_account)]


def _purpose(template: str, number: str, kind: TargetKind) -> str:
    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return number

    text = template.format_map(_Keep(account=number, booking=number)) if template else ""
    if not text:
        text = (f"Оплата по лицевому счёту {number}" if kind is TargetKind.ACCOUNT  # i18n: data
                else f"Оплата туристских услуг по заявке {number}")  # i18n: data
    return text[:210]


def _fields_of(obj: m.Contract | m.Tourist, full_name: str) -> PayerFields:
    return PayerFields(full_name=full_name, postal_index=obj.postal_index or "", region=obj.region or "",
                       city=obj.city or "", street=obj.street or "", house=obj.house or "", flat=obj.flat or "")


def _lead(b: m.Booking) -> m.Tourist | None:
    return next((t for t in b.tourists if t.is_lead), b.tourists[0] if b.tourists else None)


def _account(s: Session, number: str) -> m.Account:
    a = s.execute(select(m.Account).where(m.Account.number == number)).unique().scalar_one_or_none()
    if a is None:
        raise NotFound(tr("Лицевой счёт «{number}» не найден (номер вводится точно, с нулями впереди).",
                          number=number))
    return a


def _booking(s: Session, number: str) -> m.Booking:
    b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(tr("Заявка № {number} не найдена.", number=number))
    return b


def _account_suggested(a: m.Account) -> int:
    fees = [x.service.monthly_fee_minor for x in a.services]
    monthly = monthly_charge(a.tariff.monthly_fee_minor if a.tariff else 0, fees, a.block_state)
    return suggested_payment(monthly, a.balance_minor)


def _booking_state(s: Session, b: m.Booking, today: date) -> tuple[list[MethodOption], Decimal | None, date | None]:
    rate, rate_day = latest_rate(s, b.currency, today)
    # Open card orders hold part of what is due (issue 10): a ПД-4, a ф. 112ЭП or a CONTACT sheet
    # must not ask for money the customer may be paying by card right now — the same reservation
    # as cash, card and bonuses (booking_payments.quote_in) and the booking card.
    from cashier_app.services.booking_payments import card_reserved

    reserved, orders = card_reserved(s, b.id)
    options = payment_options(booking_facts(s, b, today), today, rate, rate_day, reserved_minor=reserved,
                              reserved_orders=orders)
    return options, rate, rate_day


def _option_for(options: list[MethodOption], kind: DocumentKind) -> MethodOption:
    method = METHOD_OF_KIND[kind]
    return next(o for o in options if o.method is method)
