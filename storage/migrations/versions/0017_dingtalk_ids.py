"""DingTalk's conversation and staff ids beside Gendan's numbers; what our cards show

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-03 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dingtalk_ids",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("external", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dingtalk_ids")),
        sa.UniqueConstraint("external", name=op.f("uq_dingtalk_ids_external")),
    )
    op.create_table(
        "dingtalk_cards",
        sa.Column("out_track_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("out_track_id", name=op.f("pk_dingtalk_cards")),
    )


def downgrade() -> None:
    op.drop_table("dingtalk_cards")
    op.drop_table("dingtalk_ids")
