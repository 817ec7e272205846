"""English for the systems-of-record UI (issue 14): the import wizard, the billing connector, checks, delivery.

Merged into ``i18n_en.EN`` (kept apart so each catalog module stays under 600 lines).
"""

from __future__ import annotations

EN_BILLING: dict[str, str] = {
    # «Сервис» menu and the background delivery
    "Импорт лицевых счетов…": "Import accounts…",
    "Подключение к биллингу…": "Billing connection…",
    "Доставить платежи в биллинг": "Deliver payments to the billing",
    "Биллинг": "Billing",
    "Доставлено: {done}; отклонено: {refused}; вручную: {manual}; ждут ответа: {wait}": (
        "Delivered: {done}; refused: {refused}; manual: {manual}; awaiting an answer: {wait}"
    ),
    "Недоставленных платежей нет": "No undelivered payments",
    "Биллинг: платежи не доставлены ({kind}); повторю позже": (
        "Billing: payments not delivered ({kind}); will retry later"
    ),
    # the account card
    "Биллинг: найден, баланс {balance} — по данным биллинга на {time}": (
        "Billing: found, balance {balance} — as the billing said at {time}"
    ),
    "Биллинг: найден — по данным биллинга на {time}": "Billing: found — as the billing said at {time}",
    "Биллинг: лицевой счёт не найден!": "Billing: account not found!",
    "Биллинг: платежи на этот счёт не принимаются (закрыт или заблокирован)": (
        "Billing: payments to this account are not accepted (closed or blocked)"
    ),
    "Биллинг: нет связи с биллингом": "Billing: no connection to the billing",
    "Биллинг: проверяю…": "Billing: checking…",
    # the journal
    "в очереди": "queued",
    "отправлен, ждём ответа": "sent, awaiting an answer",
    "доставлен": "delivered",
    "отклонён": "refused",
    "вручную": "manual",
    "Повторить доставку в биллинг": "Retry delivery to the billing",
    "Отправить платёж в биллинг ещё раз (тот же номер транзакции, биллинг не зачтёт его дважды)": (
        "Send the payment to the billing again (the same transaction number: the billing will not credit it twice)"
    ),
    "Доставка платежа {n} в биллинг: {state}": "Delivery of payment {n} to the billing: {state}",
    "Выберите запись, доставка которой в биллинг не завершена («отклонён», «в очереди» или «отправлен»).": (
        "Select an entry whose delivery to the billing is not finished («refused», «queued» or «sent»)."
    ),
    # the connector settings (and the payees dialog's button to them, patch for payees_dialog.py)
    "Биллинг…": "Billing…",
    "Подключение к биллингу": "Billing connection",
    "Подключение": "Connection",
    "не подключён": "not connected",
    "OSMP (check / pay)": "OSMP (check / pay)",
    "ABillS (повтор — тот же номер платежа, есть отмена)": "ABillS (a repeat gets the same payment number; cancel exists)",
    "Ubilling (повтор — «дубликат», отмены нет)": "Ubilling (a repeat gets «duplicate»; no cancel)",
    "Адрес биллинга (OSMP)": "Billing address (OSMP)",
    "Диалект": "Dialect",
    "если биллинг требует": "if the billing wants one",
    "необязательно: свой сертификат центра (PEM)": "optional: your own CA certificate (PEM)",
    "необязательно: лицевой счёт для проверки": "optional: an account to check",
    "пароль: задан": "password: set",
    "Биллинг не подключён": "No billing connected",
    "Нет получателей-провайдеров: биллинг подключается к провайдеру": (
        "No provider payees: a billing is connected to a provider"
    ),
    "Проверить связь": "Test connection",
    "Спрашиваю биллинг…": "Asking the billing…",
    "Нет связи с биллингом: {err}": "No connection to the billing: {err}",
    "Связь есть: биллинг ответил «0»": "Connected: the billing answered «0»",
    "Связь есть. Счёт {n} найден: {name}, баланс {balance}": "Connected. Account {n} found: {name}, balance {balance}",
    "Связь есть. Счёт {n} в биллинге не найден (код 5)": "Connected. Account {n} is not in the billing (code 5)",
    "Связь есть: биллинг отвечает (на проверочный счёт — «не найден», код 5)": (
        "Connected: the billing answers (the probe account: «not found», code 5)"
    ),
    "Связь есть, биллинг ответил кодом {code}: {comment}": "Connected; the billing answered code {code}: {comment}",
    # the import wizard
    "Импорт лицевых счетов": "Import accounts",
    "Файл выгрузки": "Export file",
    "Выгрузка абонентов из биллинга: CSV (любая кодировка и разделитель) или XLSX.": (
        "The billing's subscriber export: CSV (any encoding and separator) or XLSX."
    ),
    "путь к файлу .csv или .xlsx": "path to a .csv or .xlsx file",
    "Обзор…": "Browse…",
    "Формат биллинга": "Billing format",
    "общий формат (number, full_name, balance…)": "generic (number, full_name, balance…)",
    "Выгрузка не полная (не закрывать счета, которых в ней нет)": (
        "Partial export (do not close accounts it does not list)"
    ),
    "Файл: «{path}» не найден": "File: «{path}» not found",
    "Колонки": "Columns",
    "Первые строки файла; над каждой колонкой — поле, в которое она загружается.": (
        "The first rows of the file; above each column, the field it is loaded into."
    ),
    "Колонок: {n}; {kind}": "Columns: {n}; {kind}",
    "кодировка {enc}, разделитель «{sep}»": "encoding {enc}, separator «{sep}»",
    "— не загружать —": "— do not load —",
    "Не хватает обязательных полей: {fields} — выберите колонку для каждого": (
        "Required fields missing: {fields} — choose a column for each"
    ),
    "Проверка": "Check",
    "Файл прочитан целиком, в базу ничего не записано.": "The whole file was read; nothing was written to the database.",
    "Проверяю файл…": "Checking the file…",
    "Строка": "Line",
    "Колонка": "Column",
    "Загрузить хорошие строки, плохие записать в отдельный файл": "Load the good rows, write the bad ones to a separate file",
    "Файл не загружается, пока в нём есть ошибки: исправьте их или отметьте «Загрузить хорошие строки…»": (
        "The file is not loaded while it has errors: fix them or tick «Load the good rows…»"
    ),
    "Строк в файле: {n}": "Rows in the file: {n}",
    "Новых: {created}; изменённых: {updated}; без изменений: {unchanged}": (
        "New: {created}; changed: {updated}; unchanged: {unchanged}"
    ),
    "Закрыто (нет в выгрузке): {closed}; открыто снова: {reopened}": (
        "Closed (not in the export): {closed}; reopened: {reopened}"
    ),
    "Строк с ошибками: {n}": "Rows with errors: {n}",
    "Строки с ошибками записаны в файл: {path}": "Rows with errors were written to: {path}",
    "Изменений нет": "No changes",
    "Импорт": "Import",
    "Загрузить": "Load",
    "Загружаю…": "Loading…",
    "Прервать": "Stop",
    "Прерываю…": "Stopping…",
    "Прочитано строк: {n}": "Rows read: {n}",
    "Прочитано строк: {n} из {total}": "Rows read: {n} of {total}",
    "Импорт завершён.": "Import finished.",
    "Импорт прерван: в базе ничего не изменено.": "Import stopped: nothing was changed in the database.",
    "Не загружено, в базе ничего не изменено: {err}": "Not loaded, nothing was changed in the database: {err}",
    "Закрыт {d} — платежи не принимаются": "Closed on {d} — takes no payments",
}
