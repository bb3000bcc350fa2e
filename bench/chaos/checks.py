"""The invariants a chaos run must keep, read from the database (and ``ledger check``, ``events status``
and the broker) after the drain. Each check is ``(name, held, figure, offenders)``: ``offenders`` are
ids, listed so a failure can be looked into.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

WORKER_KINDS = ("payments", "promotion", "payouts", "notifications")


@dataclass
class Check:
    name: str
    held: bool
    figure: str
    offenders: list[Any] = field(default_factory=list)


def _ids(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return [r[0] if len(r) == 1 else list(r) for r in conn.execute(text(sql), params)]


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


# --- what must be settled before the checks: the drain --------------------------------------------------

UNSETTLED = {
    "outbox unsent": "SELECT id FROM outbox WHERE sent_at IS NULL",
    "orders pending payment": "SELECT id FROM orders WHERE status = 'pending_payment'",
    "webhooks owed": "SELECT id FROM sandbox_webhook_deliveries WHERE next_attempt_at IS NOT NULL",
    "refunds pending": "SELECT id FROM refunds WHERE status = 'pending'",
    "payouts unfinished": "SELECT id FROM payouts WHERE status NOT IN ('paid', 'cancelled', 'failed')",
    "delivered seller orders without a payout": (
        "SELECT s.id FROM seller_orders s WHERE s.status = 'delivered' AND NOT EXISTS (SELECT 1 FROM payouts p "
        "WHERE p.seller_order_id = s.id)"),
    "notifications unsent": ("SELECT id FROM notifications WHERE status IN ('queued', 'retrying') "
                             "AND next_attempt_at <= now()"),
    "succeeded payments on unpaid orders": (
        "SELECT p.order_id FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.status = 'succeeded' "
        "AND o.status IN ('cancelled', 'pending_payment') AND p.return_status IS DISTINCT FROM 'succeeded' "
        "AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id AND r.status = 'succeeded')"),
}


def unsettled(engine: Engine) -> dict[str, list[Any]]:
    out = {}
    for name, sql in UNSETTLED.items():
        try:
            out[name] = _ids(engine, sql)
        except Exception as exc:  # noqa: BLE001 - a terminated connection during the drain: look again
            out[name] = [f"error: {type(exc).__name__}"]
    return out


def drain(engine: Engine, timeout: float, say: Any) -> tuple[float, dict[str, list[Any]]]:
    """Wait until nothing is left to settle (or ``timeout``); the time it took and what was left."""
    t0 = time.monotonic()
    left = unsettled(engine)
    while any(left.values()) and time.monotonic() - t0 < timeout:
        time.sleep(2)
        left = unsettled(engine)
        waiting = {k: len(v) for k, v in left.items() if v}
        say(f"draining {time.monotonic() - t0:5.0f}s: {waiting or 'settled'}")
    return time.monotonic() - t0, left


# --- the invariants ------------------------------------------------------------------------------------


def database_checks(engine: Engine, initial_stock: dict[int, int], left: dict[str, list[Any]]) -> list[Check]:
    checks = []
    twice = _ids(engine, "SELECT order_id FROM payments WHERE status = 'succeeded' GROUP BY order_id HAVING count(*) > 1")
    charged = _one(engine, "SELECT count(DISTINCT order_id) FROM payments WHERE status = 'succeeded'")
    checks.append(Check("no order charged twice", not twice, f"{charged} orders charged", twice))
    unpaid = _ids(engine, "SELECT o.id FROM orders o WHERE o.paid_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                          "payments p WHERE p.order_id = o.id AND p.status = 'succeeded')")
    paid = _one(engine, "SELECT count(*) FROM orders WHERE paid_at IS NOT NULL")
    checks.append(Check("no order paid without a succeeded payment", not unpaid, f"{paid} orders paid", unpaid))
    stuck = {k: v for k, v in left.items() if v}
    checks.append(Check("nothing non-terminal after the drain", not stuck,
                        ", ".join(f"{k}: {len(v)}" for k, v in stuck.items()) or "all settled",
                        [f"{k}: {v[:50]}" for k, v in stuck.items()]))
    negative = _ids(engine, "SELECT id FROM listings WHERE stock < 0 UNION SELECT listing_id FROM listing_variants "
                            "WHERE stock < 0")
    sold = dict(_ids(engine, "SELECT i.listing_id, sum(i.quantity) FROM order_items i JOIN seller_orders s ON "
                             "s.id = i.seller_order_id WHERE s.status <> 'cancelled' GROUP BY i.listing_id"))
    oversold = [lid for lid, n in sold.items() if lid in initial_stock and n > initial_stock[lid]]
    checks.append(Check("stock never below zero, never sold beyond it", not negative and not oversold,
                        f"{sum(sold.values())} units sold of {len(sold)} listings", negative + oversold))
    checks += payout_checks(engine)
    over = _ids(engine, "SELECT r.order_id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.status <> 'failed' "
                        "GROUP BY r.order_id HAVING sum(r.amount_idr) > (SELECT coalesce(sum(p.amount_idr), 0) FROM "
                        "payments p WHERE p.order_id = r.order_id AND p.status = 'succeeded')")
    refunded = _one(engine, "SELECT count(*) FROM refunds WHERE status = 'succeeded'")
    checks.append(Check("refunds never above payments", not over, f"{refunded} refunds succeeded", over))
    return checks


def payout_checks(engine: Engine) -> list[Check]:
    delivered = _ids(engine, "SELECT s.id FROM seller_orders s WHERE s.status = 'delivered' AND NOT EXISTS (SELECT 1 "
                             "FROM refunds r WHERE r.order_id = s.order_id AND r.status <> 'failed' AND "
                             "(r.seller_order_id = s.id OR r.seller_order_id IS NULL))")
    paid_once = set(_ids(engine, "SELECT seller_order_id FROM payouts WHERE status = 'paid'"))
    # A payout cancelled because it was set against the shop's debt from an earlier refund is settled.
    offset = set(_ids(engine, "SELECT seller_order_id FROM payouts WHERE status = 'cancelled' "
                              "AND failure_reason LIKE 'offset against%'"))
    missing = [i for i in delivered if i not in paid_once and i not in offset]
    transfers = _ids(engine, "SELECT p.seller_order_id FROM sandbox_payout_transfers t JOIN payouts p ON p.id = t.payout_id "
                             "GROUP BY p.seller_order_id HAVING count(*) > 1")
    early = _ids(engine, "SELECT s.id FROM payouts p JOIN seller_orders s ON s.id = p.seller_order_id "
                         "WHERE p.status = 'paid' AND (s.delivered_at IS NULL OR p.paid_at < s.delivered_at)")
    after_refund = _ids(engine, "SELECT p.seller_order_id FROM payouts p JOIN refunds r ON r.order_id = p.order_id AND "
                                "(r.seller_order_id = p.seller_order_id OR r.seller_order_id IS NULL) WHERE "
                                "p.status = 'paid' AND r.status = 'succeeded' AND p.paid_at > r.created_at")
    return [
        Check("each delivered seller order paid out once, after its hold",
              not missing and not transfers and not early,
              f"{len(paid_once)} payouts paid, {len(offset)} set against refund debt, for {len(delivered)} "
              "delivered seller orders",
              [*(f"unpaid {i}" for i in missing), *(f"twice {i}" for i in transfers), *(f"early {i}" for i in early)]),
        Check("no payout after a full refund", not after_refund, f"{len(after_refund)} paid after a refund", after_refund),
    ]


def ledger_check(topology: Any) -> Check:
    done = topology.cli("ledger", "check", check=False)
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return Check("ledger balances per order (ledger check)", done.returncode == 0, " / ".join(tail)[:160],
                 [] if done.returncode == 0 else tail)


def pipeline_check(topology: Any) -> tuple[Check, Check, dict[str, Any]]:
    """``events status --json`` (undelivered per consumer, lag per group) and the broker's live groups:
    no lag after the drain, and one group per worker kind among the groups with members."""
    done = topology.cli("events", "status", "--json", check=False)
    try:
        status = json.loads(done.stdout)
    except ValueError:
        status = {"error": done.stdout[-500:] + done.stderr[-500:]}
    groups = (status.get("broker") or {}).get("groups") or []
    lagging = [f"{g['group']}: {g['lag']}" for g in groups if g.get("consumer") and g.get("lag")]
    undelivered = status.get("undelivered") or {}
    pending = [f"{k}: {v}" for k, v in (undelivered.items() if isinstance(undelivered, dict) else [])
               if isinstance(v, int) and v] if undelivered else []
    reachable = (status.get("broker") or {}).get("reachable")
    lag = Check("every event delivered to every consumer group, no lag", bool(reachable) and not lagging and not pending,
                f"{len([g for g in groups if g.get('consumer')])} consumer groups reported"
                + ("" if reachable else " (broker unreachable)"), lagging + pending)
    try:
        live = live_groups(topology.env["KAFKA_BOOTSTRAP_SERVERS"])
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        live = {"error": [f"{type(exc).__name__}: {exc}"]}
    split = {k: v for k, v in live.items() if len(v) != 1}
    one = Check("one consumer group per worker kind", not split,
                ", ".join(f"{k}: {len(v)}" for k, v in live.items()), [f"{k}: {v}" for k, v in split.items()])
    return lag, one, {"events_status": status, "live_groups": live}


def live_groups(bootstrap: str) -> dict[str, list[str]]:
    """Per worker kind, the broker's groups of it that have members now."""
    from events.kafka import make_admin

    admin = make_admin(bootstrap)
    # Tansu answers DescribeGroups with authorised-operation bits kafka-python cannot name (15): skip them.
    admin._process_acl_operations = lambda obj: obj  # type: ignore[method-assign]
    try:
        ids = [g["group_id"] if isinstance(g, dict) else g[0] for g in admin.list_groups()]
        described = admin.describe_groups(ids) if ids else {}
        out: dict[str, list[str]] = {k: [] for k in WORKER_KINDS}
        for group, desc in described.items():
            members = desc.get("members") or []
            kind = next((k for k in WORKER_KINDS if group == k or group.startswith(k + ".")), None)
            if kind and members:
                out[kind].append(group)
        return out
    finally:
        admin.close()


def notification_check(engine: Engine, mail_dir: Path) -> tuple[Check, dict[str, Any]]:
    """Every due notification sent; a resend is a mail file whose Message-ID another file already has
    (its sender died between writing it and recording it as sent, and the lease gave it to another)."""
    by_status = dict(_ids(engine, "SELECT status, count(*) FROM notifications GROUP BY status"))
    ids: list[str] = []
    for path in mail_dir.glob("*.eml") if mail_dir.is_dir() else []:
        lines = path.read_text("utf-8", "replace").splitlines()
        for i, line in enumerate(lines):
            if line.lower().startswith("message-id:"):  # the value may be folded onto the next line
                ids.append(line.split(":", 1)[1].strip() or (lines[i + 1].strip() if i + 1 < len(lines) else ""))
                break
    resends = len(ids) - len(set(ids))
    unsent = _ids(engine, "SELECT id FROM notifications WHERE status = 'failed' OR (status IN ('queued', 'retrying') "
                          "AND next_attempt_at <= now())")
    return (Check("every due notification sent (resends counted)", not unsent,
                  f"{by_status.get('sent', 0)} sent, {resends} resent, {len(ids)} mail files", unsent),
            {"by_status": by_status, "mail_files": len(ids), "resends": resends})
