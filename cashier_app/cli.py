"""The ``cashier-app`` command: the GUI by default, headless sub-commands for scripts.

Each sub-command lives in ``cashier_app/commands/<name>.py`` with a
``register(subparsers)`` function; this module only wires them and turns user
mistakes into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from cashier_app import __version__
from cashier_app.domain.errors import UserError

# Order here is the order in ``--help``.
COMMAND_MODULES = (
    "init_db",
    "lookup",
    "documents",
    "cards",
    "sandbox",
    "fiscal_sandbox",
    "billing_sandbox",
    "travel",
    "cashdesk",
    "fiscal",
    "billing",
    "audit",
    "users",
    "payees",
    "office",
    "imports",
    "registry",
)

EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not the usage block
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cashier-app",
        description="Касса: поиск лицевых счетов и заявок, квитанции, оплата картой, смены.",
    )
    parser.add_argument("--version", action="version", version=f"cashier-app {__version__}")
    parser.add_argument("--db", metavar="URL", help="база данных (sqlite:///файл или postgresql://…)")
    parser.add_argument("--smoke", action="store_true", help="запустить окно, выполнить первый запрос и выйти")
    parser.add_argument("--lang", choices=("ru", "en"), help="язык интерфейса")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"cashier_app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cashier_app.commands.{name}":
                continue  # a capability not delivered yet
            raise
        module.register(sub)
    return parser


def _not_utf8(args: list[str]) -> str | None:
    """The first argument that is not valid UTF-8 (Python passes such bytes as lone surrogates), named."""
    for i, arg in enumerate(args):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            option = arg.partition("=")[0] if arg.startswith("--") and "=" in arg else (
                args[i - 1] if i and args[i - 1].startswith("-") else "")
            try:
                option.encode("utf-8")
            except UnicodeEncodeError:
                option = ""
            return option or f"аргумент № {i + 1}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Refused before parsing: argparse and every message would echo the bytes and fail to print them.
    if (field := _not_utf8(args_list)) is not None:
        print(f"cashier-app: {field}: не в кодировке UTF-8 (проверьте кодировку терминала)", file=sys.stderr)
        return EXIT_USER_ERROR
    parser = build_parser()
    args = parser.parse_args(args_list)
    from cashier_app import logging_setup

    logging_setup.install()  # the window and every sub-command log to one rotating file (README)
    try:
        if args.command is None:
            from cashier_app.ui.app import run_gui

            return run_gui(db_url=args.db, smoke=args.smoke, lang=args.lang)
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"cashier-app: {' '.join(str(exc).splitlines())}", file=sys.stderr)  # one line, even if typed text had breaks
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("cashier-app: прервано", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        logging.getLogger("cashier_app.cli").error("command %s failed", args.command or "gui", exc_info=exc)
        if isinstance(exc, OperationalError):
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            print(f"cashier-app: ошибка базы данных: {reason}", file=sys.stderr)
            return EXIT_USER_ERROR
        raise


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
