"""Engine, session factory and unit of work for SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cashier_app.domain.errors import UserError
from cashier_app.i18n import tr

ENV_DB_URL = "CASHIER_DB_URL"


class DatabaseError(UserError):
    """The database URL is wrong or the server cannot be reached."""


def resolve_url(url: str | None) -> str:
    from cashier_app.settings import default_db_url

    return url or os.environ.get(ENV_DB_URL) or default_db_url()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and pick psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(tr("Неверный адрес базы данных: «{url}» (пример: sqlite:///office.db)", url=url)) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise DatabaseError(tr("Неподдерживаемая база данных «{backend}»: нужна sqlite или postgresql",
                               backend=backend))
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    url = normalise_url(resolve_url(url))
    if url.startswith("sqlite"):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite's own BEGIN is deferred; take the write lock up front so two desks
        # writing at once wait for each other instead of failing mid-transaction.
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(
            url, echo=echo, pool_pre_ping=True, connect_args={"connect_timeout": 5}
        )
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # The driver's implicit transactions would fight the explicit BEGIN above.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    # Lookups never write: a deferred BEGIN keeps them from queueing behind a payment.
    readonly = conn.get_execution_options().get("cashier_readonly", False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def check_connection(engine: Engine) -> None:
    """Fail with one clear line when the server is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(tr("Нет связи с базой данных {url}: {reason}", url=engine.url.render_as_string(),
                                reason=reason)) from exc


def describe(engine: Engine) -> str:
    """What the status bar shows: the backend and where it is."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite: {url.database}"
    return f"PostgreSQL: {url.host or 'localhost'}:{url.port or 5432}/{url.database}"


class UnitOfWork:
    """One user action = one transaction: ``with uow: ...; uow.commit()``.

    Leaving the block without ``commit()`` rolls back, so a failure half-way
    writes nothing.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory
        self.session: Session

    def __enter__(self) -> Self:
        self.session = self._factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back anything not committed and detaches the objects without
        # expiring them, so DTOs can still be built from what was loaded.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class Database:
    """The engine plus a factory of units of work; passed to services."""

    def __init__(self, url: str | None = None, *, echo: bool = False) -> None:
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(cashier_readonly=True), expire_on_commit=False
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.url.get_backend_name() == "postgresql"

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    def read(self) -> UnitOfWork:
        """A unit of work for queries only (no write lock on SQLite)."""
        return UnitOfWork(self.read_sessions)

    def dispose(self) -> None:
        self.engine.dispose()
