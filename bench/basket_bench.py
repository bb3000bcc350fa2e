"""Benchmark: a logged-in buyer's basket — add a product, then view the cart — as a shopper does it,
and (``--peer``) the same flow on the django-oscar peer in the same run (issue #15).

Seeded beforehand in a throwaway database (``bench/harness.py``'s ``bench_database``: PostgreSQL on
``TEST_DATABASE_URL``, else SQLite): 10 shops × 10 approved listings (plenty of stock) and ``--buyers``
buyers, each logged in (a server-side session and its signed cookie, as the login page makes them; an
API token) with one line in the cart — the peer's pool of 128 baskets holds one line each too. Each
buyer's cookie gets its form's CSRF token from one ``GET /listings/<id>`` (as a browser does before it
can post the "Add to cart" form). Adds go to 8 products (the peer's ``ADD_PRODUCTS``), so carts stay small.

Rows, each ``harness.load`` at ``--connections`` for ``--duration`` s after a 2 s warm-up, 2 sync gunicorn
workers (``WEB_WORKERS`` etc. as production reads them):

- ``bare-flask``: the bare Flask app's ``GET /ok`` (the framework's ceiling on this machine, now);
- ``basket-page``: ``POST /cart/items`` (the listing page's form: CSRF token, listing, quantity;
  answered by a 302 to ``/cart``) then ``GET /cart`` (the cart page), alternating, a random buyer each;
- ``basket-api``: ``POST /api/v1/cart/items`` (JSON, bearer token) then ``GET /api/v1/cart``;
- ``checkout``: ``bench/checkout_bench.py``'s throughput phase: two-shop carts (one line a size of a shirt,
  the programme's 10 % voucher applied: issue #24; ``--plain-checkout`` for neither), checked out by wrk for
  ``--duration`` s as the other rows (each buyer's token once: every request is a real checkout), or
  without wrk by client threads (``--checkouts`` carts);
- with ``--peer``: Oscar's ``bare-ok`` (bare Django) and ``basket`` rows from its own ``workload.sh``.
- with ``--peer --rounds N``: N − 1 more pairs of our checkout row and the peer's basket row, alternating;
  each pair's ratio is printed with their minimum and median.

Printed: req/s, p50/p99, non-2xx and each row ÷ its own bare framework, and ours ÷ Oscar's basket
(target ≥ 3 for both basket flows and checkout). A 3xx counts as success for wrk, so the adds are also
counted in the database afterwards (quantity added ≈ half the requests, or the row is flagged).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/basket_bench.py --peer
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import sys
import tempfile
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from checkout_bench import app_env, run_checkout_phase, seed, tokens_needed, wrk_available
from harness import TABLE_HEADER, LoadResult, Req, bench_database, free_port, load, serve, write_results

from marketplace.db import Database, transaction

ADDABLE = 8
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def seed_buyers(url: str, n: int) -> tuple[list[dict[str, Any]], list[int]]:
    """``n`` logged-in buyers with one cart line each: their raw session ids and API tokens; and the
    listings the flow adds (one per shop, 8 shops)."""
    from sqlalchemy import select

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import User
    from marketplace.cart.models import CartItem
    from marketplace.listings.models import Listing

    rng = random.Random(11)
    db = Database(url, writer=True)
    password_hash = accounts.hash_password("bench password 1")
    buyers: list[dict[str, Any]] = []
    with transaction(db.session_factory) as session:
        firsts = session.execute(select(Listing.shop_id, Listing.id, Listing.price_idr).order_by(Listing.id)).all()
        by_shop: dict[int, tuple[int, int]] = {}
        for shop_id, listing_id, price in firsts:
            by_shop.setdefault(shop_id, (listing_id, price))
        addable = list(by_shop.values())[:ADDABLE]
        for b in range(n):
            user = User(email=f"shopper{b}@bench.id", name=f"Shopper {b}", password_hash=password_hash, role="buyer")
            session.add(user)
            session.flush()
            listing_id, price = rng.choice(addable)
            session.add(CartItem(user_id=user.id, listing_id=listing_id, quantity=1, seen_price_idr=price))
            buyers.append({"sid": accounts.start_session(session, user), "token": accounts.issue_token(session, user, 24)[0]})
    db.dispose()
    return buyers, [listing_id for listing_id, _price in addable]


def session_cookies(url: str, buyers: list[dict[str, Any]]) -> None:
    """Each buyer's signed session cookie, as the login page sets it (``{"sid": …}``, permanent)."""
    from marketplace.web.app import create_app
    from marketplace.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings.from_env({**os.environ, **app_env(url, 0, tmp)}))
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        for buyer in buyers:
            buyer["cookie"] = f"session={serializer.dumps({'sid': buyer['sid'], '_permanent': True})}"
        app.extensions["db"].dispose()


def fetch_csrf(port: int, buyers: list[dict[str, Any]], listing_id: int) -> None:
    """What a browser does before posting the form: open a listing page with the session cookie; keep
    the form's CSRF token and the cookie the page set (the session now holds the token's secret)."""
    for buyer in buyers:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/listings/{listing_id}", headers={"Cookie": buyer["cookie"]})
        resp = conn.getresponse()
        html = resp.read().decode()
        conn.close()
        match = _CSRF.search(html)
        if resp.status != 200 or not match or 'action="/cart/items"' not in html:
            raise SystemExit(f"listing page as a buyer: {resp.status}, no add-to-cart form with a CSRF token")
        buyer["csrf"] = match.group(1) or match.group(2)
        jar = SimpleCookie()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        if "session" in jar:
            buyer["cookie"] = f"session={jar['session'].value}"


def page_requests(buyers: list[dict[str, Any]], addable: list[int], rng: random.Random) -> list[Req]:
    reqs: list[Req] = []
    for _ in range(4):
        for buyer in rng.sample(buyers, len(buyers)):
            body = urlencode({"csrf_token": buyer["csrf"], "listing_id": rng.choice(addable), "quantity": 1})
            reqs.append(Req("POST", "/cart/items", {"Cookie": buyer["cookie"],
                                                    "Content-Type": "application/x-www-form-urlencoded"}, body))
            reqs.append(Req("GET", "/cart", {"Cookie": buyer["cookie"]}))
    return reqs


def api_requests(buyers: list[dict[str, Any]], addable: list[int], rng: random.Random) -> list[Req]:
    reqs: list[Req] = []
    for _ in range(4):
        for buyer in rng.sample(buyers, len(buyers)):
            auth = {"Authorization": f"Bearer {buyer['token']}"}
            body = json.dumps({"listing_id": rng.choice(addable), "quantity": 1})
            reqs.append(Req("POST", "/api/v1/cart/items", {**auth, "Content-Type": "application/json"}, body))
            reqs.append(Req("GET", "/api/v1/cart", auth))
    return reqs


def check_once(port: int, page: Req, view: Req, api: Req) -> None:
    """One add + view of each flow by hand: the form's add must redirect to the cart and the cart must
    show the product (a 302 to the login page would count as success for wrk)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(page.method, page.path, body=page.body, headers=page.headers)
    resp = conn.getresponse()
    resp.read()
    if resp.status != 302 or not resp.headers.get("Location", "").endswith("/cart"):
        raise SystemExit(f"add to cart (form): {resp.status} → {resp.headers.get('Location')}")
    conn.request(view.method, view.path, headers=view.headers)
    resp = conn.getresponse()
    if resp.status != 200 or "Batik tulis" not in resp.read().decode():
        raise SystemExit(f"cart page: {resp.status}, or the product is not on it")
    conn.request(api.method, api.path, body=api.body, headers=api.headers)
    resp = conn.getresponse()
    if resp.status != 200 or not json.loads(resp.read())["shops"]:
        raise SystemExit(f"add to cart (API): {resp.status}")
    conn.close()


def cart_quantity(url: str) -> int:
    from sqlalchemy import func, select

    from marketplace.cart.models import CartItem

    db = Database(url)
    try:
        with db.new_session() as session:
            return int(session.scalar(select(func.coalesce(func.sum(CartItem.quantity), 0))) or 0)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=256, help="logged-in buyers (the peer's pool holds 128)")
    parser.add_argument("--checkouts", type=int, default=2000,
                        help="checkouts in the checkout row without wrk (0: no checkout row); with wrk it runs "
                             "--duration seconds, as the other rows")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--plain-checkout", action="store_true",
                        help="checkout carts without a variant or voucher (the rows before issue #24); by "
                             "default each cart's first line is a size of a shirt and the cart carries the "
                             "programme's 10 %% voucher")
    parser.add_argument("--peer", action="store_true", help="also run the django-oscar peer's basket flow")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --peer: run our checkout row and the peer's basket row this many times, "
                             "alternating, and print each round's ratio (a shared machine's speed drifts "
                             "over minutes; adjacent pairs compare like with like)")
    args = parser.parse_args()
    if args.rounds < 1 or (args.rounds > 1 and not (args.peer and args.checkouts)):
        parser.error("--rounds needs --peer and a checkout row")

    if args.peer:
        import oscar_peer

        oscar_peer.kit_dir()  # fail now, not after the seeding and our rows

    kind = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    rng = random.Random(5)
    rows: dict[str, LoadResult] = {}
    figures: dict[str, Any] = {"database": kind, "connections": args.connections, "duration_s": args.duration}
    with bench_database() as url, tempfile.TemporaryDirectory() as tmp:
        per_round = tokens_needed(args.duration) if args.checkouts and wrk_available() else args.checkouts
        all_tokens = seed(url, shops=10, listings=100, buyers=per_round * args.rounds,
                          variants_and_voucher=not args.plain_checkout)
        figures["checkout_cart"] = "plain" if args.plain_checkout else "variant + programme voucher"
        checkout_tokens = all_tokens[:per_round]
        buyers, addable = seed_buyers(url, args.buyers)
        session_cookies(url, buyers)
        with serve("bench.bare_app:app") as (port, _proc):
            rows["bare-flask"] = load(port, [Req("GET", "/ok")], connections=args.connections, duration=args.duration)
        port = free_port()
        with serve("marketplace.web.wsgi:app", port=port, env=app_env(url, port, tmp), log=Path(tmp) / "web.log"):
            fetch_csrf(port, buyers, addable[0])
            page, api = page_requests(buyers, addable, rng), api_requests(buyers, addable, rng)
            check_once(port, page[0], page[1], api[0])
            for name, reqs in (("basket-page", page), ("basket-api", api)):
                before = cart_quantity(url)
                rows[name] = load(port, reqs, connections=args.connections, duration=args.duration, order="cycle")
                figures[f"{name}_added"] = cart_quantity(url) - before
        for name in ("bare-flask", "basket-page", "basket-api"):
            figures[name] = rows[name].as_dict()
        if args.checkouts:
            figures["checkout"] = run_checkout_phase(url, checkout_tokens, args.connections, tmp, kind,
                                                     duration=args.duration)
        peer = None
        if args.peer:
            import oscar_peer

            peer = oscar_peer.basket(duration=round(args.duration), connections=args.connections,
                                     log=Path(tmp) / "oscar.log")
            figures["oscar"] = {k: v.as_dict() for k, v in peer.items()}
            if args.checkouts:
                figures["rounds"] = [{"checkout": figures["checkout"]["per_second"], "oscar_basket": peer["basket"].rps}]
            for r in range(1, args.rounds):
                ours = run_checkout_phase(url, all_tokens[r * per_round:(r + 1) * per_round], args.connections,
                                          tmp, kind, duration=args.duration)["per_second"]
                theirs = oscar_peer.basket(duration=round(args.duration), connections=args.connections,
                                           log=Path(tmp) / "oscar.log")["basket"].rps
                figures["rounds"].append({"checkout": ours, "oscar_basket": theirs})
    report(kind, rows, figures, peer)
    print(f"results: {write_results('basket', figures)}")


def report(kind: str, rows: dict[str, LoadResult], figures: dict[str, Any], peer: dict[str, Any] | None) -> None:
    bare = rows["bare-flask"].rps
    print(f"\n[{kind}] {figures['connections']} connections, {figures['duration_s']:.0f} s each "
          f"({rows['bare-flask'].generator}); the machine is shared: read the ratios")
    print(TABLE_HEADER.replace("÷ baseline", "÷ own bare framework"))
    for name, row in rows.items():
        print(row.row(name, None if name == "bare-flask" else bare))
    checkout = figures.get("checkout")
    if checkout:
        print(f"| checkout (POST /api/v1/checkout) | {checkout['per_second']:.1f} | {checkout['p50_ms']:.1f} | "
              f"{checkout['p99_ms']:.1f} | {checkout['failed']} | 0 | {checkout['per_second'] / bare:.3f} |")
    for name in ("basket-page", "basket-api"):
        requested = rows[name].requests / 2
        added = figures[f"{name}_added"]
        flag = "" if added >= 0.9 * requested else "  <-- FEWER ADDS THAN REQUESTS: check the flow"
        print(f"{name}: {added} added in the database for ~{requested:.0f} add requests in the measured run "
              f"(+ the warm-up's){flag}")
    if peer is None:
        return
    oscar, django = peer["basket"], peer["bare-ok"]
    print(f"| oscar bare-ok (bare Django) | {django.rps:.1f} | {django.p50_ms:.1f} | {django.p99_ms:.1f} | "
          f"{django.non_2xx} | {django.socket_errors} | 1 |")
    print(f"| oscar basket | {oscar.rps:.1f} | {oscar.p50_ms:.1f} | {oscar.p99_ms:.1f} | {oscar.non_2xx} | "
          f"{oscar.socket_errors} | {oscar.rps / django.rps:.4f} |")
    ratios = {name: rows[name].rps / oscar.rps for name in ("basket-page", "basket-api")}
    if checkout:
        ratios["checkout"] = checkout["per_second"] / oscar.rps
    figures["ratio_to_oscar_basket"] = ratios
    print("ours ÷ Oscar basket req/s (target ≥ 3): "
          + ", ".join(f"{name} {value:.2f}" for name, value in ratios.items()))
    rounds = figures.get("rounds", [])
    if len(rounds) > 1:
        for pair in rounds:
            pair["ratio"] = pair["checkout"] / pair["oscar_basket"]
        each = sorted(pair["ratio"] for pair in rounds)
        spread = figures["checkout_ratio_rounds"] = {"min": each[0], "median": each[len(each) // 2], "max": each[-1]}
        print("checkout ÷ Oscar basket, round by round (ours, then the peer's): " + "; ".join(
            f"{pair['checkout']:.0f} ÷ {pair['oscar_basket']:.1f} = {pair['ratio']:.2f}" for pair in rounds)
            + f" (min {spread['min']:.2f}, median {spread['median']:.2f})")


if __name__ == "__main__":
    sys.exit(main())
