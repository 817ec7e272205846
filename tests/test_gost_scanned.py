"""Issue 11 §9: a scanned code reads as the banks' apps read it.

(a) header digit 1 over UTF-8 bytes (QRCoder, zxing-based generators, billing
systems); (b) line breaks and padding inside a code; (c) aliases typed with
Cyrillic look-alike letters.  The real-world strings below have the shapes of
those generators; the values are our own.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cashier_app.printing.gost import MANDATORY, build_payload, parse_payload, parse_scanned_text
from cashier_app.services import lookup
from cashier_app.storage import models as m
from tests.test_ledger import ctx_for

REQ = {
    "Name": "ООО «Управляющая компания Север»",
    "PersonalAcc": "40702810631000007404",
    "BankName": "ПАО Сбербанк",
    "BIC": "044525225",
    "CorrespAcc": "30101810400000000225",
}


def _body(pairs: list[tuple[str, str]], sep: str = "|") -> str:
    return sep.join(f"{a}={v}" for a, v in pairs)


# -- real shapes of other generators ---------------------------------------------------

# QRCoder's RussiaPaymentOrder with the default character set: «ST00011» in the header,
# the bytes written by its UTF-8 QR encoder.
QRCODER = ("ST00011|" + _body([*REQ.items(), ("PayeeINN", "7707083893"), ("KPP", "773601001"),
                               ("Sum", "125050"), ("Purpose", "Оплата по лицевому счету 271556")])).encode()
# A zxing-based web generator: UTF-8 hint, header copied from the standard's example,
# a trailing separator and the payer's address.
ZXING = ("ST00011|" + _body([*REQ.items(), ("Purpose", "Оплата по лицевому счету 271556"),
                             ("PayerAddress", "г. Рязань, ул. Ленина, д. 10, кв. 15")]) + "|").encode()
# A billing system's template: values wrapped and padded, look-alike aliases.
BILLING = ("ST00012|Name=ООО «Управляющая компания Север»|PersonalAcc=40702810631000007404\n"
           "      |BankName=ПАО Сбербанк\r\n|BIC=044525225 |CorrespAcc=30101810400000000225\n"
           "      |PayeуINN=7707083893|РауегАddress=344038, г. Ростов-на-Дону, пр-кт Ленина, д. 85"
           "|PersАcc=271556|Sum=125050\n")


@pytest.mark.parametrize("raw", [QRCODER, ZXING], ids=["qrcoder", "zxing"])
def test_digit_one_over_utf8_reads_as_utf8(raw: bytes) -> None:
    for parsed in (parse_payload(raw), parse_scanned_text(raw.decode("latin-1")),
                   parse_scanned_text(raw.decode("cp1251"))):  # a wedge in Latin-1, or decoding by the digit
        assert parsed.encoding == "utf-8"
        assert parsed.fields["Name"] == REQ["Name"] and parsed.is_complete
        assert parsed.customer_ref() == "271556"  # only in Purpose: found once Purpose is legible
    assert parse_payload(ZXING).fields["PayerAddress"] == "г. Рязань, ул. Ленина, д. 10, кв. 15"


def test_billing_template_with_line_breaks_padding_and_lookalikes() -> None:
    for parsed in (parse_scanned_text(BILLING), parse_payload(BILLING.encode())):
        assert parsed.problems() == []  # «40702810631000007404\n      » is 20 digits once trimmed
        assert parsed.fields["PersonalAcc"] == "40702810631000007404"
        assert parsed.fields["BIC"] == "044525225"
        assert parsed.fields["PayeeINN"] == "7707083893"
        assert parsed.fields["PayerAddress"] == "344038, г. Ростов-на-Дону, пр-кт Ленина, д. 85"
        assert parsed.customer_ref() == "271556"
        assert parsed.sum_kopecks == 125050


def test_honest_windows_1251_is_not_misread() -> None:
    raw = ("ST00011|" + _body([*REQ.items(), ("Purpose", "Оплата по лицевому счету 271556")])).encode("cp1251")
    parsed = parse_payload(raw)
    assert parsed.encoding == "cp1251" and parsed.fields["Name"] == REQ["Name"]


def test_lookalike_that_is_no_alias_stays_unknown() -> None:
    parsed = parse_scanned_text("ST00012|" + _body([*REQ.items(), ("Фамилия", "Иванов"), ("РауегХ", "1")]))
    assert parsed.fields["Фамилия"] == "Иванов" and parsed.fields["РауегХ"] == "1"


# -- properties ------------------------------------------------------------------------

_cyr = st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЭЮЯёЁ")
_other = st.sampled_from("0123456789 .,-«»№\"ABCxyz")
_value = st.lists(st.one_of(_cyr, _cyr, _other), min_size=1, max_size=60).map("".join).filter(
    lambda v: v.strip(" ") == v and v.strip())
_word = st.lists(st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюя"), min_size=2, max_size=12).map("".join)


def _fields(name: str, purpose: str, address: str) -> list[tuple[str, str]]:
    return [("Name", name), *list(REQ.items())[1:], ("Purpose", purpose), ("PayerAddress", address)]


@settings(max_examples=200, deadline=None)
@given(name=_value, purpose=_value, address=_value, account=st.integers(1, 10**9).map(str))
def test_property_utf8_under_digit_one(name: str, purpose: str, address: str, account: str) -> None:
    purpose = f"Оплата по лицевому счету {account}; {purpose}"
    pairs = _fields(name, purpose, address)
    raw = ("ST00011|" + _body(pairs)).encode("utf-8")
    expected = dict(pairs)
    readings = [parse_payload(raw), parse_scanned_text(raw.decode("latin-1"))]
    try:
        readings.append(parse_scanned_text("ST00011|" + raw[8:].decode("cp1251")))
    except UnicodeDecodeError:
        pass  # a byte windows-1251 leaves undefined (0x98): no scanner can type it that way
    for parsed in readings:
        assert parsed.fields == expected
        assert parsed.customer_ref() == account


@settings(max_examples=200, deadline=None)
@given(name=_value, words=st.lists(_word, min_size=1, max_size=5))
def test_property_honest_cp1251_stays_cp1251(name: str, words: list[str]) -> None:
    """Two windows-1251 letters in a row are never valid UTF-8: an honest code is read by its digit."""
    purpose = " ".join(words)
    pairs = _fields(name, purpose, "г. Тверь")
    raw = build_payload(pairs)
    assert raw[6:7] == b"1"
    assert parse_payload(raw).fields == dict(pairs)
    assert parse_scanned_text(raw.decode("cp1251")).fields == dict(pairs)


_pad = st.sampled_from(["", " ", "  ", "\n", "\r\n", "\t", "\n      ", " \n"])


@settings(max_examples=200, deadline=None)
@given(name=_value, purpose=_value, pads=st.lists(st.tuples(_pad, _pad), min_size=7, max_size=7))
def test_property_padding_and_line_breaks_are_trimmed(name: str, purpose: str,
                                                      pads: list[tuple[str, str]]) -> None:
    pairs = _fields(name, purpose, "г. Тверь")
    text = "ST00012|" + "|".join(f"{a}={before}{v}{after}" for (a, v), (before, after) in zip(pairs, pads,
                                                                                             strict=False))
    for parsed in (parse_scanned_text(text), parse_payload(text.encode())):
        assert parsed.fields == dict(pairs)
        assert parsed.problems() == []


_VISUAL = {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О", "P": "Р", "C": "С", "T": "Т",
           "X": "Х", "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "I": "І",
           "r": "г"}


@st.composite
def _lookalike(draw: st.DrawFn, alias: str) -> str:
    out = []
    for ch in alias:
        out.append(_VISUAL[ch] if ch in _VISUAL and draw(st.booleans()) else ch)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), alias=st.sampled_from(["PayeeINN", "PayerAddress", "PersAcc", "Purpose", "Sum",
                                              "PersonalAccount", "Contract", "LastName", "TechCode", "KPP"]))
def test_property_lookalike_aliases_are_recognised(data: st.DataObject, alias: str) -> None:
    typed = data.draw(_lookalike(alias))
    value = {"PayeeINN": "7707083893", "Sum": "100", "KPP": "773601001", "TechCode": "09"}.get(alias, "12345")
    parsed = parse_scanned_text("ST00012|" + _body([*REQ.items(), (typed, value)]))
    assert parsed.fields[alias] == value, typed
    assert set(MANDATORY) <= set(parsed.fields)


# -- the lookup finds the subscriber ---------------------------------------------------


def _account_number(db) -> str:  # type: ignore[no-untyped-def]
    with db.read() as uow:
        return uow.session.execute(select(m.Account.number).order_by(m.Account.id).limit(1)).scalar_one()


@pytest.mark.parametrize("shape", ["latin1-wedge", "cp1251-wedge", "billing"])
def test_lookup_finds_account_from_other_generators(demo_db, shape: str) -> None:
    number = _account_number(demo_db)
    if shape == "billing":
        text = BILLING.replace("271556", number)
    else:
        raw = ("ST00011|" + _body([*REQ.items(), ("Purpose", f"Оплата по лицевому счету {number}")])).encode()
        text = raw.decode("latin-1" if shape == "latin1-wedge" else "cp1251")
    result = lookup.search(ctx_for(demo_db), text)
    assert result.open_directly is not None and result.open_directly.number == number, result.message


def test_scanned_code_complete() -> None:
    full = "ST00012|" + _body([*REQ.items(), ("PersAcc", "271556")])
    assert lookup.scanned_code_complete(full)
    assert not lookup.scanned_code_complete(full + "|")
    assert not lookup.scanned_code_complete("ST00012|Name=ООО|PersonalAcc=40702810631000007404")
    assert not lookup.scanned_code_complete("ST0001")
    assert lookup.scanned_code_complete("Иванов")  # not a code: Enter is Enter
