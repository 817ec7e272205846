"""Starting the GUI: display check, database, translators, the main window."""

from __future__ import annotations

import os
import sys
import time

SMOKE_QUERY = "1"
ENV_AUTOLOGIN = "CASHIER_AUTOLOGIN"


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

    from PySide6.QtCore import QLibraryInfo, QLocale, QTimer, QTranslator
    from PySide6.QtWidgets import QApplication

    from cashier_app.ui.main_window import MainWindow
    from cashier_app.ui.operations import OperationRunner

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cashier-app")
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
    for install in _extensions():
        install(window)
    if not smoke:
        # Smoke runs as no user: it measures start-up, and no one is there to type a password.
        user = _sign_in(ctx, runner)
        if user is None:
            runner.wait_idle(5000)
            db.dispose()
            return 0
        window.set_user(user)
    window.show()
    window.search.setFocus()

    if smoke:
        def done() -> None:
            elapsed_ms = (time.perf_counter() - STARTED_AT) * 1000
            print(f"startup_ms={elapsed_ms:.0f} rows={window.model.rowCount()} db={db.engine.url.get_backend_name()}")
            app.exit(0)

        window.first_query_done.connect(done)
        window.search.setText(SMOKE_QUERY)
        QTimer.singleShot(30000, lambda: (print("cashier-app: " + tr("первый запрос не выполнен за 30 с"), file=sys.stderr),
                                          app.exit(1)))
    code = app.exec()
    runner.wait_idle(5000)
    db.dispose()
    return code


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
    dialog = SignInDialog(ctx.db, ctx.desk, runner)
    if dialog.exec() != SignInDialog.DialogCode.Accepted:
        return None
    return dialog.user


def _extensions():  # type: ignore[no-untyped-def]
    """Capabilities that add buttons or dialogs to the main window (later issues)."""
    import importlib

    out = []
    for name in ("cashier_app.ui.documents_actions", "cashier_app.ui.card_actions",
                 "cashier_app.ui.cash_actions", "cashier_app.ui.bonus_actions",
                 "cashier_app.ui.payee_actions"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        out.append(module.install)
    return out
