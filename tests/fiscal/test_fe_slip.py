"""The slip carries the fiscal receipt: ФД / ФП / ФН / РН ККТ / смена / дата-время / the FNS site and the
FNS check QR code — read back from the rasterised page with zxing-cpp and compared with what was stored.

A receipt not made yet says «Фискальный чек формируется…», a refused one its reason, and no QR code is
printed for either; a slip made before issue 13 (no ``fiscal`` in its params) keeps its layout.
The end-to-end cases pay through the register emulator over loopback and check the slip against the
outbox row and the emulator's own document.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from cashier_app.printing import shift_report, slip
from cashier_app.printing.fiscal_block import QR_BOX_MM
from cashier_app.services import journal, office_time
from cashier_app.storage.db import Database
from tests.fiscal.fc_helpers import docs_for, open_desk, pay, register, row_of, set_fiscal
from tests.test_documents import needs_poppler, rasterise, squeeze

__all__ = ["register"]

QR = "t=20261203T1405&s=1000.50&fn=9999078900001234&i=1234&fp=3826540218&n=1"
FISCAL = {"state": "done", "fd_number": 1234, "fiscal_sign": "3826540218", "fn_number": "9999078900001234",
          "registration_number": "0000000001002292", "shift_number": 12, "receipt_number": 7,
          "fiscal_at": "03.12.2026 14:05", "fns_url": "www.nalog.gov.ru", "total_minor": 100050, "qr": QR,
          "contact": "ivanov@example.ru", "electronically": False}
BASE = {"document_number": "D-000123", "payment_number": "P-000000045", "issued_at": "03.12.2026 14:05",
        "printed_at": "03.12.2026 14:05", "payee_name": "ООО «Связь-Телеком»", "payee_inn": "7707083893",
        "account": "0000001", "booking": None, "payer": "Иванов Иван Иванович", "amount_minor": 100050,
        "target_amount_minor": None, "target_currency": None, "rate": None, "rate_day": None,
        "received_minor": 200000, "change_minor": 99950, "cashier": "Смирнова Анна", "desk": "desk-1",
        "shift_number": "S-0001"}


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def codes(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def fiscal_values(text: str) -> dict[str, str]:
    """The slip's «label / value» fiscal lines as a dict (the 80 mm tape puts the value under the label)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start = lines.index("Реквизиты кассового чека (54-ФЗ):")
    out: dict[str, str] = {}
    labels = ("ФД №", "ФП", "ФН №", "РН ККТ", "Смена №", "Чек №", "Дата и время чека", "Итог по чеку", "Сайт ФНС")
    for i, line in enumerate(lines[start:], start):
        for label in labels:
            if line == label:
                out[label] = lines[i + 1]
            elif line.startswith(label + " ") and label not in out:
                out[label] = line[len(label):].strip()
    return out


@needs_poppler
@pytest.mark.parametrize("paper", ["a4", "80mm"])
def test_done_receipt_on_the_slip_lines_and_qr(paper: str, tmp_path: Path) -> None:
    pdf = slip.render_params({**BASE, "paper": paper, "fiscal": FISCAL})
    text = text_of(pdf)
    got = fiscal_values(text)
    assert got["ФД №"] == "1234" and got["ФП"] == "3826540218" and got["ФН №"] == "9999078900001234"
    assert got["РН ККТ"] == "0000000001002292" and got["Смена №"] == "12" and got["Чек №"] == "7"
    assert got["Дата и время чека"] == "03.12.2026 14:05" and got["Сайт ФНС"] == "www.nalog.gov.ru"
    assert squeeze(got["Итог по чеку"]) == squeeze("1 000,50 ₽")
    assert "ivanov@example.ru" in text and "Фискальный чек формируется" not in text
    # Read back the way a customer's phone does: from the printed page, at 100 dpi (a receipt printer's
    # density is ~200; 100 is the worse case) and 150.
    for dpi in (100, 150):
        assert codes(rasterise(pdf, dpi, tmp_path)) == [QR], dpi


def test_qr_box_keeps_modules_readable() -> None:
    from cashier_app.printing.pdf_base import QR_MIN_MODULE_MM, qr_module_mm
    from cashier_app.printing.qr import qr_matrix

    n = len(qr_matrix(QR.encode()))
    assert qr_module_mm(n, QR_BOX_MM) >= max(QR_MIN_MODULE_MM, 0.5)


@needs_poppler
@pytest.mark.parametrize(("state", "expected"), [
    ("pending", "Фискальный чек формируется…"),
    ("sent", "Фискальный чек формируется…"),
    ("failed", "Фискальный чек не сформирован: нет бумаги"),
])
def test_unfinished_receipt_says_so_without_a_qr(state: str, expected: str, tmp_path: Path) -> None:
    fiscal = {"state": state, "contact": None, "electronically": False, "error": "нет бумаги"}
    pdf = slip.render_params({**BASE, "paper": "80mm", "fiscal": fiscal})
    text = text_of(pdf)
    assert squeeze(expected) in squeeze(text)
    assert "ФД №" not in text and "Сайт ФНС" not in text
    assert codes(rasterise(pdf, 150, tmp_path)) == []


def test_slip_without_fiscal_data_keeps_its_layout() -> None:
    """Slips journaled before issue 13 reprint from their params: no fiscal key, no fiscal block."""
    blocks = slip.slip_blocks({**BASE, "paper": "a4"})
    assert blocks[-1] == ("sign", "Подпись кассира") and blocks[-2] == ("kv", "Смена №", "S-0001")
    assert not any(b[0] == "qr" for b in blocks)
    assert "Реквизиты кассового чека" not in text_of(slip.render_params({**BASE, "paper": "a4"}))


def test_z_report_carries_the_register_shift() -> None:
    params = {"kind": "z_report", "document_number": "D-9", "z_number": "Z-1", "shift_number": "S-0001",
              "desk": "desk-1", "cashier": "Смирнова", "opened_at": "03.12.2026 09:00",
              "closed_at": "03.12.2026 20:00", "issued_at": "03.12.2026 20:00", "float_minor": 0,
              "payments_count": 1, "payments_minor": 100, "returns_count": 0, "returns_minor": 0,
              "cash_in_minor": 0, "cash_out_minor": 0, "expected_minor": 100, "counted_minor": 100,
              "over_short_minor": 0, "paper": "a4",
              "register": {"shift_number": 12, "fn_number": "9999078900001234", "fd_number": 1240,
                           "fiscal_sign": "1122334455", "closed_at": "2026-12-03T17:00:00+00:00"}}
    text = text_of(shift_report.render_params(params))
    for line in ("Смена ККТ № 12", "ФН № 9999078900001234", "ФД отчёта № 1240", "ФП отчёта 1122334455",
                 "03.12.2026 17:00 UTC"):
        assert squeeze(line) in squeeze(text), line
    no_register = {k: v for k, v in params.items() if k != "register"}
    assert "Контрольно-кассовая техника" not in text_of(shift_report.render_params(no_register))


# --- through the register emulator -------------------------------------------------------------------------


def expected_qr(r: Any, register_at: str) -> str:
    """The FNS string built here from its definition: the register's own clock (as it printed it), the total in
    rubles, the stored FN / FD / FP — not by the app's code."""
    at = datetime.fromisoformat(register_at)
    rub = Decimal(r.fiscal_total_minor) / 100
    return f"t={at:%Y%m%dT%H%M}&s={rub:.2f}&fn={r.fn_number}&i={r.fd_number}&fp={r.fiscal_sign}&n=1"


@pytest.fixture
def moscow_office(fresh_db: Database) -> Iterator[Database]:
    """The office in the emulated register's zone (its clock is Moscow time), as a real office and its register."""
    from cashier_app.services.office_settings import set_office_zone
    from tests.fiscal.fc_helpers import ctx_for

    set_office_zone(ctx_for(fresh_db, "admin"), "Europe/Moscow")
    office_time.forget(fresh_db)
    yield fresh_db
    office_time.forget(fresh_db)


@needs_poppler
@pytest.mark.parametrize("mode", ["atol_web", "atol_online"])
def test_cash_slip_qr_matches_the_register(moscow_office: Database, register: Any, mode: str,
                                           tmp_path: Path) -> None:
    db = moscow_office
    set_fiscal(db, register, mode)
    ctx = open_desk(db, register)
    res = pay(ctx, 123_450, paper="80mm", contact="buyer@example.ru")
    assert res.slip is not None and res.fiscal is not None and res.fiscal.state == "done", res.fiscal
    r = row_of(db, res.payment_number)
    [doc] = docs_for(register, r.key)
    assert (doc["fd_number"], doc["fiscal_sign"], doc["fn_number"]) == (r.fd_number, r.fiscal_sign, r.fn_number)
    assert doc["total_minor"] == r.fiscal_total_minor == 123_450
    assert codes(rasterise(res.slip.pdf, 150, tmp_path)) == [expected_qr(r, doc["at"])]
    got = fiscal_values(text_of(res.slip.pdf))
    assert got["ФД №"] == str(r.fd_number) and got["ФП"] == r.fiscal_sign and got["ФН №"] == r.fn_number
    assert got["РН ККТ"] == r.registration_number and got["Смена №"] == str(r.shift_number)
    assert got["Дата и время чека"] == datetime.fromisoformat(doc["at"]).strftime("%d.%m.%Y %H:%M")
    # The journal reprints the same bytes from the frozen params.
    again = journal.renderer("slip")(journal_params(db, res.slip.number))
    assert again == res.slip.pdf


def journal_params(db: Database, number: str) -> dict[str, Any]:
    from sqlalchemy import select

    from cashier_app.storage import models as m

    with db.read() as uow:
        return dict(uow.session.execute(select(m.Document.params).where(m.Document.number == number)).scalar_one())


@needs_poppler
def test_slip_of_a_receipt_the_register_refused(fresh_db: Database, register: Any, tmp_path: Path) -> None:
    set_fiscal(fresh_db, register, "atol_web")
    ctx = open_desk(fresh_db, register)
    register.fault("sell", "paper_out")
    res = pay(ctx, 5_000, paper="80mm")
    assert res.fiscal is not None and res.fiscal.state == "failed"
    text = text_of(res.slip.pdf)
    assert "Фискальный чек не сформирован" in text and "ФД №" not in text
    assert codes(rasterise(res.slip.pdf, 150, tmp_path)) == []


def test_payee_without_register_prints_no_fiscal_part(fresh_db: Database, register: Any) -> None:
    set_fiscal(fresh_db, register, "none")
    ctx = open_desk(fresh_db, register)
    res = pay(ctx, 5_000)
    assert res.fiscal is None and res.slip is not None
    assert "Реквизиты кассового чека" not in text_of(res.slip.pdf)


@needs_poppler
def test_a_slip_printed_while_the_receipt_was_forming_is_followed_by_one_with_its_qr(
        moscow_office: Database, register: Any, tmp_path: Path) -> None:
    from cashier_app.services import cash, fiscal_delivery

    db = moscow_office
    set_fiscal(db, register, "atol_web")
    ctx = open_desk(db, register)
    register.set_state(offline=True)
    res = pay(ctx, 7_700, paper="80mm")
    assert res.fiscal is not None and res.fiscal.state == "sent" and res.slip is not None
    assert "формируется" in text_of(res.slip.pdf) and codes(rasterise(res.slip.pdf, 150, tmp_path)) == []
    register.set_state(offline=False)
    fiscal_delivery.reconcile(ctx, wait_secs=2)
    r = row_of(db, res.payment_number)
    assert r.state == "done"
    newer = cash.issue_slip(ctx, res.payment_id, paper="80mm")
    assert newer.number != res.slip.number
    [doc] = docs_for(register, r.key)
    assert codes(rasterise(newer.pdf, 150, tmp_path)) == [expected_qr(r, doc["at"])]
    assert cash.issue_slip(ctx, res.payment_id, paper="80mm").number == newer.number  # and then it stays


@needs_poppler
def test_the_qr_carries_the_registers_clock_whatever_zone_the_office_is_in(fresh_db: Database, register: Any,
                                                                          tmp_path: Path) -> None:
    """The office is on UTC, the register on Moscow time: the FNS finds the receipt by the register's time."""
    from cashier_app.services.office_settings import set_office_zone
    from tests.fiscal.fc_helpers import ctx_for

    set_office_zone(ctx_for(fresh_db, "admin"), "Asia/Vladivostok")  # neither UTC nor the register's +03:00
    office_time.forget(fresh_db)
    try:
        set_fiscal(fresh_db, register, "atol_web")
        ctx = open_desk(fresh_db, register)
        res = pay(ctx, 9_900, paper="80mm")
        r = row_of(fresh_db, res.payment_number)
        [doc] = docs_for(register, r.key)
        assert res.fiscal is not None and res.fiscal.qr == expected_qr(r, doc["at"])
        assert codes(rasterise(res.slip.pdf, 150, tmp_path)) == [expected_qr(r, doc["at"])]
        printed = datetime.fromisoformat(doc["at"]).strftime("%d.%m.%Y %H:%M")
        assert fiscal_values(text_of(res.slip.pdf))["Дата и время чека"] == printed
    finally:
        office_time.forget(fresh_db)
