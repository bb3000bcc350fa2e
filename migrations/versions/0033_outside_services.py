"""Circuit breakers of the outside services (#30): ``outside_services`` holds the last opening or closing
of each service's circuit seen by any process, which ``/readyz`` reports as a degraded service.

Written by hand; no application code imported.

Revision ID: 0033_outside_services
Revises: 0029_booth_sales
Create Date: 2026-12-07 23:40:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0033_outside_services"
down_revision = "0029_booth_sales"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outside_services",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outside_services")),
    )


def downgrade() -> None:
    op.drop_table("outside_services")
