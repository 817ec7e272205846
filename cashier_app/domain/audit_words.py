"""The audit trail and the journals in people's words, not codes.

Actions (``payment.credit``), objects (``payment``), payment methods (``cash``),
statuses and the fields an event records are kept as codes in the database (the
hash chain covers them); this module says them the way a cashier or an auditor
reads them.  Every word is marked with ``N_`` and translated by ``tr`` where it
is shown, so the same row reads right in either language.

An event's details become «поле: было → стало» with amounts in rubles (never
kopecks) and instants on the office clock; the caller passes the clock
(``services.office_time.local_clock``), the domain does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cashier_app.domain.money import format_amount, format_money
from cashier_app.i18n import N_, tr

# Every action code ``audit.record`` writes (tests/test_content_audit_words.py greps the sources).
ACTION_WORDS: dict[str, str] = {
    "auth.sign_in": N_("Вход в программу"),
    "auth.sign_out": N_("Выход пользователя"),
    "auth.failed": N_("Неудачная попытка входа"),
    "payment.credit": N_("Платёж зачислен"),
    "payment.reversal": N_("Платёж отменён (сторно)"),
    "payment.refund": N_("Возврат платежа"),
    "card.order": N_("Заказ оплаты картой"),
    "card.paid": N_("Оплата картой: банк подтвердил"),
    "card.declined": N_("Оплата картой: банк отклонил"),
    "card.expired": N_("Оплата картой: истёк срок"),
    "card.cancelled": N_("Оплата картой отменена"),
    "card.held": N_("Оплата картой: на проверке"),
    "card.refunded": N_("Оплата картой возвращена"),
    "card.partially_refunded": N_("Оплата картой возвращена частично"),
    "card.manual": N_("Оплата картой: ждёт выписки банка"),
    "card.confirm_manual": N_("Оплата картой подтверждена вручную"),
    "card.refund": N_("Возврат на карту"),
    "card.renumber": N_("Новый номер заказа в банке"),
    "shift.open": N_("Смена открыта"),
    "shift.close": N_("Смена закрыта"),
    "shift.cash_in": N_("Внесение наличных"),
    "shift.cash_out": N_("Выплата наличных"),
    "shift.register_opened": N_("Смена ККТ открыта"),
    "shift.register_adopted": N_("Смена ККТ продолжена"),
    "document.issue": N_("Документ выпущен"),
    "document.reprint": N_("Документ напечатан повторно"),
    "rate.set": N_("Курс введён"),
    "user.add": N_("Пользователь добавлен"),
    "user.set_role": N_("Роль пользователя изменена"),
    "user.reset_password": N_("Пароль пользователя сброшен"),
    "user.enable": N_("Пользователь включён"),
    "user.disable": N_("Пользователь отключён"),
    "user.set_cash_limit": N_("Лимит наличных изменён"),
    "user.fiscal": N_("Данные кассира для чеков изменены"),
    "user.token_issue": N_("Выдан токен для командной строки"),
    "user.token_revoke": N_("Токен отозван"),
    "payee.create": N_("Получатель добавлен"),
    "payee.update": N_("Получатель изменён"),
    "payee.fiscal": N_("Настройки чеков получателя изменены"),
    "payee.gateway": N_("Настройки оплаты картой изменены"),
    "payee.billing": N_("Подключение к биллингу изменено"),
    "payee.return_url": N_("Адрес возврата после оплаты изменён"),
    "payee.registry_layout": N_("Формат реестра изменён"),
    "desk.fiscal_register": N_("Адрес ККТ кассы изменён"),
    "fiscal.retry": N_("Чек отправлен повторно"),
    "fiscal.rekey": N_("Чек отправлен под новым ключом"),
    "fiscal.correct": N_("Чек коррекции"),
    "billing.retry": N_("Платёж снова отправлен в биллинг"),
    "bonus.spend": N_("Оплата бонусами"),
    "bonus.refund": N_("Бонусы возвращены"),
    "bonus.accrue": N_("Начисление бонусов"),
    "bonus.burn": N_("Сгорание бонусов"),
    "booking.price": N_("Стоимость заявки изменена"),
    "import.accounts": N_("Загрузка лицевых счетов"),
    "import.bookings": N_("Загрузка заявок"),
    "settings.office_timezone": N_("Часовой пояс офиса изменён"),
}

# The first part of an action code, for a code this list does not know yet.
ACTION_GROUP_WORDS: dict[str, str] = {
    "auth": N_("Вход"), "payment": N_("Платёж"), "card": N_("Оплата картой"), "shift": N_("Смена"),
    "document": N_("Документ"), "rate": N_("Курс"), "user": N_("Пользователь"), "payee": N_("Получатель"),
    "desk": N_("Касса"), "fiscal": N_("Чек"), "billing": N_("Биллинг"), "bonus": N_("Бонусы"),
    "booking": N_("Заявка"), "import": N_("Загрузка"), "settings": N_("Настройки"),
}

ENTITY_WORDS: dict[str, str] = {
    "payment": N_("платёж"), "user": N_("пользователь"), "shift": N_("смена"), "document": N_("документ"),
    "exchange_rate": N_("курс"), "payee": N_("получатель"), "booking": N_("заявка"),
    "bonus_batch": N_("бонусы"), "setting": N_("настройка"), "desk": N_("касса"),
    "fiscal_receipt": N_("чек"), "account": N_("лицевой счёт"),
}

METHOD_WORDS: dict[str, str] = {
    "cash": N_("Наличные"), "card": N_("Карта"), "bank": N_("Банк"), "bonus": N_("Бонусы"), "post": N_("Почта"),
    "contact": "CONTACT", "euroset": N_("Евросеть"), "transfer": N_("Перевод"), "sbp": N_("СБП"),
}

STATUS_WORDS: dict[str, str] = {
    "pending": N_("Ожидает оплаты"), "paid": N_("Зачислен"), "declined": N_("Отклонён"), "expired": N_("Истёк срок"),
    "cancelled": N_("Отменён"), "held": N_("На проверке"), "refunded": N_("Возвращён"),
    "reversed": N_("Сторнирован"), "open": N_("открыта"), "closed": N_("закрыта"),
}

# A card order's and a delivery's states, as the events record them (``state``).
STATE_WORDS: dict[str, str] = {
    **STATUS_WORDS, "new": N_("новый"), "registered": N_("зарегистрирован в банке"),
    "manual": N_("вручную"), "partially_refunded": N_("возвращён частично"), "sent": N_("отправлен"),
    "failed": N_("ошибка"), "done": N_("пробит"), "delivered": N_("доставлен"), "refused": N_("отклонён"),
}

ENTRY_KIND_WORDS: dict[str, str] = {
    "payment": N_("Платёж"), "reversal": N_("Отмена"), "refund": N_("Возврат"),
}

ROLE_WORDS: dict[str, str] = {"cashier": N_("кассир"), "manager": N_("менеджер"), "admin": N_("администратор")}

# The fields events record.  ``*_minor`` amounts are said in rubles (or the record's currency).
FIELD_WORDS: dict[str, str] = {
    "amount_minor": N_("сумма"), "target_amount_minor": N_("в валюте тура"), "method": N_("способ"),
    "account_id": N_("ид счёта"), "booking_id": N_("ид заявки"), "status": N_("статус"), "state": N_("состояние"),
    "left_minor": N_("остаток"), "entry": N_("запись"), "reason": N_("причина"), "order_number": N_("заказ в банке"),
    "order_uid": N_("ид заказа"), "provider": N_("банк"), "target_currency": N_("валюта тура"),
    "bank_amount_minor": N_("сумма по банку"), "bank_reference": N_("номер операции банка"),
    "refunded_minor": N_("возвращено"), "bank_key": N_("ключ операции банка"), "float_minor": N_("размен"),
    "expected_minor": N_("по расчёту"), "counted_minor": N_("пересчитано"),
    "over_short_minor": N_("излишек (+) / недостача (−)"), "z_report": N_("Z-отчёт"),
    "sha256": N_("контрольная сумма"), "kind": N_("вид"), "count": N_("количество"), "rate": N_("курс"),
    "role": N_("роль"), "full_name": N_("ФИО"), "cash_limit_minor": N_("лимит наличных"), "token_id": N_("токен"),
    "label": N_("назначение"), "via": N_("способ входа"), "locked_until": N_("заблокирован до"),
    "attempts": N_("попыток"), "failed_attempts": N_("неудачных попыток"), "price_minor": N_("стоимость"),
    "paid_minor": N_("оплачено"), "value": N_("значение"), "url": N_("адрес"), "return_url": N_("адрес возврата"),
    "fiscal_name": N_("ФИО в чеке"), "fiscal_inn": N_("ИНН в чеке"), "file": N_("файл"), "preset": N_("формат"),
    "receipt_id": N_("чек"), "corrects": N_("исправляет"), "register_shift_number": N_("смена ККТ"),
    "fn": N_("ФН"), "accounts": N_("счетов"), "by_currency": N_("по валютам"), "by_type": N_("по видам"),
    "balances": N_("остатки"), "currency": N_("валюта"), "payment": N_("платёж"), "returned": N_("возвращено"),
    "batch": N_("пачка"), "key": N_("ключ"), "register": N_("ККТ"), "password_changed": N_("пароль изменён"),
    "secret_changed": N_("секрет изменён"), "active": N_("включён"), "created": N_("создано"),
    "activated": N_("активировано"), "updated": N_("обновлено"), "removed": N_("удалено"), "agent": N_("агентам"),
    "protocol": N_("протокол"), "name": N_("наименование"), "code": N_("код"), "inn": N_("ИНН"),
    "added": N_("добавлено"), "changed": N_("изменено"), "unchanged": N_("без изменений"), "bad": N_("с ошибками"),
    "closed": N_("закрыто"),
}

# Fields whose value is a code said in words: field → words of its values.
VALUE_WORDS: dict[str, Mapping[str, str]] = {
    "method": METHOD_WORDS, "status": STATUS_WORDS, "state": STATE_WORDS, "role": ROLE_WORDS,
}

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
_HEX_DIGEST = re.compile(r"^[0-9a-f]{32,64}$")
Clock = Callable[[datetime], datetime]


def _system_clock(instant: datetime) -> datetime:
    return instant.astimezone()


def action_text(code: str) -> str:
    """«Платёж зачислен» for ``payment.credit``; an unknown code keeps its group's word and the code."""
    words = ACTION_WORDS.get(code)
    if words:
        return tr(words)
    group = ACTION_GROUP_WORDS.get(code.partition(".")[0])
    return f"{tr(group)} ({code})" if group else code


def entity_text(entity: str, entity_id: str | None = None) -> str:
    """«платёж P-000000123»; an exchange rate's id ``USD:2026-12-04`` reads «курс USD на 04.12.2026»."""
    words = tr(ENTITY_WORDS[entity]) if entity in ENTITY_WORDS else entity
    if not entity_id:
        return words
    if entity == "exchange_rate" and ":" in entity_id:
        currency, _, day = entity_id.partition(":")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            return tr("курс {cur} на {d}", cur=currency, d=f"{day[8:10]}.{day[5:7]}.{day[0:4]}")
    return f"{words} {entity_id}"


def method_text(code: str | None) -> str:
    return tr(METHOD_WORDS[code]) if code in METHOD_WORDS else (code or "")


def status_text(code: str | None) -> str:
    return tr(STATUS_WORDS[code]) if code in STATUS_WORDS else (code or "")


def entry_kind_text(code: str | None) -> str:
    return tr(ENTRY_KIND_WORDS[code]) if code in ENTRY_KIND_WORDS else (code or "")


def field_text(key: str) -> str:
    return tr(FIELD_WORDS[key]) if key in FIELD_WORDS else key


def format_instant(instant: datetime, clock: Clock | None = None) -> str:
    """Full date and time on the office clock: «04.12.2026 09:05:17» (never cut to minutes)."""
    moment = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return (clock or _system_clock)(moment).strftime("%d.%m.%Y %H:%M:%S")


def value_text(key: str, value: Any, *, currency: str = "RUB", clock: Clock | None = None,
               words: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """One recorded value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return tr("да", context="answer") if value else tr("нет", context="answer")
    if key.endswith("_minor") and isinstance(value, int):
        return format_money(value, currency) if currency else format_amount(value)
    table = (words or VALUE_WORDS).get(key)
    if table is not None and isinstance(value, str) and value in table:
        return tr(table[value])
    if isinstance(value, str):
        if _ISO_INSTANT.match(value):
            try:
                return format_instant(datetime.fromisoformat(value.replace("Z", "+00:00")), clock)
            except ValueError:
                return value
        if _HEX_DIGEST.match(value):
            return value[:12] + "…"  # a hash: enough to compare with the printed one
        return value
    if isinstance(value, dict):
        if key in ("by_currency", "by_type", "balances"):
            # amounts keyed by a currency (or a bonus type in the record's currency)
            return ", ".join(f"{k}: {_amount(v, k if key == 'by_currency' else currency)}" for k, v in value.items())
        return ", ".join(f"{field_text(str(k))}: {value_text(str(k), v, currency=currency, clock=clock, words=words)}"
                         for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(value_text(key, v, currency=currency, clock=clock, words=words) for v in value)
    return str(value)


def _amount(value: Any, currency: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_money(value, currency) if currency in ("RUB", "USD", "EUR") else format_amount(value)
    return str(value)


def _currency_of(key: str, record: Mapping[str, Any]) -> str:
    if key == "target_amount_minor":
        return str(record.get("target_currency") or "")  # the tour's currency, when the event says it
    if key == "bank_amount_minor":
        return "RUB"  # the bank answers in kopecks
    return str(record.get("currency") or "RUB")


def change_text(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, *,
                clock: Clock | None = None, words: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """«статус: Зачислен → Возвращён; сумма: 1 000,00 ₽» — what an event changed, in words.

    A field in both records reads «было → стало» (just the value when equal); a field only
    after the change reads its new value; one only before reads «(было) значение».  Empty
    values on one side only are left out: they say nothing.
    """
    b = dict(before) if isinstance(before, Mapping) else ({} if before is None else {"value": before})
    a = dict(after) if isinstance(after, Mapping) else ({} if after is None else {"value": after})
    parts: list[str] = []
    for key in dict.fromkeys([*b, *a]):
        if key in ("currency", "target_currency") and key in a and key in b and a[key] == b[key]:
            continue
        old, new = b.get(key), a.get(key)
        cur_old, cur_new = _currency_of(key, b), _currency_of(key, a)
        label = field_text(key)
        if key in b and key in a:
            if old == new:
                parts.append(f"{label}: {value_text(key, new, currency=cur_new, clock=clock, words=words)}")
            else:
                parts.append(f"{label}: {value_text(key, old, currency=cur_old, clock=clock, words=words)} → "
                             f"{value_text(key, new, currency=cur_new, clock=clock, words=words)}")
        elif key in a:
            if new is None:
                continue
            parts.append(f"{label}: {value_text(key, new, currency=cur_new, clock=clock, words=words)}")
        elif old is not None:
            parts.append(tr("{field} (было): {value}", field=label,
                            value=value_text(key, old, currency=cur_old, clock=clock, words=words)))
    return "; ".join(parts)
