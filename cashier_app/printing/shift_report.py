"""X and Z shift reports: float, cash taken and returned, cash in/out, expected vs counted."""

from __future__ import annotations

from typing import Any

from cashier_app.printing.fiscal_block import z_register_blocks
from cashier_app.printing.slip import Block, money, render_blocks

DENOMINATION_LABELS = {
    "500000": "5000 ₽", "200000": "2000 ₽", "100000": "1000 ₽", "50000": "500 ₽", "20000": "200 ₽",
    "10000": "100 ₽", "5000": "50 ₽", "1000": "10 ₽", "500": "5 ₽", "200": "2 ₽", "100": "1 ₽",
    "coins": "копейки",
}


def report_blocks(p: dict[str, Any]) -> list[Block]:
    z = p["kind"] == "z_report"
    title = "Z-ОТЧЁТ (закрытие смены)" if z else "X-ОТЧЁТ (без закрытия смены)"
    blocks: list[Block] = [
        ("title", title),
        ("kv", "Документ №", p["document_number"]),
        *([("kv", "Z-отчёт №", p["z_number"])] if p.get("z_number") else []),
        ("kv", "Смена №", p["shift_number"]),
        ("kv", "Касса", p["desk"]),
        ("kv", "Кассир", p["cashier"]),
        ("kv", "Открыта", p["opened_at"]),
    ]
    if p.get("closed_at"):
        blocks.append(("kv", "Закрыта", p["closed_at"]))
    blocks.append(("kv", "Сформирован", p["issued_at"]))
    if "takings" in p:  # reports made before issue 11 have none and must reprint byte for byte
        blocks += _takings_blocks(p["takings"])
    blocks += [
        ("rule",),
        *([("text", "Денежный ящик (наличные):")] if "takings" in p else []),
        ("kv", "Размен на начало", money(p["float_minor"])),
        ("kv", "Платежей наличными", f"{p['payments_count']} на {money(p['payments_minor'])}"),
        ("kv", "Отмены и возвраты", f"{p['returns_count']} на {money(p['returns_minor'])}"),
        ("kv", "Внесено", money(p["cash_in_minor"])),
        ("kv", "Изъято", money(p["cash_out_minor"])),
        ("rule",),
        ("kv", "Ожидается в кассе", money(p["expected_minor"])),
    ]
    if z:
        blocks.append(("kv", "Пересчитано", money(p["counted_minor"])))
        diff = p["over_short_minor"]
        label = "Излишек" if diff > 0 else ("Недостача" if diff < 0 else "Расхождение")
        blocks.append(("kv", label, money(abs(diff))))
        denoms = p.get("denominations") or {}
        if denoms:
            blocks.append(("rule",))
            blocks.append(("text", "Пересчёт по номиналам:"))
            for key, label_d in DENOMINATION_LABELS.items():
                if denoms.get(key):
                    value = denoms[key]
                    text = money(value) if key == "coins" else f"{value} шт."
                    blocks.append(("kv", label_d, text))
    if p.get("movements"):
        blocks.append(("rule",))
        blocks.append(("text", "Внесения и изъятия:"))
        for mv in p["movements"]:
            sign = "+" if mv["kind"] == "in" else "−"
            blocks.append(("kv", f"{sign} {mv['at']}", f"{money(mv['amount_minor'])} — {mv['reason']}"))
    if "pending_orders" in p:
        blocks += _pending_blocks(p["pending_orders"], z)
    # The register's shift (issue 13); reports made before it have no «register» and reprint byte for byte.
    blocks += z_register_blocks(p.get("register"))
    anchor = p.get("audit_anchor")
    if z and anchor and anchor.get("rows"):
        blocks += _anchor_blocks(anchor)
    blocks += [("gap",), ("sign", "Подпись кассира"), ("sign", "Подпись старшего кассира")]
    return blocks


def _takings_blocks(takings: list[dict[str, Any]]) -> list[Block]:
    # Every method the ledger holds for the shift, in the order the service sorted them.
    blocks: list[Block] = [("rule",), ("text", "Выручка по способам оплаты:")]
    if not takings:
        blocks.append(("text", "платежей за смену нет"))
        return blocks
    for t in takings:
        blocks.append(("kv", t["label"], f"{t['payments_count']} на {money(t['payments_minor'])}"))
        if t["returns_count"]:
            blocks.append(("kv", "   отмены и возвраты", f"{t['returns_count']} на {money(t['returns_minor'])}"))
            blocks.append(("kv", "   итого", money(t["net_minor"])))
    blocks.append(("kv", "Всего по всем способам", money(sum(t["net_minor"] for t in takings))))
    return blocks


def _pending_blocks(orders: list[dict[str, Any]], z: bool) -> list[Block]:
    title = "Заказы по карте, не завершённые к закрытию:" if z else "Заказы по карте, не завершённые:"
    blocks: list[Block] = [("rule",), ("text", title)]
    if not orders:
        blocks.append(("text", "нет"))
        return blocks
    for o in orders:
        blocks.append(("kv", f"{o['order']} ({o['created']})", f"{money(o['amount_minor'])} — {o['target']}, {o['state']}"))
    blocks.append(("kv", "Всего заказов", f"{len(orders)} на {money(sum(o['amount_minor'] for o in orders))}"))
    return blocks


def anchor_text(anchor: dict[str, Any]) -> str:
    """``ROWS:HASH`` with the hash in groups of eight, as typed back into ``audit verify --anchor``."""
    h = str(anchor["hash"])
    return f"{anchor['rows']}:" + " ".join(h[i:i + 8] for i in range(0, len(h), 8))


def _anchor_blocks(anchor: dict[str, Any]) -> list[Block]:
    # The paper copy is the part of the audit trail no one with the database can rewrite.
    return [
        ("rule",),
        ("text", "Журнал аудита на момент отчёта (якорь):"),
        ("kv", "Записей в цепочке", str(anchor["rows"])),
        ("kv", "Последняя запись №", str(anchor["event_id"])),
        ("text", anchor_text(anchor)),
        ("text", "Проверка: cashier-app audit verify --anchor «якорь»"),
    ]


def render_params(params: dict[str, Any]) -> bytes:
    return render_blocks(report_blocks(params), params.get("paper", "a4"))
