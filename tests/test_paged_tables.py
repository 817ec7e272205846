"""The audit trail and the documents journal as paged models: service pages, qtmodeltester, scrolling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from cashier_app.services import audit, audit_log, documents
from cashier_app.services.permissions import PermissionDenied
from cashier_app.storage import models as m
from cashier_app.ui.audit_model import AuditModel
from cashier_app.ui.documents_model import DocumentsModel
from cashier_app.ui.operations import SyncRunner
from cashier_app.ui.paged_model import ROW_ROLE
from tests.conftest import TODAY
from tests.test_ledger import ctx_for

pytestmark = pytest.mark.gui

MANY = 2 * audit_log.PAGE_ROWS + 50  # three pages, the last one short
BULK = audit_log.AuditFilter(action="bulk.")


def _many_events(db, n: int = MANY) -> None:  # type: ignore[no-untyped-def]
    ctx = ctx_for(db, "admin")
    with db.uow() as uow:
        for i in range(n):
            audit.record(uow.session, ctx, "bulk.test", "thing", i, None, {"i": i})
        uow.commit()


def _many_documents(db, n: int = MANY) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with db.uow() as uow:
        uow.session.add_all(
            m.Document(number=f"T-{i:05d}", kind="pd4", amount_minor=100 * i, currency="RUB", pdf_sha256="0" * 64,
                       params={}, issued_at=now - timedelta(minutes=i), desk="desk-1")
            for i in range(n)
        )
        uow.commit()


class DeferredRunner(SyncRunner):
    """Keeps each DB call until the test lets it answer: pages arriving late, out of order."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Callable[[], Any], Any, Any]] = []

    def run_db(self, fn, on_success=None, on_failure=None) -> None:  # type: ignore[no-untyped-def, override]
        self.calls.append((fn, on_success, on_failure))

    def answer(self, i: int) -> None:
        fn, ok, fail = self.calls.pop(i)
        self._run(fn, ok, fail)


# --- the audit trail -----------------------------------------------------------------------------


def test_audit_pages_are_the_whole_filter_newest_first(fresh_db) -> None:  # type: ignore[no-untyped-def]
    _many_events(fresh_db)
    admin = ctx_for(fresh_db, "admin")
    whole = audit_log.list_events(admin, action="bulk.", limit=None)
    assert len(whole) == MANY and whole[0].after == {"i": MANY - 1}  # newest first
    ids, offset = [], 0
    while True:
        page = audit_log.page(admin, BULK, offset=offset)
        assert len(page.rows) <= audit_log.PAGE_ROWS
        ids += [r.id for r in page.rows]
        offset += len(page.rows)
        if not page.has_more:
            break
    assert ids == [r.id for r in whole]  # no row lost or repeated between pages
    assert audit_log.page(admin, audit_log.AuditFilter(user="нет-такого")).rows == []
    with pytest.raises(PermissionDenied):
        audit_log.page(ctx_for(fresh_db, "cashier"), BULK)


@pytest.fixture
def make_model():  # type: ignore[no-untyped-def]
    """``make(ModelClass, fetch_page)`` on a SyncRunner, kept alive until the model tester has let go."""
    made: list[Any] = []

    def make(cls, fetch_page):  # type: ignore[no-untyped-def]
        runner = SyncRunner()
        made.append(model := cls(runner, fetch_page))
        runner.setParent(model)
        return model
    yield make
    for model in made:
        model.deleteLater()


def test_audit_model_fetches_pages_and_passes_qtmodeltester(qtmodeltester, fresh_db, make_model) -> None:  # type: ignore[no-untyped-def]
    _many_events(fresh_db)
    admin = ctx_for(fresh_db, "admin")
    model = make_model(AuditModel, lambda f, off: audit_log.page(admin, f, offset=off))
    root = model.index(-1, -1)
    model.set_filter(BULK)
    assert model.rowCount() == audit_log.PAGE_ROWS and model.canFetchMore(root)
    model.fetchMore(root)
    assert model.rowCount() == 2 * audit_log.PAGE_ROWS
    first = model.data(model.index(0, 0), ROW_ROLE)
    assert model.data(model.index(0, 0)) == str(first.id) and model.data(model.index(0, 4)) == "bulk.test"
    assert model.headerData(4, Qt.Orientation.Horizontal) == "Действие"
    qtmodeltester.check(model, force_py=True)  # also fetches the remaining pages itself
    assert model.rowCount() == MANY and not model.canFetchMore(root)
    model.set_filter(audit_log.AuditFilter(user="нет-такого"))
    assert model.rowCount() == 0 and not model.canFetchMore(root)


def test_a_stale_page_is_ignored_when_the_filter_changes(fresh_db) -> None:  # type: ignore[no-untyped-def]
    _many_events(fresh_db)
    runner, admin = DeferredRunner(), ctx_for(fresh_db, "admin")
    model = AuditModel(runner, lambda f, off: audit_log.page(admin, f, offset=off))
    loading: list[bool] = []
    model.loading_changed.connect(loading.append)
    model.set_filter(BULK)
    assert model.loading and model.rowCount() == 0 and not model.canFetchMore(model.index(-1, -1))
    model.set_filter(audit_log.AuditFilter(action="bulk.", user="нет-такого"))
    runner.answer(0)  # the first filter's page arrives late: dropped
    assert model.rowCount() == 0 and model.loading
    runner.answer(0)
    assert model.rowCount() == 0 and not model.loading and loading == [True, False]
    model.set_filter(BULK)
    runner.answer(0)
    assert model.rowCount() == audit_log.PAGE_ROWS and model.current_filter == BULK


def test_audit_dialog_scrolls_in_pages_and_exports_the_whole_filter(qtbot, fresh_db,
                                                                    tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.audit_dialog import AuditDialog

    _many_events(fresh_db)
    dlg = AuditDialog(ctx_for(fresh_db, "admin"), SyncRunner())
    qtbot.addWidget(dlg)
    dlg.action.setText("bulk.")
    dlg.reload()
    assert len(dlg.rows) == audit_log.PAGE_ROWS
    assert dlg.status.text() == "Событий: 200 (прокрутите вниз, чтобы загрузить ещё)"
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.table.scrollToBottom()  # the view asks the model for the next page itself
    qtbot.waitUntil(lambda: dlg.model.rowCount() > audit_log.PAGE_ROWS)
    out = tmp_path / "audit.csv"
    dlg.export_to(str(out))
    lines = out.read_text("utf-8-sig").splitlines()
    assert len(lines) == 1 + MANY  # the header and every event of the filter, not only those loaded


# --- the documents journal ---------------------------------------------------------------------------


def test_documents_model_fetches_pages_and_passes_qtmodeltester(qtmodeltester, fresh_db, make_model) -> None:  # type: ignore[no-untyped-def]
    _many_documents(fresh_db)
    cashier = ctx_for(fresh_db, "cashier")
    model = make_model(DocumentsModel, lambda f, off: documents.list_office_documents(cashier, f, offset=off))
    root = model.index(-1, -1)
    page = documents.OFFICE_DOCUMENT_ROWS
    model.set_filter(documents.DocumentFilter(kind="pd4", date_from=TODAY - timedelta(days=1)))
    assert model.rowCount() == page and model.canFetchMore(root)
    assert model.data(model.index(0, 0)) == "T-00000" and model.data(model.index(0, 2)) == "Квитанция ПД-4 (банк)"
    model.fetchMore(root)
    assert model.rowCount() == 2 * page
    qtmodeltester.check(model, force_py=True)
    numbers = [ln.number for ln in model.rows]
    assert numbers[-1] == f"T-{MANY - 1:05d}" and len(set(numbers)) == len(numbers) == MANY
    model.set_filter(documents.DocumentFilter(kind="x_report"))
    assert model.rowCount() == 0 and not model.canFetchMore(root)


def test_office_documents_dialog_scrolls_in_pages(qtbot, fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cashier_app.ui.documents_journal_dialog import DocumentsJournalDialog

    errors: list[str] = []
    monkeypatch.setattr("cashier_app.ui.messages.show_error", lambda _p, e: errors.append(str(e)))
    _many_documents(fresh_db)
    dlg = DocumentsJournalDialog(ctx_for(fresh_db, "cashier"), SyncRunner())
    qtbot.addWidget(dlg)
    page = documents.OFFICE_DOCUMENT_ROWS
    assert dlg.office and len(dlg.lines) == page
    assert dlg.status.text() == f"Документов: {page} (прокрутите вниз, чтобы загрузить ещё)"
    assert dlg.selected() is not None and dlg.selected().number == "T-00000" and dlg.reprint_button.isEnabled()
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.table.scrollToBottom()
    qtbot.waitUntil(lambda: dlg.model.rowCount() > page)
    dlg.table.scrollToBottom()
    qtbot.waitUntil(lambda: dlg.model.rowCount() == MANY)
    assert dlg.status.text() == f"Документов: {MANY}"
    dlg.date_to.setDate(dlg.date_from.date().addDays(-1))
    dlg.reload()
    # Issue 12: said once, by the date field (no box).
    under = dlg.findChild(QLabel, f"{dlg.date_to.objectName() or 'field'}_error")
    assert errors == [] and under is not None and under.text() == "раньше даты «с»"
    assert dlg.lines == [] and not dlg.reprint_button.isEnabled()
