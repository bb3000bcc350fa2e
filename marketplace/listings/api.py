"""Listings JSON API: a seller's products and their photos (ARCHITECTURE.md §5).

Writes are for artisans only (anonymous 401, buyers and admins 403); someone else's listing is 403 when
it is public and 404 when it is not. ``POST /listings`` without a shop is 409 ``no_shop``: the request is
fine, the account is not ready for it yet. The public search (``GET /listings``) lives in ``catalog``.
Services return ORM rows; the output schemas shape them (photo URLs from the configured storage).
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, api_optional_auth, current_user, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import end_reads
from marketplace.web.transaction import get_session
from marketplace.listings import schemas, services
from marketplace.reviews import services as reviews
from marketplace.web.deps import deps

bp = Blueprint("listings_api", __name__, url_prefix="/api/v1", description="Listings")

ARTISAN = Role.ARTISAN.value


@bp.route("/listings", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.arguments(schemas.ListingIn)
@bp.response(201, schemas.ListingOut)
def create_listing(body: dict[str, Any]) -> Any:
    """Add a product to the caller's shop; it waits for moderation (409 ``no_shop`` without a shop)."""
    return services.create_listing(get_session(), require_user(), body)


@bp.route("/listings/<int:listing_id>", methods=["GET"])
@api_optional_auth()
@bp.response(200, schemas.ListingOut)
def get_listing(listing_id: int) -> Any:
    """An approved listing, with ``rating: {average, count}``; its owner and admins also see it in any other status."""
    session = get_session()
    listing = services.get_for_viewer(session, listing_id, current_user())
    listing.rating = reviews.summary(session, listing_id=listing.id).as_dict()  # read by ListingOut.rating
    return listing


@bp.route("/listings/<int:listing_id>", methods=["PATCH"])
@api_auth(ARTISAN)
@bp.arguments(schemas.ListingPatch)
@bp.response(200, schemas.ListingOut)
def update_listing(body: dict[str, Any], listing_id: int) -> Any:
    """Change some fields; editing title, description or price of an approved listing re-submits it."""
    return services.update_listing(get_session(), require_user(), listing_id, body)


@bp.route("/listings/<int:listing_id>/withdraw", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.response(200, schemas.ListingOut)
def withdraw_listing(listing_id: int) -> Any:
    """Take the listing off the market."""
    return services.withdraw_listing(get_session(), require_user(), listing_id)


@bp.route("/listings/<int:listing_id>/submit", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.response(200, schemas.ListingOut)
def resubmit_listing(listing_id: int) -> Any:
    """Send a withdrawn or rejected listing back to moderation."""
    return services.resubmit_listing(get_session(), require_user(), listing_id)


@bp.route("/listings/<int:listing_id>/images", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(ARTISAN)
@bp.arguments(schemas.ImageUploadIn, location="files")
@bp.response(201, schemas.ImageOut)
def add_image(files: dict[str, Any], listing_id: int) -> Any:
    """Upload a JPEG, PNG or WebP photo (multipart field ``file``); at most 8 per listing.

    503 ``media_busy`` (with ``Retry-After``) when this process already has as many photos in hand as
    it takes; nothing is stored then.
    """
    session, user = get_session(), require_user()
    services.check_room_for_image(session, user, listing_id)
    end_reads(session)  # decode outside any transaction (on SQLite, not under the write lock)
    processed = deps().image_processor.process(files["file"].read())
    return services.add_image(session, deps().media_storage, user, listing_id, processed)


@bp.route("/listings/<int:listing_id>/images/<int:image_id>", methods=["DELETE"])
@api_auth(ARTISAN)
@bp.response(204)
def delete_image(listing_id: int, image_id: int) -> None:
    """Remove a photo."""
    services.delete_image(get_session(), deps().media_storage, require_user(), listing_id, image_id)


@bp.route("/seller/listings", methods=["GET"])
@api_auth(ARTISAN)
@bp.response(200, schemas.ListingList)
def my_listings() -> Any:
    """The caller's listings in every status, with the rejection reason where there is one."""
    return {"items": services.list_for_seller(get_session(), require_user().id)}
