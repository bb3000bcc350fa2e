"""Reviews JSON API (ARCHITECTURE.md §5): post and illustrate a review (the item's buyer), read a
listing's or shop's (anyone), the shop's reply (its artisan), reports (any logged-in user) and the
admins' queue and hide. Thin: a schema parses, one service acts."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.db import end_reads, utcnow
from marketplace.listings.schemas import ImageUploadIn
from marketplace.reviews import schemas, services
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth, require_user
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("reviews_api", __name__, url_prefix="/api/v1", description="Reviews")

ADMIN, ARTISAN = Role.ADMIN.value, Role.ARTISAN.value


@bp.route("/listings/<int:listing_id>/reviews", methods=["POST"])
@bp.doc(**error_responses(403, 404, 409))
@api_auth()
@bp.arguments(schemas.ReviewIn)
@bp.response(201, schemas.ReviewOut)
def post_review(body: dict[str, Any], listing_id: int) -> Any:
    """Review an order item bought as this listing: 403 ``not_a_verified_buyer`` (not your item), 422
    ``not_delivered`` (before delivery) or ``review_window_closed`` (after ``REVIEW_WINDOW_DAYS``), 409
    ``already_reviewed``."""
    return services.post_review(get_session(), require_user(), listing_id, body, now=utcnow(),
                                window_days=deps().settings.review_window_days)


@bp.route("/reviews/<int:review_id>/photos", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.arguments(ImageUploadIn, location="files")
@bp.response(201, schemas.ReviewPhotoOut)
def add_photo(files: dict[str, Any], review_id: int) -> Any:
    """Add a JPEG, PNG or WebP photo to your review (multipart ``file``); at most 5 (409 ``too_many_photos``)."""
    session, user = get_session(), require_user()
    services.check_room_for_photo(session, user, review_id)
    end_reads(session)  # decode outside any transaction
    processed = deps().image_processor.process(files["file"].read())
    return services.add_photo(session, deps().media_storage, user, review_id, processed)


def _listing(summary: services.Summary, items: list[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    return {"items": items, "average_rating": summary.average, "count": summary.count,
            "distribution": {str(k): v for k, v in summary.distribution.items()},
            "page": query["page"], "per_page": query["per_page"], "total": total}


@bp.route("/listings/<int:listing_id>/reviews", methods=["GET"])
@bp.doc(**error_responses(404))
@bp.arguments(schemas.ReviewPageQuery, location="query")
@bp.response(200, schemas.ReviewList)
def listing_reviews(query: dict[str, Any], listing_id: int) -> Any:
    """A public listing's visible reviews, newest first, paged, with the average, count and distribution."""
    session = get_session()
    services.public_listing(session, listing_id)
    items, total = services.page(session, listing_id=listing_id, page_no=query["page"], per_page=query["per_page"])
    return _listing(services.summary(session, listing_id=listing_id), items, total, query)


@bp.route("/shops/<int:shop_id>/reviews", methods=["GET"])
@bp.doc(**error_responses(404))
@bp.arguments(schemas.ReviewPageQuery, location="query")
@bp.response(200, schemas.ReviewList)
def shop_reviews(query: dict[str, Any], shop_id: int) -> Any:
    """A shop's visible reviews (all its listings), newest first, paged, with the figures."""
    session = get_session()
    services.public_shop(session, shop_id)
    items, total = services.page(session, shop_id=shop_id, page_no=query["page"], per_page=query["per_page"])
    return _listing(services.summary(session, shop_id=shop_id), items, total, query)


@bp.route("/reviews/<int:review_id>/reply", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ARTISAN)
@bp.arguments(schemas.ReviewReplyIn)
@bp.response(201, schemas.ReviewOut)
def reply(body: dict[str, Any], review_id: int) -> Any:
    """The shop's one public reply to a review of its product (409 ``already_replied`` the second time)."""
    return services.reply(get_session(), require_user(ARTISAN), review_id, body["text"], now=utcnow())


@bp.route("/reviews/<int:review_id>/reports", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth()
@bp.arguments(schemas.ReviewReportIn)
@bp.response(201, schemas.ReviewReportOut)
def report(body: dict[str, Any], review_id: int) -> Any:
    """Report a review to the admins (once per user and review; 409 ``already_reported``)."""
    return services.report(get_session(), require_user(), review_id, body["reason"], now=utcnow())


@bp.route("/admin/reviews/reported", methods=["GET"])
@api_auth(ADMIN)
@bp.response(200, schemas.ReportedReviewList)
def reported() -> Any:
    """Visible reviews with open reports, the most reported first, with the reasons."""
    return {"items": [{"review": r, "reasons": reasons} for r, reasons in services.reported(get_session())]}


@bp.route("/admin/reviews/<int:review_id>/hide", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.arguments(schemas.ReviewHideIn)
@bp.response(200, schemas.ReviewHiddenOut)
def hide(body: dict[str, Any], review_id: int) -> Any:
    """Hide a review with a reason (kept, audit-logged, out of the figures); 409 ``already_hidden``."""
    return services.hide(get_session(), require_user(ADMIN), review_id, body["reason"], now=utcnow())


@bp.route("/admin/reviews/<int:review_id>/reports/dismiss", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(ADMIN)
@bp.response(200, schemas.ReviewDismissOut)
def dismiss(review_id: int) -> Any:
    """Keep a reported review: close its open reports (409 ``no_open_reports`` if none)."""
    return {"dismissed": services.dismiss_reports(get_session(), require_user(ADMIN), review_id, now=utcnow())}
