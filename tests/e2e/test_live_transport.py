"""The bot as it really runs: long polling and the webhook, against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, text, update

from bot.app import bootstrap, build_application, make_sender
from bot.clock import SystemClock
from bot.runner import serve
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from bot.settings import Settings
from bot.webhook import SECRET_HEADER
from storage.db import create_engine
from storage.models import AuditEventRow, InboxRow
from storage.repositories.turns import TurnStart
from workflow.model import Notification, Text

ADMIN = 1


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for something the bot does on its own; fails only if it never happens."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the bot never did it"
        await asyncio.sleep(0.01)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_long_polling_answers_commands(database_url: str) -> None:
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        emulator.add_group(-1001, "市场部")
        stop = asyncio.Event()
        bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop))
        emulator.send_text(-1001, ADMIN, "/bind 市场部")
        emulator.send_text(-1001, ADMIN, "/whoami")
        await _until(lambda: len(emulator.messages(-1001)) == 2)
        stop.set()
        await asyncio.wait_for(bot, 10)
    texts = [m.text for m in emulator.messages(-1001)]
    assert "本群已绑定为市场部的群" in texts[0] and "市场部的群" in texts[1]


async def _inbox(settings: Settings) -> dict[int, dict]:
    gendan = await bootstrap(settings, SystemClock(), migrate=False)
    try:
        async with gendan.sessions() as session:
            rows = await session.execute(select(InboxRow.update_id, InboxRow.payload))
            return {row.update_id: row.payload for row in rows}
    finally:
        await gendan.close()


async def _statuses(settings: Settings) -> list[str]:
    return [status for status, _ in await _inbox_rounds(settings)]


async def _inbox_rounds(settings: Settings) -> list[tuple[str, int]]:
    """Each update's status and the rounds of tries it failed, in the order they came."""
    gendan = await bootstrap(settings, SystemClock(), migrate=False)
    try:
        async with gendan.sessions() as session:
            rows = await session.execute(select(InboxRow.status, InboxRow.failures)
                                         .order_by(InboxRow.update_id))
            return [(row.status, row.failures) for row in rows]
    finally:
        await gendan.close()


async def test_the_inbox_keeps_each_update_as_telegram_sent_it(database_url: str) -> None:
    """What is kept for a restart is Telegram's own JSON, fields the library drops included
    (a null it leaves out, a field it does not know), not the library's re-encoding of it."""
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        emulator.add_group(-1001, "市场部")
        emulator.send_text(-1001, ADMIN, "/whoami")
        sent = emulator.pending_updates[-1]
        sent["message"]["author_signature"] = None
        sent["message"]["field_from_a_later_api"] = {"kept": True}
        expected = copy.deepcopy(sent)
        stop = asyncio.Event()
        bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop))
        await _until(lambda: bool(emulator.messages(-1001)))
        stop.set()
        await asyncio.wait_for(bot, 10)
    assert (await _inbox(settings))[expected["update_id"]] == expected


async def test_webhook_checks_the_secret_and_handles_updates(database_url: str) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/tg"
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}), bot_token="x",
                        webhook_url=url, webhook_secret="s3cret-token",
                        webhook_listen=f"127.0.0.1:{port}")
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        stop = asyncio.Event()
        bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop))
        await _until(lambda: bool(emulator.calls_to("setWebhook")))
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 1764000000, "text": "/whoami",
            "chat": {"id": ADMIN, "type": "private", "first_name": "管理员"},
            "from": {"id": ADMIN, "is_bot": False, "first_name": "管理员"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}
        secret = {SECRET_HEADER: "s3cret-token"}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as missing:
                assert missing.status == 401
            async with http.post(url, json=update,
                                 headers={SECRET_HEADER: "s3cret-tokeX"}) as wrong:
                assert wrong.status == 403
            for junk in (b"{not json", b"[]", b"null", b"42", b'"x"',
                         b"[" * 200_000 + b"]" * 200_000,
                         b'{"update_id": "7", "message": {}}', b'{"update_id": true}',
                         b'{"update_id": -3}'):
                async with http.post(url, data=junk, headers=secret) as refused:
                    assert refused.status == 400, junk[:40]
        # The real path: the emulator delivers to the webhook the bot registered.
        emulator.send_text(ADMIN, ADMIN, "/whoami")
        await _until(lambda: bool(emulator.messages(ADMIN)))
        stop.set()
        await asyncio.wait_for(bot, 10)
    assert "管理员" in emulator.messages(ADMIN)[0].text


async def test_queued_messages_survive_a_restart_and_go_out_once(database_url: str) -> None:
    settings = Settings(database_url=database_url)
    first = await bootstrap(settings, SystemClock())
    async with first.runtime.unit_of_work() as uow:
        for i in range(5):
            await uow.outbox.enqueue(Notification(-1001, Text("lang.done"), "notice", f"SO-{i}"),
                                     first.runtime.clock.now())
        await uow.commit()
    await first.close()  # the process stops before sending anything

    async with BotApiEmulator() as emulator:
        emulator.add_group(-1001, "市场部")
        emulator.limits.enabled = False
        second = await bootstrap(settings, SystemClock())
        application = build_application(second, DEFAULT_TOKEN, base_url=emulator.base_url)
        async with application:
            sender = make_sender(second, application)
            sender.pacer.per_chat_gap = 0
            assert await sender.drain() == 5
            assert await sender.drain() == 0
        await second.close()
        assert len(emulator.messages(-1001)) == 5
        assert [c.ok for c in emulator.calls_to("sendMessage")] == [True] * 5


async def test_sender_honours_retry_after(database_url: str) -> None:
    from bot.clock import VirtualClock
    from tests.conftest import START

    clock = VirtualClock(START)
    settings = Settings(database_url=database_url)
    gendan = await bootstrap(settings, clock)
    async with BotApiEmulator(clock=clock.timestamp) as emulator:
        emulator.add_group(-1001, "市场部")
        application = build_application(gendan, DEFAULT_TOKEN, base_url=emulator.base_url)
        async with application:
            sender = make_sender(gendan, application)
            sender.pacer.per_chat_gap = 0  # let the emulator, not our pacer, push back
            async with gendan.runtime.unit_of_work() as uow:
                for i in range(6):
                    await uow.outbox.enqueue(
                        Notification(-1001, Text("lang.done"), "notice", f"SO-{i}"), clock.now())
                await uow.commit()
            sent = await sender.drain()
            assert sent < 6 and emulator.rejected_429 >= 1
            while (due := await sender.next_due()) is not None:
                clock.advance_to(due)
                sent += await sender.drain()
        assert sent == 6 and len(emulator.messages(-1001)) == 6
    await gendan.close()



@contextlib.asynccontextmanager
async def _serving_groups(settings: Settings, groups: list[int]
                          ) -> AsyncIterator[BotApiEmulator]:
    """The bot running as `gendan run` runs it, with the administrator in each of `groups`."""
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        for group in groups:
            emulator.add_group(group, f"部门{group}")
        stop = asyncio.Event()
        bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop))
        try:
            yield emulator
        finally:
            stop.set()
            await asyncio.wait_for(bot, 10)


async def test_what_start_up_built_is_left_out_of_collections_while_the_bot_runs(
        database_url: str) -> None:
    """The collector's full passes would walk everything start-up built, for as long as the
    bot runs (bench/bench_bot.py measures what that cost); it is frozen once the bot is up,
    and handed back when it stops."""
    import gc

    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with _serving_groups(settings, [-1001]) as emulator:
        emulator.send_text(-1001, ADMIN, "/whoami")
        await _until(lambda: bool(emulator.messages(-1001)))
        frozen = gc.get_freeze_count()
    assert frozen > 100_000  # the modules, the mappings, the policy, the catalogs
    assert gc.get_freeze_count() == 0


async def test_someone_new_writing_in_several_groups_at_once_is_answered_in_each(
        database_url: str) -> None:
    """Each group's updates are handled beside the others', so the first sight of a person
    comes in several turns at the same moment: each of them writes the person, and each is
    answered."""
    groups = [-1001 - i for i in range(12)]
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with _serving_groups(settings, groups) as emulator:
        for group in groups:
            emulator.send_text(group, ADMIN, "/whoami")
        await _until(lambda: all(emulator.messages(group) for group in groups))
    assert [len(emulator.messages(group)) for group in groups] == [1] * len(groups)
    inbox = await _inbox(settings)
    assert len(inbox) == len(groups)


async def test_turns_go_on_after_the_database_drops_every_connection(
        database_url: str, on_postgres: bool) -> None:
    """PostgreSQL restarted under the bot: every pooled connection is gone. Whatever meets the
    first dead one (the poller storing updates, a turn beginning, the sender) tries again on a
    new connection, and every command is answered."""
    if not on_postgres:
        pytest.skip("SQLite's connection is a file: nothing can end it from outside")
    groups = [-1001 - i for i in range(8)]
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with _serving_groups(settings, groups) as emulator:
        for group in groups:  # the pool holds several connections now
            emulator.send_text(group, ADMIN, "/whoami")
        await _until(lambda: all(emulator.messages(group) for group in groups))
        killer = create_engine(database_url)
        try:
            async with killer.connect() as connection:
                ended = (await connection.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"))).all()
        finally:
            await killer.dispose()
        assert len(ended) >= 2
        for group in groups:
            emulator.send_text(group, ADMIN, "/whoami")
        await _until(lambda: all(len(emulator.messages(group)) == 2 for group in groups))
    assert [len(emulator.messages(group)) for group in groups] == [2] * len(groups)


async def test_an_update_whose_turn_keeps_failing_is_taken_up_once_the_trouble_passes(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database away for longer than a turn's tries: the update is not marked handled
    without an answer; it stays in the inbox, and is answered once the database is back."""
    import bot.intake
    import bot.ticks
    from handlers.turn import TURN_ATTEMPTS

    monkeypatch.setattr(bot.intake, "LEFT_BEHIND", bot.intake.timedelta(seconds=0.2))
    monkeypatch.setattr(bot.ticks, "LEFT_BEHIND_EVERY", 0.2)
    away, tries = True, 0
    begin = TurnStart.begin

    async def failing_begin(self: TurnStart, *args: object, **kwargs: object) -> object:
        nonlocal tries
        if away:
            tries += 1
            raise ConnectionResetError("the database went away")
        return await begin(self, *args, **kwargs)

    monkeypatch.setattr(TurnStart, "begin", failing_begin)
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with _serving_groups(settings, [-1001]) as emulator:
        emulator.send_text(-1001, ADMIN, "/whoami")
        await _until(lambda: tries >= 2 * TURN_ATTEMPTS)  # the first taking, and a second
        assert emulator.messages(-1001) == []
        assert await _statuses(settings) == ["new"]
        away = False
        await _until(lambda: bool(emulator.messages(-1001)))
        await asyncio.sleep(0.5)  # the sweep comes round again: the update is done with
    assert len(emulator.messages(-1001)) == 1
    # The database away is nobody's fault: no round of tries counts against the update.
    assert await _inbox_rounds(settings) == [("done", 0)]


async def test_an_update_another_process_took_is_answered_once_its_hold_runs_out(
        database_url: str, on_postgres: bool) -> None:
    """A process that took an update and died before its work was written leaves it taken for
    a while (on PostgreSQL, where a turn holds no transaction open around its work). The next
    process finds it in the inbox, leaves it alone while the hold lasts, then answers it, once.
    On SQLite the claim belongs to the turn's transaction, and a hold left behind means
    nothing."""
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        emulator.add_group(-1001, "市场部")
        emulator.send_text(-1001, ADMIN, "/whoami")
        sent = copy.deepcopy(emulator.pending_updates[-1])
        gendan = await bootstrap(settings, SystemClock())
        try:
            now = gendan.runtime.clock.now()
            hold_ends = now + timedelta(seconds=1.5)
            async with gendan.runtime.unit_of_work() as uow:
                await uow.inbox.store(sent["update_id"], sent, now)
                await uow.commit()
            async with gendan.sessions() as session:
                await session.execute(update(InboxRow).values(taken_by="a process that died",
                                                              taken_until=hold_ends))
                await session.commit()
        finally:
            await gendan.close()
        stop = asyncio.Event()
        bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop))
        try:
            await _until(lambda: bool(emulator.messages(-1001)))
            answered_at = SystemClock().now()
            await asyncio.sleep(0.5)  # time for a second answer, were there one
        finally:
            stop.set()
            await asyncio.wait_for(bot, 10)
    assert len(emulator.messages(-1001)) == 1
    assert await _statuses(settings) == ["done"]
    if on_postgres:
        assert answered_at >= hold_ends


async def test_a_process_stopped_mid_turn_gives_up_its_hold_and_the_next_answers_at_once(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn still running when the bot is told to stop is cancelled, and the update it had
    taken is given up, not left held for a lease: the next process answers it at once."""
    import bot.runner
    import handlers.turn

    monkeypatch.setattr(bot.runner, "SETTLE_SECONDS", 0.2)
    hanging = asyncio.Event()
    hear = handlers.turn._say_who_heard_instead

    async def hang_the_first_time(turn: handlers.turn.Turn) -> None:
        if not hanging.is_set():
            hanging.set()
            await asyncio.Event().wait()
        await hear(turn)

    monkeypatch.setattr(handlers.turn, "_say_who_heard_instead", hang_the_first_time)
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}),
                        lease=timedelta(minutes=10))
    async with BotApiEmulator() as emulator:
        emulator.add_user(ADMIN, "管理员", "admin")
        emulator.add_group(-1001, "市场部")
        for _ in range(2):  # the first run hangs in the turn and is stopped; then again
            stop = asyncio.Event()
            bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url,
                                            stop=stop))
            if not hanging.is_set():
                emulator.send_text(-1001, ADMIN, "/whoami")
                await _until(hanging.is_set)
            else:
                await _until(lambda: bool(emulator.messages(-1001)))
            stop.set()
            await asyncio.wait_for(bot, 10)
    assert len(emulator.messages(-1001)) == 1
    assert await _statuses(settings) == ["done"]


async def test_an_update_that_fails_every_round_for_its_own_reason_is_set_aside_and_told(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn that fails every try for a reason of the update's own (not the database away)
    is not tried for ever in silence: each round counts, and at the last the update is set
    aside, its chat is told to send it again, the administrators hear what failed, and the
    audit trail keeps it. The person's next message is handled as usual."""
    import bot.intake
    import bot.ticks

    monkeypatch.setattr(bot.intake, "LEFT_BEHIND", bot.intake.timedelta(seconds=0.2))
    monkeypatch.setattr(bot.ticks, "LEFT_BEHIND_EVERY", 0.2)
    begin = TurnStart.begin

    async def begin_failing_on_one_text(self: TurnStart, update_id: int, *args: object,
                                        **kwargs: object) -> object:
        if update_id == poisoned:
            raise ValueError("a value this update carries that nothing expected")
        return await begin(self, update_id, *args, **kwargs)

    monkeypatch.setattr(TurnStart, "begin", begin_failing_on_one_text)
    settings = Settings(database_url=database_url, admin_ids=frozenset({ADMIN}))
    async with _serving_groups(settings, [-1001]) as emulator:
        poisoned = emulator.send_text(-1001, ADMIN, "/whoami 这一条总是出错")
        await _until(lambda: bool(emulator.messages(-1001)))
        told = emulator.messages(-1001)
        assert len(told) == 1 and "这一条总是出错" in told[0].text
        await _until(lambda: any("ValueError: a value this update carries" in message.text
                                 for message in emulator.messages(ADMIN)))
        assert await _inbox_rounds(settings) == [("failed", bot.intake.GIVE_UP_AFTER)]
        await asyncio.sleep(0.6)  # sweeps come round: an update set aside is not taken again
        assert len(emulator.messages(-1001)) == 1
        emulator.send_text(-1001, ADMIN, "/whoami")
        await _until(lambda: len(emulator.messages(-1001)) == 2)
        # Later, an administrator looking at what went wrong finds it listed.
        emulator.send_text(ADMIN, ADMIN, "/deliveries")
        await _until(lambda: any("🗂" in message.text for message in emulator.messages(ADMIN)))
        listed = emulator.newest_message(ADMIN, containing="🗂").text
        assert "/whoami 这一条总是出错" in listed and "部门-1001" in listed
        assert "ValueError: a value this update carries" in listed
    assert [status for status, _ in await _inbox_rounds(settings)] == ["failed", "done", "done"]
    gendan = await bootstrap(settings, SystemClock(), migrate=False)
    try:
        async with gendan.sessions() as session:
            kept = (await session.scalars(select(AuditEventRow).where(
                AuditEventRow.action == "update.given_up"))).one()
    finally:
        await gendan.close()
    assert kept.subject_id == str(poisoned)
    assert kept.after["rounds"] == bot.intake.GIVE_UP_AFTER
