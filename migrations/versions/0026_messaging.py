"""Messaging and custom offers (#26): ``conversations`` (a user and a shop, about the shop, a listing or a
seller order; read markers, block, report, notification times), ``messages`` (text and photo keys),
``custom_offers`` (an offer's private listing, its buyer, expiry), and the listing status ``private``.

Written by hand; no application code imported. Widening ``ck_listings_status_valid``: PostgreSQL drops and
adds the constraint; SQLite cannot alter a CHECK, and a batch rebuild of ``listings`` would drop its FTS
triggers, so the table's stored SQL is edited in place (SQLite's documented procedure for changes that
leave every stored row valid: ``writable_schema``, then a new ``schema_version``).

Revision ID: 0026_messaging
Revises: 0022_whatsapp
Create Date: 2026-12-07 19:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0026_messaging"
down_revision = "0024_shipments"
branch_labels = None
depends_on = None

_OLD = "'draft', 'pending_review', 'approved', 'rejected', 'withdrawn'"
_NEW = _OLD + ", 'private'"


def _listing_statuses(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE listings DROP CONSTRAINT ck_listings_status_valid")
        op.execute(f"ALTER TABLE listings ADD CONSTRAINT ck_listings_status_valid CHECK (status IN ({new}))")
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'listings'",
                         (f"status IN ({old})", f"status IN ({new})"))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("seller_order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_read_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("shop_read_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("user_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shop_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_by_id", sa.Integer(), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("report_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_conversations_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_conversations_shop_id_shops"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_conversations_listing_id_listings"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["seller_order_id"], ["seller_orders.id"],
                                name=op.f("fk_conversations_seller_order_id_seller_orders"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["blocked_by_id"], ["users.id"], name=op.f("fk_conversations_blocked_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reported_by_id"], ["users.id"], name=op.f("fk_conversations_reported_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("user_id", "shop_id", "subject", name="uq_conversations_user_id_shop_id_subject"),
    )
    op.create_index("ix_conversations_user_id_last_message_at", "conversations", ["user_id", "last_message_at"])
    op.create_index("ix_conversations_shop_id_last_message_at", "conversations", ["shop_id", "last_message_at"])
    op.create_table(
        "custom_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'accepted')", name=op.f("ck_custom_offers_status_valid")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_custom_offers_quantity_positive")),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_custom_offers_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_custom_offers_listing_id_listings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["buyer_id"], ["users.id"], name=op.f("fk_custom_offers_buyer_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_offers")),
    )
    op.create_index("ix_custom_offers_conversation_id", "custom_offers", ["conversation_id"])
    op.create_index("ix_custom_offers_listing_id", "custom_offers", ["listing_id"], unique=True)
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_messages_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["offer_id"], ["custom_offers.id"], name=op.f("fk_messages_offer_id_custom_offers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_conversation_id_id", "messages", ["conversation_id", "id"])
    _listing_statuses(_OLD, _NEW)


def downgrade() -> None:
    op.execute("UPDATE listings SET status = 'withdrawn' WHERE status = 'private'")
    _listing_statuses(_NEW, _OLD)
    op.drop_index("ix_messages_conversation_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_custom_offers_listing_id", table_name="custom_offers")
    op.drop_index("ix_custom_offers_conversation_id", table_name="custom_offers")
    op.drop_table("custom_offers")
    op.drop_index("ix_conversations_shop_id_last_message_at", table_name="conversations")
    op.drop_index("ix_conversations_user_id_last_message_at", table_name="conversations")
    op.drop_table("conversations")
