"""The command: one clear line for user mistakes, a startup figure for --smoke."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


AUTH_VARS = ("CASHIER_USER", "CASHIER_PASSWORD", "CASHIER_TOKEN")


def as_user(login: str, password: str | None = None) -> dict[str, str]:
    """Environment for a ``cashier-app`` process acting as a demo user (demo passwords equal the logins)."""
    return {"CASHIER_USER": login, "CASHIER_PASSWORD": login if password is None else password}


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without a developer's own credentials, plus ``env``."""
    return {**{k: v for k, v in os.environ.items() if k not in AUTH_VARS}, **(env or {})}


def cli(*args: str, env: dict[str, str] | None = None, user: str | None = None, stdin: str | None = None,
        timeout: int = 90) -> subprocess.CompletedProcess[str]:
    """Run ``cashier-app``; ``user`` signs in as that demo user (``--as`` in ``args`` still wins)."""
    full_env = clean_env({**(as_user(user) if user else {}), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "cashier_app", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=full_env, input=stdin,
    )


def _one_clean_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "Неверный адрес базы данных"),
        ("mysql://root@localhost/x", "Неподдерживаемая база данных"),
        ("postgresql://postgres@127.0.0.1:1/none", "Нет связи с базой данных"),
    ],
)
def test_bad_db_url_gives_one_line(url: str, expected: str) -> None:
    line = _one_clean_line(cli("find", "1", "--db", url))
    assert expected in line


def test_unknown_account_gives_one_line(fresh_db) -> None:  # type: ignore[no-untyped-def]
    # A private copy: signing in writes to the audit trail, and the shared demo office stays as made.
    line = _one_clean_line(cli("show", "account", "999999999", "--db", str(fresh_db.engine.url), user="cashier"))
    assert "не найден" in line


def test_bad_argument_gives_one_line() -> None:
    line = _one_clean_line(cli("find"))
    assert "ЗАПРОС" in line or "required" in line


def test_find_json_and_show(fresh_db) -> None:  # type: ignore[no-untyped-def]
    db = str(fresh_db.engine.url)
    proc = cli("find", "dem001", "--json", "--db", db, user="cashier")
    assert proc.returncode == 0, proc.stderr
    hit = json.loads(proc.stdout.splitlines()[0])
    assert hit["kind"] == "account" and hit["number"] == "0000001" and hit["login"] == "dem001"
    proc = cli("show", "account", "0000001", "--json", "--db", db, user="cashier")
    card = json.loads(proc.stdout)
    assert card["number"] == "0000001" and "amount_due_minor" in card


def test_smoke_offscreen_prints_startup_time(tmp_path: Path) -> None:
    env = {"CASHIER_DATA_DIR": str(tmp_path), "CASHIER_CONFIG_DIR": str(tmp_path / "cfg")}
    env.pop("DISPLAY", None)
    full = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    full.update(env)
    proc = subprocess.run([sys.executable, "-m", "cashier_app", "--smoke"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=full)
    assert proc.returncode == 0, proc.stderr
    assert "startup_ms=" in proc.stdout
    assert (tmp_path / "cashier.sqlite3").exists()  # created the demo office on first start
    # The plain GUI with no display says so in one line instead of crashing.
    proc = subprocess.run([sys.executable, "-m", "cashier_app"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=full)
    line = _one_clean_line(proc)
    assert "нет дисплея" in line


def test_init_db_with_scale(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'scaled.sqlite3'}"
    proc = cli("init-db", "--db", db, "--scale", "400")
    assert proc.returncode == 0, proc.stderr
    assert "400 лицевых счетов" in proc.stdout and "100 заявок" in proc.stdout
    again = cli("init-db", "--db", db, "--demo")
    assert "уже содержит данные" in _one_clean_line(again)


def test_smoke_on_postgresql_creates_the_demo_office(pg_database_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_database_factory()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "CASHIER_CONFIG_DIR": str(tmp_path)})
    proc = subprocess.run([sys.executable, "-m", "cashier_app", "--smoke", "--db", url], capture_output=True,
                          text=True, timeout=180, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "startup_ms=" in proc.stdout and "db=postgresql" in proc.stdout
    found = cli("find", "dem001", "--json", "--db", url, user="cashier")
    assert json.loads(found.stdout.splitlines()[0])["number"] == "0000001"
