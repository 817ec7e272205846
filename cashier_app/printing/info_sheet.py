"""Information sheet for paying a booking through CONTACT or in a Euroset shop.

DOMAIN.md: both add a 1 % fee on top of the amount; a CONTACT sheet is valid
only on the day it is issued, which the sheet states in large print.  The
agent's cashier types the payee's requisites from it, so they are printed in
full, together with the payment code.
"""

from __future__ import annotations

import io

from cashier_app.printing.amount_words import amount_in_words
from cashier_app.printing.dto import DocumentKind, ReceiptDTO
from cashier_app.printing.payment_code import build_qr_fields, qr_payload, receipt_qr
from cashier_app.printing.pd4 import Matrix
from cashier_app.printing.pdf_base import (
    COND,
    COND_BOLD,
    PAGE_A4,
    Sheet,
    date_long,
    date_ru,
    finish,
    money_text,
    new_canvas,
    rate_note,
    tech_code_text,
)

SYSTEM_TITLE = {
    DocumentKind.INFO_CONTACT: "через систему денежных переводов CONTACT",
    DocumentKind.INFO_EUROSET: "в салонах связи «Евросеть»",
}


def render_info_sheet(receipt: ReceiptDTO, *, matrix: Matrix | None = None) -> bytes:
    if receipt.kind not in SYSTEM_TITLE:
        raise ValueError(f"not an information sheet: {receipt.kind}")
    if matrix is None:
        _, matrix = receipt_qr(receipt)
    buf = io.BytesIO()
    c = new_canvas(buf, PAGE_A4)
    c.setTitle(f"Информационный лист № {receipt.document_number}")
    draw_info_sheet(Sheet(c, 15.0, 15.0), receipt, matrix)
    c.showPage()
    finish(c)
    return buf.getvalue()


def draw_info_sheet(s: Sheet, r: ReceiptDTO, matrix: Matrix) -> None:
    f = build_qr_fields(r)
    W = 180.0
    s.text(0, 6.0, "ИНФОРМАЦИОННЫЙ ЛИСТ", COND_BOLD, 15)
    s.text(0, 12.5, f"для оплаты заявки {SYSTEM_TITLE[r.kind]}", COND, 11)
    s.text(0, 18.5, f"№ {r.document_number} от {date_long(r.issue_date)}", COND, 9.5)

    # 48 mm holds the largest code (version 21) at the minimum module, quiet zone included.
    qr_box = 48.0
    s.qr(matrix, W - qr_box, 0.0, qr_box, payload=qr_payload(r))
    s.fit_text(W - qr_box / 2, qr_box + 3.0, tech_code_text(f.tech_code), qr_box, COND, 6.5, 4.5, "center")

    y = 30.0
    s.text(0, y, "Номер заявки:", COND, 11)
    s.text(30.0, y, f.pers_acc, COND_BOLD, 16)
    fio = " ".join(p for p in (f.last_name, f.first_name, f.middle_name) if p)
    rows: list[tuple[str, str]] = [("Плательщик", fio), ("Адрес плательщика", f.payer_address or "")]
    if f.payer_inn:  # encoded as PayerINN, so printed too (5.4.2)
        rows.insert(1, ("ИНН плательщика", f.payer_inn))
    rows.extend(r.extra)
    y = s.table(0, y + 5.0, rows, 38.0, W - qr_box - 4.0, size=9.5)

    y = max(y, qr_box + 6.0) + 6.0
    s.text(0, y, "Получатель платежа", COND_BOLD, 11)
    payee_rows = [
        ("Наименование", f.name),
        ("ИНН / КПП", f"{f.payee_inn} / {f.kpp}"),
        ("Расчетный счет", f.personal_acc),
        ("Банк получателя", f.bank_name),
        ("БИК", f.bic),
        ("Корр. счет", f.corresp_acc),
        ("Назначение платежа", f.purpose or ""),
    ]
    y = s.table(0, y + 2.5, payee_rows, 45.0, W, size=10)

    y += 8.0
    s.text(0, y, "Сумма к оплате", COND_BOLD, 11)
    fee_pct = "1 %"
    sums = [
        ("Сумма платежа", money_text(r.amount_minor)),
        (f"Комиссия {fee_pct} (сверх суммы платежа)", money_text(r.fee_minor)),
        ("Итого к оплате", money_text(r.total_minor)),
        ("Итого прописью", amount_in_words(r.total_minor)),
    ]
    y = s.table(0, y + 2.5, sums, 70.0, W, size=10.5)
    note = rate_note(r)
    if note:
        y += 6.0
        s.wrapped(0, y, note + ".", W, 2, 4.5, COND, 10)
        y += 4.5
    y += 8.0
    if r.kind is DocumentKind.INFO_CONTACT:
        # The one rule the payer must not miss: tomorrow the rate and sum change.
        valid = r.valid_until or r.issue_date
        s.rect(0, y, W, 12.0, width=1.2)
        s.text(W / 2, y + 8.3, f"Действительна только {date_ru(valid)}", COND_BOLD, 16, "center")
        y += 18.0
        s.wrapped(
            0, y,
            "Перевод принимается только на полную сумму заявки. Назовите операционисту "
            "номер заявки и предъявите паспорт.",
            W, 2, 4.5, COND, 10,
        )  # fmt: skip
    else:
        s.wrapped(
            0, y,
            "Покажите этот лист и паспорт в салоне «Евросеть»: продавец найдет получателя "
            "по номеру заявки. Комиссия 1 % взимается сверх суммы платежа.",
            W, 2, 4.5, COND, 10,
        )  # fmt: skip
