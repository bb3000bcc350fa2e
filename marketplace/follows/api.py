"""Favourites and follows JSON API (ARCHITECTURE.md §5): any logged-in user hearts listings and follows
shops; PUT and DELETE answer 204 and are idempotent."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.db import utcnow
from marketplace.follows import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.transaction import get_session

bp = Blueprint("follows_api", __name__, url_prefix="/api/v1", description="Favourites and follows")


@bp.route("/me/favourites/<int:listing_id>", methods=["PUT"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.response(204)
def put_favourite(listing_id: int) -> None:
    """Heart a public listing (404 if it is not public); again changes nothing."""
    services.favourite(get_session(), require_user(), listing_id, now=utcnow())


@bp.route("/me/favourites/<int:listing_id>", methods=["DELETE"])
@api_auth()
@bp.response(204)
def delete_favourite(listing_id: int) -> None:
    """Take the heart off (nothing to take off is not an error)."""
    services.unfavourite(get_session(), require_user(), listing_id)


@bp.route("/me/favourites", methods=["GET"])
@api_auth()
@bp.response(200, schemas.FavouriteList)
def list_favourites() -> Any:
    """The caller's hearted listings still on sale, the most recently hearted first."""
    return {"items": services.favourites(get_session(), require_user())}


@bp.route("/me/following/<int:shop_id>", methods=["PUT"])
@bp.doc(**error_responses(404))
@api_auth()
@bp.response(204)
def put_following(shop_id: int) -> None:
    """Follow a shop (404 if it is not public, 422 ``own_shop`` for one's own); again changes nothing."""
    services.follow(get_session(), require_user(), shop_id, now=utcnow())


@bp.route("/me/following/<int:shop_id>", methods=["DELETE"])
@api_auth()
@bp.response(204)
def delete_following(shop_id: int) -> None:
    """Stop following a shop."""
    services.unfollow(get_session(), require_user(), shop_id)


@bp.route("/me/following", methods=["GET"])
@api_auth()
@bp.response(200, schemas.FollowingList)
def list_following() -> Any:
    """The shops the caller follows, and their new products since (newest first)."""
    session, user = get_session(), require_user()
    return {"items": services.following(session, user), "updates": services.updates(session, user)}
