"""Import of a payee's subscribers from its billing's export (issue 14): upsert, close the missing, report.

One transaction per import (all-or-nothing; ``skip_bad``: the good rows in one transaction), written
with SQLAlchemy Core in chunks of ``CHUNK`` rows: one SELECT of the chunk's existing numbers, then
executemany INSERTs/UPDATEs for the rows that changed only.  Memory stays flat: the numbers the file
lists go to a temporary table (``import_seen``), which the closing of missing accounts reads.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, literal_column, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cashier_app.domain import import_fields as f
from cashier_app.domain.errors import RuleViolation, UserError, ValidationError
from cashier_app.domain.normalize import street_key, text_key
from cashier_app.i18n import N_, ntr, tr
from cashier_app.services import audit, office_time
from cashier_app.services.context import DeskContext
from cashier_app.services.importing.bulk_insert import insert_rows
from cashier_app.services.importing.planner_stats import PlannerStats
from cashier_app.services.importing.report import ImportReport, Preview, RowError
from cashier_app.services.importing.seen_numbers import mark_seen as _mark_seen
from cashier_app.services.importing.seen_numbers import seen_table as _seen_table
from cashier_app.services.importing.sources import Table, read_table
from cashier_app.services.permissions import require
from cashier_app.storage import models as m

CHUNK = 2000
MAX_KEPT_ERRORS = 1000
_LOCK_BASE = 0x1D14_0000  # pg advisory lock key space of imports: base + payee id

A, C, T, SV, AS = (m.Account.__table__, m.Contract.__table__, m.Tariff.__table__, m.Service.__table__,
                   m.AccountService.__table__)
CONTRACT_COLS = ("full_name", "name_norm", "phone", "phone_norm", "email", *f.ADDRESS_KEYS, "street_norm")
ACCOUNT_COLS = ("login", "tariff_id", "balance_minor", "block_state", "internet_on", "promised_amount_minor",
                "autopay_amount_minor")


@dataclass(slots=True)
class _Row:
    line: int
    number: str
    contract: str
    values: dict[str, Any]  # field → parsed value, only the mapped fields
    raw: list[str]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def preview(path: Path, *, preset: str = "generic", mapping: dict[str, str] | None = None, rows: int = 10) -> Preview:
    """The wizard's first page: the file as read, how its columns map, the first ``rows`` rows."""
    table = read_table(Path(path))
    cols = f.mapping_for(table.columns, preset, mapping)
    first: list[list[str]] = []
    for _line, values in table.rows():
        first.append(values)
        if len(first) >= rows:
            break
    return Preview(table.encoding, table.delimiter, table.columns, cols, f.missing_required(cols), first)


def parse_row(line: int, values: list[str], columns: list[str], mapping: dict[str, str]) -> _Row | list[RowError]:
    """One file row → the fields' values, or every bad cell of it (line + the column as written)."""
    errors: list[RowError] = []
    out: dict[str, Any] = {}
    if len(values) > len(columns) and any(v.strip() for v in values[len(columns):]):
        errors.append(RowError(line, columns[-1], ntr("лишние значения: {n} колонка при {header} в заголовке",
                                                      "лишние значения: {n} колонок при {header} в заголовке",
                                                      len(values), header=len(columns))))
    for i, col in enumerate(columns):
        field = mapping.get(col)
        if field is None:
            continue
        cell = values[i] if i < len(values) else ""
        try:
            out[field] = _parse_cell(field, cell)
        except f.FieldError as exc:
            errors.append(RowError(line, col, str(exc)))
    if errors:
        return errors
    number = out["number"]
    # Contract numbers are kept upper-case: the counter's lookup compares them upper-cased.
    contract = (out.get("contract") or number).upper()
    return _Row(line, number, contract, out, values)


def _parse_cell(field: str, cell: str) -> Any:
    if field in ("number", "contract"):
        if field == "contract" and not cell.strip():
            return None
        return f.parse_number(cell)
    if field == "full_name":
        return f.parse_text(cell, "full_name", required=True)
    if field == "login":
        v = f.parse_text(cell, "login")
        return v.lower() if v else None  # the lookup matches logins lower-cased
    if field == "phone":
        return f.parse_phone(cell)
    if field == "email":
        return f.parse_email(cell)
    if field == "address":
        return f.parse_address_cell(cell)
    if field == "tariff":
        return f.parse_text(cell, "tariff")
    if field in ("monthly_charge", "promised", "autopay"):
        return f.parse_money(cell)
    if field == "balance":
        return f.parse_money(cell)
    if field == "blocked":
        return f.parse_blocked(cell)
    if field == "services":
        return f.parse_services(cell)
    raise AssertionError(field)


def unsent_payments_adjustment(conn: Connection, payee_id: int, numbers: list[str]) -> dict[str, int]:
    """What this app took on these accounts that the billing cannot know yet, per account number.

    The billing is authoritative for the balance, but its export was made before our payments
    reached it: a ``pay`` delivery row still ``pending``/``sent`` is money the subscriber paid here
    and the billing's ``balance`` lacks, so it is added; a ``cancel`` still on its way is taken off
    (the billing still counts that payment).  No connector → no delivery rows → no adjustment.
    """
    if not numbers:
        return {}
    bd = m.BillingDelivery.__table__
    sign = func.sum(func.coalesce(
        text("CASE WHEN billing_deliveries.operation = 'cancel' THEN -amount_minor ELSE amount_minor END"), 0))
    rows = conn.execute(
        select(bd.c.account_number, sign)
        .where(bd.c.payee_id == payee_id, bd.c.state.in_(("pending", "sent")), bd.c.account_number.in_(numbers))
        .group_by(bd.c.account_number)
    )
    return {n: int(v) for n, v in rows if v}


class _Writer:
    """The chunked write path; every SELECT is by the chunk's numbers, so memory is one chunk."""

    def __init__(self, conn: Connection, payee_id: int, mapped: set[str], today: Any) -> None:
        self.conn, self.payee_id, self.mapped, self.today = conn, payee_id, mapped, today
        self.pg = conn.dialect.name == "postgresql"
        self.tariffs = {name: (tid, fee) for tid, name, fee in conn.execute(
            select(T.c.id, T.c.name, T.c.monthly_fee_minor).where(T.c.payee_id == payee_id))}
        self.services = dict(conn.execute(select(SV.c.name, SV.c.id).where(SV.c.payee_id == payee_id)).all())
        self.created = self.updated = self.unchanged = self.reopened = self.adjusted = 0

    def _tariff_id(self, name: str | None, fee: int | None) -> int | None:
        if name is None:
            return None
        tid, old = self.tariffs.get(name, (None, None))
        if tid is None:
            tid = self.conn.execute(insert(T).values(payee_id=self.payee_id, name=name,
                                                     monthly_fee_minor=fee or 0).returning(T.c.id)).scalar_one()
        elif fee is not None and fee != old:
            self.conn.execute(update(T).where(T.c.id == tid).values(monthly_fee_minor=fee))
        else:
            return tid
        self.tariffs[name] = (tid, fee if fee is not None else old or 0)
        return tid

    def _service_id(self, name: str) -> int:
        sid = self.services.get(name)
        if sid is None:
            sid = self.conn.execute(insert(SV).values(payee_id=self.payee_id, name=name, monthly_fee_minor=0)
                                    .returning(SV.c.id)).scalar_one()
            self.services[name] = sid
        return sid

    def _contract_values(self, r: _Row) -> dict[str, Any]:
        v = r.values
        out: dict[str, Any] = {"full_name": v["full_name"], "name_norm": text_key(v["full_name"])}
        if "phone" in self.mapped:
            out["phone"], out["phone_norm"] = v["phone"]
        if "email" in self.mapped:
            out["email"] = v["email"]
        if "address" in self.mapped:
            out.update(v["address"])
            out["street_norm"] = street_key(v["address"]["street"]) if v["address"]["street"] else None
        return out

    def _account_values(self, r: _Row, adjust: int) -> dict[str, Any]:
        v = r.values
        out: dict[str, Any] = {}
        if "login" in self.mapped:
            out["login"] = v["login"]
        if "tariff" in self.mapped:
            out["tariff_id"] = self._tariff_id(v["tariff"], v.get("monthly_charge"))
        if "balance" in self.mapped and v["balance"] is not None:
            out["balance_minor"] = v["balance"] + adjust
        if "blocked" in self.mapped:
            out["block_state"] = "admin" if v["blocked"] else "active"
            out["internet_on"] = not v["blocked"]
        if "promised" in self.mapped:
            out["promised_amount_minor"] = v["promised"]
        if "autopay" in self.mapped:
            out["autopay_amount_minor"] = v["autopay"]
        return out

    def write(self, rows: list[_Row]) -> list[RowError]:
        """Upsert one chunk; rows refused by what the database holds come back as errors."""
        conn, errors = self.conn, []
        numbers = [r.number for r in rows]
        # Rows locked in number order (PostgreSQL): a cash payment crediting one of them waits for the
        # import's commit and then adds to the balance written here, instead of being overwritten.
        acc_q = (select(A.c.id, A.c.number, A.c.contract_id, A.c.closed_on, *[A.c[k] for k in ACCOUNT_COLS],
                        C.c.payee_id).join(C, C.c.id == A.c.contract_id)
                 .where(A.c.number.in_(numbers)).order_by(A.c.number))
        if self.pg:
            acc_q = acc_q.with_for_update(of=A)
        existing = {row.number: row for row in conn.execute(acc_q)}
        contracts = {row.number: row for row in conn.execute(
            select(C.c.id, C.c.number, C.c.payee_id, *[C.c[k] for k in CONTRACT_COLS])
            .where(C.c.number.in_({r.contract for r in rows})))}
        logins = {r.values["login"]: r.number for r in rows if r.values.get("login")}
        taken = dict(conn.execute(select(A.c.login, A.c.number).where(A.c.login.in_(logins))).all()) if logins else {}
        adjust = unsent_payments_adjustment(conn, self.payee_id, numbers)
        good: list[_Row] = []
        for r in rows:
            acc, con = existing.get(r.number), contracts.get(r.contract)
            if acc is not None and acc.payee_id != self.payee_id:
                errors.append(RowError(r.line, "number", tr("лицевой счёт {number} принадлежит другому получателю",
                                                            number=r.number)))
            elif con is not None and con.payee_id != self.payee_id:
                errors.append(RowError(r.line, "contract", tr("договор {contract} принадлежит другому получателю",
                                                              contract=r.contract)))
            elif r.values.get("login") and taken.get(r.values["login"], r.number) != r.number:
                login = r.values["login"]
                errors.append(RowError(r.line, "login", tr("логин «{login}» уже у счёта {number}", login=login,
                                                           number=taken[login])))
            else:
                good.append(r)
        self.adjusted += sum(1 for r in good if adjust.get(r.number) and "balance" in self.mapped)
        # Contracts first: new ones inserted in one executemany, changed ones updated.
        new_con, upd_con = [], []
        for r in good:
            cv = self._contract_values(r)
            con = contracts.get(r.contract)
            if con is None:
                contracts[r.contract] = None  # type: ignore[assignment] - two accounts, one new contract
                new_con.append({"number": r.contract, "payee_id": self.payee_id, **cv})
            elif con is not None and any(getattr(con, k) != v for k, v in cv.items()):
                upd_con.append({"_id": con.id, **cv})
        if new_con:
            new_con = list({c["number"]: c for c in new_con}.values())
            insert_rows(conn, C, new_con)
        for batch in _by_keys(upd_con):
            conn.execute(update(C).where(C.c.id == bindparam("_id")), batch)
        ids = dict(conn.execute(select(C.c.number, C.c.id).where(C.c.number.in_({r.contract for r in good}))).all())
        changed_con = {c["_id"] for c in upd_con}
        have_svc: dict[int, set[str]] = {}
        if "services" in self.mapped and existing:
            for aid, name in conn.execute(select(AS.c.account_id, SV.c.name).join(SV, SV.c.id == AS.c.service_id)
                                          .where(AS.c.account_id.in_([a.id for a in existing.values()]))):
                have_svc.setdefault(aid, set()).add(name)
        new_acc, upd_acc, svc_sets = [], [], []
        for r in good:
            av = self._account_values(r, adjust.get(r.number, 0))
            acc = existing.get(r.number)
            cid = ids[r.contract]
            if acc is None:
                new_acc.append({"number": r.number, "contract_id": cid, "currency": "RUB",
                                "opened_on": self.today, **{"balance_minor": 0, **av}})
                self.created += 1
                svc_sets.append(r)
                continue
            changes = {k: v for k, v in av.items() if getattr(acc, k) != v}
            if acc.contract_id != cid:
                changes["contract_id"] = cid
            if acc.closed_on is not None:
                changes["closed_on"] = None
                self.reopened += 1
            svc_changed = "services" in self.mapped and have_svc.get(acc.id, set()) != set(r.values["services"])
            if changes:
                upd_acc.append({"_id": acc.id, **changes})
            if svc_changed:
                svc_sets.append(r)
            con_changed = cid in changed_con
            if changes or svc_changed or con_changed:
                self.updated += 1 if acc.closed_on is None else 0
            else:
                self.unchanged += 1
        if new_acc:
            for batch in _by_keys(new_acc):
                insert_rows(conn, A, batch)
        for batch in _by_keys(upd_acc):
            conn.execute(update(A).where(A.c.id == bindparam("_id")), batch)
        self._write_services(svc_sets)
        return errors

    def _write_services(self, rows: list[_Row]) -> None:
        if "services" not in self.mapped or not rows:
            return
        ids = dict(self.conn.execute(select(A.c.number, A.c.id).where(A.c.number.in_([r.number for r in rows]))).all())
        self.conn.execute(AS.delete().where(AS.c.account_id.in_(ids.values())))
        links = [{"account_id": ids[r.number], "service_id": self._service_id(n)} for r in rows
                 for n in r.values["services"]]
        if links:
            self.conn.execute(insert(AS), links)


def _by_keys(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """executemany needs the same keys in every row: group the changed rows by which columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    yield from groups.values()


PARALLEL_BYTES = 4 * 1024 * 1024  # above this size the cells are parsed in a second process


def parse_chunk(raw: list[tuple[int, list[str]]], columns: list[str],
                mapping: dict[str, str]) -> list[_Row | list[RowError]]:
    return [parse_row(line, values, columns, mapping) for line, values in raw]


def _raw_chunks(table: Table) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for item in table.rows():
        chunk.append(item)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parsed(table: Table, mapping: dict[str, str]) -> Iterator[tuple[list[_Row | list[RowError]], list[list[str]]]]:
    """Chunks of parsed rows, in file order.  A big file is parsed by a second process while this one
    writes the previous chunk (parsing is half the time; two cores): at most two chunks in flight,
    so memory stays flat."""
    if table.path.stat().st_size < PARALLEL_BYTES:
        for raw in _raw_chunks(table):
            yield parse_chunk(raw, table.columns, mapping), [v for _, v in raw]
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the GUI's wizard calls this from a Qt process, which must never fork.
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        pending: list[tuple[Any, list[list[str]]]] = []
        for raw in _raw_chunks(table):
            pending.append((pool.submit(parse_chunk, raw, table.columns, mapping), [v for _, v in raw]))
            if len(pending) >= 2:
                fut, values = pending.pop(0)
                yield fut.result(), values
        for fut, values in pending:
            yield fut.result(), values


def _chunks(table: Table, mapping: dict[str, str], bad: Callable[[list[RowError], list[str]], None],
            cancel: Callable[[], bool] | None) -> Iterator[list[_Row]]:
    for parsed, values in _parsed(table, mapping):
        chunk: list[_Row] = []
        for item, raw in zip(parsed, values, strict=True):
            if isinstance(item, list):
                bad(item, raw)
            else:
                chunk.append(item)
        yield chunk
        if cancel is not None and cancel():
            raise _Cancelled


class _Cancelled(Exception):
    pass


def _close_missing(conn: Connection, payee_id: int, today: Any) -> int:
    # NOT EXISTS, not NOT IN: PostgreSQL runs NOT IN over a million-row subquery as a nested loop when
    # the hash does not fit work_mem (a 1 M-row import sat 15 min here); the anti-join is linear.
    in_payee = select(C.c.id).where(C.c.payee_id == payee_id)
    res = conn.execute(update(A).where(and_(A.c.closed_on.is_(None), A.c.contract_id.in_(in_payee),
                                            ~exists(select(literal_column("1")).select_from(text("import_seen"))
                                                    .where(literal_column("import_seen.number") == A.c.number))))
                       .values(closed_on=today))
    return res.rowcount or 0


def _payee(conn: Connection, code: str) -> int:
    row = conn.execute(select(m.Payee.id, m.Payee.kind).where(m.Payee.code == code)).first()
    if row is None:
        raise ValidationError("--payee", tr("нет получателя с кодом «{code}»", code=code))
    if row.kind != "isp":
        raise ValidationError("--payee", tr("«{code}» — не провайдер: лицевые счета загружаются только провайдерам",
                                            code=code))
    return int(row.id)


def _lock_payee(conn: Connection, payee_id: int) -> None:
    """One import per payee at a time: a second is refused at once, not queued behind the first."""
    if conn.dialect.name == "postgresql":
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _LOCK_BASE + payee_id}).scalar()
        if not got:
            raise RuleViolation(tr("импорт уже идёт: этого получателя сейчас загружает другая касса — дождитесь конца"))
    # SQLite: BEGIN IMMEDIATE (storage.db) already makes the second writer wait for the first.


def _run_row(ctx: DeskContext, conn: Connection, rep: ImportReport, payee_id: int | None, sha: str, preset: str,
             state: str, started: datetime, message: str | None = None) -> int:
    return int(conn.execute(insert(m.ImportRun.__table__).values(
        kind=rep.kind, payee_id=payee_id, file_name=rep.file_name[-255:], file_sha256=sha, preset=preset,
        state=state, counts=rep.counts(), message=(message or "")[:255] or None,
        user_id=ctx.user.id if ctx.user else None, desk=ctx.desk, started_at=started,
        finished_at=datetime.now(UTC)).returning(m.ImportRun.__table__.c.id)).scalar_one())


def run(ctx: DeskContext, path: Path, *, payee_code: str, preset: str = "generic", mapping: dict[str, str] | None = None,
        dry_run: bool = False, skip_bad: bool = False, partial: bool = False,
        progress: Callable[[int, int | None], None] | None = None,
        cancel: Callable[[], bool] | None = None) -> ImportReport:
    """Import ``path`` into ``payee_code``'s accounts; see the module docstring.  Admin only."""
    require(ctx, "manage_payees")
    path = Path(path)
    table = read_table(path)
    cols = f.mapping_for(table.columns, preset, mapping)
    missing = f.missing_required(cols)
    if missing:
        fields = ", ".join(f"{x} ({tr(f.FIELD_LABELS[x])})" for x in missing)
        raise ValidationError(N_("колонки"), tr("в файле нет колонок для полей: {fields}; укажите их через "
                                                "--map КОЛОНКА=поле", fields=fields))
    rep = ImportReport(kind="accounts", file_name=path.name, dry_run=dry_run)
    sha, started, today = file_sha256(path), datetime.now(UTC), ctx.today()
    mapped = set(cols.values())
    reject = _Rejects(path) if skip_bad and not dry_run else None
    numberless_bad = False
    bad_numbers: list[str] = []

    def bad(errs: list[RowError], values: list[str]) -> None:
        nonlocal numberless_bad
        rep.bad_total += 1
        room = MAX_KEPT_ERRORS - len(rep.bad)
        rep.bad.extend(errs[:max(room, 0)])
        if reject is not None:
            reject.add(errs, values)
        # A bad row's account is still in the export: it must not be closed as missing.
        num_col = _col_of(cols, "number")
        if values and not any(e.column == num_col for e in errs) and num_col in table.columns:
            try:
                bad_numbers.append(f.parse_number(values[table.columns.index(num_col)]))
                return
            except (f.FieldError, IndexError):
                pass
        if values:
            numberless_bad = True

    s = ctx.db.sessions()
    try:
        conn = s.connection()
        payee_id = _payee(conn, payee_code)
        _lock_payee(conn, payee_id)
        _seen_table(conn)
        w = _Writer(conn, payee_id, mapped, today)
        stats = PlannerStats(conn, ("contracts", "accounts"))
        try:
            for chunk in _chunks(table, cols, bad, cancel):
                rep.rows += len(chunk)
                dup = _mark_seen(conn, [r.number for r in chunk])
                local: set[str] = set()
                keep = []
                for r in chunk:
                    if r.number in dup or r.number in local:
                        twice = tr("лицевой счёт {number} в файле дважды", number=r.number)
                        bad([RowError(r.line, _col_of(cols, "number"), twice)], r.raw)
                    else:
                        local.add(r.number)
                        keep.append(r)
                for err in w.write(keep):
                    bad([RowError(err.line, _col_of(cols, err.column) or err.column, err.message)], [])
                stats.grew(len(keep))
                if progress is not None:
                    progress(rep.rows + rep.bad_total, None)
        except _Cancelled:
            s.rollback()
            rep.cancelled = True
            _finish_failed(ctx, rep, payee_id, sha, preset, "cancelled", started, "отменён")  # i18n: data
            return rep
        rep.created, rep.updated, rep.unchanged, rep.reopened = w.created, w.updated, w.unchanged, w.reopened
        rep.rows = rep.created + rep.updated + rep.unchanged + rep.reopened + rep.bad_total
        if w.adjusted:
            rep.warnings.append(ntr("баланс {n} счёта увеличен на платежи, ещё не доставленные в биллинг",
                                    "баланс {n} счетов увеличен на платежи, ещё не доставленные в биллинг", w.adjusted))
        stats.refresh()  # the closing of missing accounts and the office's next searches plan right
        if not partial:
            if numberless_bad:
                rep.warnings.append(tr("в файле есть строки без верного номера счёта — отсутствующие счета не закрыты"))
            elif rep.rows == rep.bad_total:
                # A header-only (or all-bad) «full export» would close every account of the payee.
                rep.warnings.append(tr("в файле нет ни одного счёта — отсутствующие счета не закрыты"))
            else:
                for i in range(0, len(bad_numbers), CHUNK):
                    _mark_seen(conn, bad_numbers[i:i + CHUNK])
                rep.closed = _close_missing(conn, payee_id, today)
        if rep.bad_total and not skip_bad:
            s.rollback()
            if not dry_run:
                _finish_failed(ctx, rep, payee_id, sha, preset, "failed", started,
                               f"{rep.bad_total} строк с ошибками: ничего не загружено")  # i18n: data
            return rep
        if dry_run:
            s.rollback()
            return rep
        if rep.changed == 0:
            before = conn.execute(select(m.ImportRun.__table__.c.finished_at).where(
                m.ImportRun.__table__.c.kind == "accounts", m.ImportRun.__table__.c.payee_id == payee_id,
                m.ImportRun.__table__.c.file_sha256 == sha, m.ImportRun.__table__.c.state == "done")
                .order_by(m.ImportRun.__table__.c.id.desc()).limit(1)).scalar()
            if before is not None:
                rep.same_file = True
                zone = office_time.office_zone(s)  # the office's clock, not UTC's
                at = before.astimezone(zone) if zone is not None else before.astimezone()
                rep.warnings.append(tr("Изменений нет: файл уже загружен {at}", at=f"{at:%d.%m.%Y %H:%M}"))
        rep.run_id = _run_row(ctx, conn, rep, payee_id, sha, preset, "done", started)
        audit.record(s, ctx, "import.accounts", "payee", payee_code,
                     after={"file": path.name, "sha256": sha, "preset": preset, **rep.counts()})
        s.commit()
        rep.written = rep.changed > 0
        if reject is not None and rep.bad_total:
            rep.skipped_report = str(reject.path)
        return rep
    except IntegrityError as exc:
        s.rollback()
        raise UserError(tr("Импорт не выполнен: конфликт уникальных значений в базе ({error}); ничего не загружено",
                           error=_first_line(exc))) from None
    finally:
        if reject is not None:
            reject.close(keep=rep.bad_total > 0 and not rep.cancelled)
        s.close()


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]


def _col_of(cols: dict[str, str], field: str) -> str:
    return next((c for c, v in cols.items() if v == field), field)


def _finish_failed(ctx: DeskContext, rep: ImportReport, payee_id: int, sha: str, preset: str, state: str,
                   started: datetime, message: str) -> None:
    # A refused or cancelled import writes nothing but its own record (for the admin's history);
    # its ``message`` is stored data, not a message shown now: in Russian, untranslated.
    with ctx.db.uow() as uow:
        rep.run_id = _run_row(ctx, uow.session.connection(), rep, payee_id, sha, preset, state, started, message)
        uow.commit()


class _Rejects:
    """``--skip-bad``: the rejected rows with their reasons, next to the source file (streamed)."""

    def __init__(self, source: Path) -> None:
        self.path = source.with_name(source.stem + ".rejected.csv")
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._fh = self._tmp.open("w", encoding="utf-8-sig", newline="")
        self._w = csv.writer(self._fh, delimiter=";")
        self._w.writerow([tr("строка"), tr("колонка"), tr("причина"), tr("значения")])  # for a person: UI language

    def add(self, errs: list[RowError], values: list[str]) -> None:
        for e in errs:
            self._w.writerow([e.line, e.column, e.message, ";".join(values)])

    def close(self, *, keep: bool) -> None:
        self._fh.close()
        if keep:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)
