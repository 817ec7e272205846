"""Cash desk in the main window: F6 cash payment, menus «Смена», «Журнал», «Файл», «Сервис».

:class:`CashDesk` plugs in through :class:`~cashier_app.ui.capabilities.WindowHost`; every write
announces what it changed (a payment: its account or booking, the shift, the documents, the
receipt), and the journals it opened reload themselves when they hear a change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from cashier_app.domain.money import format_money
from cashier_app.i18n import N_, tr
from cashier_app.services import cards
from cashier_app.settings import DeskSettings
from cashier_app.ui import messages
from cashier_app.ui.capabilities import Capability, WindowHost
from cashier_app.ui.changes import Change, ChangeSet
from cashier_app.ui.operations import ReadOp, WriteOp

if TYPE_CHECKING:  # the shift service pulls the register's client (and keyring): loaded on first use
    from cashier_app.services.journal import IssuedDocument

SHIFT_CHANGES = ChangeSet.of(Change.SHIFT, Change.FISCAL, Change.DOCUMENTS)
# A correction or a refund from the journal: which record it was is not said by the dialog.
JOURNAL_CHANGES = ChangeSet.of(Change.ACCOUNT, Change.BOOKING, Change.SHIFT, Change.DOCUMENTS, Change.FISCAL)


def _paper() -> str:
    return DeskSettings().get("receipt_paper")


def payment_changes(card: Any) -> ChangeSet:
    """What a payment to ``card`` changed: its record, the shift's cash, the documents, the receipt."""
    if isinstance(card, cards.BookingCard):
        return ChangeSet.payment(booking=card.number)
    return ChangeSet.payment(account=getattr(card, "number", None))


def show_document(host: WindowHost, doc: IssuedDocument, title: str) -> Any:
    """Non-modal preview, deleted when closed (nothing keeps it)."""
    from cashier_app.ui.pdf_preview import PdfPreviewDialog

    dlg = PdfPreviewDialog(doc.pdf, f"{title} № {doc.number}", host.widget(), file_name=f"{doc.number}.pdf")
    return host.show_dialog(dlg, modeless=True)


def take_cash(host: WindowHost, card: Any) -> None:
    from cashier_app.ui.cash_payment_dialog import CashPaymentDialog

    dlg = CashPaymentDialog(host.snapshot_ctx(), host.runner, card, paper=_paper(), parent=host.widget())

    def paid(res: Any) -> None:
        host.announce(payment_changes(card))  # the card, the results' balance, the shift follow
        host.action_finished()
        if res.repeated:
            host.status(tr("Платёж {n} уже был принят; повтор не списан.", n=res.payment_number))
        if res.slip is not None:
            show_document(host, res.slip, tr("Квитанция об оплате"))
        fiscal_after_payment(host, res.fiscal)

    dlg.paid.connect(paid)
    # A slip that failed after the payment was committed, printed again from the dialog.
    dlg.slip_ready.connect(lambda doc: show_document(host, doc, tr("Квитанция об оплате")))
    host.show_dialog(dlg)


def fiscal_after_payment(host: WindowHost, view: Any, order_number: str | None = None) -> None:
    """A receipt not made at once is said where the cashier looks (the indicator follows Change.FISCAL).

    ``order_number``: a card order's receipt — the notice names the order, since it replaces
    the «paid» message in the status bar.
    """
    if view is None or view.state in ("done", "bank"):
        return
    text = view.text if order_number is None else tr("Заказ № {n}: {what}", n=order_number, what=view.text)
    host.notify(tr("Фискальный чек"), text, "error" if view.state == "failed" else "warn")


def register_note(host: WindowHost, note: str | None) -> None:
    """The register did not do its part of a shift action: the app's part stands; say what to do."""
    if note:
        host.notify(tr("ККТ"), note, "warn")


def open_shift(host: WindowHost) -> None:
    from cashier_app.services import shifts
    from cashier_app.ui.open_shift_dialog import OpenShiftDialog

    def ask(proposed: int) -> None:
        dlg = OpenShiftDialog(proposed, host.widget())

        def done() -> None:
            value = dlg.float_minor or 0

            def opened(sm: Any) -> None:
                host.status(tr("Смена {n} открыта, размен {f}", n=sm.number, f=format_money(sm.float_minor)))
                register_note(host, sm.register_note)

            WriteOp(lambda c: shifts.open_shift(c, value), SHIFT_CHANGES).success(opened).run_in(host)
        dlg.accepted.connect(done)
        host.show_dialog(dlg)

    ReadOp(shifts.proposed_float).success(ask).run_in(host)


def cash_movement(host: WindowHost, kind: str) -> None:
    from cashier_app.services import shifts
    from cashier_app.ui.cash_movement_dialog import CashMovementDialog

    dlg = CashMovementDialog(kind, host.widget())

    def done() -> None:
        amount, reason = dlg.amount_minor or 0, dlg.reason_text

        def moved(sm: Any) -> None:
            host.status(tr("В кассе по учёту: {m}", m=format_money(sm.expected_minor)))
            register_note(host, sm.register_note)

        WriteOp(lambda c: shifts.cash_movement(c, kind, amount, reason), SHIFT_CHANGES).success(moved).run_in(host)
    dlg.accepted.connect(done)
    host.show_dialog(dlg)


def x_report(host: WindowHost) -> None:
    from cashier_app.services import shifts
    paper = _paper()

    def made(rep: Any) -> None:
        show_document(host, rep.document, tr("X-отчёт"))
        register_note(host, rep.register_note)

    # An X report is journaled as a document and may ask the register: a write.
    WriteOp(lambda c: shifts.x_report(c, paper=paper), ChangeSet.of(Change.DOCUMENTS, Change.FISCAL)).success(
        made).run_in(host)


def close_shift(host: WindowHost) -> None:
    from cashier_app.services import shifts
    from cashier_app.ui.close_shift_dialog import CloseShiftDialog

    paper = _paper()

    def ask(summary: Any) -> None:
        if summary is None:
            messages.show_error(host.widget(), tr("Смена не открыта."))
            return
        dlg = CloseShiftDialog(summary, host.widget())

        def done() -> None:
            counted, denoms = dlg.counted_minor, dlg.denominations

            def closed(rep: Any) -> None:
                show_document(host, rep.document, tr("Z-отчёт"))
                register_note(host, rep.register_note or rep.summary.register_note)

            WriteOp(lambda c: shifts.close_shift(c, counted, denominations=denoms, paper=paper),
                    SHIFT_CHANGES).success(closed).run_in(host)
        dlg.accepted.connect(done)
        host.show_dialog(dlg)

    ReadOp(shifts.current).success(ask).run_in(host)


def payments_journal(host: WindowHost) -> None:
    from cashier_app.ui.journal_dialog import JournalDialog

    dlg = JournalDialog(host.snapshot_ctx(), host.runner, host.widget())
    dlg.document_ready.connect(lambda doc, title: show_document(host, doc, title))
    dlg.changed.connect(lambda: host.announce(JOURNAL_CHANGES))
    host.show_dialog(dlg)


def documents_journal(host: WindowHost) -> None:
    """Every journaled document of the office: filter by kind and date, reprint, save."""
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    host.show_dialog(DocumentsJournalDialog(host.snapshot_ctx(), host.runner, parent=host.widget()))


def cash_on_hand(host: WindowHost) -> None:
    from cashier_app.ui.cash_on_hand_dialog import CashOnHandDialog

    host.show_dialog(CashOnHandDialog(host.snapshot_ctx(), host.runner, host.widget()))


def audit(host: WindowHost) -> None:
    from cashier_app.services.permissions import require
    from cashier_app.ui.audit_dialog import AuditDialog

    try:
        require(host.ctx, "view_audit")
    except Exception as exc:  # PermissionDenied: one message, nothing opened
        messages.show_error(host.widget(), exc)
        return
    host.show_dialog(AuditDialog(host.snapshot_ctx(), host.runner, host.widget()))


def users_admin(host: WindowHost) -> None:
    from cashier_app.services.permissions import require
    from cashier_app.ui.users_dialog import UsersDialog

    try:
        require(host.ctx, "manage_users")
    except Exception as exc:
        messages.show_error(host.widget(), exc)
        return
    dlg = UsersDialog(host.snapshot_ctx(), host.runner, host.widget())
    # Rights may have changed (the F-keys' states follow Change.USERS).
    dlg.finished.connect(lambda _r: host.announce(ChangeSet.of(Change.USERS)))
    host.show_dialog(dlg)


def switch_user(host: WindowHost) -> None:
    """Sign the current user out and ask for the next one; the window stays open.

    An open shift or a card order still waiting is said first (issue 12 §2): the next person
    should not find either by surprise.
    """
    from cashier_app.services import users
    from cashier_app.ui.sign_in_dialog import SignInDialog

    if not host.confirm_leaving(tr("Сменить пользователя"), tr("Сменить")):
        return
    leaving = host.snapshot_ctx()  # the sign-out is audited as the user who leaves
    if leaving.user is not None:
        host.runner.run_db(lambda: users.sign_out(leaving), None, lambda e: None)
    host.set_user(None)
    settings = DeskSettings()
    dlg = SignInDialog(leaving.db, leaving.desk, host.runner, host.widget(), login=settings.get("last_login") or "")

    def signed_in() -> None:
        host.set_user(dlg.user)
        remember_login(dlg.user)

    dlg.accepted.connect(signed_in)
    host.show_dialog(dlg)


def remember_login(user: Any) -> None:
    """The next sign-in dialog starts with this login (the password field focused)."""
    if user is None:
        return
    try:
        DeskSettings().set("last_login", user.login)
    except OSError:
        pass  # a read-only config: the login is typed again next time


class CashDesk(Capability):
    """F6, the shift and journal menus, «Сменить пользователя», «Пользователи»."""

    def install(self, host: WindowHost) -> None:
        self.host = host
        host.register_action("cash", take_cash)
        self._action("file", N_("Сменить &пользователя…"), switch_user, "Ctrl+Shift+L", "switch_user")
        for text, fn, name in ((N_("&Открыть…"), open_shift, "shift_open"),
                               (N_("&Внести…"), lambda h: cash_movement(h, "in"), "shift_in"),
                               (N_("&Изъять…"), lambda h: cash_movement(h, "out"), "shift_out"),
                               (N_("&X-отчёт"), x_report, "shift_x"),
                               (N_("&Наличные в кассе…"), cash_on_hand, "shift_cash_on_hand"),
                               (N_("&Закрыть…"), close_shift, "shift_close")):
            self._action("shift", text, fn, name=name)
        for text, fn, name in ((N_("&Платежи…"), payments_journal, "journal_payments"),
                               (N_("&Документы…"), documents_journal, "journal_documents"),
                               (N_("&Аудит…"), audit, "journal_audit")):
            self._action("journal", text, fn, name=name)
        self._action("service", N_("&Пользователи…"), users_admin, name="users")
        host.changes.changed.connect(self._on_changes)

    def _action(self, menu: str, text: str, fn: Any, shortcut: str | None = None, name: str = "") -> QAction:
        act = QAction(tr(text), self.host.widget())
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.setObjectName(name)
        host = self.host
        act.triggered.connect(lambda _=False: fn(host))
        return host.add_menu_action(menu, act)

    def _on_changes(self, changes: ChangeSet) -> None:
        """The journals this capability opened show what was just done."""
        wanted = (("journal_dialog", "JournalDialog", changes.has(Change.ACCOUNT) or changes.has(Change.BOOKING)),
                  ("documents_journal_dialog", "DocumentsJournalDialog", changes.has(Change.DOCUMENTS)),
                  ("cash_on_hand_dialog", "CashOnHandDialog", changes.has(Change.SHIFT)))
        for module, cls, concerned in wanted:
            refresh_open(self.host, module, cls, concerned)


def refresh_open(host: WindowHost, module: str, cls_name: str, concerned: bool = True) -> None:
    """Refresh the open dialog ``ui.<module>.<cls_name>``, if any (a module never imported has none open)."""
    import sys

    mod = sys.modules.get(f"cashier_app.ui.{module}")
    dlg = host.live_dialog(getattr(mod, cls_name)) if concerned and mod is not None else None
    if dlg is not None:
        refresh_dialog(dlg)


def refresh_dialog(dlg: Any) -> None:
    """A dialog's own reload: ``refresh()`` (issue 12), else its older ``reload()`` / ``load()``."""
    for name in ("refresh", "reload", "load"):
        fn = getattr(dlg, name, None)
        if callable(fn):
            fn()
            return


def install(window: Any) -> CashDesk:
    """Tests and scripts: ``install(window)`` is ``window.install(CashDesk())``."""
    return window.install(CashDesk())
