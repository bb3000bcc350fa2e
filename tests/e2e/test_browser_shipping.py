"""Couriers in a real browser (issue #25), on ``marketplace run``'s sandbox couriers, on a phone:

1. the demo buyer checks a product's shipping to Makassar on its page (the cheapest and the fastest
   courier), puts it in the cart, and at checkout picks SiCepat BEST for that shop; the total follows
   the pick, and the order records it;
2. the order is paid (the sandbox payment, as the payments test of ``test_run`` pays);
3. the artisan books the courier from the orders page (a waybill ``SBX…``) and opens the A6 label:
   the items, the recipient, no prices;
4. an admin moves the sandbox parcel (each step a signed courier webhook to our own endpoint); the
   buyer's order page shows each step, and at ``delivered`` the order is completed without the buyer
   confirming anything.
"""

from __future__ import annotations

import re
from typing import Any

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningSystem, http, wait_for
from tests.e2e.test_browser import People, check_phone_page, expect

#: Longer than the main journey's: logins hash passwords, and the test machine is often shared.
TIMEOUT_MS = 60_000


@pytest.fixture
def people(chromium: Any, system: RunningSystem, tmp_path: Path) -> Iterator[People]:
    crowd = People(chromium, system, tmp_path)
    try:
        yield crowd
    finally:
        crowd.close()

ADDRESS = {"Nama penerima": "Rina Wulandari", "Nomor telepon": "0812 3456 7890",
           "Alamat (jalan, nomor, RT/RW, kelurahan)": "Jl. Melati No. 3, RT 02/RW 05, Kel. Karuwisi",
           "Kota atau kabupaten": "Makassar", "Kode pos": "90111"}


def _token(system: RunningSystem, role: str) -> str:
    email, password = system.logins()[role]
    resp = http("POST", f"{system.base_url}/api/v1/auth/token", json_body={"email": email, "password": password},
                timeout=60)  # a password hash on a busy machine
    assert resp.status == 200, resp.text
    return resp.json()["access_token"]


def _open(people: People, who: str) -> Any:
    page = people.open(who)
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return page


def _login(page: Any, system: RunningSystem, role: str) -> None:
    email, password = system.logins()[role]
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def test_the_buyer_picks_a_courier_and_follows_the_parcel_to_delivered(
        chromium: Any, system: RunningSystem, people: People) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    base, artisan_token, buyer_token = system.base_url, _token(system, "artisan"), _token(system, "buyer")
    listings = http("GET", f"{base}/api/v1/seller/listings", token=artisan_token).json()["items"]
    listing = next(item for item in listings
                   if item["status"] == "approved" and item["stock"] > 0 and not item.get("variants"))
    try:
        # 1. The buyer: the product's couriers to Makassar, the cart, and SiCepat BEST at checkout.
        shopper = _open(people, "buyer")
        _login(shopper, system, "buyer")
        shopper.goto(f"/listings/{listing['id']}")
        shopper.get_by_label("Kota tujuan").fill("Makassar")
        shopper.locator("#ship-province").select_option(label="Sulawesi Selatan")
        shopper.get_by_role("button", name="Hitung", exact=True).click()
        couriers = shopper.locator("#courier-options")
        expect(couriers).to_contain_text("Termurah")
        expect(couriers).to_contain_text("Tercepat")
        people.shoot("buyer", "1a-listing-couriers")
        shopper.get_by_label("Jumlah").fill("1")
        shopper.get_by_role("button", name="Tambah ke keranjang").click()
        shopper.goto("/checkout")
        for label, value in ADDRESS.items():
            shopper.get_by_label(label).fill(value)
        shopper.get_by_label("Provinsi").select_option(label="Sulawesi Selatan")
        shopper.get_by_role("button", name="Hitung ongkos kirim").click()
        shop_part = shopper.locator(".summary-shop").filter(has=shopper.locator("fieldset.shipping-options"))
        expect(shop_part).to_have_count(1)
        cheapest_total = shopper.locator("#checkout-total").inner_text()
        shop_part.get_by_label(re.compile(r"SiCepat BEST")).check()
        shopper.get_by_role("button", name="Hitung ongkos kirim").click()
        expect(shopper.locator(".summary-shop fieldset input:checked")).to_have_value(re.compile(r"sicepat:best"))
        expect(shopper.locator("#checkout-total")).not_to_have_text(cheapest_total)
        check_phone_page(shopper)
        people.shoot("buyer", "1b-checkout-courier")
        shopper.get_by_role("button", name="Buat pesanan").click()
        expect(shopper).to_have_url(re.compile(r"/orders/\d+/pay$"))
        order_id = int(shopper.url.rsplit("/", 2)[-2])
        order = http("GET", f"{base}/api/v1/orders/{order_id}", token=buyer_token).json()
        [part] = order["seller_orders"]
        assert (part["courier"], part["shipping_service"]) == ("sicepat", "best")

        # 2. Paid through the sandbox gateway (the payments worker makes the attempt first).
        pay = f"{base}/api/v1/orders/{order_id}/sandbox-pay"
        wait_for(lambda: http("POST", pay, token=buyer_token, json_body={"card_number": "4242424242424242"}).status
                 == 202, 30, "the payment intent, then the sandbox payment")
        wait_for(lambda: http("GET", f"{base}/api/v1/orders/{order_id}", token=buyer_token).json()["status"]
                 == "paid", 30, "the order to be paid")

        # 3. The artisan books the courier and prints the label.
        artisan = _open(people, "artisan")
        _login(artisan, system, "artisan")
        artisan.goto("/seller/orders")
        card = artisan.locator(f"#seller-order-{part['id']}")
        expect(card).to_contain_text("Kurir pilihan pembeli")
        card.get_by_role("button", name="Pesan penjemputan kurir").click()
        expect(artisan.locator(".flash-info")).to_contain_text("Kurir dipesan")
        card = artisan.locator(f"#seller-order-{part['id']}")
        waybill = re.search(r"SBXSICEPAT\d{12}", card.inner_text()).group(0)
        expect(card).to_contain_text("Penjemputan dipesan")
        check_phone_page(artisan)
        card.get_by_role("link", name="Cetak label").click()
        expect(artisan.locator("#label-waybill")).to_have_text(waybill)
        expect(artisan.locator("main")).to_contain_text("Rina Wulandari")
        expect(artisan.locator("main")).not_to_contain_text("Rp")
        people.shoot("artisan", "3-label")

        # 4. An admin moves the parcel; the buyer follows it to delivered.
        admin_token = _token(system, "admin")
        try:
            shopper.goto(f"/orders/{order_id}")
        except Exception as err:  # noqa: BLE001 - the payment page reloading itself once paid aborted this one
            if "ERR_ABORTED" not in str(err):
                raise
            shopper.goto(f"/orders/{order_id}")
        for step, shown in (("picked_up", "Diambil kurir"), ("in_transit", "Dalam perjalanan"),
                            ("delivered", "Diterima")):
            resp = http("POST", f"{base}/api/v1/sandbox/shipments/{waybill}/advance", token=admin_token,
                        json_body={})
            assert resp.status == 200 and resp.json()["status"] == step, resp.text
            shopper.reload()
            expect(shopper.locator("ol.tracking")).to_contain_text(shown)
        check_phone_page(shopper)
        people.shoot("buyer", "4-delivered")
        assert http("GET", f"{base}/api/v1/orders/{order_id}", token=buyer_token).json()["status"] == "completed"
    except BaseException:
        people.shoot_all_on_failure()
        raise
    assert not people.blocked, f"the pages asked for something other than the system: {people.blocked}"
    assert not people.problems, people.problems
