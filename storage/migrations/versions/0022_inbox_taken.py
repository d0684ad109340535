"""inbox: which process has taken an update and until when, so that on PostgreSQL a turn can
take its update in one statement and write all its work in another, without a transaction
around both

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 04:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("taken_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("taken_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("taken_until")
        batch.drop_column("taken_by")
