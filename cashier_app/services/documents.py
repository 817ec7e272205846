"""Payment documents: ПД-4, ф. 112ЭП, CONTACT / Euroset information sheets, invoices.

One use case per function, all checked against the permission ``print``:

* :func:`document_options` — what the document dialog shows for a card: the
  kinds with availability and reasons, the default amount, the payer prefilled.
* :func:`issue` — builds the :class:`ReceiptDTO` from the database, enforces
  every rule *before* anything is made (refusals are one
  :class:`RuleViolation` listing every reason), reserves the journal number,
  renders and journals the document in one transaction.
* :func:`debtors_batch` — ПД-4 for every account with a negative balance,
  streamed from the database in keyset pages into ``Pd4Batch``.

The rules for bookings come from ``domain.booking_rules.payment_options`` — the
same answer the booking card shows — so a method the card greys out cannot be
printed through a side door.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from cashier_app.domain.accounts import monthly_charge, suggested_payment
from cashier_app.domain.booking_rules import (
    AmountMode,
    MethodOption,
    PayerAddress,
    PayerDetails,
    fee_minor,
    payment_options,
    post_form_missing_fields,
    split_address,
    split_full_name,
)
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.domain.money import ABSURD_AMOUNT_MINOR, format_money
from cashier_app.domain.requisites import validate_inn, validate_payee
from cashier_app.domain.tours import PAYMENT_METHOD_LABELS, PaymentMethod, format_date_ru
from cashier_app.printing.documents import (
    PARAMS_VERSION,
    batch_item,
    params_to_receipt,
    payload_text,
    receipt_to_params,
    render,
)
from cashier_app.printing.dto import DocumentKind, PayeeDTO, PayerDTO, ReceiptDTO, TargetKind
from cashier_app.services import audit, journal
from cashier_app.services.context import DeskContext, day_start_utc
from cashier_app.services.journal import IssuedDocument
from cashier_app.services.permissions import require
from cashier_app.services.travel_facts import booking_facts, latest_rate
from cashier_app.storage import models as m

# A batch is one journal entry; its receipts are rows of document_batch_items, and the
# renderer re-makes the whole PDF from them.
journal.RENDERERS.setdefault("pd4_batch", "cashier_app.printing.documents:render_batch_params")


def _load_batch_params(s: Session, doc: m.Document) -> dict[str, Any]:
    rows = s.execute(
        select(m.DocumentBatchItem.params)
        .where(m.DocumentBatchItem.batch_number == doc.number)
        .order_by(m.DocumentBatchItem.position)
    ).scalars()
    return {**doc.params, "receipts": list(rows)}


journal.PARAMS_LOADERS["pd4_batch"] = _load_batch_params

AMOUNT_FIELD = "Сумма"

KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.PD4: "Квитанция ПД-4 (банк)",
    DocumentKind.POST112: "Почтовый перевод ф. 112ЭП",
    DocumentKind.INFO_CONTACT: "Информационный лист CONTACT",
    DocumentKind.INFO_EUROSET: "Информационный лист «Евросеть»",
    DocumentKind.INVOICE: "Счёт на оплату (юрлицо)",
}
JOURNAL_KIND_LABELS: dict[str, str] = {str(k): v for k, v in KIND_LABELS.items()} | {
    "pd4_batch": "Пачка ПД-4 должникам", "slip": "Квитанция об оплате", "z_report": "Z-отчёт",
    "x_report": "X-отчёт", "refund_application": "Заявление на возврат",
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


# -- inputs and outputs ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerInput:
    """What the cashier typed over the prefilled payer; ``None`` keeps the value from the card.

    ``address`` is a whole line («344038, Ростовская обл., г. Ростов-на-Дону, …»)
    split into parts; a part given on its own wins over the split.
    """

    full_name: str | None = None
    address: str | None = None
    postal_index: str | None = None
    region: str | None = None
    city: str | None = None
    street: str | None = None
    house: str | None = None
    flat: str | None = None
    inn: str | None = None
    buyer_name: str | None = None
    buyer_inn: str | None = None


@dataclass(frozen=True, slots=True)
class PayerFields:
    """The payer as the dialog prefills it (every field a string)."""

    full_name: str = ""
    postal_index: str = ""
    region: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""
    inn: str = ""

    @property
    def address_line(self) -> str:
        """The address without the index (PayerDTO puts the index in front)."""
        pieces = [self.region if self.region != self.city else "", self.city, self.street]
        if self.house:
            pieces.append(f"д. {self.house}")
        if self.flat:
            pieces.append(f"кв. {self.flat}")
        return ", ".join(p for p in pieces if p)


@dataclass(frozen=True, slots=True)
class KindOption:
    kind: str  # DocumentKind value
    label: str
    available: bool
    reason: str | None
    amount_editable: bool
    amount_rub_minor: int  # the default amount (what the payee receives), 0 when unavailable
    fee_percent: str
    fee_rub_minor: int
    total_rub_minor: int
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class DocumentOptions:
    target_kind: str  # account | booking
    number: str
    payee_code: str
    payee_name: str
    payer: PayerFields
    kinds: list[KindOption]
    currency: str | None  # the tour currency for a booking
    rate: str | None
    rate_day: date | None
    today: date

    def option(self, kind: str) -> KindOption:
        return next(k for k in self.kinds if k.kind == kind)


@dataclass(frozen=True, slots=True)
class JournalLine:
    number: str
    kind: str
    kind_label: str
    amount_minor: int
    currency: str
    issued_at: datetime
    valid_until: date | None
    desk: str
    sha256: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    number: str | None  # journal number of the batch; None when cancelled or empty
    count: int
    pages: int
    total_minor: int
    sha256: str | None
    path: str
    cancelled: bool = False


# -- helpers ------------------------------------------------------------------------


def resolve_kind(kind: str, method: str | None = None) -> DocumentKind:
    """``info`` + ``contact|euroset`` → the information sheet kind; the rest as is."""
    k = (kind or "").strip().lower()
    if k == "info":
        if method not in ("contact", "euroset"):
            raise ValidationError("Способ", "для информационного листа укажите contact или euroset")
        return DocumentKind.INFO_CONTACT if method == "contact" else DocumentKind.INFO_EUROSET
    try:
        return DocumentKind(k)
    except ValueError as exc:
        raise ValidationError("Вид документа", f"«{kind}» — неизвестный вид; нужен pd4, post112, info или invoice") from exc


def payee_dto(p: m.Payee) -> PayeeDTO:
    return PayeeDTO(code=p.code, name=p.name, inn=p.inn, kpp=p.kpp or "", account=p.account,
                    bank_name=p.bank_name, bic=p.bic, corr_account=p.corr_account,
                    postal_index=p.postal_index or "", address=p.address or "", tech_code=p.tech_code or "")


def payee_problems(p: PayeeDTO) -> list[str]:
    """Requisites are checked again before printing: an edited-in-the-DB typo must not reach a bank."""
    return [f"Реквизиты получателя «{p.name}»: {err}"
            for err in validate_payee(p.name, p.inn, p.kpp, p.bic, p.account, p.corr_account)]


def _purpose(template: str, number: str, kind: TargetKind) -> str:
    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return number

    text = template.format_map(_Keep(account=number, booking=number)) if template else ""
    if not text:
        text = (f"Оплата по лицевому счёту {number}" if kind is TargetKind.ACCOUNT
                else f"Оплата туристских услуг по заявке {number}")
    return text[:210]


def _fields_of(obj: m.Contract | m.Tourist, full_name: str) -> PayerFields:
    return PayerFields(full_name=full_name, postal_index=obj.postal_index or "", region=obj.region or "",
                       city=obj.city or "", street=obj.street or "", house=obj.house or "", flat=obj.flat or "")


def apply_input(base: PayerFields, given: PayerInput | None) -> PayerFields:
    """The prefilled payer with the cashier's edits laid over it."""
    if given is None:
        return base
    f = base
    if given.address is not None:
        a = split_address(given.address)
        f = replace(f, postal_index=a.postal_index, region=a.region, city=a.city, street=a.street,
                    house=a.house, flat=a.flat)
    for name in ("full_name", "postal_index", "region", "city", "street", "house", "flat", "inn"):
        value = getattr(given, name)
        if value is not None:
            f = replace(f, **{name: " ".join(value.split())})
    return f


def missing_post_fields(payer: PayerFields) -> list[str]:
    """Russian names of the ф. 112ЭП fields still empty; no form while this is non-empty."""
    surname, first, patronymic = split_full_name(payer.full_name)
    return post_form_missing_fields(PayerDetails(
        surname, first, patronymic,
        PayerAddress(postal_index=payer.postal_index, region=payer.region, city=payer.city, street=payer.street,
                     house=payer.house, flat=payer.flat),
    ))


def _payer_dto(f: PayerFields) -> PayerDTO:
    surname, first, patronymic = split_full_name(f.full_name)
    return PayerDTO(full_name=f.full_name, surname=surname, first_name=first, patronymic=patronymic,
                    address=f.address_line, postal_index=f.postal_index, region=f.region, city=f.city,
                    street=f.street, house=f.house, flat=f.flat, inn=f.inn)


def _lead(b: m.Booking) -> m.Tourist | None:
    return next((t for t in b.tourists if t.is_lead), b.tourists[0] if b.tourists else None)


def _account(s: Session, number: str) -> m.Account:
    a = s.execute(select(m.Account).where(m.Account.number == number)).unique().scalar_one_or_none()
    if a is None:
        raise NotFound(f"Лицевой счёт «{number}» не найден (номер вводится точно, с нулями впереди).")
    return a


def _booking(s: Session, number: str) -> m.Booking:
    b = s.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one_or_none()
    if b is None:
        raise NotFound(f"Заявка № {number} не найдена.")
    return b


def _account_suggested(a: m.Account) -> int:
    fees = [x.service.monthly_fee_minor for x in a.services]
    monthly = monthly_charge(a.tariff.monthly_fee_minor if a.tariff else 0, fees, a.block_state)
    return suggested_payment(monthly, a.balance_minor)


def _booking_state(s: Session, b: m.Booking, today: date) -> tuple[list[MethodOption], Decimal | None, date | None]:
    rate, rate_day = latest_rate(s, b.currency, today)
    return payment_options(booking_facts(s, b, today), today, rate, rate_day), rate, rate_day


def _option_for(options: list[MethodOption], kind: DocumentKind) -> MethodOption:
    method = METHOD_OF_KIND[kind]
    return next(o for o in options if o.method is method)


def _kind_option(kind: DocumentKind, o: MethodOption) -> KindOption:
    amount = (o.max_rub_minor or 0) if o.available else 0
    fee = (o.fee_rub_minor or 0) if o.available else 0
    return KindOption(kind=str(kind), label=KIND_LABELS[kind], available=o.available, reason=o.reason,
                      amount_editable=o.amount_mode is AmountMode.UP_TO_DUE, amount_rub_minor=amount,
                      fee_percent=str(o.fee_percent), fee_rub_minor=fee, total_rub_minor=amount + fee,
                      valid_until=o.valid_until)


# -- the dialog's view ----------------------------------------------------------------


def document_options(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
                     today: date | None = None) -> DocumentOptions:
    """Kinds, amounts and the prefilled payer for the document dialog of one card."""
    require(ctx, "print")
    today = today or ctx.today()
    with ctx.db.read() as uow:
        s = uow.session
        if account is not None:
            a = _account(s, account)
            p = s.get(m.Payee, a.contract.payee_id)
            assert p is not None
            suggested = _account_suggested(a)
            kinds = [KindOption(kind=str(DocumentKind.PD4), label=KIND_LABELS[DocumentKind.PD4], available=True,
                                reason=None, amount_editable=True, amount_rub_minor=suggested, fee_percent="0",
                                fee_rub_minor=0, total_rub_minor=suggested, valid_until=None)]
            return DocumentOptions("account", a.number, p.code, p.name, _fields_of(a.contract, a.contract.full_name),
                                   kinds, None, None, None, today)
        if booking is None:
            raise ValidationError("Счёт или заявка", "укажите лицевой счёт или заявку")
        b = _booking(s, booking)
        p = s.get(m.Payee, b.payee_id)
        assert p is not None
        options, rate, rate_day = _booking_state(s, b, today)
        lead = _lead(b)
        payer = _fields_of(lead, lead.full_name) if lead else PayerFields()
        return DocumentOptions("booking", b.number, p.code, p.name, payer,
                               [_kind_option(k, _option_for(options, k)) for k in BOOKING_KINDS],
                               b.currency, None if rate is None else str(rate), rate_day, today)


# -- issuing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draft:
    receipt: ReceiptDTO  # document_number still empty-ish: set once the number is reserved
    account_id: int | None
    booking_id: int | None
    payee_id: int


def _check_amount_value(amount: int | None) -> None:
    if amount is None:
        return
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amount_rub_minor must be int kopecks")
    if amount <= 0:
        raise ValidationError(AMOUNT_FIELD, "сумма должна быть больше нуля")
    if amount > ABSURD_AMOUNT_MINOR:
        raise ValidationError(AMOUNT_FIELD, f"слишком большая сумма: {format_money(amount)}")


def _draft(s: Session, kind: DocumentKind, *, account: str | None, booking: str | None,
           amount_rub_minor: int | None, payer: PayerInput | None, today: date) -> _Draft:
    """Everything the document needs, or a RuleViolation with every reason at once."""
    reasons: list[str] = []
    if account is not None:
        a = _account(s, account)
        if kind not in ACCOUNT_KINDS:
            raise RuleViolation(f"для лицевого счёта печатается только квитанция ПД-4, не «{KIND_LABELS[kind]}»")
        p = s.get(m.Payee, a.contract.payee_id)
        assert p is not None
        payee = payee_dto(p)
        amount = amount_rub_minor if amount_rub_minor is not None else _account_suggested(a)
        if amount <= 0:
            reasons.append(f"{AMOUNT_FIELD}: баланс покрывает месяц, сумма к оплате 0 — укажите сумму предоплаты")
        fields_ = apply_input(_fields_of(a.contract, a.contract.full_name), payer)
        if not fields_.full_name.strip():
            reasons.append("Ф.И.О. плательщика: не заполнено")
        reasons.extend(payee_problems(payee))
        if reasons:
            raise RuleViolation(reasons)
        receipt = ReceiptDTO(
            document_number="-", kind=kind, payee=payee, payer=_payer_dto(fields_),
            target_kind=TargetKind.ACCOUNT, target_number=a.number,
            purpose=_purpose(p.purpose_template, a.number, TargetKind.ACCOUNT), amount_minor=amount,
            issue_date=today,
        )
        return _Draft(receipt, a.id, None, p.id)

    assert booking is not None
    b = _booking(s, booking)
    p = s.get(m.Payee, b.payee_id)
    assert p is not None
    payee = payee_dto(p)
    options, rate, _rate_day = _booking_state(s, b, today)
    o = _option_for(options, kind)
    label = PAYMENT_METHOD_LABELS[o.method]
    if not o.available:
        # One reason per item: status, missing rate, too close to departure…
        reasons.extend(f"{label}: {r}" for r in (o.reason or "недоступно").split("; "))
    amount = fee = tour_amount = 0
    if o.available:
        assert o.max_rub_minor is not None
        full = o.max_rub_minor
        amount = full if amount_rub_minor is None else amount_rub_minor
        if o.amount_mode is AmountMode.FULL_ONLY and amount != full:
            reasons.append(f"{AMOUNT_FIELD}: {label} — только полная оплата, {format_money(full)}")
        elif amount > full:
            reasons.append(f"{AMOUNT_FIELD}: не больше суммы к оплате {format_money(full)}")
        elif o.min_rub_minor is not None and amount < o.min_rub_minor:
            reasons.append(f"{AMOUNT_FIELD}: не меньше {format_money(o.min_rub_minor)}")
        fee = fee_minor(amount, o.fee_percent)
        day_rate = Decimal(1) if b.currency == "RUB" else rate
        assert day_rate is not None
        # The full amount maps back exactly; a part is rounded once to the cent of the tour currency.
        tour_amount = o.max_minor if amount == full else int(
            (Decimal(amount) / day_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        tour_amount = max(tour_amount, 1)
    lead = _lead(b)
    if kind is DocumentKind.INVOICE:
        # The buyer is an organisation: the tourist's home address is not its address.
        fields_ = apply_input(PayerFields(), payer)
    else:
        fields_ = apply_input(_fields_of(lead, lead.full_name) if lead else PayerFields(), payer)
    buyer_name = buyer_inn = ""
    if kind is DocumentKind.POST112:
        reasons.extend(f"ф. 112ЭП: не заполнено поле «{f}»" for f in missing_post_fields(fields_))
        if not payee.address.strip() or not (payee.postal_index.isdigit() and len(payee.postal_index) == 6):
            reasons.append(f"ф. 112ЭП: у получателя «{payee.name}» нет адреса с индексом из 6 цифр")
    elif not fields_.full_name.strip() and kind is not DocumentKind.INVOICE:
        reasons.append("Ф.И.О. плательщика: не заполнено")
    if kind is DocumentKind.INVOICE:
        buyer_name = " ".join((payer.buyer_name or "").split()) if payer else ""
        if not buyer_name:
            reasons.append("Покупатель: укажите наименование организации")
        raw_inn = (payer.buyer_inn if payer else None) or ""
        try:
            buyer_inn = validate_inn(raw_inn, "ИНН покупателя")
        except ValidationError as err:
            reasons.append(str(err))
    reasons.extend(payee_problems(payee))
    if reasons:
        raise RuleViolation(reasons)
    rate_parts: dict[str, Any] = {}
    if b.currency != "RUB":
        assert rate is not None
        rate_parts = dict(currency=b.currency, rate=rate, rate_date=today, tour_amount_minor=tour_amount)
    receipt = ReceiptDTO(
        document_number="-", kind=kind, payee=payee, payer=_payer_dto(fields_),
        target_kind=TargetKind.BOOKING, target_number=b.number,
        purpose=_purpose(p.purpose_template, b.number, TargetKind.BOOKING), amount_minor=amount,
        issue_date=today, fee_minor=fee, valid_until=o.valid_until, buyer_name=buyer_name, buyer_inn=buyer_inn,
        **rate_parts,
    )
    return _Draft(receipt, None, b.id, p.id)


def issue(
    ctx: DeskContext,
    kind: str,
    *,
    account: str | None = None,
    booking: str | None = None,
    amount_rub_minor: int | None = None,
    method: str | None = None,
    payer: PayerInput | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> IssuedDocument:
    """Make one payment document and journal it; nothing is written when a rule refuses.

    ``amount_rub_minor`` is what the payee receives, in kopecks (a fee goes on
    top); ``None`` means the account's suggested amount or the booking's full
    amount due at today's rate.
    """
    require(ctx, "print")
    doc_kind = resolve_kind(kind, method)
    if (account is None) == (booking is None):
        raise ValidationError("Счёт или заявка", "укажите либо лицевой счёт, либо заявку")
    _check_amount_value(amount_rub_minor)
    today = today or ctx.today()
    with ctx.db.uow() as uow:
        s = uow.session
        draft = _draft(s, doc_kind, account=account, booking=booking, amount_rub_minor=amount_rub_minor,
                       payer=payer, today=today)
        number = journal.reserve_number(s)
        params = receipt_to_params(replace(draft.receipt, document_number=number))
        # Rendered from the stored params, exactly as a reprint will do it.
        receipt = params_to_receipt(params)
        rendered = render(receipt)
        issued = journal.record(
            s, ctx, number=number, kind=str(doc_kind), params=params, pdf=rendered.pdf,
            amount_minor=receipt.amount_minor, qr_payload=payload_text(rendered.qr_payload),
            account_id=draft.account_id, booking_id=draft.booking_id, payee_id=draft.payee_id,
            valid_until=receipt.valid_until, now=now,
        )
        uow.commit()
        return issued


def reprint(ctx: DeskContext, number: str) -> IssuedDocument:
    """Byte-identical copy of a journaled document."""
    require(ctx, "print")
    return journal.reprint(ctx.db, ctx, number.strip())


def journal_lines(ctx: DeskContext, *, account: str | None = None, booking: str | None = None,
                  limit: int = 200) -> list[JournalLine]:
    """The documents of one card (or of the whole office), newest first."""
    require(ctx, "print")
    account_id = booking_id = None
    with ctx.db.read() as uow:
        s = uow.session
        if account is not None:
            account_id = _account(s, account).id
        if booking is not None:
            booking_id = s.execute(select(m.Booking.id).where(m.Booking.number == booking)).scalar()
            if booking_id is None:
                raise NotFound(f"Заявка № {booking} не найдена.")
    rows = journal.list_documents(ctx.db, account_id=account_id, booking_id=booking_id, limit=limit)
    return [JournalLine(number=r["number"], kind=r["kind"], kind_label=JOURNAL_KIND_LABELS.get(r["kind"], r["kind"]),
                        amount_minor=r["amount_minor"], currency=r["currency"], issued_at=r["issued_at"],
                        valid_until=r["valid_until"], desk=r["desk"], sha256=r["sha256"])
            for r in rows]


# -- the debtors batch ------------------------------------------------------------------

Progress = Callable[[int, int], None]


def _debtor_filter(payee_id: int | None) -> list[Any]:
    conds: list[Any] = [m.Account.balance_minor < 0]
    if payee_id is not None:
        conds.append(m.Contract.payee_id == payee_id)
    return conds


def count_debtors(ctx: DeskContext, payee: str | None = None) -> int:
    with ctx.db.read() as uow:
        payee_id = _payee_id(uow.session, payee)
        return int(uow.session.execute(
            select(func.count()).select_from(m.Account).join(m.Contract).where(*_debtor_filter(payee_id))
        ).scalar_one())


def _payee_id(s: Session, code: str | None) -> int | None:
    if code is None:
        return None
    pid = s.execute(select(m.Payee.id).where(m.Payee.code == code)).scalar()
    if pid is None:
        raise NotFound(f"Получатель «{code}» не найден.")
    return pid


def _debtor_pages(ctx: DeskContext, payee_id: int | None, limit: int | None, page: int) -> Iterator[list[Any]]:
    """Keyset pages of debtor rows (id order); each page in its own short read, so no lock is held."""
    last_id = 0
    left = limit
    while left is None or left > 0:
        n = page if left is None else min(page, left)
        with ctx.db.read() as uow:
            s = uow.session
            rows = s.execute(
                select(m.Account.id, m.Account.number, m.Account.balance_minor, m.Account.block_state,
                       m.Tariff.monthly_fee_minor, m.Contract.payee_id, m.Contract.full_name,
                       m.Contract.postal_index, m.Contract.region, m.Contract.city, m.Contract.street,
                       m.Contract.house, m.Contract.flat)
                .join(m.Contract, m.Account.contract_id == m.Contract.id)
                .outerjoin(m.Tariff, m.Account.tariff_id == m.Tariff.id)
                .where(*_debtor_filter(payee_id), m.Account.id > last_id)
                .order_by(m.Account.id).limit(n)
            ).all()
            if not rows:
                return
            ids = [r[0] for r in rows]
            fees: dict[int, int] = dict(s.execute(  # type: ignore[arg-type]
                select(m.AccountService.account_id, func.sum(m.Service.monthly_fee_minor))
                .join(m.Service, m.AccountService.service_id == m.Service.id)
                .where(m.AccountService.account_id.in_(ids))
                .group_by(m.AccountService.account_id)
            ).all())
        yield [(*r, int(fees.get(r[0], 0) or 0)) for r in rows]
        last_id = rows[-1][0]
        if left is not None:
            left -= len(rows)
        if len(rows) < n:
            return


def debtors_batch(
    ctx: DeskContext,
    path: str | Path,
    *,
    payee: str | None = None,
    limit: int | None = None,
    workers: int = 0,
    chunk_size: int = 100,
    page_size: int = 500,
    today: date | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """ПД-4 for every account with a negative balance (amount = the suggested amount), into one PDF.

    Rows are read in keyset pages and streamed into ``Pd4Batch``; the PDF is
    written to a temp file and moved to ``path`` only when complete, so a
    cancel (``cancel.set()``) or a failure leaves no half-written file.  The
    batch is one journal entry of kind ``pd4_batch`` (its number printed on
    every receipt as ``D-…/00001``), recorded once the file is in place.
    """
    from cashier_app.printing.pd4 import Pd4Batch

    require(ctx, "print")
    if limit is not None and limit < 1:
        raise ValidationError("--limit", "нужно положительное число")
    today = today or ctx.today()
    with ctx.db.read() as uow:
        s = uow.session
        payee_id = _payee_id(s, payee)
        payees = {p.id: p for p in s.execute(select(m.Payee)).scalars()}
        total = int(s.execute(
            select(func.count()).select_from(m.Account).join(m.Contract).where(*_debtor_filter(payee_id))
        ).scalar_one())
    total = min(total, limit) if limit is not None else total
    dtos = {pid: payee_dto(p) for pid, p in payees.items()}
    problems = [msg for pid, dto in dtos.items() if payee_id in (None, pid) and payees[pid].kind == "isp"
                for msg in payee_problems(dto)]
    if problems:
        raise RuleViolation(problems)
    if total == 0:
        return BatchResult(None, 0, 0, 0, None, str(path))

    # The number is taken before rendering because it is printed on every receipt;
    # a cancelled batch leaves a gap in the numbering, never a duplicate.
    with ctx.db.uow() as uow:
        number = journal.reserve_number(uow.session)
        uow.commit()

    total_minor = 0
    done = 0
    used_payees: dict[str, dict[str, Any]] = {}
    pending: list[dict[str, Any]] = []

    def flush_items() -> None:
        # Each page of receipts is stored as it is made: memory stays flat whatever the batch size.
        if pending:
            with ctx.db.uow() as w:
                w.session.execute(insert(m.DocumentBatchItem), pending)
                w.commit()
            pending.clear()

    def discard_items() -> None:
        with ctx.db.uow() as w:
            w.session.execute(delete(m.DocumentBatchItem).where(m.DocumentBatchItem.batch_number == number))
            w.commit()

    batch = Pd4Batch(str(path), workers=workers, chunk_size=chunk_size)
    try:
        for page in _debtor_pages(ctx, payee_id, limit, page_size):
            for (_aid, acc, balance, block_state, tariff_fee, pid, full_name, idx, region, city, street, house,
                 flat, services_fee) in page:
                if cancel is not None and cancel.is_set():
                    batch.abort()
                    discard_items()
                    return BatchResult(None, done, 0, total_minor, None, str(path), cancelled=True)
                amount = suggested_payment(monthly_charge(tariff_fee or 0, [services_fee], block_state), balance)
                fields_ = PayerFields(full_name=full_name, postal_index=idx or "", region=region or "",
                                      city=city or "", street=street or "", house=house or "", flat=flat or "")
                receipt = ReceiptDTO(
                    document_number=f"{number}/{done + 1:05d}", kind=DocumentKind.PD4, payee=dtos[pid],
                    payer=_payer_dto(fields_), target_kind=TargetKind.ACCOUNT, target_number=acc,
                    purpose=_purpose(payees[pid].purpose_template, acc, TargetKind.ACCOUNT), amount_minor=amount,
                    issue_date=today,
                )
                batch.add(receipt)
                item, payee_params = batch_item(receipt)
                used_payees[payee_params["code"]] = payee_params
                total_minor += amount
                done += 1
                pending.append({"batch_number": number, "position": done, "params": item})
                if progress is not None:
                    progress(done, total)
            flush_items()
        if cancel is not None and cancel.is_set():
            batch.abort()
            discard_items()
            return BatchResult(None, done, 0, total_minor, None, str(path), cancelled=True)
        batch.close()
    except BaseException:
        batch.abort()
        discard_items()
        raise
    digest = _file_sha256(Path(path))
    params = {"v": PARAMS_VERSION, "payees": used_payees, "chunk_size": chunk_size, "count": done}
    when = now or datetime.now(UTC)
    with ctx.db.uow() as uow:
        s = uow.session
        s.add(m.Document(
            number=number, kind="pd4_batch", account_id=None, booking_id=None, payee_id=payee_id,
            amount_minor=total_minor, currency="RUB", qr_payload=None, pdf_sha256=digest, params=params,
            issued_at=when, valid_until=None, desk=ctx.desk, user_id=ctx.user.id if ctx.user else None,
        ))
        s.flush()
        audit.record(s, ctx, "document.issue", "document", number, None,
                     {"kind": "pd4_batch", "count": done, "amount_minor": total_minor, "sha256": digest}, now=when)
        uow.commit()
    return BatchResult(number, done, batch.pages, total_minor, digest, str(path))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class ProgressPrinter:
    """``\\r  1234/5000 (24 %) 180/s`` on a terminal, redrawn at most 5 times a second."""

    def __init__(self, stream: Any, interval: float = 0.2) -> None:
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        rate = done / max(now - self.started, 1e-6)
        pct = done * 100 // total if total else 100
        self.stream.write(f"\r  {done}/{total} ({pct} %) {rate:.0f}/s")
        self.stream.flush()
        if done >= total:
            self.stream.write("\n")
            self.stream.flush()


def describe_option(o: KindOption) -> str:
    """One line for the dialog: amount, fee, total, validity."""
    parts = [format_money(o.amount_rub_minor)]
    if o.fee_rub_minor:
        parts.append(f"комиссия {o.fee_percent} % {format_money(o.fee_rub_minor)}, итого {format_money(o.total_rub_minor)}")
    if o.valid_until:
        parts.append(f"действительна только {format_date_ru(o.valid_until)}")
    return "; ".join(parts)


OFFICE_DOCUMENT_ROWS = 200  # one page of the scrolling office journal


# -- the documents journal of the whole office (all desks), filtered by kind and date ----------------


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class DocumentsPage:
    lines: list[JournalLine]
    has_more: bool


def document_kinds() -> dict[str, str]:
    """kind → label, in the order a filter lists them."""
    return {k: JOURNAL_KIND_LABELS.get(k, k) for k in (*JOURNAL_KIND_LABELS,
                                                      *(k for k in journal.RENDERERS if k not in JOURNAL_KIND_LABELS))}


def list_office_documents(ctx: DeskContext, f: DocumentFilter | None = None, *, offset: int = 0,
                   limit: int = OFFICE_DOCUMENT_ROWS) -> DocumentsPage:
    """Every journaled document, newest first (same permission as a card's journal: ``print``)."""
    require(ctx, "print")
    f = f or DocumentFilter()
    kinds = document_kinds()
    if f.kind and f.kind not in kinds:
        raise ValidationError("Вид документа", f"«{f.kind}» — нет такого")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise ValidationError("Дата по", "раньше даты «с»")
    conds = []
    if f.kind:
        conds.append(m.Document.kind == f.kind)
    if f.date_from:
        conds.append(m.Document.issued_at >= day_start_utc(f.date_from))
    if f.date_to:
        conds.append(m.Document.issued_at < day_start_utc(f.date_to + timedelta(days=1)))
    stmt = (select(m.Document.number, m.Document.kind, m.Document.amount_minor, m.Document.currency,
                   m.Document.issued_at, m.Document.valid_until, m.Document.desk, m.Document.pdf_sha256)
            .where(*conds).order_by(m.Document.issued_at.desc(), m.Document.id.desc()).offset(offset).limit(limit + 1))
    with ctx.db.read() as uow:
        rows = uow.session.execute(stmt).all()
    lines = [JournalLine(number=n, kind=k, kind_label=JOURNAL_KIND_LABELS.get(k, k), amount_minor=a, currency=c,
                         issued_at=at, valid_until=vu, desk=d, sha256=h)  # type: ignore[arg-type]
             for n, k, a, c, at, vu, d, h in rows[:limit]]
    return DocumentsPage(lines, len(rows) > limit)
