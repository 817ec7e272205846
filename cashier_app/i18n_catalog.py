"""The gettext catalogs of ``cashier_app.i18n``: extract, update, merge, compile, check (Babel; no Qt).

Usage (from the repository root; Babel is a test/dev dependency, never needed at run time)::

    python -m cashier_app.i18n_catalog extract [-o cashier.pot]  # the template, to stdout by default
    python -m cashier_app.i18n_catalog merge /tmp/i18n/h*.json    # helpers' English (and Russian forms)
    python -m cashier_app.i18n_catalog update   # both .po follow the code: new msgids, obsolete dropped
    python -m cashier_app.i18n_catalog compile  # .po -> .mo (commit both)
    python -m cashier_app.i18n_catalog check    # exit status 1 if anything is missing or wrong

After changing strings in the code: ``update``, translate the new entries in
``cashier_app/locale/en/LC_MESSAGES/cashier.po`` (and the 2–4 form of every new Russian
plural in ``ru/…/cashier.po``), ``compile``, ``check``.  To take in JSON files:
``merge FILE.json… && update && compile && check`` (``merge`` is idempotent; later files win).

JSON format (a list): ``{"msgid": "Русский {x}", "en": "English {x}"}``, with ``"context": "menu"``
for ``tr(…, context=…)``; for ``ntr`` add ``"msgid_plural": "<form for 5>"``,
``"en": ["one", "other"]``, ``"ru": ["form for 1", "form for 2", "form for 5"]``.
``"cyrillic_data": true`` flags an English text that quotes Russian data on purpose (``#, cyrillic-data``
in en/…/cashier.po; ``check`` and the tests then accept its Cyrillic — keep those few).

Extraction walks ``cashier_app/**/*.py`` with ``ast`` — Babel's Python extractor cannot
read the ``context=`` keyword — and collects the literal first argument of ``tr``/``N_``
and the two first ones of ``ntr``.  Russian is the source language: its catalog has empty
``msgstr`` except for plurals, which carry the three Russian forms.
"""

from __future__ import annotations

import argparse
import ast
import copy
import datetime
import gettext
import io
import json
import re
import string
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cashier_app.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

PACKAGE_DIR = Path(__file__).resolve().parent
MARKERS = {"tr": 1, "N_": 1, "ntr": 2}  # marker -> how many leading literal arguments are msgids
# Written out rather than Babel's own (equivalent) expression: the form translators know.
RU_PLURAL_FORMS = ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
                   "(n%100<10 || n%100>=20) ? 1 : 2);")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# An English message flagged so quotes Russian data on purpose (a column header an import file has).
CYRILLIC_DATA = "cyrillic-data"
HEADER_COMMENT = ("# {lang} catalog of cashier-app.\n"
                  "# Regenerate with `python -m cashier_app.i18n_catalog update`; see that module.\n#")

Key = tuple[str, str]  # (context, msgid)


# --- extraction ---------------------------------------------------------------------------


@dataclass
class Extraction:
    catalog: Catalog
    problems: list[str] = field(default_factory=list)  # marker calls whose text is not a literal


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _context(call: ast.Call) -> str | None:
    """The literal ``context=`` keyword ('' without one); None when it is not a literal."""
    for kw in call.keywords:
        if kw.arg == "context":
            return _literal(kw.value)
    return ""


def marker_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MARKERS:
            yield node


def source_files(package: Path = PACKAGE_DIR) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def extract(package: Path = PACKAGE_DIR) -> Extraction:
    """Every marked message of the package, as a Babel template catalog."""
    template = Catalog(domain=DOMAIN, project="cashier-app", fuzzy=False)
    problems: list[str] = []
    for path in source_files(package):
        where = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for call in marker_calls(tree):
            name = call.func.id  # type: ignore[attr-defined]
            count = MARKERS[name]
            texts = [_literal(arg) for arg in call.args[:count]]
            context = _context(call)
            if len(texts) < count or None in texts or context is None:
                # tr(variable) translates a string marked elsewhere with N_(); anything else that
                # builds the text here (an f-string, "…".format(), "a" + b) cannot be in a catalog.
                if context is None or any(t is not None for t in texts) or any(
                        _builds_text(arg) for arg in call.args[:count]):
                    problems.append(f"{where}:{call.lineno}: {name}() needs literal text and context "
                                    f"(no f-string, no .format inside): {ast.unparse(call)[:90]}")
                continue
            msgid: str | tuple[str, str] = texts[0] if count == 1 else (texts[0], texts[1])  # type: ignore[assignment]
            template.add(msgid, locations=[(where, call.lineno)], context=context or None)
    return Extraction(template, problems)


def _builds_text(node: ast.AST) -> bool:
    """An f-string, ``"…" + x``, ``"…" % x`` or ``"…".format()``: text made here, unknown to a catalog.

    (``tr(LABELS.get(key, N_("…")))`` is fine: the literal is marked on its own.)
    """
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return any(_builds_text(side) or (isinstance(side, ast.Constant) and isinstance(side.value, str))
                   for side in (node.left, node.right))
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str))


# --- catalogs on disk ---------------------------------------------------------------------


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return po_path(lang, locale_dir).with_suffix(".mo")


def new_catalog(lang: str) -> Catalog:
    catalog = Catalog(locale=lang, domain=DOMAIN, project="cashier-app", version="0.1",
                      header_comment=HEADER_COMMENT.format(lang=lang), fuzzy=False,
                      last_translator="cashier-app", language_team=f"{lang} <cashier-app>")
    if lang == "ru":
        catalog.mime_headers = [("Plural-Forms", RU_PLURAL_FORMS)]
    return catalog


def read(lang: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    path = po_path(lang, locale_dir)
    if not path.exists():
        return new_catalog(lang)
    with path.open("rb") as fp:
        return read_po(fp, locale=lang, domain=DOMAIN, abort_invalid=True)


def render_po(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    # Sorted, no line numbers, no obsolete entries: a code change elsewhere does not churn the file.
    # Unwrapped, so a message is one line in a diff.
    write_po(buf, catalog, width=0, sort_output=True, ignore_obsolete=True, include_lineno=False)
    return buf.getvalue()


def write(lang: str, catalog: Catalog, locale_dir: Path = LOCALE_DIR) -> bool:
    """Writes the .po if its content changed (the revision date alone is no change); True if written."""
    path = po_path(lang, locale_dir)
    old = path.read_bytes() if path.exists() else b""
    if render_po(catalog) == old:
        return False
    catalog.revision_date = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_po(catalog))
    return True


def complete(message: Message) -> bool:
    """Every form translated (a partial plural would give an empty text for some counts)."""
    forms = message.string if isinstance(message.string, list | tuple) else [message.string]
    return all(forms) and not message.fuzzy


def compile_bytes(catalog: Catalog) -> bytes:
    """The .mo of ``catalog``: only complete, non-fuzzy messages; the others fall back to the source."""
    flagged = [m for m in catalog if m.id and not m.fuzzy and not complete(m)]
    for message in flagged:
        message.flags.add("fuzzy")  # write_mo leaves fuzzy messages out
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    for message in flagged:
        message.flags.discard("fuzzy")
    return buf.getvalue()


def mo_current(catalog: Catalog, path: Path) -> bool:
    """The .mo holds what ``catalog`` compiles to (its header's Babel version and dates aside)."""
    if not path.exists():
        return False
    fresh = gettext.GNUTranslations(io.BytesIO(compile_bytes(catalog)))
    with path.open("rb") as fp:
        stored = gettext.GNUTranslations(fp)
    messages = [{k: v for k, v in t._catalog.items() if k != ""} for t in (stored, fresh)]  # type: ignore[attr-defined]
    return messages[0] == messages[1] and stored.info().get("plural-forms") == fresh.info().get("plural-forms")


# --- commands -----------------------------------------------------------------------------


def _prefill_russian_plurals(catalog: Catalog) -> None:
    # The source gives the forms for 1 and 5; only the 2–4 form is left for a person to write.
    for message in catalog:
        if message.id and message.pluralizable:
            forms = list(message.string) + [""] * (3 - len(message.string))
            forms[0] = forms[0] or message.id[0]
            forms[2] = forms[2] or message.id[1]
            message.string = tuple(forms[:3])


def update(package: Path = PACKAGE_DIR, locale_dir: Path = LOCALE_DIR) -> dict[str, bool]:
    """Both catalogs follow the code: new msgids added, obsolete ones dropped, translations kept."""
    template = extract(package).catalog
    written = {}
    for lang in LANGUAGES:
        catalog = read(lang, locale_dir)
        # A copy each: Catalog.update adopts the template's Message objects, which the Russian
        # prefill below would otherwise change in the English catalog too.
        catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_creation_date=False)
        if lang == SOURCE_LANGUAGE:
            _prefill_russian_plurals(catalog)
        written[lang] = write(lang, catalog, locale_dir)
    return written


def compile_all(locale_dir: Path = LOCALE_DIR) -> dict[str, bool]:
    written = {}
    for lang in LANGUAGES:
        data = compile_bytes(read(lang, locale_dir))
        path = mo_path(lang, locale_dir)
        written[lang] = not path.exists() or path.read_bytes() != data
        if written[lang]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return written


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def form_problems(msgid: str | Sequence[str], forms: str | Sequence[str]) -> list[str]:
    """Placeholder or Cyrillic problems of English ``forms`` (a string, or one per plural form)."""
    out = []
    ids = [msgid] if isinstance(msgid, str) else list(msgid)
    for i, form in enumerate([forms] if isinstance(forms, str) else list(forms)):
        if not form:
            continue
        source = ids[min(i, len(ids) - 1)]
        try:
            if placeholders(form) != placeholders(source):
                out.append(f"placeholders differ: {source!r} -> {form!r}")
        except ValueError as exc:
            out.append(f"bad braces in {form!r}: {exc}")
    return out


def _key(message: Message) -> Key:
    msgid = message.id[0] if message.pluralizable else message.id
    return (message.context or "", msgid)


def _label(key: Key) -> str:
    return f"{key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "")


def check(package: Path = PACKAGE_DIR, locale_dir: Path = LOCALE_DIR) -> dict[str, list[str]]:
    """Everything wrong with the catalogs, by kind (empty lists when all is well)."""
    extraction = extract(package)
    source = {_key(m): m for m in extraction.catalog if m.id}
    report: dict[str, list[str]] = {
        "source": list(extraction.problems), "missing": [], "untranslated": [], "placeholders": [],
        "cyrillic": [], "russian plurals": [], "obsolete": [], "stale .mo": [],
    }
    for lang in LANGUAGES:
        catalog = read(lang, locale_dir)
        entries = {_key(m): m for m in catalog if m.id}
        report["missing"] += [f"{lang}: {_label(k)} at {m.locations[0][0]}" for k, m in source.items()
                              if k not in entries]
        report["obsolete"] += [f"{lang}: {_label(k)}" for k in entries if k not in source]
        for key, message in sorted(entries.items()):
            if source.get(key) is not None and source[key].pluralizable != message.pluralizable:
                report["missing"].append(f"{lang}: {_label(key)} is a plural in one place only")
            if lang == SOURCE_LANGUAGE:
                if message.pluralizable and not complete(message):
                    report["russian plurals"].append(f"{_label(key)}: forms {list(message.string)}")
                if message.pluralizable:
                    report["placeholders"] += [f"ru: {p}" for p in form_problems(message.id, message.string)]
                continue
            if not complete(message):
                report["untranslated"].append(f"{lang}: {_label(key)}")
            report["placeholders"] += [f"{lang}: {p}" for p in form_problems(message.id, message.string)]
            forms = message.string if message.pluralizable else [message.string]
            if CYRILLIC_DATA not in message.flags and any(CYRILLIC.search(f or "") for f in forms):
                report["cyrillic"].append(f"{lang}: {_label(key)} -> {message.string!r}")
        if not mo_current(catalog, mo_path(lang, locale_dir)):
            report["stale .mo"].append(f"{lang}: run `python -m cashier_app.i18n_catalog compile`")
    return report


# --- merging the helpers' JSON --------------------------------------------------------------


@dataclass
class MergeReport:
    merged: int = 0  # entries taken in
    added: int = 0  # msgids the catalogs did not have yet (`update` drops them if the code lacks them)
    changed: list[str] = field(default_factory=list)  # an existing translation replaced
    conflicts: list[str] = field(default_factory=list)  # two entries disagree (the later one won)
    warnings: list[str] = field(default_factory=list)  # merged, but worth a look
    not_in_code: list[str] = field(default_factory=list)  # merged, but `update` drops them unless the code has them
    errors: list[str] = field(default_factory=list)  # entries left out


def _entry_forms(entry: dict[str, object], name: str, count: int) -> tuple[str, ...] | str | None:
    value = entry.get(name)
    if value is None:
        return None
    if count == 1:
        if not isinstance(value, str):
            raise ValueError(f"{name!r} must be a string")
        return value
    if not (isinstance(value, list) and len(value) == count and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{name!r} must be a list of {count} strings")
    return tuple(value)


def _set(catalog: Catalog, msgid: str | tuple[str, str], context: str, value: object | None) -> tuple[bool, object]:
    """Puts ``value`` (None: only the msgid) in the catalog; (whether the msgid is new, the value it had)."""
    message = catalog.get(msgid, context or None)
    fresh = message is None
    if message is None or message.pluralizable != isinstance(msgid, tuple):
        catalog.delete(msgid, context or None)
        empty = tuple("" for _ in range(catalog.num_plurals)) if isinstance(msgid, tuple) else ""
        message = catalog.add(msgid, string=empty, context=context or None)
    old = message.string
    if value is not None:
        message.string = value
        message.flags.discard("fuzzy")
    return fresh, old


@dataclass
class _Entry:
    msgid: str | tuple[str, str]
    context: str
    values: dict[str, str | tuple[str, ...] | None]
    where: str
    cyrillic_data: bool = False


def _parse_entry(entry: dict[str, object], where: str, report: MergeReport) -> _Entry:
    msgid, plural, context = entry["msgid"], entry.get("msgid_plural"), entry.get("context") or ""
    if not isinstance(msgid, str) or not msgid or not isinstance(context, str):
        raise ValueError("msgid must be a non-empty string, context a string")
    if plural is not None and not isinstance(plural, str):
        raise ValueError("msgid_plural must be a string")
    full: str | tuple[str, str] = (msgid, plural) if plural else msgid
    values = {"en": _entry_forms(entry, "en", 2 if plural else 1),
              "ru": _entry_forms(entry, "ru", 3) if plural else None}
    problems = [p for lang in ("en", "ru") if values[lang] for p in form_problems(full, values[lang])]
    if problems:
        raise ValueError("; ".join(problems))
    ru = values["ru"]
    if plural and ru is not None and (ru[0] != msgid or ru[2] != plural):
        report.warnings.append(f"{where}: Russian forms {list(ru)} do not begin with msgid and end with "
                               f"msgid_plural")
    return _Entry(full, context, values, where, entry.get("cyrillic_data") is True)


def merge(paths: Iterable[Path], locale_dir: Path = LOCALE_DIR, package: Path = PACKAGE_DIR) -> MergeReport:
    """Takes the JSON files in; for one msgid the later entry wins.  Idempotent."""
    report = MergeReport()
    source = {_key(m): m for m in extract(package).catalog if m.id}
    msgids: dict[Key, str | tuple[str, str]] = {}
    cyrillic_data: set[Key] = set()
    final: dict[tuple[str, Key], tuple[object, str]] = {}  # (language, key) -> (text, which entry)
    for path in paths:
        try:
            entries = json.loads(Path(path).read_text("utf-8"))
            if not isinstance(entries, list):
                raise ValueError("not a JSON list")
        except (OSError, ValueError) as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        for i, raw in enumerate(entries):
            where = f"{Path(path).name}[{i}]"
            try:
                entry = _parse_entry(raw, where, report)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                report.errors.append(f"{where}: {exc}: {raw!r:.120}")
                continue
            key = (entry.context, entry.msgid[0] if isinstance(entry.msgid, tuple) else entry.msgid)
            msgids[key] = entry.msgid
            if entry.cyrillic_data:
                cyrillic_data.add(key)
            for lang, value in entry.values.items():
                if value is None:  # an entry without this language leaves an earlier one's text
                    continue
                earlier = final.get((lang, key))
                if earlier is not None and earlier[0] != value:
                    report.conflicts.append(f"{lang} {_label(key)}: {earlier[1]} {earlier[0]!r} -> {where} {value!r}")
                final[(lang, key)] = (value, where)
            report.merged += 1
    for key, msgid in msgids.items():
        if key not in source:
            report.not_in_code.append(_label(key))
        elif source[key].pluralizable != isinstance(msgid, tuple):
            report.warnings.append(f"{_label(key)}: {'a plural' if isinstance(msgid, tuple) else 'not a plural'} "
                                   f"here, the code says otherwise")
    catalogs = {lang: read(lang, locale_dir) for lang in LANGUAGES}
    for key, msgid in msgids.items():
        fresh_any = False
        for lang, catalog in catalogs.items():
            value, where = final.get((lang, key), (None, ""))
            fresh, old = _set(catalog, msgid, key[0], value)  # the msgid goes in both catalogs
            fresh_any |= fresh
            if value is not None and not fresh and old and all(old) and old != value:  # a text, not a prefill
                report.changed.append(f"{lang} {_label(key)}: {old!r} -> {value!r} ({where})")
        report.added += fresh_any
        if key in cyrillic_data:
            catalogs["en"].get(msgid, key[0] or None).flags.add(CYRILLIC_DATA)
    for lang, catalog in catalogs.items():
        write(lang, catalog, locale_dir)
    return report


# --- command line ---------------------------------------------------------------------------


def counts(locale_dir: Path = LOCALE_DIR) -> str:
    en = [m for m in read("en", locale_dir) if m.id]
    ru = [m for m in read(SOURCE_LANGUAGE, locale_dir) if m.id]
    plurals = sum(m.pluralizable for m in ru)
    return (f"msgids: {len(ru)} (plurals: {plurals}); English untranslated: "
            f"{sum(not complete(m) for m in en)}; Russian plurals incomplete: "
            f"{sum(m.pluralizable and not complete(m) for m in ru)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cashier_app.i18n_catalog", description=__doc__.split("\n")[0])
    parser.add_argument("--package", type=Path, default=PACKAGE_DIR, help="source to extract (default: cashier_app)")
    parser.add_argument("--locale-dir", type=Path, default=LOCALE_DIR, help="catalogs (default: cashier_app/locale)")
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="write the template (.pot) of every marked message")
    ex.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    sub.add_parser("update", help="add new msgids to both .po, drop obsolete ones")
    sub.add_parser("compile", help="compile both .po into .mo")
    sub.add_parser("check", help="report missing, untranslated or broken messages; status 1 if any")
    mg = sub.add_parser("merge", help="merge helpers' JSON files into both .po")
    mg.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    package, locale_dir = args.package.resolve(), args.locale_dir

    if args.command == "extract":
        extraction = extract(package)
        buf = io.BytesIO()
        write_po(buf, extraction.catalog, width=0, sort_output=True, include_lineno=False)
        if args.output:
            args.output.write_bytes(buf.getvalue())
        else:
            sys.stdout.buffer.write(buf.getvalue())
        print(f"{sum(1 for m in extraction.catalog if m.id)} messages", file=sys.stderr)
        for problem in extraction.problems:
            print(problem, file=sys.stderr)
        return 0
    if args.command == "update":
        for lang, written in update(package, locale_dir).items():
            print(f"{po_path(lang, locale_dir)}: {'updated' if written else 'unchanged'}")
        print(counts(locale_dir))
        return 0
    if args.command == "compile":
        for lang, written in compile_all(locale_dir).items():
            print(f"{mo_path(lang, locale_dir)}: {'written' if written else 'unchanged'}")
        return 0
    if args.command == "merge":
        merged = merge(args.files, locale_dir, package)
        print(f"merged {merged.merged} entries ({merged.added} new msgids)")
        for title, lines in (("replaced", merged.changed), ("conflicts (the later file won)", merged.conflicts),
                             ("warnings", merged.warnings), ("not in the code (yet)", merged.not_in_code),
                             ("left out", merged.errors)):
            if lines:
                print(f"{title}: {len(lines)}\n  " + "\n  ".join(lines))
        print(counts(locale_dir))
        return 1 if merged.errors else 0
    report = check(package, locale_dir)
    for kind, lines in report.items():
        if lines and kind != "obsolete":
            print(f"{kind}: {len(lines)}\n  " + "\n  ".join(lines[:200]))
    if report["obsolete"]:
        print(f"obsolete (run update): {len(report['obsolete'])}")
    print(counts(locale_dir))
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
