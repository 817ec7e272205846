"""Spending Sales & Smiles bonuses on a booking (button «Бонусы (F8)» of the booking card).

A running total (available, to spend, left to pay) follows the typing; more than is due is
said as such («Больше суммы к оплате») before anything is sent.  The write-off asks first and,
once done, the dialog says what was spent and what is left (issue 12 §2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
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
from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.domain.tours import format_date_ru
from cashier_app.i18n import tr
from cashier_app.services import bonuses
from cashier_app.services.bonuses import SpendInfo, SpendResult
from cashier_app.services.context import DeskContext
from cashier_app.ui import messages
from cashier_app.ui.widgets import MessageLine, clear_field_errors, show_field_error, show_refusal, while_open


class BonusDialog(QDialog):
    """Balances and the maximum per type for the chosen account; a refusal stays inline."""

    def __init__(self, ctx: DeskContext, runner: Any, info: SpendInfo, today: date,
                 on_done: Callable[[SpendResult], None] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ctx, self.runner, self.info, self.today = ctx, runner, info, today
        self.on_done = on_done
        self.result_value: SpendResult | None = None
        # One token per opened dialog: a double click cannot write off twice.
        self.token = uuid.uuid4().hex
        self.setWindowTitle(tr("Списание бонусов — заявка № {n}", n=info.booking_number))
        self.setMinimumWidth(560)
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
            edit.textChanged.connect(lambda _t: self._update_total())
            self.edits[key] = edit
            grid.addWidget(self.balance_labels[key], row, 1)
            grid.addWidget(self.hint_labels[key], row, 2)
            grid.addWidget(edit, row, 3)

        # The running total: what the chosen account has, what is typed, what the booking still needs.
        totals = QFormLayout()
        self.available_label = QLabel()
        self.available_label.setObjectName("available")
        self.to_spend_label = QLabel()
        self.to_spend_label.setObjectName("to_spend")
        self.left_label = QLabel()
        self.left_label.setObjectName("left_to_pay")
        totals.addRow(tr("Доступно бонусов") + ":", self.available_label)
        totals.addRow(tr("К списанию") + ":", self.to_spend_label)
        totals.addRow(tr("Останется оплатить") + ":", self.left_label)

        self.error = MessageLine(self)

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
        layout.addLayout(totals)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.account.currentIndexChanged.connect(lambda _i: self._show_account())
        self._show_account()
        if info.reasons:
            # Nothing can be spent today: say why and keep the dialog for reading.
            self.error.show_error("; ".join(info.reasons))
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
        self._update_total()

    def _chosen(self) -> bonuses.SpendAccount | None:
        return next((a for a in self.info.accounts if a.account_id == self.account.currentData()), None)

    def _typed_total(self) -> int | None:
        """The sum typed so far; None while a field does not read as an amount."""
        try:
            return sum(self.requested().values())
        except UserError:
            return None

    def _update_total(self) -> None:
        """Refresh the running total; more than is due is said at once, and the button waits."""
        cur = self.info.currency
        acc = self._chosen()
        have = sum(acc.balances.values()) if acc else 0
        self.available_label.setText(format_money(have, cur))
        total = self._typed_total()
        if total is None:
            self.to_spend_label.setText("—")
            self.left_label.setText("—")
            return
        self.to_spend_label.setText(format_money(total, cur))
        self.left_label.setText(format_money(max(self.info.due_minor - total, 0), cur))
        if self.info.reasons or self.result_value is not None:
            return
        over = total > self.info.due_minor
        if over:
            self.error.show_error(tr("Больше суммы к оплате: к списанию {total}, к оплате {due}",
                                     total=format_money(total, cur), due=format_money(self.info.due_minor, cur)))
        else:  # a refusal of the amounts before this edit no longer holds
            self.error.clear()
        self.ok_button.setEnabled(not over)

    def requested(self) -> dict[str, int]:
        """Typed amounts; an empty field is zero. A bad one raises naming its bonus type."""
        out: dict[str, int] = {}
        for t in BonusType:
            value = self._read_one(t)
            if value:
                out[t.value] = value
        return out

    def submit(self) -> None:
        clear_field_errors(self)
        if not self.info.reasons:
            self.error.clear()
        for t in BonusType:  # a bad amount is said under its own field
            try:
                self._read_one(t)
            except ValidationError as exc:
                show_field_error(self.edits[t.value], exc.message)
                return
        want = self.requested()
        account_id = self.account.currentData()
        if account_id is None:
            self.error.show_error(tr("Нет бонусного счёта для списания."))
            return
        total = sum(want.values())
        cur = self.info.currency
        if total > self.info.due_minor:
            return  # the running total already says «Больше суммы к оплате»
        acc = self._chosen()
        # Ask only what can go through: over a type's maximum the service's own refusal says why.
        within = acc is not None and all(v <= acc.max_by_type.get(k, 0) for k, v in want.items())
        if total and within and not messages.confirm(
                self, tr("Списание бонусов"),
                tr("Списать {total} бонусами со счёта «{account}» в оплату заявки № {n}?",
                   total=format_money(total, cur), account=acc.name if acc else "", n=self.info.booking_number),
                tr("Списать")):
            return
        self.error.clear()
        self.ok_button.setEnabled(False)
        ctx, number, today, token = self.ctx, self.info.booking_number, self.today, self.token
        self.runner.run_db(
            lambda: bonuses.spend(ctx, number, want, today, account=int(account_id), operation_token=token),
            self._done, self._failed)

    def _read_one(self, t: BonusType) -> int:
        text = self.edits[t.value].text().strip()
        return parse_amount(text, BONUS_TYPE_LABELS[t], allow_zero=True) if text else 0

    @while_open
    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        # Once: under the bonus type it names, else on the dialog's line (a user mistake's own text;
        # otherwise the honest «outcome unknown», logged with its traceback).
        show_refusal(exc, {BONUS_TYPE_LABELS[t]: self.edits[t.value] for t in BonusType}, self.error)

    @while_open
    def _done(self, result: SpendResult) -> None:
        """Say what was spent and what is left; the card refreshes through ``on_done``."""
        self.result_value = result
        cur = result.currency
        acc = self._chosen()
        left_bonus = max(sum(acc.balances.values()) - result.total_minor, 0) if acc else 0
        self.error.show_success(tr(
            "Списано {total} ({rub}), платёж {p}. На бонусном счёте осталось {left}; по заявке осталось "
            "оплатить {due}.", total=format_money(result.total_minor, cur), rub=format_money(result.rub_minor),
            p=result.payment_number, left=format_money(left_bonus, cur),
            due=format_money(max(self.info.price_minor - result.paid_minor, 0), cur)))
        for edit in self.edits.values():
            edit.setEnabled(False)
        self.account.setEnabled(False)
        self.ok_button.setVisible(False)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        close.setText(tr("Закрыть"))
        close.setDefault(True)
        close.setFocus()
        if self.on_done is not None:
            self.on_done(result)
