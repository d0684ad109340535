"""What `gendan` leaves out of its log: expected noise, and only that."""

from __future__ import annotations

import logging

from bot.cli import quiet_skipped_ticks


def _kept(logger: logging.Logger, message: str) -> bool:
    record = logger.makeRecord(logger.name, logging.WARNING, __file__, 1, message, (), None)
    return bool(logger.filter(record))


def test_a_skipped_one_second_poll_is_not_a_warning_but_other_scheduler_warnings_are() -> None:
    quiet_skipped_ticks()
    scheduler = logging.getLogger("apscheduler.scheduler")
    assert not _kept(scheduler, 'Execution of job "OutboxSender.drain (trigger: interval'
                                '[0:00:01], next run at: 2026-12-03 08:05:19 UTC)" skipped: '
                                'maximum number of running instances reached (1)')
    assert _kept(scheduler, 'Run time of job "DigestJob.run" was missed by 0:10:00')
