"""The fiscal receipt's data on the app's paper: slip lines, the FNS check QR, the Z report's register part.

The register prints the fiscal receipt itself; the slip repeats its requisites
(ФД, ФП, ФН, РН ККТ, shift, date-time, the FNS site) and the FNS check QR so the
customer can check the receipt on the tax service's site even without the
register's tape.  Everything comes from the ``fiscal`` dict of the slip's
params (JSON-safe, frozen in the documents journal), so a reprint is the same.

``fiscal`` keys: ``state`` (pending | sent | done | failed | bank), ``fd_number``,
``fiscal_sign``, ``fn_number``, ``registration_number``, ``shift_number``,
``receipt_number``, ``fiscal_at`` (office-local «dd.mm.yyyy HH:MM»),
``fns_url``, ``qr`` (the FNS check string), ``total_minor``, ``error``,
``contact``, ``electronically``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cashier_app.domain.money import format_money

Block = tuple[str, ...]

FNS_SITE = "www.nalog.gov.ru"
# QR box on the slip, mm: the FNS string is ~90 bytes (a version 5 symbol, 37 modules),
# so 30 mm gives modules of about 0.68 mm — well above what phone cameras read off a receipt.
QR_BOX_MM = 30.0

STATE_TEXT = {
    "pending": "Фискальный чек формируется…",
    "sent": "Фискальный чек формируется…",
    "bank": "Кассовый чек сформирован онлайн-кассой банка и отправлен покупателю",
}


def fiscal_lines(f: dict[str, Any]) -> list[tuple[str, str]]:
    """Label–value pairs of a done receipt, in the order a register prints them."""
    pairs = [
        ("ФД №", str(f.get("fd_number") or "")),
        ("ФП", str(f.get("fiscal_sign") or "")),
        ("ФН №", str(f.get("fn_number") or "")),
        ("РН ККТ", str(f.get("registration_number") or "")),
        ("Смена №", "" if f.get("shift_number") is None else str(f["shift_number"])),
    ]
    if f.get("receipt_number") is not None:
        pairs.append(("Чек №", str(f["receipt_number"])))
    pairs.append(("Дата и время чека", str(f.get("fiscal_at") or "")))
    if f.get("total_minor") is not None:
        pairs.append(("Итог по чеку", format_money(int(f["total_minor"]))))
    pairs.append(("Сайт ФНС", str(f.get("fns_url") or FNS_SITE)))
    return pairs


def slip_fiscal_blocks(f: dict[str, Any] | None) -> list[Block]:
    """The slip's fiscal part; nothing for a payment without a receipt (a payee «без ККТ»)."""
    if not f:
        return []
    blocks: list[Block] = [("rule",), ("text", "Реквизиты кассового чека (54-ФЗ):")]
    state = f.get("state")
    if state == "done":
        blocks += [("kv", label, value) for label, value in fiscal_lines(f)]
        if f.get("contact"):
            blocks.append(("kv", "Электронный чек", str(f["contact"])))
        if f.get("qr"):
            blocks.append(("qr", str(f["qr"]), str(QR_BOX_MM)))
            blocks.append(("text", "Проверка чека: отсканируйте QR-код в приложении «Проверка чеков ФНС России»"))
        return blocks
    if state == "failed":
        reason = f.get("error") or "причина не указана"
        blocks.append(("text", f"Фискальный чек не сформирован: {reason}. Обратитесь к кассиру: чек будет "
                               "пробит повторно или исправлен чеком коррекции."))
        return blocks
    blocks.append(("text", STATE_TEXT.get(str(state), STATE_TEXT["pending"])))
    if f.get("contact"):
        blocks.append(("kv", "Электронный чек", str(f["contact"])))
    return blocks


def _when(value: Any) -> str | None:
    """«dd.mm.yyyy HH:MM» as given; an ISO instant as its own clock, said to be UTC when it is."""
    if not value or not isinstance(value, str) or "T" not in value:
        return value
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    text = at.strftime("%d.%m.%Y %H:%M")
    return f"{text} UTC" if at.utcoffset() == timedelta(0) else text


def z_register_blocks(reg: dict[str, Any] | None) -> list[Block]:
    """The register's part of the app's Z report: its shift and the closeShift data.

    ``reg`` keys (all optional but ``shift_number``): ``shift_number``, ``fn_number``,
    ``registration_number``, ``fd_number``, ``fiscal_sign``, ``closed_at``, ``receipts``,
    ``unsent``, ``error`` (the register part failed: say so, the app's shift is closed anyway).
    """
    if not reg:
        return []
    blocks: list[Block] = [("rule",), ("text", "Контрольно-кассовая техника:")]
    if reg.get("shift_number") is not None:
        blocks.append(("kv", "Смена ККТ №", str(reg["shift_number"])))
    reg = {**reg, "closed_at": _when(reg.get("closed_at"))}
    for key, label in (("fn_number", "ФН №"), ("registration_number", "РН ККТ"), ("fd_number", "ФД отчёта №"),
                       ("fiscal_sign", "ФП отчёта"), ("closed_at", "Смена ККТ закрыта"),
                       ("receipts", "Чеков за смену"), ("unsent", "Не отправлено в ОФД")):
        if reg.get(key) not in (None, ""):
            blocks.append(("kv", label, str(reg[key])))
    if reg.get("error"):
        blocks.append(("text", f"ККТ: {reg['error']}"))
    return blocks


__all__ = ["FNS_SITE", "QR_BOX_MM", "fiscal_lines", "slip_fiscal_blocks", "z_register_blocks"]
