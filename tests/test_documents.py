"""Printed documents: the QR on the rasterised page decodes to the exact payload,
everything in it is printed, layouts hold long values, output is deterministic.

Rasterising uses poppler's ``pdftoppm`` (what a print preview shows); tests
that need it are skipped when it is missing (``apt-get install poppler-utils``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from cashier_app.domain.errors import ValidationError
from cashier_app.printing.documents import build_qr_fields, qr_payload, render
from cashier_app.printing.dto import DocumentKind, PayeeDTO, PayerDTO, ReceiptDTO, TargetKind
from cashier_app.printing.gost import normalize_fields, parse_payload
from cashier_app.printing.pd4 import Pd4Batch, render_pd4
from cashier_app.printing.pdf_base import Sheet, new_canvas, qr_module_mm
from cashier_app.printing.post112 import render_post112

# Real requisites (STANDARDS.md §1): Sberbank's БИК / к/с and the standard's account.
SBER = dict(
    bank_name="ПАО СБЕРБАНК",
    bic="044525225",
    corr_account="30101810400000000225",
    account="40702810138250123017",
)
ISP = PayeeDTO(code="interra", name="ООО «Интерра»", inn="7707083893", kpp="773601001",
               postal_index="117997", address="г. Москва, ул. Вавилова, д. 19", tech_code="09",
               **SBER)  # fmt: skip
# A sole trader: 12-digit ИНН (valid checksum) — the known template bug had 10 cells.
TRAVEL = PayeeDTO(code="pegas", name="ИП Петров Петр Петрович", inn="500100732259", kpp="",
                  postal_index="125009", address="г. Москва, Тверская ул., д. 7, оф. 12",
                  tech_code="11", **SBER)  # fmt: skip
PAYER = PayerDTO(full_name="Иванова Мария Сергеевна", surname="Иванова", first_name="Мария",
                 patronymic="Сергеевна", address="г. Москва, ул. Ленина, д. 5, кв. 12",
                 postal_index="101000")  # fmt: skip
ISSUE = date(2026, 11, 23)


def _receipt(kind: DocumentKind, **kw: object) -> ReceiptDTO:
    base: dict[str, object] = dict(
        document_number="000124", kind=kind, payee=TRAVEL, payer=PAYER,
        target_kind=TargetKind.BOOKING, target_number="7712345",
        purpose="Оплата тура по заявке 7712345", amount_minor=10_512_345, issue_date=ISSUE,
        currency="USD", rate=Decimal("92.4567"), rate_date=ISSUE, tour_amount_minor=113_700,
    )  # fmt: skip
    base.update(kw)
    return ReceiptDTO(**base)  # type: ignore[arg-type]


def _isp_pd4(**kw: object) -> ReceiptDTO:
    base: dict[str, object] = dict(
        document_number="000123", kind=DocumentKind.PD4, payee=ISP, payer=PAYER,
        target_kind=TargetKind.ACCOUNT, target_number="00271556",
        purpose="Оплата услуг связи по лицевому счету 00271556", amount_minor=100_050,
        issue_date=ISSUE,
    )  # fmt: skip
    base.update(kw)
    return ReceiptDTO(**base)  # type: ignore[arg-type]


DOCS = {
    "pd4_account": _isp_pd4(),
    "pd4_booking": _receipt(DocumentKind.PD4),
    "post112": _receipt(DocumentKind.POST112),
    "info_contact": _receipt(DocumentKind.INFO_CONTACT, fee_minor=105_123),
    "info_euroset": _receipt(DocumentKind.INFO_EUROSET, fee_minor=105_123),
    "invoice": _receipt(DocumentKind.INVOICE, buyer_name="ООО «Ромашка»", buyer_inn="7707083893"),
}

# test.sh installs poppler-utils where it can; under CI a missing rasteriser is a failure, not a skip.
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None and os.environ.get("CI") != "true",
    reason="pdftoppm (poppler-utils) missing",
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {name: render(r).pdf for name, r in DOCS.items()}


def rasterise(pdf: bytes, dpi: int, tmp: Path, page: int = 1) -> Image.Image:
    src = tmp / "doc.pdf"
    src.write_bytes(pdf)
    out = tmp / f"page{dpi}"
    # Raw PGM, not PNG: the same pixels, but pdftoppm spends ~85 % of a 300 dpi A4 page
    # compressing PNG (1.0 s vs 0.13 s), and the suite rasterises hundreds of pages.
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-singlefile", "-f", str(page), "-l", str(page),
         str(src), str(out)],
        check=True, timeout=60,
    )  # fmt: skip
    image = Image.open(f"{out}.pgm")
    image.load()  # read now: the next page of the same test overwrites the file
    return image


def decode_qr(image: Image.Image) -> list[bytes]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [b.bytes for b in found]


def squeeze(text: str) -> str:
    """Drop all whitespace (incl. no-break spaces): wrapped lines and cell runs compare equal."""
    return re.sub(r"\s+", "", text)


def page_text(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


# -- the code on the page ------------------------------------------------------------


@needs_poppler
@pytest.mark.parametrize("dpi", [300, 150])
@pytest.mark.parametrize("name", list(DOCS))
def test_qr_on_page_decodes_to_payload(
    name: str, dpi: int, rendered: dict[str, bytes], tmp_path: Path
) -> None:
    receipt = DOCS[name]
    payload = qr_payload(receipt)
    codes = decode_qr(rasterise(rendered[name], dpi, tmp_path))
    assert codes == [payload], f"{name} at {dpi} dpi: {codes!r}"
    parsed = parse_payload(codes[0])
    assert parsed.encoding in ("cp1251", "windows-1251")
    assert parsed.fields == normalize_fields(build_qr_fields(receipt))


def test_payload_fields() -> None:
    fields = parse_payload(qr_payload(DOCS["pd4_account"])).fields
    assert fields["Sum"] == "100050"  # kopecks, not rubles
    assert fields["PersAcc"] == "00271556"  # leading zeros kept
    assert fields["TechCode"] == "09"
    assert (fields["LastName"], fields["FirstName"], fields["MiddleName"]) == (
        "Иванова",
        "Мария",
        "Сергеевна",
    )
    booking = parse_payload(qr_payload(DOCS["pd4_booking"])).fields
    assert booking["TechCode"] == "11" and booking["PayeeINN"] == "500100732259"
    invoice = parse_payload(qr_payload(DOCS["invoice"])).fields
    assert invoice["PayerINN"] == "7707083893" and "LastName" not in invoice


def _sum_forms(kopecks: str) -> list[str]:
    rub, kop = divmod(int(kopecks), 100)
    return [f"{rub}руб.{kop:02d}коп.", f"{rub},{kop:02d}"]


@pytest.mark.parametrize("name", list(DOCS))
def test_every_qr_value_is_printed(name: str, rendered: dict[str, bytes]) -> None:
    """GOST R 56042 5.4.2: what the code holds is printed in words and figures."""
    text = squeeze(page_text(rendered[name]))
    for alias, value in normalize_fields(build_qr_fields(DOCS[name])).items():
        if alias == "Sum":
            assert any(form in text for form in _sum_forms(value)), f"{name}: Sum {value} not printed"
        elif alias == "PayerAddress" and DOCS[name].kind is DocumentKind.POST112:
            # ф. 112ЭП prints the address in its boxes: every part, each in one box.
            for part in value.split(","):
                assert squeeze(part) in text, f"{name}: address part {part!r} not printed"
        else:
            assert squeeze(value) in text, f"{name}: {alias}={value!r} not printed"


@pytest.mark.parametrize("name", list(DOCS))
def test_rate_and_date_printed_for_bookings(name: str, rendered: dict[str, bytes]) -> None:
    text = squeeze(page_text(rendered[name]))
    if DOCS[name].target_kind is TargetKind.BOOKING:
        assert "1137,00USD" in text and "92,4567руб.за1USD" in text and "на23.11.2026" in text
    else:
        assert "USD" not in text


# -- layouts -------------------------------------------------------------------------------


def test_twelve_digit_inn_fits_its_cells(rendered: dict[str, bytes]) -> None:
    for name in ("pd4_booking", "post112"):
        assert "500100732259" in squeeze(page_text(rendered[name])), name


def test_cells_refuse_to_truncate() -> None:
    c = new_canvas(io.BytesIO())
    with pytest.raises(ValueError, match="13 characters"):
        Sheet(c, 0, 0).cells(0, 0, 12, "5001007322591")


@pytest.mark.parametrize("name", ["pd4_account", "pd4_booking"])
def test_pd4_halves_and_mandatory_text(name: str, rendered: dict[str, bytes]) -> None:
    raw = page_text(rendered[name])
    assert raw.count("Извещение") == 1 and raw.count("Квитанция") == 1
    assert raw.count("Кассир") == 2 and raw.count("Форма № ПД-4") == 2
    text = squeeze(raw)
    for phrase in (
        "Номер кор./сч. банка получателя платежа",
        "(наименование платежа)",
        "Номер лицевого счета (код) плательщика",
        "Ф.И.О. плательщика",
        "Адрес плательщика",
        "Сумма платы за услуги",
        "Итого",
        "«23» ноября 2026 г.",
        "С условиями приема указанной в платежном документе суммы, в т.ч. с суммой взимаемой "
        "платы за услуги банка, ознакомлен и согласен.",
        "Подпись плательщика",
    ):
        assert text.count(squeeze(phrase)) == 2, phrase
    assert "200__" not in text


def test_pd4_amount_in_words() -> None:
    text = squeeze(page_text(render_pd4(_isp_pd4())))
    assert squeeze("Одна тысяча рублей 50 копеек") in text


def test_post112_fields(rendered: dict[str, bytes]) -> None:
    text = squeeze(page_text(rendered["post112"]))
    for phrase in ("ф. 112ЭП", "Зона оттиска ККМ", "ПОЧТОВЫЙ ПЕРЕВОД", "(рубли прописью, копейки цифрами)",
                   "Кому", "Куда", "Сообщение или реквизиты л/с",
                   "заполняется при приеме перевода на расчетный счет", "От кого", "серия"):  # fmt: skip
        assert squeeze(phrase) in text, phrase
    assert squeeze("сто пять тысяч сто двадцать три руб. 45 коп.") in text.lower()
    assert "125009" in text and "101000" in text  # both 6-digit indexes


@pytest.mark.parametrize(
    "change",
    [
        {"payer": replace(PAYER, postal_index="")},
        {"payer": replace(PAYER, postal_index="10100")},
        {"payee": replace(TRAVEL, postal_index="")},
        {"payer": replace(PAYER, address="", postal_index="101000")},
    ],
)
def test_post112_refuses_empty_required_fields(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        render_post112(_receipt(DocumentKind.POST112, **change))


def test_post112_qr_fits_the_37mm_zone() -> None:
    from cashier_app.printing.qr import qr_matrix

    n = len(qr_matrix(qr_payload(DOCS["post112"])))
    module = qr_module_mm(n, 37.0, quiet_in_box=False)
    assert module >= 0.4064 and n * module <= 37.0


def test_info_sheets(rendered: dict[str, bytes]) -> None:
    contact = squeeze(page_text(rendered["info_contact"]))
    euroset = squeeze(page_text(rendered["info_euroset"]))
    for text in (contact, euroset):
        assert "7712345" in text
        assert "1051руб.23коп." in text  # 1 % fee on top
        assert "106174руб.68коп." in text  # total
    assert "Действительнатолько23.11.2026" in contact
    assert "Действительна" not in euroset


def test_invoice(rendered: dict[str, bytes]) -> None:
    text = squeeze(page_text(rendered["invoice"]))
    for phrase in ("Счет на оплату № 000124", "ООО «Ромашка», ИНН 7707083893", "Заявка № 7712345",
                   "Сто пять тысяч сто двадцать три рубля 45 копеек", "БИК", "044525225"):  # fmt: skip
        assert squeeze(phrase) in text, phrase


# -- determinism and size ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DOCS))
def test_reprint_is_byte_identical_and_small(name: str, rendered: dict[str, bytes]) -> None:
    again = render(DOCS[name])
    assert again.pdf == rendered[name]
    assert again.sha256 == render(DOCS[name]).sha256
    assert len(PdfReader(io.BytesIO(again.pdf)).pages) == 1
    assert len(again.pdf) <= 40 * 1024, f"{name}: {len(again.pdf)} bytes"


LONG_PAYEE = replace(
    ISP,
    name=("Общество с ограниченной ответственностью " + "«Интерра Телеком Сервис» " * 4)[:160],
    bank_name="ПАО СБЕРБАНК " + "Б" * 32,
)
LONG_PURPOSE = ("Оплата услуг связи по лицевому счету 00271556 " * 5)[:210]
LONG_PAYER = replace(
    PAYER,
    surname="Константинопольская-Преображенская",
    first_name="Александра",
    patronymic="Вячеславовна",
    address="Московская область, городской округ Красногорск, деревня Путилково, "
    "Спасо-Тушинский бульвар, дом 5, корпус 2, квартира 117",
)


@pytest.mark.parametrize(
    ("label", "receipt"),
    [
        (
            "standard limits: Name 160, Purpose 210, BankName 45",
            _isp_pd4(payee=LONG_PAYEE, purpose=LONG_PURPOSE),
        ),
        ("long name and address", _isp_pd4(payer=LONG_PAYER)),
    ],
)
def test_long_values_fit(label: str, receipt: ReceiptDTO) -> None:
    for kind in (DocumentKind.PD4, DocumentKind.INFO_CONTACT, DocumentKind.INVOICE):
        r = replace(receipt, kind=kind, buyer_name="ООО «Ромашка»", fee_minor=1000)
        text = squeeze(page_text(render(r).pdf))
        for value in (r.payee.name, r.purpose, r.payer.full_address):
            assert squeeze(value) in text, (label, kind, value)


def test_too_much_for_the_code_is_a_user_error() -> None:
    # Beyond what any payee within the limits needs: a 600-character payer address.
    extreme = _isp_pd4(payee=LONG_PAYEE, purpose=LONG_PURPOSE,
                       payer=replace(LONG_PAYER, address=LONG_PAYER.address + ", " + "строение 1" * 50))
    with pytest.raises(ValidationError, match="QR-код"):
        render(extreme)
    # ф. 112ЭП's fixed 37 mm zone: refuse with the figures, never shrink the module below 0.4064 mm.
    with pytest.raises(ValidationError, match="2D-кода"):
        render(replace(extreme, kind=DocumentKind.POST112, payee=replace(LONG_PAYEE, postal_index="117997",
                                                                         address="г. Москва")))


# -- batch -------------------------------------------------------------------------------------


@needs_poppler
def test_batch_two_per_page(tmp_path: Path) -> None:
    receipts = [_isp_pd4(target_number=f"{i:08d}", document_number=str(i)) for i in range(1, 6)]
    target = tmp_path / "batch.pdf"
    with Pd4Batch(target, chunk_size=2) as batch:
        for r in receipts:
            batch.add(r)
    assert batch.pages == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert target.stat().st_mode & 0o044, "a printed PDF must not stay 0600 like mkstemp's temp file"
    data = target.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3
    for page_no, page in enumerate(reader.pages):
        text = page.extract_text()
        expected = receipts[2 * page_no : 2 * page_no + 2]
        assert text.count("Извещение") == len(expected) and text.count("Квитанция") == len(expected)
        for r in expected:
            assert r.target_number in squeeze(text)
    assert len(data) / 3 <= 40 * 1024
    codes = decode_qr(rasterise(data, 150, tmp_path, page=1))
    assert sorted(codes) == sorted(qr_payload(r) for r in receipts[:2])


def test_batch_output_is_deterministic_and_independent_of_workers(tmp_path: Path) -> None:
    receipts = [_isp_pd4(target_number=f"{i:08d}") for i in range(1, 8)]
    outputs = []
    for workers in (0, 2):
        buf = io.BytesIO()
        batch = Pd4Batch(buf, workers=workers, chunk_size=2)
        for r in receipts:
            batch.add(r)
        batch.close()
        outputs.append(buf.getvalue())
    assert outputs[0] == outputs[1]
    assert len(PdfReader(io.BytesIO(outputs[0])).pages) == 4


def test_batch_error_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "batch.pdf"
    with pytest.raises(RuntimeError), Pd4Batch(target, chunk_size=2) as batch:
        batch.add(_isp_pd4())
        raise RuntimeError("printer jammed")
    assert list(tmp_path.iterdir()) == []


# -- DTO -----------------------------------------------------------------------------------------


def test_dto_refuses_float_money_and_partial_rate() -> None:
    with pytest.raises(TypeError):
        _isp_pd4(amount_minor=1000.5)
    with pytest.raises(ValueError):
        _isp_pd4(amount_minor=0)
    with pytest.raises(ValueError):
        _isp_pd4(currency="USD")
    with pytest.raises(TypeError):
        _receipt(DocumentKind.PD4, rate=92.45)
