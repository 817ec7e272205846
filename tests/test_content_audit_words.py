"""Issue 12 §3: the audit trail and the journals in people's words — every action code has its words,
details read «поле: было → стало» with amounts in rubles, times are whole and on the office clock."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from cashier_app.domain import audit_words as w
from cashier_app.domain.card_order_states import FINAL_STATES
from cashier_app.i18n import set_language

PACKAGE = Path(__file__).resolve().parent.parent / "cashier_app"
CODE = re.compile(r"^[a-z]+\.[a-z_]+$")


def _recorded_codes() -> tuple[set[str], set[str]]:
    """Every literal action code ``audit.record`` is called with, and the prefixes of f-string ones."""
    codes: set[str] = set()
    prefixes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        named = False
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            arg = node.args[2] if len(node.args) > 2 else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                codes.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                head = arg.values[0]
                assert isinstance(head, ast.Constant)
                prefixes.add(str(head.value))
            elif isinstance(arg, ast.Name):
                named = True
        if named:
            # ``action`` chosen above the call (users._change, payees.save): the module's code literals.
            codes |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                      and CODE.match(n.value) and n.value.split(".")[0] in ("user", "payee")}
    return codes, prefixes


def test_every_recorded_action_has_words() -> None:
    codes, prefixes = _recorded_codes()
    assert {"payment.credit", "auth.sign_in", "shift.close", "payee.fiscal", "user.set_role"} <= codes
    assert sorted(codes - set(w.ACTION_WORDS)) == []
    # f-string codes: card.{state}, payment.{kind}, shift.cash_{kind}, shift.register_{action}
    assert prefixes == {"card.", "payment.", "shift.cash_", "shift.register_"}
    expansions = ({f"card.{s}" for s in FINAL_STATES | {"manual"}} | {"payment.reversal", "payment.refund"}
                  | {"shift.cash_in", "shift.cash_out", "shift.register_opened", "shift.register_adopted"})
    assert sorted(expansions - set(w.ACTION_WORDS)) == []


def test_action_and_object_words() -> None:
    assert w.action_text("payment.credit") == "Платёж зачислен"
    assert w.action_text("auth.sign_in") == "Вход в программу"
    assert w.action_text("shift.brand_new") == "Смена (shift.brand_new)"  # a new code still reads
    assert w.entity_text("payment", "P-000000001") == "платёж P-000000001"
    assert w.entity_text("exchange_rate", "USD:2026-12-04") == "курс USD на 04.12.2026"
    assert w.method_text("cash") == "Наличные" and w.entry_kind_text("reversal") == "Отмена"


def test_details_read_field_was_becomes_in_rubles() -> None:
    text = w.change_text({"status": "paid", "left_minor": 610000},
                         {"entry": "P-000000002", "amount_minor": -25000, "reason": "ошибка кассира"})
    assert "статус (было): Зачислен" in text
    assert "остаток (было): 6\u00a0100,00\u00a0₽" in text
    assert "сумма: -250,00\u00a0₽" in text and "причина: ошибка кассира" in text
    assert "{" not in text and "610000" not in text and "_minor" not in text
    assert w.change_text({"role": "cashier"}, {"role": "manager"}) == "роль: кассир → менеджер"
    closed = w.change_text({"status": "open"}, {"expected_minor": 610000, "counted_minor": 610000,
                                                "over_short_minor": 0, "z_report": "D-1", "sha256": "ab" * 32})
    assert "пересчитано: 6\u00a0100,00\u00a0₽" in closed and "abababababab…" in closed and "ab" * 20 not in closed
    tour = w.change_text(None, {"amount_minor": 100, "target_amount_minor": 123456, "target_currency": "EUR"})
    assert "в валюте тура: 1\u00a0234,56\u00a0€" in tour
    assert w.change_text(None, {"by_currency": {"USD": 123456}}) == "по валютам: USD: 1\u00a0234,56\u00a0$"


def test_instants_are_whole_and_on_the_given_clock() -> None:
    at = datetime(2026, 12, 4, 6, 5, 17, tzinfo=UTC)
    assert w.format_instant(at, lambda t: t) == "04.12.2026 06:05:17"
    naive = datetime(2026, 12, 4, 6, 5, 17)  # SQLite gives UTC back without a zone
    assert w.format_instant(naive, lambda t: t) == "04.12.2026 06:05:17"
    text = w.change_text(None, {"locked_until": "2026-12-04T06:20:00+00:00"}, clock=lambda t: t)
    assert text == "заблокирован до: 04.12.2026 06:20:00"


def test_english_words() -> None:
    set_language("en")
    try:
        # Until H1 merges the catalogs the English may fall back to Russian; the words are still looked up.
        assert w.action_text("payment.credit") in ("Payment credited", "Платёж зачислен")
    finally:
        set_language("ru")
