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
from cashier_app.i18n import N_, ntr, tr

SHOWN_ERRORS = 20
# Translated where shown.
COUNT_LABELS = {"rows": N_("строк"), "created": N_("новых"), "updated": N_("изменено"),
                "unchanged": N_("без изменений"), "closed": N_("закрыто"), "reopened": N_("открыто снова"),
                "bad": N_("с ошибками")}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help=tr("загрузка лицевых счетов из биллинга или заявок туроператора "
                                         "(CSV/XLSX)"))
    isub = p.add_subparsers(dest="import_cmd", metavar=tr("ЧТО"), required=True)
    a = isub.add_parser("accounts", help=tr("лицевые счета провайдера из выгрузки биллинга"))
    a.add_argument("file", metavar=tr("ФАЙЛ"), help=tr(".csv (UTF-8 или windows-1251; ; , | или табуляция) "
                                                       "или .xlsx"))
    a.add_argument("--payee", required=True, metavar=tr("КОД"), help=tr("код получателя (провайдера)"))
    a.add_argument("--preset", default="generic", choices=("generic", "abills", "ubilling", "lanbilling"),
                   help=tr("имена колонок биллинга (по умолчанию generic)"))
    a.add_argument("--map", action="append", default=[], metavar=tr("КОЛОНКА=поле"),
                   help=tr("колонка файла → поле (или «-», чтобы пропустить колонку); можно несколько раз"))
    a.add_argument("--partial", action="store_true",
                   help=tr("файл — не полная выгрузка: не закрывать счета, которых в нём нет"))
    _common(a)
    a.set_defaults(handler=run_accounts)
    b = isub.add_parser("bookings", help=tr("заявки туроператора (одна строка на туриста)"))
    b.add_argument("file", metavar=tr("ФАЙЛ"))
    b.add_argument("--payee", metavar=tr("КОД"), help=tr("код туроператора (если получателей-туроператоров "
                                                         "несколько)"))
    _common(b)
    b.set_defaults(handler=run_bookings)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help=tr("проверить файл и посчитать изменения, ничего "
                                                             "не записывая"))
    p.add_argument("--skip-bad", action="store_true",
                   help=tr("загрузить хорошие строки, плохие записать в файл рядом (ФАЙЛ.rejected.csv)"))
    p.add_argument("--json", action="store_true", help=tr("одна строка JSON"))
    add_db_arg(p)
    add_as_arg(p)


def parse_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        col, sep, field = item.partition("=")
        if not sep or not col.strip() or not field.strip():
            raise ValidationError("--map", tr("«{item}»: нужно КОЛОНКА=поле", item=item))
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
    return tr("строка {line}, колонка {column}: {message}", line=e.line, column=e.column, message=e.message)


def _print(args: argparse.Namespace, rep) -> int:  # type: ignore[no-untyped-def]
    code = exit_code(rep)
    if args.json:
        print_json({"kind": rep.kind, "file": rep.file_name, "dry_run": rep.dry_run, "written": rep.written,
                    "same_file": rep.same_file, "run_id": rep.run_id, "skipped_report": rep.skipped_report,
                    **rep.counts(), "errors": [error_line(e) for e in rep.bad[:SHOWN_ERRORS]],
                    "warnings": rep.warnings, "exit": code})
        return code
    head = tr("Проверка файла") if rep.dry_run else tr("Импорт")
    print(f"{head} {rep.file_name}:")
    for key, value in rep.counts().items():
        print(f"  {tr(COUNT_LABELS[key]):<16}{value:>10}")
    for e in rep.bad[:SHOWN_ERRORS]:
        print(f"  {error_line(e)}")
    if rep.bad_total > SHOWN_ERRORS:
        print("  " + ntr("… и ещё {n} ошибка", "… и ещё {n} ошибок", rep.bad_total - SHOWN_ERRORS))
    for w in rep.warnings:
        print(f"  {w}")
    if rep.skipped_report:
        print(tr("  Строки с ошибками записаны в {skipped_report}", skipped_report=rep.skipped_report))
    if code == EXIT_REFUSED and rep.bad_total:
        print(tr("  Ничего не загружено: исправьте строки или запустите с --skip-bad"))
    elif rep.dry_run:
        print(tr("  Пробный запуск: ничего не записано"))
    elif not rep.changed and not rep.same_file:
        print(tr("  Изменений нет"))
    return code
