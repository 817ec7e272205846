"""One entry point for printing: DTO → QR fields → PDF bytes.

``payment_code.build_qr_fields`` decides what goes into the GOST R 56042
code; every renderer prints the same values (5.4.2: everything encoded must be
printed).  The renderers import ``payment_code``, never this module, so this
module imports them at the top without a cycle.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from cashier_app.printing.dto import DocumentKind, PayeeDTO, PayerDTO, ReceiptDTO, TargetKind
from cashier_app.printing.info_sheet import render_info_sheet
from cashier_app.printing.invoice import render_invoice
from cashier_app.printing.payment_code import build_qr_fields as build_qr_fields  # re-exported for callers
from cashier_app.printing.payment_code import qr_payload as qr_payload
from cashier_app.printing.payment_code import receipt_qr
from cashier_app.printing.pd4 import Pd4Batch, render_pd4
from cashier_app.printing.post112 import render_post112


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    pdf: bytes
    qr_payload: bytes
    sha256: str  # of ``pdf``; the journal stores it to prove a reprint is identical


Renderer = Callable[..., bytes]  # (receipt, *, matrix=None) -> PDF bytes


def _renderers() -> dict[DocumentKind, Renderer]:
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


# -- journal params: a JSON-safe snapshot of the DTO ---------------------------------
#
# The documents journal stores ``receipt_to_params(receipt)`` and reprints with
# ``render_params(params)``; the two are exact inverses, so a reprint sees the
# very DTO the document was made from (Decimals and dates travel as text).

PARAMS_VERSION = 1


def receipt_to_params(receipt: ReceiptDTO) -> dict[str, Any]:
    """ReceiptDTO → plain dict of str/int/None/lists (what a JSON column holds unchanged)."""
    return {
        "v": PARAMS_VERSION,
        "document_number": receipt.document_number,
        "kind": str(receipt.kind),
        "payee": {f.name: getattr(receipt.payee, f.name) for f in fields(PayeeDTO)},
        "payer": {f.name: getattr(receipt.payer, f.name) for f in fields(PayerDTO)},
        "target_kind": str(receipt.target_kind),
        "target_number": receipt.target_number,
        "purpose": receipt.purpose,
        "amount_minor": receipt.amount_minor,
        "issue_date": receipt.issue_date.isoformat(),
        "fee_minor": receipt.fee_minor,
        "valid_until": receipt.valid_until.isoformat() if receipt.valid_until else None,
        "currency": receipt.currency,
        "rate": None if receipt.rate is None else str(receipt.rate),
        "rate_date": receipt.rate_date.isoformat() if receipt.rate_date else None,
        "tour_amount_minor": receipt.tour_amount_minor,
        "buyer_name": receipt.buyer_name,
        "buyer_inn": receipt.buyer_inn,
        "extra": [[label, value] for label, value in receipt.extra],
    }


def params_to_receipt(params: dict[str, Any]) -> ReceiptDTO:
    """The inverse of :func:`receipt_to_params`; refuses params of an unknown version."""
    if params.get("v") != PARAMS_VERSION:
        raise ValueError(f"unknown document params version {params.get('v')!r}")

    def day(key: str) -> date | None:
        value = params.get(key)
        return date.fromisoformat(value) if value else None

    issue = day("issue_date")
    assert issue is not None
    return ReceiptDTO(
        document_number=params["document_number"],
        kind=DocumentKind(params["kind"]),
        payee=PayeeDTO(**params["payee"]),
        payer=PayerDTO(**params["payer"]),
        target_kind=TargetKind(params["target_kind"]),
        target_number=params["target_number"],
        purpose=params["purpose"],
        amount_minor=params["amount_minor"],
        issue_date=issue,
        fee_minor=params["fee_minor"],
        valid_until=day("valid_until"),
        currency=params["currency"],
        rate=None if params["rate"] is None else Decimal(params["rate"]),
        rate_date=day("rate_date"),
        tour_amount_minor=params["tour_amount_minor"],
        buyer_name=params["buyer_name"],
        buyer_inn=params["buyer_inn"],
        extra=tuple((str(label), str(value)) for label, value in params["extra"]),
    )


def render_params(params: dict[str, Any]) -> bytes:
    """The journal's renderer for pd4 / post112 / info_* / invoice: params → PDF bytes."""
    return render(params_to_receipt(params)).pdf


def payload_text(payload: bytes) -> str:
    """The QR payload as text, decoded by its header's encoding digit (ГОСТ Р 56042 5.2)."""
    return payload.decode(_HEADER_CHARSETS[payload[6:7]])


_HEADER_CHARSETS = {b"1": "cp1251", b"2": "utf-8", b"3": "koi8-r"}


# -- a batch of ПД-4 in one journal entry -------------------------------------------


def batch_item(receipt: ReceiptDTO) -> tuple[dict[str, Any], dict[str, Any]]:
    """One receipt of a ``pd4_batch`` as (params with the payee by code, the payee's params)."""
    p = receipt_to_params(receipt)
    payee = p.pop("payee")
    p["payee"] = payee["code"]
    return p, payee


def batch_params(receipts: Sequence[ReceiptDTO]) -> dict[str, Any]:
    """Compact params for a ``pd4_batch`` entry: each receipt's params, payees stored once."""
    payees: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    for r in receipts:
        row, payee = batch_item(r)
        payees[payee["code"]] = payee
        rows.append(row)
    return {"v": PARAMS_VERSION, "payees": payees, "receipts": rows}


def iter_batch_receipts(params: dict[str, Any]) -> Iterator[ReceiptDTO]:
    payees = params["payees"]
    for row in params["receipts"]:
        yield params_to_receipt({**row, "payee": payees[row["payee"]]})


def render_batch_params(params: dict[str, Any]) -> bytes:
    """Re-render a whole ``pd4_batch`` journal entry, two receipts per page, as the batch made it."""
    buf = io.BytesIO()
    with Pd4Batch(buf, chunk_size=int(params.get("chunk_size", 100))) as batch:
        for receipt in iter_batch_receipts(params):
            batch.add(receipt)
    return buf.getvalue()
