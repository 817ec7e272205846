"""Payment documents from the demo office: every kind issued, journaled, decoded and reprinted;
every rule refuses before anything is written."""

from __future__ import annotations

import json
import math
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cashier_app.domain.errors import PermissionDenied, RuleViolation
from cashier_app.domain.money import format_amount
from cashier_app.printing.documents import params_to_receipt, receipt_to_params
from cashier_app.printing.gost import parse_payload
from cashier_app.services import documents
from cashier_app.services.context import DeskContext
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_documents import decode_qr, needs_poppler, page_text, rasterise, squeeze
from tests.test_ledger import ctx_for


def journal_count(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(func.count()).select_from(m.Document)).scalar_one()


def booking_where(db, *conds) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        number = uow.session.execute(
            select(m.Booking.number).where(*conds).order_by(m.Booking.id).limit(1)
        ).scalar()
    assert number is not None, "the demo office has no booking for this case"
    return number


def payable_booking(db) -> str:  # type: ignore[no-untyped-def]
    """Confirmed, something due, departure far enough for the post office."""
    return booking_where(db, m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
                         m.Booking.departure_on >= TODAY + timedelta(days=10))


def debtor(db) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(
            select(m.Account.number).where(m.Account.balance_minor < 0).order_by(m.Account.id).limit(1)
        ).scalar_one()


def encoded(payload: str) -> bytes:
    return payload.encode({"1": "cp1251", "2": "utf-8", "3": "koi8-r"}[payload[6]])


def printed(minor: int, text: str) -> bool:
    """An amount as the forms print it: «1 234,56» or «1 234 руб. 56 коп.»."""
    rub, kop = divmod(minor, 100)
    return squeeze(format_amount(minor)) in text or f"{rub}руб.{kop:02d}коп." in text


KINDS = [
    ("pd4", "account", None),
    ("pd4", "booking", None),
    ("post112", "booking", None),
    ("info", "booking", "contact"),
    ("info", "booking", "euroset"),
    ("invoice", "booking", None),
]


@needs_poppler
@pytest.mark.parametrize(("kind", "target", "method"), KINDS, ids=[f"{k}-{t}-{m or ''}" for k, t, m in KINDS])
def test_issue_each_kind_journal_qr_text_reprint(fresh_db, tmp_path: Path, kind: str, target: str,
                                                 method: str | None) -> None:
    ctx = ctx_for(fresh_db)
    payer = documents.PayerInput(buyer_name="ООО «Ромашка»", buyer_inn="7707083893") if kind == "invoice" else None
    number = debtor(fresh_db) if target == "account" else payable_booking(fresh_db)
    opts = documents.document_options(ctx, **{target: number}, today=TODAY)
    doc = documents.issue(ctx, kind, method=method, payer=payer, today=TODAY, **{target: number})

    with fresh_db.read() as uow:
        row = uow.session.execute(select(m.Document).where(m.Document.number == doc.number)).scalar_one()
        payee = uow.session.get(m.Payee, row.payee_id)
        rate = None
        if target == "booking":
            b = uow.session.execute(select(m.Booking).where(m.Booking.number == number)).unique().scalar_one()
            rate = uow.session.execute(select(m.ExchangeRate.rate).where(
                m.ExchangeRate.currency == b.currency, m.ExchangeRate.day == TODAY)).scalar_one()
    assert row.kind == doc.kind
    assert row.pdf_sha256 == doc.sha256
    assert row.qr_payload == doc.qr_payload
    assert (row.account_id is not None) == (target == "account")
    option = opts.option(doc.kind)
    assert row.amount_minor == option.amount_rub_minor > 0

    # The code on the printed page is exactly the journal's payload.
    codes = decode_qr(rasterise(doc.pdf, 150, tmp_path))
    assert codes == [encoded(row.qr_payload)]
    parsed = parse_payload(codes[0])
    assert parsed.sum_kopecks == row.amount_minor
    assert parsed.get("PersAcc") == number

    text = squeeze(page_text(doc.pdf))
    assert squeeze(payee.name) in text
    assert printed(row.amount_minor, text)
    if rate is not None:
        assert squeeze(str(rate).replace(".", ",")) in text or str(rate) in text
        assert TODAY.strftime("%d.%m.%Y") in text
    if method == "contact":
        assert row.valid_until == TODAY
        assert f"Действительнатолько{TODAY:%d.%m.%Y}".lower() in text.lower()
    if method is not None:
        receipt = params_to_receipt(row.params)
        assert receipt.fee_minor == option.fee_rub_minor == (row.amount_minor + 50) // 100
        assert printed(receipt.total_minor, text)

    again = documents.reprint(ctx, doc.number)
    assert again.pdf == doc.pdf


def test_params_round_trip_is_exact_and_json_safe(fresh_db) -> None:
    ctx = ctx_for(fresh_db)
    doc = documents.issue(ctx, "info", method="euroset", booking=payable_booking(fresh_db), today=TODAY)
    with fresh_db.read() as uow:
        params = uow.session.execute(select(m.Document.params).where(m.Document.number == doc.number)).scalar_one()
    receipt = params_to_receipt(params)
    assert isinstance(receipt.rate, Decimal)
    assert receipt_to_params(receipt) == params
    assert json.loads(json.dumps(receipt_to_params(receipt))) == params
    assert params_to_receipt(json.loads(json.dumps(params))) == receipt
    with pytest.raises(ValueError):
        params_to_receipt({**params, "v": 99})


def test_partial_bank_receipt_for_a_booking(fresh_db) -> None:
    ctx = ctx_for(fresh_db)
    number = payable_booking(fresh_db)
    doc = documents.issue(ctx, "pd4", booking=number, amount_rub_minor=1_000_00, today=TODAY)
    r = params_to_receipt(fresh_db and _params(fresh_db, doc.number))
    assert r.amount_minor == 1_000_00
    assert r.rate is not None and r.tour_amount_minor == int((Decimal(1_000_00) / r.rate).to_integral_value())


def _params(db, number: str) -> dict:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Document.params).where(m.Document.number == number)).scalar_one()


# -- refusals: nothing reaches the journal ------------------------------------------------


def refused(db, *args, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    before = journal_count(db)
    with pytest.raises(RuleViolation) as err:
        documents.issue(ctx_for(db), *args, today=TODAY, **kw)
    assert journal_count(db) == before
    assert err.value.reasons
    return err.value.reasons


def test_post_form_refused_under_four_days(fresh_db) -> None:
    number = booking_where(fresh_db, m.Booking.status == "confirmed", m.Booking.paid_minor < m.Booking.price_minor,
                           m.Booking.departure_on.between(TODAY + timedelta(days=1), TODAY + timedelta(days=3)))
    reasons = refused(fresh_db, "post112", booking=number)
    assert any("до вылета" in r and "не меньше 4" in r for r in reasons)
    # The bank receipt for the same booking is fine.
    documents.issue(ctx_for(fresh_db), "pd4", booking=number, today=TODAY)


def test_post_form_lists_every_missing_field(fresh_db) -> None:
    number = payable_booking(fresh_db)
    payer = documents.PayerInput(full_name="Иванов", address="", postal_index="12345")
    reasons = refused(fresh_db, "post112", booking=number, payer=payer)
    text = "\n".join(reasons)
    for label in ("Имя", "Отчество", "Регион", "Город", "Улица", "Дом", "Индекс (6 цифр)"):
        assert f"«{label}" in text, label
    assert "«Фамилия»" not in text
    assert len(reasons) == 7


@pytest.mark.parametrize("method", ["contact", "euroset"])
def test_contact_and_euroset_refuse_a_partial_amount(fresh_db, method: str) -> None:
    reasons = refused(fresh_db, "info", method=method, booking=payable_booking(fresh_db), amount_rub_minor=100_00)
    assert any(r.startswith("Сумма:") and "только полная оплата" in r for r in reasons)


def test_post_form_refuses_a_partial_amount(fresh_db) -> None:
    reasons = refused(fresh_db, "post112", booking=payable_booking(fresh_db), amount_rub_minor=100_00)
    assert any("только полная оплата" in r for r in reasons)


@pytest.mark.parametrize(("status", "reason"), [("awaiting", "не подтверждена"), ("cancelled", "аннулирована")])
def test_unconfirmed_or_cancelled_booking_gets_no_document(fresh_db, status: str, reason: str) -> None:
    number = booking_where(fresh_db, m.Booking.status == status)
    for kind, method in (("pd4", None), ("post112", None), ("info", "contact"), ("invoice", None)):
        reasons = refused(fresh_db, kind, method=method, booking=number,
                          payer=documents.PayerInput(buyer_name="ООО «Ромашка»", buyer_inn="7707083893"))
        assert any(reason in r for r in reasons), reasons


def test_no_rate_for_the_day_no_booking_document(fresh_db) -> None:
    number = payable_booking(fresh_db)
    with fresh_db.uow() as uow:
        uow.session.execute(m.ExchangeRate.__table__.delete().where(m.ExchangeRate.day == TODAY))
        uow.commit()
    reasons = refused(fresh_db, "pd4", booking=number)
    assert any("нет курса" in r and TODAY.strftime("%d.%m.%Y") in r for r in reasons)
    # Accounts are in rubles: no rate needed.
    documents.issue(ctx_for(fresh_db), "pd4", account=debtor(fresh_db), today=TODAY)


def test_bad_payee_requisites_refused_naming_the_field(fresh_db) -> None:
    account = debtor(fresh_db)
    with fresh_db.uow() as uow:
        payee_id = uow.session.execute(
            select(m.Contract.payee_id).join(m.Account).where(m.Account.number == account)).scalar_one()
        # One digit off in the settlement account: the control key no longer matches the БИК.
        acc = uow.session.get(m.Payee, payee_id).account
        uow.session.execute(update(m.Payee).where(m.Payee.id == payee_id)
                            .values(account=acc[:-1] + str((int(acc[-1]) + 1) % 10), kpp="12"))
        uow.commit()
    reasons = refused(fresh_db, "pd4", account=account)
    assert any("Расчётный счёт" in r for r in reasons)
    assert any("КПП" in r for r in reasons)


def test_invoice_needs_buyer_name_and_valid_inn(fresh_db) -> None:
    number = payable_booking(fresh_db)
    reasons = refused(fresh_db, "invoice", booking=number)
    assert any(r.startswith("Покупатель:") for r in reasons)
    assert any(r.startswith("ИНН покупателя:") for r in reasons)
    reasons = refused(fresh_db, "invoice", booking=number,
                      payer=documents.PayerInput(buyer_name="ООО «Ромашка»", buyer_inn="7707083894"))
    assert reasons == [r for r in reasons if r.startswith("ИНН покупателя:")] and "контрольной" in reasons[0]


def test_account_gets_only_pd4_and_a_positive_amount(fresh_db) -> None:
    account = debtor(fresh_db)
    refused(fresh_db, "post112", account=account)
    from cashier_app.domain.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        documents.issue(ctx_for(fresh_db), "pd4", account=account, amount_rub_minor=0, today=TODAY)
    assert err.value.field == "Сумма"
    with pytest.raises(ValidationError) as err:
        documents.issue(ctx_for(fresh_db), "info", account=account, today=TODAY)
    assert err.value.field == "Способ"
    with pytest.raises(ValidationError) as err:
        documents.issue(ctx_for(fresh_db), "xx", account=account, today=TODAY)
    assert err.value.field == "Вид документа"


def test_print_permission_is_checked_in_the_service(fresh_db) -> None:
    ctx = DeskContext(fresh_db, "desk-1", None)
    with pytest.raises(PermissionDenied):
        documents.issue(ctx, "pd4", account=debtor(fresh_db), today=TODAY)
    assert journal_count(fresh_db) == 0


def test_missing_post_fields_from_split_name_and_address() -> None:
    f = documents.apply_input(documents.PayerFields(), documents.PayerInput(
        full_name="Мамедов Рашид Ахмед оглы", address="344038, Ростовская обл., г. Ростов-на-Дону, пр-кт Ленина, д. 85"))
    assert documents.missing_post_fields(f) == []
    assert documents.missing_post_fields(documents.PayerFields(full_name="Иванов Иван")) == [
        "Отчество", "Регион (область, край, республика)", "Город (населённый пункт)", "Улица", "Дом", "Индекс (6 цифр)"]


# -- the debtors batch ----------------------------------------------------------------


@needs_poppler
def test_batch_of_300_debtors(fresh_db, tmp_path: Path) -> None:
    ctx = ctx_for(fresh_db)
    out = tmp_path / "debtors.pdf"
    seen: list[tuple[int, int]] = []
    res = documents.debtors_batch(ctx, out, limit=300, today=TODAY, page_size=128,
                                  progress=lambda d, t: seen.append((d, t)))
    assert res.count == 300 and res.pages == math.ceil(300 / 2) == 150
    assert seen[-1] == (300, 300) and len(seen) == 300
    from pypdf import PdfReader

    assert len(PdfReader(out).pages) == 150
    first = decode_qr(rasterise(out.read_bytes(), 150, tmp_path, page=1))
    last = decode_qr(rasterise(out.read_bytes(), 150, tmp_path, page=150))
    assert len(first) == 2 and len(last) == 2
    with fresh_db.read() as uow:
        debtors = uow.session.execute(select(m.Account.number).where(m.Account.balance_minor < 0)
                                      .order_by(m.Account.id).limit(300)).scalars().all()
        row = uow.session.execute(select(m.Document).where(m.Document.number == res.number)).scalar_one()
    pers = sorted(parse_payload(c).get("PersAcc") for c in first)
    assert pers == sorted(debtors[:2])
    assert sorted(parse_payload(c).get("PersAcc") for c in last) == sorted(debtors[-2:])
    assert row.kind == "pd4_batch" and row.amount_minor == res.total_minor and row.pdf_sha256 == res.sha256
    # The receipts are stored row by row as they are made, not held in the journal row.
    assert "receipts" not in row.params and row.params["count"] == 300
    with fresh_db.read() as uow:
        positions = uow.session.execute(select(m.DocumentBatchItem.position).where(
            m.DocumentBatchItem.batch_number == res.number).order_by(m.DocumentBatchItem.position)).scalars().all()
    assert positions == list(range(1, 301))
    assert documents.reprint(ctx, res.number).pdf == out.read_bytes()


def test_batch_respects_payee_and_cancel_leaves_nothing(fresh_db, tmp_path: Path) -> None:
    ctx = ctx_for(fresh_db)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "x.pdf"
    stop = threading.Event()

    def progress(done: int, _total: int) -> None:
        if done == 7:
            stop.set()

    before = journal_count(fresh_db)
    res = documents.debtors_batch(ctx, out, payee="dem", today=TODAY, progress=progress, cancel=stop)
    assert res.cancelled and res.number is None
    assert not out.exists() and list(out_dir.iterdir()) == []
    assert journal_count(fresh_db) == before
    with fresh_db.read() as uow:
        assert uow.session.execute(select(func.count()).select_from(m.DocumentBatchItem)).scalar_one() == 0
    n = documents.count_debtors(ctx, "dem")
    res = documents.debtors_batch(ctx, out, payee="dem", limit=9, today=TODAY)
    assert res.count == min(9, n) and out.exists()
    with pytest.raises(Exception, match="не найден"):
        documents.debtors_batch(ctx, out, payee="nope", today=TODAY)


# -- PostgreSQL ---------------------------------------------------------------------


@pytest.mark.pg
def test_issue_and_reprint_on_postgres(pg_database_factory) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 200}))
    try:
        ctx = ctx_for(db)
        a = documents.issue(ctx, "pd4", account=debtor(db), today=TODAY)
        b = documents.issue(ctx, "info", method="contact", booking=payable_booking(db), today=TODAY)
        assert a.number != b.number
        assert documents.reprint(ctx, b.number).pdf == b.pdf
        with pytest.raises(RuleViolation):
            documents.issue(ctx, "post112", booking=payable_booking(db), today=TODAY,
                            payer=documents.PayerInput(postal_index="1"))
        assert journal_count(db) == 2
    finally:
        db.dispose()
