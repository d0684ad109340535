"""Partial indexes on live orders and open tasks: the working queries read only them.

Revision ID: 0018
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Written out as the models write them (storage.models.UNDER_WAY, OPEN_TASKS) at this revision:
# a migration keeps what was true when it was written.
UNDER_WAY = sa.text("status IN ('review', 'negotiating', 'awaiting_decision', 'quote', "
                    "'contract', 'effective', 'planning', 'production', 'warehoused', "
                    "'shipping', 'on_hold')")
OPEN_TASKS = sa.text("status IN ('open', 'acknowledged')")

revision = "0018"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_under_way", "orders", ["id"], sqlite_where=UNDER_WAY,
                    postgresql_where=UNDER_WAY)
    op.create_index("ix_tasks_open_due", "tasks", ["due_at", "id"], sqlite_where=OPEN_TASKS,
                    postgresql_where=OPEN_TASKS)


def downgrade() -> None:
    op.drop_index("ix_tasks_open_due", "tasks")
    op.drop_index("ix_orders_under_way", "orders")
