"""The event contract stands alone: nothing in ``events/`` imports the workers or the web layer.

The arrows point from ``workers/`` to ``events/`` (STYLE.md, "Our layout"), never back: the workers
consume the contract, and what the pipeline needs to know about them (who consumes what) is handed to
it by the command line that composes both. Imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"


def _forbidden(module: str) -> bool:
    parts = module.split(".")
    return (
        parts[0] in ("workers", "flask", "flask_smorest", "flask_wtf", "werkzeug")
        or module.startswith("marketplace.web")
        or (parts[0] == "marketplace" and parts[-1] in ("api", "views", "cli"))
    )


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module ``tree`` imports: ``import``/``from`` statements, and ``import_module("…")`` calls."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_events_imports_nothing_of_the_workers_or_the_web_layer():
    paths = sorted(EVENTS_DIR.glob("*.py"))
    assert EVENTS_DIR / "cli.py" in paths and EVENTS_DIR / "relay.py" in paths
    offenders = [
        f"events/{path.name}:{line}: {module}"
        for path in paths
        for line, module in _imported(ast.parse(path.read_text(), str(path)))
        if _forbidden(module)
    ]
    assert offenders == []


def test_the_check_sees_imports_inside_functions():
    tree = ast.parse(
        "def f():\n"
        "    from workers.subscriptions import subscriptions\n"
        "    import marketplace.web.app\n"
        "    importlib.import_module('workers.payments.handlers')\n"
        "    from marketplace.ops import views\n"
    )
    assert {m for _, m in _imported(tree) if _forbidden(m)} == {
        "workers.subscriptions", "workers.subscriptions.subscriptions", "marketplace.web.app",
        "workers.payments.handlers", "marketplace.ops.views",
    }
