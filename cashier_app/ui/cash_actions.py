"""Cash desk in the main window: F6 cash payment, menus «Смена», «Журнал», «Файл», «Сервис»."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import shifts
from cashier_app.services.journal import IssuedDocument
from cashier_app.settings import DeskSettings
from cashier_app.ui import messages


def _paper() -> str:
    return DeskSettings().get("receipt_paper")


def show_document(window: Any, doc: IssuedDocument, title: str) -> Any:
    """Non-modal preview, kept on the window so it is not garbage-collected."""
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    dlg = PdfPreviewDialog(doc.pdf, f"{title} № {doc.number}", window, file_name=f"{doc.number}.pdf")
    window.last_preview = dlg
    dlg.show()
    return dlg


def take_cash(window: Any, card: Any) -> None:
    from cashier_app.ui.cash_payment_dialog import CashPaymentDialog

    dlg = CashPaymentDialog(window.ctx, window.runner, card, paper=_paper(), parent=window)
    window.last_cash_dialog = dlg

    def paid(res: Any) -> None:
        window.action_finished()  # the balance and the card refresh at once
        if res.repeated:
            window.statusBar().showMessage(tr("Платёж {n} уже был принят; повтор не списан.", n=res.payment_number), 8000)
        if res.slip is not None:
            show_document(window, res.slip, tr("Квитанция об оплате"))
        fiscal_after_payment(window, res.fiscal)

    dlg.paid.connect(paid)
    # A slip that failed after the payment was committed, printed again from the dialog.
    dlg.slip_ready.connect(lambda doc: show_document(window, doc, tr("Квитанция об оплате")))
    dlg.open()


def fiscal_after_payment(window: Any, view: Any, order_number: str | None = None) -> None:
    """A receipt not made at once is said where the cashier looks; the indicator is asked again.

    ``order_number``: a card order's receipt — the notice names the order, since it replaces
    the «paid» message in the status bar.
    """
    indicator = getattr(window, "register_indicator", None)
    if indicator is not None:
        indicator.refresh()
    if view is None or view.state in ("done", "bank"):
        return
    from cashier_app.ui.notifications import notifier_of

    text = view.text if order_number is None else tr("Заказ № {n}: {what}", n=order_number, what=view.text)
    notifier_of(window).notify(tr("Фискальный чек"), text, "error" if view.state == "failed" else "warn")


def register_note(window: Any, note: str | None) -> None:
    """The register did not do its part of a shift action: the app's part stands; say what to do."""
    indicator = getattr(window, "register_indicator", None)
    if indicator is not None:
        indicator.refresh()
    if note:
        from cashier_app.ui.notifications import notifier_of

        notifier_of(window).notify(tr("ККТ"), note, "warn")


def open_shift(window: Any) -> None:
    from cashier_app.ui.open_shift_dialog import OpenShiftDialog

    ctx = window.ctx

    def ask(proposed: int) -> None:
        dlg = OpenShiftDialog(proposed, window)
        window.last_shift_dialog = dlg

        def done() -> None:
            value = dlg.float_minor or 0
            def opened(sm: Any) -> None:
                window.statusBar().showMessage(
                    tr("Смена {n} открыта, размен {f}", n=sm.number, f=format_money(sm.float_minor)), 8000)
                register_note(window, sm.register_note)

            window.runner.run_db(lambda: shifts.open_shift(ctx, value), opened,
                                 lambda e: messages.show_error(window, e))
        dlg.accepted.connect(done)
        dlg.open()

    window.runner.run_db(lambda: shifts.proposed_float(ctx), ask, lambda e: messages.show_error(window, e))


def cash_movement(window: Any, kind: str) -> None:
    from cashier_app.ui.cash_movement_dialog import CashMovementDialog

    ctx = window.ctx
    dlg = CashMovementDialog(kind, window)
    window.last_shift_dialog = dlg

    def done() -> None:
        amount, reason = dlg.amount_minor or 0, dlg.reason_text
        def moved(sm: Any) -> None:
            window.statusBar().showMessage(tr("В кассе по учёту: {m}", m=format_money(sm.expected_minor)), 8000)
            register_note(window, sm.register_note)

        window.runner.run_db(lambda: shifts.cash_movement(ctx, kind, amount, reason), moved,
                             lambda e: messages.show_error(window, e))
    dlg.accepted.connect(done)
    dlg.open()


def x_report(window: Any) -> None:
    ctx, paper = window.ctx, _paper()
    def made(rep: Any) -> None:
        show_document(window, rep.document, tr("X-отчёт"))
        register_note(window, rep.register_note)

    window.runner.run_db(lambda: shifts.x_report(ctx, paper=paper), made, lambda e: messages.show_error(window, e))


def close_shift(window: Any) -> None:
    from cashier_app.ui.close_shift_dialog import CloseShiftDialog

    ctx, paper = window.ctx, _paper()

    def ask(summary: Any) -> None:
        if summary is None:
            messages.show_error(window, tr("Смена не открыта."))
            return
        dlg = CloseShiftDialog(summary, window)
        window.last_shift_dialog = dlg

        def done() -> None:
            counted, denoms = dlg.counted_minor, dlg.denominations
            def closed(rep: Any) -> None:
                show_document(window, rep.document, tr("Z-отчёт"))
                register_note(window, rep.register_note or rep.summary.register_note)

            window.runner.run_db(lambda: shifts.close_shift(ctx, counted, denominations=denoms, paper=paper),
                                 closed, lambda e: messages.show_error(window, e))
        dlg.accepted.connect(done)
        dlg.open()

    window.runner.run_db(lambda: shifts.current(ctx), ask, lambda e: messages.show_error(window, e))


def payments_journal(window: Any) -> None:
    from cashier_app.ui.journal_dialog import JournalDialog

    dlg = JournalDialog(window.ctx, window.runner, window)
    window.last_journal_dialog = dlg
    dlg.document_ready.connect(lambda doc, title: show_document(window, doc, title))
    dlg.changed.connect(window.action_finished)
    dlg.open()


def documents_journal(window: Any) -> None:
    """Every journaled document of the office: filter by kind and date, reprint, save."""
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    dlg = DocumentsJournalDialog(window.ctx, window.runner, parent=window)
    window.last_documents_dialog = dlg
    dlg.open()


def cash_on_hand(window: Any) -> None:
    from cashier_app.ui.cash_on_hand_dialog import CashOnHandDialog

    dlg = CashOnHandDialog(window.ctx, window.runner, window)
    window.last_shift_dialog = dlg
    dlg.open()


def audit(window: Any) -> None:
    from cashier_app.services.permissions import require
    from cashier_app.ui.audit_dialog import AuditDialog

    try:
        require(window.ctx, "view_audit")
    except Exception as exc:  # PermissionDenied: one message, nothing opened
        messages.show_error(window, exc)
        return
    dlg = AuditDialog(window.ctx, window.runner, window)
    window.last_audit_dialog = dlg
    dlg.open()


def users_admin(window: Any) -> None:
    from cashier_app.services.permissions import require
    from cashier_app.ui.users_dialog import UsersDialog

    try:
        require(window.ctx, "manage_users")
    except Exception as exc:
        messages.show_error(window, exc)
        return
    dlg = UsersDialog(window.ctx, window.runner, window)
    window.last_users_dialog = dlg
    dlg.open()


def switch_user(window: Any) -> None:
    """Sign the current user out and ask for the next one; the window stays open."""
    from cashier_app.services import users
    from cashier_app.ui.sign_in_dialog import SignInDialog

    ctx = window.ctx
    old = ctx.user
    if old is not None:
        window.runner.run_db(lambda: users.sign_out(_leaving_ctx(ctx)), None, lambda e: None)
    window.set_user(None)
    dlg = SignInDialog(ctx.db, ctx.desk, window.runner, window)
    window.last_sign_in = dlg
    dlg.accepted.connect(lambda: window.set_user(dlg.user))
    dlg.open()


def _leaving_ctx(ctx: Any) -> Any:
    # The sign-out is audited as the user who leaves, even though ctx.user changes right after.
    from cashier_app.services.context import DeskContext

    return DeskContext(ctx.db, ctx.desk, ctx.user, ctx.today_override)


def _action(window: Any, menu: Any, text: str, fn: Any, shortcut: str | None = None, name: str = "") -> QAction:
    act = QAction(tr(text), window)
    if shortcut:
        act.setShortcut(QKeySequence(shortcut))
    if name:
        act.setObjectName(name)
    act.triggered.connect(lambda _=False: fn(window))
    menu.addAction(act)
    window.cash_menu_actions[name or text] = act
    return act


def _menu(window: Any, title: str) -> Any:
    from PySide6.QtWidgets import QMenu

    menu = QMenu(tr(title), window)
    window.cash_menus[title] = menu
    return menu


def install(window: Any) -> None:
    window.register_action("cash", take_cash)
    window.cash_menu_actions = {}
    window.cash_menus = {}
    bar = window.menuBar()
    # «Смена» and «Журнал» go between «Файл» and «Сервис».
    file_menu = window.file_menu
    _action(window, file_menu, N_("Сменить пользователя"), switch_user, "Ctrl+L", "switch_user")
    shift = bar.insertMenu(window.service_menu.menuAction(), _menu(window, N_("Смена"))).menu()
    _action(window, shift, N_("Открыть"), open_shift, name="shift_open")
    _action(window, shift, N_("Внести"), lambda w: cash_movement(w, "in"), name="shift_in")
    _action(window, shift, N_("Изъять"), lambda w: cash_movement(w, "out"), name="shift_out")
    _action(window, shift, N_("X-отчёт"), x_report, name="shift_x")
    _action(window, shift, N_("Наличные в кассе"), cash_on_hand, name="shift_cash_on_hand")
    _action(window, shift, N_("Закрыть"), close_shift, name="shift_close")
    jm = bar.insertMenu(window.service_menu.menuAction(), _menu(window, N_("Журнал"))).menu()
    _action(window, jm, N_("Платежи"), payments_journal, name="journal_payments")
    _action(window, jm, N_("Документы"), documents_journal, name="journal_documents")
    _action(window, jm, N_("Аудит"), audit, name="journal_audit")
    service = window.service_menu
    _action(window, service, N_("Пользователи"), users_admin, name="users")
