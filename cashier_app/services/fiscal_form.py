"""Which settings column a refusal of the fiscal settings is about, for a form that marks fields.

``domain.fiscal_receipt.check_rules`` and ``fiscal_settings.save`` refuse with
``ValidationError(field, message)`` whose ``field`` is a Russian name for the person reading it;
the payee's fiscal settings dialog marks the widget of the column that name stands for.
(tests/fiscal/test_fe_settings_dialog.py checks that every name the checks use is here.)
"""

from __future__ import annotations

from cashier_app.i18n import N_, tr

FIELD_COLUMNS = {
    N_("Режим ККТ"): "mode", N_("ККТ"): "mode", N_("Адрес ККТ"): "url", N_("Адрес ККТ (АТОЛ Web-сервер)"): "url",
    N_("Адрес АТОЛ Онлайн"): "url", N_("Код группы АТОЛ Онлайн"): "group_code", N_("Логин АТОЛ Онлайн"): "login",
    N_("Пароль АТОЛ Онлайн"): "password", N_("E-mail организации"): "company_email",
    N_("ИНН организации (владельца ККТ)"): "company_inn",
    N_("Система налогообложения"): "tax_system", N_("НДС"): "vat", N_("Признак агента"): "agent",
    N_("Предмет расчёта"): "payment_object", N_("Способ расчёта"): "payment_method",
    N_("Наименование позиции"): "item_name", N_("Место расчётов"): "place", N_("Поставщик (наименование)"): "supplier_name",
    N_("ИНН поставщика"): "supplier_inn", N_("Телефон поставщика"): "supplier_phone",
    N_("Операция платёжного агента"): "agent_operation", N_("Телефон платёжного агента"): "agent_phone",
    N_("Телефон оператора по приёму платежей"): "operator_phone",
}


def column_of(field: str) -> str | None:
    """The column a field name stands for: the Russian name, or its translation in the current language."""
    found = FIELD_COLUMNS.get(field)
    if found is None:
        found = next((col for name, col in FIELD_COLUMNS.items() if tr(name) == field), None)
    return found


__all__ = ["FIELD_COLUMNS", "column_of"]
