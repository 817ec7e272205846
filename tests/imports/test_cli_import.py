"""``cashier-app import accounts``: counts, exit codes 0 / 2 / 3, one JSON line, errors by line and column."""

from __future__ import annotations

import json
from pathlib import Path

from cashier_app.storage.db import Database
from tests.imports.helpers import row, write
from tests.test_cli import cli


def test_cli_import_exit_codes_and_messages(fresh_db: Database, tmp_path: Path) -> None:
    url = str(fresh_db.engine.url)
    bad = write(tmp_path / "bad.csv", [row(1), row(2, balance="12,3,4")])
    dry = cli("import", "accounts", str(bad), "--payee", "nts", "--dry-run", "--partial", "--db", url, user="admin")
    assert dry.returncode == 3, dry.stderr
    assert 'строка 3, колонка balance: не число: "12,3,4"' in dry.stdout
    refused = cli("import", "accounts", str(bad), "--payee", "nts", "--partial", "--json", "--db", url, user="admin")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    line = json.loads(refused.stdout)
    assert line["bad"] == 1 and line["written"] is False and line["errors"] == ['строка 3, колонка balance: не число: "12,3,4"']
    good = write(tmp_path / "good.csv", [row(1), row(2)])
    done = cli("import", "accounts", str(good), "--payee", "nts", "--partial", "--db", url, user="admin")
    assert done.returncode == 0 and "новых" in done.stdout and "2" in done.stdout
