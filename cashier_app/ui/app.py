"""Starting the GUI: display check, database, translators, the main window."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cashier_app.ui.capabilities import Capability

SMOKE_QUERY = "1"
ENV_AUTOLOGIN = "CASHIER_AUTOLOGIN"
START_QUIET_MS = 3000


def _has_display() -> bool:
    if sys.platform != "linux":
        return True
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _xcb_problem() -> str | None:
    """Why Qt's X11 plugin cannot load, found before Qt aborts with a screenful of text.

    The plugin links system libraries (libxcb-cursor0, libxcb-icccm4, …) that a
    minimal Linux may lack; loading it ourselves names the missing one.
    """
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    if not os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    import ctypes
    from pathlib import Path

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        missing = str(exc).split(":")[0].strip()
        return missing or str(exc)
    return None


def run_gui(db_url: str | None = None, smoke: bool = False, lang: str | None = None) -> int:
    from cashier_app import STARTED_AT
    from cashier_app.i18n import set_language, tr
    from cashier_app.settings import DeskSettings

    # The language first, so even the «no display» line follows it.
    settings = DeskSettings()
    set_language(lang or settings.get("language"))
    if not _has_display():
        if not smoke:
            print(
                "cashier-app: " + tr("нет дисплея (DISPLAY не задан); запустите на рабочем столе, "
                                     "через xvfb-run, или проверьте запуск: cashier-app --smoke"),
                file=sys.stderr,
            )
            return 1
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not smoke and (missing := _xcb_problem()):
        print("cashier-app: " + tr("графическая библиотека не найдена: {lib}; установите пакеты Qt для X11 "
                                   "(Debian/Ubuntu: apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
                                   "libxkbcommon-x11-0)", lib=missing), file=sys.stderr)
        return 1

    from cashier_app.services.bootstrap import ensure_demo_office
    from cashier_app.services.context import DeskContext

    db, created = ensure_demo_office(db_url or settings.get("db_url"))
    if created:
        print("cashier-app: " + tr("создан демо-офис (пользователи admin/admin, manager/manager, cashier/cashier)"),
              file=sys.stderr)
    ctx = DeskContext(db=db, desk=settings.get("desk"))
    from cashier_app import logging_setup
    from cashier_app.services import office_time

    logging_setup.install()  # idempotent; cli.main installs it too, this covers a direct run_gui()
    office_time.office_zone(db)  # read once: the business day and printed times use the office's zone

    from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
    from PySide6.QtWidgets import QApplication

    from cashier_app.ui.main_window import MainWindow
    from cashier_app.ui.operations import OperationRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cashier-app")
    # The window's title is the same words: platforms that add « — display name» to a title
    # that differs from it show «Касса» once (it was «Касса — cashier-app — Касса»).
    app.setApplicationDisplayName(tr("Касса"))
    translator = QTranslator(app)
    ui_lang = "en" if (lang or settings.get("language")) == "en" else "ru"
    QLocale.setDefault(QLocale(QLocale.Language.Russian if ui_lang == "ru" else QLocale.Language.English))
    if ui_lang == "ru" and translator.load(
        "qtbase_ru", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        app.installTranslator(translator)

    runner = OperationRunner(app)
    window = MainWindow(ctx, runner)
    # Reconciles and deliveries start once the first window is up, not in its way.
    window.start_delay_ms = START_QUIET_MS
    for capability in _extensions():
        window.install(capability())
    if not smoke:
        user = _sign_in(ctx, runner)
        if user is None:
            runner.wait_idle(5000)
            db.dispose()
            return 0
        window.set_user(user)
        window.restore_layout()  # the size and splitter of the last session; quitting asks if a shift is open
    else:
        # The first query checks who asks (``lookup``) like every search; no one is there to type a password.
        # The password check is slow on purpose (scrypt): timed apart, so startup_ms stays the window's own.
        signin_started = time.perf_counter()
        user = _smoke_user(ctx, created)
        signin_ms = (time.perf_counter() - signin_started) * 1000
        if user is None:
            db.dispose()
            return 2
        window.set_user(user)
    window.show()
    window.search.setFocus()

    if smoke:
        def done() -> None:
            elapsed_ms = (time.perf_counter() - STARTED_AT) * 1000 - signin_ms
            print(f"startup_ms={elapsed_ms:.0f} signin_ms={signin_ms:.0f} rows={window.model.rowCount()} "
                  f"db={db.engine.url.get_backend_name()}")
            # The card the query opens and its F-keys' state are not start-up: the exit waits only
            # for a job already running (the smoke writes nothing).
            runner.drop_queued_reads()
            app.exit(0)

        window.first_query_done.connect(done)
        window.search_now(SMOKE_QUERY)  # the typing pause (debounce) is not start-up time
        QTimer.singleShot(30000, lambda: (print("cashier-app: " + tr("первый запрос не выполнен за 30 с"), file=sys.stderr),
                                          app.exit(1)))
    code = app.exec()
    runner.wait_idle(5000)
    db.dispose()
    return code


def _smoke_user(ctx, created: bool):  # type: ignore[no-untyped-def]
    """``--smoke``'s user: ``CASHIER_AUTOLOGIN=login:password``, or the demo cashier of an office created just now.

    Never a guessed password on an existing office: a wrong one would count toward the user's lockout.
    """
    from cashier_app.domain.errors import UserError
    from cashier_app.i18n import tr
    from cashier_app.services.users import authenticate

    auto = os.environ.get(ENV_AUTOLOGIN) or ("cashier:cashier" if created else "")
    if not auto:
        print("cashier-app: --smoke: " + tr("задайте {env}=логин:пароль — поиск требует входа пользователя",
                                            env=ENV_AUTOLOGIN), file=sys.stderr)
        return None
    login, _, password = auto.partition(":")
    try:
        return authenticate(ctx.db, ctx.desk, login, password, via="smoke")
    except UserError as exc:
        print(f"cashier-app: {ENV_AUTOLOGIN}: {exc}", file=sys.stderr)
        return None


def _sign_in(ctx, runner):  # type: ignore[no-untyped-def]
    """The user for this session: ``CASHIER_AUTOLOGIN=login:password`` for scripted runs, else the dialog."""
    from cashier_app.domain.errors import UserError
    from cashier_app.services.users import authenticate
    from cashier_app.ui.sign_in_dialog import SignInDialog

    auto = os.environ.get(ENV_AUTOLOGIN)
    if auto:
        login, _, password = auto.partition(":")
        try:
            return authenticate(ctx.db, ctx.desk, login, password)
        except UserError as exc:
            print(f"cashier-app: {ENV_AUTOLOGIN}: {exc}", file=sys.stderr)
    from cashier_app.settings import DeskSettings
    from cashier_app.ui.cash_actions import remember_login

    # The last login prefilled: the password field has the focus (SignInDialog does that for a login).
    dialog = SignInDialog(ctx.db, ctx.desk, runner, login=DeskSettings().get("last_login") or "")
    if dialog.exec() != SignInDialog.DialogCode.Accepted:
        return None
    remember_login(dialog.user)
    return dialog.user


def _extensions() -> list[type[Capability]]:
    """The capabilities that add buttons, menus and indicators to the main window, in install order.

    Each module is imported here, when the window is built; what a capability needs only on
    use (gateways, reportlab, openpyxl…) it imports inside its handlers.
    """
    from cashier_app.ui.billing_actions import Billing
    from cashier_app.ui.bonus_actions import Bonuses
    from cashier_app.ui.card_actions import CardPayments
    from cashier_app.ui.cash_actions import CashDesk
    from cashier_app.ui.documents_actions import Documents
    from cashier_app.ui.fiscal_actions import FiscalRegister
    from cashier_app.ui.payee_actions import Payees

    return [Documents, CardPayments, CashDesk, Bonuses, Payees, FiscalRegister, Billing]
