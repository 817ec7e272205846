"""The fiscal receipts of one journal entry: state, the register's data and the FNS check QR code.

Read-only: the views come from ``fiscal_delivery.receipts`` (``ReceiptView``) on
the DB worker; «Повторить чек» lives in the journal dialog.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr

OPERATION_TEXT = {"sell": N_("приход"), "sell_return": N_("возврат прихода"),
                  "sell_correction": N_("коррекция прихода"),
                  "sell_return_correction": N_("коррекция возврата прихода")}
STATE_TEXT = {"pending": N_("формируется (ещё не отправлен)"), "sent": N_("формируется (отправлен на кассу)"),
              "done": N_("пробит"), "failed": N_("не пробит"), "bank": N_("пробит онлайн-кассой банка")}
CHANNEL_TEXT = {"atol_web": N_("касса АТОЛ (локально)"), "atol_online": N_("АТОЛ Онлайн"),
                "bank": N_("онлайн-касса банка")}


def state_text(view: Any) -> str:
    """«пробит», «не пробит: нет бумаги»… for one receipt."""
    state = getattr(view, "state", "")
    text = tr(STATE_TEXT[state]) if state in STATE_TEXT else str(state)
    error = getattr(view, "last_error", None)
    if state == "failed" and error:
        text += f": {error}"
    return text


def _local(dt: Any) -> str:
    """The receipt's time as the register printed it (``ReceiptView.fiscal_at`` is on its clock)."""
    if dt is None:
        return ""
    return dt.strftime("%d.%m.%Y %H:%M")


def receipt_rows(view: Any) -> list[tuple[str, str]]:
    """(label, value) lines of one receipt, only those it has."""
    op = getattr(view, "operation", "")
    channel = getattr(view, "channel", "")
    rows = [
        (tr("Операция"), tr(OPERATION_TEXT[op]) if op in OPERATION_TEXT else str(op)),
        (tr("Состояние"), state_text(view)),
        (tr("Касса"), tr(CHANNEL_TEXT[channel]) if channel in CHANNEL_TEXT else str(channel)),
        (tr("Сумма"), format_money(int(getattr(view, "amount_minor", 0) or 0))),
    ]
    contact = getattr(view, "contact", None)
    if contact:
        rows.append((tr("Электронный чек"), str(contact)))
    if getattr(view, "electronically", False):
        rows.append((tr("Печать"), tr("без печати")))
    for attr, label in (("fd_number", N_("ФД №")), ("fiscal_sign", N_("ФП")), ("fn_number", N_("ФН №")),
                        ("registration_number", N_("РН ККТ")), ("shift_number", N_("Смена ККТ №")),
                        ("receipt_number", N_("Чек №"))):
        value = getattr(view, attr, None)
        if value not in (None, ""):
            rows.append((tr(label), str(value)))
    if getattr(view, "fiscal_at", None) is not None:
        rows.append((tr("Дата и время чека"), _local(view.fiscal_at)))
    if getattr(view, "fns_url", None):
        rows.append((tr("Сайт ФНС"), str(view.fns_url)))
    rows.append((tr("Ключ"), str(getattr(view, "key", ""))))
    attempts = getattr(view, "attempts", None)
    if attempts:
        rows.append((tr("Попыток"), str(attempts)))
    return rows


class FiscalReceiptDialog(QDialog):
    def __init__(self, number: str, views: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed dialogs do not pile up (issue 12)
        self.setWindowTitle(tr("Фискальные чеки записи {n}", n=number))
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        self.boxes: list[QGroupBox] = []
        if not views:
            lay.addWidget(QLabel(tr("Фискальных чеков нет.")))
        for view in views:
            box = QGroupBox(tr("Чек: {op}", op=receipt_rows(view)[0][1]))
            form = QFormLayout(box)
            if getattr(view, "text", ""):
                said = QLabel(str(view.text))
                said.setWordWrap(True)
                form.addRow(said)
            for label, value in receipt_rows(view):
                text = QLabel(value)
                text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                text.setWordWrap(True)
                form.addRow(label, text)
            qr = getattr(view, "qr", None)
            if qr:
                from cashier_app.ui.card_payment_dialog import qr_pixmap

                image = QLabel()
                image.setObjectName("fns_qr")
                image.setPixmap(qr_pixmap(str(qr), 4))
                image.setToolTip(str(qr))
                image.setAlignment(Qt.AlignmentFlag.AlignCenter)
                form.addRow(image)
            lay.addWidget(box)
            self.boxes.append(box)
        close = QPushButton(tr("Закрыть"))
        close.clicked.connect(self.accept)
        lay.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
