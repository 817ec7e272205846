"""Issue 12 §3: a rate prints with a decimal comma on the slip; a slip issued before still reprints byte for byte."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader

from cashier_app.printing import slip
from cashier_app.services import journal

PARAMS = {"document_number": "D-000124", "payment_number": "P-000000046", "issued_at": "04.12.2026 10:05",
          "printed_at": "04.12.2026 10:05", "payee_name": "ООО «Туроператор»", "payee_inn": "7707083893",
          "account": None, "booking": "5100840", "payer": "Куликов Потап Гордеевич", "amount_minor": 925012,
          "target_amount_minor": 10000, "target_currency": "EUR", "rate": "92.5012", "rate_day": "04.12.2026",
          "received_minor": 1000000, "change_minor": 74988, "cashier": "Смирнова Анна", "desk": "desk-1",
          "shift_number": "S-0001"}


def _text(pdf: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_slip_rate_has_a_decimal_comma_and_amounts_are_grouped() -> None:
    text = _text(slip.render_params(PARAMS))
    assert "92,5012" in text and "92.5012" not in text
    assert "9 250,12" in text.replace("\u00a0", " ")


def test_a_slip_issued_with_the_old_rate_text_reprints_as_issued() -> None:
    old = slip.render_params({**PARAMS, "legacy_rate_dot": True})
    assert "92.5012" in _text(old)
    old_sha = hashlib.sha256(old).hexdigest()
    pdf, digest = journal.render_as_issued("slip", dict(PARAMS), old_sha)
    assert pdf == old and digest == old_sha
    new = slip.render_params(PARAMS)
    pdf, digest = journal.render_as_issued("slip", dict(PARAMS), hashlib.sha256(new).hexdigest())
    assert pdf == new
    # A digest no rendering gives: today's rendering comes back, and the caller refuses it.
    _pdf, digest = journal.render_as_issued("slip", dict(PARAMS), "0" * 64)
    assert digest != "0" * 64
