"""One mechanism for every UI string.

Source strings are Russian (the default UI language); ``EN`` maps them to
English.  Placeholders use ``str.format`` so a translation may reorder them:
``tr("Найдено: {n}", n=3)``.  Qt's own ``qtbase`` translator is installed by
the UI so standard buttons follow the same language.
"""

from __future__ import annotations

_language = "ru"

EN: dict[str, str] = {
    "Касса": "Cashier",
    "Поиск: счёт, логин, договор, телефон, ФИО, адрес, заявка, «заявка паспорт», QR": (
        "Search: account, login, contract, phone, name, address, booking, «booking passport», QR"
    ),
    "Тип": "Kind",
    "Номер": "Number",
    "Владелец / турист": "Owner / tourist",
    "Адрес / тур": "Address / tour",
    "Сумма": "Amount",
    "Найдено по": "Matched by",
    "счёт": "account",
    "заявка": "booking",
    "База: {db}": "Database: {db}",
    "Касса: {desk}": "Desk: {desk}",
    "Ищу…": "Searching…",
    "Найдено: {n}": "Found: {n}",
    "Найдено: {n}+": "Found: {n}+",
    "Готово": "Ready",
    "Подключение к базе…": "Connecting to the database…",
    "Лицевой счёт": "Personal account",
    "Заявка": "Booking",
    "Выберите запись в списке или введите запрос.": "Pick a record or type a query.",
    "Документы (F2)": "Documents (F2)",
    "Наличные (F6)": "Cash (F6)",
    "Оплата картой (F7)": "Card payment (F7)",
    "Бонусы (F8)": "Bonuses (F8)",
    "Ошибка": "Error",
    "Язык": "Language",
}


def set_language(lang: str) -> None:
    global _language
    _language = lang if lang in ("ru", "en") else "ru"


def language() -> str:
    return _language


def N_(text: str) -> str:
    """Marks a source string kept in a constant (a column, a menu entry) for translation.

    Returns it unchanged: ``tr()`` translates it where it is shown, after the
    language is chosen.  The i18n tests collect ``N_`` strings like ``tr`` ones.
    """
    return text


def tr(text: str, **kwargs: object) -> str:
    out = EN.get(text, text) if _language == "en" else text
    return out.format(**kwargs) if kwargs else out
