"""urge slips

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 15:44:21.909202
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "urge_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_urge_slips_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urge_slips")),
        sa.UniqueConstraint("number", name=op.f("uq_urge_slips_number")),
    )
    with op.batch_alter_table("urge_slips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urge_slips_order_id"), ["order_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("urge_slips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urge_slips_order_id"))

    op.drop_table("urge_slips")
