"""Two languages the gettext way: the catalogs match the code, English is complete, Russian counts agree.

The catalogs are ``cashier_app/locale/{ru,en}/LC_MESSAGES/cashier.po`` (+ ``.mo``), kept by
``python -m cashier_app.i18n_catalog`` (see its docstring); ``tests/test_i18n_catalog.py``
tests that tool on catalogs of its own.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app import i18n, i18n_catalog
from cashier_app.i18n import N_, ntr, set_language, tr

PACKAGE = Path(__file__).resolve().parent.parent / "cashier_app"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
COUNTS = (1, 2, 5, 21, 22, 25, 111)
RUSSIAN_FORM_FOR = (0, 1, 2, 0, 1, 2, 2)  # which of the three Russian forms each of COUNTS takes


@pytest.fixture(autouse=True)
def _russian_afterwards() -> Iterator[None]:
    yield
    set_language("ru")


@pytest.fixture(scope="module")
def report() -> dict[str, list[str]]:
    return i18n_catalog.check()


@pytest.fixture(scope="module")
def catalogs() -> dict[str, object]:
    return {lang: i18n_catalog.read(lang) for lang in i18n.LANGUAGES}


# --- the catalogs against the code ----------------------------------------------------------


def test_extraction_sees_the_whole_package() -> None:
    found = {i18n_catalog._key(m): m for m in i18n_catalog.extract().catalog if m.id}
    assert len(found) > 700  # UI, services and domain, not an empty directory
    places = {loc.split("/")[1] for m in found.values() for loc, _ in m.locations}
    assert {"ui", "services", "domain"} <= places
    assert ("answer", "да") in found  # a context
    assert any(m.pluralizable for m in found.values())  # ntr()


def test_no_extracted_string_is_missing_from_either_catalog(report) -> None:  # type: ignore[no-untyped-def]
    assert report["missing"] == [], "run `python -m cashier_app.i18n_catalog update`:\n" + "\n".join(report["missing"])


def test_marked_text_is_a_literal(report) -> None:  # type: ignore[no-untyped-def]
    assert report["source"] == []


def test_every_english_message_is_translated(report) -> None:  # type: ignore[no-untyped-def]
    assert report["untranslated"] == [], "\n".join(report["untranslated"])


def test_english_keeps_placeholders_and_has_no_cyrillic(report) -> None:  # type: ignore[no-untyped-def]
    assert report["placeholders"] == [], "\n".join(report["placeholders"])
    assert report["cyrillic"] == [], "\n".join(report["cyrillic"])


def test_english_quotes_russian_data_only_in_a_few_flagged_messages(catalogs) -> None:  # type: ignore[no-untyped-def]
    flagged = [m.id for m in catalogs["en"] if m.id and i18n_catalog.CYRILLIC_DATA in m.flags]
    assert len(flagged) <= 5, flagged  # an exception, not a way around translating


def test_every_russian_plural_has_its_three_forms(report, catalogs) -> None:  # type: ignore[no-untyped-def]
    assert report["russian plurals"] == [], "\n".join(report["russian plurals"])
    ru = catalogs["ru"]
    assert ru.plural_forms == i18n_catalog.RU_PLURAL_FORMS
    assert ru.num_plurals == 3 and catalogs["en"].num_plurals == 2


def test_mo_files_are_compiled_from_the_current_po(catalogs) -> None:  # type: ignore[no-untyped-def]
    # Compiled in memory and compared message by message (the header's Babel version aside).
    for lang, catalog in catalogs.items():
        path = i18n_catalog.mo_path(lang)
        assert i18n_catalog.mo_current(catalog, path), f"{path} is stale: run `python -m cashier_app.i18n_catalog compile`"


def test_the_russian_catalog_declares_the_plural_rule() -> None:
    with i18n_catalog.mo_path("ru").open("rb") as fp:
        ru = gettext.GNUTranslations(fp)
    assert ru.info()["plural-forms"] == i18n_catalog.RU_PLURAL_FORMS
    assert [ru.plural(n) for n in COUNTS] == list(RUSSIAN_FORM_FOR)
    assert [ru.plural(n) for n in (0, 11, 12, 14, 100, 101, 104, 1011)] == [2, 2, 2, 2, 2, 0, 1, 2]


# --- run time -------------------------------------------------------------------------------


def _install(lang: str, messages: dict[tuple[str, str] | str, str | tuple[str, ...]],
             monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalog of ``messages`` in place of ``lang``'s, compiled the way `compile` does."""
    catalog = i18n_catalog.new_catalog(lang)
    for msgid, text in messages.items():
        catalog.add(msgid, string=text)
    translations = gettext.GNUTranslations(io.BytesIO(i18n_catalog.compile_bytes(catalog)))
    translations.add_fallback(i18n._Source())
    monkeypatch.setitem(i18n._catalogs, lang, translations)


def test_russian_counts_take_the_right_form(monkeypatch: pytest.MonkeyPatch) -> None:
    plural = ("{n} квитанция", "{n} квитанций")
    _install("ru", {plural: ("{n} квитанция", "{n} квитанции", "{n} квитанций")}, monkeypatch)
    _install("en", {plural: ("{n} receipt", "{n} receipts")}, monkeypatch)
    set_language("ru")
    assert ", ".join(ntr(*plural, n) for n in COUNTS) == (
        "1 квитанция, 2 квитанции, 5 квитанций, 21 квитанция, 22 квитанции, 25 квитанций, 111 квитанций")
    set_language("en")
    assert [ntr(*plural, n) for n in (1, 2, 21)] == ["1 receipt", "2 receipts", "21 receipts"]


def test_every_russian_plural_of_the_catalog_renders_its_forms(catalogs) -> None:  # type: ignore[no-untyped-def]
    set_language("ru")
    plurals = [m for m in catalogs["ru"] if m.id and m.pluralizable and i18n_catalog.complete(m)]
    assert plurals, "the catalog has no complete Russian plural"
    for message in plurals:
        names = i18n_catalog.placeholders(message.id[1]) - {"n"}
        kw = {name: "X" for name in names}
        for n, form in zip(COUNTS, RUSSIAN_FORM_FOR, strict=True):
            assert ntr(*message.id, n, context=message.context or "", **kw) == message.string[form].format(n=n, **kw)


def test_a_count_of_the_real_catalog_in_both_languages() -> None:
    set_language("ru")
    assert [ntr("{n} день", "{n} дней", n) for n in COUNTS] == [
        "1 день", "2 дня", "5 дней", "21 день", "22 дня", "25 дней", "111 дней"]
    set_language("en")
    assert [ntr("{n} день", "{n} дней", n) for n in (1, 2, 21)] == ["1 day", "2 days", "21 days"]


def test_a_count_missing_from_the_catalog_still_reads_right_in_russian() -> None:
    set_language("ru")
    assert [ntr("{n} штука", "{n} штук", n) for n in (1, 5, 11, 21)] == ["1 штука", "5 штук", "11 штук", "21 штука"]
    assert ntr("{n} из {m}", "{n} из {m}", 3, m=7) == "3 из 7"  # n given to format unless given
    assert ntr("{count} шт.", "{count} шт.", 4, count="четыре") == "четыре шт."


def test_tr_translates_formats_and_falls_back() -> None:
    set_language("en")
    assert i18n.language() == "en"
    assert tr("Банковская карта") == "Bank card"
    assert tr("да", context="answer") == "yes" and tr("нет", context="answer") == "no"
    assert tr("текст без перевода {x}", x=1) == "текст без перевода 1"  # unknown text: the source
    assert N_("Банковская карта") == "Банковская карта"
    assert tr("") == ""  # not the catalog's header (gettext's msgid "")
    set_language("ru")
    assert tr("Банковская карта") == "Банковская карта" and tr("да", context="answer") == "да"
    set_language("de")  # not a language of ours: the source
    assert i18n.language() == "ru"


def test_a_broken_translation_falls_back_to_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    _install("en", {"Итого {sum}": "Total {amount}"}, monkeypatch)
    set_language("en")
    assert tr("Итого {sum}", sum=5) == "Итого 5"  # not a KeyError in the middle of a payment


def test_the_import_reads_no_catalog_and_no_babel() -> None:
    import subprocess
    import sys

    code = ("import sys, cashier_app.i18n as i; assert not i._catalogs; "
            "assert not [m for m in sys.modules if m.startswith('babel')]; "
            "i.set_language('en'); i.tr('x'); print(sorted(i._catalogs))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['en']"


def test_domain_labels_shown_in_the_ui_have_english(catalogs) -> None:  # type: ignore[no-untyped-def]
    """Tour types, statuses, payment methods and roles come from the domain in Russian; the views
    pass them through tr(), so each needs an English entry."""
    from cashier_app.domain.accounts import BLOCK_STATE_LABELS
    from cashier_app.domain.tours import BOOKING_STATUS_LABELS, PAYMENT_METHOD_LABELS, TOUR_TYPE_LABELS
    from cashier_app.services.cards import METHOD_LABELS, STATUS_LABELS
    from cashier_app.services.permissions import ROLE_LABELS

    labels = [*TOUR_TYPE_LABELS.values(), *BOOKING_STATUS_LABELS.values(), *PAYMENT_METHOD_LABELS.values(),
              *BLOCK_STATE_LABELS.values(), *METHOD_LABELS.values(), *STATUS_LABELS.values(), *ROLE_LABELS.values()]
    set_language("en")
    untranslated = [label for label in labels if CYRILLIC.search(tr(label))]
    assert untranslated == []


# --- nothing Russian bypasses tr() ----------------------------------------------------------

SCANNED = ("ui", "services", "domain", "commands", "cli.py")
# Printed legal documents (printing/) keep their Russian forms in any UI language; emulators
# stand in for outside systems.  Neither is scanned.
DATA_PRAGMA = "# i18n: data"  # on a literal's line: the string is data (parsed, stored, sent), not a message

# Russian literals shown as they are, whatever the language.  Keep it short; say why.
ALLOWED_RUSSIAN = {
    # A language chooser names each language in itself, so a reader finds his own in any UI language.
    ("ui/main_window.py", "Русский"),
}
# Whole modules whose Russian literals are data, not messages.  Keep it short; say why.
DATA_FILES: dict[str, str] = {
    "domain/normalize.py": "search keys (street types, spellings) compared with stored data, never shown",
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_docstring(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    return isinstance(parents.get(node), ast.Expr)  # a bare string statement: a docstring or a note


def _is_marked(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """A literal msgid of ``tr()``/``N_()``/``ntr()`` (not part of an f-string or an expression)."""
    call = parents.get(node)
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in i18n_catalog.MARKERS):
        return False
    return any(arg is node for arg in call.args[:i18n_catalog.MARKERS[call.func.id]])


LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def _is_logged(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    # The log is read by whoever supports the office, not shown in the UI: it stays in the source language.
    call = parents.get(node)
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in LOG_METHODS
            and "log" in ast.unparse(call.func.value).lower())


def russian_bypassing_tr(root: Path = PACKAGE, scanned: tuple[str, ...] = SCANNED) -> list[str]:
    offenders = []
    paths = [p for part in scanned for p in ([root / part] if part.endswith(".py") else sorted((root / part).rglob("*.py")))]
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if rel in DATA_FILES:
            continue
        source = path.read_text("utf-8")
        lines = source.splitlines()
        tree = ast.parse(source, str(path))
        parents = _parents(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value)):
                continue
            if _is_docstring(node, parents) or _is_marked(node, parents) or _is_logged(node, parents):
                continue
            if (rel, node.value.replace("&", "")) in ALLOWED_RUSSIAN:  # with or without a mnemonic
                continue
            if any(DATA_PRAGMA in lines[i - 1] for i in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
                continue
            kind = "f-string part" if isinstance(parents.get(node), ast.JoinedStr) else "literal"
            offenders.append(f"{rel}:{node.lineno}: {kind} {node.value!r}")
    return offenders


def test_no_russian_literal_in_the_ui_bypasses_tr() -> None:
    offenders = russian_bypassing_tr(scanned=("ui",))
    assert not offenders, "Russian text outside tr():\n" + "\n".join(offenders)


def test_no_russian_literal_in_services_domain_or_commands_bypasses_tr() -> None:
    offenders = russian_bypassing_tr(scanned=tuple(s for s in SCANNED if s != "ui"))
    assert not offenders, (f"Russian text outside tr() (mark data with {DATA_PRAGMA!r}):\n" + "\n".join(offenders))


def test_the_bypass_scan_sees_each_kind(tmp_path: Path) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "x.py").write_text(
        '"""Модуль."""\n'
        'a = tr("Можно")\n'
        'b = f"Нельзя {a}"\n'
        'c = "Тоже нельзя"\n'
        'd = "Данные"  # i18n: data\n'
        'log.warning("В журнал")\n'
        'e = ntr("{n} раз", "{n} раз", 2)\n'
        'f = tr("Можно " + "нельзя")\n', "utf-8")
    found = russian_bypassing_tr(tmp_path, ("ui",))
    assert sorted(line.split(":")[1] for line in found) == ["3", "4", "8", "8"]


# --- the window in English ------------------------------------------------------------------

pytest.importorskip("PySide6")


@pytest.fixture
def english_window(qtbot, demo_db):  # type: ignore[no-untyped-def]
    from cashier_app.services.context import DeskContext
    from cashier_app.ui.main_window import MainWindow
    from cashier_app.ui.operations import SyncRunner
    from tests.conftest import TODAY

    set_language("en")
    try:
        runner = SyncRunner()
        w = MainWindow(DeskContext(demo_db, "test-desk", today_override=TODAY), runner)
        runner.setParent(w)
        qtbot.addWidget(w)
        w.show()
        yield w
    finally:
        set_language("ru")
    assert i18n.language() == "ru" and tr("Банковская карта") == "Банковская карта"


def _menu_titles(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def _visible_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

    texts = [x.text() for x in window.findChildren(QLabel)] + [x.text() for x in window.findChildren(QAbstractButton)]
    texts += [x.placeholderText() for x in window.findChildren(QLineEdit)]
    texts += [t for a in window.findChildren(QAction) for t in (a.text(), a.toolTip(), a.statusTip())]
    return texts


def test_main_window_in_english(qtbot, english_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    w = english_window
    assert w.windowTitle().startswith("Cash desk")
    assert w.search.toolTip().startswith("Search")
    assert w.buttons["cash"].text() == "Cash (F6)"
    assert w.user_label.text() == "Not signed in"
    headers = [w.model.headerData(i, Qt.Orientation.Horizontal) for i in range(w.model.columnCount())]
    assert "Number" in headers and not [h for h in headers if CYRILLIC.search(h or "")]
    assert {"File", "View"} <= set(_menu_titles(w))
    assert w.language_actions["en"].isChecked() and not w.language_actions["ru"].isChecked()
    # Before any data is shown nothing on the window is Russian but the language's own name.
    russian = [t for t in _visible_texts(w) if CYRILLIC.search(t) and t.replace("&", "") != "Русский"]
    assert russian == []
    # A search and the account card it opens speak English too (the data stays as it is); searching
    # needs a signed-in user (issue 11 §7).
    from tests.test_ledger import ctx_for

    w.set_user(ctx_for(w.ctx.db).user)
    assert w.user_label.text().startswith("User: ")
    w.search.setText("dem001")
    qtbot.waitUntil(lambda: w.current is not None, timeout=5000)
    assert "1" in w.hint.text() and not CYRILLIC.search(w.hint.text())
    assert w.account_view.title.text().startswith("Personal account No. ")
    labels = {x.text() for x in w.account_view.findChildren(QLabel)}
    assert {"Balance", "Amount due", "Plan"} <= {t.rstrip(":") for t in labels}


def test_language_menu_saves_the_choice(qtbot, english_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.settings import DeskSettings
    from cashier_app.ui import messages

    monkeypatch.setenv("CASHIER_CONFIG_DIR", str(tmp_path))
    shown: list[str] = []
    monkeypatch.setattr(messages, "show_info", lambda parent, text, title=None: shown.append(text))
    w = english_window
    w.language_actions["ru"].trigger()
    assert DeskSettings().get("language") == "ru"
    assert shown == ["The interface language will change after the program is restarted."]
    assert w.language_actions["ru"].isChecked()
    w.language_actions["en"].trigger()  # the language already running: saved, nothing to say
    assert DeskSettings().get("language") == "en"
    assert len(shown) == 1
