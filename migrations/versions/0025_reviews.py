"""reviews, favourites and follows (#26, written by hand): ``reviews`` (one per order item, with the
shop's reply and an admin's hide), ``review_photos``, ``review_reports``; ``favourites`` (user, listing),
``shop_follows`` (user, shop) and ``follow_updates`` (a followed shop's newly approved listing for each
follower, with when a digest e-mail carried it). New tables only.

Revision ID: 0025_reviews
Revises: 0022_whatsapp
Create Date: 2026-12-07 19:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0025_reviews"
down_revision = "0027_programme_events"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", _utc(), nullable=True),
        sa.Column("hidden_at", _utc(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_valid")),
        _fk("reviews", "order_item_id", "order_items", "CASCADE"),
        _fk("reviews", "listing_id", "listings", "CASCADE"),
        _fk("reviews", "shop_id", "shops", "CASCADE"),
        _fk("reviews", "buyer_id", "users", "CASCADE"),
        _fk("reviews", "hidden_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_item_id", name="uq_reviews_order_item_id"),
    )
    op.create_index("ix_reviews_listing_id_created_at", "reviews", ["listing_id", "created_at"], unique=False)
    op.create_index("ix_reviews_shop_id_created_at", "reviews", ["shop_id", "created_at"], unique=False)
    op.create_table(
        "review_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("thumb_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        _fk("review_photos", "review_id", "reviews", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_photos")),
    )
    op.create_index("ix_review_photos_review_id", "review_photos", ["review_id"], unique=False)
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        _fk("review_reports", "review_id", "reviews", "CASCADE"),
        _fk("review_reports", "reporter_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reports")),
        sa.UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_review_id_reporter_id"),
    )
    op.create_index("ix_review_reports_open", "review_reports", ["resolved_at", "review_id"], unique=False)
    op.create_table(
        "favourites",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        _fk("favourites", "user_id", "users", "CASCADE"),
        _fk("favourites", "listing_id", "listings", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "listing_id", name=op.f("pk_favourites")),
    )
    op.create_index("ix_favourites_listing_id", "favourites", ["listing_id"], unique=False)
    op.create_table(
        "shop_follows",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        _fk("shop_follows", "user_id", "users", "CASCADE"),
        _fk("shop_follows", "shop_id", "shops", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "shop_id", name=op.f("pk_shop_follows")),
    )
    op.create_index("ix_shop_follows_shop_id", "shop_follows", ["shop_id"], unique=False)
    op.create_table(
        "follow_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("digested_at", _utc(), nullable=True),
        _fk("follow_updates", "user_id", "users", "CASCADE"),
        _fk("follow_updates", "shop_id", "shops", "CASCADE"),
        _fk("follow_updates", "listing_id", "listings", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_updates")),
        sa.UniqueConstraint("user_id", "listing_id", name="uq_follow_updates_user_id_listing_id"),
    )
    op.create_index("ix_follow_updates_digest", "follow_updates", ["digested_at", "user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_follow_updates_digest", table_name="follow_updates")
    op.drop_table("follow_updates")
    op.drop_index("ix_shop_follows_shop_id", table_name="shop_follows")
    op.drop_table("shop_follows")
    op.drop_index("ix_favourites_listing_id", table_name="favourites")
    op.drop_table("favourites")
    op.drop_index("ix_review_reports_open", table_name="review_reports")
    op.drop_table("review_reports")
    op.drop_index("ix_review_photos_review_id", table_name="review_photos")
    op.drop_table("review_photos")
    op.drop_index("ix_reviews_shop_id_created_at", table_name="reviews")
    op.drop_index("ix_reviews_listing_id_created_at", table_name="reviews")
    op.drop_table("reviews")
