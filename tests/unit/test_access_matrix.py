"""Every JSON API endpoint, every role: access is checked, and junk input is a 4xx, never a 500.

The route table below must classify every ``/api/v1`` route the app has: a new endpoint that is not
listed fails ``test_every_api_route_is_classified``, so its access rule is decided, not forgotten.
"""

from __future__ import annotations

import re

import pytest

from tests.unit.listings.helpers import Market

PUBLIC, USER, BUYER, ARTISAN, ADMIN = "public", "user", "buyer", "artisan", "admin"

# (method, rule) -> who may call it
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/listings"): PUBLIC,
    ("GET", "/api/v1/listings/<int:listing_id>"): PUBLIC,
    ("GET", "/api/v1/shops/<int:shop_id>"): PUBLIC,
    ("GET", "/api/v1/shipping/quote"): PUBLIC,
    ("GET", "/api/v1/shipping/rates"): PUBLIC,  # a listing's for anyone; the cart's for its buyer (401 otherwise)
    ("GET", "/api/v1/seller-orders/<int:seller_order_id>/tracking"): USER,  # its buyer, its shop, admins; else 404
    ("POST", "/api/v1/sandbox/shipments/<waybill>/advance"): ADMIN,
    ("DELETE", "/api/v1/auth/token"): USER,
    ("GET", "/api/v1/me/export"): USER,
    ("DELETE", "/api/v1/me"): USER,
    ("GET", "/api/v1/me"): USER,
    ("PATCH", "/api/v1/me"): USER,
    ("POST", "/api/v1/me/password"): USER,
    ("POST", "/api/v1/orders/<int:order_id>/sandbox-pay"): USER,  # the order's buyer; anyone else 404
    ("POST", "/api/v1/orders/<int:order_id>/pay"): USER,  # the order's buyer; anyone else 404
    ("POST", "/api/v1/shops"): ARTISAN,
    ("GET", "/api/v1/shops/me"): ARTISAN,
    ("PATCH", "/api/v1/shops/me"): ARTISAN,
    ("POST", "/api/v1/listings"): ARTISAN,
    ("PATCH", "/api/v1/listings/<int:listing_id>"): ARTISAN,
    ("POST", "/api/v1/listings/<int:listing_id>/images"): ARTISAN,
    ("DELETE", "/api/v1/listings/<int:listing_id>/images/<int:image_id>"): ARTISAN,
    ("POST", "/api/v1/listings/<int:listing_id>/submit"): ARTISAN,
    ("POST", "/api/v1/listings/<int:listing_id>/withdraw"): ARTISAN,
    ("GET", "/api/v1/seller/listings"): ARTISAN,
    ("GET", "/api/v1/admin/moderation/queue"): ADMIN,
    ("POST", "/api/v1/admin/listings/<int:listing_id>/approve"): ADMIN,
    ("POST", "/api/v1/admin/listings/<int:listing_id>/reject"): ADMIN,
    ("GET", "/api/v1/admin/listings/<int:listing_id>/history"): ADMIN,
    ("GET", "/api/v1/admin/events/status"): ADMIN,
    ("GET", "/api/v1/cart"): BUYER,
    ("POST", "/api/v1/cart/items"): BUYER,
    ("PATCH", "/api/v1/cart/items/<int:listing_id>"): BUYER,
    ("DELETE", "/api/v1/cart/items/<int:listing_id>"): BUYER,
    ("POST", "/api/v1/checkout"): BUYER,
    ("POST", "/api/v1/cart/voucher"): BUYER,
    ("DELETE", "/api/v1/cart/voucher"): BUYER,
    ("GET", "/api/v1/seller/vouchers"): ARTISAN,
    ("POST", "/api/v1/seller/vouchers"): ARTISAN,
    ("PATCH", "/api/v1/seller/vouchers/<int:voucher_id>"): ARTISAN,
    ("GET", "/api/v1/admin/vouchers"): ADMIN,
    ("POST", "/api/v1/admin/vouchers"): ADMIN,
    ("PATCH", "/api/v1/admin/vouchers/<int:voucher_id>"): ADMIN,
    ("GET", "/api/v1/orders"): BUYER,
    ("GET", "/api/v1/orders/<int:order_id>"): USER,  # its buyer or the artisan who rang up a booth sale; else 404
    ("POST", "/api/v1/seller/booth-orders"): ARTISAN,
    ("GET", "/api/v1/orders/<int:order_id>/events"): USER,
    ("GET", "/api/v1/seller/orders"): ARTISAN,
    ("POST", "/api/v1/seller/orders/<int:seller_order_id>/ship"): ARTISAN,
    ("POST", "/api/v1/seller/orders/<int:seller_order_id>/cancel"): ARTISAN,
    ("POST", "/api/v1/seller-orders/<int:seller_order_id>/confirm-delivery"): BUYER,
    ("GET", "/api/v1/admin/orders"): ADMIN,
    ("POST", "/api/v1/admin/orders/<int:order_id>/refund"): ADMIN,
    ("POST", "/api/v1/admin/refunds/<int:refund_id>/manual"): ADMIN,
    ("GET", "/api/v1/me/notification-preferences"): USER,
    ("PATCH", "/api/v1/me/notification-preferences"): USER,
    ("POST", "/api/v1/seller/payout-account"): ARTISAN,
    ("GET", "/api/v1/seller/payouts"): ARTISAN,
    ("GET", "/api/v1/seller/statements/<month>.csv"): ARTISAN,
    ("GET", "/api/v1/admin/payouts"): ADMIN,
    ("POST", "/api/v1/admin/payouts/<int:payout_id>/retry"): ADMIN,
    ("GET", "/api/v1/admin/promotions"): ADMIN,
    ("POST", "/api/v1/admin/promotions/<int:promotion_id>/retry"): ADMIN,
    ("GET", "/api/v1/admin/reconciliation"): ADMIN,
    ("GET", "/api/v1/admin/impact"): ADMIN,
    ("GET", "/api/v1/programme/figures"): PUBLIC,
    ("GET", "/api/v1/admin/programme/figures"): ADMIN,
    ("GET", "/api/v1/seller/listings/<int:listing_id>/share-kit"): ARTISAN,
    ("POST", "/api/v1/seller/listings/<int:listing_id>/share-kit"): ARTISAN,
    ("GET", "/api/v1/admin/promotions/figures"): ADMIN,
    ("GET", "/api/v1/sentra"): PUBLIC,
    ("GET", "/api/v1/admin/sentra"): ADMIN,
    ("POST", "/api/v1/admin/sentra"): ADMIN,
    ("PATCH", "/api/v1/admin/sentra/<int:sentra_id>"): ADMIN,
    ("POST", "/api/v1/admin/sentra/<int:sentra_id>/photo"): ADMIN,
    ("PATCH", "/api/v1/admin/shops/<int:shop_id>"): ADMIN,
    ("POST", "/api/v1/admin/shops/<int:shop_id>/suspend"): ADMIN,
    ("POST", "/api/v1/admin/shops/<int:shop_id>/reinstate"): ADMIN,
    ("GET", "/api/v1/admin/audit-log"): ADMIN,
    ("GET", "/api/v1/admin/audit-log.csv"): ADMIN,
    ("POST", "/api/v1/admin/moderation/bulk"): ADMIN,
    ("POST", "/api/v1/listings/<int:listing_id>/reports"): USER,
    ("POST", "/api/v1/admin/listings/<int:listing_id>/reports/dismiss"): ADMIN,
    ("POST", "/api/v1/admin/listings/<int:listing_id>/take-down"): ADMIN,
    # messaging (#26): a conversation's two parties only; anyone else (admins too) 404 until reported
    ("GET", "/api/v1/conversations"): USER,
    ("POST", "/api/v1/conversations"): USER,
    ("GET", "/api/v1/conversations/<int:conversation_id>/messages"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/messages"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/photos"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/read"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/block"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/unblock"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/reports"): USER,
    ("POST", "/api/v1/conversations/<int:conversation_id>/offers"): ARTISAN,
    ("POST", "/api/v1/offers/<int:offer_id>/accept"): BUYER,
    ("GET", "/api/v1/admin/conversations"): ADMIN,
    ("POST", "/api/v1/admin/conversations/<int:conversation_id>/open"): ADMIN,
    ("POST", "/api/v1/admin/conversations/<int:conversation_id>/dismiss"): ADMIN,
    ("GET", "/api/v1/events"): PUBLIC,
    ("GET", "/api/v1/events/<int:event_id>"): PUBLIC,
    ("POST", "/api/v1/events/<int:event_id>/registrations"): USER,
    ("DELETE", "/api/v1/events/<int:event_id>/registrations/me"): USER,
    ("GET", "/api/v1/me/registrations"): USER,
    ("POST", "/api/v1/events/<int:event_id>/shop-applications"): ARTISAN,
    ("POST", "/api/v1/admin/events"): ADMIN,
    ("PATCH", "/api/v1/admin/events/<int:event_id>"): ADMIN,
    ("POST", "/api/v1/admin/events/<int:event_id>/cancel"): ADMIN,
    ("POST", "/api/v1/admin/events/<int:event_id>/photo"): ADMIN,
    ("POST", "/api/v1/admin/events/<int:event_id>/shops"): ADMIN,
    ("POST", "/api/v1/admin/events/<int:event_id>/check-in"): ADMIN,
    ("POST", "/api/v1/listings/<int:listing_id>/reviews"): USER,  # the item's buyer; anyone else 403
    ("GET", "/api/v1/listings/<int:listing_id>/reviews"): PUBLIC,
    ("GET", "/api/v1/shops/<int:shop_id>/reviews"): PUBLIC,
    ("POST", "/api/v1/reviews/<int:review_id>/photos"): USER,  # the review's author; anyone else 404
    ("POST", "/api/v1/reviews/<int:review_id>/reply"): ARTISAN,
    ("POST", "/api/v1/reviews/<int:review_id>/reports"): USER,
    ("GET", "/api/v1/admin/reviews/reported"): ADMIN,
    ("POST", "/api/v1/admin/reviews/<int:review_id>/hide"): ADMIN,
    ("POST", "/api/v1/admin/reviews/<int:review_id>/reports/dismiss"): ADMIN,
    ("PUT", "/api/v1/me/favourites/<int:listing_id>"): USER,
    ("DELETE", "/api/v1/me/favourites/<int:listing_id>"): USER,
    ("GET", "/api/v1/me/favourites"): USER,
    ("PUT", "/api/v1/me/following/<int:shop_id>"): USER,
    ("DELETE", "/api/v1/me/following/<int:shop_id>"): USER,
    ("GET", "/api/v1/me/following"): USER,
    ("POST", "/api/v1/seller-orders/<int:seller_order_id>/disputes"): USER,  # its buyer; anyone else 403
    ("POST", "/api/v1/disputes/<int:dispute_id>/photos"): USER,  # the dispute's buyer; anyone else 404
    ("GET", "/api/v1/disputes/<int:dispute_id>"): USER,  # its buyer, the shop's artisan, admins; else 404
    ("POST", "/api/v1/disputes/<int:dispute_id>/escalate"): USER,  # its buyer or the shop's artisan; else 404
    ("POST", "/api/v1/seller/disputes/<int:dispute_id>/respond"): ARTISAN,
    ("POST", "/api/v1/seller/disputes/<int:dispute_id>/refund"): ARTISAN,
    ("GET", "/api/v1/admin/disputes"): ADMIN,
    ("POST", "/api/v1/admin/disputes/<int:dispute_id>/resolve"): ADMIN,
}

#: ROUTES by the OpenAPI document's paths (``{name}`` there, ``<int:name>`` or ``<name>`` here).
OPENAPI_ROUTES: dict[tuple[str, str], str] = {
    (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)): who for (method, rule), who in ROUTES.items()}

JUNK_BODIES = [
    [],
    "text",
    123,

    {"title": {"$ne": 1}, "price_idr": "1e309", "stock": -1},
    {"price_idr": 10**30, "weight_grams": 1.5, "stock": True},
    {"name": ["x"], "city": None, "kelurahan": 7, "reason": {"a": 1}},
    {"title": "x" * 100_000, "description": "y" * 100_000, "reason": "z" * 100_000},
    {"email": "a@b.id", "password": None, "role": ["admin"]},
]


def _api_rules(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((method, rule.rule))
    return found


def _path(rule: str, listing_id: int, image_id: int = 999_999) -> str:
    return (rule.replace("<int:listing_id>", str(listing_id))
                .replace("<int:image_id>", str(image_id))
                .replace("<int:shop_id>", "1")
                .replace("<int:order_id>", "999999")
                .replace("<int:seller_order_id>", "999999")
                .replace("<int:payout_id>", "999999")
                .replace("<int:promotion_id>", "999999")
                .replace("<int:sentra_id>", "999999")
                .replace("<int:voucher_id>", "999999")
                .replace("<int:conversation_id>", "999999")
                .replace("<int:offer_id>", "999999")
                .replace("<int:event_id>", "999999")
                .replace("<int:review_id>", "999999")
                .replace("<int:refund_id>", "999999")
                .replace("<int:dispute_id>", "999999")
                .replace("<month>", "2026-11")
                .replace("<waybill>", "SBXJNE000000000001"))


@pytest.fixture
def world(api, db_session):
    market = Market(api, db_session)
    owner = market.seller()
    listing = market.listing(owner)  # pending review: not public
    return {
        "listing_id": listing["id"],
        "buyer": api.make_user("buyer"),
        "other_artisan": market.seller(kelurahan="Pamulang Barat"),
        "admin": market.admin,
    }


def test_every_api_route_is_classified(app):
    assert _api_rules(app) == set(ROUTES), "classify new API routes in ROUTES"


def test_anonymous_gets_401_on_every_protected_endpoint(api, world):
    for (method, rule), who in ROUTES.items():
        if who == PUBLIC:
            continue
        resp = getattr(api, method.lower())(_path(rule, world["listing_id"]), json={})
        assert resp.status_code == 401, (method, rule, resp.status_code)
        assert resp.json["error"]["code"] == "unauthorized"


def test_wrong_role_gets_403_or_404(api, world):
    for (method, rule), who in ROUTES.items():
        if who in (PUBLIC, USER):
            continue
        callers = {ADMIN: ["buyer", "other_artisan"], ARTISAN: ["buyer", "admin"], BUYER: ["other_artisan", "admin"]}[who]
        for caller in callers:
            resp = getattr(api, method.lower())(_path(rule, world["listing_id"]), as_=world[caller], json={})
            assert resp.status_code in (403, 404), (caller, method, rule, resp.status_code, resp.json)


def test_another_artisan_cannot_touch_someone_elses_listing(api, world):
    for (method, rule), who in ROUTES.items():
        if who != ARTISAN or "<int:listing_id>" not in rule:
            continue
        path = _path(rule, world["listing_id"])
        if rule.endswith("/images"):
            resp = Market(api, None).add_image(world["other_artisan"], world["listing_id"])
        else:
            resp = getattr(api, method.lower())(path, as_=world["other_artisan"], json={"title": "Mine now"})
        assert resp.status_code in (403, 404), (method, rule, resp.status_code)
    # ...and the listing is not visible to them either, since it is not approved.
    assert api.get(f"/api/v1/listings/{world['listing_id']}", as_=world["other_artisan"]).status_code == 404


def _takes_json_body(openapi: dict, method: str, rule: str) -> bool:
    path = rule.replace("<int:", "{").replace(">", "}")
    operation = openapi["paths"].get(path, {}).get(method.lower(), {})
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def test_junk_bodies_are_4xx_never_500(api, world):
    roles = {ADMIN: world["admin"], ARTISAN: world["other_artisan"], USER: world["buyer"], BUYER: world["buyer"],
             PUBLIC: None}
    openapi = api.get("/api/v1/openapi.json").json
    with_body = [(m, r) for (m, r) in ROUTES if _takes_json_body(openapi, m, r)]
    assert len(with_body) >= 6, with_body  # register, token, shops, listings, patch listing, reject, ...
    for (method, rule) in with_body:
        who = ROUTES[(method, rule)]
        for body in JUNK_BODIES:
            resp = getattr(api, method.lower())(_path(rule, world["listing_id"]), as_=roles[who], json=body)
            assert 400 <= resp.status_code < 500, (method, rule, body if len(str(body)) < 200 else "<big>", resp.status_code)
            assert "error" in resp.json and resp.json["error"]["message"]


PAGES = {
    "/seller": ARTISAN,
    "/seller/listings": ARTISAN,
    "/seller/listings/new": ARTISAN,
    "/seller/shop/new": ARTISAN,
    "/seller/shop/edit": ARTISAN,
    "/seller/listings/{listing_id}/edit": ARTISAN,
    "/admin/moderation": ADMIN,
    "/admin/moderation/listings/{listing_id}": ADMIN,
    "/admin/events": ADMIN,
    "/checkout": BUYER,
    "/orders": BUYER,
    "/orders/{order_id}": BUYER,
    "/admin/mail": ADMIN,
    "/admin/mail/999999": ADMIN,
    "/seller/payouts": ARTISAN,
    "/admin/payouts": ADMIN,
    "/admin/promotions": ADMIN,
    "/admin/reconciliation": ADMIN,
    "/admin/impact": ADMIN,
    "/admin/impact/export.csv": ADMIN,
    "/seller/listings/{listing_id}/share-kit": ARTISAN,
    "/admin/promotions/figures": ADMIN,
    "/admin/sentra": ADMIN,
    "/admin/sentra/999999/edit": ADMIN,
    "/admin/shops": ADMIN,
    "/admin/audit-log": ADMIN,
    "/seller/vouchers": ARTISAN,
    "/admin/vouchers": ADMIN,
    "/admin/conversations": ADMIN,
    "/account/events": USER,
    "/admin/programme": ADMIN,
    "/admin/programme/999999": ADMIN,
    "/admin/programme/999999/check-in": ADMIN,
    "/admin/reviews": ADMIN,
    "/orders/{order_id}/items/999999/review": BUYER,
    "/orders/{order_id}/parts/999999/dispute": BUYER,
    "/seller/disputes": ARTISAN,
    "/admin/disputes": ADMIN,
}

#: Pages every logged-in user may open (any role); anonymous visitors are sent to log in.
USER_PAGES = ("/favorit", "/toko-diikuti", "/account/programme")


def test_user_pages_need_a_login_and_open_for_every_role(client, auth, world):
    for page in USER_PAGES:
        resp = client.get(page)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], page
    for who in ("buyer", "other_artisan", "admin"):
        auth.login(world[who].email, world[who].password)
        for page in USER_PAGES:
            assert client.get(page).status_code == 200, (who, page)
        auth.logout()


def test_pages_send_anonymous_visitors_to_login_and_refuse_wrong_roles(client, auth, world):
    def path(page: str) -> str:
        return page.format(listing_id=world["listing_id"], order_id=999_999)

    for page in PAGES:
        resp = client.get(path(page))
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], page
    auth.login(world["buyer"].email, world["buyer"].password)
    for page, who in PAGES.items():
        resp = client.get(path(page))
        if who not in (BUYER, USER):
            assert resp.status_code == 403, (page, resp.status_code)
        elif "{order_id}" in page:
            assert resp.status_code == 404, page  # no such order of theirs
        else:
            assert resp.status_code in (200, 302), page
    auth.logout()
    auth.login(world["other_artisan"].email, world["other_artisan"].password)
    for page, who in PAGES.items():
        resp = client.get(path(page))
        if who in (ADMIN, BUYER):
            assert resp.status_code == 403, page
        elif "{listing_id}" in page:
            assert resp.status_code == 404, page  # someone else's listing
        else:
            assert resp.status_code in (200, 302), page
