"""A backup taken while the bot works loses nothing that was committed before it started.

A real `gendan run` process talks to the emulator in this process as to Telegram while twenty
sales reps keep posting orders, each waiting for the bot's card before posting the next. In
the middle of that, `gendan backup` runs as its own process, as an administrator would run
it, and `gendan restore` puts the backup into an empty database. Every order draft the live
database held just before the backup started must be in the restored copy; the copy must hold
no draft without the card written in the same transaction, nor a card without its draft; and
the bot must have kept answering while backups ran. One backup is over in about a second, less
than the bot's own pacing of a chat, so backups are taken one after another for a few seconds
and the answers are counted over all of them.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import insert, select

from bot.admin import import_roster
from bot.sandbox.emulator import BotApiEmulator
from bot.settings import Settings
from storage.db import create_engine
from storage.models import AuditEventRow, OrderDraftRow, OutboxRow
from tests.databases import another_database
from tests.e2e.processes import ROOT, BotProcess, until
from tests.integration.every_table import NESTED, T1

REPS = range(100, 120)
HISTORY = 30_000  # audit rows already there, so that the copy is not over in an instant
BACKING_UP = 4.0  # seconds of back-to-back backups: several rounds of every rep's pacing
CARD = "请核对订单"


async def _company(database_url: str, folder: Path) -> None:
    """The reps with the market role, from a roster file, and a long history."""
    roster = folder / "roster.toml"
    roster.write_text("".join(f'[[people]]\nid = {rep}\nname = "销售{rep}"\nroles = ["market"]\n'
                              for rep in REPS), encoding="utf-8")
    await import_roster(Settings(database_url=database_url), roster)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(AuditEventRow), [
                {"at": T1, "action": "history", "subject_type": "order",
                 "subject_id": str(n), "after": NESTED} for n in range(HISTORY)])
    finally:
        await engine.dispose()


async def _keep_ordering(emulator: BotApiEmulator, rep: int, stop: asyncio.Event,
                         answered: list[str]) -> None:
    """Post an order, wait for its card, post the next, until told to stop."""
    number = 0
    while not stop.is_set():
        customer = f"恒通{rep}{number:04d}"
        emulator.send_text(rep, rep, f"/order 客户:{customer} 产品:电机 数量:{number + 1}台 "
                                     "交期:12月20日")
        await until(lambda customer=customer: any(
            f"客户：{customer}\n" in m.text for m in emulator.accepted_sends(rep)), 30,
            f"the card for {customer}")
        answered.append(customer)
        number += 1


async def _customers(url: str) -> tuple[set[str], set[str]]:
    """The customers of the drafts, and of the cards the bot wrote for the reps."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            drafts = {fields["customer"] for fields in
                      await connection.scalars(select(OrderDraftRow.fields))}
            cards = {text.split("客户：", 1)[1].split("\n", 1)[0] for text in
                     (params["text"] for params in await connection.scalars(
                         select(OutboxRow.params).where(OutboxRow.chat_id.in_(list(REPS)))))
                     if CARD in text}
    finally:
        await engine.dispose()
    return drafts, cards


async def _gendan(*args: str) -> str:
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, errors = await command.communicate()
    assert command.returncode == 0, errors.decode()
    return out.decode()


async def test_a_backup_taken_while_orders_come_in_restores_everything_committed_before_it(
        database_url: str, tmp_path: Path) -> None:
    await _company(database_url, tmp_path)
    folder = tmp_path / "backups"
    async with BotApiEmulator() as emulator:
        emulator.limits.enabled = False  # the bot's own pacing still holds
        for rep in REPS:
            emulator.add_user(rep, f"销售{rep}", f"rep{rep}")
        bot = BotProcess(emulator, database_url, tmp_path / "bot.log").start()
        stop, answered = asyncio.Event(), []
        reps = [asyncio.create_task(_keep_ordering(emulator, rep, stop, answered))
                for rep in REPS]
        try:
            await until(lambda: len(answered) >= 2 * len(REPS), 60, "the reps' first cards")
            committed, _ = await _customers(database_url)
            answered_before, clock = len(answered), asyncio.get_running_loop().time
            started, wrote = clock(), []
            while not wrote or clock() - started < BACKING_UP:
                wrote.append(await _gendan("backup", "--db", database_url,
                                           "--to", str(folder / str(len(wrote)))))
            answered_during = len(answered) - answered_before
            stop.set()
            await asyncio.gather(*reps)
        finally:
            stop.set()
            bot.terminate()
            assert await bot.exited(timeout=20) == 0, (tmp_path / "bot.log").read_text()
        live, _ = await _customers(database_url)

    assert all("checked" in report for report in wrote)
    assert answered_during > 0, "the bot stopped answering while the backups ran"
    (backup,) = (folder / "0").iterdir()  # the first, taken just after `committed` was read
    async with another_database(database_url, tmp_path) as empty:
        await _gendan("restore", str(backup), "--db", empty)
        restored, cards = await _customers(empty)

    assert len(committed) >= 2 * len(REPS)
    assert committed - restored == set(), "committed before the backup, missing from it"
    assert restored <= live
    assert restored == cards, "a draft without its card, or a card without its draft"
    print(f"\nbackup under load: {len(committed)} drafts before it, {len(restored)} in it, "
          f"{len(live)} at the end; {answered_during} orders answered while {len(wrote)} "
          "backups ran")
