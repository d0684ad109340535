"""catalog

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 15:49:03.432047
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "catalog_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_entries")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_catalog_entries_kind")),
    )


def downgrade() -> None:

    op.drop_table("catalog_entries")
