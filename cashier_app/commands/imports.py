"""``cashier-app import accounts|bookings FILE``: load a billing's subscribers or an operator's bookings (issue 14).

Exit codes: 0 done (or nothing to change); 2 refused — bad rows in an all-or-nothing import, a bad
file, no rights («импорт уже идёт» too); 3 a dry run that found bad rows.  ``--json``: one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cashier_app.commands import (
    EXIT_DONE_BUT,
    EXIT_REFUSED,
    add_as_arg,
    add_db_arg,
    cli_context,
    open_db,
    print_json,
)
from cashier_app.domain.errors import ValidationError

SHOWN_ERRORS = 20
COUNT_LABELS = {"rows": "строк", "created": "новых", "updated": "изменено", "unchanged": "без изменений",
                "closed": "закрыто", "reopened": "открыто снова", "bad": "с ошибками"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="загрузка лицевых счетов из биллинга или заявок туроператора (CSV/XLSX)")
    isub = p.add_subparsers(dest="import_cmd", metavar="ЧТО", required=True)
    a = isub.add_parser("accounts", help="лицевые счета провайдера из выгрузки биллинга")
    a.add_argument("file", metavar="ФАЙЛ", help=".csv (UTF-8 или windows-1251; ; , | или табуляция) или .xlsx")
    a.add_argument("--payee", required=True, metavar="КОД", help="код получателя (провайдера)")
    a.add_argument("--preset", default="generic", choices=("generic", "abills", "ubilling", "lanbilling"),
                   help="имена колонок биллинга (по умолчанию generic)")
    a.add_argument("--map", action="append", default=[], metavar="КОЛОНКА=поле",
                   help="колонка файла → поле (или «-», чтобы пропустить колонку); можно несколько раз")
    a.add_argument("--partial", action="store_true",
                   help="файл — не полная выгрузка: не закрывать счета, которых в нём нет")
    _common(a)
    a.set_defaults(handler=run_accounts)
    b = isub.add_parser("bookings", help="заявки туроператора (одна строка на туриста)")
    b.add_argument("file", metavar="ФАЙЛ")
    b.add_argument("--payee", metavar="КОД", help="код туроператора (если получателей-туроператоров несколько)")
    _common(b)
    b.set_defaults(handler=run_bookings)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="проверить файл и посчитать изменения, ничего не записывая")
    p.add_argument("--skip-bad", action="store_true",
                   help="загрузить хорошие строки, плохие записать в файл рядом (ФАЙЛ.rejected.csv)")
    p.add_argument("--json", action="store_true", help="одна строка JSON")
    add_db_arg(p)
    add_as_arg(p)


def parse_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        col, sep, field = item.partition("=")
        if not sep or not col.strip() or not field.strip():
            raise ValidationError("--map", f"«{item}»: нужно КОЛОНКА=поле")
        out[col.strip()] = field.strip()
    return out


def run_accounts(args: argparse.Namespace) -> int:
    from cashier_app.services.importing import accounts_import

    ctx = cli_context(open_db(args), args.login)
    rep = accounts_import.run(ctx, Path(args.file), payee_code=args.payee, preset=args.preset,
                              mapping=parse_map(args.map), dry_run=args.dry_run, skip_bad=args.skip_bad,
                              partial=args.partial)
    return _print(args, rep)


def run_bookings(args: argparse.Namespace) -> int:
    from cashier_app.services.importing import bookings_import

    ctx = cli_context(open_db(args), args.login)
    rep = bookings_import.run(ctx, Path(args.file), payee_code=args.payee, dry_run=args.dry_run,
                              skip_bad=args.skip_bad)
    return _print(args, rep)


def exit_code(rep) -> int:  # type: ignore[no-untyped-def]
    if rep.bad_total and rep.dry_run:
        return EXIT_DONE_BUT
    if rep.bad_total and not rep.skipped_report:
        return EXIT_REFUSED  # all-or-nothing: the bad rows refused the whole file
    if rep.cancelled:
        return EXIT_REFUSED
    return 0


def error_line(e) -> str:  # type: ignore[no-untyped-def]
    return f"строка {e.line}, колонка {e.column}: {e.message}"


def _print(args: argparse.Namespace, rep) -> int:  # type: ignore[no-untyped-def]
    code = exit_code(rep)
    if args.json:
        print_json({"kind": rep.kind, "file": rep.file_name, "dry_run": rep.dry_run, "written": rep.written,
                    "same_file": rep.same_file, "run_id": rep.run_id, "skipped_report": rep.skipped_report,
                    **rep.counts(), "errors": [error_line(e) for e in rep.bad[:SHOWN_ERRORS]],
                    "warnings": rep.warnings, "exit": code})
        return code
    head = "Проверка файла" if rep.dry_run else "Импорт"
    print(f"{head} {rep.file_name}:")
    for key, value in rep.counts().items():
        print(f"  {COUNT_LABELS[key]:<16}{value:>10}")
    for e in rep.bad[:SHOWN_ERRORS]:
        print(f"  {error_line(e)}")
    if rep.bad_total > SHOWN_ERRORS:
        print(f"  … и ещё {rep.bad_total - SHOWN_ERRORS} ошибок")
    for w in rep.warnings:
        print(f"  {w}")
    if rep.skipped_report:
        print(f"  Строки с ошибками записаны в {rep.skipped_report}")
    if code == EXIT_REFUSED and rep.bad_total:
        print("  Ничего не загружено: исправьте строки или запустите с --skip-bad")
    elif rep.dry_run:
        print("  Пробный запуск: ничего не записано")
    elif not rep.changed and not rep.same_file:
        print("  Изменений нет")
    return code
