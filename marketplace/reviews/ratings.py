"""The catalogue's ``sort=rating`` key, kept apart from the review use cases so the catalogue imports only
this and the models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from marketplace.reviews.models import Review


def rating_order(listing_id_column: Any) -> Any:
    """For a listing id column: the average of its visible reviews (0 without any), computed from the rows
    (a correlated subquery on ``ix_reviews_listing_id_created_at``)."""
    return func.coalesce(select(func.avg(Review.rating)).where(
        Review.listing_id == listing_id_column, Review.hidden_at.is_(None)).correlate_except(Review)
        .scalar_subquery(), 0)
