"""change notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 15:51:31.575436
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "change_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_change_notices_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_change_notices_number")),
    )
    with op.batch_alter_table("change_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_notices_order_id"), ["order_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("change_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_notices_order_id"))

    op.drop_table("change_notices")
