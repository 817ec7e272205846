"""Счёт на оплату for a legal entity paying a booking by bank transfer.

Layout follows the usual Russian invoice: the payee's bank requisites block
on top (what the buyer's accountant copies into the payment order), the title
with number and date, supplier and buyer, one line for the booking, the total
in figures and in words.  The payment code carries the same requisites.
"""

from __future__ import annotations

import io

from cashier_app.domain.money import format_amount
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
    finish,
    new_canvas,
    rate_note,
    tech_code_text,
    wrap_text,
)


def render_invoice(receipt: ReceiptDTO, *, matrix: Matrix | None = None) -> bytes:
    if receipt.kind is not DocumentKind.INVOICE:
        raise ValueError(f"not an invoice: {receipt.kind}")
    if not receipt.buyer_name.strip():
        raise ValueError("invoice without a buyer")
    if matrix is None:
        _, matrix = receipt_qr(receipt)
    buf = io.BytesIO()
    c = new_canvas(buf, PAGE_A4)
    c.setTitle(f"Счет на оплату № {receipt.document_number}")
    draw_invoice(Sheet(c, 15.0, 12.0), receipt, matrix)
    c.showPage()
    finish(c)
    return buf.getvalue()


def draw_invoice(s: Sheet, r: ReceiptDTO, matrix: Matrix) -> None:
    f = build_qr_fields(r)
    W = 180.0

    # -- bank requisites block (the classic 4 × 3 grid) -------------------------
    x1, x2 = 100.0, 115.0  # column edges: name/ИНН | «БИК»/«Сч. №» | numbers
    y0 = 0.0
    rows_h = (10.0, 5.0, 5.0, 11.0)  # bank | ИНН/КПП | payee | (caption inside rows)
    bank_bottom = y0 + rows_h[0] + rows_h[1]
    inn_bottom = bank_bottom + 5.0
    bottom = inn_bottom + rows_h[3]
    s.rect(0, y0, W, bottom - y0, width=0.6)
    s.hline(0, x1, bank_bottom, 0.5)
    s.hline(0, x1, inn_bottom, 0.5)
    s.line(x1, y0, x1, bottom, 0.5)
    s.line(x2, y0, x2, bottom, 0.5)
    s.hline(x1, x2, y0 + 5.0, 0.5)
    s.hline(x1, W, bank_bottom, 0.5)
    s.line(50.0, bank_bottom, 50.0, inn_bottom, 0.5)
    s.wrapped(1.5, y0 + 4.0, f.bank_name, x1 - 3.0, 2, 3.6, COND, 9.5)
    s.text(1.5, bank_bottom - 1.2, "Банк получателя", COND, 7)
    s.text(x1 + 1.5, y0 + 3.8, "БИК", COND, 9)
    s.text(x2 + 1.5, y0 + 3.8, f.bic, COND, 9.5)
    s.text(x1 + 1.5, y0 + 8.8, "Сч. №", COND, 9)
    s.text(x2 + 1.5, y0 + 8.8, f.corresp_acc, COND, 9.5)
    s.text(1.5, inn_bottom - 1.3, f"ИНН {f.payee_inn}", COND, 9.5)
    s.text(51.5, inn_bottom - 1.3, f"КПП {f.kpp}", COND, 9.5)
    s.text(x1 + 1.5, bank_bottom + 3.8, "Сч. №", COND, 9)
    s.text(x2 + 1.5, bank_bottom + 3.8, f.personal_acc, COND, 9.5)
    s.wrapped(1.5, inn_bottom + 4.0, f.name, x1 - 3.0, 2, 3.6, COND, 9.5)
    s.text(1.5, bottom - 1.2, "Получатель", COND, 7)

    # -- title --------------------------------------------------------------------
    y = bottom + 12.0
    s.text(0, y, f"Счет на оплату № {r.document_number} от {date_long(r.issue_date)}", COND_BOLD, 14)
    s.hline(0, W, y + 2.5, 1.2)

    qr_box = 48.0
    text_w = W - qr_box - 3.0
    y += 9.0
    supplier = f"{f.name}, ИНН {f.payee_inn}, КПП {f.kpp}"
    if r.payee.address:
        addr = r.payee.address
        if r.payee.postal_index:
            addr = f"{r.payee.postal_index}, {addr}"
        supplier += f", {addr}"
    y = _party(s, y, "Поставщик (исполнитель):", supplier, text_w)
    buyer = r.buyer_name + (f", ИНН {r.buyer_inn}" if r.buyer_inn else "")
    if f.payer_address:
        buyer += f", {f.payer_address}"
    y = _party(s, y + 2.0, "Покупатель (заказчик):", buyer, text_w)
    y = _party(s, y + 2.0, "Основание:", f"Заявка № {f.pers_acc}", text_w)
    s.qr(matrix, W - qr_box, bottom + 16.0, qr_box, payload=qr_payload(r))
    s.fit_text(W - qr_box / 2, bottom + 16.0 + qr_box + 2.5, tech_code_text(f.tech_code), qr_box, COND, 6.5,
               4.5, "center")  # fmt: skip
    y = max(y, bottom + 16.0 + qr_box + 4.0) + 4.0

    # -- the single line --------------------------------------------------------------
    cols = (0.0, 10.0, 118.0, 133.0, 143.0, 161.5, W)
    heads = ("№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Сумма")
    s.rect(0, y, W, 6.0, width=0.8)
    for i, head in enumerate(heads):
        s.text((cols[i] + cols[i + 1]) / 2, y + 4.2, head, COND_BOLD, 9, "center")
    amount = format_amount(r.amount_minor)
    item_lines = wrap_text(f.purpose or "", COND, 9, (cols[2] - cols[1] - 2.0) * 2.8346) or [""]
    row_h = max(6.0, 3.9 * len(item_lines) + 2.2)
    y1 = y + 6.0
    s.rect(0, y1, W, row_h, width=0.8)
    for xc in cols[1:-1]:
        s.line(xc, y, xc, y1 + row_h, 0.5)
    s.text(5.0, y1 + 4.2, "1", COND, 9, "center")
    for i, line in enumerate(item_lines):
        s.text(cols[1] + 1.0, y1 + 4.2 + i * 3.9, line, COND, 9)
    s.text(cols[3] - 1.0, y1 + 4.2, "1", COND, 9, "right")
    s.text((cols[3] + cols[4]) / 2, y1 + 4.2, "усл.", COND, 9, "center")
    s.text(cols[5] - 1.0, y1 + 4.2, amount, COND, 9, "right")
    s.text(cols[6] - 1.0, y1 + 4.2, amount, COND, 9, "right")
    y = y1 + row_h + 5.0
    s.text(cols[5] - 1.0, y, "Итого:", COND_BOLD, 10, "right")
    s.text(W - 1.0, y, amount, COND_BOLD, 10, "right")
    y += 5.0
    s.text(cols[5] - 1.0, y, "Всего к оплате:", COND_BOLD, 10, "right")
    s.text(W - 1.0, y, amount, COND_BOLD, 10, "right")

    y += 8.0
    s.text(0, y, f"Всего наименований 1, на сумму {amount} руб.", COND, 10)
    y += 5.0
    s.wrapped(0, y, amount_in_words(r.amount_minor), W, 2, 4.5, COND_BOLD, 10.5)
    note = rate_note(r)
    if note:
        y += 8.0
        s.wrapped(0, y, note + ".", W, 2, 4.5, COND, 9.5)
    y += 8.0
    s.wrapped(
        0, y,
        f"В назначении платежа укажите номер заявки {f.pers_acc}. Счет действителен при оплате "
        "по курсу туроператора на день оплаты; при изменении курса сумма в рублях пересчитывается.",
        W, 3, 4.2, COND, 9,
    )  # fmt: skip
    y += 14.0
    s.hline(0, W, y, 1.2)
    y += 12.0
    s.text(0, y, "Руководитель", COND_BOLD, 10)
    s.hline(25.0, 85.0, y + 0.7)
    s.text(95.0, y, "Бухгалтер", COND_BOLD, 10)
    s.hline(115.0, W, y + 0.7)


def _party(s: Sheet, y: float, label: str, text: str, width: float) -> float:
    """Label in a 42 mm column and wrapped bold text; returns the next y."""
    s.text(0, y, label, COND, 9.5)
    lines = wrap_text(text, COND_BOLD, 9.5, (width - 43.0) * 2.8346) or [""]
    for i, line in enumerate(lines):
        s.text(43.0, y + i * 4.2, line, COND_BOLD, 9.5)
    return y + 4.2 * len(lines) + 1.0
