"""The e-receipt fields of the payment dialogs: «Телефон или e-mail для чека» (tag 1008) and «Без печати».

Shared by the cash (F6) and card (F7) dialogs.  The contact is checked (and normalised)
by the domain's ``check_contact`` before anything is sent; a bad one marks the field.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLineEdit, QWidget

from cashier_app.domain.errors import ValidationError
from cashier_app.i18n import N_, tr

BAD_STYLE = "border: 1px solid #c62828; background: #fff3f3;"
# The names a refusal of the contact comes under: this form's label and the services' field.
CONTACT_NAMES = (N_("Телефон или e-mail для чека"), N_("Телефон или e-mail покупателя"))


def contact_fields(contact: QLineEdit) -> dict[str, QWidget]:
    """For ``widgets.show_refusal``: every name the contact is refused under, mapped to its field."""
    return dict.fromkeys(CONTACT_NAMES, contact)


def receipt_fields() -> tuple[QLineEdit, QCheckBox]:
    """The e-receipt contact (tag 1008) and «Без печати», shared by the cash and the card dialogs."""
    contact = QLineEdit()
    contact.setObjectName("receipt_contact")
    contact.setPlaceholderText(tr("необязательно"))  # the example is the tooltip: it does not fit at 1024×700
    contact.setToolTip(tr("необязательно: +79991234567 или name@example.ru"))
    contact.setMaxLength(64)
    paperless = QCheckBox(tr("Без печати (только электронный чек)"))
    paperless.setObjectName("receipt_paperless")
    paperless.setEnabled(False)  # a receipt that is not printed must reach the customer some other way
    contact.textChanged.connect(lambda text: _contact_changed(contact, paperless, text))
    return contact, paperless


def _contact_changed(contact: QLineEdit, paperless: QCheckBox, text: str) -> None:
    contact.setStyleSheet("")
    has = bool(text.strip())
    paperless.setEnabled(has)
    if not has:
        paperless.setChecked(False)


def receipt_choice(contact: QLineEdit, paperless: QCheckBox) -> tuple[str | None, bool]:
    """(normalised contact or None, paperless); a bad contact marks the field and raises ValidationError."""
    from cashier_app.domain.fiscal_receipt import check_contact

    text = contact.text().strip()
    if not text:
        if paperless.isChecked():
            raise ValidationError(tr("Телефон или e-mail для чека"),
                                  tr("без печати чек уходит только покупателю: укажите телефон или e-mail"))
        return None, False
    try:
        value = check_contact(text)
    except ValidationError:
        contact.setStyleSheet(BAD_STYLE)  # the text goes under the field (widgets.show_field_error), once
        raise
    return value, paperless.isChecked()
