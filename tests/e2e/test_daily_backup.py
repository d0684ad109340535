"""The bot's own daily backup, at the policy's time, through the whole bot under a virtual
clock: administrators hear in private when it fails, a success is logged, old backups go."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.backups import DailyBackup
from bot.simulate import Stack
from storage.backup import EXTENSIONS, Retention, database
from tests.e2e.conftest import ADMIN, LIMING, set_up_company


def _job(stack: Stack, folder: Path, keep: Retention | None = None) -> DailyBackup:
    return DailyBackup(stack.gendan.runtime, stack.gendan.settings.database_url, folder,
                       keep or Retention())


async def _at_backup_time(stack: Stack, job: DailyBackup) -> None:
    moment = job.next_after(stack.clock.now())
    assert moment is not None
    await stack.advance_to(moment)


async def test_a_failed_backup_is_told_to_the_administrators_with_the_reason(
        stack: Stack, tmp_path: Path) -> None:
    await set_up_company(stack)
    in_the_way = tmp_path / "backups"
    in_the_way.write_text("a file where the backup folder should be")
    job = _job(stack, in_the_way)
    await _at_backup_time(stack, job)

    assert await job.run() is None
    await stack.sender.drain()

    (told,) = [m for m in stack.messages if m["chat"] == ADMIN and "💾" in m["text"]]
    assert told["at"].startswith("2026-11-25T02:00")
    assert "2026-11-25 02:00 的数据库自动备份没有成功" in told["text"]
    assert f"cannot create the backup folder {in_the_way}: File exists" in told["text"]
    assert f"备份存放在：{in_the_way}" in told["text"]
    assert not any("💾" in m["text"] for m in stack.messages if m["chat"] == LIMING)


async def test_the_bot_answers_the_administrators_in_their_language(
        stack: Stack, tmp_path: Path) -> None:
    await stack.say(ADMIN, ADMIN, "/lang en")
    (tmp_path / "backups").write_text("")
    job = _job(stack, tmp_path / "backups")
    await _at_backup_time(stack, job)
    await job.run()
    await stack.sender.drain()
    (told,) = [m["text"] for m in stack.messages if m["chat"] == ADMIN and "💾" in m["text"]]
    assert told.startswith("💾 The automatic database backup of 2026-11-25 02:00 did not succeed")


async def test_daily_backups_are_logged_and_the_old_ones_pruned(
        stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    await set_up_company(stack)
    folder = tmp_path / "backups"
    job = _job(stack, folder, Retention(daily=3, weekly=0, monthly=0))
    caplog.set_level(logging.INFO, logger="bot.backups")
    for _ in range(5):
        await _at_backup_time(stack, job)
        backup = await job.run()
        assert backup is not None and backup.counts["people"] == 5

    # 02:00 in Shanghai is 18:00 UTC the day before.
    db = database(stack.gendan.settings.database_url)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{db.name}-202611{day}T180000Z.{EXTENSIONS[db.kind]}" for day in (26, 27, 28)]
    assert sum("written and checked" in r.getMessage() for r in caplog.records) == 5
    assert not [m for m in stack.messages if m["chat"] == ADMIN and "💾" in m["text"]]


async def test_processes_sharing_a_database_back_it_up_once(stack: Stack, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    first, second = _job(stack, folder), _job(stack, folder)
    await _at_backup_time(stack, first)
    assert await first.run() is not None
    assert await second.run() is None
    assert len(list(folder.iterdir())) == 1
