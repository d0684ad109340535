"""escalation chains copied onto tasks; escalation pings per person, order, step and day

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_chain", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("escalation_step", sa.Integer(), nullable=True))
    op.create_table(
        "escalation_pings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"],
                                name=op.f("fk_escalation_pings_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_pings")),
    )
    with op.batch_alter_table("escalation_pings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_pings_order_id"), ["order_id"],
                              unique=False)
        batch_op.create_index("ix_escalation_pings_person_id_day", ["person_id", "day"],
                              unique=False)
        batch_op.create_index("ix_escalation_pings_listed_at_folded", ["listed_at", "folded"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("escalation_pings", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_pings_listed_at_folded")
        batch_op.drop_index("ix_escalation_pings_person_id_day")
        batch_op.drop_index(batch_op.f("ix_escalation_pings_order_id"))
    op.drop_table("escalation_pings")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("escalation_step")
        batch_op.drop_column("escalation_chain")
