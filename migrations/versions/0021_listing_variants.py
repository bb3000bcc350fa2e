"""listing variants (issue #24): the table ``listing_variants`` (options as JSON, price, stock, SKU,
photo, position, archived), ``listings.has_variants`` / ``price_varies``, a cart line's ``variant_id``
(0: none; part of the cart's unique key, which becomes (user, listing, variant)), and an order item's
``variant_id`` and ``variant_options`` (the options as bought, JSON text). Written by hand; the DDL is
copied here (no application import). SQLite alters ``cart_items`` in batch mode (the table is rebuilt).

Revision ID: 0021_listing_variants
Revises: 0020_vouchers
Create Date: 2026-12-07 17:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0021_listing_variants"
down_revision = "0020_vouchers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("price_idr", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("image_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("price_idr > 0", name=op.f("ck_listing_variants_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_listing_variants_stock_not_negative")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_listing_variants_listing_id_listings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["image_id"], ["listing_images.id"],
                                name=op.f("fk_listing_variants_image_id_listing_images"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_variants")),
    )
    op.create_index("ix_listing_variants_listing_id", "listing_variants", ["listing_id"], unique=False)
    op.add_column("listings", sa.Column("has_variants", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("listings", sa.Column("price_varies", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("uq_cart_items_user_id_listing_id", type_="unique")
        batch_op.create_unique_constraint("uq_cart_items_user_id_listing_id_variant_id",
                                          ["user_id", "listing_id", "variant_id"])
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("variant_options", sa.Text(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_order_items_variant_id_listing_variants"), "listing_variants",
                                    ["variant_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_order_items_variant_id_listing_variants"), type_="foreignkey")
        batch_op.drop_column("variant_options")
        batch_op.drop_column("variant_id")
    op.execute("DELETE FROM cart_items WHERE variant_id <> 0")
    with op.batch_alter_table("cart_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_cart_items_user_id_listing_id_variant_id", type_="unique")
        batch_op.create_unique_constraint("uq_cart_items_user_id_listing_id", ["user_id", "listing_id"])
        batch_op.drop_column("variant_id")
    # Plain DROP COLUMN on both (SQLite >= 3.35): a batch rebuild of ``listings`` would drop its FTS triggers.
    op.execute("ALTER TABLE listings DROP COLUMN price_varies")
    op.execute("ALTER TABLE listings DROP COLUMN has_variants")
    op.drop_index("ix_listing_variants_listing_id", table_name="listing_variants")
    op.drop_table("listing_variants")
