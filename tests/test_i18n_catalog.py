"""The catalog tool (``python -m cashier_app.i18n_catalog``) on a package and catalogs of its own."""

from __future__ import annotations

import gettext
import json
from pathlib import Path

import pytest

from cashier_app import i18n_catalog as cat

SOURCE = '''
from cashier_app.i18n import N_, ntr, tr

KINDS = {"a": N_("Касса"), "b": N_("Выход", context="audit")}


def show(n, label, y):
    tr("Вид", context="menu")
    tr("Вид")
    tr("Оплачено {amount}", amount=1)
    ntr("{n} квитанция", "{n} квитанций", n)
    tr(label)                       # marked elsewhere
    tr(KINDS.get(label, N_("Документ")))
    tr(f"Итого {y}")                # not a catalog message
'''


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "screen.py").write_text(SOURCE, "utf-8")
    return package, tmp_path / "locale"


def _entries(lang: str, locale: Path) -> dict[tuple[str, str], object]:
    return {cat._key(m): m.string for m in cat.read(lang, locale) if m.id}


def _json(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    return path


def test_extraction_reads_contexts_plurals_and_constants(project) -> None:  # type: ignore[no-untyped-def]
    package, _ = project
    extraction = cat.extract(package)
    found = {cat._key(m): m for m in extraction.catalog if m.id}
    assert set(found) == {("", "Касса"), ("audit", "Выход"), ("menu", "Вид"), ("", "Вид"),
                          ("", "Оплачено {amount}"), ("", "{n} квитанция"), ("", "Документ")}
    assert found[("", "{n} квитанция")].id == ("{n} квитанция", "{n} квитанций")
    assert found[("", "Касса")].locations == [("pkg/screen.py", 4)]
    assert len(extraction.problems) == 1 and "screen.py:14" in extraction.problems[0]


def test_update_keeps_translations_and_drops_obsolete(project) -> None:  # type: ignore[no-untyped-def]
    package, locale = project
    assert cat.update(package, locale) == {"ru": True, "en": True}
    ru = cat.read("ru", locale)
    assert ru.plural_forms == cat.RU_PLURAL_FORMS
    assert cat.po_path("ru", locale).read_text("utf-8").count(f'"Plural-Forms: {cat.RU_PLURAL_FORMS}\\n"') == 1
    # The source gives the Russian forms for 1 and 5; the 2–4 one is left to a person.
    assert _entries("ru", locale)[("", "{n} квитанция")] == ("{n} квитанция", "", "{n} квитанций")
    assert _entries("en", locale)[("", "{n} квитанция")] == ("", "")

    en = cat.read("en", locale)
    en.get("Касса").string = "Cash desk"
    en.get("Вид", "menu").string = "View"
    cat.write("en", en, locale)
    (package / "screen.py").write_text(SOURCE.replace('N_("Документ")', 'N_("Справка")'), "utf-8")
    cat.update(package, locale)
    entries = _entries("en", locale)
    assert entries[("", "Касса")] == "Cash desk" and entries[("menu", "Вид")] == "View"
    assert ("", "Документ") not in entries and entries[("", "Справка")] == ""
    before = {lang: cat.po_path(lang, locale).read_bytes() for lang in ("ru", "en")}
    assert cat.update(package, locale) == {"ru": False, "en": False}  # nothing new: files untouched
    assert before == {lang: cat.po_path(lang, locale).read_bytes() for lang in ("ru", "en")}


def test_merge_is_idempotent_later_files_win_and_conflicts_are_told(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    package, locale = project
    cat.update(package, locale)
    h2 = _json(tmp_path / "h2.json", [
        {"msgid": "Касса", "en": "Till"},
        {"msgid": "Вид", "context": "menu", "en": "View"},
        {"msgid": "{n} квитанция", "msgid_plural": "{n} квитанций", "en": ["{n} receipt", "{n} receipts"],
         "ru": ["{n} квитанция", "{n} квитанции", "{n} квитанций"]},
        {"msgid": "Оплачено {amount}", "en": "Paid {sum}"},  # placeholders differ: left out
    ])
    h3 = _json(tmp_path / "h3.json", [{"msgid": "Касса", "en": "Cash desk"}, {"msgid": "Вид", "en": "Type"}])
    report = cat.merge([h2, h3], locale, package)
    assert report.merged == 5 and len(report.conflicts) == 1 and "Cash desk" in report.conflicts[0]
    assert len(report.errors) == 1 and "Paid {sum}" in report.errors[0]
    en = _entries("en", locale)
    assert en[("", "Касса")] == "Cash desk" and en[("menu", "Вид")] == "View" and en[("", "Вид")] == "Type"
    assert en[("", "Оплачено {amount}")] == ""
    assert _entries("ru", locale)[("", "{n} квитанция")] == ("{n} квитанция", "{n} квитанции", "{n} квитанций")

    files = {lang: cat.po_path(lang, locale).read_bytes() for lang in ("ru", "en")}
    again = cat.merge([h2, h3], locale, package)
    assert files == {lang: cat.po_path(lang, locale).read_bytes() for lang in ("ru", "en")}
    assert again.changed == [] and len(again.conflicts) == 1


def test_merge_reports_broken_files_and_adds_msgids_the_code_lacks(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    package, locale = project
    cat.update(package, locale)
    bad = tmp_path / "h4.json"
    bad.write_text("[{", "utf-8")
    new = _json(tmp_path / "h5.json", [{"msgid": "Новое", "en": "New"}, {"en": "no msgid"}])
    report = cat.merge([bad, new], locale, package)
    assert report.added == 1 and len(report.errors) == 2 and report.not_in_code == ["'Новое'"]
    assert _entries("ru", locale)[("", "Новое")] == "" and _entries("en", locale)[("", "Новое")] == "New"
    assert any("Новое" in line for line in cat.check(package, locale)["obsolete"])
    cat.update(package, locale)  # not in the code: dropped
    assert ("", "Новое") not in _entries("en", locale)


def test_check_finds_each_kind_of_problem_and_compile_clears_the_stale_mo(project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    package, locale = project
    cat.update(package, locale)
    report = cat.check(package, locale)
    assert len(report["untranslated"]) == 7 and len(report["russian plurals"]) == 1
    assert len(report["stale .mo"]) == 2 and len(report["source"]) == 1

    full = [{"msgid": "Касса", "en": "Cash desk"}, {"msgid": "Вид", "context": "menu", "en": "View"},
            {"msgid": "Вид", "en": "Type"}, {"msgid": "Оплачено {amount}", "en": "Paid {amount}"},
            {"msgid": "Выход", "context": "audit", "en": "Signed out"},
            {"msgid": "Документ", "en": "Документ"},  # still Russian
            {"msgid": "Касса", "en": "Till “Касса”", "cyrillic_data": True},  # quotes Russian data on purpose
            {"msgid": "{n} квитанция", "msgid_plural": "{n} квитанций", "en": ["{n} receipt", "{n} receipts"],
             "ru": ["{n} квитанция", "{n} квитанции", "{n} квитанций"]}]
    cat.merge([_json(tmp_path / "h.json", full)], locale, package)
    cat.compile_all(locale)
    report = cat.check(package, locale)
    assert report["untranslated"] == [] and report["russian plurals"] == [] and report["stale .mo"] == []
    assert len(report["cyrillic"]) == 1 and "Документ" in report["cyrillic"][0]
    assert cat.CYRILLIC_DATA in cat.read("en", locale).get("Касса").flags

    with cat.mo_path("ru", locale).open("rb") as fp:
        ru = gettext.GNUTranslations(fp)
    assert [ru.ngettext("{n} квитанция", "{n} квитанций", n).format(n=n) for n in (1, 3, 11, 21)] == [
        "1 квитанция", "3 квитанции", "11 квитанций", "21 квитанция"]
    with cat.mo_path("en", locale).open("rb") as fp:
        en = gettext.GNUTranslations(fp)
    assert en.pgettext("menu", "Вид") == "View" and en.gettext("Вид") == "Type"

    (package / "screen.py").write_text(SOURCE + '\ntr("Ещё одна")\n', "utf-8")
    assert len(cat.check(package, locale)["missing"]) == 2  # in neither catalog
    en_catalog = cat.read("en", locale)
    en_catalog.get("Касса").string = "Till"
    cat.update(package, locale)  # keeps the flag
    assert cat.CYRILLIC_DATA in cat.read("en", locale).get("Касса").flags
    cat.write("en", en_catalog, locale)
    assert cat.check(package, locale)["stale .mo"] == ["en: run `python -m cashier_app.i18n_catalog compile`"]


def test_a_partial_russian_plural_is_not_compiled(project) -> None:  # type: ignore[no-untyped-def]
    # An empty 2–4 form in the .mo would show an empty text for 2 receipts; the source rule is better.
    package, locale = project
    cat.update(package, locale)
    cat.compile_all(locale)
    with cat.mo_path("ru", locale).open("rb") as fp:
        ru = gettext.GNUTranslations(fp)
    assert ru.ngettext("{n} квитанция", "{n} квитанций", 2) == "{n} квитанций"  # gettext's own fallback


def test_the_command_line(project, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    package, locale = project
    where = ["--package", str(package), "--locale-dir", str(locale)]
    assert cat.main([*where, "update"]) == 0
    assert cat.main([*where, "check"]) == 1
    out = capsys.readouterr().out
    assert "untranslated: 7" in out and "msgids: 7 (plurals: 1)" in out
    pot = tmp_path / "cashier.pot"
    assert cat.main([*where, "extract", "-o", str(pot)]) == 0
    assert 'msgctxt "menu"' in pot.read_text("utf-8")
    assert cat.main([*where, "compile"]) == 0 and cat.mo_path("en", locale).exists()
