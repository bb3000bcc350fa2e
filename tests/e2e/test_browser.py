"""The marketplace in a real browser, as its people use it, on the system started by ``marketplace run``.

One scenario on a phone-sized screen (most of our artisans and buyers are on mobile), in the default
Bahasa Indonesia interface, with three people in three separate browser contexts (own cookies each):

1. a new artisan follows "Sell your work" (selling preselected), registers, opens a shop, logs out and
   in again, adds two products (the first with its photo in the same form and its price typed as
   ``123.000``, the second made to order without a photo, after confirming), and sees both "waiting for
   review" on the seller dashboard;
2. the admin opens the moderation queue (the second's card says "pre-order, 14 days" and "no photo");
   the artisan edits the first meanwhile, so the admin's approval is refused and the queue shows the
   new text; the admin approves that; rejecting the second without a reason shows the error at its
   card; then it is rejected with a reason;
3. an anonymous visitor finds the first through the header search box and sees its title, price in
   rupiah, photo and the shop's kelurahan, then switches the interface to English;
4. the artisan sees the first approved, the second rejected, and the moderator's reason;
5. a shopper on a 390-px phone puts the artisan's bag and another shop's puzzle in the cart as a
   visitor, logs in as the demo buyer from the cart, finds the cart kept, enters a Makassar address,
   puts the demo's batik shirt in size L in the cart (picking a size shows its price and "1 left", the
   sold-out size cannot be picked), goes back to the cart to apply the programme voucher PEKANKREATIF
   (10 %, at most Rp 50.000) and sees the discount, sees shipping per shop and the total less the
   discount, places the order, pays it by QRIS on the sandbox payment page
   (a real QR code, then "simulate scan"; the page waits until the payments worker's signed webhook
   has reached the web app and shows it paid), and finds it paid in "My orders" with its timeline in WIB,
   the shirt's size and the voucher discount; the new pages (variant pickers, cart voucher, checkout and
   order with a discount) fit the 390-px screen, have unique ids and labels that name a field, and show
   no English;
6. the artisan sees the paid order with the buyer's address and ships it with a tracking number; the
   buyer sees the number on the order and confirms the parcel arrived;
7. on a 390-px phone the results of /search start on the first screen (filters collapsed), while on a
   desktop the filters are open; "ceramics" in English finds the demo's keramik; a page that does not
   exist answers in Indonesian, once.

Chromium is Debian's (``/usr/bin/chromium``, which ``scripts/test.sh`` installs when it can, or
``CHROMIUM_PATH``; see ``conftest.chromium``): without it the test is skipped, loudly, and fails instead
under ``CI=true`` or ``REQUIRE_BROWSER_TESTS=1``. The browser reaches only the system's loopback URL.
Screenshots of every step (and of every page on failure) are written to the test's ``tmp_path``.
Every page the scenario visits, for each person, passes the page audit (``tests.e2e.audit.audit``: no
sideways scroll at 390 px, no serious or critical axe violation, valid HTML per the Nu checker, and no raw
status or English on an Indonesian page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.chromium skips the test (or fails it under CI=true)
    expect = None

from marketplace.local.seed import ARTISANS
from marketplace.local.seed_offers import PROGRAMME_CODE, VARIANT_ARTISAN, VARIANT_TITLE
from tests.e2e.audit import audit, audit_stats, watch
from tests.e2e.conftest import RunningSystem, loopback_only

TIMEOUT_MS = 15_000
PHONE = {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True, "locale": "id-ID"}

ARTISAN = {"name": "Dewi Lestari", "email": "dewi.anyaman@contoh.id", "password": "eceng-gondok-2024"}
SHOP = {"name": "Anyaman Dewi", "city": "Bekasi", "kelurahan": "Jatiasih"}
APPROVED = {
    "title": "Tas Anyaman Eceng Gondok Zamrud", "description": "Tas tangan dari eceng gondok, dianyam rapat.",
    "category": "Anyaman", "price": "123.000", "stock": "5", "weight": "350",  # as Indonesians write it
}
REJECTED = {
    "title": "Gantungan Kunci Wayang Uji Coba", "description": "Gantungan kunci kayu bergambar wayang.",
    "category": "Kriya", "price": "Rp 15.000", "stock": "0", "weight": "40", "made_to_order_days": "14",
}
EDITED_DESCRIPTION = "Tas tangan dari eceng gondok, dianyam rapat, dengan tali kulit sintetis."
REASON = "Foto produk belum ada; tambahkan foto yang jelas lalu kirim ulang."
OTHER_SHOP_PRODUCT = "Puzzle Kayu Peta Indonesia"  # a demo product of "Mainan Kayu Rudi" (marketplace.local.seed)
VARIANT_SHOP = next(a.shop for a in ARTISANS if a.key == VARIANT_ARTISAN)  # the demo shirt in sizes
#: English a page in Indonesian must not show (the strings of the pickers, the voucher and the totals).
ENGLISH = ("Sold out", " left", "in stock", "from Rp", "Add to cart", "Voucher code", "Apply", "Remove voucher",
           "Voucher discount", "Shipping", "Quantity", "Your cart")
ADDRESS = {"Nama penerima": "Rina Wulandari", "Nomor telepon": "0812 3456 7890",
           "Alamat (jalan, nomor, RT/RW, kelurahan)": "Jl. Melati No. 3, RT 02/RW 05, Kel. Karuwisi",
           "Kota atau kabupaten": "Makassar", "Kode pos": "90111"}


class People:
    """The scenario's people, each in a browser context of their own, every request confined to the system."""

    def __init__(self, browser: Any, system: RunningSystem, shots: Path):
        self.browser, self.system, self.shots = browser, system, shots
        self.pages: dict[str, Any] = {}
        self.blocked: list[str] = []  # requests for anything but the system (aborted)
        self.problems: list[str] = []  # script errors and failed requests, on any page
        self.refusals: list[tuple[str, int, str]] = []  # (who, status, URL pattern) the scenario provokes

    def open(self, who: str, **overrides: Any) -> Any:
        """A new phone-sized context for ``who`` (``overrides`` of :data:`PHONE`, e.g. a viewport) and its page."""
        context = self.browser.new_context(base_url=self.system.base_url, **{**PHONE, **overrides})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        loopback_only(context, self.system.base_url, self.blocked)
        page = context.new_page()
        watch(page)  # the page audit checks each document as the server sent it
        page.on("pageerror", lambda err: self.problems.append(f"{who}: script error: {err}"))
        page.on("response", lambda resp: self._check(who, resp))
        self.pages[who] = page
        return page

    def expect_refusal(self, who: str, status: int, url_pattern: str) -> None:
        """The next response of ``status`` for ``who`` matching ``url_pattern`` is the point of a step,
        not a problem; the scenario fails if it never comes."""
        self.refusals.append((who, status, url_pattern))

    def _check(self, who: str, resp: Any) -> None:
        for refusal in self.refusals:
            if refusal[:2] == (who, resp.status) and re.search(refusal[2], resp.url):
                self.refusals.remove(refusal)
                return
        if resp.status >= 400:
            self.problems.append(f"{who}: HTTP {resp.status} for {resp.request.method} {resp.url}")

    def shoot(self, who: str, name: str) -> None:
        self.pages[who].screenshot(path=self.shots / f"{name}.png", full_page=True, timeout=TIMEOUT_MS)

    def shoot_all_on_failure(self) -> None:
        for who, page in self.pages.items():
            try:
                page.screenshot(path=self.shots / f"failure-{who}.png", full_page=True, timeout=5_000)
            except Exception as err:  # noqa: BLE001 - the original failure matters more than a screenshot
                print(f"no failure screenshot of {who}: {err}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def people(chromium: Any, system: RunningSystem, tmp_path: Path) -> Iterator[People]:
    crowd = People(chromium, system, tmp_path)
    try:
        yield crowd
    finally:
        crowd.close()


def product_photo(path: Path) -> Path:
    """A small JPEG that looks like a product photo (a woven bag on a plain background)."""
    image = Image.new("RGB", (640, 480), (236, 226, 208))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((170, 150, 470, 420), radius=30, fill=(134, 96, 52))
    for y in range(160, 420, 18):
        draw.line((175, y, 465, y), fill=(104, 72, 38), width=6)
    draw.arc((240, 60, 400, 240), start=180, end=360, fill=(90, 60, 30), width=14)
    image.save(path, "JPEG", quality=85)
    return path


def loaded_image_width(page: Any, img: Any) -> int:
    """Scroll to ``img`` as a person would (lazy images load only near the screen), wait until it has
    loaded or failed (up to the timeout), and return its natural width: 0 means a broken image."""
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=img.element_handle(), timeout=TIMEOUT_MS)
    return int(img.evaluate("img => img.naturalWidth"))


def add_listing(page: Any, product: dict[str, str], photo: Path | None = None) -> None:
    """Fill the add-a-product form by its labels (with ``photo`` in the same form, or confirming that
    it goes without one) and send it for review; lands on the product's edit page."""
    expect(page.get_by_role("heading", name="Tambah produk")).to_be_visible()
    page.get_by_label("Nama produk").fill(product["title"])
    page.get_by_label("Deskripsi").fill(product["description"])
    page.get_by_label("Kategori").select_option(label=product["category"])
    page.get_by_label("Harga (Rp)").fill(product["price"])
    page.get_by_label("Stok").fill(product["stock"])
    page.get_by_label("Berat (gram)").fill(product["weight"])
    if product.get("made_to_order_days"):
        page.get_by_label("Cara pemenuhan").select_option(label="Dibuat sesuai pesanan (pre-order)")
        page.get_by_label("Lama proses (hari)").fill(product["made_to_order_days"])
    else:
        page.get_by_label("Cara pemenuhan").select_option(label="Siap kirim")
    dialogs: list[str] = []
    if photo is not None:
        page.get_by_label("Foto (JPEG, PNG atau WebP; boleh beberapa sekaligus)").set_input_files(photo)
        preview = page.locator("#photo-previews img")
        expect(preview).to_have_count(1)  # listing-form.js shows what was chosen
        expect(preview).to_have_attribute("src", re.compile(r"^data:image/"))
    else:
        def accept(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
    page.get_by_role("button", name="Kirim untuk ditinjau").click()
    if photo is None:
        expect(page.get_by_role("status")).to_contain_text("Produk Anda sudah dikirim untuk ditinjau.")
        assert dialogs and "tanpa foto" in dialogs[0], f"no confirmation before sending without a photo: {dialogs}"
    expect(page.get_by_role("status")).to_contain_text("Produk Anda sudah dikirim untuk ditinjau.")
    expect(page.get_by_role("heading", level=1)).to_have_text(product["title"])
    expect(page).to_have_url(re.compile(r"/seller/listings/\d+/edit$"))


def seller_row(page: Any, title: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))


def moderation_item(page: Any, title: str) -> Any:
    return page.locator("article").filter(has=page.get_by_role("heading", name=title, exact=True))


def find_and_open(page: Any, query: str, title: str) -> None:
    """Search with the header box and open the one result called ``title``."""
    box = page.get_by_role("searchbox", name="Cari")
    box.fill(query)
    box.press("Enter")
    page.locator("a.product").filter(has_text=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def add_to_cart(page: Any, quantity: int) -> None:
    page.get_by_label("Jumlah").fill(str(quantity))
    page.get_by_role("button", name="Tambah ke keranjang").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("status").first).to_contain_text("Sudah masuk keranjang.")


def check_phone_page(page: Any) -> None:
    """What every new page must do on the 390-px phone in Indonesian: no sideways scrolling, unique ids,
    every <label for> names a field, none of :data:`ENGLISH` in what it shows, and the page audit."""
    facts = page.evaluate("""() => {
        const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
        return {
            width: document.documentElement.scrollWidth, screen: window.innerWidth,
            lang: document.documentElement.lang,
            repeated: ids.filter((id, i) => ids.indexOf(id) !== i),
            orphans: [...document.querySelectorAll('label[for]')].map(l => l.htmlFor)
                .filter(id => !document.getElementById(id)),
            text: document.body.innerText,
        };
    }""")
    where = page.url
    assert facts["width"] <= facts["screen"], f"{where} is wider than the phone: {facts['width']} > {facts['screen']}"
    assert facts["lang"] == "id" and not facts["repeated"] and not facts["orphans"], (where, facts["repeated"],
                                                                                      facts["orphans"])
    english = [phrase for phrase in ENGLISH if phrase in facts["text"]]
    assert not english, f"English on the Indonesian page {where}: {english}"
    audit(page)  # and the whole quality bar: axe, the Nu checker, raw statuses (tests/e2e/audit.py)


def test_artisan_admin_and_visitor_in_a_phone_browser(chromium: Any, system: RunningSystem, people: People) -> None:
    # `chromium` comes first: without a browser the test is skipped before the system is started.
    expect.set_options(timeout=TIMEOUT_MS)
    admin_email, admin_password = system.logins()["admin"]
    try:
        # 1. A new artisan registers, opens a shop, logs in again and adds two products.
        artisan = people.open("artisan")
        artisan.goto("/")
        audit(artisan)
        artisan.get_by_role("link", name="Jual karya Anda").click()
        expect(artisan.get_by_label("Saya ingin")).to_have_value("artisan")  # selling preselected
        audit(artisan)
        artisan.get_by_label("Nama", exact=True).fill(ARTISAN["name"])
        artisan.get_by_label("E-mail").fill(ARTISAN["email"])
        artisan.get_by_label("Kata sandi").fill(ARTISAN["password"])
        artisan.get_by_role("button", name="Buat akun").click()
        expect(artisan.get_by_role("status")).to_contain_text(f"Selamat datang, {ARTISAN['name']}!")

        expect(artisan.get_by_role("heading", name="Buka toko Anda")).to_be_visible()
        audit(artisan)
        artisan.get_by_label("Nama toko").fill(SHOP["name"])
        artisan.get_by_label("Tentang toko Anda").fill("Tas dan keranjang anyaman eceng gondok dari Jatiasih.")
        artisan.get_by_label("Kota").select_option(label=SHOP["city"])
        artisan.get_by_label("Kelurahan").select_option(label=SHOP["kelurahan"])
        artisan.get_by_role("button", name="Buka toko").click()
        expect(artisan).to_have_url(re.compile(r"/seller$"))
        expect(artisan.get_by_role("status")).to_contain_text(f"Toko {SHOP['name']} sudah dibuka.")
        expect(artisan.get_by_role("heading", level=1)).to_have_text(SHOP["name"])
        expect(artisan.locator(".shop-info")).to_contain_text(f"Kelurahan {SHOP['kelurahan']}, {SHOP['city']}")
        audit(artisan)

        artisan.get_by_role("button", name="Keluar").click()
        expect(artisan.get_by_role("status")).to_contain_text("Anda telah keluar.")
        artisan.get_by_role("link", name="Masuk", exact=True).click()
        expect(artisan).to_have_url(re.compile(r"/login"))
        audit(artisan)
        artisan.get_by_label("E-mail").fill(ARTISAN["email"])
        artisan.get_by_label("Kata sandi").fill(ARTISAN["password"])
        artisan.get_by_role("button", name="Masuk").click()
        artisan.get_by_role("link", name="Toko saya").click()
        artisan.get_by_role("link", name="Tambah produk baru").click()
        expect(artisan).to_have_url(re.compile(r"/seller/listings/new$"))
        audit(artisan)
        add_listing(artisan, APPROVED, photo=product_photo(people.shots / "tas.jpg"))
        thumb = artisan.get_by_role("img", name="Foto produk")
        expect(thumb).to_have_count(1)
        expect(thumb).to_have_attribute("src", re.compile(r"/media/"))
        assert loaded_image_width(artisan, thumb) > 0, "the uploaded photo's thumbnail does not load"
        audit(artisan)

        artisan.get_by_role("link", name="Toko saya").click()
        artisan.get_by_role("link", name="Tambah produk baru").click()
        add_listing(artisan, REJECTED)
        artisan.get_by_role("link", name="Toko saya").click()
        expect(artisan).to_have_url(re.compile(r"/seller$"))
        for product in (APPROVED, REJECTED):
            expect(seller_row(artisan, product["title"])).to_contain_text("Menunggu tinjauan")
        expect(seller_row(artisan, APPROVED["title"])).to_contain_text("Rp 123.000")
        expect(seller_row(artisan, APPROVED["title"]).locator("td.stock")).to_have_text("5")
        expect(seller_row(artisan, APPROVED["title"]).get_by_role("link", name="Ubah")).to_be_visible()
        people.shoot("artisan", "1-artisan-waiting-for-review")
        audit(artisan)

        # 2. The admin approves the first product and rejects the second with a reason.
        admin = people.open("admin")
        admin.goto("/login")
        admin.get_by_label("E-mail").fill(admin_email)
        admin.get_by_label("Kata sandi").fill(admin_password)
        admin.get_by_role("button", name="Masuk").click()
        admin.get_by_role("link", name="Moderasi").click()
        expect(admin).to_have_url(re.compile(r"/admin/moderation$"))
        item = moderation_item(admin, APPROVED["title"])
        expect(item).to_contain_text(f"{SHOP['name']} · {SHOP['kelurahan']}, {SHOP['city']}")
        expect(item).to_contain_text("Rp 123.000")
        assert loaded_image_width(admin, item.get_by_role("img")) > 0, "the photo does not load in the queue"
        expect(item.locator(".fulfilment")).to_contain_text("Siap kirim · Stok 5")
        preorder = moderation_item(admin, REJECTED["title"])
        expect(preorder.locator(".badge-preorder")).to_have_text("Dibuat sesuai pesanan (pre-order) · 14 hari")
        expect(preorder.locator(".badge-no-photo")).to_have_text("Tanpa foto")
        expect(preorder).not_to_contain_text("Stok: 0")
        people.shoot("admin", "2a-admin-queue")
        audit(admin)
        # While the admin looks, the artisan rewrites the description (issue #9): approving what the
        # admin saw is refused, the queue shows the new text, and the admin approves that instead.
        seller_row(artisan, APPROVED["title"]).get_by_role("link", name=APPROVED["title"], exact=True).click()
        artisan.get_by_label("Deskripsi", exact=True).fill(EDITED_DESCRIPTION)
        artisan.get_by_role("button", name="Simpan perubahan").click()
        expect(artisan.get_by_role("status")).to_contain_text("Perubahan Anda sudah disimpan.")
        artisan.get_by_role("link", name="Toko saya").click()
        expect(artisan).to_have_url(re.compile(r"/seller$"))
        people.expect_refusal("admin", 409, r"/admin/moderation/\d+/approve$")
        item.get_by_role("button", name="Setujui").click()
        item = moderation_item(admin, APPROVED["title"])
        expect(item).to_contain_text("Produk ini berubah sejak Anda membukanya.")
        expect(item).to_contain_text(EDITED_DESCRIPTION)
        people.shoot("admin", "2a-admin-listing-changed")
        audit(admin)
        item.get_by_role("button", name="Setujui").click()
        expect(admin.get_by_role("status")).to_contain_text("Produk disetujui dan kini tampil untuk umum.")
        expect(moderation_item(admin, APPROVED["title"])).to_have_count(0)

        item = moderation_item(admin, REJECTED["title"])
        # Rejecting without a reason: the answer opens at this card, with the error beside the box.
        people.expect_refusal("admin", 422, r"/admin/moderation/\d+/reject$")
        item.get_by_role("button", name="Tolak").click()
        expect(admin).to_have_url(re.compile(r"/reject#listing-\d+$"))
        item = moderation_item(admin, REJECTED["title"])
        expect(item.locator(".field-error")).to_be_visible()
        expect(item.locator(".field-error")).to_be_in_viewport()
        people.shoot("admin", "2b-admin-reject-needs-reason")
        audit(admin)
        expect(item.get_by_text("Alasan (dapat dilihat penjual)")).to_be_visible()
        # By its label, within the item: each item's reason box has its own id (reason-<listing id>).
        item.get_by_label("Alasan (dapat dilihat penjual)").fill(REASON)
        item.get_by_role("button", name="Tolak").click()
        expect(admin.get_by_role("status")).to_contain_text("Produk ditolak; penjual dapat melihat alasan Anda.")
        expect(moderation_item(admin, REJECTED["title"])).to_have_count(0)
        people.shoot("admin", "2b-admin-decided")

        # 3. A visitor finds the approved product with the header search box and opens it.
        visitor = people.open("visitor")
        visitor.goto("/")
        search_box = visitor.get_by_role("searchbox", name="Cari")
        search_box.fill("anyaman zamrud")
        search_box.press("Enter")
        expect(visitor).to_have_url(re.compile(r"/search\?q=anyaman\+zamrud"))
        result = visitor.locator("a.product").filter(has_text=APPROVED["title"])
        expect(result).to_have_count(1)
        expect(result).to_contain_text("Rp 123.000")
        expect(visitor.locator("a.product").filter(has_text=REJECTED["title"])).to_have_count(0)
        audit(visitor)
        result.click()

        expect(visitor.get_by_role("heading", level=1)).to_have_text(APPROVED["title"])
        expect(visitor.locator(".price.big")).to_have_text("Rp 123.000")
        photo = visitor.locator(".gallery img").first
        expect(photo).to_have_attribute("src", re.compile(r"/media/"))
        assert loaded_image_width(visitor, photo) > 0, "the product photo does not load on the listing page"
        expect(visitor.locator(".shop-info")).to_contain_text(f"Kelurahan {SHOP['kelurahan']}, {SHOP['city']}")
        expect(visitor.locator(".shop-info")).to_contain_text(SHOP["name"])
        expect(visitor.get_by_text("Siap kirim")).to_be_visible()
        people.shoot("visitor", "3a-visitor-listing-id")
        audit(visitor)

        visitor.get_by_role("link", name="English").click()
        expect(visitor.locator("html")).to_have_attribute("lang", "en")
        expect(visitor.get_by_role("heading", level=1)).to_have_text(APPROVED["title"])
        expect(visitor.get_by_role("heading", name="Description")).to_be_visible()
        expect(visitor.get_by_text("Ready to ship")).to_be_visible()
        expect(visitor.get_by_role("link", name="Log in", exact=True)).to_be_visible()
        expect(visitor.get_by_role("link", name="Bahasa Indonesia")).to_be_visible()
        people.shoot("visitor", "3b-visitor-listing-en")
        audit(visitor, lang="en")

        # 4. The artisan sees the decisions, and the moderator's reason for the rejection.
        artisan.reload()
        expect(seller_row(artisan, APPROVED["title"])).to_contain_text("Disetujui")
        rejected = seller_row(artisan, REJECTED["title"])
        expect(rejected).to_contain_text("Ditolak")
        expect(rejected).to_contain_text(f"Alasan penolakan: {REASON}")
        expect(artisan.locator(".shop-info")).to_contain_text("1 produk disetujui")
        people.shoot("artisan", "4-artisan-decisions")
        audit(artisan)

        # 5. A shopper fills a cart from two shops as a visitor, logs in at checkout and places the order.
        buyer_email, buyer_password = system.logins()["buyer"]
        shopper = people.open("buyer", viewport={"width": 390, "height": 844})
        shopper.goto("/")
        find_and_open(shopper, "anyaman zamrud", APPROVED["title"])
        add_to_cart(shopper, 2)
        find_and_open(shopper, "puzzle kayu peta", OTHER_SHOP_PRODUCT)
        add_to_cart(shopper, 1)
        expect(shopper.locator(".cart-count")).to_have_text("3")
        expect(shopper.locator(".cart-shop")).to_have_count(2)
        expect(shopper.locator(".cart-shop").filter(has_text=SHOP["name"])).to_contain_text("Rp 246.000")
        expect(shopper.locator(".cart-shop").filter(has_text="Mainan Kayu Rudi")).to_contain_text(OTHER_SHOP_PRODUCT)
        people.shoot("buyer", "5a-visitor-cart")
        audit(shopper)

        # The shirt in sizes: M is sold out, picking L shows its own price and that one is left.
        find_and_open(shopper, "kemeja parang", VARIANT_TITLE)
        price = shopper.locator("[data-variant-price]")
        expect(price).to_have_text("mulai Rp 325.000")
        sizes = shopper.get_by_role("group", name="ukuran")
        expect(sizes.get_by_role("radio")).to_have_count(4)
        expect(sizes.get_by_label("M", exact=True)).to_be_disabled()
        expect(shopper.locator("[data-variant-list]")).to_contain_text("M: Rp 325.000 — Habis")
        sizes.get_by_label("L", exact=True).check()
        expect(price).to_have_text("Rp 345.000")
        expect(shopper.locator("[data-variant-stock]")).to_have_text("Tinggal 1.")
        expect(shopper.get_by_label("Jumlah")).to_have_attribute("max", "1")
        sizes.get_by_label("XL", exact=True).check()
        expect(price).to_have_text("Rp 365.000")
        sizes.get_by_label("L", exact=True).check()
        expect(price).to_have_text("Rp 345.000")
        check_phone_page(shopper)
        people.shoot("buyer", "5a-variant-picked")
        audit(shopper)
        add_to_cart(shopper, 1)
        shirt_line = shopper.locator(".cart-shop").filter(has_text=VARIANT_SHOP)
        expect(shirt_line.locator(".variant-label")).to_have_text("ukuran: L")
        expect(shirt_line).to_contain_text("Rp 345.000")
        expect(shopper.locator(".cart-count")).to_have_text("4")

        shopper.get_by_role("link", name="Masuk untuk checkout").click()
        shopper.get_by_label("E-mail").fill(buyer_email)
        shopper.get_by_label("Kata sandi").fill(buyer_password)
        shopper.get_by_role("button", name="Masuk").click()
        expect(shopper).to_have_url(re.compile(r"/checkout$"))
        expect(shopper.locator(".cart-count")).to_have_text("4")  # the visitor's cart, now the buyer's
        summary = shopper.locator(".order-summary")
        expect(summary).to_contain_text(APPROVED["title"])
        expect(summary).to_contain_text(OTHER_SHOP_PRODUCT)
        expect(summary).to_contain_text(f"{VARIANT_TITLE} (ukuran: L)")
        audit(shopper)

        # Back to the cart for the programme's voucher, typed in lower case: 10 % of Rp 716.000 is
        # more than its cap, so Rp 50.000 comes off.
        shopper.locator("a.cart-link").click()
        expect(shopper).to_have_url(re.compile(r"/cart$"))
        shopper.get_by_label("Kode voucher").fill(PROGRAMME_CODE.lower())
        shopper.get_by_role("button", name="Pakai", exact=True).click()
        expect(shopper.get_by_role("status").first).to_contain_text("Voucher dipakai.")
        expect(shopper.locator(".cart-voucher")).to_contain_text(f"Voucher {PROGRAMME_CODE}: −Rp 50.000")
        expect(shopper.locator(".cart-total .price.big")).to_have_text("Rp 666.000")
        check_phone_page(shopper)
        people.shoot("buyer", "5a-cart-voucher")
        audit(shopper)
        shopper.get_by_role("link", name="Checkout", exact=True).click()
        expect(shopper).to_have_url(re.compile(r"/checkout$"))
        for label, value in ADDRESS.items():
            shopper.get_by_label(label).fill(value)
        shopper.get_by_label("Provinsi").select_option(label="Sulawesi Selatan")
        shopper.get_by_role("button", name="Hitung ongkos kirim").click()
        expect(shopper.locator(".summary-shop")).to_have_count(3)
        for shop_part in shopper.locator(".summary-shop").all():
            expect(shop_part).to_contain_text("Ongkos kirim (Luar Jawa)")
        expect(shopper.locator("#checkout-total")).to_have_text(re.compile(r"^Rp \d{1,3}(\.\d{3})+$"))
        total = shopper.locator("#checkout-total").inner_text()
        expect(summary).to_contain_text(f"Voucher {PROGRAMME_CODE}")
        expect(summary).to_contain_text("−Rp 50.000")
        check_phone_page(shopper)
        people.shoot("buyer", "5b-checkout-shipping")
        audit(shopper)

        shopper.get_by_role("button", name="Buat pesanan").click()
        expect(shopper).to_have_url(re.compile(r"/orders/\d+/pay$"))
        order_id = int(shopper.url.rsplit("/", 2)[-2])
        expect(shopper.locator(".cart-count")).to_have_text("0")
        # The payments worker makes the intent from order.placed; the page refreshes itself until then.
        expect(shopper.locator('[data-payment-state="sandbox"]')).to_be_visible(timeout=30_000)
        expect(shopper.locator("[data-total]")).to_have_text(total)
        qris = shopper.locator("img[data-qris]")
        expect(qris).to_be_visible()
        assert loaded_image_width(shopper, qris) > 0, "the QRIS code did not render"
        people.shoot("buyer", "5c-payment-page")
        shopper.get_by_role("button", name="Simulasikan pemindaian (uji)").click()
        # The sandbox answers "processing" and the payments worker POSTs the signed webhook to the web
        # app's /webhooks/stripe, as Stripe would; the page refreshes itself until the order is paid.
        expect(shopper).to_have_url(re.compile(rf"/orders/{order_id}/pay$"))
        expect(shopper.locator('[data-payment-state="paid"]')).to_contain_text("Pembayaran diterima", timeout=30_000)
        people.shoot("buyer", "5d-paid")
        audit(shopper)

        shopper.locator(".account-menu summary").click()  # the buyer's menu: a <details>, no script
        shopper.get_by_role("link", name="Pesanan saya").click()
        expect(shopper).to_have_url(re.compile(r"/orders$"))
        audit(shopper)
        shopper.get_by_role("link", name=f"Pesanan #{order_id}").click()
        expect(shopper.get_by_role("heading", level=1)).to_have_text(f"Pesanan #{order_id}")
        expect(shopper.get_by_text("Dibayar").first).to_be_visible()
        expect(shopper.locator(".order-totals")).to_contain_text(total)
        expect(shopper.locator(".order-totals")).to_contain_text("Diskon voucher")
        expect(shopper.locator(".order-totals")).to_contain_text("−Rp 50.000")
        expect(shopper.get_by_role("main")).to_contain_text(f"{VARIANT_TITLE} (ukuran: L)")
        check_phone_page(shopper)
        expect(shopper.locator(".timeline")).to_contain_text("Pesanan dibuat")
        expect(shopper.locator(".timeline")).to_contain_text("WIB")
        people.shoot("buyer", "5e-order-paid")
        audit(shopper)

        # 6. The artisan sees the paid order, with the buyer's address, and ships it; the buyer sees the
        #    tracking number and confirms the parcel arrived.
        artisan.goto("/seller/orders")
        part = artisan.locator(".seller-order").filter(has_text=f"#{order_id}")
        expect(part).to_contain_text("Perlu dikirim")
        expect(part).to_contain_text("Makassar")
        expect(part).to_contain_text(APPROVED["title"])
        audit(artisan)
        part.get_by_label("Kurir").fill("JNE")
        part.get_by_label("Nomor resi").fill("JNE-0042-MKS")
        part.get_by_role("button", name="Tandai sudah dikirim").click()
        expect(artisan.locator(".flash-info")).to_contain_text("Ditandai sudah dikirim")
        expect(artisan.locator(".seller-order").filter(has_text=f"#{order_id}")).to_contain_text("JNE-0042-MKS")
        people.shoot("artisan", "6a-artisan-shipped")
        audit(artisan)
        shopper.reload()
        parcel = shopper.locator(".seller-order").filter(has_text=SHOP["name"])
        expect(parcel).to_contain_text("JNE-0042-MKS")
        audit(shopper)
        parcel.get_by_role("button", name="Paket ini sudah saya terima").click()
        expect(shopper.locator(".timeline")).to_contain_text("Paket diterima")
        people.shoot("buyer", "6b-buyer-received")
        audit(shopper)

        # 7. First screens: search on a phone and a desktop, English search words, a page not found.
        phone = people.open("phone", viewport={"width": 390, "height": 844})
        phone.goto("/search")
        filters = phone.locator("details.filters-box")
        expect(filters).not_to_have_attribute("open", "")
        first = phone.locator("a.product").first
        expect(first).to_be_visible()
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] / 2 < 844, f"no result on the phone's first screen: {box}"
        people.shoot("phone", "7a-phone-search-first-screen")
        audit(phone)
        phone.locator("details.filters-box summary").click()
        expect(phone.get_by_label("Kategori")).to_be_visible()  # one tap away

        desktop = people.open("desktop", viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)
        desktop.goto("/search")
        expect(desktop.locator("details.filters-box")).to_have_attribute("open", "")  # site.js opens it
        audit(desktop)
        desktop.goto("/")
        cities = desktop.locator(".browse > .card")
        expect(cities).to_have_count(2)
        tops = [c.bounding_box()["y"] for c in cities.all()]
        assert abs(tops[0] - tops[1]) < 1, f"the two city cards are not aligned: {tops}"
        audit(desktop)

        desktop.goto("/search?q=ceramics&lang=en")
        expect(desktop.get_by_label("What are you looking for?")).to_have_value("ceramics")
        expect(desktop.locator("a.product").filter(has_text="Keramik").first).to_be_visible()
        people.shoot("desktop", "7b-desktop-search-ceramics-en")
        audit(desktop, lang="en")

        people.expect_refusal("phone", 404, r"/tidak-ada-halaman$")
        phone.goto("/tidak-ada-halaman")
        expect(phone.get_by_role("heading", level=1)).to_contain_text("Halaman tidak ditemukan")
        expect(phone.get_by_text("Halaman yang Anda cari tidak ada atau sudah dipindahkan.")).to_have_count(1)
        expect(phone.locator(".flash")).to_have_count(0)
        people.shoot("phone", "7c-phone-404")
        audit(phone)
    except BaseException:
        people.shoot_all_on_failure()
        web_log = [line for line in system.output().splitlines() if line.startswith(("[web]", "[run]"))]
        print(f"screenshots in {people.shots}\n--- web output (tail) ---\n" + "\n".join(web_log[-40:]))
        raise

    print(f"page audit: {audit_stats['calls']} pages in {audit_stats['seconds']:.1f} s")
    assert not people.blocked, f"the pages asked for something other than the system: {people.blocked}"
    assert not people.problems, "errors while browsing:\n" + "\n".join(people.problems)
    assert not people.refusals, f"refusals the scenario expected but never saw: {people.refusals}"
