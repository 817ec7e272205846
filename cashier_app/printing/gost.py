"""Payment string of ГОСТ Р 56042-2014 (the QR code on ПД-4 and ф.112ЭП).

Build strictly, read tolerantly:

* :func:`build_payload` writes only what the standard allows: the 8-byte header,
  the five mandatory fields first and in order, known aliases in their canonical
  spelling, the fixed-format limits of Appendix В, windows-1251 unless a value
  needs UTF-8, and a separator that occurs in no value.
* :func:`parse_payload` and :func:`parse_scanned_text` read what real billers
  print: aliases in any case, empty values, unknown aliases, sums that are not
  kopecks, and scanners that deliver windows-1251 bytes as Latin-1 characters.

The separator is declared in the 8th byte of the header; the reader takes it
from there and never assumes ``|``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cashier_app.domain.errors import ValidationError

HEADER_PREFIX = "ST0001"
ENCODINGS: dict[str, str] = {"1": "cp1251", "2": "utf-8", "3": "koi8-r"}
DEFAULT_SEPARATOR = "|"
# Separators tried, in order, when a value contains "|".  Never a letter, digit
# or "_" (they occur in aliases) and never "=" (it splits alias from value).
SEPARATOR_CANDIDATES = "|#;^~!$%&*+/:<>?@[]{}\\`'\",.-()"

MANDATORY: tuple[str, ...] = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")
MANDATORY_BLOCK_MAX = 300

# Appendix В: additional fields whose format comes from the УФЭБС album.  All
# limits there are maxima ("Макс. N знаков").
FIXED_MAX_LEN: dict[str, int] = {
    "Sum": 18,
    "Purpose": 210,
    "PayeeINN": 12,
    "PayerINN": 12,
    "DrawerStatus": 2,
    "KPP": 9,
    "CBC": 20,
    "OKTMO": 11,
    "PaytReason": 2,
    "TaxPeriod": 10,
    "DocNo": 15,
    "DocDate": 10,
    "TaxPaytKind": 2,
}

OTHER_ALIASES: tuple[str, ...] = (
    "LastName",
    "FirstName",
    "MiddleName",
    "PayerAddress",
    "PersonalAccount",
    "DocIdx",
    "PensAcc",
    "Contract",
    "PersAcc",
    "Flat",
    "Phone",
    "PayerIdType",
    "PayerIdNum",
    "ChildFio",
    "BirthDate",
    "PaymTerm",
    "PaymPeriod",
    "Category",
    "ServiceName",
    "CounterId",
    "CounterVal",
    "QuittId",
    "QuittDate",
    "InstNum",
    "ClassNum",
    "SpecFio",
    "AddAmount",
    "RuleId",
    "ExecId",
    "RegType",
    "UIN",
    "TechCode",
)

KNOWN_ALIASES: tuple[str, ...] = MANDATORY + tuple(FIXED_MAX_LEN) + OTHER_ALIASES
_CANONICAL: dict[str, str] = {alias.lower(): alias for alias in KNOWN_ALIASES}

# Spellings that other implementations use by mistake; the hint names the right one.
_WRONG_ALIASES: dict[str, str] = {
    "payeekpp": "KPP",
    "inn": "PayeeINN",
    "taxpaykind": "TaxPaytKind",
    "payerkpp": "KPP",
    "amount": "Sum",
}
# Cyrillic letters that look like Latin ones: «СВС» typed instead of «CBC», «РауегАddress».
# The builder names the right spelling; the reader accepts an alias only when the
# mapped spelling is exactly a known one, so a look-alike never invents a field.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХаеорсхуіІгкѕЅјЈԁ", "ABEKMHOPCTXaeopcxyiIrksSjJd")
# The same keys on the Russian layout (ЙЦУКЕН over QWERTY): «PayeуINN» is «PayeeINN»
# with one letter typed before switching the layout.
_LAYOUT_KEYS = dict(zip("йцукенгшщзфывапролдячсмитьЙЦУКЕНГШЩЗФЫВАПРОЛДЯЧСМИТЬ",
                        "qwertyuiopasdfghjklzxcvbnmQWERTYUIOPASDFGHJKLZXCVBNM", strict=True))
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# Trimmed from both ends of a value read: spaces and the control characters the builder never writes.
_PADDING = " \t\r\n\x00\x0b\x0c"

_ALIAS_RE = re.compile(r"[A-Za-z0-9_]+")
_DIGITS_RE = re.compile(r"[0-9]+")
_KPP_RE = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")
_HEADER_RE = re.compile(r"ST0001[123]")
# Purpose texts such as «Оплата по лицевому счету 271556», «заявка № 1234567».
_REF_IN_PURPOSE = re.compile(
    r"(?:лицев\w*\s+сч[её]т\w*|\bл\s*/\s*сч?\b\.?|\bлс\b|\bл\.\s*с\.|договор\w*|заявк\w*|заказ\w*"
    r"|брон\w*|абонент\w*|\bсч[её]т\w*|№)"
    r"\s*(?:№|N|#|No\.?)?\s*[:.]?\s*([0-9](?:[0-9/-]*[0-9])?)",
    re.IGNORECASE,
)


class GostError(ValidationError):
    """A payment string that breaks ГОСТ Р 56042-2014; ``field`` is the alias."""


@dataclass(frozen=True, slots=True)
class PaymentFields:
    """The fields the document printers put into the QR code."""

    name: str
    personal_acc: str
    bank_name: str
    bic: str
    corresp_acc: str
    sum_kopecks: int | None = None
    purpose: str = ""
    payee_inn: str = ""
    kpp: str = ""
    payer_inn: str = ""
    pers_acc: str = ""
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    payer_address: str = ""
    tech_code: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def to_pairs(self) -> list[tuple[str, str]]:
        """Alias/value pairs, mandatory first, empty optional values left out."""
        if self.sum_kopecks is not None:
            if not isinstance(self.sum_kopecks, int) or isinstance(self.sum_kopecks, bool):
                raise TypeError("sum_kopecks must be int kopecks")
            if self.sum_kopecks < 0:
                raise GostError("Sum", "сумма не может быть отрицательной")
        total = "" if self.sum_kopecks is None else str(self.sum_kopecks)
        pairs = [
            ("Name", self.name),
            ("PersonalAcc", self.personal_acc),
            ("BankName", self.bank_name),
            ("BIC", self.bic),
            ("CorrespAcc", self.corresp_acc),
            ("PayeeINN", self.payee_inn),
            ("KPP", self.kpp),
            ("PayerINN", self.payer_inn),
            ("Sum", total),
            ("Purpose", self.purpose),
            ("PersAcc", self.pers_acc),
            ("LastName", self.last_name),
            ("FirstName", self.first_name),
            ("MiddleName", self.middle_name),
            ("PayerAddress", self.payer_address),
            ("TechCode", self.tech_code),
            *self.extra,
        ]
        return [(a, v) for a, v in pairs if a in MANDATORY or v]


FieldsInput = Mapping[str, str] | Sequence[tuple[str, str]] | PaymentFields


# ---------------------------------------------------------------- building


def canonical_alias(alias: str) -> str:
    """The standard's spelling of a known alias; :class:`GostError` for anything else."""
    if not isinstance(alias, str) or not alias:
        raise GostError(str(alias), "пустое имя реквизита")
    known = _CANONICAL.get(alias.lower())
    if known is not None and _ALIAS_RE.fullmatch(alias):
        return known
    hint = _WRONG_ALIASES.get(alias.lower())
    if hint:
        raise GostError(alias, f"такого реквизита нет в ГОСТ Р 56042, нужно {hint}")
    if not alias.isascii():
        latin = alias.translate(_LOOKALIKES)
        if latin.lower() in _CANONICAL:
            right = _CANONICAL[latin.lower()]
            raise GostError(alias, f"в имени реквизита русские буквы, нужно латиницей: {right}")
        raise GostError(alias, "имя реквизита — только латинские буквы, цифры и «_»")
    raise GostError(alias, "неизвестный реквизит: его нет в приложении В ГОСТ Р 56042")


def _pairs_of(fields: FieldsInput) -> list[tuple[str, str]]:
    if isinstance(fields, PaymentFields):
        return fields.to_pairs()
    if isinstance(fields, Mapping):
        return list(fields.items())
    if isinstance(fields, str | bytes):
        raise TypeError("build_payload needs fields, not a ready string")
    return [(alias, value) for alias, value in fields]


def _check_value(alias: str, value: str) -> None:
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise GostError(alias, "в значении недопустимый управляющий знак (перевод строки, табуляция)")


def _check_format(alias: str, value: str) -> None:
    """Table 2 and Appendix В formats; raises on the first broken rule."""
    size = len(value)
    if alias == "Name":
        if not value.strip():
            raise GostError(alias, "укажите наименование получателя")
        if size > 160:
            raise GostError(alias, f"не больше 160 знаков (сейчас {size})")
    elif alias == "PersonalAcc":
        if not (size == 20 and _DIGITS_RE.fullmatch(value)):
            raise GostError(alias, "нужно ровно 20 цифр")
    elif alias == "BankName":
        if not value.strip():
            raise GostError(alias, "укажите наименование банка")
        if size > 45:
            raise GostError(alias, f"не больше 45 знаков (сейчас {size})")
    elif alias == "BIC":
        if not (size == 9 and _DIGITS_RE.fullmatch(value)):
            raise GostError(alias, "нужно ровно 9 цифр")
    elif alias == "CorrespAcc":
        if not (1 <= size <= 20 and _DIGITS_RE.fullmatch(value)):
            raise GostError(alias, "до 20 цифр; если у банка нет корр. счёта — «0»")
    elif alias == "Sum":
        if not _DIGITS_RE.fullmatch(value):
            raise GostError(alias, "сумма в копейках, только цифры: 1000 руб. = 100000")
        if size > 18:
            raise GostError(alias, "не больше 18 цифр")
    elif alias in ("PayeeINN", "PayerINN"):
        if not (_DIGITS_RE.fullmatch(value) and size <= 12):
            raise GostError(alias, "ИНН — не больше 12 цифр")
    elif alias == "KPP":
        if not (value == "0" or _KPP_RE.fullmatch(value)):
            raise GostError(alias, "КПП — 9 знаков: 4 цифры, 2 цифры или латинские буквы, 3 цифры")
    elif alias in FIXED_MAX_LEN and size > FIXED_MAX_LEN[alias]:
        raise GostError(alias, f"не больше {FIXED_MAX_LEN[alias]} знаков (сейчас {size})")


def _pick_separator(values: Iterable[str]) -> str:
    used = set("".join(values))
    for candidate in SEPARATOR_CANDIDATES:
        if candidate not in used:
            return candidate
    raise GostError("Разделитель", "в значениях встречаются все допустимые знаки-разделители")


def normalize_fields(fields: FieldsInput) -> dict[str, str]:
    """Checked fields with canonical aliases, mandatory first, empty optional ones dropped."""
    seen: dict[str, str] = {}
    for alias, value in _pairs_of(fields):
        name = canonical_alias(alias)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise TypeError(f"{name}: value must be str, got {type(value).__name__}")
        if name in seen:
            raise GostError(name, "реквизит указан дважды")
        # Padding is never part of a value: the reader trims it, so the builder never writes it.
        seen[name] = value.strip(" ")
    for name in MANDATORY:
        if name not in seen or not seen[name].strip():
            raise GostError(name, "обязательный реквизит не заполнен")
    result = {name: seen[name] for name in MANDATORY}
    for name, value in seen.items():
        if name in MANDATORY or not value.strip():
            continue
        result[name] = value
    for name, value in result.items():
        _check_value(name, value)
        _check_format(name, value)
    return result


def build_payload(fields: FieldsInput) -> bytes:
    """The bytes to put into the QR code: ``ST0001`` + encoding digit + separator + pairs."""
    checked = normalize_fields(fields)
    separator = _pick_separator(checked.values())
    mandatory_block = separator.join(f"{a}={checked[a]}" for a in MANDATORY)
    # 300 знаков; in the 8-bit encodings one character is one byte.
    if len(mandatory_block) > MANDATORY_BLOCK_MAX:
        raise GostError("Name", f"блок обязательных реквизитов длиннее {MANDATORY_BLOCK_MAX} знаков")
    body = separator.join(f"{a}={v}" for a, v in checked.items())
    try:
        return f"{HEADER_PREFIX}1{separator}".encode("ascii") + body.encode("cp1251")
    except UnicodeEncodeError:
        pass
    try:
        return f"{HEADER_PREFIX}2{separator}".encode("ascii") + body.encode("utf-8")
    except UnicodeEncodeError as exc:  # pragma: no cover - surrogates are refused above
        raise GostError("Кодировка", "значение нельзя записать даже в UTF-8") from exc


# ---------------------------------------------------------------- reading


def _format_problem(alias: str, value: str) -> str | None:
    try:
        _check_value(alias, value)
        _check_format(alias, value)
    except GostError as err:
        return str(err)
    return None


@dataclass(frozen=True)
class ParsedPayment:
    """A payment string as read; ``fields`` has canonical keys for known aliases."""

    fields: dict[str, str]
    encoding: str
    separator: str
    # Segments without "=": the standard sends them to the bank in Purpose.
    unnamed: tuple[str, ...] = field(default=())

    def get(self, alias: str, default: str = "") -> str:
        key = _CANONICAL.get(alias.lower(), alias)
        return self.fields.get(key, default)

    @property
    def sum_kopecks(self) -> int | None:
        """The sum in kopecks, or ``None`` when absent or not pure digits (``3816.30``)."""
        raw = self.fields.get("Sum", "").strip()
        if _DIGITS_RE.fullmatch(raw) and len(raw) <= 18:
            return int(raw)
        return None

    def problems(self) -> list[str]:
        """What keeps the mandatory block from being valid, one message per field."""
        out: list[str] = []
        for alias in MANDATORY:
            value = self.fields.get(alias)
            if value is None or not value.strip():
                out.append(f"{alias}: обязательный реквизит не заполнен")
                continue
            problem = _format_problem(alias, value)
            if problem:
                out.append(problem)
        return out

    @property
    def is_complete(self) -> bool:
        return not self.problems()

    def customer_ref(self) -> str | None:
        """The payer's account with the payee; never PersonalAcc (the payee's bank account)."""
        for alias in ("PersAcc", "PersonalAccount", "Contract"):
            value = self.fields.get(alias, "").strip()
            if value:
                return value
        match = _REF_IN_PURPOSE.search(self.fields.get("Purpose", ""))
        return match.group(1) if match else None


def _reading_alias(alias: str) -> str:
    """The canonical spelling of a known alias in any case or with Cyrillic look-alikes; else as is."""
    known = _CANONICAL.get(alias.lower())
    if known is not None or alias.isascii():
        return known or alias
    # Each Cyrillic letter is its look-alike or the Latin letter on its key; only a
    # spelling that is exactly a known alias is taken (never a near miss).
    spellings = {""}
    for ch in alias:
        options = {ch.translate(_LOOKALIKES), _LAYOUT_KEYS.get(ch, ch)}
        spellings = {head + o for head in spellings for o in options}
        if len(spellings) > 256:  # a long Cyrillic word is not a mistyped alias
            return alias
    found = {_CANONICAL[w.lower()] for w in spellings if w.isascii() and w.lower() in _CANONICAL}
    return found.pop() if len(found) == 1 else alias


def _utf8_in_disguise(body: bytes) -> str | None:
    """``body`` as UTF-8 when it decodes cleanly and holds Cyrillic, whatever the header's digit.

    QRCoder, zxing-based generators and some billing systems write ``ST00011``
    over UTF-8.  Real windows-1251 Cyrillic is almost never valid UTF-8 (its
    letters are bytes C0–FF, which UTF-8 allows only before 80–BF), so the test
    does not misread an honest code.
    """
    if body.isascii():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _CYRILLIC.search(text) else None


def _not_payment(detail: str) -> GostError:
    return GostError("QR-код", f"это не платёжный код ГОСТ Р 56042: {detail}")


def _parse_text(text: str, digit: str, encoding: str | None = None) -> ParsedPayment:
    separator = text[7:8]
    if not separator:
        raise _not_payment("нет знака-разделителя после заголовка")
    if separator == "=" or _ALIAS_RE.fullmatch(separator) or not separator.isascii():
        raise _not_payment(f"недопустимый разделитель «{separator}»")
    fields: dict[str, str] = {}
    lower_to_key: dict[str, str] = {}
    unnamed: list[str] = []
    # Scanners and files add line ends and NULs after the last value.
    for segment in text[8:].rstrip("\r\n\x00").split(separator):
        if not segment:
            continue
        alias, eq, value = segment.partition("=")
        alias = alias.strip()
        if not eq or not alias:
            if segment.strip():
                unnamed.append(segment.strip())
            continue
        # Billing systems wrap long codes: «PersonalAcc=40702810631000007404\n      |…».
        value = value.strip(_PADDING)
        key = _reading_alias(alias)
        old = lower_to_key.get(key.lower())
        if old is not None:
            fields.pop(old)
        lower_to_key[key.lower()] = key
        fields[key] = value
    return ParsedPayment(
        fields=fields, encoding=encoding or ENCODINGS[digit], separator=separator, unnamed=tuple(unnamed)
    )


def parse_payload(data: bytes | str) -> ParsedPayment:
    """Read a payment string; bytes are decoded by the header's encoding digit."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        head = raw[:7]
        if not (head.isascii() and _HEADER_RE.fullmatch(head.decode("ascii"))):
            raise _not_payment("строка должна начинаться с ST00011, ST00012 или ST00013")
        digit = chr(raw[6])
        if len(raw) < 8 or raw[7] >= 0x80:
            raise _not_payment("нет знака-разделителя после заголовка")
        utf8 = None if digit == "2" else _utf8_in_disguise(raw[8:])
        if utf8 is not None:
            return _parse_text(raw[:8].decode("ascii") + utf8, digit, "utf-8")
        # Otherwise bytes that do not fit the declared encoding become U+FFFD
        # rather than a guessed charset: the digit is what the biller promised.
        text = raw[:8].decode("ascii") + raw[8:].decode(ENCODINGS[digit], errors="replace")
        return _parse_text(text, digit)
    if not isinstance(data, str):
        raise TypeError("parse_payload needs bytes or str")
    if not _HEADER_RE.fullmatch(data[:7]):
        raise _not_payment("строка должна начинаться с ST00011, ST00012 или ST00013")
    return _parse_text(data, data[6])


def _as_single_bytes(text: str) -> bytes | None:
    """Undo keyboard-wedge mojibake: every character back to the byte it was typed from."""
    out = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            out.append(code)
            continue
        # Some wedges map bytes 0x80–0x9F through windows-1252 (“ ” — €).
        try:
            b = ch.encode("cp1252")
        except UnicodeEncodeError:
            return None
        out += b
    return bytes(out)


def parse_scanned_text(text: str) -> ParsedPayment:
    """Read what a 2D scanner typed into a text field.

    With header digit 1 (or 3) and characters in U+0080–U+00FF the scanner sent
    the 8-bit bytes as Latin-1 (``ÎÎÎ`` for ``ООО``, ``\x85`` for ``…``): re-encode
    and decode by the digit.  Typography that Latin-1 and windows-1251 share
    (« » © °) comes out unchanged either way.  With digit 2 the same is done only if the result is valid UTF-8.
    Otherwise the text is taken as already decoded.
    """
    cleaned = text.lstrip(" \t\r\n\ufeff").rstrip("\r\n\x00")
    if not _HEADER_RE.fullmatch(cleaned[:7]):
        raise _not_payment("строка должна начинаться с ST00011, ST00012 или ST00013")
    digit = cleaned[6]
    # A wedge that typed the bytes as Latin-1 characters («ÎÎÎ», «Ð\x9e»): back to bytes first.
    raw = _as_single_bytes(cleaned) if any("\u0080" <= ch <= "\u00ff" for ch in cleaned) else None
    if raw is not None:
        utf8 = None if digit == "2" else _utf8_in_disguise(raw[8:])
        if utf8 is not None:
            return _parse_text(cleaned[:8] + utf8, digit, "utf-8")
        try:
            fixed = raw.decode(ENCODINGS[digit], errors="strict" if digit == "2" else "replace")
        except UnicodeDecodeError:
            fixed = None
        if fixed is not None:
            return _parse_text(fixed, digit)
    if digit == "1" and not cleaned.isascii():
        # A scanner that decoded UTF-8 bytes by the header's windows-1251: «РћРћРћ» for «ООО».
        try:
            utf8 = _utf8_in_disguise(cleaned[8:].encode("cp1251"))
        except UnicodeEncodeError:
            utf8 = None
        if utf8 is not None:
            return _parse_text(cleaned[:8] + utf8, digit, "utf-8")
    return _parse_text(cleaned, digit)


def is_payment_string(text: str | bytes) -> bool:
    """Quick check for the search box: does this look like a ГОСТ Р 56042 string?"""
    if isinstance(text, bytes | bytearray):
        text = bytes(text)[:8].decode("latin-1")
    head = text.lstrip(" \t\r\n\ufeff")[:8]
    if len(head) < 8 or not _HEADER_RE.fullmatch(head[:7]):
        return False
    sep = head[7]
    return sep.isascii() and sep != "=" and not _ALIAS_RE.fullmatch(sep)
