"""Russian Post money transfer, form ф. 112ЭП (STANDARDS.md §3).

The form is 190 × 277 mm, placed on A4 with 10 mm margins.  The payer fills
in only the identity-document box by hand; everything else comes from the
DTO.  DOMAIN.md: no form is made while a required field is empty, and the
6-digit postal indexes are required.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace

from reportlab.lib.units import mm

from cashier_app.domain.address import AddressParts, parse_address
from cashier_app.domain.errors import ValidationError
from cashier_app.printing.amount_words import rubles_in_words_kopecks_digits
from cashier_app.printing.dto import ReceiptDTO
from cashier_app.printing.payment_code import build_qr_fields, qr_payload, receipt_qr
from cashier_app.printing.pd4 import Matrix
from cashier_app.printing.pdf_base import (
    COND,
    COND_BOLD,
    PAGE_A4,
    Sheet,
    date_ru,
    ensure_fonts,
    finish,
    new_canvas,
    rate_note,
    rub_kop,
    tech_code_text,
    text_width,
    wrap_text,
)

FORM_W, FORM_H = 190.0, 277.0
LEFT, TOP = 10.0, 10.0
QR_ZONE = 37.0
MSG_CELLS = 35
_INDEX = re.compile(r"^\d{6}$")


def check_post112(receipt: ReceiptDTO) -> None:
    """Refuse a form with an empty required field (DOMAIN.md, Russian Post row)."""
    payee, payer = receipt.payee, receipt.payer
    problems: list[tuple[str, str]] = []
    if not payer.display_name.strip():
        problems.append(("От кого", "укажите Ф.И.О. отправителя"))
    # The index alone is not an address (full_address would be just «101000»).
    if not (payer.address.strip() or payer.city.strip() or payer.street.strip()):
        problems.append(("Адрес отправителя", "укажите адрес отправителя"))
    if not _INDEX.fullmatch(payer.postal_index or ""):
        problems.append(("Индекс отправителя", "нужен почтовый индекс из 6 цифр"))
    sender_boxes(receipt)  # a part of the address that fits no box is refused here, by name
    if not payee.address.strip():
        problems.append(("Куда", "у получателя не указан адрес"))
    if not _INDEX.fullmatch(payee.postal_index or ""):
        problems.append(("Индекс получателя", "нужен почтовый индекс из 6 цифр"))
    if problems:
        field, message = problems[0]
        raise ValidationError(field, message + (f" (и ещё {len(problems) - 1})" if len(problems) > 1 else ""))


def sender_boxes(receipt: ReceiptDTO) -> AddressParts:
    """The sender's address in the form's boxes; the typed line is split, parts are taken as given.

    The QR carries ``full_address``; the boxes hold the same words, so both come
    from the one line when it was typed.
    """
    p = receipt.payer
    if p.address.strip():
        parts = parse_address(p.full_address, "Адрес отправителя")
        return parts if parts.postal_index else replace(parts, postal_index=p.postal_index)
    return AddressParts(postal_index=p.postal_index, region=p.region, district=p.district,
                        settlement=p.settlement, city=p.city, street=p.street,
                        house=f"д. {p.house}" if p.house and p.house[:1].isdigit() else p.house,
                        flat=f"кв. {p.flat}" if p.flat and p.flat[:1].isdigit() else p.flat)


def render_post112(receipt: ReceiptDTO, *, matrix: Matrix | None = None) -> bytes:
    check_post112(receipt)
    if matrix is None:
        _, matrix = receipt_qr(receipt)
    buf = io.BytesIO()
    c = new_canvas(buf, PAGE_A4)
    c.setTitle(f"ф. 112ЭП № {receipt.document_number}")
    draw_post112(Sheet(c, LEFT, TOP), receipt, matrix)
    c.showPage()
    finish(c)
    return buf.getvalue()


def _label(s: Sheet, x: float, y: float, text: str, size: float = 8.5, bold: bool = False) -> float:
    font = COND_BOLD if bold else COND
    s.text(x, y, text, font, size)
    return x + text_width(text, font, size) / mm + 1.2


def _lines(s: Sheet, x: float, x1: float, ys: tuple[float, ...], text: str, size: float = 9.5) -> None:
    """Text over up to ``len(ys)`` ruled lines, shrinking to fit."""
    widths = [(x1 - x - 1.0) * mm] * len(ys)
    fs = size
    lines = wrap_text(text, COND, fs, widths[0])
    while len(lines) > len(ys) and fs > 5.5:
        fs = round(fs - 0.25, 2)
        lines = wrap_text(text, COND, fs, widths[0])
    if len(lines) > len(ys):
        raise ValidationError("ф. 112ЭП", f"текст не помещается в {len(ys)} строк(и) даже мелким шрифтом: «{text}»")
    for yy in ys:
        s.hline(x, x1, yy + 0.7)
    for yy, line in zip(ys, lines, strict=False):
        s.text(x + 1.0, yy, line, COND, fs)


def draw_post112(s: Sheet, r: ReceiptDTO, matrix: Matrix) -> None:
    f = build_qr_fields(r)
    payee, payer = r.payee, r.payer
    W = FORM_W

    # -- top strip: form name, cash register imprint zone, 2D code zone --------
    s.text(0, 5.0, "ф. 112ЭП", COND_BOLD, 12)
    s.rect(0, 8.0, 72.0, 38.0, width=0.4, dash=True)
    s.text(36.0, 12.0, "Зона оттиска ККМ", COND, 7.5, "center")
    s.text(78.0, 14.0, "Бланк сформирован:", COND, 7.5)
    s.text(78.0, 18.0, f"{date_ru(r.issue_date)}, документ № {r.document_number}", COND, 8.5)
    s.text(78.0, 25.0, tech_code_text(f.tech_code), COND, 7.5)
    qx, qy = W - QR_ZONE - 3.0, 5.0
    s.rect(qx, qy, QR_ZONE, QR_ZONE, width=0.3)
    # The symbol fills the 37 mm zone; its quiet zone may cover the zone's own
    # frame, and the layout keeps 4 mm around the zone free of anything else.
    try:
        # Level M at whole dots, then the exact 0.4064 mm minimum, then level L:
        # a 160-character name with a 210-character purpose fits as version 18-L.
        s.qr(matrix, qx, qy, QR_ZONE, quiet_in_box=False, payload=qr_payload(r))
    except ValidationError as exc:
        raise ValidationError("Назначение платежа", f"зона 2D-кода ф. 112ЭП: {exc.message}") from exc
    s.text(qx + QR_ZONE / 2, qy + QR_ZONE + 4.3, "Зона 2D-кода", COND, 6.5, "center")

    # -- main box --------------------------------------------------------------
    top = 50.0
    s.rect(0, top, W, 166.0, width=0.8)
    x0, x1 = 3.0, W - 3.0

    y = top + 9.0
    xa = _label(s, x0, y, "ПОЧТОВЫЙ ПЕРЕВОД", 13, bold=True)
    xa = _label(s, xa + 1.0, y, "на", 10)
    rub, kop = rub_kop(r.amount_minor)
    box_w = 38.0
    s.rect(xa, y - 5.5, box_w, 7.5, width=0.5)
    s.fit_text(xa + box_w / 2, y, rub, box_w - 2.0, COND_BOLD, 12, align="center")
    xa = _label(s, xa + box_w + 1.5, y, "руб.", 10)
    xa = s.cells(xa + 0.5, y - 5.5, 2, kop, cell_w=5.0, cell_h=7.5, font=COND_BOLD, size=12)
    _label(s, xa + 1.5, y, "коп.", 10)

    words, kop_digits = rubles_in_words_kopecks_digits(r.amount_minor)
    y = top + 17.0
    _lines(s, x0, x1, (y, y + 5.5), f"{words[:1].upper()}{words[1:]} руб. {kop_digits} коп.", 10.5)
    s.caption(W / 2, y + 8.5, "(рубли прописью, копейки цифрами)", size=6.5)

    y = top + 31.0
    xa = _label(s, x0, y, "Кому", 9.5, bold=True)
    _lines(s, xa, x1, (y, y + 5.5), f.name, 10)
    s.caption(W / 2, y + 8.3, "(для юридического лица — полное наименование)", size=6)

    y = top + 44.5
    xa = _label(s, x0, y, "Куда", 9.5, bold=True)
    idx_x = x1 - 6 * 5.0
    _lines(s, xa, x1, (y,), payee.address, 10)
    _lines(s, xa, idx_x - 18.0, (y + 6.0,), "", 10)
    s.text(idx_x - 1.5, y + 6.0, "Индекс", COND, 8, "right")
    s.cells(idx_x, y + 1.6, 6, payee.postal_index, cell_w=5.0, cell_h=5.5, size=11)
    s.caption(W / 2 - 20, y + 9.0, "(полный адрес получателя)", size=6)

    y = top + 58.5
    s.text(x0, y, "Сообщение или реквизиты л/с", COND_BOLD, 9)
    cw = (x1 - x0) / MSG_CELLS
    message = _message_rows(r)
    s.cells(x0, y + 1.5, MSG_CELLS, message[0], cell_w=cw, cell_h=5.5, size=10)
    s.cells(x0, y + 7.0, MSG_CELLS, message[1], cell_w=cw, cell_h=5.5, size=10)

    y = top + 78.5
    xa = _label(s, x0, y, "Назначение платежа:", 8.5)
    _lines(s, xa, x1, (y, y + 4.5), f.purpose or "", 9)
    note = rate_note(r)
    if note:
        s.fit_text(x0, y + 9.5, note, x1 - x0, COND, 8.5, 5.0)

    # -- settlement account block ---------------------------------------------
    y = top + 97.0
    s.rect(x0 - 1.0, y - 3.5, x1 - x0 + 2.0, 30.0, width=0.4)
    s.text(W / 2, y - 0.5, "заполняется при приеме перевода на расчетный счет", COND, 7.5, "center")
    cw = 4.3
    y += 1.5
    xa = _label(s, x0 + 1.0, y + 4.0, "ИНН", 8.5)
    s.cells(xa, y, 12, f.payee_inn, cell_w=cw, cell_h=5.0)
    kx = x1 - 20 * cw - 1.0
    s.text(kx - 1.2, y + 4.0, "Кор/счет", COND, 8.5, "right")
    s.cells(kx, y, 20, f.corresp_acc, cell_w=cw, cell_h=5.0)
    y += 8.0
    xa = _label(s, x0 + 1.0, y + 4.0, "Наименование банка", 8.5)
    kpp_x = x1 - 9 * cw - 1.0
    s.fit_text(xa + 1.0, y + 4.0, f.bank_name, kpp_x - xa - 14.0, COND, 9.5)
    s.hline(xa, kpp_x - 12.0, y + 4.7)
    s.text(kpp_x - 1.2, y + 4.0, "КПП", COND, 8.5, "right")
    s.cells(kpp_x, y, 9, f.kpp, cell_w=cw, cell_h=5.0)
    y += 8.0
    xa = _label(s, x0 + 1.0, y + 4.0, "Расчетный счет", 8.5)
    s.cells(xa, y, 20, f.personal_acc, cell_w=cw, cell_h=5.0)
    s.text(kpp_x - 1.2, y + 4.0, "БИК", COND, 8.5, "right")
    s.cells(kpp_x, y, 9, f.bic, cell_w=cw, cell_h=5.0)

    # -- sender -----------------------------------------------------------------
    y = top + 132.0
    fio = " ".join(p for p in (f.last_name, f.first_name, f.middle_name) if p)
    if f.payer_inn:
        fio += f", ИНН {f.payer_inn}"
    xa = _label(s, x0, y, "От кого", 9.5, bold=True)
    _lines(s, xa, x1, (y,), fio, 10)
    y += 4.5
    s.text(x0, y, "Адрес отправителя", COND_BOLD, 9)
    a = sender_boxes(r)
    y += 1.5
    for row, boxes in enumerate(_SENDER_ROWS):
        for name, label, bx, bx1 in boxes:
            _box(s, bx, bx1, y + 8.0 * row, label, getattr(a, name))
    y += 8.0 * (len(_SENDER_ROWS) - 1)
    s.text(idx_x, y + 1.9, "Индекс", COND, 5.5)
    s.cells(idx_x, y + 2.3, 6, a.postal_index or payer.postal_index, cell_w=5.0, cell_h=5.0, size=11)

    # -- identity document, filled in by hand ------------------------------------
    top2 = 220.0
    s.rect(0, top2, W, 40.0, width=0.8)
    s.text(x0, top2 + 5.5, "Предъявлен документ, удостоверяющий личность отправителя", COND_BOLD, 9)
    y = top2 + 13.0
    xa = _label(s, x0, y, "Наименование документа", 9)
    s.hline(xa, 92.0, y + 0.7)
    xa = _label(s, 95.0, y, "серия", 9)
    s.hline(xa, 125.0, y + 0.7)
    xa = _label(s, 128.0, y, "№", 9)
    s.hline(xa, x1, y + 0.7)
    y += 8.0
    xa = _label(s, x0, y, "выдан «____» _______________ ______ г.", 9)
    xa = _label(s, xa + 2.0, y, "кем", 9)
    s.hline(xa, x1, y + 0.7)
    y += 8.0
    s.hline(x0, x1, y + 0.7)
    y += 8.0
    xa = _label(s, x0, y, "Подпись отправителя", 9)
    s.hline(xa, 90.0, y + 0.7)

    s.text(0, 267.0, "Проверьте реквизиты перед оплатой. Перевод принимается только на всю сумму.", COND, 7.5)


# The sender's address boxes, row by row: (AddressParts field, label, x, x1) in mm on the form.
# One table for drawing and for :func:`sender_box_problems`, so the payer check refuses
# exactly what the form could not print (before, «дом 125а, корпус 4, строение 1» passed
# the check and failed only when the form was drawn).
_IDX_X = FORM_W - 3.0 - 6 * 5.0
_SENDER_ROWS: tuple[tuple[tuple[str, str, float, float], ...], ...] = (
    (("region", "Регион (область, край, республика)", 3.0, 95.0),
     ("district", "Район, городской округ", 95.0, FORM_W - 3.0)),
    (("settlement", "Населённый пункт (поселок, село, деревня)", 3.0, 95.0),
     ("city", "Город", 95.0, FORM_W - 3.0)),
    (("street", "Улица, микрорайон", 3.0, 110.0),
     ("house", "Дом, корпус, строение", 110.0, 138.0),
     ("flat", "Квартира", 138.0, _IDX_X - 2.0)),
)
_BOX_SIZE, _BOX_MIN_SIZE = 9.5, 5.0


def _box_fits(value: str, x: float, x1: float) -> bool:
    # The same arithmetic as Sheet.fit_text: shrink proportionally, round down to 0.25 pt.
    ensure_fonts()  # the check may run before any page was drawn
    width_pt = (x1 - x - 2.0) * mm
    w = text_width(value, COND, _BOX_SIZE)
    if w <= width_pt:
        return True
    size = int(_BOX_SIZE * width_pt / w * 4) / 4
    return size >= _BOX_MIN_SIZE and text_width(value, COND, size) <= width_pt


def _too_long(value: str, label: str) -> str:
    return f"«{value}» не помещается в графу «{label}» ф. 112ЭП — сократите (д., корп., стр., кв., пом.)"


def sender_box_problems(parts: AddressParts) -> list[str]:
    """Why the sender's boxes of ф. 112ЭП cannot hold these parts ([] when they can)."""
    return [_too_long(getattr(parts, name), label)
            for boxes in _SENDER_ROWS for name, label, x, x1 in boxes
            if getattr(parts, name) and not _box_fits(getattr(parts, name), x, x1)]


def _box(s: Sheet, x: float, x1: float, y: float, label: str, value: str) -> None:
    """One labelled box of the sender's address; the value shrinks, and refuses rather than clip."""
    s.rect(x, y, x1 - x, 7.3, width=0.3)
    s.text(x + 0.8, y + 2.0, label, COND, 5.5)
    if value:
        try:
            s.fit_text(x + 1.0, y + 6.2, value, x1 - x - 2.0, COND, _BOX_SIZE, _BOX_MIN_SIZE)
        except ValueError as exc:
            raise ValidationError("Адрес отправителя", _too_long(value, label)) from exc


def _message_rows(r: ReceiptDTO) -> tuple[str, str]:
    """Two 35-cell rows: the booking or account number, split only if it must be."""
    text = r.target_number.upper()
    if len(text) > 2 * MSG_CELLS:
        raise ValidationError("Сообщение", f"номер длиннее {2 * MSG_CELLS} знаков")
    return text[:MSG_CELLS], text[MSG_CELLS:]
