"""Layering rules that keep the core testable without a screen."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cashier_app"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_ui_imports_qt() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "ui":
            continue
        if any(name == "PySide6" or name.startswith("PySide6.") for name in _imports(path)):
            offenders.append(str(rel))
    assert offenders == [], f"PySide6 imported outside cashier_app/ui/: {offenders}"


def test_domain_and_printing_do_no_io_layers() -> None:
    forbidden = ("sqlalchemy", "requests", "cashier_app.storage", "cashier_app.services", "cashier_app.ui")
    offenders = []
    for layer in ("domain", "printing"):
        for path in (PACKAGE / layer).rglob("*.py"):
            bad = [n for n in _imports(path) if n.startswith(forbidden)]
            if bad:
                offenders.append((str(path.relative_to(PACKAGE)), bad))
    assert offenders == []


def test_the_check_itself_sees_a_qt_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtWidgets import QWidget\n", "utf-8")
    assert "PySide6.QtWidgets" in _imports(sample)
