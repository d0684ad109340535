"""DingTalk's conversation and staff ids beside Gendan's numbers; what our messages show

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
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
        "dingtalk_messages",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("markup", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dingtalk_messages")),
    )
    op.create_index(op.f("ix_dingtalk_messages_chat_id"), "dingtalk_messages", ["chat_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dingtalk_messages_chat_id"), table_name="dingtalk_messages")
    op.drop_table("dingtalk_messages")
    op.drop_table("dingtalk_ids")
