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
