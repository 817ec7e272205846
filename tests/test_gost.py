"""ГОСТ Р 56042-2014 payment string: every rule of STANDARDS.md §1, real samples, round trips."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from cashier_app.domain.errors import ValidationError
from cashier_app.printing.gost import (
    FIXED_MAX_LEN,
    KNOWN_ALIASES,
    MANDATORY,
    OTHER_ALIASES,
    SEPARATOR_CANDIDATES,
    GostError,
    ParsedPayment,
    PaymentFields,
    build_payload,
    is_payment_string,
    parse_payload,
    parse_scanned_text,
)
from cashier_app.printing.qr import qr_matrix, qr_png

# A copy of shared/reference/gost-qr-real-samples.txt, so the suite runs from any checkout.
SAMPLES = Path(__file__).resolve().parent / "data" / "gost-qr-real-samples.txt"

BASE = {
    "Name": "ООО «Три кита»",
    "PersonalAcc": "40702810138250123017",
    "BankName": 'ОАО "БАНК"',
    "BIC": "044525225",
    "CorrespAcc": "30101810400000000225",
}
# Appendix Д of the standard, verbatim (its PayeeINN fails the checksum, which is
# not the payment string's business).
GOST_EXAMPLE = (
    'ST00011|Name=ООО «Три кита»|PersonalAcc=40702810138250123017|BankName=ОАО "БАНК"|BIC=044525225'
    "|CorrespAcc=30101810400000000225|PayeeINN=6200098765|LastName=Иванов|FirstName=Иван"
    "|MiddleName=Иванович|Purpose=Оплата членского взноса|PayerAddress=г.Рязань ул.Ленина д.10 кв.15"
    "|Sum=100000"
)


def body(payload: bytes) -> list[str]:
    """The alias=value pairs of a built payload, split on its declared separator."""
    enc = {ord("1"): "cp1251", ord("2"): "utf-8"}[payload[6]]
    return payload[8:].decode(enc).split(chr(payload[7]))


# ---------------------------------------------------------------- header and structure


def test_standard_example_byte_exact() -> None:
    pairs = [
        *BASE.items(),
        ("PayeeINN", "6200098765"),
        ("LastName", "Иванов"),
        ("FirstName", "Иван"),
        ("MiddleName", "Иванович"),
        ("Purpose", "Оплата членского взноса"),
        ("PayerAddress", "г.Рязань ул.Ленина д.10 кв.15"),
        ("Sum", "100000"),
    ]
    assert build_payload(pairs) == GOST_EXAMPLE.encode("cp1251")


def test_header_is_eight_bytes() -> None:
    payload = build_payload(BASE)
    assert payload[:8] == b"ST00011|"
    assert payload[8:12] == b"Name"


def test_mandatory_first_and_in_order_whatever_the_input_order() -> None:
    shuffled = [("Sum", "100"), *reversed(list(BASE.items())), ("Purpose", "x")]
    aliases = [pair.split("=")[0] for pair in body(build_payload(shuffled))]
    assert aliases == [*MANDATORY, "Sum", "Purpose"]


def test_no_trailing_separator() -> None:
    payload = build_payload({**BASE, "Purpose": "Оплата"})
    assert payload.endswith("Purpose=Оплата".encode("cp1251"))
    assert not build_payload(BASE).endswith(b"|")


def test_empty_optional_values_are_dropped() -> None:
    payload = build_payload({**BASE, "Purpose": "", "PayerINN": "   ", "Phone": None})  # type: ignore[dict-item]
    assert body(payload) == [f"{a}={v}" for a, v in BASE.items()]


@pytest.mark.parametrize("alias", MANDATORY)
def test_mandatory_missing_or_empty(alias: str) -> None:
    without = {a: v for a, v in BASE.items() if a != alias}
    with pytest.raises(GostError) as err:
        build_payload(without)
    assert err.value.field == alias
    with pytest.raises(GostError) as err:
        build_payload({**BASE, alias: " "})
    assert err.value.field == alias


def test_error_type_and_russian_message() -> None:
    with pytest.raises(GostError) as err:
        build_payload({**BASE, "PersonalAcc": "4070281013825012301"})
    assert isinstance(err.value, ValidationError)
    assert err.value.field == "PersonalAcc"
    assert str(err.value) == "PersonalAcc: нужно ровно 20 цифр"


# ---------------------------------------------------------------- aliases


def test_canonical_alias_spelling_on_output() -> None:
    payload = build_payload(
        {
            "name": "ООО",
            "PERSONALACC": BASE["PersonalAcc"],
            "bankname": "Б",
            "bic": BASE["BIC"],
            "correspacc": "0",
            "sum": "100",
            "payeeinn": "7707083893",
            "kpp": "773601001",
            "cbc": "18210102010011000110",
            "taxpaytkind": "01",
            "persacc": "271556",
            "techcode": "09",
        }
    )
    aliases = [pair.split("=")[0] for pair in body(payload)]
    assert aliases == [*MANDATORY, "Sum", "PayeeINN", "KPP", "CBC", "TaxPaytKind", "PersAcc", "TechCode"]


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [("PayeeKPP", "KPP"), ("INN", "PayeeINN"), ("TaxPayKind", "TaxPaytKind"), ("СВС", "CBC"), ("СВC", "CBC")],
)
def test_mistaken_aliases_refused_with_hint(wrong: str, hint: str) -> None:
    with pytest.raises(GostError) as err:
        build_payload({**BASE, wrong: "1"})
    assert err.value.field == wrong
    assert hint in err.value.message


def test_cyrillic_cbc_is_not_latin_cbc() -> None:
    assert "СВС" != "CBC"
    ok = build_payload({**BASE, "CBC": "18210102010011000110"})
    assert b"|CBC=18210102010011000110" in ok


@pytest.mark.parametrize("alias", ["SomeNewReq", "FitstName", "Payee INN", "Sum "])
def test_unknown_aliases_refused(alias: str) -> None:
    with pytest.raises(GostError) as err:
        build_payload({**BASE, alias: "1"})
    assert err.value.field == alias


def test_every_standard_alias_is_accepted() -> None:
    values = {"Sum": "1", "PayeeINN": "1", "PayerINN": "1", "KPP": "773601001"}
    pairs = [(a, values.get(a, "1")) for a in (*FIXED_MAX_LEN, *OTHER_ALIASES)]
    parsed = parse_payload(build_payload([*BASE.items(), *pairs]))
    assert list(parsed.fields) == list(KNOWN_ALIASES)


def test_duplicate_alias_any_case_refused() -> None:
    with pytest.raises(GostError) as err:
        build_payload([*BASE.items(), ("Sum", "1"), ("SUM", "2")])
    assert err.value.field == "Sum"


# ---------------------------------------------------------------- formats and limits


def test_sum_is_kopecks_digits() -> None:
    assert b"|Sum=100050" in build_payload({**BASE, "Sum": "100050"})
    for bad in ("1000.50", "1000,50", "1 000", "-100", "100р"):
        with pytest.raises(GostError) as err:
            build_payload({**BASE, "Sum": bad})
        assert err.value.field == "Sum"
        assert "копейках" in err.value.message


def test_payment_fields_sum_kopecks() -> None:
    fields = PaymentFields(**_base_kwargs(), sum_kopecks=100050, purpose="Интернет")
    assert b"|Sum=100050|" in build_payload(fields)
    assert parse_payload(build_payload(fields)).sum_kopecks == 100050
    with pytest.raises(GostError):
        build_payload(PaymentFields(**_base_kwargs(), sum_kopecks=-1))
    with pytest.raises(TypeError):
        PaymentFields(**_base_kwargs(), sum_kopecks=10.5).to_pairs()  # type: ignore[arg-type]


def _base_kwargs() -> dict[str, str]:
    return dict(
        name=BASE["Name"],
        personal_acc=BASE["PersonalAcc"],
        bank_name=BASE["BankName"],
        bic=BASE["BIC"],
        corresp_acc=BASE["CorrespAcc"],
    )


def test_payment_fields_all_fields() -> None:
    fields = PaymentFields(
        **_base_kwargs(),
        sum_kopecks=0,
        purpose="P",
        payee_inn="7707083893",
        kpp="773601001",
        pers_acc="271556",
        last_name="Иванов",
        first_name="Иван",
        middle_name="Иванович",
        payer_address="г. Ростов",
        tech_code="09",
        extra=(("Contract", "Д-1"),),
    )
    parsed = parse_payload(build_payload(fields))
    assert parsed.fields == {
        **BASE,
        "PayeeINN": "7707083893",
        "KPP": "773601001",
        "Sum": "0",
        "Purpose": "P",
        "PersAcc": "271556",
        "LastName": "Иванов",
        "FirstName": "Иван",
        "MiddleName": "Иванович",
        "PayerAddress": "г. Ростов",
        "TechCode": "09",
        "Contract": "Д-1",
    }
    assert fields.to_pairs()[:5] == list(BASE.items())
    assert ("Purpose", "") not in PaymentFields(**_base_kwargs()).to_pairs()


@pytest.mark.parametrize(("alias", "limit"), sorted(FIXED_MAX_LEN.items()))
def test_fixed_format_limits(alias: str, limit: int) -> None:
    if alias == "KPP":
        ok, too_long = "773601001", "7736010010"
    else:
        char = "1" if alias in ("Sum", "PayeeINN", "PayerINN") else "Я"
        ok, too_long = char * limit, char * (limit + 1)
    assert parse_payload(build_payload({**BASE, alias: ok})).fields[alias] == ok
    with pytest.raises(GostError) as err:
        build_payload({**BASE, alias: too_long})
    assert err.value.field == alias


@pytest.mark.parametrize(
    ("alias", "ok", "bad"),
    [
        ("Name", "Я" * 160, "Я" * 161),
        ("BankName", "Я" * 45, "Я" * 46),
        ("PersonalAcc", "4" * 20, "4" * 21),
        ("PersonalAcc", "4" * 20, "4070281013825012301O"),
        ("BIC", "044525225", "04452522"),
        ("BIC", "044525225", "0445252250"),
        ("CorrespAcc", "0", "3" * 21),
        ("CorrespAcc", "30101810400000000225", "к/с"),
        ("PayeeINN", "7707083893", "77070838931234"),
        ("PayeeINN", "7707083893", "ИНН7707083893"),
        ("KPP", "7736AB001", "7736АВ001"),
    ],
)
def test_mandatory_and_typed_formats(alias: str, ok: str, bad: str) -> None:
    assert parse_payload(build_payload({**BASE, alias: ok})).fields[alias] == ok
    with pytest.raises(GostError) as err:
        build_payload({**BASE, alias: bad})
    assert err.value.field == alias


def test_mandatory_block_within_300_bytes_at_maximum_lengths() -> None:
    longest = {
        "Name": "Я" * 160,
        "PersonalAcc": "4" * 20,
        "BankName": "Б" * 45,
        "BIC": "0" * 9,
        "CorrespAcc": "3" * 20,
    }
    payload = build_payload(longest)
    assert len(payload) - 8 <= 300


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x85b"])
def test_control_characters_refused(bad: str) -> None:
    with pytest.raises(GostError) as err:
        build_payload({**BASE, "Purpose": bad})
    assert err.value.field == "Purpose"


# ---------------------------------------------------------------- separator


def test_pipe_in_value_switches_separator() -> None:
    payload = build_payload({**BASE, "Purpose": "Интернет | ТВ"})
    assert payload[:8] == b"ST00011#"
    assert b"|" not in payload.replace(b" | ", b"")
    assert parse_payload(payload).fields["Purpose"] == "Интернет | ТВ"
    assert not payload.endswith(b"#")


def test_separator_skips_every_char_used_in_values() -> None:
    used = SEPARATOR_CANDIDATES[:5]
    payload = build_payload({**BASE, "Purpose": used})
    sep = chr(payload[7])
    assert sep == SEPARATOR_CANDIDATES[5]
    assert sep not in used and sep != "=" and not sep.isalnum()
    assert parse_payload(payload).fields["Purpose"] == used


def test_separator_exhaustion_is_an_error() -> None:
    with pytest.raises(GostError):
        build_payload({**BASE, "Purpose": SEPARATOR_CANDIDATES})


def test_parser_reads_separator_from_header() -> None:
    parsed = parse_payload("ST00012#Name=a|b#PersonalAcc=1|2#Sum=5")
    assert parsed.separator == "#"
    assert parsed.fields == {"Name": "a|b", "PersonalAcc": "1|2", "Sum": "5"}


# ---------------------------------------------------------------- "=" inside values


def test_text_after_second_equals_sign_kept() -> None:
    parsed = parse_payload("ST00012|Name=a=b=c|Purpose==x=")
    assert parsed.fields == {"Name": "a=b=c", "Purpose": "=x="}
    built = build_payload({**BASE, "Purpose": "Оплата=100=руб"})
    assert parse_payload(built).fields["Purpose"] == "Оплата=100=руб"


# ---------------------------------------------------------------- encoding


def test_cp1251_by_default_euro_included() -> None:
    assert "€".encode("cp1251") == b"\x88"
    payload = build_payload({**BASE, "Purpose": "Тур, 500 € «Всё включено» №7 — “x”"})
    assert payload[6:7] == b"1"
    assert parse_payload(payload).fields["Purpose"] == "Тур, 500 € «Всё включено» №7 — “x”"


@pytest.mark.parametrize("text", ["Оплата 😀", "旅游 Пекин", "Ωmega", "Ǆ"])
def test_utf8_only_when_cp1251_cannot(text: str) -> None:
    payload = build_payload({**BASE, "Purpose": text})
    assert payload[:8] == b"ST00012|"
    assert payload.endswith(f"Purpose={text}".encode())
    assert parse_payload(payload).fields["Purpose"] == text


def test_cp1251_is_smaller_than_utf8() -> None:
    cp = build_payload(BASE)
    utf = build_payload({**BASE, "Purpose": "😀"})
    assert len(utf) > len(cp) + len("|Purpose=😀".encode()) + 5


def test_parser_honours_the_encoding_digit() -> None:
    koi = b"ST00013|Name=" + 'ООО "Ромашка"'.encode("koi8-r")
    assert parse_payload(koi).fields["Name"] == 'ООО "Ромашка"'
    assert parse_payload(koi).encoding == "koi8-r"
    same_bytes_as_cp1251 = b"ST00011|Name=" + 'ООО "Ромашка"'.encode("koi8-r")
    assert parse_payload(same_bytes_as_cp1251).fields["Name"] != 'ООО "Ромашка"'
    # Issue 11 §9a: bytes that decode cleanly as UTF-8 and hold Cyrillic are UTF-8 whatever the digit.
    utf8_declared_as_cp1251 = b"ST00011|Name=" + "ООО".encode()
    assert parse_payload(utf8_declared_as_cp1251).fields["Name"] == "ООО"
    assert parse_payload(utf8_declared_as_cp1251).encoding == "utf-8"


@pytest.mark.parametrize(
    "data",
    [
        b"ST00014|Name=x",
        b"ST00021|Name=x",
        b"st00011|Name=x",
        b"QQ00011|Name=x",
        b"ST0001",
        b"ST00011",
        b"",
        b"https://example.com",
        b"ST00011=Name=x",
        b"ST00011AName=x",
    ],
)
def test_parser_refuses_foreign_headers(data: bytes) -> None:
    with pytest.raises(GostError):
        parse_payload(data)
    with pytest.raises(GostError):
        parse_payload(data.decode("latin-1"))


# ---------------------------------------------------------------- tolerant reading


def test_aliases_case_insensitive_last_wins_empty_kept() -> None:
    parsed = parse_payload("ST00012|sum=1|PayerINN=|SUM=2|persacc=7|FitstName=Иван|SomeNewReq=100|x")
    assert parsed.fields == {
        "Sum": "2",
        "PayerINN": "",
        "PersAcc": "7",
        "FitstName": "Иван",
        "SomeNewReq": "100",
    }
    assert parsed.unnamed == ("x",)
    assert parsed.sum_kopecks == 2
    assert parsed.get("payerinn") == "" and parsed.get("Contract", "—") == "—"


def test_trailing_separator_and_line_end_tolerated() -> None:
    parsed = parse_payload(b"ST00011|Name=x|Sum=10|\r\n")
    assert parsed.fields == {"Name": "x", "Sum": "10"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3816.30", None), ("", None), ("abc", None), (" 100 ", 100), ("1" * 19, None), ("٣", None), ("0", 0)],
)
def test_sum_kopecks_unknown_never_zero(raw: str, expected: int | None) -> None:
    assert parse_payload(f"ST00012|Sum={raw}").sum_kopecks == expected


def test_customer_ref_never_personal_acc() -> None:
    parsed = parse_payload(build_payload(BASE))
    assert parsed.fields["PersonalAcc"] == "40702810138250123017"
    assert parsed.customer_ref() is None


@pytest.mark.parametrize(
    ("fields", "ref"),
    [
        ("PersAcc=555", "555"),
        ("persacc=555", "555"),
        ("PERSONALACCOUNT=777", "777"),
        ("contract=Д-15", "Д-15"),
        ("PersAcc=1|Contract=2", "1"),
        ("PersAcc= |Purpose=Оплата по лицевому счету 271556", "271556"),
        ("Purpose=Оплата по лицевому счёту № 271556", "271556"),
        ("Purpose=Тур в Сочи, заявка 1234567, Иванов", "1234567"),
        ("Purpose=Оплата по договору № 12-345 за май", "12-345"),
        ("Purpose=Интернет, л/с 98765", "98765"),
        ("Purpose=Оплата за ЖКУ", None),
        ("Purpose=Оплата за 04.2026", None),
    ],
)
def test_customer_ref(fields: str, ref: str | None) -> None:
    parsed = parse_payload(f"ST00012|PersonalAcc=40702810138250123017|{fields}")
    assert parsed.customer_ref() == ref


def test_is_complete_checks_formats() -> None:
    assert parse_payload(build_payload(BASE)).is_complete
    broken = GOST_EXAMPLE.replace("BIC=044525225", "BIC=04452522")
    parsed = parse_payload(broken)
    assert not parsed.is_complete
    assert parsed.problems() == ["BIC: нужно ровно 9 цифр"]


# ---------------------------------------------------------------- real samples


def _samples() -> list[tuple[str, str]]:
    out = []
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        text, _, note = line.partition(" #> ")
        out.append((text, note))
    return out


# (is a payment code, is_complete, sum_kopecks, customer_ref, some fields that must be read)
EXPECTED_SAMPLES: list[tuple[bool, bool, int | None, str | None, dict[str, str]]] = [
    (
        True,
        True,
        381630,
        "987654331",
        {
            "Name": 'ООО "УК Трианон"',
            "PayerINN": "",
            "LastName": "Крутых",
            "PayerAddress": "344038, Ростовская обл, г Ростов-на-Дону, пр-кт Ленина, д. 85, к. 3, кв. 27",
            "PaymPeriod": "042026",
            "Category": "001",
            "KPP": "616801001",
        },
    ),
    (True, True, 250000, "550016912", {"Name": 'ТСЖ "АЛЬТАИР"', "PayeeINN": "6163123641"}),
    (True, True, 100050, "271556", {"Name": "ООО «Интерра»", "TechCode": "09"}),
    (True, False, 100000, "123", {"Name": "ТСЖ Маршал"}),
    (True, False, 250, "555", {"Name": "УК Тест", "PayeeINN": "7701234567"}),
    (True, False, None, None, {"Name": "УК", "Sum": "3816.30"}),
    (False, False, None, None, {}),
    (False, False, None, None, {}),
]


def test_sample_file_fully_covered() -> None:
    assert len(_samples()) == len(EXPECTED_SAMPLES)


@pytest.mark.parametrize("index", range(len(EXPECTED_SAMPLES)))
def test_real_samples(index: int) -> None:
    text, note = _samples()[index]
    is_payment, complete, total, ref, some = EXPECTED_SAMPLES[index]
    assert is_payment_string(text) is is_payment
    if not is_payment:
        with pytest.raises(GostError):
            parse_payload(text)
        with pytest.raises(GostError):
            parse_scanned_text(text)
        return
    encoding = {"1": "cp1251", "2": "utf-8"}[text[6]]
    raw = text.encode(encoding)
    results: list[ParsedPayment] = [
        parse_payload(text),
        parse_payload(raw),
        parse_scanned_text(text + "\r\n"),
    ]
    if encoding == "cp1251":
        results.append(parse_scanned_text(raw.decode("latin-1")))
    for parsed in results:
        assert parsed.is_complete is complete, note
        assert parsed.sum_kopecks == total
        assert parsed.customer_ref() == ref
        assert parsed.encoding == encoding
        for alias, value in some.items():
            assert parsed.fields[alias] == value
        assert parsed.fields == results[0].fields


# ---------------------------------------------------------------- keyboard-wedge scanner


def test_latin1_mojibake_is_repaired() -> None:
    payload = build_payload(
        {**BASE, "Purpose": "Оплата — “интернет” по договору № 12-345", "PersAcc": "271556"}
    )
    typed = payload.decode("latin-1")
    assert "ÎÎÎ" in typed
    parsed = parse_scanned_text(typed + "\n")
    assert parsed.fields == parse_payload(payload).fields
    assert parsed.fields["Name"] == "ООО «Три кита»"


def test_cp1252_wedge_is_repaired() -> None:
    payload = build_payload({**BASE, "Purpose": "Тур — “Сочи” €"})
    typed = payload.decode("cp1252")
    assert "—" in typed  # the dash came through cp1252, not as a C1 control
    assert parse_scanned_text(typed).fields["Purpose"] == "Тур — “Сочи” €"


def test_already_decoded_text_is_left_alone() -> None:
    text = build_payload(BASE).decode("cp1251")
    assert parse_scanned_text(text).fields == BASE
    utf = build_payload({**BASE, "Purpose": "Café 😀"})
    assert parse_scanned_text(utf.decode()).fields["Purpose"] == "Café 😀"


def test_utf8_wedge_mojibake_repaired_only_when_valid() -> None:
    utf = build_payload({**BASE, "Purpose": "😀"})
    assert parse_scanned_text(utf.decode("latin-1")).fields["Name"] == BASE["Name"]
    assert parse_scanned_text("ST00012|Name=Ñandú").fields["Name"] == "Ñandú"


@pytest.mark.parametrize(
    "text",
    ["https://example.com/pay?sum=100", "QQ00011|Name=x", "4607001234567", "", "ST00019|Name=x", "ST0001"],
)
def test_scanner_non_payment_strings(text: str) -> None:
    assert not is_payment_string(text)
    with pytest.raises(GostError) as err:
        parse_scanned_text(text)
    assert "ГОСТ Р 56042" in str(err.value)


def test_is_payment_string() -> None:
    assert is_payment_string("ST00011|Name=x")
    assert is_payment_string("  ST00012#Name=x")
    assert is_payment_string(b"ST00013|")
    assert not is_payment_string("ST00011")
    assert not is_payment_string("ST00011=Name")
    assert not is_payment_string("ST000111Name")


# ---------------------------------------------------------------- round trip property

_ODD = "|=#;^~€😀中文ЁёАя«»—№ \u00a0é"
_chars = st.one_of(st.characters(exclude_categories=("Cc", "Cs")), st.sampled_from(_ODD))
_text = st.text(_chars, min_size=1, max_size=40).filter(str.strip)


def _digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=lo, max_size=hi)


_OPTIONAL: dict[str, st.SearchStrategy[str]] = {
    "Sum": _digits(1, 18),
    "PayeeINN": _digits(1, 12),
    "PayerINN": _digits(1, 12),
    "KPP": st.from_regex(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}", fullmatch=True),
    **{
        a: st.text(_chars, min_size=1, max_size=n).filter(str.strip)
        for a, n in FIXED_MAX_LEN.items()
        if a not in ("Sum", "PayeeINN", "PayerINN", "KPP")
    },
    **{a: _text for a in OTHER_ALIASES},
}


@st.composite
def field_sets(draw: st.DrawFn) -> list[tuple[str, str]]:
    pairs = [
        ("Name", draw(st.text(_chars, min_size=1, max_size=160).filter(str.strip))),
        ("PersonalAcc", draw(_digits(20, 20))),
        ("BankName", draw(st.text(_chars, min_size=1, max_size=45).filter(str.strip))),
        ("BIC", draw(_digits(9, 9))),
        ("CorrespAcc", draw(_digits(1, 20))),
    ]
    chosen = draw(st.lists(st.sampled_from(sorted(_OPTIONAL)), unique=True, max_size=8))
    pairs += [(alias, draw(_OPTIONAL[alias])) for alias in chosen]
    pairs = draw(st.permutations(pairs))
    # Aliases are case-insensitive on input; the output must use the canonical spelling.
    return [(draw(st.sampled_from([a, a.lower(), a.upper()])), v) for a, v in pairs]


@settings(max_examples=300, deadline=None)
@given(field_sets())
def test_round_trip_property(pairs: list[tuple[str, str]]) -> None:
    assume(not set(SEPARATOR_CANDIDATES) <= set("".join(v for _, v in pairs)))
    canon = {alias: alias for alias in KNOWN_ALIASES}
    # Padding is not part of a value (issue 11 §9b): the builder writes values trimmed.
    expected = {canon[next(k for k in KNOWN_ALIASES if k.lower() == a.lower())]: v.strip(" ") for a, v in pairs
                if v.strip(" ") or a.lower() in {m.lower() for m in MANDATORY}}
    payload = build_payload(pairs)
    parsed = parse_payload(payload)
    assert parsed.fields == expected
    assert list(parsed.fields)[:5] == list(MANDATORY)
    sep = chr(payload[7])
    assert all(sep not in v for v in expected.values())
    assert not payload.endswith(sep.encode())
    try:
        "".join(expected.values()).encode("cp1251")
        assert payload[6:7] == b"1"
    except UnicodeEncodeError:
        assert payload[6:7] == b"2"
    # A wedge scanner typing the bytes as Latin-1 must not lose anything either.
    if payload[6:7] == b"1":
        assert parse_scanned_text(payload.decode("latin-1")).fields == expected


# ---------------------------------------------------------------- real QR reader


@pytest.mark.parametrize(
    "fields",
    [
        {
            **BASE,
            "Sum": "100050",
            "Purpose": "Оплата по лицевому счету 271556",
            "PayeeINN": "7707083893",
            "KPP": "773601001",
            "PersAcc": "271556",
            "TechCode": "09",
        },
        {**BASE, "Purpose": "Тур | Сочи — “всё включено” 500 €", "TechCode": "11"},
        {**BASE, "Purpose": "旅游 😀", "Sum": "1"},
    ],
)
def test_zxing_reads_our_qr_byte_exact(fields: dict[str, str]) -> None:
    from test_qr import read_segments  # the independent bit-stream reader

    payload = build_payload(fields)
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload, scale=4))))
    assert len(found) == 1
    code = found[0]
    assert code.bytes == payload
    assert code.ec_level == "M"
    assert code.symbology_identifier == "]Q1"
    assert read_segments(qr_matrix(payload)) == [("byte", len(payload))]  # byte mode, no ECI
    assert parse_payload(code.bytes).fields == fields


def test_zxing_text_guesses_charset_so_bytes_are_used() -> None:
    payload = build_payload({**BASE, "Purpose": "Оплата"})
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload, scale=4))))
    assert parse_payload(found[0].bytes).fields["Purpose"] == "Оплата"


@pytest.mark.parametrize("value", ["…", "«Ёлка»", "№ 5 — §2", "©°±"])
def test_scanner_latin1_repair_covers_bytes_80_to_bf(value: str) -> None:
    """cp1251 puts «…», «Ё», «№», quotes and dashes in 0x80–0xBF; typed as Latin-1 they are C1 or
    Latin-1 symbols, not letters, and must still be repaired (found by the round-trip property)."""
    payload = build_payload({**BASE, "Purpose": value})
    assert payload[6:7] == b"1"
    assert parse_scanned_text(payload.decode("latin-1")).fields["Purpose"] == value
    assert parse_scanned_text(payload.decode("cp1251")).fields["Purpose"] == value
