"""``marketplace run`` end to end: one command brings up the whole system, Ctrl-C/SIGTERM takes it down.

The system is started once for the module (``conftest.system``) on the embedded defaults — SQLite under a
temporary ``VAR_DIR``, the embedded broker, gunicorn, the relay and the workers — and checked the
way a newcomer would: the printed URL and logins work, the demo catalogue is on the home page, events
flow from the outbox through Kafka to a worker, a crashed worker comes back, and SIGTERM leaves nothing
behind. The last test stops the system, so it stays last in this file.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from tests.e2e.conftest import REPO, RunningSystem, http, wait_for

EXPECTED_CHILDREN = {
    "broker": "tansu",
    "web": "gunicorn",
    "relay": "marketplace.cli relay",
    "scheduler": "marketplace.cli scheduler",
    "payments": "marketplace.cli worker payments",
    "promotion": "marketplace.cli worker promotion",
    "payouts": "marketplace.cli worker payouts",
    "notifications": "marketplace.cli worker notifications",
}


def _query(system: RunningSystem, sql: str) -> list[tuple]:
    """Read the run's SQLite database directly (read-only: the system owns it)."""
    uri = f"file:{system.var_dir / 'pasar-kreatif.db'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        return conn.execute(sql).fetchall()


def _token(system: RunningSystem, role: str) -> str:
    email, password = system.logins()[role]
    resp = http("POST", f"{system.base_url}/api/v1/auth/token", json_body={"email": email, "password": password})
    assert resp.status == 200, resp.text
    return resp.json()["access_token"]


def _deliver_an_order(system: RunningSystem, artisan: str, buyer: str, address: dict, tracking: str) -> tuple[dict, int]:
    """The buyer buys one of the artisan's products without sizes, pays on the sandbox, the artisan ships
    and the buyer confirms: the order, and its seller order's id."""
    listings = http("GET", f"{system.base_url}/api/v1/seller/listings", token=artisan).json()["items"]
    listing = next(item for item in listings
                   if item["status"] == "approved" and item["stock"] > 0 and not item.get("variants"))
    http("POST", f"{system.base_url}/api/v1/cart/items", token=buyer, json_body={"listing_id": listing["id"], "quantity": 1})
    order = http("POST", f"{system.base_url}/api/v1/checkout", token=buyer,
                 json_body={"shipping_address": address}).json()
    pay = f"{system.base_url}/api/v1/orders/{order['id']}/sandbox-pay"
    wait_for(lambda: http("POST", pay, token=buyer, json_body={"card_number": "4242424242424242"}).status == 202,
             30, "the payment intent, then the sandbox payment")
    shown = f"{system.base_url}/api/v1/orders/{order['id']}"
    wait_for(lambda: http("GET", shown, token=buyer).json()["status"] == "paid", 30, "the order to be paid")
    part = order["seller_orders"][0]["id"]
    assert http("POST", f"{system.base_url}/api/v1/seller/orders/{part}/ship", token=artisan,
                json_body={"courier": "JNE", "tracking_number": tracking}).status == 200
    assert http("POST", f"{system.base_url}/api/v1/seller-orders/{part}/confirm-delivery", token=buyer).status == 200
    return order, part


def test_banner_prints_the_url_and_the_demo_logins(system: RunningSystem) -> None:
    out = system.output()
    assert f"Pasar Kreatif is ready at http://127.0.0.1:{system.port}/" in out
    logins = system.logins()
    assert set(logins) == {"admin", "artisan", "buyer"}, out
    assert all(password and " " not in password for _, password in logins.values())
    assert http("GET", f"{system.base_url}/readyz").status == 200


def test_the_payments_worker_delivers_the_sandboxs_webhooks_to_the_web_app(system: RunningSystem) -> None:
    """The sandbox gateway lives in the payments worker: it POSTs to the web child at PUBLIC_BASE_URL
    (the browser journey pays an order through it)."""
    said = f"sandbox gateway: delivering webhooks to http://127.0.0.1:{system.port}/webhooks/stripe"
    wait_for(lambda: any(line.startswith("[payments]") and said in line for line in system.output().splitlines()),
             30, "the delivery loop started")


def test_every_part_runs_in_its_own_process_with_prefixed_output(system: RunningSystem) -> None:
    commands = list(system.processes().values())
    for part, needle in EXPECTED_CHILDREN.items():
        assert any(needle in c for c in commands), f"no {part} process ({needle!r}) in {commands}"
    for prefix in ("[web]", "[relay]", "[payments]", "[promotion]", "[payouts]", "[notifications]"):
        pattern = re.compile(rf"^{re.escape(prefix)} +\S", re.M)
        wait_for(lambda: pattern.search(system.output()), 30, f"output prefixed {prefix}")
    assert (system.var_dir / "broker.log").exists()
    assert (system.var_dir / "secret_key").stat().st_mode & 0o077 == 0  # the key is private


def test_home_page_shows_the_demo_catalogue(system: RunningSystem) -> None:
    listings = http("GET", f"{system.base_url}/api/v1/listings?per_page=50").json()
    assert listings["total"] >= 50  # the seed approves most of its 60 products
    home = http("GET", f"{system.base_url}/")
    assert home.status == 200
    titles = [item["title"] for item in listings["items"]]
    shown = [t for t in titles if html.escape(t, quote=False) in home.text or t in home.text]
    assert shown, "none of the approved demo listings is on the home page"


def test_the_printed_admin_and_buyer_logins_work(system: RunningSystem) -> None:
    me = http("GET", f"{system.base_url}/api/v1/me", token=_token(system, "admin"))
    assert me.status == 200 and me.json()["role"] == "admin"
    email, password = system.logins()["buyer"]
    resp = http("POST", f"{system.base_url}/api/v1/auth/token", json_body={"email": email, "password": password})
    assert resp.status == 200, resp.text


def test_events_flow_from_the_outbox_through_kafka_to_the_workers(system: RunningSystem) -> None:
    def drained() -> bool:
        ((total, unsent),) = _query(system, "SELECT count(*), count(*) - count(sent_at) FROM outbox")
        return total > 0 and unsent == 0

    wait_for(drained, 45, "the relay to publish every outbox row")
    ((approved,),) = _query(system, "SELECT count(*) FROM outbox WHERE type = 'listing.approved'")
    assert approved >= 50

    def promoted() -> bool:  # the promotion worker also reads the other listing events: count the approvals
        ((seen,),) = _query(system, "SELECT count(*) FROM processed_events p JOIN outbox o ON o.event_id = p.event_id"
                                    " WHERE p.consumer = 'promotion' AND o.type = 'listing.approved'")
        return seen == approved

    wait_for(promoted, 45, "the promotion worker to handle every listing.approved event")

    token = _token(system, "admin")

    def reported_drained() -> bool:  # the ops endpoint reports the same backlog (workers add events of their own)
        status = http("GET", f"{system.base_url}/api/v1/admin/events/status", token=token)
        assert status.status == 200, status.text
        return status.json()["outbox"]["unsent"] == 0

    wait_for(reported_drained, 30, "the events status to report an empty outbox")


def test_events_status_beside_the_run_finds_its_broker_and_lists_every_worker(system: RunningSystem) -> None:
    """Issue #14: the embedded broker's port is only known to the run; ``marketplace events status`` in
    another shell (same ``VAR_DIR``, no ``KAFKA_BOOTSTRAP_SERVERS``) reads it from ``VAR_DIR/broker.json``."""
    env = {k: v for k, v in os.environ.items() if k not in {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}}
    env["VAR_DIR"] = str(system.var_dir)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "marketplace.cli", "events", "status", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    broker = json.loads(done.stdout)["broker"]
    assert broker["reachable"] is True, broker
    assert {"payments", "promotion", "payouts", "notifications"} <= {g["consumer"] for g in broker["groups"]}


def test_an_order_placed_is_mailed_to_the_buyer_as_an_eml_file_under_var_mail(system: RunningSystem) -> None:
    """No SMTP_URL on the embedded run: the notifications worker writes what it would send to var/mail."""
    email, password = system.logins()["buyer"]
    token = http("POST", f"{system.base_url}/api/v1/auth/token",
                 json_body={"email": email, "password": password}).json()["access_token"]
    items = http("GET", f"{system.base_url}/api/v1/listings?per_page=50").json()["items"]
    listing = next(item for item in items  # one without sizes to pick
                   if not http("GET", f"{system.base_url}/api/v1/listings/{item['id']}").json().get("variants"))
    assert http("POST", f"{system.base_url}/api/v1/cart/items", token=token,
                json_body={"listing_id": listing["id"], "quantity": 1}).status == 200
    order = http("POST", f"{system.base_url}/api/v1/checkout", token=token, json_body={"shipping_address": {
        "recipient": "Siti", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Bandung",
        "province": "Jawa Barat", "postal_code": "40111"}}).json()
    subject = f"Subject: Pesanan #{order['id']} diterima"

    def written() -> list[str]:
        mail_dir = system.var_dir / "mail"
        return [p.name for p in mail_dir.glob("*.eml") if subject in p.read_text("utf-8")] if mail_dir.is_dir() else []

    wait_for(written, 60, "the order-placed mail in var/mail")
    # The worker writes the file, then commits the notification as sent: wait for that commit too.
    wait_for(lambda: _query(system, "SELECT status FROM notifications WHERE kind = 'order_placed' "
                                    f"AND email = '{email}'") == [("sent",)], 30, "the notification marked sent")


def test_a_delivered_order_is_paid_out_to_the_artisan_within_a_minute(system: RunningSystem) -> None:
    """PAYOUT_HOLD_HOURS=0: checkout, sandbox payment, shipping, delivery, then the payouts worker's
    sandbox transfer, all through the running system's processes."""
    artisan, buyer = _token(system, "artisan"), _token(system, "buyer")
    _, part = _deliver_an_order(system, artisan, buyer, {
        "recipient": "Rina", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Makassar",
        "province": "Sulawesi Selatan", "postal_code": "90111"}, "JNE-E2E")

    def paid_out() -> dict | None:
        items = http("GET", f"{system.base_url}/api/v1/seller/payouts", token=artisan).json()["items"]
        return next((p for p in items if part in p["seller_order_ids"] and p["status"] == "paid"), None)

    payout = wait_for(paid_out, 60, "the payout to be paid")
    assert payout["transfer_id"].startswith("tr_sbx_") and payout["amount_idr"] > 0


def test_no_phone_number_or_address_reaches_the_logs_or_the_events(system: RunningSystem) -> None:
    """Issue #28 (§9): a buyer saves a phone number, checks out to an address, pays, the artisan ships
    and the order is delivered — every process logs and every event is published — and neither the
    number (as typed or normalised) nor the address is in any process's output, any log under VAR_DIR,
    or any event's payload. A malformed number sent to the API is not echoed into the logs either."""
    artisan, buyer = _token(system, "artisan"), _token(system, "buyer")
    phone, street, recipient = "081377441926", "Jl. Kenari Rahasia 4419", "Wulandari Priyatna"
    needles = [phone, "+62" + phone[1:], "62" + phone[1:], street, "Kenari Rahasia", recipient]
    assert http("PATCH", f"{system.base_url}/api/v1/me", token=buyer, json_body={"phone": phone}).status == 200
    assert http("PATCH", f"{system.base_url}/api/v1/me", token=buyer,
                json_body={"phone": "0813-7744-XYZ-Kenari Rahasia"}).status == 422
    order, _ = _deliver_an_order(system, artisan, buyer, {
        "recipient": recipient, "phone": phone, "line1": street, "city": "Pontianak",
        "province": "Kalimantan Barat", "postal_code": "78111"}, "JNE-PRIV")

    def drained() -> bool:  # every event published, the delivery handled by the notifications worker and sent
        ((unsent,),) = _query(system, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        ((unhandled,),) = _query(system, "SELECT count(*) FROM outbox o WHERE o.type = 'order.delivered' AND NOT "
                                         "EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = o.event_id "
                                         "AND p.consumer = 'notifications')")
        ((pending,),) = _query(system, "SELECT count(*) FROM notifications WHERE status IN ('queued', 'retrying') "
                                       "AND kind != 'order_delivery_reminder'")  # a reminder waits days
        return unsent == 0 and unhandled == 0 and pending == 0

    wait_for(drained, 60, "the outbox and the notifications to drain")
    payloads = "\n".join(p for (p,) in _query(system, "SELECT payload FROM outbox"))
    assert str(order["id"]) in payloads  # the events of this order are there to be searched
    logs = {"the run's output": system.output()}
    logs |= {str(p): p.read_text("utf-8", errors="replace") for p in system.var_dir.rglob("*.log")}
    logs["the events' payloads"] = payloads
    leaks = [(where, needle) for where, text in logs.items() for needle in needles if needle in text]
    assert not leaks, f"personal data found: {leaks}"


def test_a_crashed_worker_is_restarted(system: RunningSystem) -> None:
    def relay_pid() -> int | None:
        pids = [pid for pid, cmd in system.processes().items() if "marketplace.cli relay" in cmd and "[Z]" not in cmd]
        return pids[0] if len(pids) == 1 else None

    old = wait_for(relay_pid, 10, "the relay process")
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: "relay exited with code -9; restarting in 1s" in system.output(), 10, "the restart notice")
    new = wait_for(lambda: (p := relay_pid()) not in (None, old) and p, 15, "a new relay process")
    time.sleep(2)
    assert relay_pid() == new, "the restarted relay did not keep running"


def test_a_killed_broker_is_restarted_and_an_approval_still_reaches_the_promotion_worker(
    system: RunningSystem,
) -> None:
    """Issue #9: ``kill -9`` of the embedded broker. It comes back (logged), ``/readyz`` recovers, the
    relay re-creates the topics with their partitions and the promotion worker gets what is approved."""
    def broker_pid() -> int | None:
        pids = [pid for pid, cmd in system.processes().items() if "tansu" in cmd and "[Z]" not in cmd]
        return pids[0] if len(pids) == 1 else None

    old = wait_for(broker_pid, 10, "the broker process")
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: "broker exited with code -9; restarting in 1s" in system.output(), 10, "the restart notice")
    wait_for(lambda: (p := broker_pid()) not in (None, old) and p, 15, "a new broker process")
    wait_for(lambda: http("GET", f"{system.base_url}/readyz").status == 200, 30, "/readyz to recover")

    token = _token(system, "admin")
    queue = http("GET", f"{system.base_url}/api/v1/admin/moderation/queue", token=token).json()["items"]
    if not queue:
        pytest.skip("the demo seed left no listing pending review")
    listing = queue[0]
    body = {"revision": listing["revision"]} if "revision" in listing else {}  # the revision check may be newer
    resp = http("POST", f"{system.base_url}/api/v1/admin/listings/{listing['id']}/approve", token=token,
                json_body=body)
    assert resp.status == 200, resp.text

    def promoted() -> bool:
        rows = _query(system, "SELECT count(*) FROM processed_events p JOIN outbox o ON o.event_id = p.event_id"
                              f" WHERE p.consumer = 'promotion' AND o.type = 'listing.approved' AND o.key = '{listing['id']}'")
        return rows[0][0] == 1

    wait_for(promoted, 60, "the promotion worker to handle the approval made after the broker restart")


def test_sigterm_stops_everything_and_exits_0(system: RunningSystem) -> None:
    children = system.processes()
    assert len(children) >= 1 + len(EXPECTED_CHILDREN)  # the runner itself, and its children

    system.proc.send_signal(signal.SIGTERM)
    try:
        code = system.proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        pytest.fail(f"marketplace run did not exit within 40s of SIGTERM:\n{system.tail()}")
    assert code == 0, system.tail()
    assert re.search(r"^\[run\]\s+stopped$", system.output(), re.M), system.tail()
    assert not (system.var_dir / "broker.json").exists(), "a clean stop removes the broker's address"
    deadline = time.monotonic() + 5  # SIGKILLed grandchildren may take a moment to be reaped
    while (survivors := system.processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not survivors, f"still running after marketplace run exited: {survivors}"
    assert "did not stop in time" not in system.output()  # stopped by SIGTERM, not by SIGKILL
