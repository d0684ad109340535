"""outbox: a reply to one of the bot's messages finds the order it was about by index

Revision ID: 0012
Revises: 0018
Create Date: 2026-12-03 00:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_id_message_id", ["chat_id", "message_id"],
                              unique=False)
        batch_op.create_index("ix_outbox_chat_id_edit_message_id",
                              ["chat_id", "edit_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_id_edit_message_id")
        batch_op.drop_index("ix_outbox_chat_id_message_id")
