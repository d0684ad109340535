"""The daily backup the bot makes of its own database, at the policy's time.

The copy runs off the event loop (SQLite in a worker thread, PostgreSQL in `pg_dump`), so the
bot keeps answering meanwhile. A success is logged; administrators hear in private, through
the outbox, when a backup or the pruning after it fails, with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

from bot.settings import Settings
from handlers.runtime import Runtime
from storage.backup import Backup, Retention, prune, take_backup
from workflow.context import local_time
from workflow.model import Text

log = logging.getLogger(__name__)

BACKUP_JOB = "backup"
# Processes sharing one database back it up once: the first to start today's backup holds
# this for longer than a backup takes.
LEASE = timedelta(hours=1)


class DailyBackup:
    def __init__(self, runtime: Runtime, database_url: str, directory: Path,
                 keep: Retention) -> None:
        policy = runtime.policy
        self.runtime = runtime
        self.database_url = database_url
        self.directory = directory
        self.keep = keep
        self.trigger = CronTrigger(hour=policy.backup.time.hour, minute=policy.backup.time.minute,
                                   timezone=runtime.tz)
        self.holder = uuid.uuid4().hex

    @classmethod
    def from_settings(cls, runtime: Runtime, settings: Settings) -> DailyBackup:
        return cls(runtime, settings.database_url, settings.backups(), settings.backup_keep)

    def next_after(self, moment: datetime) -> datetime | None:
        return self.trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))

    async def run(self) -> Backup | None:
        """Today's backup, or None when it failed or another process is taking it."""
        now = self.runtime.clock.now()
        try:
            if not await self._ours(now):
                return None
            backup = await take_backup(self.database_url, self.directory, now)
        except Exception as exc:
            log.exception("the daily backup into %s failed", self.directory)
            await self._tell_admins(now, Text("backup.failed", {
                "when": local_time(now, self.runtime.tz), "directory": str(self.directory),
                "reason": _reason(exc)}))
            return None
        log.info("backup %s written and checked: %d tables, %d rows", backup.path,
                 len(backup.counts), backup.rows)
        try:
            removed = await asyncio.to_thread(prune, self.directory, self.keep, backup.path)
        except OSError as exc:
            log.exception("old backups in %s could not be removed", self.directory)
            await self._tell_admins(now, Text("backup.prune_failed", {
                "file": str(backup.path), "reason": _reason(exc)}))
        else:
            if removed:
                log.info("removed %d old backups (keeping %s)", len(removed), self.keep)
        return backup

    async def _ours(self, now: datetime) -> bool:
        async with self.runtime.unit_of_work() as uow:
            held = await uow.leases.hold(BACKUP_JOB, self.holder, now, now + LEASE)
            await uow.commit()
        return held

    async def _tell_admins(self, now: datetime, text: Text) -> None:
        try:
            async with self.runtime.unit_of_work() as uow:
                await self.runtime.context(uow, now).tell_admins(text)
                await uow.commit()
        except Exception:  # the database itself may be what failed; the log has it
            log.exception("could not tell the administrators that the backup failed")
            return
        self.runtime.wake_sender()


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__
