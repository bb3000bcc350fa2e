"""Bad input that once gave a 500: ids past 64 bits, JSON we cannot store or walk, invisible or
control characters in text people read, and a PATCH that changes nothing. Each is a clear 4xx now."""

from __future__ import annotations

import pytest

from tests.unit.listings.helpers import listing_body

HUGE = "99999999999999999999999"
MAX_ID = 2**31 - 1  # primary keys are INTEGER


def _rules_with_ids(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return found


def _fill(rule: str, value: str) -> str:
    import re

    return re.sub(r"<int:[a-z_]+>", value, rule)


def test_an_id_past_64_bits_is_404_on_every_route_with_an_id(api, market):
    admin, seller, buyer = market.admin, market.seller(), api.make_user("buyer")
    rules = _rules_with_ids(api.app)
    assert len(rules) >= 30, rules  # the API's and the pages' routes with ids
    for method, rule in rules:
        for caller in (None, admin, seller, buyer):
            for value in (HUGE, str(MAX_ID + 1), str(2**63), "0", "007"):
                resp = getattr(api, method.lower())(_fill(rule, value), as_=caller, json={})
                assert resp.status_code == 404, (method, rule, value, resp.status_code)
                if rule.startswith("/api/"):
                    assert resp.json["error"]["code"] == "not_found"


def test_the_largest_id_is_an_ordinary_not_found(api, market):
    seller = market.seller()
    assert api.get(f"/api/v1/shops/{MAX_ID}").status_code == 404
    assert api.post(f"/api/v1/listings/{MAX_ID}/submit", as_=seller).status_code == 404
    assert api.post(f"/api/v1/admin/listings/{MAX_ID}/approve", as_=market.admin, json={}).status_code in (404, 422)


def test_ids_in_the_openapi_document_are_bounded(api):
    doc = api.get("/api/v1/openapi.json").json
    param = next(p for p in doc["paths"]["/api/v1/shops/{shop_id}"]["parameters"] if p["name"] == "shop_id")
    assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _raw_json(api, path: str, body: str, as_=None):
    return api.post(path, as_=as_, data=body.encode("utf-8"), content_type="application/json")


@pytest.mark.parametrize("body", [
    '{"title": "\\ud800 batik", "description": "x"}',
    '{"title": "ok", "description": "\\udfff"}',
    '{"\\ud83d": 1}',
    "[" * 5000 + "]" * 5000,
    '{"a": ' * 5000 + "1" + "}" * 5000,
    '{"a": ' * 40 + "1" + "}" * 40,
])
def test_json_we_cannot_store_or_walk_is_400_invalid_json(api, market, body):
    seller = market.seller()
    resp = _raw_json(api, "/api/v1/listings", body, as_=seller)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.json["error"]["code"] == "invalid_json"


def test_a_paired_surrogate_escape_is_an_ordinary_character(api, market):
    seller = market.seller()
    body = '{"title": "Batik \\ud83c\\udf38 Ciputat", "description": "x", "category": "batik", ' \
           '"price_idr": 350000, "stock": 3, "weight_grams": 400}'
    resp = _raw_json(api, "/api/v1/listings", body, as_=seller)
    assert resp.status_code == 201, resp.json
    assert resp.json["title"] == "Batik \U0001f338 Ciputat"


@pytest.mark.parametrize("title", [
    "\u200b\u200b\u200b\u200b",          # zero-width spaces
    "\u200d\u200c\u2060\ufeff\u00ad",     # joiners, word joiner, BOM, soft hyphen
    "\u3164\u3164\u3164",                # Hangul fillers (look blank)
    " \u200b \u200b ",
])
def test_a_title_of_invisible_characters_is_empty(api, market, title):
    resp = api.post("/api/v1/listings", as_=market.seller(), json=listing_body(title=title))
    assert resp.status_code == 422
    assert "title" in resp.json["error"]["fields"]


@pytest.mark.parametrize("text", [
    "\x1b[31mMERAH\x1b[0m batik",  # an ANSI escape
    "Batik \u202eelat",             # a right-to-left override
    "Batik \u2066tulis\u2069",      # an isolate
    "Bell\x07 batik",
    "C1\x9b control",
])
def test_control_characters_and_bidi_overrides_are_refused(api, market, text):
    seller = market.seller()
    for field in ("title", "description"):
        resp = api.post("/api/v1/listings", as_=seller, json=listing_body(**{field: text}))
        assert resp.status_code == 422, (field, resp.json)
        assert resp.json["error"]["fields"][field] == ["Remove the control characters from this text."]
    resp = api.post("/api/v1/shops", as_=api.make_user("artisan"),
                    json={"name": text, "city": "Tangerang Selatan", "kelurahan": "Cipayung"})
    assert resp.status_code == 422 and "name" in resp.json["error"]["fields"]
    listing = market.listing(seller)
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/reject", as_=market.admin,
                    json={"reason": text, "revision": 1})
    assert resp.status_code == 422 and "reason" in resp.json["error"]["fields"]


def test_invisible_characters_are_dropped_from_what_is_kept(api, market):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller, json=listing_body(
        title="\u200bKain\u00ad batik\ufeff ", description="Pewarna alam \U0001f469\u200d\U0001f3a8\n\nTulis"))
    assert resp.status_code == 201, resp.json
    assert resp.json["title"] == "Kain batik"
    # a joiner inside an emoji (woman artist) and line breaks of a description are kept
    assert resp.json["description"] == "Pewarna alam \U0001f469\u200d\U0001f3a8\n\nTulis"


def test_a_page_form_refuses_the_same_text(client, auth, market):
    seller = market.seller()
    auth.login(seller.email, seller.password)
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data={**listing_body(title="\u200b\u200b\u200b"), "csrf_token": token})
    assert resp.status_code == 422


@pytest.mark.parametrize("kwargs", [{}, {"json": {}}])
def test_a_patch_that_changes_nothing_is_422(api, market, kwargs):
    seller = market.seller()
    listing = market.listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, **kwargs)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error"
    assert resp.json["error"]["fields"] == {"_schema": ["Send at least one field to change."]}
    resp = api.patch("/api/v1/shops/me", as_=seller, **kwargs)
    assert resp.status_code == 422 and resp.json["error"]["fields"] == {"_schema": ["Send at least one field to change."]}
    # one field is enough
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 4})
    assert resp.status_code == 200 and resp.json["stock"] == 4


def test_ids_in_bodies_and_queries_past_the_keys_are_422(api, market):
    buyer = api.make_user("buyer")
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": MAX_ID + 1, "quantity": 1})
    assert resp.status_code == 422 and "listing_id" in resp.json["error"]["fields"]
    resp = api.get(f"/api/v1/shipping/quote?listing_id={10**30}&quantity=1&city=Bandung&province=Jawa Barat")
    assert resp.status_code == 422 and "listing_id" in resp.json["error"]["fields"]
    resp = api.post("/api/v1/admin/orders/1/refund", as_=market.admin, json={"seller_order_id": 2**40, "reason": "Rusak"})
    assert resp.status_code == 422 and "seller_order_id" in resp.json["error"]["fields"]



def test_a_form_whose_escapes_are_not_utf8_is_refused_and_stores_nothing(client, auth, api):
    """Issue #30: a form field sent as ``0812%FF…`` was stored with the bad byte in it."""
    from urllib.parse import quote

    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    token = auth.csrf_token("/account/notifications")
    body = f"csrf_token={quote(token)}&phone=0812%FF3456789&whatsapp=y".encode()
    resp = client.post("/account/notifications", data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400 and "UTF-8" in resp.get_data(as_text=True)
    assert api.get("/api/v1/me", as_=buyer).json.get("phone") is None


def test_a_chunked_body_past_the_cap_is_413_not_a_cut_body_judged(app):
    """Issue #30: a body without a length was cut at the cap and then called "not valid JSON"."""
    import io

    from werkzeug.test import EnvironBuilder, run_wsgi_app

    cap = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"name": "' + b"x" * cap + b'"}'
    environ = EnvironBuilder(path="/api/v1/auth/register", method="POST",
                             headers={"Content-Type": "application/json"}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True, "wsgi.input": io.BytesIO(body)})
    chunks, status, _ = run_wsgi_app(app, environ)
    assert status.startswith("413") and b"payload_too_large" in b"".join(chunks)
    environ.update({"wsgi.input": io.BytesIO(b'{"email": "x"}')})  # a small chunked body is judged as usual
    chunks, status, _ = run_wsgi_app(app, environ)
    assert status.startswith("422"), b"".join(chunks)


def test_query_numbers_are_read_from_text(api, market):
    """A query string is text: ``?page=2`` of a review list and ``?sentra_id=`` of the events were
    refused whatever the number (a JSON integer was wanted). An empty value of a filter is no filter."""
    seller = market.seller()
    listing = market.listing(seller)
    market.approve(listing["id"])
    resp = api.get(f"/api/v1/listings/{listing['id']}/reviews?page=2&per_page=5")
    assert resp.status_code == 200, resp.json
    resp = api.get(f"/api/v1/listings/{listing['id']}/reviews?page=2.5")
    assert resp.status_code == 422 and resp.json["error"]["fields"] == {"page": ["Enter a whole number."]}
    assert api.get("/api/v1/events?sentra_id=1").status_code == 200
    assert api.get("/api/v1/listings?sort=").status_code == 200
