"""Issue #28: a new account gets a welcome e-mail — an artisan is sent to open a shop, a buyer to the
catalogue — queued with the account (a registration refused for a taken e-mail welcomes nobody)."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.notifications.models import Notification


def _welcomes(app) -> list[Notification]:
    with app.extensions["db"].new_session() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == "welcome")
                                    .order_by(Notification.id)))


def test_an_artisan_registered_over_the_api_is_welcomed_and_pointed_at_opening_a_shop(client, app):
    body = {"email": "ayu@example.id", "password": "batik-tulis-2026", "name": "Ayu", "role": "artisan"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    assert client.post("/api/v1/auth/register", json=body).status_code == 409
    (mail,) = _welcomes(app)
    assert (mail.email, mail.status, mail.channel) == ("ayu@example.id", "queued", "email")
    assert mail.subject == "Selamat datang di Pasar Kreatif, Ayu"
    assert "buka toko Anda lalu unggah produk pertama" in mail.body_text
    assert "/seller/shop/new" in mail.body_text and "/seller/shop/new" in mail.body_html


def test_a_buyer_registered_on_the_page_is_welcomed_to_the_catalogue(client, auth, app):
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/register", data={"csrf_token": token, "email": "rudi@example.id", "name": "Rudi",
                                          "password": "anyaman-bambu-26", "role": "buyer"})
    assert resp.status_code == 302
    (mail,) = _welcomes(app)
    assert mail.email == "rudi@example.id" and "Temukan batik" in mail.body_text
    assert "/seller/shop/new" not in mail.body_text
