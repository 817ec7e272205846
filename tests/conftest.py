"""Shared fixtures: offscreen Qt, private data dirs, demo offices on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

# Before any Qt import: tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_TMP = Path(tempfile.mkdtemp(prefix="cashier-tests-"))
os.environ["CASHIER_DATA_DIR"] = str(_TMP / "data")
os.environ["CASHIER_CONFIG_DIR"] = str(_TMP / "config")
os.environ["CASHIER_LOG_DIR"] = str(_TMP / "log")  # the rotating log of logging_setup, never the real one
os.environ.setdefault("CASHIER_DESK", "test-desk")

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

# CI replays the same examples every run (a landing must not depend on luck); developers'
# runs keep exploring new ones, and what they find becomes a fixed regression test.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")

from cashier_app.storage.db import Database  # noqa: E402

PG_URL = os.environ.get("CASHIER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = date.today()
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def copy_sqlite(src: Path, dst: Path) -> None:
    """``cp office.sqlite3 copy`` done right with WAL files around: SQLite's backup API."""
    import sqlite3

    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    with b:
        a.backup(b)
    a.close()
    b.close()


def make_sqlite_office(path: Path, accounts: int = 2000) -> Database:
    from cashier_app.services.bootstrap import open_database
    from cashier_app.storage.demo import generate

    db = open_database(f"sqlite:///{path}")
    generate(db.engine, accounts=accounts, today=TODAY, hash_password=_fast_hash)
    return db


def _fast_hash(password: str) -> str:
    # argon2 at its real cost, but hashed once per password for the whole session.
    from cashier_app.services.passwords import hash_password

    cache = _fast_hash.__dict__.setdefault("cache", {})
    if password not in cache:
        cache[password] = hash_password(password)
    return cache[password]


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "office.sqlite3"
    make_sqlite_office(path).dispose()
    return path


@pytest.fixture(scope="session")
def demo_db(demo_db_path: Path) -> Iterator[Database]:
    """A read-mostly demo office shared by the session; tests that write use ``fresh_db``."""
    db = Database(f"sqlite:///{demo_db_path}")
    yield db
    db.dispose()


@pytest.fixture
def fresh_db(tmp_path: Path, demo_db_path: Path) -> Iterator[Database]:
    """A private copy of the demo office for tests that change data."""
    import sqlite3

    target = tmp_path / "office.sqlite3"
    # The backup API copies a consistent snapshot even with WAL files around.
    src, dst = sqlite3.connect(demo_db_path), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    db = Database(f"sqlite:///{target}")
    yield db
    db.dispose()


def pg_available() -> str | None:
    """None if the server answers, else the reason."""
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def pg_server() -> str:
    reason = pg_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable at {PG_URL}: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {reason}")
    return PG_URL


@pytest.fixture(scope="session")
def pg_database_factory(pg_server: str) -> Iterator:
    """Creates throw-away databases on the server; drops them at the end of the session.

    ``make()`` is an empty database.  ``make(demo={"accounts": 40, "bookings": 120})`` is a
    private demo office: migrated and generated once per session for those arguments into a
    template database, then copied with ``CREATE DATABASE … TEMPLATE`` — 0.1 s instead of
    ~2 s of migrations and generation per test, and the copy is as private as before.
    """
    import psycopg

    admin = pg_server.replace("postgresql+psycopg://", "postgresql://")
    base, _, _ = pg_server.rpartition("/")
    created: list[str] = []
    templates: dict[tuple[tuple[str, int], ...], str] = {}

    def create(template: str | None = None) -> str:
        # uuid in the name: xdist workers and other sessions share the server.
        name = f"cashier_t_{uuid.uuid4().hex[:10]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        created.append(name)
        return name

    def make(demo: dict[str, int] | None = None) -> str:
        if demo is None:
            return f"{base}/{create()}"
        key = tuple(sorted(demo.items()))
        if key not in templates:
            from cashier_app.services.bootstrap import open_database
            from cashier_app.storage.demo import generate

            template = create()
            db = open_database(f"{base}/{template}")
            generate(db.engine, today=TODAY, hash_password=_fast_hash, **demo)  # type: ignore[arg-type]
            db.dispose()  # a template must have no connections when it is copied
            templates[key] = template
        return f"{base}/{create(templates[key])}"

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_demo_db(pg_database_factory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    from cashier_app.services.bootstrap import open_database

    db = open_database(pg_database_factory(demo={"accounts": 2000}))
    yield db
    db.dispose()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Dialogs delete themselves when closed (``WA_DeleteOnClose``, issue 12): pytest-qt must not close them again.

    Runs before pytest-qt's own teardown: pending deletions are done first, then the dead are forgotten.
    """
    widgets = getattr(item, "qt_widgets", None)
    if widgets:
        import shiboken6
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        item.qt_widgets = [(ref, before) for ref, before in widgets  # type: ignore[attr-defined]
                           if ref() is not None and shiboken6.isValid(ref())]
    return (yield)


@pytest.fixture(autouse=True)
def _close_qt_windows(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    import shiboken6

    for w in QApplication.topLevelWidgets():
        if not shiboken6.isValid(w):
            continue
        w.close()
        if shiboken6.isValid(w):  # a WA_DeleteOnClose window may be gone already
            w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Collect Qt wrappers while QApplication still exists, not during interpreter shutdown."""
    import gc
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
