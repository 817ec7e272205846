"""A payee's fiscal register and what its receipts say (issue 13), for the administrator.

Opened from «Получатели платежей» for the selected payee.  Shows the stored settings
(or the defaults for the payee's kind, not yet saved); «Сохранить» sends the form as typed
to ``fiscal_settings.save``, which checks everything at once — each problem marks its
field here and is listed under the form, nothing is saved while any remains.  The ATOL
Online password goes to the keyring only and is never shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cashier_app.i18n import N_, tr
from cashier_app.services.context import DeskContext
from cashier_app.services.fiscal_form import column_of
from cashier_app.ui import messages
from cashier_app.ui.widgets import clear_field_errors, fit_to_screen, mark_problems

BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"

MODE_LABELS = {"none": N_("без ККТ (чеки не нужны)"), "atol_web": N_("ККТ АТОЛ на кассе (ATOL Web Server)"),
               "atol_online": N_("АТОЛ Онлайн (облачная касса)")}
TAX_LABELS = {"osn": N_("ОСН"), "usn_income": N_("УСН «доходы»"), "usn_income_outcome": N_("УСН «доходы минус расходы»"),
              "esn": N_("ЕСХН"), "patent": N_("патент")}
VAT_LABELS = {"none": N_("без НДС"), "vat0": N_("НДС 0%"), "vat5": N_("НДС 5%"), "vat7": N_("НДС 7%"),
              "vat10": N_("НДС 10%"), "vat20": N_("НДС 20%"), "vat105": N_("НДС 5/105"), "vat107": N_("НДС 7/107"),
              "vat110": N_("НДС 10/110"), "vat120": N_("НДС 20/120")}
AGENT_LABELS = {"none": N_("не агент"), "paying_agent": N_("платёжный агент"),
                "paying_subagent": N_("платёжный субагент"), "bank_paying_agent": N_("банковский платёжный агент"),
                "bank_paying_subagent": N_("банковский платёжный субагент"), "commission_agent": N_("комиссионер"),
                "attorney": N_("поверенный"), "another": N_("агент (иной)")}
OBJECT_LABELS = {"service": N_("услуга"), "payment": N_("платёж"), "agent_commission": N_("агентское вознаграждение"),
                 "another": N_("иной предмет расчёта"), "commodity": N_("товар")}
METHOD_LABELS = {"full_prepayment": N_("предоплата 100%"), "prepayment": N_("частичная предоплата"),
                 "advance": N_("аванс"), "full_payment": N_("полный расчёт")}
SECRET_LABELS = {"keyring": N_("пароль: в хранилище ключей"), "env": N_("пароль: в переменной окружения"),
                 "demo": N_("пароль: демо-песочница"), None: N_("пароль: не задан")}

# (attribute, form label) of the text fields, in the order of the form.
TEXTS = (
    ("url", N_("Адрес ККТ")), ("group_code", N_("Код группы")), ("login", N_("Логин")),
    ("company_email", N_("E-mail организации")), ("company_inn", N_("ИНН организации (владельца ККТ)")),
    ("agent_operation", N_("Операция платёжного агента")), ("agent_phone", N_("Телефон платёжного агента")),
    ("operator_phone", N_("Телефон оператора по приёму платежей")),
    ("supplier_name", N_("Поставщик")), ("supplier_inn", N_("ИНН поставщика")),
    ("supplier_phone", N_("Телефон поставщика")),
    ("item_name", N_("Наименование позиции")), ("place", N_("Место расчётов")),
)
CHOICES = (("mode", N_("ККТ"), MODE_LABELS), ("tax_system", N_("Система налогообложения"), TAX_LABELS),
           ("vat", N_("НДС"), VAT_LABELS), ("agent", N_("Признак агента"), AGENT_LABELS),
           ("payment_object", N_("Предмет расчёта"), OBJECT_LABELS),
           ("payment_method", N_("Способ расчёта"), METHOD_LABELS))
ONLINE_ONLY = ("group_code", "login", "password")



class FiscalSettingsDialog(QDialog):
    def __init__(self, ctx: DeskContext, runner: Any, payee_code: str, payee_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.ctx, self.runner, self.payee_code = ctx, runner, payee_code
        self.view: Any = None
        self.setWindowTitle(tr("ККТ и чеки: {p}", p=payee_name or payee_code))
        self.setMinimumWidth(620)
        fit_to_screen(self, 700, 640)
        self.widgets: dict[str, QWidget] = {}
        self.edits: dict[str, QLineEdit] = {}
        self.combos: dict[str, QComboBox] = {}
        for attr, _label, labels in CHOICES:
            combo = QComboBox()
            combo.setObjectName(attr)
            for key, text in labels.items():
                combo.addItem(tr(text), key)
            self.combos[attr] = combo
            self.widgets[attr] = combo
        for attr, _label in TEXTS:
            edit = QLineEdit()
            edit.setObjectName(attr)
            self.edits[attr] = edit
            self.widgets[attr] = edit
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("пусто — оставить прежний"))
        self.widgets["password"] = self.password
        self.card_by_bank = QCheckBox(tr("Чеки по картам пробивает онлайн-касса банка"))
        self.card_by_bank.setObjectName("card_by_bank")
        self.widgets["card_by_bank"] = self.card_by_bank
        self.secret_status = QLabel("")
        self.secret_status.setObjectName("secret_status")
        self.edits["url"].setPlaceholderText("http://127.0.0.1:16732")
        self.edits["supplier_inn"].setPlaceholderText(tr("10 или 12 цифр"))
        self.edits["company_inn"].setPlaceholderText(tr("пусто — ИНН получателя"))
        for attr in ("agent_phone", "operator_phone", "supplier_phone"):
            self.edits[attr].setPlaceholderText("+79991234567")

        register = QGroupBox(tr("Касса"))
        rform = QFormLayout(register)
        self.register_form = rform
        rform.addRow(tr("ККТ"), self.combos["mode"])
        for attr in ("url", "group_code", "login"):
            rform.addRow(tr(dict(TEXTS)[attr]), self.edits[attr])
        rform.addRow(tr("Пароль"), self.password)
        rform.addRow("", self.secret_status)
        rform.addRow(tr("E-mail организации"), self.edits["company_email"])
        rform.addRow(tr("ИНН организации (владельца ККТ)"), self.edits["company_inn"])
        rform.addRow("", self.card_by_bank)
        receipt = QGroupBox(tr("Что печатается в чеке"))
        cform = QFormLayout(receipt)
        for attr in ("tax_system", "vat", "payment_object", "payment_method"):
            cform.addRow(tr(dict((a, lab) for a, lab, _ in CHOICES)[attr]), self.combos[attr])
        cform.addRow(tr("Наименование позиции"), self.edits["item_name"])
        cform.addRow(tr("Место расчётов"), self.edits["place"])
        agent = QGroupBox(tr("Агент и поставщик"))
        aform = QFormLayout(agent)
        aform.addRow(tr("Признак агента"), self.combos["agent"])
        for attr in ("agent_operation", "agent_phone", "operator_phone", "supplier_name", "supplier_inn",
                     "supplier_phone"):
            aform.addRow(tr(dict(TEXTS)[attr]), self.edits[attr])

        self.problems = QLabel("")
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828;")
        self.problems.hide()
        self.state = QLabel("")
        self.state.setObjectName("state")
        self.state.setWordWrap(True)
        self.save_button = QPushButton(tr("Сохранить"))
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)  # until the stored settings are on screen
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close)
        # The three groups scroll: together they are taller than a 1024×700 screen (issue 12).
        body = QWidget()
        body_lay = QVBoxLayout(body)
        body_lay.setContentsMargins(0, 0, 0, 0)
        for group in (register, receipt, agent):
            body_lay.addWidget(group)
        scroll = QScrollArea()
        scroll.setObjectName("fiscal_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.problems)
        lay.addLayout(buttons)
        self.combos["mode"].currentIndexChanged.connect(lambda _i: self._mode_changed())
        self.combos["agent"].currentIndexChanged.connect(lambda _i: self._agent_changed())
        self.load()

    # --- reading ---------------------------------------------------------------------------
    def load(self) -> None:
        from cashier_app.services import fiscal_settings

        ctx, code = self.ctx, self.payee_code
        self.state.setText(tr("Загрузка…"))
        self.runner.run_db(lambda: fiscal_settings.view(ctx, code), self.fill,
                           lambda e: (self.state.setText(""), messages.show_error(self, e)))

    def fill(self, view: Any) -> None:
        self.view = view
        rules = view.rules
        for attr, combo in self.combos.items():
            combo.setCurrentIndex(max(0, combo.findData(getattr(rules, attr, None))))
        for attr, edit in self.edits.items():
            edit.setText(getattr(rules, attr, None) or "")
        self.card_by_bank.setChecked(bool(getattr(rules, "card_by_bank", False)))
        self.password.clear()
        self.secret_status.setText(tr(SECRET_LABELS.get(view.secret_source, SECRET_LABELS[None])))
        self.state.setText(tr("Действующие настройки") if view.configured else
                           tr("Не настроено: показаны значения по умолчанию для вида получателя"))
        self._clear_marks()
        self._mode_changed()
        self._agent_changed()
        self.save_button.setEnabled(True)

    def _mode_changed(self) -> None:
        online = self.combos["mode"].currentData() == "atol_online"
        for attr in ONLINE_ONLY:
            w = self.widgets[attr]
            w.setVisible(online)
            label = self.register_form.labelForField(w)
            if label is not None:
                label.setVisible(online)
        self.secret_status.setVisible(online)
        self.edits["url"].setEnabled(self.combos["mode"].currentData() != "none")
        self.edits["url"].setPlaceholderText("https://online.atol.ru/possystem/v5" if online
                                             else "http://127.0.0.1:16732")

    def _agent_changed(self) -> None:
        agent = self.combos["agent"].currentData() != "none"
        for attr in ("agent_operation", "agent_phone", "operator_phone", "supplier_name", "supplier_inn",
                     "supplier_phone"):
            self.edits[attr].setEnabled(agent)

    # --- saving ----------------------------------------------------------------------------
    def form_input(self) -> Any:
        from cashier_app.services.fiscal_settings import FiscalInput

        values: dict[str, Any] = {attr: combo.currentData() for attr, combo in self.combos.items()}
        values.update({attr: edit.text() for attr, edit in self.edits.items()})
        values["card_by_bank"] = self.card_by_bank.isChecked()
        values["password"] = self.password.text() or None
        return FiscalInput(**values)

    def save(self) -> None:
        from cashier_app.services import fiscal_settings

        self._clear_marks()
        ctx, code, data = self.ctx, self.payee_code, self.form_input()
        self.save_button.setEnabled(False)

        def done(_rules: Any) -> None:
            self.state.setText(tr("Сохранено"))
            self.load()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.state.setText(tr("Не сохранено"))
            self._mark(exc)

        self.runner.run_db(lambda: fiscal_settings.save(ctx, code, data), done, failed)

    def _clear_marks(self) -> None:
        clear_field_errors(self)
        for w in self.widgets.values():
            w.setStyleSheet("")
        self.problems.hide()
        self.problems.clear()

    def _mark(self, exc: BaseException) -> None:
        problems = getattr(exc, "problems", None)
        if problems is None:
            from cashier_app.domain.errors import ValidationError

            if not isinstance(exc, ValidationError):
                # A refusal of no field: once, on the dialog's own line (issue 12), not in a box.
                self.problems.setText(messages.error_text(exc))
                self.problems.show()
                return
            problems = [exc]
        # Each under its field (issue 12); what names no field, on the dialog's line.
        mark_problems(problems, lambda f: self.widgets.get(column_of(f) or ""), self.problems)
