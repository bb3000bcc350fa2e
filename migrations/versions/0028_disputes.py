"""disputes (#26, written by hand): ``disputes`` (one per seller order: the buyer's reason and words,
the shop's answer, the outcome and the refund it asked for) and ``dispute_photos``. New tables only.

Revision ID: 0028_disputes
Revises: 0033_outside_services
Create Date: 2026-12-07 23:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0028_disputes"
down_revision = "0033_outside_services"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_order_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", _utc(), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=True),
        sa.Column("responded_at", _utc(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("refund_amount_idr", sa.BigInteger(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("escalated_at", _utc(), nullable=True),
        sa.CheckConstraint("reason IN ('not_received', 'damaged', 'not_as_described', 'wrong_item')",
                           name=op.f("ck_disputes_reason_valid")),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_disputes_status_valid")),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('refund', 'reject')", name=op.f("ck_disputes_outcome_valid")),
        sa.CheckConstraint("refund_amount_idr IS NULL OR refund_amount_idr > 0",
                           name=op.f("ck_disputes_refund_amount_positive")),
        _fk("disputes", "seller_order_id", "seller_orders", "RESTRICT"),
        _fk("disputes", "order_id", "orders", "RESTRICT"),
        _fk("disputes", "shop_id", "shops", "RESTRICT"),
        _fk("disputes", "buyer_id", "users", "RESTRICT"),
        _fk("disputes", "refund_id", "refunds", "RESTRICT"),
        _fk("disputes", "resolved_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("seller_order_id", name="uq_disputes_seller_order_id"),
    )
    op.create_index("ix_disputes_status_opened_at", "disputes", ["status", "opened_at"], unique=False)
    op.create_index("ix_disputes_shop_id_status", "disputes", ["shop_id", "status"], unique=False)
    op.create_index("ix_disputes_buyer_id_status", "disputes", ["buyer_id", "status"], unique=False)
    op.create_table(
        "dispute_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("thumb_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        _fk("dispute_photos", "dispute_id", "disputes", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_photos")),
    )
    op.create_index("ix_dispute_photos_dispute_id", "dispute_photos", ["dispute_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dispute_photos_dispute_id", table_name="dispute_photos")
    op.drop_table("dispute_photos")
    op.drop_index("ix_disputes_buyer_id_status", table_name="disputes")
    op.drop_index("ix_disputes_shop_id_status", table_name="disputes")
    op.drop_index("ix_disputes_status_opened_at", table_name="disputes")
    op.drop_table("disputes")
