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
from cashier_app.i18n import N_, tr
from cashier_app.services.payees import F_SECRET, PayeeProblems

EXIT_REFUSED = 2

# option → PayeeInput field (help texts translated where the parser is built)
_FIELDS = (
    ("name", "--name", N_("наименование (до 160 знаков)")),
    ("inn", "--inn", N_("ИНН, 10 или 12 цифр")),
    ("kpp", "--kpp", N_("КПП, 9 знаков (у ИП пусто: --kpp '')")),
    ("account", "--account", N_("расчётный счёт, 20 цифр")),
    ("bank_name", "--bank-name", N_("банк (до 45 знаков)")),
    ("bic", "--bic", N_("БИК, 9 цифр")),
    ("corr_account", "--corr-account", N_("корр. счёт банка, 20 цифр")),
    ("postal_index", "--postal-index", N_("почтовый индекс, 6 цифр")),
    ("address", "--address", N_("почтовый адрес")),
    ("purpose_template", "--purpose", N_("шаблон назначения: {account} (isp) или {booking} (travel)")),
    ("tech_code", "--tech-code", N_("TechCode: 09 интернет и ТВ, 11 туризм")),
    ("kind", "--kind", N_("isp или travel")),
)


# option → FiscalInput field (``payees fiscal``)
_FISCAL_FIELDS = (
    ("group_code", "--group", N_("код группы АТОЛ Онлайн")),
    ("login", "--login", N_("логин АТОЛ Онлайн")),
    ("company_email", "--company-email", N_("e-mail организации для чеков")),
    ("company_inn", "--company-inn", N_("ИНН владельца ККТ (по умолчанию — ИНН получателя)")),
    ("tax_system", "--tax", N_("СНО: osn, usn_income, usn_income_outcome, esn, patent")),
    ("vat", "--vat", N_("НДС: none, vat0, vat5, vat7, vat10, vat20, vat105, vat107, vat110, vat120")),
    ("agent", "--agent", N_("признак агента: none, paying_agent, paying_subagent, commission_agent, attorney, another, …")),
    ("agent_operation", "--agent-operation", N_("операция платёжного агента (тег 1044)")),
    ("agent_phone", "--agent-phone", N_("телефон платёжного агента, +7XXXXXXXXXX (1073)")),
    ("operator_phone", "--operator-phone", N_("телефон оператора по приёму платежей (1074)")),
    ("supplier_name", "--supplier-name", N_("поставщик: наименование (1225)")),
    ("supplier_inn", "--supplier-inn", N_("поставщик: ИНН (1226)")),
    ("supplier_phone", "--supplier-phone", N_("поставщик: телефон (1171)")),
    ("payment_object", "--payment-object", N_("предмет расчёта: service, payment, agent_commission, another, commodity")),
    ("payment_method", "--payment-method", N_("способ расчёта: full_prepayment, prepayment, advance, full_payment")),
    ("item_name", "--item-name", N_("наименование позиции в чеке")),
    ("place", "--place", N_("место расчётов (адрес или сайт)")),
)


def register(sub: argparse._SubParsersAction) -> None:
    root = sub.add_parser("payees", help=tr("получатели платежей: реквизиты и платёжные шлюзы"))
    ps = root.add_subparsers(dest="payees_command", metavar=tr("ДЕЙСТВИЕ"), required=True)

    p = ps.add_parser("list", help=tr("список получателей"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_list)

    p = ps.add_parser("show", help=tr("реквизиты и шлюз получателя (секрет не показывается)"))
    p.add_argument("code", metavar=tr("КОД"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_show)

    p = ps.add_parser("set", help=tr("создать получателя (новый КОД) или изменить реквизиты (незаданные — "
                                     "без изменений)"))
    p.add_argument("code", metavar=tr("КОД"), help=tr("латинские строчные буквы, цифры, - и _"))
    for dest, opt, text in _FIELDS:
        p.add_argument(opt, dest=dest, help=tr(text))
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_set)

    p = ps.add_parser("gateway", help=tr("платёжный шлюз получателя; секрет — только через --secret-stdin"))
    p.add_argument("code", metavar=tr("КОД"))
    p.add_argument("--provider", required=True, help=tr("sberbank, tbank, chronopay или none (отключить)"))
    p.add_argument("--url", help=tr("адрес шлюза, https://…"))
    p.add_argument("--login", help=tr("логин API / ключ терминала / product_id"))
    p.add_argument("--ca-file", metavar=tr("ФАЙЛ"), help=tr("доп. корневой сертификат PEM (например, "
                                                            "Минцифры)"))
    p.add_argument("--secret-stdin", action="store_true", help=tr("прочитать пароль шлюза из стандартного "
                                                                  "ввода"))
    p.add_argument("--return-url", metavar="URL",
                   help=tr("страница, куда банк вернёт покупателя после оплаты (none — убрать)"))
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_gateway)

    p = ps.add_parser("fiscal", help=tr("ККТ получателя и данные его чеков (без параметров — показать); "
                                     "пароль АТОЛ Онлайн — только через --password-stdin"))
    p.add_argument("code", metavar=tr("КОД"))
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--atol-web", metavar="URL", help=tr("ККТ АТОЛ через ATOL Web Server, например "
                                                           "http://127.0.0.1:16732"))
    mode.add_argument("--atol-online", metavar="URL", help=tr("АТОЛ Онлайн, "
                                                              "https://online.atol.ru/possystem/v5"))
    mode.add_argument("--none", action="store_true", help=tr("без ККТ: чеки не пробиваются"))
    p.add_argument("--password-stdin", action="store_true", help=tr("пароль АТОЛ Онлайн одной строкой со "
                                                                    "стандартного ввода"))
    for dest, opt, text in _FISCAL_FIELDS:
        p.add_argument(opt, dest=dest, help=tr(text))
    bank = p.add_mutually_exclusive_group()
    bank.add_argument("--card-by-bank", dest="card_by_bank", action="store_const", const=True,
                      help=tr("чеки по картам пробивает онлайн-касса банка (Т-Банк Receipt, Сбербанк "
                              "orderBundle)"))
    bank.add_argument("--no-card-by-bank", dest="card_by_bank", action="store_const", const=False)
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_fiscal)

    p = ps.add_parser("billing", help=tr("биллинг получателя (OSMP «check / pay»): адрес и диалект, --none — отключить; "
                                      "пароль — только через --password-stdin"))
    p.add_argument("code", metavar=tr("КОД"))
    bmode = p.add_mutually_exclusive_group(required=True)
    bmode.add_argument("--osmp", metavar="URL", help=tr("адрес OSMP биллинга, например "
                                                        "https://billing.example.ru/osmp"))
    bmode.add_argument("--none", action="store_true", help=tr("без биллинга: платежи в биллинг не передаются"))
    p.add_argument("--dialect", choices=("abills", "ubilling"), help=tr("abills или ubilling"))
    p.add_argument("--login", help=tr("логин биллинга (HTTP Basic), если нужен"))
    p.add_argument("--ca-file", metavar=tr("ФАЙЛ"), help=tr("доп. корневой сертификат PEM"))
    p.add_argument("--password-stdin", action="store_true", help=tr("пароль биллинга одной строкой со "
                                                                    "стандартного ввода"))
    p.add_argument("--json", action="store_true")
    add_db_arg(p)
    add_as_arg(p, dest="login_as")
    p.set_defaults(handler=run_billing)


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
            gw = f"{row.gateway_provider} {row.gateway_base_url}" if row.gateway_provider else tr("шлюз не "
                                                                                                  "настроен")
            print(f"{row.code}\t{row.kind}\t{row.name}\t{tr('ИНН {inn}', inn=row.inn)}\t{gw}")
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
        print_json({**row.as_json(), "gateway": status.as_json() if status else None,
                    **({"billing": _billing_view(ctx, row.code)} if status is not None else {})})
        return 0
    labels = ((tr("Код"), row.code), (tr("Вид"), row.kind), (tr("Наименование"), row.name), (tr("ИНН"), row.inn),
              (tr("КПП"), row.kpp or ""), (tr("Расчётный счёт"), row.account), (tr("Банк"), row.bank_name),
              (tr("БИК"), row.bic), (tr("Корр. счёт"), row.corr_account), (tr("Индекс"), row.postal_index),
              (tr("Адрес"), row.address), (tr("Назначение платежа"), row.purpose_template), ("TechCode", row.tech_code))
    for label, value in labels:
        print(f"{label}: {value}")
    if status is not None:
        print(tr("Шлюз: {provider}", provider=status.provider or tr("не настроен")))
        if status.provider:
            print(tr("Адрес шлюза: {base_url}", base_url=status.base_url))
            print(tr("Логин / терминал: {login}", login=status.login))
            print(tr("Файл сертификата: {path}", path=status.ca_file or "—"))
            print(tr("Секрет: {secret_text}", secret_text=status.secret_text))
    if status is not None:
        print(tr("Биллинг: {ctx}", ctx=_billing_text(ctx, row.code)))
    return 0


def _billing_text(ctx, code: str) -> str:  # type: ignore[no-untyped-def]
    from cashier_app.services.billing import settings as bs

    with ctx.db.read() as uow:
        pid = uow.session.execute(select_payee_id(code)).scalar_one()
        view = bs.get_view(uow.session, pid)
    if view is None:
        return tr("не подключён")
    who = tr(", логин {login}", login=view["login"]) if view["login"] else ""
    secret = tr(", пароль задан") if view["password_set"] else ""
    label = bs.DIALECT_LABELS.get(view["dialect"])
    return f"OSMP {tr(label) if label else view['dialect']} {view['url']}{who}{secret}"


def _billing_view(ctx, code: str):  # type: ignore[no-untyped-def]
    from cashier_app.services.billing import settings as bs

    with ctx.db.read() as uow:
        return bs.get_view(uow.session, uow.session.execute(select_payee_id(code)).scalar_one())


def select_payee_id(code: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from cashier_app.storage import models as m

    return select(m.Payee.id).where(m.Payee.code == code)


def run_billing(args: argparse.Namespace) -> int:
    from cashier_app.services.billing import settings as bs

    db = open_db(args)
    ctx = cli_context(db, args.login_as)
    if args.none:
        bs.disable(ctx, args.code)
        print_json({"payee": args.code, "billing": None}) if args.json else print(tr("{code}\tбиллинг "
                                                                                     "отключён",
                                                                                     code=args.code))
        return 0
    if not args.dialect:
        return _refused(RuleViolation(tr("{field}: укажите --dialect abills или ubilling",
                                         field=tr(bs.F_DIALECT))))
    password: str | None = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            return _refused(RuleViolation(tr("{field}: пустой ввод — пароль не задан", field=tr(bs.F_PASSWORD))))
    try:
        view = bs.configure(ctx, args.code, url=args.osmp, dialect=args.dialect, login=args.login,
                            password=password, ca_file=args.ca_file)
    except ValidationError as exc:
        return _refused(RuleViolation(str(exc)))
    if args.json:
        print_json({"payee": args.code, "billing": view})
    else:
        print(tr("{code}\tбиллинг: {ctx}", code=args.code, ctx=_billing_text(ctx, args.code)))
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
    what = tr("создан") if res.created else (tr("изменён") if res.changed else tr("без изменений"))
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
            return _refused(RuleViolation(tr("{field}: пустой ввод — пароль не задан", field=tr(F_SECRET))))
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
        print(tr("{code}\tстраница возврата: {page}", code=status.code, page=page or tr("не задана")))
    if status.provider:
        print(f"{status.code}\t{status.provider}\t{status.base_url}\t{tr('секрет: {secret}', secret=status.secret_text)}")
    else:
        print(tr("{code}\tшлюз отключён", code=status.code))
    return 0


def _print_fiscal(code: str, data: dict, as_json: bool) -> None:  # type: ignore[type-arg]
    if as_json:
        print_json(data)
        return
    from cashier_app.services.fiscal_settings import MODE_LABELS

    label = MODE_LABELS.get(data.get("mode") or "")
    mode = tr(label) if label else data.get("mode")
    print(f"{code}\t{tr('ККТ: {mode}', mode=mode)}\t{data.get('url') or ''}")
    for key, value in data.items():
        if key not in ("payee", "mode", "url") and value not in (None, ""):
            print(f"  {key}: {value}")


def run_fiscal(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_settings as fs

    db = open_db(args)
    ctx = cli_context(db, args.login_as)
    mode = url = None
    if args.none:
        mode = "none"
    elif args.atol_web:
        mode, url = "atol_web", args.atol_web
    elif args.atol_online:
        mode, url = "atol_online", args.atol_online
    password: str | None = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            return _refused(RuleViolation(tr("{field}: пустой ввод — пароль не задан", field=tr(fs.F_PASSWORD))))
    fields = {dest: getattr(args, dest) for dest, _, _ in _FISCAL_FIELDS if getattr(args, dest) is not None}
    if mode is None and not fields and password is None and args.card_by_bank is None:
        _print_fiscal(args.code, fs.view(ctx, args.code).as_json(), args.json)
        return 0
    data = fs.FiscalInput(mode=mode, url=url, password=password, card_by_bank=args.card_by_bank, **fields)
    try:
        fs.save(ctx, args.code, data)
    except PayeeProblems as exc:
        return _refused(exc)
    except ValidationError as exc:
        return _refused(RuleViolation(str(exc)))
    _print_fiscal(args.code, fs.view(ctx, args.code).as_json(), args.json)
    return 0
