"""archive: ended orders leave the working lists (archived_at, a partial index of live orders
by status, received time indexed for /find); customers' credit

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

LIVE_ORDER = "archived_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "customer_credit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=256), nullable=False),
        sa.Column("credit_limit", sa.Float(), nullable=True),
        sa.Column("terms", sa.String(length=256), nullable=True),
        sa.Column("risk", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_credit")),
        sa.UniqueConstraint("customer", name=op.f("uq_customer_credit_customer")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_orders_live_status", ["status"], unique=False,
                              postgresql_where=sa.text(LIVE_ORDER),
                              sqlite_where=sa.text(LIVE_ORDER))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_live_status")
        batch_op.drop_index(batch_op.f("ix_orders_created_at"))
        batch_op.drop_column("archived_at")
    op.drop_table("customer_credit")
