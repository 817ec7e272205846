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


# --- import cycles and who imports whom (issue 11 §8) ---------------------------------------------------------

def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package's modules it imports, at the top or inside a function.

    A function-level import is still a dependency: it only hides a cycle from Python's import
    machinery until the first call, it does not remove it.  ``from pkg import mod`` counts as
    importing ``pkg.mod``; package ``__init__`` modules are left out (they hold no code here).
    """
    paths = {_module_name(p, package): p for p in package.rglob("*.py")}
    root = package.name

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names]
            else:
                continue
            for target in targets:
                if target == root or target.startswith(root + "."):
                    dep = known(target)
                    if dep and dep != name and not paths[dep].name == "__init__.py":
                        deps.add(dep)
        graph[name] = deps
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                group = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.add(w)
                    if w == v:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


S = "cashier_app.services."


def test_no_import_cycles_between_modules() -> None:
    cycles = [sorted(c) for c in import_cycles(module_graph())]
    assert cycles == [], f"import cycles: {cycles}"


def test_printing_and_corrections_are_in_no_cycle() -> None:
    """The two cycles issue 11 broke: printing.documents ⇄ its renderers, card_payments ⇄ corrections."""
    in_cycles = set().union(*import_cycles(module_graph()))
    assert not {n for n in in_cycles if n.startswith("cashier_app.printing.")}
    assert S + "corrections" not in in_cycles
    graph = module_graph()
    assert "cashier_app.printing.documents" not in graph["cashier_app.printing.pd4"]
    assert S + "card_payments" not in graph[S + "corrections"]


def test_storage_and_domain_import_no_services() -> None:
    graph = module_graph()
    offenders = {name: sorted(d for d in deps if d.startswith(("cashier_app.services", "cashier_app.ui")))
                 for name, deps in graph.items() if name.startswith("cashier_app.storage")}
    # The domain explains its rules in the user's language: cashier_app.i18n (stdlib gettext, a leaf) is allowed.
    offenders |= {name: sorted(d for d in deps if not d.startswith("cashier_app.domain") and d != "cashier_app.i18n")
                  for name, deps in graph.items() if name.startswith("cashier_app.domain")}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert graph["cashier_app.i18n"] == set()  # and it imports nothing of the package


def test_the_cycle_check_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", "utf-8")
    (pkg / "a.py").write_text("from pkg import b\n", "utf-8")
    (pkg / "b.py").write_text("def f():\n    from pkg.c import g\n", "utf-8")
    (pkg / "c.py").write_text("from . import a\n", "utf-8")
    (pkg / "d.py").write_text("import pkg.a\n", "utf-8")
    graph = module_graph(pkg)
    assert graph["pkg.c"] == {"pkg.a"} and graph["pkg.d"] == {"pkg.a"}
    assert import_cycles(graph) == [{"pkg.a", "pkg.b", "pkg.c"}]


def test_services_never_import_the_emulators() -> None:
    """The fake bank and register live outside ``services`` (issue 13): the app cannot lean on them."""
    graph = module_graph()
    offenders = {name: sorted(d for d in deps if d.startswith("cashier_app.emulators"))
                 for name, deps in graph.items() if name.startswith(("cashier_app.services", "cashier_app.domain",
                                                                     "cashier_app.storage", "cashier_app.ui"))}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert not any(name.startswith(S + "gateways.sandbox") for name in graph)
