"""``cashier-app receipt | receipts | reprint | documents``: payment documents, headless.

A refused rule exits with code 2 and the reasons on stderr, one per line; no
file is written then (the PDF goes through a temp file moved into place).
"""

from __future__ import annotations

import argparse
import sys

from cashier_app.commands import (
    add_as_arg,
    add_db_arg,
    check_output_path,
    cli_context,
    open_db,
    parse_date,
    print_json,
)
from cashier_app.domain.errors import RuleViolation, ValidationError
from cashier_app.i18n import ntr, tr

EXIT_REFUSED = 2


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("receipt", help=tr("документ на оплату: ПД-4, ф. 112ЭП, информационный лист, счёт"))
    r.add_argument("kind", choices=("pd4", "post112", "info", "invoice"))
    target = r.add_mutually_exclusive_group(required=True)
    target.add_argument("--account", metavar=tr("НОМЕР"), help=tr("лицевой счёт"))
    target.add_argument("--booking", metavar=tr("НОМЕР"), help=tr("заявка"))
    r.add_argument("--amount", metavar=tr("РУБ"), help=tr("сумма в рублях (по умолчанию — к оплате)"))
    r.add_argument("--method", choices=("contact", "euroset"), help=tr("для info: CONTACT или «Евросеть»"))
    r.add_argument("--payer-name", metavar=tr("ФИО"))
    r.add_argument("--payer-address", metavar=tr("АДРЕС"), help=tr("адрес одной строкой: печатается как "
                                                                   "введён"))
    r.add_argument("--payer-index", metavar=tr("ИНДЕКС"))
    r.add_argument("--payer-region", metavar=tr("РЕГИОН"))
    r.add_argument("--payer-city", metavar=tr("ГОРОД"))
    r.add_argument("--payer-street", metavar=tr("УЛИЦА"))
    r.add_argument("--payer-house", metavar=tr("ДОМ"))
    r.add_argument("--payer-flat", metavar=tr("КВ"))
    r.add_argument("--payer-inn", metavar=tr("ИНН"), help=tr("ИНН плательщика, 10 или 12 цифр с "
                                                             "контрольными (PayerINN)"))
    r.add_argument("--buyer-name", metavar=tr("НАИМЕНОВАНИЕ"), help=tr("для счёта: организация-плательщик"))
    r.add_argument("--buyer-inn", metavar=tr("ИНН"), help=tr("для счёта: ИНН организации"))
    r.add_argument("--date", help=tr("дата документа и курса, ГГГГ-ММ-ДД (по умолчанию — сегодня)"))
    r.add_argument("-o", "--output", required=True, metavar=tr("ФАЙЛ.pdf"))
    add_as_arg(r)
    r.add_argument("--json", action="store_true", help=tr("номер и сведения о документе в JSON"))
    add_db_arg(r)
    r.set_defaults(handler=run_receipt)

    b = sub.add_parser("receipts", help=tr("пачка квитанций ПД-4 (--debtors: всем с отрицательным балансом)"))
    b.add_argument("--debtors", action="store_true", required=True, help=tr("лицевые счета с отрицательным "
                                                                            "балансом"))
    b.add_argument("--payee", metavar=tr("КОД"), help=tr("только этот получатель (interra, dem, …)"))
    b.add_argument("--limit", type=int, metavar="N")
    b.add_argument("--workers", type=int, default=0, metavar="N", help=tr("процессов для отрисовки (0 — в "
                                                                          "этом)"))
    b.add_argument("--date", help=tr("дата квитанций, ГГГГ-ММ-ДД"))
    b.add_argument("-o", "--output", required=True, metavar=tr("ФАЙЛ.pdf"))
    add_as_arg(b)
    b.add_argument("--quiet", action="store_true", help=tr("без строки прогресса"))
    add_db_arg(b)
    b.set_defaults(handler=run_batch)

    p = sub.add_parser("reprint", help=tr("перепечатать документ из журнала (байт в байт)"))
    p.add_argument("number", metavar=tr("НОМЕР_ДОКУМЕНТА"))
    p.add_argument("-o", "--output", required=True, metavar=tr("ФАЙЛ.pdf"))
    add_as_arg(p)
    add_db_arg(p)
    p.set_defaults(handler=run_reprint)

    j = sub.add_parser("documents", help=tr("журнал документов (по счёту, заявке или весь)"))
    target = j.add_mutually_exclusive_group()
    target.add_argument("--account", metavar=tr("НОМЕР"))
    target.add_argument("--booking", metavar=tr("НОМЕР"))
    j.add_argument("--limit", type=int, default=200, metavar="N")
    j.add_argument("--json", action="store_true")
    add_as_arg(j)
    add_db_arg(j)
    j.set_defaults(handler=run_list)


def _check_output(path: str) -> None:
    """Refuse a bad -o before anything is journaled: a document must not exist only in the journal."""
    check_output_path(path, "-o")


def _write(path: str, pdf: bytes) -> None:
    from cashier_app.services.output_files import write_atomic

    # Whole or not at all; a full disk is one line naming the option.
    write_atomic(path, pdf, "-o")


def _refused(exc: RuleViolation) -> int:
    print(tr("cashier-app: документ не сформирован:"), file=sys.stderr)
    for reason in exc.reasons:
        print(f"  {reason}", file=sys.stderr)
    return EXIT_REFUSED


def run_receipt(args: argparse.Namespace) -> int:
    from cashier_app.domain.money import parse_amount
    from cashier_app.services import documents

    if args.kind == "info" and not args.method:
        raise ValidationError("--method", tr("для информационного листа укажите contact или euroset"))
    if args.method and args.kind != "info":
        raise ValidationError("--method", tr("нужен только для info"))
    amount = parse_amount(args.amount, "--amount") if args.amount is not None else None
    today = parse_date(args.date) if args.date else None  # None: the office's business day
    _check_output(args.output)
    payer = documents.PayerInput(
        full_name=args.payer_name, address=args.payer_address, postal_index=args.payer_index,
        region=args.payer_region, city=args.payer_city, street=args.payer_street, house=args.payer_house,
        flat=args.payer_flat, inn=args.payer_inn, buyer_name=args.buyer_name, buyer_inn=args.buyer_inn,
    )
    db = open_db(args)
    ctx = cli_context(db, args.login)
    try:
        doc = documents.issue(ctx, args.kind, account=args.account, booking=args.booking, amount_rub_minor=amount,
                              method=args.method, payer=payer, today=today)
    except RuleViolation as exc:
        return _refused(exc)
    _write(args.output, doc.pdf)
    info = {"number": doc.number, "kind": doc.kind, "sha256": doc.sha256, "file": args.output,
            "valid_until": doc.valid_until}
    if args.json:
        print_json(info)
    else:
        print(f"{doc.number}\t{doc.kind}\t{args.output}\t{doc.sha256}")
    return 0


def run_batch(args: argparse.Namespace) -> int:
    from cashier_app.services import documents

    if args.workers < 0:
        raise ValidationError("--workers", tr("нужно число ≥ 0"))
    today = parse_date(args.date) if args.date else None
    _check_output(args.output)
    db = open_db(args)
    ctx = cli_context(db, args.login)
    progress = None if args.quiet else documents.ProgressPrinter(sys.stderr)
    try:
        res = documents.debtors_batch(ctx, args.output, payee=args.payee, limit=args.limit, workers=args.workers,
                                      today=today, progress=progress)
    except RuleViolation as exc:
        return _refused(exc)
    except OSError as exc:  # a full disk half-way: the batch's temp file is gone and nothing was journaled
        from cashier_app.services.output_files import write_failed

        raise write_failed(args.output, "-o", exc) from None
    if res.count == 0:
        print(tr("cashier-app: должников нет — файл не создан"), file=sys.stderr)
        return 1
    count = ntr("{n} квитанция", "{n} квитанций", res.count)
    print(f"{res.number}\t{count}\t{tr('{pages} стр.', pages=res.pages)}\t{args.output}\t{res.sha256}")
    return 0


def run_reprint(args: argparse.Namespace) -> int:
    from cashier_app.services import documents

    _check_output(args.output)
    db = open_db(args)
    ctx = cli_context(db, args.login)
    doc = documents.reprint(ctx, args.number)
    _write(args.output, doc.pdf)
    print(f"{doc.number}\t{doc.kind}\t{args.output}\t{doc.sha256}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from cashier_app.domain.money import format_money
    from cashier_app.services import documents

    if not 1 <= args.limit <= 100_000:  # a database integer, not any Python int
        raise ValidationError("--limit", tr("нужно число от 1 до 100 000"))
    db = open_db(args)
    ctx = cli_context(db, args.login)
    lines = documents.journal_lines(ctx, account=args.account, booking=args.booking, limit=args.limit)
    for line in lines:
        if args.json:
            print_json({"number": line.number, "kind": line.kind, "amount_minor": line.amount_minor,
                        "currency": line.currency, "issued_at": line.issued_at, "valid_until": line.valid_until,
                        "desk": line.desk, "sha256": line.sha256})
        else:
            valid = tr("\tдо {valid_until:%d.%m.%Y}", valid_until=line.valid_until) if line.valid_until else ""
            print(f"{line.number}\t{line.issued_at:%d.%m.%Y %H:%M}\t{line.kind_label}\t"
                  f"{format_money(line.amount_minor, line.currency)}\t{line.desk}{valid}")
    return 0
