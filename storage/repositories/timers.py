"""Durable timers: scheduled in the command's transaction, claimed by pollers under a lease.

A poll claims due rows with one conditional UPDATE, so a timer is leased to exactly one poller
even when several bot processes share one PostgreSQL. A poller that dies leaves a lease behind;
when it expires the timer is due again and another poll takes it (at-least-once across crashes,
at-most-once while leases hold). The claim's ``attempts`` is the fencing token: a poller that
outlived its lease finds that ``complete``/``release`` with its stale attempt change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.claims import claimable
from storage.models import TimerRow

# Stored as text and never renumbered: old rows must keep their meaning across releases.
PENDING = "pending"
LEASED = "leased"
DONE = "done"
CANCELLED = "cancelled"

timers = TimerRow.__table__


def _live() -> ColumnElement[bool]:
    """storage.models.LIVE_TIMER, values inlined so the partial indexes apply (see there)."""
    return TimerRow.status.in_(
        bindparam("live_statuses", [PENDING, LEASED], expanding=True, literal_execute=True)
    )


def _leased() -> ColumnElement[bool]:
    """storage.models.LEASED_TIMER, inlined likewise."""
    return TimerRow.status == bindparam("leased_status", LEASED, literal_execute=True)


@dataclass(frozen=True)
class ClaimedTimer:
    id: int
    kind: str
    subject: str
    due_at: datetime
    dedupe_key: str
    attempts: int


class TimerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self):
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(timers)

    async def schedule(self, kind: str, subject: str, due_at: datetime, dedupe_key: str) -> bool:
        """Add a timer; False (and no change) when one with this dedupe_key exists in any state.

        A key is spent once used: a fired or cancelled timer is not scheduled again under it,
        which is what makes re-running a command or replaying an update harmless.
        """
        statement = (
            self._insert()
            .values(kind=kind, subject=subject, due_at=due_at, dedupe_key=dedupe_key,
                    status=PENDING, lease_until=None, attempts=0)
            .on_conflict_do_nothing(index_elements=[timers.c.dedupe_key])
            .returning(timers.c.id)
        )
        return (await self.session.execute(statement)).scalar() is not None

    async def reschedule(self, dedupe_key: str, due_at: datetime) -> bool:
        """Move a pending (or in-flight) timer; False when it fired, was cancelled or is unknown.

        An in-flight timer goes back to pending, so the poller holding it finds its lease gone.
        """
        result = await self.session.execute(
            update(timers)
            .where(timers.c.dedupe_key == dedupe_key, _live())
            .values(due_at=due_at, status=PENDING, lease_until=None)
        )
        return result.rowcount == 1

    async def cancel(self, dedupe_key: str) -> bool:
        result = await self.session.execute(
            update(timers)
            .where(timers.c.dedupe_key == dedupe_key, _live())
            .values(status=CANCELLED, lease_until=None)
        )
        return result.rowcount == 1

    async def cancel_subject(self, subject: str) -> int:
        """Cancel every live timer of a subject such as "task:12"; how many were cancelled."""
        result = await self.session.execute(
            update(timers)
            .where(timers.c.subject == subject, _live())
            .values(status=CANCELLED, lease_until=None)
        )
        return result.rowcount

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[ClaimedTimer]:
        """Lease up to ``limit`` due timers, oldest due first, each to this caller alone.

        Due means pending with due_at reached, or leased by a poller whose lease has expired.
        The rows are free for others again once this transaction commits, so commit promptly.
        """
        # A leased row was due when it was claimed, so "due_at <= now" holds for it too; stating
        # it for both lets one ordered scan of the partial index serve pending and stale leases.
        due = and_(
            _live(),
            TimerRow.due_at <= now,
            or_(TimerRow.status == PENDING, TimerRow.lease_until <= now),
        )
        candidates = claimable(
            select(TimerRow.id).where(due).order_by(TimerRow.due_at, TimerRow.id).limit(limit),
            "claimable_timers",
        )
        result = await self.session.execute(
            update(timers)
            .where(timers.c.id.in_(select(candidates.c.id)), due)
            .values(status=LEASED, lease_until=now + lease, attempts=timers.c.attempts + 1)
            .returning(timers.c.id, timers.c.kind, timers.c.subject, timers.c.due_at,
                       timers.c.dedupe_key, timers.c.attempts)
        )
        claimed = [ClaimedTimer(*row) for row in result]
        claimed.sort(key=lambda timer: (timer.due_at, timer.id))
        return claimed

    async def complete(self, timer_id: int, *, attempt: int | None = None) -> bool:
        """Mark a claimed timer done; False when the lease was lost (expired and re-claimed,
        rescheduled or cancelled meanwhile). Pass the claim's ``attempts`` to fence a poller
        that overran its lease."""
        return await self._finish(timer_id, attempt, status=DONE, lease_until=None)

    async def release(self, timer_id: int, retry_at: datetime, *,
                      attempt: int | None = None) -> bool:
        """Hand a claimed timer back for a later try (the action failed, or must wait)."""
        return await self._finish(timer_id, attempt, status=PENDING, due_at=retry_at,
                                  lease_until=None)

    async def _finish(self, timer_id: int, attempt: int | None, **values: object) -> bool:
        statement = update(timers).where(timers.c.id == timer_id, timers.c.status == LEASED)
        if attempt is not None:
            statement = statement.where(timers.c.attempts == attempt)
        result = await self.session.execute(statement.values(**values))
        return result.rowcount == 1

    async def next_due_at(self) -> datetime | None:
        """When the next poll has work: the earliest pending due_at or expiring lease."""
        pending = await self.session.scalar(
            select(func.min(TimerRow.due_at)).where(_live(), TimerRow.status == PENDING)
        )
        lease_ends = await self.session.scalar(
            select(func.min(TimerRow.lease_until)).where(_leased())
        )
        moments = [moment for moment in (pending, lease_ends) if moment is not None]
        return min(moments) if moments else None

    async def pending_count(self) -> int:
        """Timers still to fire, in flight included."""
        return await self.session.scalar(
            select(func.count()).select_from(timers).where(_live())
        ) or 0
