"""The cash payment slip («квитанция об оплате», not a fiscal receipt), A4 or 80 mm tape.

The layout is a column of lines (title, label–value pairs, free text, rules,
signature lines) so that the same description prints on an A4 sheet and on a
narrow receipt printer; the shift report and the refund application reuse it
through :func:`render_blocks`.  Everything comes from ``params`` (JSON-safe),
so the documents journal can reprint byte for byte.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from cashier_app.domain.money import format_money
from cashier_app.printing.fiscal_block import slip_fiscal_blocks
from cashier_app.printing.pdf_base import COND, COND_BOLD, Sheet, ensure_fonts, new_canvas, wrap_text
from cashier_app.printing.qr import qr_matrix
from cashier_app.printing.wording import rate_text

# A block: ("title", text) | ("kv", label, value) | ("text", text) | ("rule",) | ("sign", label) | ("gap",)
# | ("qr", payload text, box mm): a QR code centred on the column (the FNS check code, printing/fiscal_block.py)
Block = tuple[str, ...]

_PAPER = {
    # width mm, left/right margin mm, base font size
    "a4": (210.0, 20.0, 10.0),
    "80mm": (80.0, 4.0, 8.0),
}


def _layout(blocks: Sequence[Block], width_mm: float, margin_mm: float, size: float) -> list[tuple]:
    """Turn blocks into drawing operations with their y in mm from the top."""
    inner = width_mm - 2 * margin_mm
    line_h = size * 0.45
    ops: list[tuple] = []
    y = margin_mm + line_h
    narrow = width_mm < 100
    for block in blocks:
        kind = block[0]
        if kind == "title":
            for part in wrap_text(block[1], COND_BOLD, size + 2, inner * mm):
                ops.append(("text", margin_mm + inner / 2, y, part, COND_BOLD, size + 2, "center"))
                y += line_h * 1.3
            y += line_h * 0.4
        elif kind == "kv":
            label, value = block[1], block[2]
            if narrow:
                ops.append(("text", margin_mm, y, label, COND, size - 1, "left"))
                y += line_h
                for part in wrap_text(value, COND_BOLD, size, inner * mm) or [""]:
                    ops.append(("text", margin_mm + inner, y, part, COND_BOLD, size, "right"))
                    y += line_h
            else:
                label_w = inner * 0.38
                parts = wrap_text(value, COND_BOLD, size, (inner - label_w) * mm) or [""]
                ops.append(("text", margin_mm, y, label, COND, size, "left"))
                for part in parts:
                    ops.append(("text", margin_mm + label_w, y, part, COND_BOLD, size, "left"))
                    y += line_h
            y += line_h * 0.2
        elif kind == "text":
            for part in wrap_text(block[1], COND, size - 1, inner * mm) or [""]:
                ops.append(("text", margin_mm, y, part, COND, size - 1, "left"))
                y += line_h * 0.95
        elif kind == "rule":
            ops.append(("rule", margin_mm, margin_mm + inner, y - line_h * 0.5))
            y += line_h * 0.5
        elif kind == "sign":
            y += line_h * 1.2
            ops.append(("rule", margin_mm + inner * 0.45, margin_mm + inner, y))
            ops.append(("text", margin_mm, y, block[1], COND, size - 1, "left"))
            y += line_h
        elif kind == "gap":
            y += line_h
        elif kind == "qr":
            box = min(float(block[2]), inner)
            top = y - line_h * 0.6  # the box starts where the next line's capitals would
            ops.append(("qr", margin_mm + (inner - box) / 2, top, box, block[1]))
            y = top + box + line_h
        else:  # pragma: no cover - a programming mistake in a layout
            raise ValueError(kind)
    return [*ops, ("end", y + margin_mm)]


def render_blocks(blocks: Sequence[Block], paper: str = "a4") -> bytes:
    """PDF bytes: one A4 page, or one 80 mm strip as long as the content."""
    if paper not in _PAPER:
        raise ValueError(f"unknown paper {paper!r}")
    width_mm, margin_mm, size = _PAPER[paper]
    ensure_fonts()  # the layout measures text before the canvas exists
    ops = _layout(blocks, width_mm, margin_mm, size)
    height_mm = ops[-1][1]
    pagesize = A4 if paper == "a4" else (width_mm * mm, max(height_mm, 60.0) * mm)
    buf = io.BytesIO()
    c = new_canvas(buf, pagesize=pagesize)
    sheet = Sheet(c, 0.0, 0.0, pagesize[1])
    for op in ops[:-1]:
        if op[0] == "text":
            _, x, y, s, font, fsize, align = op
            sheet.text(x, y, s, font, fsize, align)
        elif op[0] == "qr":
            _, x, y, box, text = op
            payload = text.encode("utf-8")
            sheet.qr(qr_matrix(payload), x, y, box, payload=payload)
        else:
            _, x1, x2, y = op
            sheet.hline(x1, x2, y, 0.3)
    c.showPage()
    c.save()
    return buf.getvalue()


def money(minor: int, currency: str = "RUB") -> str:
    return format_money(int(minor), currency)


def slip_blocks(p: dict[str, Any]) -> list[Block]:
    target = (f"Лицевой счёт № {p['account']}" if p.get("account")
              else f"Заявка № {p['booking']}")
    blocks: list[Block] = [
        ("title", "КВИТАНЦИЯ ОБ ОПЛАТЕ"),
        ("text", "Не является кассовым чеком"),
        ("rule",),
        ("kv", "Документ №", p["document_number"]),
        ("kv", "Платёж №", p["payment_number"]),
        ("kv", "Дата и время", p["issued_at"]),
        ("kv", "Получатель", p["payee_name"]),
        ("kv", "ИНН получателя", p.get("payee_inn") or ""),
        ("kv", "Назначение", target),
    ]
    if p.get("payer"):
        blocks.append(("kv", "Плательщик", p["payer"]))
    if p.get("target_amount_minor") is not None:
        blocks.append(("kv", "В валюте тура", money(p["target_amount_minor"], p["target_currency"])))
        # A decimal comma (issue 12); slips issued before it printed the stored text and reprint so.
        rate = p["rate"] if p.get("legacy_rate_dot") else rate_text(Decimal(str(p["rate"])))
        blocks.append(("kv", "Курс", f"{rate} ₽ за 1 {p['target_currency']} на {p['rate_day']}"))
    blocks += [
        ("kv", "Способ оплаты", "наличные"),
        ("rule",),
        ("kv", "СУММА", money(p["amount_minor"])),
    ]
    if p.get("received_minor") is not None:
        blocks.append(("kv", "Получено", money(p["received_minor"])))
        blocks.append(("kv", "Сдача", money(p["change_minor"])))
    blocks += [
        ("rule",),
        ("kv", "Кассир", p["cashier"]),
        ("kv", "Касса", p["desk"]),
        ("kv", "Смена №", p.get("shift_number") or ""),
    ]
    # Slips made before issue 13 have no «fiscal» key and reprint byte for byte.
    blocks += slip_fiscal_blocks(p.get("fiscal"))
    blocks.append(("sign", "Подпись кассира"))
    return blocks


def render_params(params: dict[str, Any]) -> bytes:
    return render_blocks(slip_blocks(params), params.get("paper", "a4"))
