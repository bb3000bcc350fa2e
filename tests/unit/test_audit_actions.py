"""Every admin action the code records can be filtered on and is named on the audit-log page: the list
of actions and target types (``marketplace.audit.services``) holds each literal passed to
``record_admin_action`` anywhere (a missing one was refused as a filter with 422)."""

from __future__ import annotations

import ast
from pathlib import Path

from marketplace.audit.services import ACTION_LABELS, TARGET_LABELS

ROOT = Path(__file__).resolve().parents[2]


def _recorded() -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / "marketplace").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "record_admin_action":
                action, target = node.args[2], node.args[3]
                if isinstance(action, ast.Constant) and isinstance(target, ast.Constant):
                    found.add((action.value, target.value))
    return found


def test_every_recorded_action_and_target_type_is_listed_with_a_label():
    recorded = _recorded()
    assert ("programme_event.cancel", "programme_event") in recorded and ("account.close", "user") in recorded
    assert {action for action, _ in recorded} <= set(ACTION_LABELS)
    assert {target for _, target in recorded} <= set(TARGET_LABELS)
