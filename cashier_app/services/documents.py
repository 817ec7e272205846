"""Payment documents: ПД-4, ф. 112ЭП, CONTACT / Euroset information sheets, invoices.

One use case per function, all checked against the permission ``print``:

* :func:`document_options` — what the document dialog shows for a card: the
  kinds with availability and reasons, the default amount, the payer prefilled.
* :func:`issue` — builds the :class:`ReceiptDTO` from the database, enforces
  every rule *before* anything is made (refusals are one
  :class:`RuleViolation` listing every reason), reserves the journal number,
  renders and journals the document in one transaction.
* :func:`debtors_batch` (in :mod:`.document_batch`) — ПД-4 for every account with a
  negative balance, streamed from the database in keyset pages into ``Pd4Batch``.
* :func:`journal_lines` / :func:`list_office_documents` (in :mod:`.document_journal`)
  — the documents of a card and of the whole office.

The batch, the journal views and the shared helpers (:mod:`.document_parts`) are
re-exported here, so callers keep using ``services.documents``; importing this module
also imports :mod:`.document_batch`, which registers the ``pd4_batch`` journal kind.

The rules for bookings come from ``domain.booking_rules.payment_options`` — the
same answer the booking card shows — so a method the card greys out cannot be
printed through a side door.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from cashier_app.domain.booking_rules import AmountMode, MethodOption, fee_minor
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.domain.money import check_amount, format_money
from cashier_app.domain.requisites import validate_inn
from cashier_app.domain.tours import PAYMENT_METHOD_LABELS, format_date_ru
from cashier_app.i18n import N_, tr
from cashier_app.printing.documents import params_to_receipt, payload_text, receipt_to_params, render
from cashier_app.printing.dto import DocumentKind, ReceiptDTO, TargetKind
from cashier_app.services import journal
from cashier_app.services.context import DeskContext

# Re-exported: the UI, the CLI, the benches and the tests use them as ``documents.…``.
# Importing document_batch also registers the pd4_batch renderer and params loader.
from cashier_app.services.document_batch import BatchResult as BatchResult
from cashier_app.services.document_batch import Progress as Progress
from cashier_app.services.document_batch import ProgressPrinter as ProgressPrinter
from cashier_app.services.document_batch import count_debtors as count_debtors
from cashier_app.services.document_batch import debtors_batch as debtors_batch
from cashier_app.services.document_journal import OFFICE_DOCUMENT_ROWS as OFFICE_DOCUMENT_ROWS
from cashier_app.services.document_journal import DocumentFilter as DocumentFilter
from cashier_app.services.document_journal import DocumentsPage as DocumentsPage
from cashier_app.services.document_journal import JournalLine as JournalLine
from cashier_app.services.document_journal import document_kinds as document_kinds
from cashier_app.services.document_journal import journal_lines as journal_lines
from cashier_app.services.document_journal import list_office_documents as list_office_documents
from cashier_app.services.document_parts import ACCOUNT_KINDS as ACCOUNT_KINDS
from cashier_app.services.document_parts import AMOUNT_FIELD as AMOUNT_FIELD
from cashier_app.services.document_parts import BOOKING_KINDS as BOOKING_KINDS
from cashier_app.services.document_parts import JOURNAL_KIND_LABELS as JOURNAL_KIND_LABELS
from cashier_app.services.document_parts import KIND_LABELS as KIND_LABELS
from cashier_app.services.document_parts import METHOD_OF_KIND as METHOD_OF_KIND
from cashier_app.services.document_parts import (
    _account,
    _account_suggested,
    _booking,
    _booking_state,
    _fields_of,
    _lead,
    _option_for,
    _purpose,
)
from cashier_app.services.document_parts import payee_dto as payee_dto
from cashier_app.services.document_parts import payee_problems as payee_problems
from cashier_app.services.document_parts import resolve_kind as resolve_kind
from cashier_app.services.document_payer import PayerFields as PayerFields  # re-exported for the UI and CLI
from cashier_app.services.document_payer import PayerInput as PayerInput
from cashier_app.services.document_payer import apply_input as apply_input
from cashier_app.services.document_payer import missing_post_fields as missing_post_fields
from cashier_app.services.document_payer import payer_dto as _payer_dto
from cashier_app.services.document_payer import payer_problems as payer_problems
from cashier_app.services.journal import IssuedDocument
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

# -- inputs and outputs ---------------------------------------------------------------


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



def _kind_option(kind: DocumentKind, o: MethodOption) -> KindOption:
    amount = (o.max_rub_minor or 0) if o.available else 0
    fee = (o.fee_rub_minor or 0) if o.available else 0
    return KindOption(kind=str(kind), label=tr(KIND_LABELS[kind]), available=o.available, reason=o.reason,
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
            kinds = [KindOption(kind=str(DocumentKind.PD4), label=tr(KIND_LABELS[DocumentKind.PD4]), available=True,
                                reason=None, amount_editable=True, amount_rub_minor=suggested, fee_percent="0",
                                fee_rub_minor=0, total_rub_minor=suggested, valid_until=None)]
            return DocumentOptions("account", a.number, p.code, p.name, _fields_of(a.contract, a.contract.full_name),
                                   kinds, None, None, None, today)
        if booking is None:
            raise ValidationError(N_("Счёт или заявка"), tr("укажите лицевой счёт или заявку"))
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




def _draft(s: Session, kind: DocumentKind, *, account: str | None, booking: str | None,
           amount_rub_minor: int | None, payer: PayerInput | None, today: date) -> _Draft:
    """Everything the document needs, or a RuleViolation with every reason at once."""
    reasons: list[str] = []
    if account is not None:
        a = _account(s, account)
        if kind not in ACCOUNT_KINDS:
            raise RuleViolation(tr("для лицевого счёта печатается только квитанция ПД-4, не «{kind}»",
                                   kind=tr(KIND_LABELS[kind])))
        p = s.get(m.Payee, a.contract.payee_id)
        assert p is not None
        payee = payee_dto(p)
        amount = amount_rub_minor if amount_rub_minor is not None else _account_suggested(a)
        if amount <= 0:
            reasons.append(tr("{field}: баланс покрывает месяц, сумма к оплате 0 — укажите сумму предоплаты",
                              field=tr(AMOUNT_FIELD)))
        fields_ = apply_input(_fields_of(a.contract, a.contract.full_name), payer)
        if not fields_.full_name.strip():
            reasons.append(tr("Ф.И.О. плательщика: не заполнено"))
        reasons.extend(payer_problems(fields_, post_form=False))
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
    label = tr(PAYMENT_METHOD_LABELS[o.method])
    if not o.available:
        # One reason per item: status, missing rate, too close to departure…
        reasons.extend(f"{label}: {r}" for r in (o.reason or tr("недоступно")).split("; "))
    amount = fee = tour_amount = 0
    if o.available:
        assert o.max_rub_minor is not None
        full = o.max_rub_minor
        amount = full if amount_rub_minor is None else amount_rub_minor
        if o.amount_mode is AmountMode.FULL_ONLY and amount != full:
            reasons.append(tr("{field}: {label} — только полная оплата, {amount}", field=tr(AMOUNT_FIELD),
                              label=label, amount=format_money(full)))
        elif amount > full:
            reasons.append(tr("{field}: не больше суммы к оплате {amount}", field=tr(AMOUNT_FIELD),
                              amount=format_money(full)))
        elif o.min_rub_minor is not None and amount < o.min_rub_minor:
            reasons.append(tr("{field}: не меньше {amount}", field=tr(AMOUNT_FIELD),
                              amount=format_money(o.min_rub_minor)))
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
    reasons.extend(payer_problems(fields_, post_form=kind is DocumentKind.POST112))
    if kind is DocumentKind.POST112:
        # The names come translated (domain.booking_rules.post_form_missing_fields).
        reasons.extend(tr("ф. 112ЭП: не заполнено поле «{field}»", field=f) for f in missing_post_fields(fields_))
        if not payee.address.strip() or not (payee.postal_index.isdigit() and len(payee.postal_index) == 6):
            reasons.append(tr("ф. 112ЭП: у получателя «{name}» нет адреса с индексом из 6 цифр", name=payee.name))
    elif not fields_.full_name.strip() and kind is not DocumentKind.INVOICE:
        reasons.append(tr("Ф.И.О. плательщика: не заполнено"))
    if kind is DocumentKind.INVOICE:
        buyer_name = " ".join((payer.buyer_name or "").split()) if payer else ""
        if not buyer_name:
            reasons.append(tr("Покупатель: укажите наименование организации"))
        raw_inn = (payer.buyer_inn if payer else None) or ""
        try:
            buyer_inn = validate_inn(raw_inn, N_("ИНН покупателя"))
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
        raise ValidationError(N_("Счёт или заявка"), tr("укажите либо лицевой счёт, либо заявку"))
    if amount_rub_minor is not None:  # None: what is due
        check_amount(amount_rub_minor, AMOUNT_FIELD)
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


def describe_option(o: KindOption) -> str:
    """One line for the dialog: amount, fee, total, validity."""
    parts = [format_money(o.amount_rub_minor)]
    if o.fee_rub_minor:
        parts.append(tr("комиссия {percent} % {fee}, итого {total}", percent=o.fee_percent,
                        fee=format_money(o.fee_rub_minor), total=format_money(o.total_rub_minor)))
    if o.valid_until:
        parts.append(tr("действительна только {day}", day=format_date_ru(o.valid_until)))
    return "; ".join(parts)
