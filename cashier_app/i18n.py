"""One mechanism for every UI string.

Source strings are Russian (the default UI language); ``EN`` maps them to
English.  Placeholders use ``str.format`` so a translation may reorder them:
``tr("Найдено: {n}", n=3)``.  A word English splits in two takes a context:
``tr("Вид", context="menu")`` is looked up in ``EN_CONTEXT``.  Strings kept in
constants are marked with ``N_()`` and translated by ``tr()`` where shown.
Qt's own ``qtbase`` translator is installed by the UI so standard buttons
follow the same language.  ``tests/test_i18n.py`` checks that every string
has its translation.
"""

from __future__ import annotations

_language = "ru"

EN: dict[str, str] = {
    # --- labels that come from the domain and services (tour types, statuses, methods, roles) ---
    "Стандартный пакетный тур": "Standard package tour",
    "Индивидуальный тур": "Individual tour",
    "Только отель": "Hotel only",
    "Только билет": "Ticket only",
    "FIT (индивидуальное бронирование)": "FIT (individual booking)",
    "Внутренний туризм": "Domestic tour",
    "Рекламный тур": "Promo tour",
    "Групповая заявка": "Group booking",
    "Ожидает подтверждения": "Awaiting confirmation",
    "Подтверждена": "Confirmed",
    "Аннулирована": "Cancelled",
    "Квитанция банка (Промсвязьбанк, Сбербанк)": "Bank receipt (Promsvyazbank, Sberbank)",
    "Перевод CONTACT": "CONTACT transfer",
    "Салон «Евросеть»": "Euroset shop",
    "Почта России (ф. 112ЭП)": "Russian Post (form 112EP)",
    "Банковская карта": "Bank card",
    "Безналичный перевод (счёт юрлицу)": "Bank transfer (invoice to a company)",
    "Бонусы Sales & Smiles": "Sales & Smiles bonuses",
    "Наличные в кассе офиса": "Cash at the office desk",
    "Активен": "Active",
    "Добровольная блокировка": "Voluntary block",
    "Заблокирован за неуплату": "Blocked for non-payment",
    "Заблокирован администратором": "Blocked by the administrator",
    "Карта": "Card",
    "Почта": "Post",
    "CONTACT": "CONTACT",
    "Евросеть": "Euroset",
    "Перевод": "Transfer",
    "Ожидает оплаты": "Awaiting payment",
    "Зачислен": "Credited",
    "Отклонён": "Declined",
    "Истёк срок": "Expired",
    "Отменён": "Cancelled",
    "На проверке": "Held for review",
    "Возвращён": "Refunded",
    "Сторнирован": "Reversed",
    "менеджер": "manager",
    "администратор": "administrator",
    "графическая библиотека не найдена: {lib}; установите пакеты Qt для X11 "
    "(Debian/Ubuntu: apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0)": (
        "a graphics library is missing: {lib}; install Qt's X11 packages "
        "(Debian/Ubuntu: apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0)"
    ),
    # --- application, main window -----------------------------------------------
    "Касса": "Cash desk",
    "Поиск: счёт, логин, договор, телефон, ФИО, адрес, заявка, «заявка паспорт», QR": (
        "Search: account, login, contract, phone, name, address, booking, «booking passport», QR"
    ),
    "Выберите запись в списке или введите запрос.": "Pick a record in the list or type a query.",
    "Документы": "Documents",
    "Наличные": "Cash",
    "Оплата картой": "Card payment",
    "Бонусы": "Bonuses",
    "Будет доступно в следующей версии": "Coming in a later version",
    "База: {db}": "Database: {db}",
    "Касса: {desk}": "Desk: {desk}",
    "Файл": "File",
    "Сервис": "Tools",
    "Язык": "Language",
    "Не удалось сохранить настройку: {err}": "Could not save the setting: {err}",
    "Язык интерфейса сменится после перезапуска программы.": (
        "The interface language will change after the program is restarted."
    ),
    "Ищу…": "Searching…",
    "Найдено: {n}": "Found: {n}",
    "Найдено: {n}+": "Found: {n}+",
    "Вход не выполнен": "Not signed in",
    "задайте {env}=логин:пароль — поиск требует входа пользователя":
        "set {env}=login:password — the search needs a signed-in user",
    "Пользователь: {name} ({role})": "User: {name} ({role})",
    "нет дисплея (DISPLAY не задан); запустите на рабочем столе, через xvfb-run, или проверьте запуск: "
    "cashier-app --smoke": (
        "no display (DISPLAY is not set); run it on a desktop or via xvfb-run, or check start-up with: "
        "cashier-app --smoke"
    ),
    "создан демо-офис (пользователи admin/admin, manager/manager, cashier/cashier)": (
        "demo office created (users admin/admin, manager/manager, cashier/cashier)"
    ),
    "первый запрос не выполнен за 30 с": "the first query did not finish within 30 s",
    # --- search results -----------------------------------------------------------
    "Тип": "Kind",
    "Номер": "Number",
    "Владелец / турист": "Owner / tourist",
    "Сумма": "Amount",
    "Адрес / тур": "Address / tour",
    "Найдено по": "Matched by",
    "счёт": "account",
    "заявка": "booking",
    # --- message boxes, sign-in -----------------------------------------------------
    "Ошибка": "Error",
    "Внутренняя ошибка: {kind}. Операция не выполнена, данные не изменены.": (
        "Internal error: {kind}. The operation was not carried out; no data was changed."
    ),
    "Внутренняя ошибка: {kind}": "Internal error: {kind}",
    "Вход в программу": "Sign in",
    "Пользователь": "User",
    "Пароль": "Password",
    "Войти": "Sign in",
    "Проверяю…": "Checking…",
    # --- account card ---------------------------------------------------------------
    "Лицевой счёт": "Personal account",
    "Лицевой счёт № {n}": "Personal account No. {n}",
    "Абонент": "Subscriber",
    "Адрес": "Address",
    "Контакты": "Contacts",
    "Получатель": "Payee",
    "Договор": "Contract",
    "Баланс": "Balance",
    "К оплате": "Amount due",
    "Тариф": "Plan",
    "Услуги": "Services",
    "Кредит": "Credit",
    "Заблокировано": "Blocked",
    "Интернет": "Internet",
    "Состояние": "State",
    "Автоплатёж": "Autopay",
    "Обещанный платёж": "Promised payment",
    "Дата": "Date",
    "Способ": "Method",
    "Транзакция": "Transaction",
    "Статус": "Status",
    "Счёт": "Account",
    "Последние платежи": "Recent payments",
    "Счета договора:": "Accounts under the contract:",
    "{tariff}, {fee} / мес.": "{tariff}, {fee} / month",
    "нет": "none",
    "включён": "on",
    "выключен": "off",
    " до {d}": " until {d}",
    "{amount}, следующий {d}, карта {mask}": "{amount}, next on {d}, card {mask}",
    "не подключён": "not set up",
    "{amount} до {d}": "{amount} until {d}",
    # --- booking card ---------------------------------------------------------------
    "Заявка": "Booking",
    "Заявка № {n}": "Booking No. {n}",
    "Тип тура": "Tour type",
    "Страна, отель": "Country, hotel",
    "Даты": "Dates",
    "Менеджер": "Manager",
    "Агентство": "Agency",
    "Комиссия агентства": "Agency commission",
    "Стоимость": "Price",
    "Оплачено": "Paid",
    "К оплате в рублях": "Amount due in roubles",
    "Внутренний курс": "Internal rate",
    "Турист": "Tourist",
    "Паспорт": "Passport",
    "Дата рождения": "Date of birth",
    "Способ оплаты": "Payment method",
    "Доступен": "Available",
    "Сумма / причина": "Amount / reason",
    "Тур": "Tour",
    "Оплата": "Payment",
    "Туристы": "Tourists",
    "Способы оплаты": "Payment methods",
    "до вылета {d}": "{d} before departure",
    "тур начался": "the tour has started",
    "нет курса {cur} на {d}": "no {cur} rate for {d}",
    "{rate} ₽ за 1 {cur} на {d}": "{rate} ₽ per 1 {cur} on {d}",
    "нет курса": "no rate",
    "до {max}": "up to {max}",
    "только полностью: {amount}": "in full only: {amount}",
    "до {amount}": "up to {amount}",
    " (с комиссией {fee})": " (including a {fee} fee)",
    ", действительна только {d}": ", valid on {d} only",
    # --- bonuses --------------------------------------------------------------------
    "Курсы валют…": "Exchange rates…",
    "Бонусы Sales & Smiles списываются только в оплату заявки: откройте заявку.": (
        "Sales & Smiles bonuses can only pay for a booking: open a booking."
    ),
    "Списание бонусов — заявка № {n}": "Spending bonuses — booking No. {n}",
    "Вылет": "Departure",
    "не больше {cap} по заявке (все типы вместе), уже списано {spent}, можно ещё {left}": (
        "at most {cap} per booking (all kinds together); {spent} already spent, {left} left"
    ),
    "Лимит": "Limit",
    "Бонусный счёт": "Bonus account",
    "Сумма к списанию, {cur}": "Amount to spend, {cur}",
    "Тип бонусов": "Bonus kind",
    "На счёте": "In the account",
    "Списать": "Spend",
    "Отмена": "Cancel",
    "Нет бонусного счёта для списания.": "There is no bonus account to spend from.",
    # --- card payment -----------------------------------------------------------------
    "Ожидают оплаты: {n}": "Awaiting payment: {n}",
    "Откройте лицевой счёт или заявку.": "Open a personal account or a booking.",
    "Сумма, {cur} (можно частично, не больше долга)": "Amount, {cur} (part payment allowed, up to the debt)",
    "Лицевой счёт № {n} — {owner}": "Personal account No. {n} — {owner}",
    "Сумма, ₽": "Amount, ₽",
    "К оплате картой": "To pay by card",
    "Введите сумму и нажмите «Создать ссылку на оплату».": "Enter the amount and press «Create payment link».",
    "номер операции из выписки банка": "transaction number from the bank statement",
    "Создать ссылку на оплату": "Create payment link",
    "Открыть ссылку ещё раз": "Open the link again",
    "Отменить заказ": "Cancel order",
    "Подтвердить по выписке": "Confirm from statement",
    "{rub} (курс {rate} на {day})": "{rub} (rate {rate} on {day})",
    "Регистрирую заказ в банке…": "Registering the order with the bank…",
    "Заказ № {n}, платёж {p}: {m} — {payee}": "Order No. {n}, payment {p}: {m} — {payee}",
    "Отменить заказ {n}? Ссылка на оплату перестанет работать.": (
        "Cancel order {n}? The payment link will stop working."
    ),
    # --- cash payment -----------------------------------------------------------------
    "Оплата наличными": "Cash payment",
    "необязательно": "optional",
    "Сумма, {cur}": "Amount, {cur}",
    "Получено": "Received",
    "Сдача": "Change",
    "Принять оплату": "Accept payment",
    "не хватает {m}": "{m} short",
    "Платёж {n} уже был принят; повтор не списан.": (
        "Payment {n} had already been accepted; the repeat was not charged."
    ),
    "Квитанция об оплате": "Payment receipt",
    # --- cash desk menus: shift, journals, users --------------------------------------
    "Сменить пользователя": "Switch user",
    "Смена": "Shift",
    "Открыть": "Open",
    "Внести": "Cash in",
    "Изъять": "Cash out",
    "X-отчёт": "X report",
    "Z-отчёт": "Z report",
    "Закрыть": "Close",
    "Журнал": "Journal",
    "Платежи": "Payments",
    "Аудит": "Audit",
    "Пользователи": "Users",
    "Смена {n} открыта, размен {f}": "Shift {n} opened, float {f}",
    "В кассе по учёту: {m}": "Cash on record in the drawer: {m}",
    "Смена не открыта.": "No shift is open.",
    "Номер документа для повторной печати:": "Number of the document to reprint:",
    # --- shifts: open, cash in/out, close -----------------------------------------------
    "Открыть смену": "Open shift",
    "Размен в кассе": "Float in the drawer",
    "Внесение наличных": "Cash in",
    "Изъятие наличных": "Cash out",
    "например: инкассация, размен": "e.g. collection, change float",
    "Основание": "Reason",
    "укажите основание внесения или изъятия": "state the reason for the cash in or cash out",
    "Закрыть смену {n}": "Close shift {n}",
    "Закрыть смену": "Close shift",
    "Размен на начало": "Opening float",
    "Платежи наличными": "Cash payments",
    "Отмены и возвраты": "Cancellations and refunds",
    "Внесено / изъято": "Cash in / cash out",
    "Ожидается в кассе": "Expected in the drawer",
    "Пересчитано": "Counted",
    "Расхождение": "Difference",
    "Пересчёт по номиналам (необязательно)": "Count by denomination (optional)",
    "копейки, сумма": "coins, total",
    "Копейки": "Coins",
    "{n} ₽": "{n} ₽",
    "нужно число купюр или монет": "enter the number of notes or coins",
    "излишек": "surplus",
    "недостача": "shortage",
    # --- payment documents --------------------------------------------------------------
    "Документ": "Document",
    "Квитанция ПД-4": "PD-4 payment slip",
    "Почтовый перевод ф. 112ЭП": "Postal money order, form 112EP",
    "Информационный лист CONTACT": "CONTACT information sheet",
    "Информационный лист «Евросеть»": "Euroset information sheet",
    "Счёт на оплату": "Invoice",
    "{document} № {n}": "{document} No. {n}",
    "Квитанции должникам…": "Slips for debtors…",
    "Квитанции должникам — куда сохранить": "Slips for debtors — where to save",
    "Журнал документов…": "Documents journal…",
    "Документ не сформирован:": "The document was not created:",
    "Документ на оплату — {what} {n}": "Payment document — {what} {n}",
    "{what} <b>{n}</b> — получатель {payee}": "{what} <b>{n}</b> — payee {payee}",
    "Курс {cur}: {rate} руб. на {day}": "{cur} rate: {rate} RUB on {day}",
    "Плательщик": "Payer",
    "Ф.И.О. плательщика": "Payer's full name",
    "Индекс": "Postcode",
    "Регион": "Region",
    "Город": "City",
    "Улица": "Street",
    "Дом": "Building",
    "Квартира": "Flat",
    "Район": "District",
    "Населённый пункт": "Settlement",
    "ИНН плательщика": "Payer's INN (tax ID)",
    "Адрес одной строкой": "Address as one line",
    "как напечатать: «{example}»": "as it is to be printed: «{example}»",
    "Покупатель (организация)": "Buyer (organisation)",
    "ИНН покупателя": "Buyer's INN (tax ID)",
    "Сформировать": "Create",
    "Сумма, руб.": "Amount, RUB",
    "Нет доступных документов для этой карточки.": "No documents are available for this record.",
    "Не заполнено: {fields}": "Not filled in: {fields}",
    # --- debtors batch ------------------------------------------------------------------
    "Квитанции ПД-4 должникам": "PD-4 slips for debtors",
    "Готовлю квитанции в {path}…": "Preparing slips in {path}…",
    "Квитанция {done} из {total}": "Slip {done} of {total}",
    "Отменяю…": "Cancelling…",
    "Отменено: файл не создан.": "Cancelled: no file was created.",
    "Должников нет — файл не создан.": "There are no debtors — no file was created.",
    "Готово: {n} квитанций, {p} стр., документ № {num}\n{path}": (
        "Done: {n} slips, {p} pages, document No. {num}\n{path}"
    ),
    # --- documents journal, PDF preview -------------------------------------------------
    "Выдан": "Issued",
    "Действителен до": "Valid until",
    "лицевой счёт {n}": "personal account {n}",
    "заявка {n}": "booking {n}",
    "все": "all",
    "Журнал документов — {what}": "Documents journal — {what}",
    "Перепечатать": "Reprint",
    "Сохранить PDF…": "Save PDF…",
    "Сохранить PDF": "Save PDF",
    "Копия документа № {n}": "Copy of document No. {n}",
    "Не удалось сохранить файл: {err}": "Could not save the file: {err}",
    "Печать": "Print",
    "Принтер не найден: сохраните PDF и напечатайте его с другого компьютера.": (
        "No printer found: save the PDF and print it from another computer."
    ),
    "Не удалось начать печать.": "Could not start printing.",
    # --- payments journal ---------------------------------------------------------------
    "Журнал платежей": "Payments journal",
    "Дата и время": "Date and time",
    "Вид": "Type",
    "Счёт / заявка": "Account / booking",
    "Кассир": "Cashier",
    "Причина": "Reason",
    "Квитанция": "Receipt",
    "касса": "desk",
    "кассир": "cashier",
    "все способы": "all methods",
    "все статусы": "all statuses",
    "номер": "number",
    "лицевой счёт": "personal account",
    "с": "from",
    "по": "to",
    "Показать": "Show",
    "Отменить платёж…": "Cancel payment…",
    "Возврат…": "Refund…",
    "Повторить квитанцию": "Reprint receipt",
    "Выгрузить CSV…": "Export CSV…",
    "Выгрузить XLSX…": "Export XLSX…",
    "Выгрузить": "Export",
    "Записей: {n}; принято {paid}; возвращено {ret}; итого {net}": (
        "Records: {n}; received {paid}; refunded {ret}; net {net}"
    ),
    "Выберите платёж в списке.": "Select a payment in the list.",
    "Причина для платежа {n}:": "Reason for payment {n}:",
    "Платёж {n}: возвращено {m} (запись {e}).": "Payment {n}: {m} refunded (entry {e}).",
    "Заявление на возврат": "Refund application",
    "У выбранной записи нет квитанции.": "The selected record has no receipt.",
    "Квитанция {n}": "Receipt {n}",
    "Загрузка…": "Loading…",
    "(показано {shown}; прокрутите вниз, чтобы загрузить ещё)": "({shown} shown; scroll down to load more)",
    # --- refund dialog ------------------------------------------------------------------
    "Возврат по платежу {n}": "Refund of payment {n}",
    "Платёж": "Payment",
    "Уже возвращено": "Already refunded",
    "Можно вернуть": "Refundable",
    "Сумма возврата": "Refund amount",
    "Заявитель": "Applicant",
    "Ф.И.О. получателя денег": "Full name of the person receiving the money",
    "например: отказ от услуги, ошибка в сумме": "e.g. service declined, wrong amount",
    "Деньги вернутся на карту через банк.": "The money goes back to the card through the bank.",
    "Деньги выдаются наличными из кассы; печатается заявление на возврат.": (
        "The money is paid out in cash from the drawer; a refund application is printed."
    ),
    "Вернуть": "Refund",
    "не больше остатка {m}": "no more than the remainder {m}",
    "укажите Ф.И.О. того, кому выдаются деньги": "enter the full name of the person receiving the money",
    "укажите причину возврата": "state the reason for the refund",
    # --- documents journal of the office ------------------------------------------------
    "все документы": "all documents",
    "Документов: {n}": "Documents: {n}",
    # Kind labels the documents service gives (shown through tr()).
    "Квитанция ПД-4 (банк)": "PD-4 payment slip (bank)",
    "Счёт на оплату (юрлицо)": "Invoice (company)",
    "Пачка ПД-4 должникам": "PD-4 slips for debtors (batch)",
    # --- cash on hand -------------------------------------------------------------------
    "Наличные в кассе": "Cash on hand",
    "Открытые смены": "Open shifts",
    "Открыта": "Opened",
    "Смен": "Shifts",
    "По кассам": "By desk",
    "По кассирам": "By cashier",
    "По учёту программы: размен + наличные платежи − возвраты + внесения − изъятия.": (
        "As recorded by the program: float + cash payments − refunds + cash in − cash out."
    ),
    "Всего в открытых сменах: {m}": "Total in open shifts: {m}",
    "Открытых смен нет.": "No shifts are open.",
    "Обновить": "Refresh",
    # --- audit journal ------------------------------------------------------------------
    "Журнал аудита": "Audit log",
    "Время": "Time",
    "Действие": "Action",
    "Объект": "Object",
    "Изменение": "Change",
    "пользователь": "user",
    "действие, например payment": "action, e.g. payment",
    "Проверить цепочку": "Verify chain",
    "Событий: {n}": "Events: {n}",
    "(прокрутите вниз, чтобы загрузить ещё)": "(scroll down to load more)",
    "Цепочка цела: проверено {n} записей.": "The chain is intact: {n} records checked.",
    "Цепочка нарушена на записи № {id}: {why}": "The chain is broken at record No. {id}: {why}",
    # --- exchange rates -----------------------------------------------------------------
    "Курсы валют": "Exchange rates",
    "Файл курсов (CSV)": "Rates file (CSV)",
    "CSV (*.csv *.txt);;Все файлы (*)": "CSV (*.csv *.txt);;All files (*)",
    "Курс, ₽": "Rate, ₽",
    "Кем введён": "Entered by",
    "Когда": "When",
    "Сохранить курс": "Save rate",
    "Загрузить CSV…": "Load CSV…",
    "Валюта": "Currency",
    "Курс, ₽ за 1 единицу": "Rate, ₽ per 1 unit",
    "Выберите строку, чтобы исправить курс дня, или введите новый день.": (
        "Select a row to correct that day's rate, or enter a new day."
    ),
    " (было {old})": " (was {old})",
    "Курс {cur} на {d}: {rate}{was}": "{cur} rate for {d}: {rate}{was}",
    "Загружено: новых {a}, изменено {c}, без изменений {u}": "Loaded: {a} new, {c} changed, {u} unchanged",
    # --- users --------------------------------------------------------------------------
    "Логин": "Login",
    "ФИО": "Full name",
    "Роль": "Role",
    "Лимит наличных": "Cash limit",
    "Лимит наличных, ₽": "Cash limit, ₽",
    "не короче {n} символов": "at least {n} characters",
    "пусто — без лимита": "empty — no limit",
    "Добавить": "Add",
    "Сменить роль": "Change role",
    "Сбросить пароль": "Reset password",
    "Задать лимит": "Set limit",
    "Отключить": "Disable",
    "Включить": "Enable",
    "активен": "active",
    "отключён": "disabled",
    ", заблокирован до {t}": ", locked until {t}",
    "без лимита": "no limit",
    "выберите пользователя в списке": "select a user in the list",
    # --- payees and gateways (administrator) ----------------------------------------
    "Получатели платежей": "Payees",
    "Получатели платежей…": "Payees…",
    "Код": "Code",
    "Код (латиницей)": "Code (Latin letters)",
    "Наименование": "Name",
    "ИНН": "INN",
    "КПП": "KPP",
    "Расчётный счёт": "Settlement account",
    "Банк": "Bank",
    "БИК": "BIC",
    "Корр. счёт": "Correspondent account",
    "Назначение платежа": "Payment purpose",
    "Шлюз": "Gateway",
    "Реквизиты": "Requisites",
    "интернет / ТВ": "internet / TV",
    "туризм": "travel",
    "у ИП пусто": "empty for a sole trader",
    "например: Оплата услуг связи по л/с {account}": "e.g.: payment for services, account {account}",
    "09 — интернет и ТВ": "09 — internet and TV",
    "11 — отдых и путешествия": "11 — leisure and travel",
    "TechCode (ГОСТ Р 56042)": "TechCode (GOST R 56042)",
    "Новый получатель": "New payee",
    "Сохранить реквизиты": "Save requisites",
    "Шлюз оплаты": "Payment gateway",
    "Банк-эквайер": "Acquiring bank",
    "Сбербанк": "Sberbank",
    "Т-Банк": "T-Bank",
    "не настроен": "not configured",
    "Адрес шлюза": "Gateway URL",
    "Логин / терминал": "Login / terminal",
    "Файл сертификата": "Certificate file",
    "необязательно: корневой сертификат PEM (Минцифры)": "optional: root certificate in PEM (Russian Trusted Root CA)",
    "Выбрать…": "Choose…",
    "Пароль / секрет": "Password / secret",
    "пусто — оставить прежний": "empty — keep the current one",
    "Сохранить шлюз": "Save gateway",
    "в хранилище ключей": "in the OS keyring",
    "в переменной окружения {name}": "in the environment variable {name}",
    "демо-песочница": "demo sandbox",
    "не задан": "not set",
    "секрет: {where}": "secret: {where}",
    "секрет: проверяется…": "secret: checking…",
    "секрет: шлюз не настроен": "secret: no gateway configured",
    "сохраните получателя, затем настройте шлюз": "save the payee, then set up its gateway",
    "Корневой сертификат": "Root certificate",
    "Сертификаты (*.pem *.crt *.cer);;Все файлы (*)": "Certificates (*.pem *.crt *.cer);;All files (*)",
    # --- card orders never orphaned; honest outcomes (issue 11 §1, §3) ----------------------
    "{kind}; результат неизвестен, проверьте журнал. Подробности — в журнале программы.": (
        "{kind}; the outcome is unknown, check the journal. Details are in the program log."
    ),
    "Браузер не открылся. Покажите покупателю QR-код или нажмите «Копировать ссылку» и отправьте её.": (
        "The browser did not open. Show the customer the QR code, or press “Copy link” and send it."
    ),
    "Внутренняя ошибка: {kind}. Результат неизвестен, проверьте журнал.": (
        "Internal error: {kind}. The outcome is unknown, check the journal."
    ),
    "Все кассы офиса": "All desks of the office",
    "Заказ ждёт оплаты": "The order awaits payment",
    "Заказ № {n} ещё не оплачен. Закрыть окно?\n\nЗаказ останется под наблюдением: программа сообщит, когда "
    "банк ответит. Открыть его снова — F7 на этом счёте или «Ожидают оплаты» в строке состояния.": (
        "Order No. {n} is not paid yet. Close the window?\n\nThe order stays watched: the program will tell you "
        "when the bank answers. To open it again press F7 on this account or “Awaiting payment” in the status bar."
    ),
    "Заказ № {n} не проверен при запуске": "Order No. {n} was not checked at start-up",
    "Заказ № {n} отменён в банке, его ссылка больше не работает. Можно создать новый.": (
        "Order No. {n} is cancelled at the bank, its link no longer works. A new one can be created."
    ),
    "Заказ № {n}, {target}, {m}: {status}": "Order No. {n}, {target}, {m}: {status}",
    "Заказ № {n}: {status}": "Order No. {n}: {status}",
    "Заказ № {n}: статус не проверен": "Order No. {n}: status not checked",
    "Заказов, ждущих оплаты: {n}": "Orders awaiting payment: {n}",
    "Касса {desk}": "Desk {desk}",
    "Копировать ссылку": "Copy link",
    "Напечатать квитанцию": "Print the receipt",
    "Не удалось проверить неоплаченные заказы: {err}": "Could not check for unpaid orders: {err}",
    "Неоплаченных заказов нет.": "No unpaid orders.",
    "Ожидают оплаты": "Awaiting payment",
    "Ожидают оплаты…": "Awaiting payment…",
    "Оплата картой не прошла": "Card payment did not go through",
    "Оплата проведена: платёж {p} на {m}. Квитанция не напечатана ({why}) — нажмите «Напечатать квитанцию».": (
        "Payment made: {p} for {m}. The receipt was not printed ({why}) — press “Print the receipt”."
    ),
    "Оплата проведена: платёж {p} на {m}. Квитанция опять не напечатана ({why}); её можно напечатать позже из "
    "журнала платежей.": (
        "Payment made: {p} for {m}. The receipt again was not printed ({why}); it can be printed later from the "
        "payments journal."
    ),
    "Оплачено картой": "Paid by card",
    "Открыт неоплаченный заказ № {n} на {m}: та же ссылка и тот же QR-код, что уже выданы покупателю. Второй "
    "заказ не создаётся; новый — только после «Отменить первый заказ».": (
        "Unpaid order No. {n} for {m} is open: the same link and QR code the customer already has. No second "
        "order is created; a new one only after “Cancel the first order”."
    ),
    "Открыть список заказов, ждущих оплаты": "Open the list of orders awaiting payment",
    "Отменить первый заказ": "Cancel the first order",
    "Ошибка: {kind}. Платёж не проведён (проверено по журналу), деньги не приняты.": (
        "Error: {kind}. The payment was not made (checked in the journal), no money was taken."
    ),
    "Подтвердите оплату по выписке": "Confirm the payment from the bank statement",
    "Проверка незавершённых оплат при запуске не выполнена": "The start-up check of unfinished payments failed",
    "Связь с базой прервалась: результат неизвестен, проверьте журнал платежей. Повторное «Принять оплату» "
    "второй раз не спишет.": (
        "The connection to the database was lost: the outcome is unknown, check the payments journal. Pressing "
        "“Take payment” again will not charge twice."
    ),
    "Ссылка заказа № {n} скопирована.": "The link of order No. {n} is copied.",
    "Ссылка скопирована": "Link copied",
    "Заказ": "Order",
    "Создан": "Created",
}

# The same Russian word with two English ones: ``tr(text, context=...)`` picks these.
EN_CONTEXT: dict[tuple[str, str], str] = {
    ("menu", "Вид"): "View",  # the menu; the journal column «Вид» (payment or refund) is "Type"
    ("answer", "да"): "yes",  # «Доступен: да/нет» on the booking card; elsewhere «нет» is "none"
    ("answer", "нет"): "no",
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


def tr(text: str, context: str = "", **kwargs: object) -> str:
    """``text`` in the current language; ``context`` tells apart words that English splits."""
    if _language != "en":
        out = text
    elif context:
        out = EN_CONTEXT.get((context, text), text)
    else:
        out = EN.get(text, text)
    return out.format(**kwargs) if kwargs else out
