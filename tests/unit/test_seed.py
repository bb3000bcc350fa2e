"""``marketplace seed-demo``: a realistic catalogue in both cities, searchable, and safe to run twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.listings.models import Listing, ListingImage
from marketplace.moderation.models import ModerationDecision
from marketplace.local.seed import seed_demo
from marketplace.local.seed_offers import VARIANT_TITLE
from marketplace.shops.models import Shop
from marketplace.vouchers.models import Voucher


def count(session, column, *where):
    return session.scalar(select(func.count(column)).where(*where))


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC datetimes, PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_seed_demo_builds_a_searchable_catalogue_once(app, api, settings, db_session):
    logins = seed_demo(settings, app.extensions["db"].session_factory, admin_password="admin-demo-1234")
    assert logins["created"] == {"users": 13, "shops": 12, "listings": 61, "vouchers": 2, "events": 2}
    assert not logins["already_seeded"]
    # Issue #27: two upcoming events: a sentra's workshop, and a Bekasi market with Bekasi shops taking part.
    events = api.get("/api/v1/events").json["items"]
    assert [e["kind"] for e in events] == ["workshop", "market"] and events[0]["sentra_id"] is not None
    market = api.get(f"/api/v1/events/{events[1]['id']}").json
    assert market["shops"] and market["seats_left"] == 300
    assert logins["admin"] == {"email": "admin@demo.pasarkreatif.id", "password": "admin-demo-1234"}

    assert count(db_session, Listing.id) == 61
    places = db_session.execute(select(Shop.city, func.count(func.distinct(Shop.kelurahan))).group_by(Shop.city)).all()
    assert dict(places).keys() == {"Tangerang Selatan", "Bekasi"} and min(n for _, n in places) >= 4
    approved = count(db_session, Listing.id, Listing.status == "approved")
    assert approved >= 50 and count(db_session, Listing.id, Listing.status == "pending_review") >= 1
    assert count(db_session, Listing.id, Listing.status == "rejected") >= 1
    assert count(db_session, Listing.id, Listing.fulfilment == "made_to_order") >= 5
    assert count(db_session, ModerationDecision.id) == approved + count(db_session, Listing.id, Listing.status == "rejected")

    # Each demo artisan with a sentra has their shop in it (created by the demo admin, audited).
    from marketplace.local.seed import ARTISANS
    from marketplace.sentra.models import Sentra

    in_sentra = sum(1 for a in ARTISANS if a.sentra)
    assert in_sentra >= 10 and count(db_session, Sentra.id) == in_sentra
    assert count(db_session, Shop.id, Shop.sentra_id.is_not(None)) == in_sentra
    assert {i["shop"]["sentra"] for i in api.get("/api/v1/listings", query_string={"q": "batik"}).json["items"]} & {
        a.sentra for a in ARTISANS}

    # Photos went through the pipeline: every listing has a stored full image and thumbnail.
    thumbs = db_session.scalars(select(ListingImage.thumb_key)).all()
    assert len(thumbs) >= 120
    per_listing = db_session.execute(select(ListingImage.listing_id, func.count()).group_by(ListingImage.listing_id)).all()
    assert len(per_listing) == 61 and min(n for _, n in per_listing) >= 2  # every gallery has thumbnails
    assert all((Path(settings.media_root) / key).is_file() for key in thumbs)

    everything = api.get("/api/v1/listings", query_string={"per_page": 100}).json
    assert everything["total"] == approved and all(item["thumb_url"] for item in everything["items"])
    batik = api.get("/api/v1/listings", query_string={"q": "batik"}).json
    assert batik["total"] >= 3
    bekasi = api.get("/api/v1/listings", query_string={"city": "Bekasi", "q": "tenun"}).json
    assert bekasi["total"] >= 1 and all(i["shop"]["city"] == "Bekasi" for i in bekasi["items"])

    # Issue #24: a shirt in sizes (one sold out, one with one left, prices per size) and two vouchers.
    shirt = api.get("/api/v1/listings", query_string={"q": "kemeja parang"}).json["items"]
    shirt = api.get(f"/api/v1/listings/{next(i['id'] for i in shirt if i['title'] == VARIANT_TITLE)}").json
    sizes = {v["options"]["ukuran"]: (v["price_idr"], v["stock"]) for v in shirt["variants"]}
    assert sizes.keys() == {"S", "M", "L", "XL"} and sizes["M"][1] == 0 and sizes["L"][1] == 1
    assert len({price for price, _ in sizes.values()}) > 1 and shirt["price_from"] and shirt["status"] == "approved"
    programme = db_session.scalar(select(Voucher).where(Voucher.code == "PEKANKREATIF"))
    assert programme.funded_by == "programme" and programme.shop_id is None
    assert (programme.kind, programme.value, programme.max_discount_idr) == ("percent", 10, 50_000)
    now = datetime.now(timezone.utc)
    assert aware(programme.starts_at) <= now and aware(programme.ends_at) > now + timedelta(days=300)
    shop_voucher = db_session.scalar(select(Voucher).where(Voucher.funded_by == "shop"))
    assert shop_voucher.shop_id == db_session.scalar(select(Shop.id).where(Shop.name == "Batik Tulis Bu Sari"))
    assert aware(shop_voucher.ends_at) > now

    # Demo logins work.
    assert api.post("/api/v1/auth/token", json={"email": logins["buyer"]["email"], "password": logins["buyer"]["password"]}).status_code == 200
    assert api.post("/api/v1/auth/token", json={"email": logins["admin"]["email"], "password": "admin-demo-1234"}).status_code == 200

    again = seed_demo(settings, app.extensions["db"].session_factory)
    assert again["already_seeded"] and again["admin"]["password"] is None
    db_session.expire_all()
    assert again["created"] == {"users": 0, "shops": 0, "listings": 0, "vouchers": 0, "events": 0}
    assert count(db_session, Listing.id) == 61 and count(db_session, Shop.id) == 12
    assert count(db_session, Voucher.id) == 2
    assert count(db_session, Sentra.id) == in_sentra
    assert count(db_session, User.id) == 14


def test_seed_demo_command(app, settings, database_url, db_session, tmp_path):
    env = {"DATABASE_URL": database_url, "MEDIA_ROOT": settings.media_root, "VAR_DIR": str(tmp_path)}
    from marketplace.cli import make_cli

    runner = CliRunner()
    first = runner.invoke(make_cli(), ["seed-demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "61 listings, 2 vouchers, 2 events" in first.output and "admin@demo.pasarkreatif.id  password: " in first.output
    second = runner.invoke(make_cli(), ["seed-demo"], env=env)
    assert second.exit_code == 0 and "already present" in second.output and "unchanged" in second.output
    assert count(db_session, Listing.id) == 61 and count(db_session, Voucher.id) == 2
    short = runner.invoke(make_cli(), ["seed-demo", "--admin-password", "short"], env=env)
    assert short.exit_code != 0 and "10 characters" in short.output
