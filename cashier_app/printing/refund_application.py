"""The customer's written application for a refund (заявление на возврат денежных средств)."""

from __future__ import annotations

from typing import Any

from cashier_app.domain.money import format_amount
from cashier_app.printing.amount_words import amount_in_words
from cashier_app.printing.slip import Block, money, render_blocks


def application_blocks(p: dict[str, Any]) -> list[Block]:
    target = (f"лицевому счёту № {p['account']}" if p.get("account") else f"заявке № {p['booking']}")
    amount = int(p["amount_minor"])
    return [
        ("text", f"Получатель: {p['payee_name']}"),
        ("text", f"от {p['customer'] or '______________________________________'}"),
        ("gap",),
        ("title", f"ЗАЯВЛЕНИЕ на возврат денежных средств № {p['document_number']}"),
        ("text",
         f"Прошу вернуть денежные средства, внесённые по {target} платежом № {p['payment_number']} "
         f"от {p['payment_date']} на сумму {money(p['payment_amount_minor'])} ({p['payment_method']})."),
        ("kv", "Сумма к возврату", f"{format_amount(amount)} ₽ ({amount_in_words(amount)})"),
        ("kv", "Способ возврата", p["refund_method"]),
        ("kv", "Причина", p["reason"]),
        ("kv", "Операция возврата", p.get("refund_number") or ""),
        ("gap",),
        ("text", "Документ, удостоверяющий личность: ________________________________"),
        ("gap",),
        ("kv", "Дата", p["issued_at"]),
        ("sign", "Подпись заявителя"),
        ("gap",),
        ("kv", "Принял", f"{p['cashier']} (касса {p['desk']})"),
        ("sign", "Подпись кассира"),
        ("sign", "Разрешил (менеджер)"),
    ]


def render_params(params: dict[str, Any]) -> bytes:
    return render_blocks(application_blocks(params), "a4")
