"""Spending Sales & Smiles bonuses on a booking (button «Бонусы (F8)» of the booking card)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cashier_app.domain.bonus_rules import BONUS_TYPE_LABELS, MAX_SPEND_HINT, BonusType
from cashier_app.domain.errors import UserError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.domain.tours import format_date_ru
from cashier_app.i18n import tr
from cashier_app.services import bonuses
from cashier_app.services.bonuses import SpendInfo, SpendResult
from cashier_app.services.context import DeskContext
from cashier_app.ui.messages import error_text

ERROR_STYLE = "color: #c62828; font-weight: bold;"


class BonusDialog(QDialog):
    """Balances and the maximum per type for the chosen account; a refusal stays inline."""

    def __init__(self, ctx: DeskContext, runner: Any, info: SpendInfo, today: date,
                 on_done: Callable[[SpendResult], None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner, self.info, self.today = ctx, runner, info, today
        self.on_done = on_done
        self.result_value: SpendResult | None = None
        # One token per opened dialog: a double click cannot write off twice.
        self.token = uuid.uuid4().hex
        self.setWindowTitle(tr("Списание бонусов — заявка № {n}", n=info.booking_number))
        self.setMinimumWidth(620)
        cur = info.currency

        summary = QFormLayout()
        summary.addRow(tr("Стоимость") + ":", QLabel(format_money(info.price_minor, cur)))
        summary.addRow(tr("Оплачено") + ":", QLabel(
            f"{format_money(info.paid_minor, cur)} ({info.paid_share.replace('.', ',')} %)"))
        summary.addRow(tr("Вылет") + ":", QLabel(format_date_ru(info.departure_on)))
        self.cap_label = QLabel(tr("не больше {cap} по заявке (все типы вместе), уже списано {spent}, можно ещё {left}",
                                   cap=format_money(info.cap_minor, cur), spent=format_money(info.spent_minor, cur),
                                   left=format_money(info.cap_left_minor, cur)))
        self.cap_label.setObjectName("cap")
        self.cap_label.setWordWrap(True)
        summary.addRow(tr("Лимит") + ":", self.cap_label)

        self.account = QComboBox()
        self.account.setObjectName("account")
        for acc in info.accounts:
            kind = tr(bonuses.ACCOUNT_KIND_LABELS.get(acc.kind, acc.kind))
            self.account.addItem(f"{kind}: {acc.name}", acc.account_id)
        summary.addRow(tr("Бонусный счёт") + ":", self.account)

        box = QGroupBox(tr("Сумма к списанию, {cur}", cur=cur))
        grid = QGridLayout(box)
        for col, head in enumerate((tr("Тип бонусов"), tr("На счёте"), tr(MAX_SPEND_HINT), tr("Списать"))):
            label = QLabel(f"<b>{head}</b>")
            grid.addWidget(label, 0, col)
        self.balance_labels: dict[str, QLabel] = {}
        self.hint_labels: dict[str, QLabel] = {}
        self.edits: dict[str, QLineEdit] = {}
        for row, t in enumerate(BonusType, start=1):
            key = t.value
            grid.addWidget(QLabel(BONUS_TYPE_LABELS[t]), row, 0)
            self.balance_labels[key] = QLabel()
            self.hint_labels[key] = QLabel()
            self.hint_labels[key].setObjectName(f"hint_{key}")
            edit = QLineEdit()
            edit.setObjectName(f"amount_{key}")
            edit.setPlaceholderText("0,00")
            edit.textEdited.connect(lambda _t: self.error.setText(""))
            self.edits[key] = edit
            grid.addWidget(self.balance_labels[key], row, 1)
            grid.addWidget(self.hint_labels[key], row, 2)
            grid.addWidget(edit, row, 3)

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("Списать"))
        self.ok_button.setObjectName("spend")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Отмена"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(summary)
        layout.addWidget(box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.account.currentIndexChanged.connect(lambda _i: self._show_account())
        self._show_account()
        if info.reasons:
            # Nothing can be spent today: say why and keep the dialog for reading.
            self.error.setText("; ".join(info.reasons))
            self.ok_button.setEnabled(False)
            for edit in self.edits.values():
                edit.setEnabled(False)
        if self.edits:
            self.edits[BonusType.PLUS.value].setFocus()

    def _show_account(self) -> None:
        cur = self.info.currency
        acc = next((a for a in self.info.accounts if a.account_id == self.account.currentData()), None)
        for t in BonusType:
            key = t.value
            have = acc.balances.get(key, 0) if acc else 0
            most = acc.max_by_type.get(key, 0) if acc else 0
            self.balance_labels[key].setText(format_money(have, cur))
            self.hint_labels[key].setText(format_money(most, cur))
            self.hint_labels[key].setToolTip(tr(MAX_SPEND_HINT))

    def requested(self) -> dict[str, int]:
        """Typed amounts; an empty field is zero. A bad one raises naming its bonus type."""
        out: dict[str, int] = {}
        for t in BonusType:
            text = self.edits[t.value].text().strip()
            if text:
                value = parse_amount(text, BONUS_TYPE_LABELS[t], allow_zero=True)
                if value:
                    out[t.value] = value
        return out

    def submit(self) -> None:
        try:
            want = self.requested()
        except UserError as exc:
            self.error.setText(str(exc))
            return
        account_id = self.account.currentData()
        if account_id is None:
            self.error.setText(tr("Нет бонусного счёта для списания."))
            return
        self.ok_button.setEnabled(False)
        ctx, number, today, token = self.ctx, self.info.booking_number, self.today, self.token
        self.runner.run_db(
            lambda: bonuses.spend(ctx, number, want, today, account=int(account_id), operation_token=token),
            self._done, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        # A user mistake's own text; otherwise the honest «outcome unknown», logged with its traceback.
        self.error.setText(error_text(exc))

    def _done(self, result: SpendResult) -> None:
        self.result_value = result
        if self.on_done is not None:
            self.on_done(result)
        self.accept()
