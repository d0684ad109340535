"""order facts and task titles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:24:07.165594
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=256), nullable=True))
        batch_op.create_index(batch_op.f("ix_tasks_role"), ["role"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_role"))
        batch_op.drop_column("title")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("facts")
