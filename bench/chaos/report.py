"""The chaos run's result: a table on the terminal (Markdown, so it pastes into bench/README.md) and the
whole of it as JSON."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.chaos.checks import Check


def _median_max(values: list[float]) -> str:
    if not values:
        return "–"
    return f"median {statistics.median(values):.1f} s, max {max(values):.1f} s"


def table(meta: dict[str, Any], checks: list[Check], faults: dict[str, Any], clients: dict[str, Any],
          load: dict[str, Any]) -> str:
    outages = faults["web_outages"]
    back = [o["serving_again_after_s"] for o in outages if o["serving_again_after_s"] is not None]
    other = [o["other_answered_after_s"] for o in outages if o["other_answered_after_s"] is not None]
    lines = [
        f"seed {meta['seed']}, broker {meta['broker']}, {meta['duration']:.0f} s of load and faults, "
        f"drain {meta['drain_s']:.0f} s, wall {meta['wall_s']:.0f} s",
        "",
        "| invariant | held | figures |",
        "|---|---|---|",
    ]
    for check in checks:
        lines.append(f"| {check.name} | {'yes' if check.held else '**NO**'} | {check.figure} |")
    kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(faults["by_kind"].items()))
    lines += [
        "",
        "| run | figures |",
        "|---|---|",
        f"| faults | {faults['played']} played ({faults['skipped']} skipped, target down): {kinds} |",
        f"| orders | {load.get('orders', 0)} placed, {load.get('paid_seen', 0)} seen paid, "
        f"{load.get('left_unpaid', 0)} left to expire, {load.get('payment_failed', 0)} declined first, "
        f"{load.get('payment_pending_payment', 0) + load.get('payment_not_ready', 0)} not settled while the buyer "
        f"waited, {load.get('refunds_asked', 0)} refunds asked, {load.get('seller_cancelled', 0)} cancelled "
        f"by artisans, {load.get('delivered', 0)} deliveries confirmed |",
        f"| catalogue | {load.get('shops', 0)} shops opened, {load.get('listings', 0)} listings with a photo, "
        f"{load.get('approved', 0)} approved |",
        f"| webhooks replayed | {sum(v for k, v in clients['replays'].items() if not k.startswith('error'))} "
        f"({', '.join(f'{k} ×{v}' for k, v in sorted(clients['replays'].items()))}) |",
        f"| client requests | {clients['requests']}: {sum(clients['server_errors'].values())} 5xx, "
        f"{clients['connection_errors']} connection errors (retried on the other web), "
        f"{clients['unanswered']} answered by neither |",
        f"| web kills ({len(outages)}) | killed process serving again: {_median_max(back)}; "
        f"the other answered: {_median_max(other)} |",
        f"| processes | {meta['unexpected_exits']} exits not caused by a fault |",
    ]
    if clients["server_errors"]:
        lines += ["", "5xx by route: " + ", ".join(f"{k} ×{v}" for k, v in sorted(clients["server_errors"].items()))]
    failed = [c for c in checks if not c.held]
    for check in failed:
        lines.append(f"BROKEN: {check.name}: {check.offenders[:20]}")
    lines += ["", "every invariant held" if not failed else f"{len(failed)} invariant(s) broken"]
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], checks: list[Check], faults: dict[str, Any],
               clients: dict[str, Any], load: dict[str, Any], extra: dict[str, Any]) -> None:
    path.write_text(json.dumps({
        "meta": meta, "held": all(c.held for c in checks), "checks": [asdict(c) for c in checks],
        "faults": faults, "clients": clients, "load": load, **extra,
    }, indent=2, default=str), encoding="utf-8")
