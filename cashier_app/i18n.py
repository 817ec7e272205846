"""One mechanism for every UI string.

Source strings are Russian (the default UI language); ``EN`` maps them to
English.  Placeholders use ``str.format`` so a translation may reorder them:
``tr("Найдено: {n}", n=3)``.  A word English splits in two takes a context:
``tr("Вид", context="menu")`` is looked up in ``EN_CONTEXT``.  Strings kept in
constants are marked with ``N_()`` and translated by ``tr()`` where shown.
Qt's own ``qtbase`` translator is installed by the UI so standard buttons
follow the same language.  ``tests/test_i18n.py`` checks that every string
has its translation.
"""

from __future__ import annotations

# The catalog is long; it lives in its own module.
from cashier_app.i18n_en import EN, EN_CONTEXT

_language = "ru"

__all__ = ["EN", "EN_CONTEXT", "N_", "language", "ntr", "set_language", "tr"]


def set_language(lang: str) -> None:
    global _language
    _language = lang if lang in ("ru", "en") else "ru"


def language() -> str:
    return _language


def N_(text: str) -> str:
    """Marks a source string kept in a constant (a column, a menu entry) for translation.

    Returns it unchanged: ``tr()`` translates it where it is shown, after the
    language is chosen.  The i18n tests collect ``N_`` strings like ``tr`` ones.
    """
    return text


def tr(text: str, context: str = "", **kwargs: object) -> str:
    """``text`` in the current language; ``context`` tells apart words that English splits."""
    if _language != "en":
        out = text
    elif context:
        out = EN_CONTEXT.get((context, text), text)
    else:
        out = EN.get(text, text)
    return out.format(**kwargs) if kwargs else out


def ntr(singular: str, plural: str, n: int, context: str = "", **kwargs: object) -> str:
    """A message with a count: ``ntr("{n} квитанция", "{n} квитанций", n)``.

    ``singular`` is the Russian form for 1, ``plural`` the form for 5; the catalog gives every
    form of the language (Russian: 1 / 2–4 / 5–20, 21 / 22 / 25 …).  ``n`` is passed to the
    format as ``n`` unless given otherwise.
    """
    if _language == "en":
        out = EN.get(singular if n % 10 == 1 and n % 100 != 11 else plural, singular if n == 1 else plural)
    else:
        out = singular if n % 10 == 1 and n % 100 != 11 else plural
    kwargs.setdefault("n", n)
    return out.format(**kwargs)
