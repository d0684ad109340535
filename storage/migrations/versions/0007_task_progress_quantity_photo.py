"""task progress, counted quantity and photo

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 17:20:56.966789
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("progress_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("quantity", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("photo", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("photo")
        batch_op.drop_column("quantity")
        batch_op.drop_column("progress_note")
        batch_op.drop_column("progress")
