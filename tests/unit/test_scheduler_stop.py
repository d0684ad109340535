"""The bot's scheduler (bot/ticks.py): a run under way is let finish when it stops, within a
bound; a run that met a connection the database dropped runs again at once."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.ticks import Scheduler


async def _started(job, scheduler: Scheduler, started: asyncio.Event) -> None:
    scheduler.add_job(job, "interval", seconds=60, next_run_time=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)


async def test_a_run_under_way_finishes_and_nothing_is_logged_as_failed(
        caplog: pytest.LogCaptureFixture) -> None:
    """A drain that was sending when the bot stopped ends its batch; it is not cancelled
    halfway and logged as a job that raised."""
    scheduler = Scheduler(timezone=UTC)
    started, finished = asyncio.Event(), []

    async def drain() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.append("sent")

    await _started(drain, scheduler, started)
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    assert finished == ["sent"]
    assert not scheduler.running
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_run_that_hangs_is_cancelled_once_the_bound_has_passed() -> None:
    scheduler = Scheduler(timezone=UTC)
    started, outcome = asyncio.Event(), []

    async def hangs() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    await _started(hangs, scheduler, started)
    await asyncio.wait_for(scheduler.stop(timeout=0.1), 10)
    await asyncio.sleep(0)  # the cancellation reaches the job
    assert outcome == ["cancelled"] and not scheduler.running


async def test_no_new_run_starts_while_stopping() -> None:
    """The poll that falls due while a run finishes (the outbox's tick every second) waits for
    the next start instead."""
    scheduler = Scheduler(timezone=UTC)
    started, runs = asyncio.Event(), []

    async def slow() -> None:
        runs.append("slow")
        started.set()
        await asyncio.sleep(0.3)

    async def tick() -> None:
        runs.append("tick")

    scheduler.add_job(tick, "interval", seconds=0.05, start_date=datetime.now(UTC))
    await _started(slow, scheduler, started)
    await asyncio.sleep(0.1)
    ticks_before = runs.count("tick")
    await scheduler.stop(timeout=5)
    # A tick already handed to the loop may still run; unpaused, six more would fall due
    # while the slow run finishes.
    assert runs.count("tick") <= ticks_before + 1 and runs.count("slow") == 1


def _lost_connection() -> DBAPIError:
    return DBAPIError("SELECT 1", None, ConnectionResetError("terminating connection"),
                      connection_invalidated=True)


async def test_a_run_that_met_a_dropped_connection_runs_again_at_once(
        caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL restarted: the first run to meet a dead connection is run again on a new
    one, with one line in the log, not APScheduler's traceback of a failed job."""
    scheduler = Scheduler(timezone=UTC)
    started, runs = asyncio.Event(), []

    async def digest() -> None:
        runs.append("run")
        if len(runs) == 1:
            raise _lost_connection()
        started.set()

    with caplog.at_level(logging.INFO):
        await _started(digest, scheduler, started)
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    assert runs == ["run", "run"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in warnings] == [None]
    assert "running it again" in warnings[0].getMessage()


async def test_a_database_that_cannot_be_reached_is_one_line_a_run(
        caplog: pytest.LogCaptureFixture) -> None:
    """The database restarting or down: each run says so in one line, without a traceback,
    and the job runs again at its next time."""
    scheduler = Scheduler(timezone=UTC)
    started, runs = asyncio.Event(), []

    async def poll() -> None:
        runs.append("run")
        started.set()
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    with caplog.at_level(logging.INFO):
        await _started(poll, scheduler, started)
        await asyncio.sleep(0.1)
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    assert runs == ["run"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in warnings] == [None]
    assert "could not reach the database" in warnings[0].getMessage()
    assert "Connect call failed" in warnings[0].getMessage()


@pytest.mark.parametrize("failure", [
    IntegrityError("INSERT …", None, ValueError("a bug")),
    OSError(28, "No space left on device"),  # the backup's disk, not the database
])
async def test_other_failures_are_logged_with_their_traceback(
        failure: Exception, caplog: pytest.LogCaptureFixture) -> None:
    scheduler = Scheduler(timezone=UTC)
    started, runs = asyncio.Event(), []

    async def broken() -> None:
        runs.append("run")
        started.set()
        raise failure

    with caplog.at_level(logging.INFO, logger="apscheduler"):
        await _started(broken, scheduler, started)
        await asyncio.sleep(0.1)
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    assert runs == ["run"]
    assert any("raised an exception" in r.getMessage() for r in caplog.records)


async def test_a_failure_without_words_is_named_by_its_kind(
        caplog: pytest.LogCaptureFixture) -> None:
    """A connection reset with no message still makes one line (its kind), not an error in
    the logging of the error."""
    scheduler = Scheduler(timezone=UTC)
    started = asyncio.Event()

    async def poll() -> None:
        started.set()
        raise ConnectionResetError()

    with caplog.at_level(logging.INFO):
        await _started(poll, scheduler, started)
        await asyncio.sleep(0.1)
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert [w.rpartition(".")[2] for w in warnings] == [
        "poll could not reach the database (ConnectionResetError); it runs again at its next "
        "time"]


async def test_every_connection_busy_past_the_pools_timeout_is_one_line_a_run(
        caplog: pytest.LogCaptureFixture) -> None:
    """Whatever `database_away` counts as the database's trouble is one line here too: the
    scheduler asks it rather than keeping its own list of errors."""
    scheduler = Scheduler(timezone=UTC)
    started = asyncio.Event()

    async def poll() -> None:
        started.set()
        raise PoolTimeout("QueuePool limit of size 15 overflow 0 reached")

    with caplog.at_level(logging.INFO):
        await _started(poll, scheduler, started)
        await asyncio.sleep(0.1)
        await asyncio.wait_for(scheduler.stop(timeout=5), 10)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in warnings] == [None]
    assert "could not reach the database (TimeoutError: QueuePool limit" in (
        warnings[0].getMessage())
