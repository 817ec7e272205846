"""``cashier-app users``: user administration and script tokens, headless.

Passwords never appear on the command line (``ps`` and shell history show
argv): ``users add`` and ``users password`` read the new password from a
prompt (typed twice) or, from a script, one line of stdin.  ``users token
issue`` prints a token once; only its hash is stored.
"""

from __future__ import annotations

import argparse

from cashier_app.commands import add_as_arg, add_db_arg, cli_context, open_db, print_json, read_new_password
from cashier_app.domain.errors import UserError, ValidationError
from cashier_app.domain.money import format_money, parse_amount
from cashier_app.i18n import tr


def _common(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    add_as_arg(p)
    p.add_argument("--json", action="store_true")


def register(sub: argparse._SubParsersAction) -> None:
    u = sub.add_parser("users", help=tr("пользователи: list, add, role, password, disable, enable, limit, "
                                        "token"))
    usub = u.add_subparsers(dest="users_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    ul = usub.add_parser("list")
    ua = usub.add_parser("add", help=tr("новый пользователь; пароль — с запроса или одной строкой со "
                                        "стандартного ввода"))
    ua.add_argument("user_login", metavar=tr("ЛОГИН"))
    ua.add_argument("--name", required=True)
    ua.add_argument("--role", required=True)
    ua.add_argument("--limit", metavar=tr("РУБ"))
    # Kept only to refuse it with a sentence: argparse's own "unrecognized" would not say why.
    ua.add_argument("--password", dest="password_arg", metavar="-", help=argparse.SUPPRESS)
    ur = usub.add_parser("role")
    ur.add_argument("user_login", metavar=tr("ЛОГИН"))
    ur.add_argument("role")
    up = usub.add_parser("password", help=tr("новый пароль (и снятие блокировки); пароль — с запроса или "
                                             "stdin"))
    up.add_argument("user_login", metavar=tr("ЛОГИН"))
    up.add_argument("password_arg", metavar="-", nargs="?", help=argparse.SUPPRESS)
    ud = usub.add_parser("disable")
    ud.add_argument("user_login", metavar=tr("ЛОГИН"))
    ue = usub.add_parser("enable")
    ue.add_argument("user_login", metavar=tr("ЛОГИН"))
    um = usub.add_parser("limit")
    um.add_argument("user_login", metavar=tr("ЛОГИН"))
    um.add_argument("amount", metavar=tr("РУБ|none"))
    for p in (ul, ua, ur, up, ud, ue, um):
        _common(p)
    u.set_defaults(handler=run_users)

    uf = usub.add_parser("fiscal", help=tr("ФИО и ИНН кассира для чеков (теги 1021, 1203); без параметров — "
                                           "показать"))
    uf.add_argument("user_login", metavar=tr("ЛОГИН"))
    uf.add_argument("--name", help=tr("ФИО как в чеке (пусто — ФИО пользователя)"))
    uf.add_argument("--inn", help=tr("ИНН кассира, 12 цифр (пусто — не печатать)"))
    _common(uf)
    uf.set_defaults(handler=run_fiscal)

    t = usub.add_parser("token", help=tr("токены для сценариев: issue, list, revoke"))
    tsub = t.add_subparsers(dest="token_cmd", metavar=tr("ДЕЙСТВИЕ"), required=True)
    ti = tsub.add_parser("issue", help=tr("выдать токен пользователю (показывается один раз)"))
    ti.add_argument("user_login", metavar=tr("ЛОГИН"))
    ti.add_argument("--label", default="", help=tr("для чего токен (например, «выгрузка 1С»)"))
    tl = tsub.add_parser("list", help=tr("токены (без самих токенов)"))
    tl.add_argument("user_login", metavar=tr("ЛОГИН"), nargs="?")
    trv = tsub.add_parser("revoke", help=tr("отозвать токен по номеру из list"))
    trv.add_argument("token_id", metavar=tr("НОМЕР"), type=int)
    for p in (ti, tl, trv):
        _common(p)
    t.set_defaults(handler=run_tokens)


def _no_password_in_argv(args: argparse.Namespace) -> None:
    if getattr(args, "password_arg", None) is not None:
        raise ValidationError(tr("Пароль"), tr("пароль не передаётся в командной строке (его видно в ps и истории): "
                                               "введите его на запрос или одной строкой на стандартный ввод"))


def run_users(args: argparse.Namespace) -> int:
    from cashier_app.services import users

    _no_password_in_argv(args)
    cmd = args.users_cmd

    def limit(text: str | None) -> int | None:
        if text is None or text.lower() in ("none", "нет", ""):  # i18n: data
            return None
        return parse_amount(text, tr("Лимит наличных"))

    lim = limit(args.limit) if cmd == "add" else (limit(args.amount) if cmd == "limit" else None)
    ctx = cli_context(open_db(args), args.login)
    if cmd == "list":
        rows = users.list_users(ctx)
    elif cmd == "add":
        rows = [users.add_user(ctx, args.user_login, args.name, args.role, read_new_password(tr("Пароль")), lim)]
    elif cmd == "role":
        rows = [users.set_role(ctx, args.user_login, args.role)]
    elif cmd == "password":
        rows = [users.reset_password(ctx, args.user_login, read_new_password(tr("Пароль")))]
    elif cmd in ("disable", "enable"):
        rows = [users.set_active(ctx, args.user_login, cmd == "enable")]
    elif cmd == "limit":
        rows = [users.set_cash_limit(ctx, args.user_login, lim)]
    else:  # pragma: no cover
        raise UserError(cmd)
    for r in rows:
        if args.json:
            print_json({"login": r.login, "full_name": r.full_name, "role": r.role, "active": r.active,
                        "locked_until": r.locked_until, "cash_limit_minor": r.cash_limit_minor})
        else:
            lim_text = format_money(r.cash_limit_minor) if r.cash_limit_minor is not None else tr("без "
                                                                                                  "лимита")
            print(f"{r.login}\t{r.role}\t{tr('активен') if r.active else tr('отключён')}\t{lim_text}\t{r.full_name}")
    return 0


def run_tokens(args: argparse.Namespace) -> int:
    from cashier_app.services import user_tokens

    ctx = cli_context(open_db(args), args.login)
    if args.token_cmd == "issue":
        issued = user_tokens.issue(ctx, args.user_login, args.label)
        if args.json:
            print_json({"id": issued.row.id, "login": issued.row.login, "token": issued.token})
        else:
            print(issued.token)
            print(tr("токен № {id} для «{login}» выдан; он показан один раз — передавайте его в CASHIER_TOKEN",
                     id=issued.row.id, login=issued.row.login), flush=True)
        return 0
    if args.token_cmd == "revoke":
        rows = [user_tokens.revoke(ctx, args.token_id)]
    else:
        rows = user_tokens.list_tokens(ctx, args.user_login)
    for r in rows:
        if args.json:
            print_json({"id": r.id, "login": r.login, "label": r.label, "created_at": r.created_at,
                        "last_used_at": r.last_used_at, "revoked_at": r.revoked_at})
        else:
            state = (tr("отозван {when:%Y-%m-%d %H:%M}", when=r.revoked_at.astimezone()) if r.revoked_at
                     else tr("действует"))
            used = f"{r.last_used_at.astimezone():%Y-%m-%d %H:%M}" if r.last_used_at else tr("не "
                                                                                             "использовался")
            print(f"{r.id}\t{r.login}\t{state}\t{used}\t{r.label}")
    return 0


def run_fiscal(args: argparse.Namespace) -> int:
    from cashier_app.services import fiscal_settings

    ctx = cli_context(open_db(args), args.login)
    if args.name is None and args.inn is None:
        row = fiscal_settings.get_cashier(ctx, args.user_login)
    else:  # an option not given keeps the stored value; "" clears it
        row = fiscal_settings.set_cashier(ctx, args.user_login, args.name, args.inn)
    if args.json:
        print_json({"login": row.login, "fiscal_name": row.name, "fiscal_inn": row.inn})
    else:
        print(f"{row.login}\t{row.name}\t{tr('ИНН {inn}', inn=row.inn or '—')}")
    return 0
