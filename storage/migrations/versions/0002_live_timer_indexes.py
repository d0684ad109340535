"""partial indexes over live timers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the predicates in storage.models: a migration must not change when models do.
LIVE_TIMER = "status IN ('pending', 'leased')"
LEASED_TIMER = "status = 'leased'"


def _where(predicate: str) -> dict[str, sa.TextClause]:
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade() -> None:
    # (status, due_at) indexed every fired timer forever, and SQLite without statistics chose it
    # for the claim and then sorted every overdue row to find the oldest hundred.
    op.drop_index("ix_timers_status_due", table_name="timers")
    op.create_index("ix_timers_live_due", "timers", ["due_at", "id"], **_where(LIVE_TIMER))
    op.create_index("ix_timers_live_subject", "timers", ["subject"], **_where(LIVE_TIMER))
    op.create_index("ix_timers_lease_until", "timers", ["lease_until"], **_where(LEASED_TIMER))


def downgrade() -> None:
    op.drop_index("ix_timers_lease_until", table_name="timers")
    op.drop_index("ix_timers_live_subject", table_name="timers")
    op.drop_index("ix_timers_live_due", table_name="timers")
    op.create_index("ix_timers_status_due", "timers", ["status", "due_at"])
