"""The payment code of a receipt: which GOST R 56042 fields a document carries.

Every renderer prints exactly these values (5.4.2: everything encoded must be
printed), so the renderers take them from here rather than from the DTO.  This
module is below the renderers and ``documents`` (which picks a renderer) is
above them: nothing here imports a renderer, so there is no import cycle.
"""

from __future__ import annotations

from cashier_app.printing.dto import DocumentKind, ReceiptDTO
from cashier_app.printing.gost import PaymentFields, build_payload
from cashier_app.printing.qr import qr_matrix


def build_qr_fields(receipt: ReceiptDTO) -> PaymentFields:
    """The payment code's fields for a receipt (every renderer prints exactly these).

    Sum is ``amount_minor`` — what the payee must receive; a CONTACT/Euroset
    fee on top goes to the agent, not into the payee's account.  PersAcc is the
    subscriber account or the booking number (a string: leading zeros kept).
    """
    payee, payer = receipt.payee, receipt.payer
    last, first, middle = payer.name_parts
    payer_inn = payer.inn
    if receipt.kind is DocumentKind.INVOICE:
        # A legal entity pays by its own transfer order: the payer is the
        # buyer (its ИНН), not the person whose name the DTO may carry.
        last = first = middle = ""
        payer_inn = receipt.buyer_inn
    return PaymentFields(
        name=payee.name,
        personal_acc=payee.account,
        bank_name=payee.bank_name,
        bic=payee.bic,
        corresp_acc=payee.corr_account or "0",
        sum_kopecks=receipt.amount_minor,
        purpose=receipt.purpose,
        payee_inn=payee.inn,
        kpp=payee.kpp,
        payer_inn=payer_inn,
        pers_acc=receipt.target_number,
        last_name=last,
        first_name=first,
        middle_name=middle,
        payer_address=payer.full_address,
        tech_code=receipt.tech_code,
    )


def qr_payload(receipt: ReceiptDTO) -> bytes:
    return build_payload(build_qr_fields(receipt))


def receipt_qr(receipt: ReceiptDTO) -> tuple[bytes, list[list[bool]]]:
    """(payload bytes, QR module matrix) for a receipt."""
    payload = qr_payload(receipt)
    return payload, qr_matrix(payload)
