"""Stopping the bot's scheduler (bot/ticks.py): a run under way is let finish, within a bound."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

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
