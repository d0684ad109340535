"""a task's parent: the planned task a follow-up came with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Until now a purchase found its follow-ups by an equal title; the earliest purchase of the
# same order with that title is the best reading of what was there.
_BACKFILL = """
UPDATE tasks SET parent_id = (
    SELECT p.id FROM tasks AS p
    WHERE p.order_id = tasks.order_id AND p.kind = 'purchase' AND p.title = tasks.title
    ORDER BY p.id LIMIT 1)
WHERE kind IN ('supplier_contact', 'dispatch_confirmation', 'delay_report')
"""


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_tasks_parent_id_tasks"), "tasks",
                                    ["parent_id"], ["id"], ondelete="CASCADE")
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tasks_parent_id_tasks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tasks_parent_id"))
        batch_op.drop_column("parent_id")
