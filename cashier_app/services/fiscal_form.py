"""Which settings column a refusal of the fiscal settings is about, for a form that marks fields.

``domain.fiscal_receipt.check_rules`` and ``fiscal_settings.save`` refuse with
``ValidationError(field, message)`` whose ``field`` is a Russian name for the person reading it;
the payee's fiscal settings dialog marks the widget of the column that name stands for.
(tests/fiscal/test_fe_settings_dialog.py checks that every name the checks use is here.)
"""

from __future__ import annotations

FIELD_COLUMNS = {
    "Режим ККТ": "mode", "ККТ": "mode", "Адрес ККТ": "url", "Адрес ККТ (АТОЛ Web-сервер)": "url",
    "Адрес АТОЛ Онлайн": "url", "Код группы АТОЛ Онлайн": "group_code", "Логин АТОЛ Онлайн": "login",
    "Пароль АТОЛ Онлайн": "password", "E-mail организации": "company_email",
    "ИНН организации (владельца ККТ)": "company_inn",
    "Система налогообложения": "tax_system", "НДС": "vat", "Признак агента": "agent",
    "Предмет расчёта": "payment_object", "Способ расчёта": "payment_method",
    "Наименование позиции": "item_name", "Место расчётов": "place", "Поставщик (наименование)": "supplier_name",
    "ИНН поставщика": "supplier_inn", "Телефон поставщика": "supplier_phone",
    "Операция платёжного агента": "agent_operation", "Телефон платёжного агента": "agent_phone",
    "Телефон оператора по приёму платежей": "operator_phone",
}


def column_of(field: str) -> str | None:
    return FIELD_COLUMNS.get(field)


__all__ = ["FIELD_COLUMNS", "column_of"]
