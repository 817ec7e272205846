"""Bank receipt, form ПД-4 («Извещение» / «Квитанция»), STANDARDS.md §2.

One receipt is a 180 × 142 mm frame: the notice half on top (with the QR in
its left column) and the receipt half below, both carrying the same fields.
Two receipts fit one A4 sheet with a cut line between them.

``render_pd4`` gives one receipt on one page; ``Pd4Batch`` streams any number
of receipts into one PDF with memory bounded by a chunk, rendering chunks in a
process pool when asked.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cashier_app.printing.amount_words import amount_in_words
from cashier_app.printing.dto import ReceiptDTO
from cashier_app.printing.payment_code import build_qr_fields, qr_payload, receipt_qr
from cashier_app.printing.pdf_base import (
    COND,
    COND_BOLD,
    PAGE_A4,
    SANS_BOLD,
    Sheet,
    StreamingPdfWriter,
    TextDoesNotFit,
    date_long,
    finish,
    new_canvas,
    rate_note,
    rub_kop,
    tech_code_text,
    text_width,
    wrap_text,
)

FRAME_W = 180.0
HALF_H = 71.0
FRAME_H = 2 * HALF_H  # 142 mm: two frames plus margins fit 297 mm
LEFT_W = 50.0
PAGE_LEFT = (210.0 - FRAME_W) / 2
# Top edges of the two frames on an A4 page; 4.5 mm margins, 4 mm between.
SLOT_TOPS = (4.5, 4.5 + FRAME_H + 4.0)

CONSENT = (
    "С условиями приема указанной в платежном документе суммы, в т.ч. с суммой взимаемой "
    "платы за услуги банка, ознакомлен и согласен."
)

Matrix = Sequence[Sequence[bool]]


def draw_pd4(c: Canvas, receipt: ReceiptDTO, top_mm: float, matrix: Matrix) -> None:
    """Draw one receipt whose frame's top edge is ``top_mm`` below the page top."""
    s = Sheet(c, PAGE_LEFT, top_mm)
    s.rect(0, 0, FRAME_W, FRAME_H, width=0.9)
    s.line(LEFT_W, 0, LEFT_W, FRAME_H, width=0.9)
    s.line(0, HALF_H, FRAME_W, HALF_H, width=0.9)
    _left_column(s, 0.0, "Извещение", matrix, receipt)
    _left_column(s, HALF_H, "Квитанция", None, receipt)
    _half(s, 0.0, receipt)
    _half(s, HALF_H, receipt)


def _left_column(s: Sheet, top: float, title: str, matrix: Matrix | None, receipt: ReceiptDTO) -> None:
    s.text(LEFT_W / 2, top + 6.0, title, SANS_BOLD, 10, "center")
    if matrix is not None:
        # 47 mm holds a version-21 code (Name 160 + Purpose 210 characters)
        # at the 0.4233 mm minimum module with the quiet zone inside the column.
        box = 47.0
        s.qr(matrix, (LEFT_W - box) / 2, top + 8.0, box, payload=qr_payload(receipt))
        s.fit_text(
            LEFT_W / 2, top + 58.5, tech_code_text(receipt.tech_code), LEFT_W - 3.0, COND, 6, 4.5, "center"
        )
    # The journal number, so a lost receipt can be found and reprinted (the form has no box for it).
    if receipt.document_number:
        s.fit_text(LEFT_W / 2, top + 62.8, f"Документ № {receipt.document_number}", LEFT_W - 3.0, COND, 7, 5,
                   "center")
    s.text(LEFT_W / 2, top + HALF_H - 4.0, "Кассир", SANS_BOLD, 9, "center")


def _half(s: Sheet, top: float, r: ReceiptDTO) -> None:
    """The right column of one half; y offsets are from the half's top edge."""
    f = build_qr_fields(r)
    x0, x1 = LEFT_W + 2.5, FRAME_W - 2.5  # 52.5 … 177.5 mm
    width = x1 - x0
    mid = (x0 + x1) / 2

    def y(v: float) -> float:
        return top + v

    s.text(x1, y(3.4), "Форма № ПД-4", COND, 6.5, "right")

    # Payee name with КПП: one line if it fits, otherwise two smaller lines.
    payee = f"{f.name}  КПП {f.kpp}" if f.kpp else f.name
    # Two lines must clear «Форма № ПД-4» at the top right.
    _line_field(s, x0, y(7.4), payee, width, COND_BOLD, 8.5, wrap_width=width - 20.0)
    s.hline(x0, x1, y(8.0))
    s.caption(mid, y(9.9), "(наименование получателя платежа)")

    cw = 3.6
    s.cells(x0, y(10.8), 12, f.payee_inn, cell_w=cw)
    acc_x = x1 - 20 * cw
    s.cells(acc_x, y(10.8), 20, f.personal_acc, cell_w=cw)
    s.caption(x0 + 6 * cw, y(17.0), "(ИНН получателя платежа)")
    s.caption(acc_x + 10 * cw, y(17.0), "(номер счета получателя платежа)")

    bic_x = x1 - 9 * cw
    s.text(x0, y(21.3), "в", COND, 8)
    _line_field(s, x0 + 3.0, y(21.3), f.bank_name, bic_x - 9.0 - x0 - 3.0, COND, 8.5, two_lines=False)
    s.hline(x0 + 2.5, bic_x - 8.5, y(21.9))
    s.text(bic_x - 1.5, y(21.3), "БИК", COND, 7.5, "right")
    s.cells(bic_x, y(18.2), 9, f.bic, cell_w=cw)
    s.caption((x0 + bic_x - 8.5) / 2, y(23.6), "(наименование банка получателя платежа)")

    s.fit_text(x0, y(27.3), "Номер кор./сч. банка получателя платежа", acc_x - x0 - 1.5, COND, 7.5)
    s.cells(acc_x, y(24.3), 20, f.corresp_acc, cell_w=cw, cell_h=4.0)

    _line_field(s, x0, y(32.7), f.purpose or "", width, COND, 8.5, leading=2.5, wrap_size=7.0)
    s.hline(x0, x1, y(33.3))
    s.caption(mid, y(35.1), "(наименование платежа)")

    vx = _label(s, x0, y(39.2), "Номер лицевого счета (код) плательщика:")
    s.fit_text(vx + 1.0, y(39.2), f.pers_acc, x1 - vx - 1.0, COND_BOLD, 9)
    s.hline(vx, x1, y(39.8))

    fio = " ".join(p for p in (f.last_name, f.first_name, f.middle_name) if p)
    if f.payer_inn:  # encoded as PayerINN, so printed too (5.4.2)
        fio += f",  ИНН {f.payer_inn}"
    vx = _label(s, x0, y(43.2), "Ф.И.О. плательщика:")
    _line_field(s, vx + 1.0, y(43.2), fio, x1 - vx - 1.0, COND, 8.5, two_lines=False)
    s.hline(vx, x1, y(43.8))
    vx = _label(s, x0, y(48.0), "Адрес плательщика:")
    # A long address takes two small lines; the upper one must stay below the Ф.И.О. rule.
    _line_field(s, vx + 1.0, y(48.0), f.payer_address or "", x1 - vx - 1.0, COND, 8.0, leading=2.3,
                wrap_size=6.5)  # fmt: skip
    s.hline(vx, x1, y(48.6))

    # Sums.  The bank's own fee is unknown when we print, so fee and total stay
    # blank for the cashier unless the DTO carries a fee (CONTACT-like agents).
    fee = r.fee_minor if r.fee_minor else None
    total = r.total_minor if r.fee_minor else None
    _sum(s, x0, y(52.6), "Сумма платежа:", r.amount_minor)
    _sum(s, x0 + 58.5, y(52.6), "Сумма платы за услуги:", fee)
    _sum(s, x0, y(56.8), "Итого:", total)
    s.text(x1, y(56.8), f"Дата: {date_long(r.issue_date)}", COND, 8, "right")

    words = amount_in_words(r.amount_minor)
    s.fit_text(x0, y(60.4), f"Сумма платежа прописью: {words}", width, COND, 7, 4.5)
    note = rate_note(r)
    if note:
        s.fit_text(x0, y(63.3), note, width, COND, 7, 4.5)
    s.fit_text(x0, y(66.4), CONSENT, width, COND, 6.5, 4.5)
    s.text(x1 - 45.0, y(69.8), "Подпись плательщика:", COND, 7.5, "right")
    s.hline(x1 - 44.0, x1, y(70.0))


def _label(s: Sheet, x: float, y: float, label: str, size: float = 7.5) -> float:
    """Draw a field label; returns where its value may start (mm)."""
    s.text(x, y, label, COND, size)
    return x + text_width(label, COND, size) / mm + 0.8


def _sum(s: Sheet, x: float, y: float, label: str, minor: int | None) -> None:
    """``label ____ руб. __ коп.`` with the figures on the blanks (or blanks only).

    Drawn in reading order (figure, then «руб.») so text extraction and screen
    readers get «1 234 руб. 05 коп.».
    """
    lx = _label(s, x, y, label)
    rub_w, kop_w = 16.0, 5.5
    kx = lx + rub_w + 6.4
    rub, kop = rub_kop(minor) if minor is not None else ("", "")
    s.hline(lx, lx + rub_w, y + 0.6)
    if rub:
        s.fit_text(lx + rub_w / 2, y - 0.2, rub, rub_w, COND_BOLD, 8.5, align="center")
    s.text(lx + rub_w + 0.6, y, "руб.", COND, 7.5)
    s.hline(kx, kx + kop_w, y + 0.6)
    if kop:
        s.text(kx + kop_w / 2, y - 0.2, kop, COND_BOLD, 8.5, "center")
    s.text(kx + kop_w + 0.6, y, "коп.", COND, 7.5)


def _line_field(
    s: Sheet,
    x: float,
    y: float,
    text: str,
    width: float,
    font: str,
    size: float,
    *,
    two_lines: bool = True,
    leading: float = 2.8,
    wrap_width: float | None = None,
    wrap_size: float = 7.5,
) -> None:
    """Text sitting on a rule at baseline ``y``: one line if it fits at ≥ 6.5 pt,
    else two lines growing upwards (the second line keeps the rule's baseline)."""
    width_pt = width * mm
    fs = size
    while fs > 6.5 and text_width(text, font, fs) > width_pt:
        fs = round(fs - 0.25, 2)
    if text_width(text, font, fs) <= width_pt or not two_lines:
        s.fit_text(x, y, text, width, font, fs, 4.5)
        return
    if wrap_width is not None:
        width_pt = wrap_width * mm
    fs = min(size, wrap_size)
    lines = wrap_text(text, font, fs, width_pt)
    while len(lines) > 2 and fs > 4.5:
        fs = round(fs - 0.25, 2)
        lines = wrap_text(text, font, fs, width_pt)
    if len(lines) > 2:
        raise TextDoesNotFit(text, 2 * width, 4.5)
    lead = min(leading, fs * 0.3528 * 1.15)
    for i, line in enumerate(lines):
        s.text(x, y - (len(lines) - 1 - i) * lead, line, font, fs)


# -- single receipt -------------------------------------------------------------


def render_pd4(receipt: ReceiptDTO, *, matrix: Matrix | None = None) -> bytes:
    """One receipt on one A4 page (top slot; the rest of the sheet stays blank)."""
    if matrix is None:
        _, matrix = receipt_qr(receipt)
    buf = io.BytesIO()
    c = new_canvas(buf, PAGE_A4)
    c.setTitle(f"ПД-4 № {receipt.document_number}")
    draw_pd4(c, receipt, SLOT_TOPS[0], matrix)
    c.showPage()
    finish(c)
    return buf.getvalue()


# -- batch ---------------------------------------------------------------------


def render_pd4_chunk(receipts: Sequence[ReceiptDTO]) -> bytes:
    """A self-contained PDF with the receipts two per page (the batch's unit of work)."""
    buf = io.BytesIO()
    c = new_canvas(buf, PAGE_A4)
    for i, receipt in enumerate(receipts):
        _, matrix = receipt_qr(receipt)
        slot = i % 2
        if slot == 0 and i:
            c.showPage()
        draw_pd4(c, receipt, SLOT_TOPS[slot], matrix)
        if slot == 0:
            _cut_line(c)
    c.showPage()
    finish(c)
    return buf.getvalue()


def _cut_line(c: Canvas) -> None:
    s = Sheet(c, PAGE_LEFT, SLOT_TOPS[0])
    c.saveState()
    c.setStrokeGray(0.6)
    s.rect(-3, FRAME_H + 2.0, FRAME_W + 6, 0, width=0.3, dash=True)
    c.restoreState()


class Pd4Batch:
    """Stream ПД-4 receipts into one PDF, two per A4 page, in bounded memory.

    Receipts are grouped into chunks of ``chunk_size``; each chunk is rendered
    to a small PDF (in a pool of ``workers`` processes when ``workers`` > 0)
    and its objects are appended to the output at once, so memory holds at
    most ``2 × workers + 1`` chunks whatever the batch size.  Output to a path
    goes through a temp file that replaces the target only on ``close()``.

    Use as a context manager; an exception inside the ``with`` discards the
    partial file.
    """

    def __init__(
        self,
        path_or_file: str | os.PathLike[str] | BinaryIO,
        *,
        workers: int = 0,
        chunk_size: int = 100,
    ) -> None:
        if chunk_size < 2 or chunk_size % 2:
            raise ValueError("chunk_size must be an even number ≥ 2 (two receipts per page)")
        self._writer = StreamingPdfWriter(path_or_file, title="ПД-4")
        self._chunk: list[ReceiptDTO] = []
        self._chunk_size = chunk_size
        # spawn, not fork: forking a process that runs Qt threads can deadlock the child.
        self._pool = (
            ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            if workers > 0
            else None
        )
        self._pending: list[Future[bytes]] = []
        self._max_pending = 2 * workers
        self.count = 0
        self._closed = False

    def add(self, receipt: ReceiptDTO) -> None:
        if self._closed:
            raise RuntimeError("batch is closed")
        self._chunk.append(receipt)
        self.count += 1
        if len(self._chunk) >= self._chunk_size:
            self._submit()

    def _submit(self) -> None:
        chunk, self._chunk = self._chunk, []
        if not chunk:
            return
        if self._pool is None:
            self._writer.append_pdf(render_pd4_chunk(chunk))
            return
        self._pending.append(self._pool.submit(render_pd4_chunk, chunk))
        # Keep the pool busy but bounded: wait for the oldest chunk (output
        # order = input order) once enough are in flight.
        while len(self._pending) > self._max_pending:
            self._writer.append_pdf(self._pending.pop(0).result())

    def close(self) -> None:
        """Flush, write the page tree and cross-reference table, move the file into place."""
        if self._closed:
            return
        try:
            self._submit()
            while self._pending:
                self._writer.append_pdf(self._pending.pop(0).result())
            self._writer.close()
        except BaseException:
            self.abort()
            raise
        finally:
            self._closed = True
            if self._pool is not None:
                self._pool.shutdown()

    def abort(self) -> None:
        """Drop everything; a target path is left untouched."""
        self._closed = True
        for fut in self._pending:
            fut.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._writer.abort()

    @property
    def pages(self) -> int:
        return self._writer.page_count

    def __enter__(self) -> Pd4Batch:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
