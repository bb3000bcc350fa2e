"""The domain stays below the web layer (ARCHITECTURE.md §8): services and workers load no Flask.

A worker process reuses the services; if importing them pulled in Flask (or anything of the web
layer), the layers would only be separate on paper.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_services_and_workers_import_without_flask():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in [*ROOT.glob("marketplace/**/services.py"), *ROOT.glob("workers/**/*.py")]  # sub-packages too
        if p.name != "__init__.py"
    )
    assert "marketplace.listings.services" in modules and "workers.runner" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_smorest', 'flask_wtf', 'werkzeug')"
        " or m in ('marketplace.web.app', 'marketplace.web'))\n"
        "print(','.join(web))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the web layer was imported: {out.stdout.strip()}"


def test_each_model_module_alone_configures_its_mappers():
    """A relay or worker process imports only the models it uses; a relationship to another feature's
    class must not leave the mappers unconfigurable there (it did: Order.payment in the relay)."""
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts)
                     for p in [*ROOT.glob("marketplace/*/**/models.py"), ROOT / "events" / "models.py"])
    code = (
        "import importlib, sys\n"
        "from sqlalchemy.orm import configure_mappers\n"
        "importlib.import_module(sys.argv[1])\n"
        "configure_mappers()\n"
    )
    for module in modules:
        out = subprocess.run([sys.executable, "-c", code, module], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, f"{module}: {out.stderr.strip().splitlines()[-1:]}"


# --- the import graph, read from the source (every import statement, function-level ones included) ---

PACKAGES = ("marketplace", "events", "workers")
#: Importing any of these is using the web framework.
WEB_FRAMEWORK = ("flask", "flask_smorest", "flask_wtf", "flask_limiter", "flask_babel", "werkzeug", "wtforms",
                 "webargs")
#: Where the web framework may be used: the web layer, and a feature's web modules by their file name
#: (``webhooks.py`` is a blueprint too: the endpoints outside services call).
WEB_MODULE_NAMES = frozenset({"api", "views", "forms", "webhooks"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _source_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(path: Path, module: str, is_package: bool) -> set[str]:
    """Every module ``path`` imports at run time (``if TYPE_CHECKING:`` blocks are not run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            names.add(origin)
            names.update(f"{origin}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _source_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        imported = _imports(path, module, path.name == "__init__.py")
        graph[module] = {name for name in imported if name in modules and name != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    """The checks below can fail: a circle closed by an import inside a function is found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "one.py").write_text("from pkg import two\n")
    (tmp_path / "pkg" / "two.py").write_text("def later():\n    from pkg.one import thing\n")
    assert _imports(tmp_path / "pkg" / "two.py", "pkg.two", False) >= {"pkg.one"}
    assert "pkg.one" in _imports(tmp_path / "pkg" / "two.py", "pkg.two", False)
    assert _imports(tmp_path / "pkg" / "one.py", "pkg.one", False) >= {"pkg.two"}


def test_no_import_circle_anywhere():
    cycles = _cycles(_graph())
    assert cycles == [], "import circles (each a group of modules that import each other):\n" + "\n".join(
        " ⇄ ".join(c) for c in cycles)


def test_the_event_contract_imports_nothing_of_its_consumers_or_the_web():
    graph = _graph()
    bad = sorted(f"{m} → {t}" for m, targets in graph.items() if m.split(".")[0] == "events" for t in targets
                 if t.split(".")[0] == "workers" or t.startswith("marketplace.web")
                 or t.rsplit(".", 1)[-1] in WEB_MODULE_NAMES)
    assert bad == []


def test_the_web_framework_is_imported_only_by_the_web_layer():
    offenders = []
    for module, path in sorted(_source_modules().items()):
        if module.startswith("marketplace.web") or (
                module.startswith("marketplace.") and module.rsplit(".", 1)[-1] in WEB_MODULE_NAMES):
            continue
        used = {name.split(".")[0] for name in _imports(path, module, path.name == "__init__.py")}
        if used & set(WEB_FRAMEWORK):
            offenders.append(f"{module} ({', '.join(sorted(used & set(WEB_FRAMEWORK)))})")
    assert offenders == [], "Flask outside the web layer:\n" + "\n".join(offenders)
