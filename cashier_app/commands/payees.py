"""``cashier-app payees``: payees' requisites and card gateways, headless.

The gateway secret is read from stdin (``--secret-stdin``), never from the
command line: argv is visible to every user of the machine (``ps``) and lands
in shell history.
"""

from __future__ import annotations

import argparse
import sys

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, print_json
from cashier_app.domain.errors import NotFound, RuleViolation, ValidationError
from cashier_app.services.payees import F_SECRET, PayeeProblems

EXIT_REFUSED = 2

# option → PayeeInput field
_FIELDS = (
    ("name", "--name", "наименование (до 160 знаков)"),
    ("inn", "--inn", "ИНН, 10 или 12 цифр"),
    ("kpp", "--kpp", "КПП, 9 знаков (у ИП пусто: --kpp '')"),
    ("account", "--account", "расчётный счёт, 20 цифр"),
    ("bank_name", "--bank-name", "банк (до 45 знаков)"),
    ("bic", "--bic", "БИК, 9 цифр"),
    ("corr_account", "--corr-account", "корр. счёт банка, 20 цифр"),
    ("postal_index", "--postal-index", "почтовый индекс, 6 цифр"),
    ("address", "--address", "почтовый адрес"),
    ("purpose_template", "--purpose", "шаблон назначения: {account} (isp) или {booking} (travel)"),
    ("tech_code", "--tech-code", "TechCode: 09 интернет и ТВ, 11 туризм"),
    ("kind", "--kind", "isp или travel"),
)


def register(sub: argparse._SubParsersAction) -> None:
    root = sub.add_parser("payees", help="получатели платежей: реквизиты и платёжные шлюзы")
    ps = root.add_subparsers(dest="payees_command", metavar="ДЕЙСТВИЕ", required=True)

    p = ps.add_parser("list", help="список получателей")
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_list)

    p = ps.add_parser("show", help="реквизиты и шлюз получателя (секрет не показывается)")
    p.add_argument("code", metavar="КОД")
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_show)

    p = ps.add_parser("set", help="создать получателя (новый КОД) или изменить реквизиты (незаданные — без изменений)")
    p.add_argument("code", metavar="КОД", help="латинские строчные буквы, цифры, - и _")
    for dest, opt, text in _FIELDS:
        p.add_argument(opt, dest=dest, help=text)
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_set)

    p = ps.add_parser("gateway", help="платёжный шлюз получателя; секрет — только через --secret-stdin")
    p.add_argument("code", metavar="КОД")
    p.add_argument("--provider", required=True, help="sberbank, tbank, chronopay или none (отключить)")
    p.add_argument("--url", help="адрес шлюза, https://…")
    p.add_argument("--login", help="логин API / ключ терминала / product_id")
    p.add_argument("--ca-file", metavar="ФАЙЛ", help="доп. корневой сертификат PEM (например, Минцифры)")
    p.add_argument("--secret-stdin", action="store_true", help="прочитать пароль шлюза из стандартного ввода")
    p.add_argument("--return-url", metavar="URL",
                   help="страница, куда банк вернёт покупателя после оплаты (none — убрать)")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_gateway)


def _refused(exc: RuleViolation) -> int:
    for reason in exc.reasons:
        print(f"cashier-app: {reason}", file=sys.stderr)
    return EXIT_REFUSED


def run_list(args: argparse.Namespace) -> int:
    from cashier_app.services import payees

    db = open_db(args)
    for row in payees.list_payees(cli_context(db, args.login_as)):
        if args.json:
            print_json(row.as_json())
        else:
            gw = f"{row.gateway_provider} {row.gateway_base_url}" if row.gateway_provider else "шлюз не настроен"
            print(f"{row.code}\t{row.kind}\t{row.name}\tИНН {row.inn}\t{gw}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from cashier_app.services import payees
    from cashier_app.services.permissions import allowed

    db = open_db(args)
    ctx = cli_context(db, args.login_as)
    row = payees.get(ctx, args.code)
    # Gateway details are the administrator's; others see the requisites only.
    status = payees.gateway_status(ctx, row.code) if ctx.user and allowed(ctx.user.role, "gateway_settings") else None
    if args.json:
        print_json({**row.as_json(), "gateway": status.as_json() if status else None})
        return 0
    labels = (("Код", row.code), ("Вид", row.kind), ("Наименование", row.name), ("ИНН", row.inn),
              ("КПП", row.kpp or ""), ("Расчётный счёт", row.account), ("Банк", row.bank_name),
              ("БИК", row.bic), ("Корр. счёт", row.corr_account), ("Индекс", row.postal_index),
              ("Адрес", row.address), ("Назначение платежа", row.purpose_template), ("TechCode", row.tech_code))
    for label, value in labels:
        print(f"{label}: {value}")
    if status is not None:
        print(f"Шлюз: {status.provider or 'не настроен'}")
        if status.provider:
            print(f"Адрес шлюза: {status.base_url}")
            print(f"Логин / терминал: {status.login}")
            print(f"Файл сертификата: {status.ca_file or '—'}")
            print(f"Секрет: {status.secret_text}")
    return 0


def run_set(args: argparse.Namespace) -> int:
    from cashier_app.services import payees

    db = open_db(args)
    ctx = cli_context(db, args.login_as)
    given = {dest: getattr(args, dest) for dest, _, _ in _FIELDS if getattr(args, dest) is not None}
    try:
        current = payees.get(ctx, args.code).as_json()
    except NotFound:
        current = {}
    values = {dest: given.get(dest, current.get(dest) or "") for dest, _, _ in _FIELDS}
    try:
        res = payees.save_payee(ctx, payees.PayeeInput(code=args.code, **values), create=not current)
    except PayeeProblems as exc:
        return _refused(exc)
    what = "создан" if res.created else ("изменён" if res.changed else "без изменений")
    print(f"{res.payee.code}\t{what}\t{res.payee.name}")
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    from cashier_app.services import payees

    db = open_db(args)
    ctx = cli_context(db, args.login_as)
    provider = None if args.provider.strip().lower() in ("none", "") else args.provider
    secret: str | None = None
    if args.secret_stdin:
        # One line; the newline a shell or `echo` adds is not part of the password.
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            return _refused(RuleViolation(f"{F_SECRET}: пустой ввод — пароль не задан"))
    try:
        status = payees.set_gateway(ctx, args.code, provider, args.url, args.login, args.ca_file, secret)
    except PayeeProblems as exc:
        return _refused(exc)
    if args.return_url is not None:
        from cashier_app.services.gateway_return import set_return_page

        try:
            page = set_return_page(ctx, status.code, None if args.return_url.strip().lower() in ("none", "")
                                   else args.return_url)
        except (ValidationError, NotFound) as exc:
            return _refused(RuleViolation(str(exc)))
        print(f"{status.code}\tстраница возврата: {page or 'не задана'}")
    if status.provider:
        print(f"{status.code}\t{status.provider}\t{status.base_url}\tсекрет: {status.secret_text}")
    else:
        print(f"{status.code}\tшлюз отключён")
    return 0
