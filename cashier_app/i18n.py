"""One mechanism for every user-facing string: the standard library's ``gettext``.

Source strings are Russian (the default UI language).  The catalogs live in
``cashier_app/locale/<lang>/LC_MESSAGES/cashier.po`` and are compiled to ``cashier.mo``
(``python -m cashier_app.i18n_catalog``, Babel: extract, update, merge, compile, check).
At run time only ``gettext`` reads the ``.mo`` — once per language, on the first message —
so importing this module costs nothing and Babel is not needed.

- ``tr("Найдено: {n}", n=3)``: placeholders use ``str.format`` so a translation may
  reorder them; never an f-string inside ``tr()``.
- ``tr("Вид", context="menu")``: a word English splits in two takes a context (``pgettext``).
- ``N_("Касса")`` marks a source string kept in a constant; ``tr()`` translates it where shown.
- ``ntr("{n} квитанция", "{n} квитанций", n)``: a count (``ngettext``); the Russian
  catalog gives the three forms (1, 21 / 2–4, 22 / 5–20, 25, 111).

Qt's own ``qtbase`` translator is installed by the UI so standard buttons follow the
same language.  ``tests/test_i18n.py`` checks the catalogs against the code.
"""

from __future__ import annotations

import gettext
from pathlib import Path

__all__ = ["LANGUAGES", "N_", "language", "ntr", "set_language", "tr"]

DOMAIN = "cashier"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("ru", "en")
SOURCE_LANGUAGE = "ru"

_language = SOURCE_LANGUAGE
_catalogs: dict[str, gettext.NullTranslations] = {}


class _Source(gettext.NullTranslations):
    """The last fallback: the Russian source text itself.

    A count without a catalog entry still takes the right one of the two Russian forms
    it was written with (1, 21, 31 … take the first), rather than gettext's ``n == 1``.
    """

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if n % 10 == 1 and n % 100 != 11 else msgid2

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)


def _load(lang: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with path.open("rb") as fp:
            catalog: gettext.NullTranslations = gettext.GNUTranslations(fp)
    except OSError:  # a source checkout before `compile`: the Russian source still works
        catalog = gettext.NullTranslations()
    catalog.add_fallback(_Source())
    return catalog


def catalog(lang: str | None = None) -> gettext.NullTranslations:
    """The translations of ``lang`` (the current language by default), read on first use."""
    lang = lang or _language
    found = _catalogs.get(lang)
    if found is None:
        found = _catalogs[lang] = _load(lang)
    return found


def set_language(lang: str | None) -> None:
    global _language
    _language = lang if lang in LANGUAGES else SOURCE_LANGUAGE


def language() -> str:
    return _language


def N_(text: str, context: str = "") -> str:
    """Marks a source string kept in a constant (a column, a menu entry) for translation.

    Returns it unchanged: ``tr()`` translates it where it is shown, after the
    language is chosen.  The catalog extraction collects ``N_`` strings like ``tr`` ones;
    ``N_("Выход", context="audit")`` is shown with ``tr(text, context="audit")``.
    """
    return text


def _format(out: str, source: str, kwargs: dict[str, object]) -> str:
    try:
        return out.format(**kwargs)
    except (KeyError, IndexError, ValueError):
        # A translation with a broken placeholder must not stop a payment: show the source.
        # (`i18n_catalog check` and the tests keep the catalogs from having one.)
        return source.format(**kwargs)


def tr(text: str, context: str = "", **kwargs: object) -> str:
    """``text`` in the current language; ``context`` tells apart words that English splits."""
    if not text:  # gettext's msgid "" is the catalog's header
        return text
    found = catalog()
    out = found.pgettext(context, text) if context else found.gettext(text)
    return _format(out, text, kwargs) if kwargs else out


def ntr(singular: str, plural: str, n: int, context: str = "", **kwargs: object) -> str:
    """A message with a count: ``ntr("{n} квитанция", "{n} квитанций", n)``.

    ``singular`` is the Russian form for 1, ``plural`` the form for 5; the catalog gives every
    form of the language (Russian: 1 / 2–4 / 5–20, 21 / 22 / 25 …).  ``n`` is passed to the
    format as ``n`` unless given otherwise.
    """
    found = catalog()
    out = found.npgettext(context, singular, plural, n) if context else found.ngettext(singular, plural, n)
    kwargs.setdefault("n", n)
    return _format(out, _Source().ngettext(singular, plural, n), kwargs)
