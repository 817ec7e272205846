"""Every UI string is translated: English exists for each, and nothing Russian bypasses ``tr()``."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app import i18n
from cashier_app.i18n import EN, EN_CONTEXT, set_language, tr

PACKAGE = Path(__file__).resolve().parent.parent / "cashier_app"
UI = PACKAGE / "ui"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
MARKERS = ("tr", "N_")

# Russian literals the UI shows as they are, whatever the language.  Keep it short; say why.
ALLOWED_RUSSIAN = {
    # A language chooser names each language in itself, so a reader finds his own in any UI language.
    ("main_window.py", "Русский"),
}


def _files(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("*.py"))


def _marker_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
            yield node


def _constant_text(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _context(call: ast.Call) -> str:
    for kw in call.keywords:
        if kw.arg == "context":
            assert isinstance(kw.value, ast.Constant), "context must be a literal"
            return str(kw.value.value)
    return ""


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _source_strings() -> dict[tuple[str, str], list[str]]:
    """(context, text) -> where it is used, for every literal first argument of ``tr``/``N_``."""
    out: dict[tuple[str, str], list[str]] = {}
    for path in _files(PACKAGE):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for call in _marker_calls(tree):
            text = _constant_text(call)
            if text is not None:
                out.setdefault((_context(call), text), []).append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    return out


def test_scan_finds_the_ui_strings() -> None:
    found = _source_strings()
    assert len(found) > 250  # the scan sees the whole UI, not an empty directory
    assert ("", "Найдено: {n}") in found and ("menu", "Вид") in found


def test_every_tr_string_has_english_with_the_same_placeholders() -> None:
    missing, mismatched = [], []
    for (context, text), where in sorted(_source_strings().items()):
        english = EN_CONTEXT.get((context, text)) if context else EN.get(text)
        if english is None:
            missing.append(f"{text!r} (context {context!r}) at {where[0]}")
        elif _placeholders(english) != _placeholders(text):
            mismatched.append(f"{text!r} -> {english!r}")
        elif english.strip() and CYRILLIC.search(english):
            mismatched.append(f"{text!r} -> {english!r} is still Russian")
    assert not missing, "no English for:\n" + "\n".join(missing)
    assert not mismatched, "placeholders differ:\n" + "\n".join(mismatched)


def test_every_dictionary_entry_keeps_placeholders() -> None:
    # Entries the scan cannot see (strings passed through variables) must still format.
    for text, english in [*EN.items(), *((t, e) for (_, t), e in EN_CONTEXT.items())]:
        assert _placeholders(english) == _placeholders(text), (text, english)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_docstring(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    expr = parents.get(node)
    return isinstance(expr, ast.Expr)  # a bare string statement: a docstring or a comment-like note


def _is_marked(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """The literal is the very first argument of ``tr()``/``N_()`` (not part of an f-string or expression)."""
    call = parents.get(node)
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in MARKERS
            and bool(call.args) and call.args[0] is node)


def test_no_russian_literal_in_the_ui_bypasses_tr() -> None:
    offenders = []
    for path in _files(UI):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        parents = _parents(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value)):
                continue
            if _is_docstring(node, parents) or _is_marked(node, parents):
                continue
            if (path.name, node.value) in ALLOWED_RUSSIAN:
                continue
            kind = "f-string part" if isinstance(parents.get(node), ast.JoinedStr) else "literal"
            offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {kind} {node.value!r}")
    assert not offenders, "Russian text outside tr():\n" + "\n".join(offenders)


def test_tr_translates_formats_and_falls_back() -> None:
    try:
        set_language("en")
        assert tr("Найдено: {n}", n=3) == "Found: 3"
        assert tr("Вид", context="menu") == "View" and tr("Вид") == "Type"
        assert tr("текст без перевода") == "текст без перевода"  # service texts pass through
        set_language("ru")
        assert tr("Найдено: {n}", n=3) == "Найдено: 3"
        assert tr("Вид", context="menu") == "Вид"
    finally:
        set_language("ru")


# --- the window in English ------------------------------------------------------------

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
    assert i18n.language() == "ru" and tr("Касса") == "Касса"


def _menu_titles(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text().replace("&", "") for a in window.menuBar().actions()]


def test_main_window_in_english(qtbot, english_window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel

    w = english_window
    assert w.windowTitle().startswith("Cash desk")
    assert w.search.placeholderText().startswith("Search:")
    assert w.empty.text() == "Pick a record in the list or type a query."
    assert w.buttons["cash"].text() == "Cash (F6)"
    assert w.buttons["card"].text() == "Card payment (F7)"
    assert w.user_label.text() == "Not signed in"
    assert w.desk_label.text() == "Desk: test-desk"
    headers = [w.model.headerData(i, Qt.Orientation.Horizontal) for i in range(w.model.columnCount())]
    assert headers == ["Kind", "Number", "Owner / tourist", "Amount", "Address / tour", "Matched by"]
    assert {"File", "Tools", "View"} <= set(_menu_titles(w))
    assert w.language_actions["en"].isChecked() and not w.language_actions["ru"].isChecked()
    # A search and the account card it opens speak English too (the data stays as it is); searching
    # needs a signed-in user (issue 11 §7).
    from tests.test_ledger import ctx_for

    w.set_user(ctx_for(w.ctx.db).user)
    assert w.user_label.text().startswith("User: ")
    w.search.setText("dem001")
    qtbot.waitUntil(lambda: w.hint.text() == "Found: 1", timeout=5000)
    qtbot.waitUntil(lambda: w.current is not None, timeout=5000)
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


def test_domain_labels_shown_in_the_ui_have_english() -> None:
    """Tour types, statuses, payment methods and roles come from the domain in Russian; the views
    pass them through tr(), so each needs an English entry."""
    from cashier_app.domain.accounts import BLOCK_STATE_LABELS
    from cashier_app.domain.tours import BOOKING_STATUS_LABELS, PAYMENT_METHOD_LABELS, TOUR_TYPE_LABELS
    from cashier_app.i18n import EN
    from cashier_app.services.cards import METHOD_LABELS, STATUS_LABELS
    from cashier_app.services.permissions import ROLE_LABELS

    labels = [*TOUR_TYPE_LABELS.values(), *BOOKING_STATUS_LABELS.values(), *PAYMENT_METHOD_LABELS.values(),
              *BLOCK_STATE_LABELS.values(), *METHOD_LABELS.values(), *STATUS_LABELS.values(), *ROLE_LABELS.values()]
    missing = [label for label in labels if label not in EN]
    assert missing == []
