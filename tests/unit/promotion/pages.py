"""Checkout through the pages (cart form, checkout form), as a browser does."""

from __future__ import annotations

import re
from typing import Any


def place_order_through_pages(client: Any, auth: Any, listing_id: int, address: dict[str, str]) -> int:
    token = auth.csrf_token(f"/listings/{listing_id}")
    resp = client.post("/cart/items", data={"listing_id": listing_id, "quantity": 1, "csrf_token": token})
    assert resp.status_code in (200, 302), resp.status_code
    token = auth.csrf_token("/checkout")
    resp = client.post("/checkout", data={**address, "action": "place", "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    match = re.search(r"/orders/(\d+)", resp.headers["Location"])
    assert match, resp.headers["Location"]
    return int(match.group(1))
