"""Search keys: how names, phones, streets and numbers are compared at the counter.

The stored ``*_norm`` columns and the typed query go through the same functions,
so ``Ёлкин`` finds ``Елкин`` and ``8 920 882-14-41`` finds ``+79208821441``.
"""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")
_STREET_TYPES = (
    "улица", "ул", "проспект", "пр-кт", "пр-т", "просп", "пр", "переулок", "пер", "бульвар", "б-р",
    "бул", "шоссе", "ш", "площадь", "пл", "проезд", "пр-д", "набережная", "наб", "тупик", "туп",
    "микрорайон", "мкр", "аллея", "квартал", "кв-л",
)
_STREET_TYPE_RE = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in sorted(_STREET_TYPES, key=len, reverse=True)) + r")\.?(?![\w-])"
)
_HOUSE_RE = re.compile(r"^(?:д\.?|дом)\s*", re.IGNORECASE)


def text_key(text: str) -> str:
    """Lower case, ``ё``→``е``, single spaces: the key for names and prefixes."""
    return _WS.sub(" ", text.replace("ё", "е").replace("Ё", "Е").lower()).strip()


def phone_key(text: str) -> str | None:
    """The 10 national digits of a Russian phone number, or None if it is not one."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return digits


def street_key(street: str) -> str:
    """``ул. Ленина`` / ``Ленина улица`` / ``ЛЕНИНА`` → ``ленина``."""
    key = _STREET_TYPE_RE.sub(" ", text_key(street))
    return _WS.sub(" ", key).strip(" ,.")


def house_key(house: str) -> str:
    return _HOUSE_RE.sub("", text_key(house)).replace(" ", "")


def passport_key(text: str) -> str:
    """Foreign passport number: digits only (``75 1234567`` → ``751234567``)."""
    return re.sub(r"\D", "", text)


def prefix_upper_bound(prefix: str) -> str:
    """The first string after every string starting with ``prefix`` (code-point order).

    ``иванов`` → ``иваног``: a real value the planner can estimate, unlike a
    sentinel character, so PostgreSQL reads the index in order and stops at the page.
    """
    if not prefix:
        return "\U0010ffff"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


_LETTER = re.compile(r"[^\W\d_]")
_SEPARATOR = re.compile(r"[\s,]+")
_HOUSE_TOKEN = re.compile(r"\d+[^\s,]*")
_HOUSE_WORDS = (re.compile(r"д\.?\s*"), re.compile(r"дом\s*"), re.compile(""))


def split_address(text: str) -> tuple[str, str] | None:
    """``Ленина 5, кв 3`` → (``Ленина``, ``5``): the street and the house of a typed address.

    The same split as the pattern
    ``^(?P<street>.*?[^\\W\\d_].*?)[\\s,]+(?:д\\.?\\s*|дом\\s*)?(?P<house>\\d+[^\\s,]*)\\s*(?:,.*)?$``
    (whitespace taken as single spaces), but in linear time: that pattern's lazy
    groups backtrack quadratically, and a pasted 20 KB query froze the counter.
    The street is the shortest text that holds a letter and ends at a run of
    spaces or commas; after the run the house number must be followed by
    nothing, or by a comma and anything.
    """
    text = _WS.sub(" ", text)
    letter = _LETTER.search(text)
    if letter is None:
        return None
    n = len(text)
    # Every separator run is visited once, and so is every house token after it: O(n).
    for sep in _SEPARATOR.finditer(text, letter.end()):
        start = sep.end()
        for word in _HOUSE_WORDS:
            w = word.match(text, start)
            house = _HOUSE_TOKEN.match(text, w.end()) if w else None
            if house is None:
                continue
            rest = house.end()
            while rest < n and text[rest] == " ":
                rest += 1
            if rest == n or text[rest] == ",":
                return text[:sep.start()], house.group()
    return None
