"""The artisan's share kit as the artisan uses it: two images of the right sizes with the text drawn on
the photo, a caption to paste, only for their own approved listing, redrawn when the listing changes."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image, ImageChops, ImageOps

from marketplace.promotion.posts.captions import LIMITS
from sqlalchemy import func, select

from marketplace.promotion.reach.models import ShareKit
from marketplace.web import deps
from tests.unit.listings.helpers import image_bytes
from tests.unit.promotion.conftest import approved
from workers.promotion import handlers
from workers.promotion.channels.feed import FeedChannel
from workers.worker import HandlerContext

PHOTO_COLOUR = (30, 140, 200)


def _kit_path(listing_id: int) -> str:
    return f"/api/v1/seller/listings/{listing_id}/share-kit"


def _image(client, url: str) -> Image.Image:
    with client.get(urlsplit(url).path) as resp:
        assert resp.status_code == 200, url
        data = resp.data
    return Image.open(io.BytesIO(data))


def _approved_with_photo(market, seller, **overrides):
    listing = market.listing(seller, **overrides)
    assert market.add_image(seller, listing["id"], image_bytes(size=(900, 700), color=PHOTO_COLOUR)).status_code == 201
    market.approve(listing["id"])
    return listing


def test_owner_gets_square_and_story_images_with_the_text_drawn_and_a_caption(api, client, market):
    seller = market.seller()
    listing = _approved_with_photo(market, seller, title="Kain tenun ikat Sumba", price_idr=1_250_000)
    resp = api.post(_kit_path(listing["id"]), as_=seller)
    assert resp.status_code == 200, resp.json
    kit = resp.json
    assert api.get(_kit_path(listing["id"]), as_=seller).json == kit
    assert set(kit) == {"square_url", "story_url", "caption"}
    square, story = _image(client, kit["square_url"]), _image(client, kit["story_url"])
    assert square.size == (1080, 1080) and story.size == (1080, 1920)
    for img in (square, story):
        plain = ImageOps.fit(Image.new("RGB", (900, 700), PHOTO_COLOUR), img.size)
        diff = ImageChops.difference(img.convert("RGB"), plain)
        top = diff.crop((0, 0, img.width, img.height // 4))
        bottom = diff.crop((0, img.height * 3 // 4, img.width, img.height))
        assert max(hi for _lo, hi in bottom.getextrema()) > 100  # the band and the text are there
        assert max(hi for _lo, hi in top.getextrema()) < 40  # the photo is kept above them
    bright = sum(square.convert("L").crop((0, 700, 1080, 1080)).histogram()[201:])
    assert bright > 500  # white letters on the dark band
    assert "Kain tenun ikat Sumba" in kit["caption"] and "Rp 1.250.000" in kit["caption"]
    assert "utm_source=instagram" in kit["caption"] and len(kit["caption"]) <= LIMITS["instagram"]


def test_the_same_listing_gives_the_same_images_and_a_change_redraws_them(api, client, market):
    seller = market.seller()
    listing = _approved_with_photo(market, seller)
    first = api.post(_kit_path(listing["id"]), as_=seller).json
    assert api.post(_kit_path(listing["id"]), as_=seller).json == first  # nothing redrawn
    assert api.get(_kit_path(listing["id"]), as_=seller).json == first
    assert api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"price_idr": 99_000}).status_code == 200
    assert api.get(_kit_path(listing["id"]), as_=seller).status_code == 409  # back in review
    market.approve(listing["id"])
    stale = api.get(_kit_path(listing["id"]), as_=seller)  # the old kit shows the old price: not served
    assert stale.status_code == 409 and stale.json["error"]["code"] == "share_kit_not_drawn"
    second = api.post(_kit_path(listing["id"]), as_=seller).json
    assert second["square_url"] != first["square_url"] and "Rp 99.000" in second["caption"]
    assert client.get(urlsplit(first["square_url"]).path).status_code == 404  # the old image is gone
    assert _image(client, second["square_url"]).size == (1080, 1080)


def test_listing_without_photo_still_gets_a_kit(api, client, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    kit = api.post(_kit_path(listing["id"]), as_=seller).json
    assert _image(client, kit["story_url"]).size == (1080, 1920)


def test_only_the_owner_of_an_approved_listing_gets_a_kit(api, market):
    seller, other = market.seller(), market.seller(kelurahan="Pamulang Barat")
    approved = _approved_with_photo(market, seller)
    pending = market.listing(seller)
    buyer = api.make_user("buyer")
    for call in (api.get, api.post):
        assert call(_kit_path(approved["id"]), as_=other).status_code == 403
        assert call(_kit_path(pending["id"]), as_=other).status_code == 404
        assert call(_kit_path(approved["id"]), as_=buyer).status_code == 403
        assert call(_kit_path(approved["id"])).status_code == 401
        resp = call(_kit_path(pending["id"]), as_=seller)
        assert resp.status_code == 409 and resp.json["error"]["code"] == "not_approved"
        assert call(_kit_path(999_999), as_=seller).status_code == 404


def test_seller_dashboard_links_the_kit_page(client, auth, market):
    seller = market.seller()
    listing = _approved_with_photo(market, seller, title="Keramik Plered")
    pending = market.listing(seller, title="Belum")
    auth.login(seller.email, seller.password)
    html = client.get("/seller/listings").get_data(as_text=True)
    assert f"/seller/listings/{listing['id']}/share-kit" in html
    assert f"/seller/listings/{pending['id']}/share-kit" not in html
    page = client.get(f"/seller/listings/{listing['id']}/share-kit")
    assert page.status_code == 200 and "1080 × 1920" not in page.get_data(as_text=True)  # not drawn yet
    token = auth.csrf_token(f"/seller/listings/{listing['id']}/share-kit")
    page = client.post(f"/seller/listings/{listing['id']}/share-kit", data={"csrf_token": token},
                       follow_redirects=True)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1080 × 1920" in text and "Keramik Plered" in text and "download" in text
    assert client.get(f"/seller/listings/{pending['id']}/share-kit").status_code == 409


def test_a_get_never_draws_the_worker_draws_it_on_approval(api, app, market):
    """The page's and API's GET only read: before the promotion worker has handled ``listing.approved``
    there is nothing (409 ``share_kit_not_drawn``, no row written); after, the kit is there."""
    seller = market.seller()
    listing = _approved_with_photo(market, seller, title="Batik tulis Kauman")
    resp = api.get(_kit_path(listing["id"]), as_=seller)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "share_kit_not_drawn"
    database = app.extensions["db"]
    with database.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ShareKit)) == 0
    with database.transaction() as session:
        ctx = HandlerContext(session=session, settings=deps.of(app).settings,
                             gateways={handlers.CHANNELS: {"feed": FeedChannel("https://pasar.test")},
                                       handlers.MEDIA: deps.of(app).media_storage})
        handlers.HANDLERS["listing.approved"](ctx, approved(listing["id"]))
    kit = api.get(_kit_path(listing["id"]), as_=seller)
    assert kit.status_code == 200 and "Batik tulis Kauman" in kit.json["caption"]
