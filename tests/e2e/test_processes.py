"""The bot as separate processes: stopped politely, several at once, and killed with -9.

Each test starts real `gendan run` processes that talk to an emulator in this process as they
would to Telegram. The chaos test kills them at random moments in the middle of a burst and
counts what Telegram accepted: nothing lost, and a message twice only where a process died
between Telegram taking it and the process writing that down.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest

from bot.sandbox.emulator import BotApiEmulator
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.e2e.processes import BotProcess, until
from workflow.model import Notification, Text

ADMIN = 1
PEOPLE = range(100, 140)
STAMP_LAG = 0.5  # seconds


async def _prepared(database_url: str, messages: int) -> None:
    """The schema, and `messages` queued for the people, as if a burst of reminders fell due."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with SqlUnitOfWork(session_factory(engine)) as uow:
            from bot.clock import SystemClock

            now = SystemClock().now()
            for n in range(messages):
                person = PEOPLE[n % len(PEOPLE)]
                await uow.outbox.enqueue(Notification(person, Text("", {"text": f"chaos {n}"}),
                                                      "notice", None), now)
            await uow.commit()
    finally:
        await engine.dispose()


def _people(emulator: BotApiEmulator) -> None:
    emulator.add_user(ADMIN, "管理员", "admin")
    for person in PEOPLE:
        emulator.add_user(person, f"员工{person}", f"p{person}")


def _answered(emulator: BotApiEmulator, person: int) -> int:
    return sum("员工" in m.text and "ID" in m.text for m in emulator.accepted_sends(person))


async def test_sigterm_stops_a_polling_bot_within_seconds(database_url: str,
                                                           tmp_path: Path) -> None:
    await _prepared(database_url, 0)
    async with BotApiEmulator() as emulator:
        _people(emulator)
        bot = BotProcess(emulator, database_url, tmp_path / "bot.log").start()
        await until(lambda: bool(emulator.calls_to("getMe")), 30, "the bot is up")
        emulator.send_text(PEOPLE[0], PEOPLE[0], "/whoami")
        await until(lambda: _answered(emulator, PEOPLE[0]) == 1, 20, "an answer")
        await asyncio.sleep(0.5)  # in the middle of a long poll now
        loop = asyncio.get_running_loop()
        asked = loop.time()
        bot.terminate()
        assert await bot.exited(timeout=10) == 0, (tmp_path / "bot.log").read_text()
        assert loop.time() - asked < 5


async def test_processes_sharing_one_token_take_turns_at_polling(database_url: str,
                                                                  tmp_path: Path) -> None:
    await _prepared(database_url, 0)
    async with BotApiEmulator() as emulator:
        _people(emulator)
        emulator.limits.enabled = False
        bots = [BotProcess(emulator, database_url, tmp_path / f"bot{i}.log",
                           lease_seconds=2).start() for i in range(3)]
        try:
            await until(lambda: bool(emulator.calls_to("getMe")), 30, "a bot is up")
            asked = iter(PEOPLE)
            for victim in [*bots[:2], None]:
                people = [next(asked) for _ in range(5)]
                for person in people:
                    emulator.send_text(person, person, "/whoami")
                await until(lambda people=people: all(_answered(emulator, p) == 1
                                                      for p in people), 20,
                            "every question answered, by whoever polls now")
                if victim is not None:
                    victim.kill()  # the one polling, or not: the others must carry on
            conflicts = [c for c in emulator.calls_to("getUpdates") if c.error_code == 409]
            assert conflicts == []  # never two consumers of one token at once
        finally:
            for bot in bots:
                bot.kill()


@pytest.mark.parametrize(("processes", "slow"), [(1, None), (3, 0.05)],
                         ids=["one process", "three processes, slow API"])
async def test_kill_9_in_the_middle_of_a_burst_loses_nothing(
    database_url: str, tmp_path: Path, processes: int, slow: float | None,
) -> None:
    messages, kills = 400, 5
    await _prepared(database_url, messages)
    chance = random.Random(20261202 + processes)
    async with BotApiEmulator() as emulator:
        _people(emulator)
        emulator.limits.enabled = False  # our own pacing still holds; Telegram's is not tested
        emulator.slow(slow)
        for person in PEOPLE:  # questions waiting when the burst starts
            emulator.send_text(person, person, "/whoami")
        # A short lease: with a slow API, a batch outlasts it many times over, so a process
        # that stopped renewing it would lose its rows to the others.
        bots = [BotProcess(emulator, database_url, tmp_path / f"bot{i}.log",
                           lease_seconds=2).start() for i in range(processes)]
        killed_at: list[float] = []
        try:
            for _ in range(kills):
                await asyncio.sleep(chance.uniform(0.5, 2.5))
                victim = chance.choice(bots)
                killed_at.append(emulator.clock())
                victim.kill()
                victim.start()

            def delivered() -> set[str]:
                return {m.text for m in emulator.accepted_sends() if m.text.startswith("chaos ")}

            await until(lambda: len(delivered()) == messages
                        and all(_answered(emulator, p) >= 1 for p in PEOPLE), 60,
                        "everything delivered after the kills")
        finally:
            for bot in bots:
                bot.kill()
    copies = Counter(m.text for m in emulator.accepted_sends() if m.text.startswith("chaos "))
    answers = Counter(person for person in PEOPLE for _ in range(_answered(emulator, person)))
    assert len(copies) == messages and all(answers[p] >= 1 for p in PEOPLE)  # none lost
    first_accepted = {}
    for message in emulator.accepted_sends():
        first_accepted.setdefault((message.chat_id, message.text), message.date)
    twice = [key for key, count in Counter((m.chat_id, m.text)
                                           for m in emulator.accepted_sends()).items()
             if count > 1]
    for key in twice:  # Telegram took it, and the process died before it could write that down
        taken = first_accepted[key]
        # A send already on its way when the process was killed is stamped when the emulator
        # reads it: after the kill and the restart, which block this loop, have returned.
        assert any(taken - STAMP_LAG <= kill <= taken + 1.0 + (slow or 0)
                   for kill in killed_at), key
    print(f"\nchaos ({processes} process(es), slow={slow}): {messages} messages and "
          f"{len(PEOPLE)} questions, {kills} kills: lost 0, duplicates {len(twice)}")
