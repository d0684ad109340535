"""Recurring work: the outbox poll, the timer poll and the morning digest.

APScheduler drives them in a running bot; `gendan simulate` drives the same functions under its
virtual clock. Timers themselves live in the database, never in the scheduler's job store.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import DBAPIError

from bot.intake import Intake
from bot.outbox import OutboxSender
from handlers.deliveries import undelivered_lines
from handlers.reports import Pieces, evaluation_for, pieces
from handlers.runtime import Runtime
from locales import DEFAULT_LOCALE, translate
from storage.db import database_away, reason
from storage.repositories.timers import ClaimedTimer
from workflow import archive, digest, escalation
from workflow.evaluation import monthly_period
from workflow.model import Answer, Task, Text
from workflow.roles import Role

log = logging.getLogger(__name__)

OUTBOX_JOB, TIMER_JOB, DIGEST_JOB = "outbox", "timers", "digest"
INBOX_JOB, DELIVERY_REPORT_JOB, MONTHLY_JOB = "inbox", "delivery_report", "monthly_evaluation"
LEFT_BEHIND_JOB = "inbox_left_behind"
LEFT_BEHIND_EVERY = 60.0  # seconds
ARCHIVE_JOB = "archive"
TIMER_LEASE = timedelta(minutes=2)


class TimerPoller:
    """Claims due timers and fires each in its own transaction together with its completion."""

    def __init__(self, runtime: Runtime, batch: int = 100) -> None:
        self.runtime = runtime
        self.batch = batch

    async def poll(self) -> int:
        fired = 0
        while True:
            now = self.runtime.clock.now()
            async with self.runtime.unit_of_work() as uow:
                claimed = await uow.timers.claim_due(now, self.batch, TIMER_LEASE)
                await uow.commit()
            if not claimed:
                return fired
            stale: list[tuple[ClaimedTimer, Task]] = []
            for timer in claimed:
                task = await self._fire(timer)
                if task is not None:
                    stale.append((timer, task))
                fired += 1
            if stale:
                await self._summarize(stale)
            self.runtime.wake_sender()

    async def _summarize(self, stale: list[tuple[ClaimedTimer, Task]]) -> None:
        """The stale reminders end with their summary, in one transaction: a crash before it
        leaves them leased, and the next poll summarizes them again."""
        now = self.runtime.clock.now()
        async with self.runtime.unit_of_work() as uow:
            kept = [task for timer, task in stale
                    if await uow.timers.complete(timer.id, attempt=timer.attempts)]
            if kept:
                await escalation.summarize_stale(self.runtime.context(uow, now), kept)
            await uow.commit()

    async def _fire(self, timer: ClaimedTimer) -> Task | None:
        """Fire one timer; its effects and its completion commit together or not at all. A
        stale reminder stays leased and is returned, to be summarized with the others."""
        now = self.runtime.clock.now()
        try:
            async with self.runtime.unit_of_work() as uow:
                outcome = await escalation.fire(self.runtime.context(uow, now), timer.kind,
                                                timer.subject, timer.dedupe_key, timer.due_at)
                if outcome.stale_reminder is not None:
                    await uow.rollback()
                    return outcome.stale_reminder
                if outcome.retry_at is not None:
                    kept = await uow.timers.release(timer.id, outcome.retry_at,
                                                    attempt=timer.attempts)
                else:
                    kept = await uow.timers.complete(timer.id, attempt=timer.attempts)
                if not kept:  # our lease ran out and another poller has it now
                    await uow.rollback()
                    return None
                await uow.commit()
                return None
        except Exception:
            log.exception("timer %s (%s) failed; it is retried when its lease runs out",
                          timer.id, timer.dedupe_key)
            return None

    async def next_due(self) -> datetime | None:
        async with self.runtime.unit_of_work() as uow:
            return await uow.timers.next_due_at()


class MorningJob:
    """Work done at the policy's digest time, every day (a job decides for itself about rest
    days)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        digest_time = runtime.policy.digest.time
        self.trigger = CronTrigger(hour=digest_time.hour, minute=digest_time.minute,
                                   timezone=runtime.tz)

    def next_after(self, moment: datetime) -> datetime | None:
        return self.trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))


class DigestJob(MorningJob):
    """The 09:00 digest on working days (time and days from the policy)."""

    async def run(self) -> None:
        now = self.runtime.clock.now()
        policy, calendar = self.runtime.policy, self.runtime.calendar
        if policy.digest.working_days_only and not calendar.is_working_day(
                now.astimezone(self.runtime.tz).date()):
            return
        async with self.runtime.unit_of_work() as uow:
            await digest.send_digests(self.runtime.context(uow, now))
            await uow.commit()
        self.runtime.wake_sender()


class ArchiveJob(MorningJob):
    """Every morning, before the digest so that it no longer lists them, the ended orders
    whose time in the working lists is over are archived (orders.archive_after)."""

    # Orders looked at per transaction: a database upgraded with years of ended orders is
    # archived in many short transactions, and the bot answers in between.
    BATCH = 200

    async def run(self) -> int:
        now = self.runtime.clock.now()
        after: int | None = 0
        archived = 0
        while after is not None:
            async with self.runtime.unit_of_work() as uow:
                done = await archive.archive_ended(self.runtime.context(uow, now), after,
                                                   self.BATCH)
                await uow.commit()
            archived += len(done.archived)
            after = done.last_id
            await asyncio.sleep(0)
        if archived:
            log.info("archived %d ended orders", archived)
        return archived


class DeliveryReport(MorningJob):
    """Once a day, administrators hear what could not be delivered in the last day."""

    LINES = 10

    async def run(self) -> int:
        now = self.runtime.clock.now()
        async with self.runtime.unit_of_work() as uow:
            undelivered = await uow.outbox.dead_letters(since=now - timedelta(days=1))
            if undelivered:
                ctx = self.runtime.context(uow, now)
                await ctx.tell_admins(Text("admin.undelivered_daily", {
                    "count": len(undelivered),
                    "undelivered": await undelivered_lines(uow, undelivered[:self.LINES])}))
            await uow.commit()
        if undelivered:
            self.runtime.wake_sender()
        return len(undelivered)


class MonthlyEvaluation(MorningJob):
    """The month before's evaluation to every general manager in private: the summary, the
    chart and the workbook, at the digest time on the policy's working day of the month
    (report.monthly_working_day) or the first morning after it the bot runs; a month with no
    order and no task in it (before the bot was in use) is not sent. The audit trail remembers
    each month sent, so a restart or a second process never sends it twice."""

    SENT = "report.monthly"

    async def run(self) -> int:
        runtime, now = self.runtime, self.runtime.clock.now()
        policy, calendar = runtime.policy, runtime.calendar
        period = monthly_period(calendar, now.astimezone(runtime.tz).date(),
                                policy.monthly_report_day)
        if period is None:
            return 0
        async with runtime.unit_of_work() as uow:
            if await uow.audit.exists(self.SENT, "report", period.label):
                return 0
            result = await evaluation_for(uow.reports, calendar, period, now)
            if not (result.orders or result.tasks):
                return 0  # nothing happened that month: the bot was not yet in use
            managers = await uow.people.holders(Role.GM)
            made: dict[str, Pieces] = {}
            answers: list[Answer] = []
            for person in managers:
                locale = person.locale or DEFAULT_LOCALE
                sent = made.get(locale) or made.setdefault(locale, pieces(result, locale,
                                                                           runtime.tz))
                answers += _report_answers(person.id, locale, sent)
            rows = await uow.outbox.add_answers(answers, now, runtime.lease, None)
            await uow.audit.append(at=now, actor_id=None, action=self.SENT,
                                   subject_type="report", subject_id=period.label,
                                   after={"to": [p.id for p in managers]})
            await uow.commit()
        if rows and runtime.deliver_now is not None:
            await runtime.deliver_now(rows)
        runtime.wake_sender()
        return len(managers)


def _report_answers(chat_id: int, locale: str, sent: Pieces) -> list[Answer]:
    """The summary, the chart (when a font could draw it) and the workbook, for one reader."""
    text = translate(locale, "report.monthly", period=sent.label) + "\n" + sent.text
    answers = [Answer(chat_id, text, [], "report", None)]
    if sent.picture is not None:
        answers.append(Answer(chat_id, translate(locale, "report.picture_caption",
                                                 period=sent.label), [], "report", None,
                              document_name=f"report-{sent.stem}.png", document=sent.picture,
                              as_photo=True))
    answers.append(Answer(chat_id, translate(locale, "report.workbook_caption",
                                             period=sent.label), [], "report", None,
                          document_name=f"report-{sent.stem}.xlsx", document=sent.workbook))
    return answers


class Scheduler(AsyncIOScheduler):
    """APScheduler's, stopping as the bot stops: runs under way finish, for a bounded time,
    rather than being cancelled halfway, which APScheduler would log as failed jobs. A run
    that finds the database away says so in one line (`_minding_the_database`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._under_way: set[asyncio.Task[Any]] = set()

    def add_job(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(func):  # the others run in threads, never cancelled
            func = self._tracked(func)
        return super().add_job(func, *args, **kwargs)

    def _tracked(self, job: Callable[..., Coroutine[Any, Any, Any]]
                 ) -> Callable[..., Coroutine[Any, Any, Any]]:
        @functools.wraps(job)
        async def run(*args: Any, **kwargs: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None  # APScheduler runs a coroutine job as a task
            self._under_way.add(task)
            try:
                return await _minding_the_database(job, *args, **kwargs)
            finally:
                self._under_way.discard(task)
        return run

    async def stop(self, timeout: float) -> None:
        """No new runs; wait up to `timeout` seconds for those under way, then shut down."""
        self.pause()
        if self._under_way:
            await asyncio.wait(set(self._under_way), timeout=timeout)
        self.shutdown(wait=False)


async def _minding_the_database(job: Callable[..., Coroutine[Any, Any, Any]], *args: Any,
                                **kwargs: Any) -> Any:
    """Run a job; the database restarting or away is one line a run, not APScheduler's
    traceback of a failed job every second."""
    for first_try in (True, False):
        try:
            return await job(*args, **kwargs)
        except Exception as error:
            if not database_away(error):
                raise
            if first_try and isinstance(error, DBAPIError) and error.connection_invalidated:
                # The database dropped its connections (a restart): the pool has been renewed,
                # and the run, rolled back, runs again at once rather than at its next time,
                # which for the morning digest is the next morning.
                log.warning("%s met a lost database connection (%s); running it again",
                            job.__qualname__, reason(error))
                continue
            log.warning("%s could not reach the database (%s); it runs again at its next "
                        "time", job.__qualname__, reason(error))
            return None


def start_scheduler(sender: OutboxSender, timers: TimerPoller, digests: DigestJob,
                    intake: Intake, report: DeliveryReport, monthly: MonthlyEvaluation,
                    archiving: ArchiveJob, poll_seconds: float = 1.0) -> Scheduler:
    """Scheduled work takes ids from the database each run, never live objects."""
    scheduler = Scheduler(timezone=UTC)
    for job_id, func in ((OUTBOX_JOB, sender.drain), (TIMER_JOB, timers.poll)):
        scheduler.add_job(func, "interval", seconds=poll_seconds, id=job_id, max_instances=1,
                          coalesce=True, misfire_grace_time=None)
    scheduler.add_job(intake.forget_old, "interval", hours=1, id=INBOX_JOB, max_instances=1,
                      coalesce=True, next_run_time=datetime.now(UTC))
    scheduler.add_job(intake.take_up_left_behind, "interval", seconds=LEFT_BEHIND_EVERY,
                      id=LEFT_BEHIND_JOB, max_instances=1, coalesce=True)
    for job_id, job in ((ARCHIVE_JOB, archiving), (DIGEST_JOB, digests),
                        (DELIVERY_REPORT_JOB, report), (MONTHLY_JOB, monthly)):
        scheduler.add_job(job.run, job.trigger, id=job_id, max_instances=1, coalesce=True,
                          misfire_grace_time=3600)
    scheduler.start()
    return scheduler


def wake(scheduler: AsyncIOScheduler) -> None:
    """Run the outbox poll now instead of at its next tick (a handler just queued messages)."""
    job = scheduler.get_job(OUTBOX_JOB)
    if job is not None:
        job.modify(next_run_time=datetime.now(UTC))


class MovableClock(Protocol):
    def now(self) -> datetime: ...

    def advance_to(self, moment: datetime) -> None: ...


class TimePassing:
    """Lets a movable clock pass to a moment, acting at each moment something falls due on the
    way: queued messages, timers and the morning jobs (the archive, the digest, the delivery
    report, the monthly evaluation), in the order they fall due. `gendan simulate` and the sandbox's
    `:wait` both move time this way."""

    def __init__(self, clock: MovableClock, runtime: Runtime, sender: OutboxSender) -> None:
        self.clock = clock
        self.sender = sender
        self.timers = TimerPoller(runtime)
        self.archiving = ArchiveJob(runtime)
        self.digests = DigestJob(runtime)
        self.delivery_report = DeliveryReport(runtime)
        self.monthly = MonthlyEvaluation(runtime)

    async def next_send(self) -> datetime | None:
        """When the outbox next has a message to send (one held back by the pace, too)."""
        return await self.sender.next_due()

    async def advance_to(self, moment: datetime) -> None:
        while True:
            now = self.clock.now()
            candidates = [(await self.sender.next_due(), 0), (await self.timers.next_due(), 1),
                          (self.digests.next_after(now), 2)]
            due = [(at, order) for at, order in candidates if at is not None and at <= moment]
            if not due:
                break
            at, which = min(due)
            self.clock.advance_to(at)
            if which == 1:
                await self.timers.poll()
            elif which == 2:
                await self.archiving.run()
                await self.digests.run()
                await self.delivery_report.run()
                await self.monthly.run()
                # Past the morning's moment, so that the same digest is not due again.
                self.clock.advance_to(at + timedelta(microseconds=1))
            await self.sender.drain()
        self.clock.advance_to(moment)
