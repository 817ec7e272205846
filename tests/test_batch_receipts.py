"""Issue 11 §5: every receipt of a debtors batch is journaled under the number printed on it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cashier_app.domain.errors import NotFound, UserError
from cashier_app.services import documents
from cashier_app.storage import models as m
from tests.conftest import TODAY
from tests.test_documents import page_text, squeeze
from tests.test_ledger import ctx_for


def _batch(db, tmp_path: Path, limit: int = 12):  # type: ignore[no-untyped-def]
    ctx = ctx_for(db)
    out = tmp_path / "debtors.pdf"
    return ctx, out, documents.debtors_batch(ctx, out, limit=limit, today=TODAY, page_size=5)


def test_printed_number_reprints_its_own_receipt(fresh_db, tmp_path: Path) -> None:
    ctx, out, res = _batch(fresh_db, tmp_path)
    assert res.number is not None and res.count == 12
    with fresh_db.read() as uow:
        accounts = uow.session.execute(select(m.Account.number).where(m.Account.balance_minor < 0)
                                       .order_by(m.Account.id).limit(12)).scalars().all()
    number = f"{res.number}/00009"
    # The 9th receipt sits in the top half of the batch's 5th page, with its number printed on it.
    batch_page = squeeze(page_text(out.read_bytes(), 4))
    assert squeeze(number) in batch_page and accounts[8] in batch_page
    first = documents.reprint(ctx, number)
    text = squeeze(page_text(first.pdf))
    assert squeeze(number) in text and accounts[8] in text
    assert accounts[9] not in text  # its own receipt, not its neighbour on the sheet
    assert first.kind == "pd4" and first.qr_payload and f"PersAcc={accounts[8]}" in first.qr_payload
    again = documents.reprint(ctx, number)
    assert again.pdf == first.pdf and again.sha256 == first.sha256
    # The batch as a whole still reprints byte for byte.
    assert documents.reprint(ctx, res.number).pdf == out.read_bytes()


def test_accounts_documents_list_their_batch_receipts(fresh_db, tmp_path: Path) -> None:
    ctx, _out, res = _batch(fresh_db, tmp_path)
    with fresh_db.read() as uow:
        account = uow.session.execute(select(m.Account.number).where(m.Account.balance_minor < 0)
                                      .order_by(m.Account.id).offset(2).limit(1)).scalar_one()
    lines = documents.journal_lines(ctx, account=account)
    mine = [ln for ln in lines if ln.number == f"{res.number}/00003"]
    assert len(mine) == 1 and mine[0].kind == "pd4" and mine[0].amount_minor > 0
    # Another account's receipts are not listed here.
    assert not any(ln.number == f"{res.number}/00004" for ln in lines)


def test_changed_receipt_is_refused_not_reprinted_differently(fresh_db, tmp_path: Path) -> None:
    ctx, _out, res = _batch(fresh_db, tmp_path, limit=4)
    number = f"{res.number}/00002"
    documents.reprint(ctx, number)  # pins the receipt's hash
    with fresh_db.uow() as uow:
        item = uow.session.execute(select(m.DocumentBatchItem).where(m.DocumentBatchItem.number == number)).scalar_one()
        uow.session.execute(update(m.DocumentBatchItem).where(m.DocumentBatchItem.id == item.id)
                            .values(params={**item.params, "amount_minor": item.params["amount_minor"] + 1}))
        uow.commit()
    with pytest.raises(UserError, match="байт в байт"):
        documents.reprint(ctx, number)


def test_cancelled_batch_numbers_are_not_found(fresh_db, tmp_path: Path) -> None:
    ctx = ctx_for(fresh_db)
    stop = threading.Event()
    out = tmp_path / "x.pdf"

    def progress(done: int, _total: int) -> None:
        if done == 3:
            stop.set()

    with fresh_db.read() as uow:
        before = uow.session.execute(select(m.Counter.value).where(m.Counter.name == "document")).scalar()
    res = documents.debtors_batch(ctx, out, limit=10, today=TODAY, progress=progress, cancel=stop)
    assert res.cancelled
    with pytest.raises(NotFound):
        documents.reprint(ctx, f"D-{int(before or 0) + 1:09d}/00001")


def test_migration_0006_numbers_receipts_of_earlier_batches(tmp_path: Path) -> None:
    """Batches printed before 0006 get their receipts' numbers and accounts from the stored params."""
    import json

    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from cashier_app.storage.migrate import alembic_config, upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0005")
    with engine.begin() as conn:
        # Foreign keys are not enforced on this bare connection: one account row is all the backfill reads.
        conn.execute(text("INSERT INTO accounts (id, number, contract_id, currency, balance_minor, credit_minor, "
                          "blocked_minor, internet_on, block_state) "
                          "VALUES (1, '0000042', 1, 'RUB', -100, 0, 0, 1, 'active')"))
        for pos, acc in ((1, "0000042"), (2, "0000404")):
            conn.execute(text("INSERT INTO document_batch_items (batch_number, position, params) VALUES "
                              "('D-000000033', :pos, :p)"),
                         {"pos": pos, "p": json.dumps({"document_number": f"D-000000033/{pos:05d}",
                                                       "target_number": acc})})
    upgrade(engine, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number, account_id FROM document_batch_items ORDER BY position")).all()
    assert [tuple(r) for r in rows] == [("D-000000033/00001", 1), ("D-000000033/00002", None)]
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert "number" not in {c["name"] for c in inspect(engine).get_columns("document_batch_items")}
    engine.dispose()
