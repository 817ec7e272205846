"""One entry point for printing: DTO → QR fields → PDF bytes.

``build_qr_fields`` decides what goes into the GOST R 56042 code; every
renderer prints the same values (5.4.2: everything encoded must be printed),
so the renderers take them from here rather than from the DTO directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cashier_app.printing.dto import DocumentKind, ReceiptDTO
from cashier_app.printing.gost import PaymentFields, build_payload
from cashier_app.printing.qr import qr_matrix


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    pdf: bytes
    qr_payload: bytes
    sha256: str  # of ``pdf``; the journal stores it to prove a reprint is identical


def build_qr_fields(receipt: ReceiptDTO) -> PaymentFields:
    """The payment code's fields for a receipt (every renderer prints exactly these).

    Sum is ``amount_minor`` — what the payee must receive; a CONTACT/Euroset
    fee on top goes to the agent, not into the payee's account.  PersAcc is the
    subscriber account or the booking number (a string: leading zeros kept).
    """
    payee, payer = receipt.payee, receipt.payer
    last, first, middle = payer.name_parts
    extra: tuple[tuple[str, str], ...] = ()
    if receipt.kind is DocumentKind.INVOICE:
        # A legal entity pays by its own transfer order: the payer is the
        # buyer (its ИНН), not the person whose name the DTO may carry.
        last = first = middle = ""
        if receipt.buyer_inn:
            extra = (("PayerINN", receipt.buyer_inn),)
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
        pers_acc=receipt.target_number,
        last_name=last,
        first_name=first,
        middle_name=middle,
        payer_address=payer.full_address,
        tech_code=receipt.tech_code,
        extra=extra,
    )


def qr_payload(receipt: ReceiptDTO) -> bytes:
    return build_payload(build_qr_fields(receipt))


def receipt_qr(receipt: ReceiptDTO) -> tuple[bytes, list[list[bool]]]:
    """(payload bytes, QR module matrix) for a receipt."""
    payload = qr_payload(receipt)
    return payload, qr_matrix(payload)


Renderer = Callable[..., bytes]  # (receipt, *, matrix=None) -> PDF bytes


def _renderers() -> dict[DocumentKind, Renderer]:
    # Imported here: the renderers import this module for the QR fields.
    from cashier_app.printing.info_sheet import render_info_sheet
    from cashier_app.printing.invoice import render_invoice
    from cashier_app.printing.pd4 import render_pd4
    from cashier_app.printing.post112 import render_post112

    return {
        DocumentKind.PD4: render_pd4,
        DocumentKind.POST112: render_post112,
        DocumentKind.INFO_CONTACT: render_info_sheet,
        DocumentKind.INFO_EUROSET: render_info_sheet,
        DocumentKind.INVOICE: render_invoice,
    }


def render(receipt: ReceiptDTO) -> RenderedDocument:
    """Render the document ``receipt.kind`` asks for."""
    payload, matrix = receipt_qr(receipt)
    pdf = _renderers()[receipt.kind](receipt, matrix=matrix)
    return RenderedDocument(pdf=pdf, qr_payload=payload, sha256=hashlib.sha256(pdf).hexdigest())
