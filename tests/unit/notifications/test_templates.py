"""Every message renders in both languages from the context its trigger gives it: a subject, a text
body and an HTML body, rupiah as ``Rp 150.000``, times in WIB, user text escaped in HTML only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from marketplace.notifications.kinds import KINDS, LANGUAGES
from marketplace.notifications.rendering import TEMPLATES, render

WHEN = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB


def _context() -> dict:
    item = SimpleNamespace(id=21, title="Kain <batik> tulis", quantity=2, unit_price_idr=150_000, line_total_idr=300_000)
    shop = SimpleNamespace(name="Batik Ciputat")
    part = SimpleNamespace(id=11, shop=shop, items=[item], subtotal_idr=300_000, shipping_idr=25_000,
                           ship_by=WHEN + timedelta(days=2), delivered_at=WHEN)
    order = SimpleNamespace(id=7, seller_orders=[part], subtotal_idr=300_000, shipping_idr=25_000, total_idr=325_000,
                            payment_due_at=WHEN + timedelta(hours=1), paid_at=WHEN, recipient="Siti", phone="0812",
                            line1="Jl. Melati 3", city="Bandung", province="Jawa Barat", postal_code="40111")
    return {
        "user": SimpleNamespace(name="Siti <b>Rahma</b>", email="siti@example.id", role="artisan"), "base_url": "https://pasar.test",
        "settings_url": "https://pasar.test/account/notifications", "order": order, "part": part,
        "order_url": "https://pasar.test/orders/7", "pay_url": "https://pasar.test/orders/7/pay",
        "seller_orders_url": "https://pasar.test/seller/orders", "courier": "JNE", "tracking_number": "JNE123",
        "reason": "Stok habis", "refund_idr": 325_000, "amount_idr": 1_250_000, "payout_id": 4, "transfer_id": "tr_1",
        "seller_order_ids": [11], "shop": shop, "payouts_url": "https://pasar.test/seller/payouts",
        "seller": SimpleNamespace(name="Budi", email="budi@example.id"), "seller_id": 3,
        "admin_url": "https://pasar.test/admin/payouts", "reset_url": "https://pasar.test/reset-password/abc",
        "expires_at": WHEN + timedelta(hours=1), "title": "Kain <batik> tulis",
        "listing_url": "https://pasar.test/listings/3", "edit_url": "https://pasar.test/seller/listings/3/edit",
        "start_url": "https://pasar.test/seller/shop/new",
        "sender_name": "Siti <b>Rahma</b>", "conversation_url": "https://pasar.test/messages/5",
        "event": SimpleNamespace(title="Membatik <canting>", starts_at=WHEN, ends_at=WHEN, venue="Balai Warga", city="Bekasi",
                                 cancel_reason="Hujan deras"),
        "code": "K7QX2M9P", "event_url": "https://pasar.test/events/3", "mine_url": "https://pasar.test/account/events",
        "action": {"type": "va", "bank": "BNI", "account_number": "8808123456789012"},
        "method": SimpleNamespace(code="va_bni", label="BNI"),
        "review_base": "https://pasar.test/orders/7/items", "window_days": 60,
        "listings": [{"title": "Kain <batik> tulis", "shop": "Batik Ciputat", "price_idr": 150_000,
                      "url": "https://pasar.test/listings/5"}], "following_url": "https://pasar.test/toko-diikuti",
        "order_id": 7, "dispute_url": "https://pasar.test/disputes/2", "outcome": "refund",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_message_renders_in_both_languages(kind, language):
    rendered = render(kind, language, _context())
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    assert "{{" not in rendered.text and "{%" not in rendered.text
    assert rendered.html.startswith("<!doctype html>") and f'<html lang="{language}">' in rendered.html
    assert "Siti <b>Rahma</b>" in rendered.text  # plain text: as the user wrote it
    assert "Siti &lt;b&gt;Rahma&lt;/b&gt;" in rendered.html and "<b>Rahma" not in rendered.html
    if not KINDS[kind].transactional:
        assert "https://pasar.test/account/notifications" in rendered.text + rendered.html


def test_the_two_languages_say_it_in_their_own_words_with_indonesian_rupiah_and_wib():
    indonesian = render("order_placed", "id", _context())
    english = render("order_placed", "en", _context())
    assert indonesian.subject == "Pesanan #7 diterima: bayar sebelum 2 Mar 2026 11.00 WIB"
    assert english.subject == "Order #7 received: pay before Mar 2, 2026, 11:00\u202fAM WIB"
    assert "Total: Rp 325.000" in indonesian.text and "Total: Rp 325.000" in english.text
    assert "Kain <batik> tulis × 2 @ Rp 150.000 = Rp 300.000" in indonesian.text
    assert "Kain &lt;batik&gt; tulis" in indonesian.html
    assert render("payout_paid", "id", _context()).subject == "Pembayaran Rp 1.250.000 sudah dikirim"


def test_an_unknown_language_falls_back_to_bahasa_indonesia():
    assert render("order_paid", "fr", _context()).subject == "Pembayaran pesanan #7 berhasil"


def test_every_kind_has_both_files_in_every_language_and_nothing_else_is_there():
    expected = {f"{k}.{lang}.{ext}" for k in KINDS for lang in LANGUAGES for ext in ("txt", "html")}
    found = {p.name for p in TEMPLATES.iterdir() if not p.name.startswith("_")}
    assert found == expected


def test_a_voucher_discount_is_shown_to_the_buyer_and_to_the_artisan_who_pays_it_or_not():
    context = _context()
    context["order"].subtotal_idr, context["order"].discount_idr, context["order"].total_idr = 270_000, 30_000, 295_000
    shop_part = context["part"]
    shop_part.subtotal_idr, shop_part.discount_idr, shop_part.subsidy_idr = 270_000, 30_000, 0
    placed = render("order_placed", "id", context)
    assert "Subtotal: Rp 300.000" in placed.text and "Diskon voucher: −Rp 30.000" in placed.text
    assert "Total: Rp 295.000" in placed.text and "Voucher discount: −Rp 30.000" in render("order_placed", "en", context).text
    assert "Diskon voucher toko: −Rp 30.000" in render("seller_order_to_ship", "id", context).text
    shop_part.subtotal_idr, shop_part.subsidy_idr = 300_000, 30_000  # the programme's voucher
    to_ship = render("seller_order_to_ship", "en", context)
    assert "Goods: Rp 300.000" in to_ship.text and "paid by the programme, not by you" in to_ship.text


@pytest.mark.parametrize("kind", ["order_placed", "order_shipped", "seller_order_to_ship"])
def test_an_item_bought_as_a_variant_is_named_with_its_options(kind):
    context = _context()
    part = context["order"].seller_orders[0]
    part.items = [*part.items, SimpleNamespace(title="Kemeja batik", quantity=1, unit_price_idr=200_000,
                                               line_total_idr=200_000, variant_label="ukuran: L, warna: Biru")]
    for language in LANGUAGES:
        rendered = render(kind, language, context)
        assert "Kemeja batik (ukuran: L, warna: Biru) × 1" in rendered.text
        assert "Kemeja batik (ukuran: L, warna: Biru)" in rendered.html
        assert "Kain <batik> tulis × 2" in rendered.text, "an item without a variant reads as before"
