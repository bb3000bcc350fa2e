"""``marketplace seed-demo``: a realistic demo catalogue for the programme's two cities.

Twelve artisans in eight kelurahan of Tangerang Selatan and Bekasi, each with a shop and five products
with generated photos (two or three each, drawn to show the product); most products approved, a few
pending or rejected so the moderation queue has work. Everything goes through the real use cases (shops, listings, the image pipeline and media storage,
moderation), so the demo also produces the events, thumbnails and moderation history a real shop
would. Idempotent: users, shops and listings already present are left alone, so a second run adds
nothing. :func:`seed_demo` is also called by ``marketplace run``. A shirt sold in sizes and the demo's
vouchers (issue #24) come from :mod:`marketplace.local.seed_offers`.
"""

from __future__ import annotations

import secrets
from typing import Any, NamedTuple

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.local import demo_photos
from marketplace.config import Settings

DEMO_DOMAIN = "demo.pasarkreatif.id"
DEMO_PASSWORD = "pasar-kreatif-demo"  # artisans and buyer only; printed, never for the admin
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
BUYER_EMAIL = f"pembeli@{DEMO_DOMAIN}"


class Product(NamedTuple):
    title: str
    category: str
    price_idr: int
    description: str
    days: int = 0


class Artisan(NamedTuple):
    key: str
    name: str
    shop: str
    city: str
    kelurahan: str
    sentra: str | None
    about: str
    products: tuple[Product, ...]


ARTISANS: tuple[Artisan, ...] = (
    Artisan("sari", "Sari Wulandari", "Batik Tulis Bu Sari", "Tangerang Selatan", "Cipayung", "Sentra Batik Ciputat",
            "Batik tulis dengan pewarna alami, dikerjakan ibu-ibu Cipayung sejak 2015.", (
        Product("Kain Batik Tulis Motif Kawung Indigo", "batik", 475_000,
                "Kain batik tulis 2 x 1,15 m, motif kawung dengan pewarna indigo alami. Dicanting tangan, proses 3 minggu.", 14),
        Product("Batik Cap Motif Bambu Ciputat", "batik", 185_000,
                "Batik cap katun primisima motif rumpun bambu khas Ciputat. Cocok untuk kemeja atau dress."),
        Product("Selendang Batik Sutra Motif Mega Mendung", "batik", 650_000,
                "Selendang sutra ATBM 180 x 50 cm, batik tulis gradasi biru. Dikemas dalam kotak kado.", 10),
        Product("Kemeja Batik Pria Lengan Pendek", "fashion", 265_000,
                "Kemeja batik cap katun, kerah regular, tersedia ukuran M sampai XXL."),
        Product("Masker Kain Batik Tiga Lapis (isi 3)", "aksesoris", 45_000,
                "Masker kain batik tiga lapis, tali telinga elastis, bisa dicuci ulang."),
    )),
    Artisan("dimas", "Dimas Pratama", "Keramik Serpong Studio", "Tangerang Selatan", "Lengkong Gudang",
            "Sentra Keramik Lengkong Gudang", "Studio keramik kecil di Serpong: dibentuk di meja putar, dibakar 1200°C.", (
        Product("Vas Keramik Glasir Biru Laut", "keramik", 225_000,
                "Vas stoneware tinggi 25 cm, glasir biru laut berlapis. Tahan air, cocok untuk bunga segar."),
        Product("Set Cangkir Kopi Keramik (2 pcs)", "keramik", 180_000,
                "Dua cangkir 200 ml dengan glasir tanah liat coklat. Aman untuk microwave dan mesin cuci piring."),
        Product("Piring Saji Keramik Motif Daun", "keramik", 150_000,
                "Piring saji diameter 27 cm dengan cetakan daun singkong asli dari kebun studio."),
        Product("Mangkuk Ramen Keramik Handmade", "keramik", 135_000,
                "Mangkuk 800 ml, tiap buah sedikit berbeda karena dibentuk dengan tangan.", 7),
        Product("Pot Tanaman Keramik Mini (set 3)", "dekorasi", 120_000,
                "Tiga pot mini dengan lubang drainase dan tatakan, cocok untuk sukulen."),
    )),
    Artisan("rina", "Rina Kusuma", "Anyaman Pandan Rina", "Tangerang Selatan", "Pondok Kacang Timur",
            "Sentra Anyaman Pondok Aren", "Anyaman pandan dan mendong oleh kelompok perempuan Pondok Kacang Timur.", (
        Product("Tas Anyaman Pandan Tote Besar", "anyaman", 165_000,
                "Tote bag anyaman pandan 40 x 35 cm dengan furing kain dan resleting. Kuat untuk belanja harian."),
        Product("Tikar Mendong Lipat 120 x 180 cm", "anyaman", 210_000,
                "Tikar anyaman mendong alami, ringan dan mudah dilipat untuk piknik."),
        Product("Keranjang Serbaguna Anyaman Pandan", "anyaman", 95_000,
                "Keranjang dengan tutup untuk menyimpan mainan atau pakaian, diameter 30 cm."),
        Product("Clutch Anyaman Pandan Warna Pastel", "aksesoris", 120_000,
                "Dompet tangan anyaman pandan warna pastel, kancing magnet, muat ponsel dan dompet."),
        Product("Tatakan Gelas Anyaman (set 6)", "dekorasi", 55_000,
                "Enam tatakan gelas anyaman pandan bulat, diameter 10 cm."),
    )),
    Artisan("agus", "Agus Setiawan", "Kriya Bambu Pamulang", "Tangerang Selatan", "Pamulang Barat",
            "Sentra Kriya Bambu Pamulang", "Bambu tali dan bambu hitam dari kebun warga, diolah jadi perabot dan lampu.", (
        Product("Lampu Gantung Anyaman Bambu", "kriya", 285_000,
                "Kap lampu gantung bambu diameter 40 cm, sudah termasuk fitting dan kabel 1 m.", 10),
        Product("Rak Dinding Bambu Tiga Susun", "dekorasi", 195_000,
                "Rak dinding bambu hitam 60 cm, dilapisi pernis anti jamur."),
        Product("Speaker Bambu Pasif untuk Ponsel", "kriya", 85_000,
                "Pengeras suara pasif dari ruas bambu, tanpa listrik. Hadiah unik untuk pecinta musik."),
        Product("Set Sedotan Bambu (isi 10) dan Sikat", "lainnya", 35_000,
                "Sepuluh sedotan bambu dengan sikat pembersih dan kantong kain."),
        Product("Kursi Santai Bambu Lipat", "kriya", 650_000,
                "Kursi santai bambu yang bisa dilipat, menahan beban hingga 100 kg.", 21),
    )),
    Artisan("nadia", "Nadia Putri", "Rajut & Aksesoris Nadia", "Tangerang Selatan", "Jombang",
            "Sentra Fesyen Jombang", "Rajutan tangan dan aksesoris manik dari anak muda Jombang.", (
        Product("Tas Rajut Benang Katun Warna Sage", "fashion", 175_000,
                "Tas selempang rajut benang katun, tali bisa diatur, muat tablet 8 inci.", 7),
        Product("Anting Manik Motif Tumpal", "aksesoris", 65_000,
                "Anting manik kaca ringan dengan motif tumpal, pengait anti karat."),
        Product("Bucket Hat Rajut Unisex", "fashion", 110_000,
                "Topi bucket rajut tebal, lingkar kepala 56-58 cm."),
        Product("Gelang Tali Tenun Persahabatan (set 3)", "aksesoris", 40_000,
                "Tiga gelang tali tenun warna-warni, bisa disesuaikan ukuran pergelangan."),
        Product("Cardigan Rajut Oversize", "fashion", 320_000,
                "Cardigan rajut tangan ukuran all size, benang akrilik lembut.", 14),
    )),
    Artisan("fajar", "Fajar Hidayat", "Lukis Kanvas Setu", "Tangerang Selatan", "Setu", "Sentra Seni Rupa Setu",
            "Lukisan cat akrilik tentang kehidupan kampung dan sawah terakhir di Setu.", (
        Product("Lukisan Akrilik Sawah Setu 40 x 60 cm", "lukisan", 850_000,
                "Lukisan asli cat akrilik di kanvas, sudah berbingkai kayu jati belanda."),
        Product("Lukisan Potret Sesuai Pesanan A3", "lukisan", 450_000,
                "Potret dari foto Anda, cat akrilik di kertas A3. Kirim foto setelah memesan.", 14),
        Product("Kartu Pos Lukisan Tangsel (set 8)", "lukisan", 60_000,
                "Delapan kartu pos cetak dari lukisan suasana Tangerang Selatan."),
        Product("Lukisan Mini Situ Gintung", "lukisan", 275_000,
                "Lukisan kecil 20 x 20 cm pemandangan Situ Gintung pagi hari."),
        Product("Totebag Kanvas Lukis Tangan", "fashion", 120_000,
                "Tas kanvas tebal dengan lukisan tangan motif bunga kenanga.", 5),
    )),
    Artisan("ani", "Ani Rahmawati", "Tenun Bu Ani", "Bekasi", "Harapan Jaya", "Sentra Tenun Harapan Jaya",
            "Tenun ATBM dan tenun ikat oleh penenun Harapan Jaya, Bekasi Utara.", (
        Product("Selendang Tenun Ikat Motif Pucuk Rebung", "tenun", 375_000,
                "Selendang tenun ikat ATBM 200 x 55 cm, benang katun, pewarna alami kulit kayu.", 14),
        Product("Kain Tenun Songket Bekasi", "tenun", 950_000,
                "Kain songket benang emas motif bunga tanjung, panjang 2 m.", 30),
        Product("Sarung Tenun Goyor", "tenun", 310_000,
                "Sarung tenun goyor lembut dan dingin dipakai, motif kotak klasik."),
        Product("Syal Tenun Katun Garis", "tenun", 145_000,
                "Syal tenun katun 160 x 30 cm motif garis, ringan untuk cuaca tropis."),
        Product("Dompet Tenun Kombinasi Kulit", "aksesoris", 135_000,
                "Dompet lipat dari tenun ATBM dengan aksen kulit sapi asli."),
    )),
    Artisan("budi", "Budi Santoso", "Batik Bekasi Margahayu", "Bekasi", "Margahayu", "Sentra Batik Bekasi Margahayu",
            "Batik khas Bekasi: motif bambu kuning, gabus pucung dan Kali Bekasi.", (
        Product("Kain Batik Bekasi Motif Bambu Kuning", "batik", 325_000,
                "Batik tulis kombinasi cap motif bambu kuning khas Bekasi, katun 2 m."),
        Product("Batik Cap Motif Gabus Pucung", "batik", 165_000,
                "Batik cap motif gabus pucung, kuliner khas Bekasi, warna merah bata."),
        Product("Blus Batik Wanita Kali Bekasi", "fashion", 245_000,
                "Blus batik motif aliran Kali Bekasi, potongan longgar, kancing depan."),
        Product("Ikat Kepala Batik Betawi", "aksesoris", 55_000,
                "Ikat kepala batik motif pucuk rebung, cocok untuk acara budaya."),
        Product("Taplak Meja Batik 150 x 150 cm", "dekorasi", 195_000,
                "Taplak meja batik cap katun tebal, tahan luntur."),
    )),
    Artisan("siti", "Siti Nurhaliza", "Dapur Kue Siti", "Bekasi", "Jatiwaringin", "Sentra Kuliner Jatiwaringin",
            "Kue kering dan camilan tradisional tanpa pengawet dari dapur rumahan Jatiwaringin.", (
        Product("Dodol Betawi Ketan Hitam 500 g", "kuliner", 75_000,
                "Dodol Betawi diaduk 8 jam di kuali tembaga, tanpa pengawet, tahan 2 minggu.", 3),
        Product("Kue Kembang Goyang Renyah 300 g", "kuliner", 45_000,
                "Kembang goyang gurih manis dalam toples kedap udara."),
        Product("Bir Pletok Siap Seduh (isi 5)", "kuliner", 60_000,
                "Minuman rempah khas Betawi: jahe, kayu secang, serai dan cengkeh, tanpa alkohol."),
        Product("Kue Akar Kelapa Gurih 250 g", "kuliner", 40_000,
                "Kue akar kelapa renyah, cocok untuk suguhan Lebaran."),
        Product("Hampers Kue Kering Nusantara", "kuliner", 285_000,
                "Empat toples kue kering (nastar, kastengel, putri salju, kue akar) dalam besek bambu.", 5),
    )),
    Artisan("rudi", "Rudi Hartono", "Mainan Kayu Rudi", "Bekasi", "Kranji", "Sentra Mainan Kayu Kranji",
            "Mainan edukasi dari kayu pinus sisa industri, dicat dengan cat aman anak.", (
        Product("Puzzle Kayu Peta Indonesia", "mainan", 125_000,
                "Puzzle 34 keping provinsi Indonesia dari kayu pinus, cat water based aman untuk anak."),
        Product("Mobil-mobilan Kayu Bajaj Oranye", "mainan", 85_000,
                "Bajaj kayu dengan roda berputar, ukuran 15 cm, ujung dibulatkan."),
        Product("Balok Susun Warna (isi 50)", "mainan", 150_000,
                "Lima puluh balok kayu warna-warni dalam kotak kayu geser."),
        Product("Congklak Kayu Lipat", "mainan", 175_000,
                "Papan congklak kayu mahoni lipat lengkap dengan 98 biji kerang.", 7),
        Product("Gasing Kayu Tradisional (set 3)", "mainan", 45_000,
                "Tiga gasing kayu dengan tali, permainan tradisional untuk segala umur."),
    )),
    Artisan("maya", "Maya Lestari", "Eco Print Maya", "Bekasi", "Pekayon Jaya", "Sentra Eco Print Pekayon",
            "Eco print daun jati, jarak dan ketapang dari kebun kota Pekayon Jaya.", (
        Product("Kain Eco Print Daun Jati 2 m", "fashion", 295_000,
                "Kain katun eco print teknik pounding dan steaming dengan daun jati asli.", 10),
        Product("Scarf Eco Print Sutra", "aksesoris", 345_000,
                "Scarf sutra 90 x 90 cm, motif daun ketapang dan kayu secang.", 10),
        Product("Outer Kimono Eco Print", "fashion", 385_000,
                "Outer model kimono dari kain rayon eco print, all size."),
        Product("Pouch Eco Print Kanvas", "aksesoris", 65_000,
                "Pouch kanvas dengan cetakan daun jarak, resleting YKK."),
        Product("Buku Catatan Sampul Eco Print", "lainnya", 55_000,
                "Buku catatan A5 80 halaman kertas daur ulang, sampul kain eco print."),
    )),
    Artisan("yoga", "Yoga Permana", "Gerabah & Dekor Yoga", "Bekasi", "Jatiasih", None,
            "Gerabah tanah liat dan hiasan rumah bergaya tropis dari Jatiasih.", (
        Product("Gentong Gerabah Hias 30 cm", "keramik", 210_000,
                "Gentong gerabah tanah liat dengan ukiran sulur, untuk hiasan sudut ruangan."),
        Product("Tempat Lilin Gerabah Motif Bintang", "dekorasi", 70_000,
                "Tempat lilin gerabah berlubang motif bintang, cahaya berpendar di dinding."),
        Product("Hiasan Dinding Makrame Besar", "dekorasi", 240_000,
                "Makrame tali katun 60 x 90 cm pada batang kayu apung.", 7),
        Product("Celengan Gerabah Ayam Jago", "kriya", 50_000,
                "Celengan gerabah bentuk ayam jago dicat tangan warna cerah."),
        Product("Cermin Bingkai Rotan Bulat", "dekorasi", 265_000,
                "Cermin diameter 50 cm dengan bingkai anyaman rotan sinar matahari."),
    )),
)

#: (artisan key, product index) → moderation outcome other than approval.
PENDING = {("sari", 4), ("nadia", 4), ("rudi", 4)}
REJECTED = {
    ("fajar", 2): "Foto produk kurang jelas; unggah foto dengan cahaya yang lebih terang.",
    ("siti", 2): "Produk minuman perlu mencantumkan nomor PIRT di deskripsi.",
}


# --- photos ------------------------------------------------------------------------------------------


def product_photo(title: str, category: str, variant: int = 0) -> bytes:
    """A JPEG that shows the product (a batik cloth, a woven bag, mugs...): see :mod:`marketplace.local.demo_photos`."""
    return demo_photos.product_photo(title, category, variant)


#: Photos per demo listing: the gallery shows thumbnails from two on; the first product of each shop has three.
PHOTOS_FIRST, PHOTOS_OTHERS = 3, 2


# --- seeding -----------------------------------------------------------------------------------------


def _get_or_create_user(session: Session, email: str, name: str, role: str, password_hash: str) -> tuple[Any, bool]:
    from marketplace.accounts.models import User

    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(email=email, name=name, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user, True


def _admin(session: Session, admin_password: str | None) -> tuple[Any, str | None]:
    """The demo admin; its password is set only when created or when ``admin_password`` is given."""
    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import User

    existing = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    if existing is not None and admin_password is None:
        return existing, None
    password = admin_password or secrets.token_urlsafe(12)
    return accounts.create_admin(session, email=ADMIN_EMAIL, password=password, name="Admin Pasar Kreatif"), password


def _add_product(session: Session, storage: Any, settings: Settings, user: Any, admin: Any, product: Product,
                 photos: int, outcome: str | None) -> None:
    from marketplace.listings import services as listings
    from marketplace.media.images import process_upload
    from marketplace.moderation import services as moderation

    listing = listings.create_listing(session, user, {
        "title": product.title,
        "description": product.description,
        "category": product.category,
        "price_idr": product.price_idr,
        "stock": 3 + product.price_idr % 17,  # made to order: how many the artisan takes on at once
        "weight_grams": 200 + product.price_idr % 1500,
        "fulfilment": "made_to_order" if product.days else "ready_to_ship",
        "processing_days": product.days,
    })
    for variant in range(photos):
        photo = process_upload(product_photo(product.title, product.category, variant), max_bytes=settings.max_image_bytes)
        listings.add_image(session, storage, user, listing.id, photo)
    # The demo moderator decides on the listing as it stands now, photos included.
    if outcome is None:
        moderation.approve(session, admin, listing.id, listing.revision)
    elif outcome != "pending":
        moderation.reject(session, admin, listing.id, listing.revision, outcome)


#: The focus of each demo sentra, by a word of its name (the rest are "lainnya").
_FOCUS_WORDS = (("batik", "batik"), ("anyaman", "anyaman"), ("tenun", "tenun"), ("keramik", "gerabah"),
                ("kuliner", "kuliner_kemasan"), ("kayu", "kayu"), ("bambu", "kayu"), ("fesyen", "fesyen"),
                ("eco print", "fesyen"))


def _demo_sentra(session: Session, admin: Any, artisan: Artisan, shop: Any, new_shop: bool) -> None:
    """The artisan's sentra, created by the demo admin the first time (through the audited use cases),
    and the shop put in it when the shop or the sentra is new. A shop an admin took out of its sentra
    later stays out on the next seeding."""
    from marketplace.sentra import services as sentra_services
    from marketplace.sentra.models import Sentra

    if not artisan.sentra or shop.sentra_id is not None:
        return
    centre = session.scalar(select(Sentra).where(Sentra.kelurahan == artisan.kelurahan,
                                                 func.lower(Sentra.name) == artisan.sentra.lower()))
    new_centre = centre is None
    if centre is None:
        lowered = artisan.sentra.lower()
        focus = next((f for word, f in _FOCUS_WORDS if word in lowered), "lainnya")
        centre = sentra_services.create_sentra(session, admin, {
            "name": artisan.sentra, "city": artisan.city, "kelurahan": artisan.kelurahan, "focus": focus,
            "story": artisan.about})
    if new_shop or new_centre:
        sentra_services.assign_shop(session, admin, shop.id, centre.id)


def _sandbox_payout_account(session: Session, shop_id: int) -> None:
    """Demo artisans are paid out on the sandbox without a click: their account is connected already."""
    from marketplace.payouts.models import PayoutAccount

    if session.scalar(select(PayoutAccount.id).where(PayoutAccount.shop_id == shop_id)) is None:
        session.add(PayoutAccount(shop_id=shop_id, provider="sandbox", status="connected",
                                  account_ref=f"sbx_acct_{shop_id}"))


def seed_demo(
    settings: Settings,
    session_factory: sessionmaker[Session] | None = None,
    *,
    admin_password: str | None = None,
    storage: Any = None,
) -> dict[str, Any]:
    """Create the demo catalogue (what is already there is kept) and return the demo logins.

    ``admin.password`` is None when the admin already existed and no new password was asked for.
    """
    from marketplace.accounts import services as accounts
    from marketplace.catalog.changes import CatalogChanges
    from marketplace.db import Database
    from marketplace.listings.models import Listing
    from marketplace.db import utcnow
    from marketplace.local.seed_events import seed_events
    from marketplace.local.seed_offers import VARIANT_ARTISAN, seed_offers
    from marketplace.media.storage import storage_from_settings
    from marketplace.shops import services as shops

    database = None
    if session_factory is None:
        database = Database(settings.database_url, writer=True, hooks=[CatalogChanges()])
        session_factory = database.session_factory
    assert session_factory is not None
    storage = storage or storage_from_settings(settings)
    created = {"users": 0, "shops": 0, "listings": 0, "vouchers": 0, "events": 0}
    shared_hash = accounts.hash_password(DEMO_PASSWORD)  # one argon2 hash for every demo account: fast
    try:
        # This is an entry point, so it owns the transactions: one per step (the admin, each artisan's
        # account and shop, each product with its photos and decision, the buyer). A failure keeps
        # what was seeded before it, and seeding again carries on from there.
        with session_factory() as session:
            admin, password = _admin(session, admin_password)
            session.commit()
            todo: list[tuple[Any, Artisan]] = []
            for artisan in ARTISANS:
                user, new = _get_or_create_user(session, f"{artisan.key}@{DEMO_DOMAIN}", artisan.name, "artisan", shared_hash)
                created["users"] += new
                shop = shops.get_shop_for_owner(session, user.id)
                new_shop = shop is None
                if shop is None:
                    shops.create_shop(session, user, name=artisan.shop, description=artisan.about, city=artisan.city,
                                      kelurahan=artisan.kelurahan)
                    created["shops"] += 1
                    shop = shops.get_shop_for_owner(session, user.id)
                _demo_sentra(session, admin, artisan, shop, new_shop)
                if settings.payout_provider == "sandbox":
                    _sandbox_payout_account(session, shop.id)
                session.commit()
                has_listings = session.scalar(select(func.count(Listing.id)).where(Listing.shop_id == shop.id))
                if not has_listings:
                    todo.append((user, artisan))
            # Round-robin, so "newest" on the home page mixes shops and kelurahan.
            for index in range(max((len(a.products) for a in ARTISANS), default=0)):
                for user, artisan in todo:
                    if index < len(artisan.products):
                        key = (artisan.key, index)
                        outcome = "pending" if key in PENDING else REJECTED.get(key)
                        _add_product(session, storage, settings, user, admin, artisan.products[index],
                                     PHOTOS_FIRST if index == 0 else PHOTOS_OTHERS, outcome)
                        session.commit()
                        created["listings"] += 1
            _, new = _get_or_create_user(session, BUYER_EMAIL, "Pembeli Demo", "buyer", shared_hash)
            session.commit()
            created["users"] += new
            # Issue #24: the shirt sold in sizes and the demo's vouchers (they commit one by one).
            offers = seed_offers(session, storage, settings, admin, f"{VARIANT_ARTISAN}@{DEMO_DOMAIN}")
            for key, made in offers.items():
                created[key] += made
            # Issue #27: two upcoming programme events (a sentra's workshop, a Bekasi market with its shops).
            created["events"] += seed_events(session, admin, utcnow())
    finally:
        if database is not None:
            database.dispose()
    return {
        "admin": {"email": ADMIN_EMAIL, "password": password},
        "buyer": {"email": BUYER_EMAIL, "password": DEMO_PASSWORD},
        "artisans": [
            {"email": f"{a.key}@{DEMO_DOMAIN}", "password": DEMO_PASSWORD, "shop": a.shop, "kelurahan": a.kelurahan}
            for a in ARTISANS
        ],
        "created": created,
        "already_seeded": not any(created.values()),
    }


def format_logins(logins: dict[str, Any]) -> str:
    admin = logins["admin"]
    admin_pw = admin["password"] or "(unchanged; pass --admin-password to reset it)"
    lines = [
        f"admin:   {admin['email']}  password: {admin_pw}",
        f"buyer:   {logins['buyer']['email']}  password: {logins['buyer']['password']}",
        f"artisan: {logins['artisans'][0]['email']} (and {len(logins['artisans']) - 1} more: "
        f"{', '.join(a['email'].split('@')[0] for a in logins['artisans'][1:])})  password: {DEMO_PASSWORD}",
    ]
    return "\n".join(lines)


def register(main: click.Group) -> None:
    @main.command("seed-demo")
    @click.option("--admin-password", default=None, help="Password for the demo admin (default: random, printed).")
    def seed_demo_command(admin_password: str | None) -> None:
        """Create the demo catalogue (12 artisans, ~60 products, a buyer and an admin); safe to re-run."""
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from marketplace.errors import DomainError

        if admin_password is not None and len(admin_password) < 10:
            raise click.BadParameter("use at least 10 characters", param_hint="--admin-password")
        try:
            logins = seed_demo(Settings.from_env(), admin_password=admin_password)
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(f"the database is not ready (run `marketplace db upgrade`): {exc.orig}") from exc
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        c = logins["created"]
        if logins["already_seeded"]:
            click.echo("demo data already present; nothing added")
        else:
            click.echo(f"demo data: {c['users']} users, {c['shops']} shops, {c['listings']} listings, "
                       f"{c['vouchers']} vouchers, {c['events']} events")
        click.echo(format_logins(logins))
