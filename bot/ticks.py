"""APScheduler drives the recurring work: the outbox poll (and, later, timers and digests)."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox import OutboxSender

OUTBOX_JOB = "outbox"


def start_scheduler(sender: OutboxSender, poll_seconds: float = 1.0) -> AsyncIOScheduler:
    """Scheduled work takes ids from the database each run, never live objects."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(sender.drain, "interval", seconds=poll_seconds, id=OUTBOX_JOB,
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    return scheduler


def wake(scheduler: AsyncIOScheduler) -> None:
    """Run the outbox poll now instead of at its next tick (a handler just queued messages)."""
    job = scheduler.get_job(OUTBOX_JOB)
    if job is not None:
        job.modify(next_run_time=datetime.now(UTC))
