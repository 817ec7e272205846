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
from cashier_app.i18n import set_language, tr

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
ENV_LANG = "CASHIER_LANG"
LANGUAGES = ("ru", "en")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not the usage block
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cashier-app",
        description=tr("Касса: поиск лицевых счетов и заявок, квитанции, оплата картой, смены."),
    )
    parser.add_argument("--version", action="version", version=f"cashier-app {__version__}")
    parser.add_argument("--db", metavar="URL", help=tr("база данных (sqlite:///файл или postgresql://…)"))
    parser.add_argument("--smoke", action="store_true", help=tr("запустить окно, выполнить первый запрос и "
                                                                "выйти"))
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=tr("язык интерфейса (иначе {env} или язык, сохранённый на этой кассе)",
                                env=ENV_LANG))
    sub = parser.add_subparsers(dest="command", metavar=tr("КОМАНДА"), parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"cashier_app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cashier_app.commands.{name}":
                continue  # a capability not delivered yet
            raise
        module.register(sub)
    return parser


def _window_args(args: list[str]) -> argparse.Namespace | None:
    """``--db URL``, ``--smoke``, ``--lang ru|en`` and nothing else: the window's options, read without
    building the sub-commands' parsers; None for anything else (the full parser answers it)."""
    found = argparse.Namespace(command=None, db=None, smoke=False, lang=None)
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name == "--smoke" and not eq:
            found.smoke = True
        elif name in ("--db", "--lang"):
            if not eq:
                i += 1
                if i >= len(args):
                    return None
                value = args[i]
            if name == "--lang" and value not in LANGUAGES:
                return None
            setattr(found, name[2:], value)
        else:
            return None
        i += 1
    return found


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
            return option or tr("аргумент № {n}", n=i + 1)
    return None


def _lang_option(args: list[str]) -> str | None:
    """``--lang X`` / ``--lang=X`` given before the sub-command (the global option), if any."""
    for i, arg in enumerate(args):
        if not arg.startswith("-"):
            return None  # the sub-command: its own options come after it
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
    return None


def choose_language(args: list[str]) -> str:
    """The language of every message and help text, chosen once before the parser is built.

    ``--lang``, else ``CASHIER_LANG`` (ru|en), else the desk's saved «Язык» (the window's setting),
    else Russian.  An unknown value falls through to the next source.
    """
    import os

    for lang in (_lang_option(args), os.environ.get(ENV_LANG, "").strip().lower()):
        if lang in LANGUAGES:
            return lang
    try:
        from cashier_app.settings import DeskSettings

        saved = DeskSettings().get("language")
    except Exception:  # a broken config directory must not stop a script; Russian applies
        saved = None
    return saved if saved in LANGUAGES else "ru"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = choose_language(args_list)
    set_language(lang)
    # Refused before parsing: argparse and every message would echo the bytes and fail to print them.
    if (field := _not_utf8(args_list)) is not None:
        print(tr("cashier-app: {field}: не в кодировке UTF-8 (проверьте кодировку терминала)", field=field),
              file=sys.stderr)
        return EXIT_USER_ERROR
    # The window needs none of the sub-commands: their modules (and every service they import)
    # load only for a command or --help (issue 12 §1: start-up).
    args = _window_args(args_list) or build_parser().parse_args(args_list)
    from cashier_app import logging_setup

    logging_setup.install()  # the window and every sub-command log to one rotating file (README)
    try:
        if args.command is None:
            from cashier_app.ui.app import run_gui

            return run_gui(db_url=args.db, smoke=args.smoke, lang=lang)
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"cashier-app: {' '.join(str(exc).splitlines())}", file=sys.stderr)  # one line, even if typed text had breaks
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(tr("cashier-app: прервано"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        logging.getLogger("cashier_app.cli").error("command %s failed", args.command or "gui", exc_info=exc)
        if isinstance(exc, OperationalError):
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            print(tr("cashier-app: ошибка базы данных: {reason}", reason=reason), file=sys.stderr)
            return EXIT_USER_ERROR
        raise


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
