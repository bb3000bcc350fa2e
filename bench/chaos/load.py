"""The chaos run's traffic: artisans, buyers and an admin over HTTP, from a seeded generator.

Artisans register, open a shop, add a payout account and list products (some with sizes) with a photo;
the admin approves what waits in the moderation queue and refunds some paid orders; buyers browse the
home page and the catalogue, put products (a size where there are sizes) in their cart, sometimes with
the programme's voucher, check out and pay on the sandbox — most with the card that succeeds, some
with the declined one (and then again), some never (the order expires); artisans ship, or now and then
cancel; buyers confirm delivery. Every actor is a thread with its own ``random.Random`` from the seed.
The webhook replays (a delivered, signed event sent again) are ``replay.py``'s.

The counts kept here (orders, payments, refunds …) are the harness's view; the checks read the truth
from the database.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections import Counter
from typing import Any

from bench.chaos.client import RoundRobin

PASSWORD = "Chaos-Run-Passw0rd-2026"
ADDRESS = {"recipient": "Siti Aminah", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Bandung",
           "province": "Jawa Barat", "postal_code": "40111"}
SHOP_PLACE = {"city": "Tangerang Selatan", "kelurahan": "Pondok Ranji"}
VOUCHER = "CHAOS10"
GOOD_CARD, DECLINED_CARD = "4242424242424242", "4000000000000002"


def photo(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", (480, 360), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


class World:
    """What the actors share: tokens, shops, the orders waiting for a next step, the counts."""

    def __init__(self, client: RoundRobin, seed: int):
        self.client, self.seed = client, seed
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.admin = ""
        self.shops: dict[int, str] = {}  # shop id → its artisan's token
        self.buyers: list[str] = []
        self.order_buyer: dict[int, str] = {}
        self.paid: list[int] = []  # orders to maybe refund
        self.shipped: list[tuple[int, int]] = []  # (seller order, order) to confirm
        self.initial_stock: dict[int, int] = {}
        self.counts: Counter[str] = Counter()
        self.serial = 0
        self.samples: dict[str, str] = {}  # the first answer of each kind of refusal, for the report

    def next_serial(self) -> int:
        with self.lock:
            self.serial += 1
            return self.serial

    def count(self, key: str, n: int = 1, answer: Any = None) -> None:
        with self.lock:
            self.counts[key] += n
            if answer is not None and key not in self.samples:
                self.samples[key] = answer.body[:300].decode("utf-8", "replace")


def login(world: World, email: str) -> str:
    for _ in range(20):
        answer = world.client.post("/api/v1/auth/token", {"email": email, "password": PASSWORD})
        if answer.status == 200:
            return str(answer.json()["access_token"])
        time.sleep(0.5)
    raise RuntimeError(f"no token for {email}: {answer.status} {answer.body[:200]!r}")


def register(world: World, role: str) -> str:
    email = f"{role}{world.next_serial()}-s{world.seed}@chaos.test"
    body = {"email": email, "password": PASSWORD, "name": f"Chaos {role.title()}", "role": role}
    for _ in range(20):
        answer = world.client.post("/api/v1/auth/register", body)
        if answer.status in (200, 201, 409):
            break
        time.sleep(0.5)
    return login(world, email)


def retry(call: Any, ok: tuple[int, ...], tries: int = 10, wait: float = 0.5) -> Any:
    """Call until its status is in ``ok`` (a 5xx or no answer under a fault is tried again)."""
    answer = call()
    for _ in range(tries):
        if answer.status in ok or 400 <= answer.status < 500:
            return answer
        time.sleep(wait)
        answer = call()
    return answer


# --- artisans -----------------------------------------------------------------------------------------


def open_shop(world: World, rng: random.Random) -> None:
    c = world.client
    token = register(world, "artisan")
    shop = retry(lambda: c.post("/api/v1/shops", {"name": f"Toko Chaos {world.next_serial()}",
                                                  "description": "Kerajinan uji", **SHOP_PLACE}, token), (200, 201))
    if shop.status not in (200, 201):
        world.count("shop_failed")
        return
    retry(lambda: c.post("/api/v1/seller/payout-account", {}, token), (200, 201))
    with world.lock:
        world.shops[int(shop.json()["id"])] = token
    world.count("shops")
    for _ in range(2):
        list_product(world, rng, token)


def list_product(world: World, rng: random.Random, token: str) -> None:
    c = world.client
    body: dict[str, Any] = {"title": f"Batik tulis chaos {world.next_serial()}", "description": "Uji ketahanan.",
                            "category": "batik", "weight_grams": 300}
    if rng.random() < 0.3:
        body["variants"] = [{"options": {"ukuran": size}, "price_idr": rng.randrange(50, 300) * 1000,
                             "stock": rng.randrange(3, 12)} for size in ("M", "L")]
        stock = sum(v["stock"] for v in body["variants"])
    else:
        body.update(price_idr=rng.randrange(50, 300) * 1000, stock=rng.randrange(3, 15))
        stock = body["stock"]
    made = retry(lambda: c.post("/api/v1/listings", body, token), (200, 201))
    if made.status not in (200, 201):
        world.count("listing_failed")
        return
    listing = int(made.json()["id"])
    with world.lock:
        world.initial_stock[listing] = stock
    image = photo(listing)
    retry(lambda: c.upload(f"/api/v1/listings/{listing}/images", token, f"foto{listing}.jpg", image), (200, 201))
    submitted = retry(lambda: c.post(f"/api/v1/listings/{listing}/submit", {}, token), (200, 201))
    code = ((submitted.json() or {}).get("error") or {}).get("code") if submitted.status == 409 else None
    ok = submitted.status in (200, 201) or code == "already_submitted"  # the photo's upload submitted it
    world.count("listings" if ok else "listing_not_submitted", answer=submitted)


def artisan_round(world: World, rng: random.Random) -> None:
    with world.lock:
        shops = list(world.shops.items())
    if rng.random() < 0.04 or len(shops) < 3:
        open_shop(world, rng)
        return
    _shop, token = rng.choice(shops)
    if rng.random() < 0.1:
        list_product(world, rng, token)
    fulfil(world, rng, token)


def fulfil(world: World, rng: random.Random | None, token: str) -> None:
    """Ship (or, now and then, cancel) the shop's seller orders waiting for shipment."""
    c = world.client
    waiting = c.get("/api/v1/seller/orders?status=awaiting_shipment", token)
    if waiting.status != 200:
        return
    for part in waiting.json()["items"]:
        if world.stop.is_set() and rng is not None:
            return
        if rng is not None and rng.random() < 0.05:
            done = c.post(f"/api/v1/seller/orders/{part['id']}/cancel", {"reason": "Stok habis"}, token)
            world.count("seller_cancelled" if done.status == 200 else f"cancel_{done.status}", answer=done)
            continue
        done = c.post(f"/api/v1/seller/orders/{part['id']}/ship",
                      {"courier": "JNE", "tracking_number": f"CHAOS-{part['id']}"}, token)
        if done.status == 200:
            world.count("shipped")
            with world.lock:
                world.shipped.append((int(part["id"]), int(part["order_id"])))
        else:
            world.count(f"ship_{done.status}", answer=done)


# --- buyers -------------------------------------------------------------------------------------------


def buyer_round(world: World, rng: random.Random, mine: list[str]) -> None:
    c = world.client
    confirm_one(world)
    if not mine or rng.random() < 0.25:
        mine.append(register(world, "buyer"))
    token = rng.choice(mine)
    c.get("/")
    page = c.get(f"/api/v1/listings?per_page=24&page={rng.randrange(1, 4)}")
    items = [i for i in (page.json() or {}).get("items", []) if i.get("stock", 1) > 0] if page.status == 200 else []
    if not items:
        items = (c.get("/api/v1/listings?per_page=24").json() or {}).get("items", [])
    if not items:
        time.sleep(0.5)
        return
    for item in rng.sample(items, min(len(items), rng.choice((1, 1, 2)))):
        shown = c.get(f"/api/v1/listings/{item['id']}")
        variants = [v for v in (shown.json() or {}).get("variants") or [] if v.get("stock", 0) > 0] \
            if shown.status == 200 else []
        line: dict[str, Any] = {"listing_id": item["id"], "quantity": rng.choice((1, 1, 2))}
        if variants:
            line["variant_id"] = rng.choice(variants)["id"]
        added = c.post("/api/v1/cart/items", line, token)
        world.count("cart_added" if added.status == 200 else f"cart_{added.status}", answer=added)
    body: dict[str, Any] = {"shipping_address": ADDRESS}
    if rng.random() < 0.2:
        body["voucher_code"] = VOUCHER
    order = c.post("/api/v1/checkout", body, token)
    if order.status not in (200, 201):
        world.count(f"checkout_{order.status}", answer=order)
        c.request("DELETE", "/api/v1/cart/voucher", token=token)
        return
    order_id = int(order.json()["id"])
    world.count("orders")
    with world.lock:
        world.order_buyer[order_id] = token
    pay(world, rng, token, order_id)


def pay(world: World, rng: random.Random, token: str, order_id: int) -> None:
    roll = rng.random()
    if roll < 0.12:
        world.count("left_unpaid")
        return
    cards = [DECLINED_CARD, GOOD_CARD] if roll < 0.25 else [GOOD_CARD]
    for card in cards:
        status = _pay_once(world, token, order_id, card)
        if status == "paid":
            world.count("paid_seen")
            with world.lock:
                world.paid.append(order_id)
            return
        world.count(f"payment_{status}")
        if status != "pending_payment":
            return


def _pay_once(world: World, token: str, order_id: int, card: str) -> str:
    c = world.client
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not world.stop.is_set():
        answer = c.post(f"/api/v1/orders/{order_id}/sandbox-pay", {"card_number": card}, token)
        if answer.status == 202:
            break
        code = ((answer.json() or {}).get("error") or {}).get("code") if answer.status == 409 else None
        if answer.status == 409 and code not in ("payment_not_ready", "payment_processing"):
            return "conflict"
        time.sleep(0.5)
    else:
        return "not_ready"
    while time.monotonic() < deadline + 20:
        shown = c.get(f"/api/v1/orders/{order_id}", token)
        if shown.status == 200:
            data = shown.json()
            status = data["status"]
            failed = (data.get("payment") or {}).get("status") == "failed"
            if status != "pending_payment" or (card == DECLINED_CARD and failed):
                return status
        time.sleep(0.5)
    return "pending_payment"


def confirm_one(world: World) -> None:
    with world.lock:
        if not world.shipped:
            return
        part, order_id = world.shipped.pop(0)
        token = world.order_buyer.get(order_id)
    if token:
        done = world.client.post(f"/api/v1/seller-orders/{part}/confirm-delivery", {}, token)
        world.count("delivered" if done.status == 200 else f"confirm_{done.status}", answer=done)


# --- the admin ----------------------------------------------------------------------------------------


def admin_round(world: World, rng: random.Random) -> None:
    c = world.client
    queue = c.get("/api/v1/admin/moderation/queue", world.admin)
    for item in (queue.json() or {}).get("items", []) if queue.status == 200 else []:
        done = c.post(f"/api/v1/admin/listings/{item['id']}/approve", {"revision": item.get("revision")}, world.admin)
        world.count("approved" if done.status == 200 else f"approve_{done.status}", answer=done)
    with world.lock:
        order_id = world.paid.pop(rng.randrange(len(world.paid))) if world.paid and rng.random() < 0.25 else None
    if order_id is not None:
        done = c.post(f"/api/v1/admin/orders/{order_id}/refund", {"reason": "Permintaan pembeli (uji)"}, world.admin)
        world.count("refunds_asked" if done.status in (200, 201, 202) else f"refund_{done.status}", answer=done)


def setup_admin(world: World, topology: Any) -> None:
    email = f"admin-s{world.seed}@chaos.test"
    topology.cli("create-admin", email, "--password", PASSWORD)
    world.admin = login(world, email)
    answer = retry(lambda: world.client.post("/api/v1/admin/vouchers", {
        "code": VOUCHER, "kind": "percent", "value": 10, "max_uses": 100, "max_discount_idr": 50_000,
        "starts_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600)),
        "ends_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))}, world.admin),
        (200, 201))
    world.count("voucher" if answer.status in (200, 201) else f"voucher_{answer.status}", answer=answer)


# --- the threads --------------------------------------------------------------------------------------


def actor(world: World, name: str, seed: int, step: Any, pause: tuple[float, float]) -> threading.Thread:
    rng = random.Random(f"chaos-load-{seed}-{name}")
    state: list[str] = []

    def loop() -> None:
        while not world.stop.is_set():
            try:
                if step is buyer_round:
                    step(world, rng, state)
                else:
                    step(world, rng)
            except Exception as exc:  # noqa: BLE001 - an actor's surprise is counted, the run goes on
                world.count(f"actor_error {type(exc).__name__}")
                time.sleep(1)
            world.stop.wait(rng.uniform(*pause))

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_actors(world: World, seed: int, buyers: int) -> list[threading.Thread]:
    threads = [actor(world, "admin", seed, admin_round, (0.5, 1.5))]
    threads += [actor(world, f"artisan{i}", seed, artisan_round, (0.5, 2.0)) for i in range(2)]
    threads += [actor(world, f"buyer{i}", seed, buyer_round, (0.1, 0.8)) for i in range(buyers)]
    return threads


def finish(world: World) -> None:
    """After the load: ship what waits and confirm every parcel, so each seller order reaches its end."""
    for _ in range(3):
        with world.lock:
            shops = list(world.shops.values())
        for token in shops:
            fulfil(world, None, token)
        while world.shipped:
            confirm_one(world)
