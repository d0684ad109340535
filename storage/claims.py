"""Picking rows to lease, shared by every table that pollers claim from (timers, outbox)."""

from __future__ import annotations

from sqlalchemy import CTE, Select


def claimable(pick: Select, name: str) -> CTE:
    """The rows `pick` selects, locked for this transaction and skipped by concurrent pickers.

    SKIP LOCKED lets concurrent pollers on PostgreSQL take disjoint rows instead of queueing
    behind each other; SQLite serialises writers and ignores it. MATERIALIZED runs the pick
    once: as a plain IN subquery PostgreSQL may rescan it per row, each rescan skips the rows
    the UPDATE has just changed, and LIMIT stops limiting. The UPDATE that uses this must
    repeat the pick's condition, so a row another poller leased in between drops out.
    """
    return (
        pick.with_for_update(skip_locked=True)
        .cte(name)
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
