"""inbox: a partial index on the updates not handled yet, which every process looks for each
minute among the two days of handled ones

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Written out as the model writes it (storage.models.UNHANDLED) at this revision.
UNHANDLED = sa.text("status = 'new'")

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbox_unhandled", "inbox", ["received_at"], sqlite_where=UNHANDLED,
                    postgresql_where=UNHANDLED)


def downgrade() -> None:
    op.drop_index("ix_inbox_unhandled", "inbox")
