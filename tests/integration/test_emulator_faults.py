"""The emulator's injected faults, seen through the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InputFile, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, TimedOut

from bot.sandbox.console import HELP, ConsoleState
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from tests.integration.conftest import ALICE, BOB
from tests.integration.conftest import GROUP as SUPERGROUP

CAROL = 1003
BASIC_GROUP = -987654321
UPGRADED = -1009876543210
BOT_ID = 7000001


@pytest.fixture
def basic_group(emu: BotApiEmulator) -> None:
    """A basic group, as Telegram creates every group before anything upgrades it."""
    emu.add_group(BASIC_GROUP, "装配部")


async def fetch(bot: Bot) -> tuple[Update, ...]:
    """Everything queued for the bot, confirmed so the next fetch starts after it."""
    updates = await bot.get_updates(timeout=0)
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


async def raw_post(emu: BotApiEmulator, method: str, **kwargs) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}{DEFAULT_TOKEN}/{method}", **kwargs) as response:
            return response.status, response.content_type, await response.text()


# --------------------------------------------------------------------------- migration


@pytest.mark.usefixtures("basic_group")
async def test_migration_tells_the_bot_in_telegrams_order(emu: BotApiEmulator, bot: Bot) -> None:
    emu.migrate_group(BASIC_GROUP, UPGRADED, by_user=ALICE)
    joined, moved_out, moved_in = await fetch(bot)

    member = joined.my_chat_member
    assert (member.chat.id, member.chat.type, member.from_user.id) == (
        UPGRADED,
        "supergroup",
        ALICE,
    )
    assert (member.old_chat_member.status, member.new_chat_member.status) == ("left", "member")
    assert member.new_chat_member.user.id == BOT_ID

    assert moved_out.message.chat.id == BASIC_GROUP and moved_out.message.chat.type == "group"
    assert moved_out.message.migrate_to_chat_id == UPGRADED
    assert moved_out.message.from_user.id == ALICE

    first = moved_in.message
    assert (first.chat.id, first.message_id, first.migrate_from_chat_id) == (
        UPGRADED,
        1,
        BASIC_GROUP,
    )
    assert first.from_user.username == "GroupAnonymousBot" and first.sender_chat.id == UPGRADED
    assert first.chat.title == "装配部"


@pytest.mark.usefixtures("basic_group")
async def test_the_old_group_id_answers_chat_migrated(emu: BotApiEmulator, bot: Bot) -> None:
    emu.send_text(BASIC_GROUP, ALICE, "装配开始了吗")
    before = await bot.send_message(BASIC_GROUP, "📌 装配开始：订单 SO-1")
    emu.migrate_group(BASIC_GROUP, UPGRADED)

    with pytest.raises(ChatMigrated) as sent:
        await bot.send_message(BASIC_GROUP, "还在吗")
    assert sent.value.new_chat_id == UPGRADED
    with pytest.raises(ChatMigrated):
        await bot.edit_message_text("📌 装配完成", BASIC_GROUP, before.message_id)
    with pytest.raises(ChatMigrated):
        await bot.send_document(BASIC_GROUP, InputFile(b"x", filename="a.csv"))
    with pytest.raises(ChatMigrated):
        await bot.get_chat_member(BASIC_GROUP, ALICE)
    # Reading the old group is still allowed, as on Telegram.
    assert (await bot.get_chat(BASIC_GROUP)).type == "group"

    status, _, body = await raw_post(emu, "sendMessage", json={"chat_id": BASIC_GROUP, "text": "x"})
    assert status == 400
    assert body == (
        '{"ok": false, "error_code": 400, "description": "Bad Request: group chat was upgraded '
        f'to a supergroup chat", "parameters": {{"migrate_to_chat_id": {UPGRADED}}}}}'
    )
    assert [c.error_code for c in emu.calls_to("sendMessage")] == [None, 400, 400]


@pytest.mark.usefixtures("basic_group")
async def test_after_migration_everyone_uses_the_new_id(emu: BotApiEmulator, bot: Bot) -> None:
    emu.send_text(BASIC_GROUP, ALICE, "第一条")
    old_message = await bot.send_message(BASIC_GROUP, "收到")
    emu.migrate_group(BASIC_GROUP, UPGRADED)

    with pytest.raises(LookupError, match=str(UPGRADED)):
        emu.send_text(BASIC_GROUP, BOB, "我在旧群说话")
    # The supergroup numbers its own messages; the old group's ids mean nothing there.
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("改", UPGRADED, old_message.message_id)

    await fetch(bot)
    emu.send_text(UPGRADED, BOB, "新群第一条")
    (update,) = await fetch(bot)
    assert update.message.chat.id == UPGRADED and update.message.message_id == 2
    sent = await bot.send_message(UPGRADED, "收到", reply_to_message_id=2)
    assert sent.chat.type == "supergroup"
    assert [m.text for m in emu.messages(BASIC_GROUP)] == ["收到"]


@pytest.mark.usefixtures("basic_group")
def test_only_basic_groups_migrate_to_free_supergroup_ids(emu: BotApiEmulator) -> None:
    with pytest.raises(ValueError, match="already a supergroup"):
        emu.migrate_group(SUPERGROUP, UPGRADED)
    with pytest.raises(ValueError, match="start with -100"):
        emu.migrate_group(BASIC_GROUP, -5555)
    with pytest.raises(ValueError, match="start with -100"):
        emu.migrate_group(BASIC_GROUP, SUPERGROUP)
    assert emu.pending_updates == []


# --------------------------------------------------------------------------- private chats


async def test_a_blocked_bot_is_forbidden_until_the_person_writes(
    emu: BotApiEmulator, bot: Bot
) -> None:
    earlier = await bot.send_message(ALICE, "任务：装配")
    emu.block(ALICE)
    emu.block(ALICE)  # blocking twice changes nothing more

    (update,) = await fetch(bot)
    change = update.my_chat_member
    assert (change.chat.type, change.chat.id, change.from_user.id) == ("private", ALICE, ALICE)
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "kicked")
    assert change.new_chat_member.until_date == datetime.fromtimestamp(0, UTC)

    with pytest.raises(Forbidden) as refused:
        await bot.send_message(ALICE, "催办")
    assert str(refused.value) == "Forbidden: bot was blocked by the user"
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_chat_action(ALICE, "typing")
    # Only new messages are refused; what the chat already holds can still change.
    await bot.edit_message_text("任务：装配（已取消）", ALICE, earlier.message_id)

    emu.send_text(ALICE, ALICE, "/start")
    unblocked, message = await fetch(bot)
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert message.message.text == "/start"
    assert (await bot.send_message(ALICE, "欢迎回来")).text == "欢迎回来"


async def test_unblock_lets_sends_through_again(emu: BotApiEmulator, bot: Bot) -> None:
    emu.block(BOB)
    with pytest.raises(Forbidden):
        await bot.send_message(BOB, "x")
    emu.unblock(BOB)
    await bot.send_message(BOB, "y")
    statuses = [u.my_chat_member.new_chat_member.status for u in await fetch(bot)]
    assert statuses == ["kicked", "member"]
    assert [m.text for m in emu.accepted_sends(BOB)] == ["y"]


async def test_someone_who_never_pressed_start_cannot_be_written_to(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.add_user(CAROL, "Carol", started=False)
    with pytest.raises(Forbidden) as refused:
        await bot.send_message(CAROL, "你好")
    assert str(refused.value) == "Forbidden: bot can't initiate conversation with a user"
    assert emu.calls[-1].error_code == 403

    emu.send_text(SUPERGROUP, CAROL, "群里说话不算")
    with pytest.raises(Forbidden):
        await bot.send_message(CAROL, "你好")

    emu.send_text(CAROL, CAROL, "/start")
    updates = await fetch(bot)
    # Pressing Start is an ordinary message; Telegram sends no membership change for it.
    assert [u.message.text for u in updates] == ["群里说话不算", "/start"]
    assert (await bot.send_message(CAROL, "你好")).chat.id == CAROL


# --------------------------------------------------------------------------- removal from groups


async def test_kicked_from_a_supergroup_and_added_back(emu: BotApiEmulator, bot: Bot) -> None:
    emu.set_chat_admin(SUPERGROUP, BOT_ID)
    emu.set_chat_admin(SUPERGROUP, BOB)
    emu.kick(SUPERGROUP)  # by the group's administrator, Bob

    (update,) = await fetch(bot)
    change = update.my_chat_member
    assert change.from_user.id == BOB and change.chat.id == SUPERGROUP
    assert (change.old_chat_member.status, change.new_chat_member.status) == (
        "administrator",
        "kicked",
    )
    assert change.new_chat_member.until_date == datetime.fromtimestamp(0, UTC)

    with pytest.raises(Forbidden) as refused:
        await bot.send_message(SUPERGROUP, "还在吗")
    assert str(refused.value) == "Forbidden: bot was kicked from the supergroup chat"
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.get_chat(SUPERGROUP)
    assert emu.send_text(SUPERGROUP, ALICE, "机器人听不到") is None
    assert await fetch(bot) == ()

    emu.readd(SUPERGROUP, by_user=ALICE)
    back, notice = await fetch(bot)
    change = back.my_chat_member
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("kicked", "member")
    assert [u.id for u in notice.message.new_chat_members] == [BOT_ID]
    assert notice.message.from_user.id == ALICE
    await bot.send_message(SUPERGROUP, "我回来了")
    # Added back as a plain member: the admin rights went with the removal.
    assert (await bot.get_chat_member(SUPERGROUP, BOT_ID)).status == "member"


@pytest.mark.usefixtures("basic_group")
async def test_kicked_from_a_basic_group_sees_its_own_removal(
    emu: BotApiEmulator, bot: Bot
) -> None:
    earlier = await bot.send_message(BASIC_GROUP, "📌 装配开始")
    emu.kick(BASIC_GROUP, by_user=ALICE)

    removal, notice = await fetch(bot)
    change = removal.my_chat_member
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("member", "left")
    assert notice.message.left_chat_member.id == BOT_ID
    assert notice.message.from_user.id == ALICE

    with pytest.raises(Forbidden) as refused:
        await bot.send_message(BASIC_GROUP, "还在吗")
    assert str(refused.value) == "Forbidden: bot was kicked from the group chat"
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await bot.edit_message_text("📌 装配完成", BASIC_GROUP, earlier.message_id)
    assert (await bot.get_chat(BASIC_GROUP)).title == "装配部"
    assert (await bot.get_chat_member(BASIC_GROUP, BOT_ID)).status == "left"

    emu.readd(BASIC_GROUP, by_user=ALICE)
    back, joined = await fetch(bot)
    assert back.my_chat_member.new_chat_member.status == "member"
    assert joined.message.new_chat_members[0].id == BOT_ID
    await bot.edit_message_text("📌 装配完成", BASIC_GROUP, earlier.message_id)


@pytest.mark.usefixtures("basic_group")
def test_faults_name_known_chats(emu: BotApiEmulator) -> None:
    with pytest.raises(LookupError, match="unknown group"):
        emu.kick(-42)
    with pytest.raises(LookupError, match="unknown group"):
        emu.kick(ALICE)
    with pytest.raises(LookupError, match="unknown user"):
        emu.block(4242)
    emu.migrate_group(BASIC_GROUP, UPGRADED)
    with pytest.raises(ValueError, match=str(UPGRADED)):
        emu.kick(BASIC_GROUP)


@pytest.mark.usefixtures("basic_group")
async def test_fault_updates_hold_only_fields_ptb_knows(emu: BotApiEmulator, bot: Bot) -> None:
    emu.kick(BASIC_GROUP)
    emu.readd(BASIC_GROUP)
    emu.migrate_group(BASIC_GROUP, UPGRADED)
    emu.kick(UPGRADED)
    emu.readd(UPGRADED)
    emu.block(ALICE)
    emu.unblock(ALICE)

    kinds = []
    for raw in emu.pending_updates:
        update = Update.de_json(raw, bot)
        if update.my_chat_member:
            change = update.my_chat_member
            kinds.append(f"{change.chat.type}:{change.new_chat_member.status}")
            leftovers = [change.api_kwargs, change.old_chat_member.api_kwargs,
                         change.new_chat_member.api_kwargs]
            assert leftovers == [{}, {}, {}]
        else:
            kinds.append(f"{update.message.chat.type}:message")
            # Telegram still sends these pre-2017 duplicates of left_/new_chat_members.
            legacy = {"left_chat_participant", "new_chat_participant", "new_chat_member"}
            assert set(update.message.api_kwargs) <= legacy
    assert kinds == [
        "group:left", "group:message", "group:member", "group:message",
        "supergroup:member", "group:message", "supergroup:message",
        "supergroup:kicked", "supergroup:member", "supergroup:message",
        "private:kicked", "private:member",
    ]


# --------------------------------------------------------------------------- outage


async def test_an_outage_answers_with_nginx_pages(emu: BotApiEmulator, bot: Bot) -> None:
    emu.outage()
    with pytest.raises(NetworkError) as refused:
        await bot.send_message(ALICE, "发不出去")
    assert type(refused.value) is NetworkError
    assert str(refused.value).startswith("Bad Gateway (502)")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_updates(timeout=0)

    status, content_type, page = await raw_post(emu, "getMe")
    assert (status, content_type) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in page and "nginx" in page
    assert emu.messages(ALICE) == [] and emu.accepted_sends() == []
    refused_send = emu.calls_to("sendMessage")[0]
    assert (refused_send.ok, refused_send.error_code, refused_send.description) == (
        False,
        502,
        "Bad Gateway",
    )
    assert refused_send.params["chat_id"] == ALICE

    emu.outage(503)
    with pytest.raises(NetworkError, match=r"Service Unavailable \(503\)"):
        await bot.get_me()
    with pytest.raises(ValueError, match="502"):
        emu.outage(418)

    emu.outage(None)
    emu.send_text(ALICE, ALICE, "恢复了吗")
    assert [u.message.text for u in await fetch(bot)] == ["恢复了吗"]
    await bot.send_message(ALICE, "恢复了")
    assert [m.text for m in emu.accepted_sends(ALICE)] == ["恢复了"]


async def test_a_waiting_long_poll_gets_the_outage_at_once(emu: BotApiEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    emu.outage()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await poll
    assert time.monotonic() - started < 1


async def test_webhook_deliveries_wait_out_an_outage(emu: BotApiEmulator, bot: Bot) -> None:
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        emu.outage()
        emu.send_text(ALICE, ALICE, "停机时发的")
        with pytest.raises(TimeoutError):
            await emu.wait_until_delivered(timeout=0.3)
        assert received == []

        emu.outage(None)
        await emu.wait_until_delivered(timeout=3)
        assert [u["message"]["text"] for u in received] == ["停机时发的"]
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- slow answers


async def test_a_slow_answer_times_out_although_the_send_went_through(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.slow(0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(SUPERGROUP, "📌 装配开始", read_timeout=0.1)
    (accepted,) = emu.accepted_sends(SUPERGROUP)
    assert (accepted.text, accepted.message_id) == ("📌 装配开始", 1)
    assert emu.calls_to("sendMessage")[0].ok

    emu.slow(None)
    # The client, not knowing, sends again: Telegram shows it twice.
    started = time.monotonic()
    await bot.send_message(SUPERGROUP, "📌 装配开始", read_timeout=0.1)
    assert time.monotonic() - started < 0.3
    assert [m.text for m in emu.accepted_sends(SUPERGROUP)] == ["📌 装配开始"] * 2
    assert [m.message_id for m in emu.accepted_sends()] == [1, 2]


async def test_real_time_scale_shrinks_the_wait() -> None:
    async with BotApiEmulator(real_time_scale=0.01) as emulator:
        emulator.add_user(ALICE, "Alice")
        async with Bot(DEFAULT_TOKEN, base_url=emulator.base_url) as client:
            emulator.slow(20)  # 20 virtual seconds, 0.2 real ones
            started = time.monotonic()
            await client.send_message(ALICE, "慢", read_timeout=2)
            assert 0.2 <= time.monotonic() - started < 1.5
    with pytest.raises(ValueError):
        BotApiEmulator(real_time_scale=-1)


async def test_an_outage_during_a_slow_answer_loses_the_answer(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.slow(0.3)
    send = asyncio.create_task(bot.send_message(ALICE, "到底发出去没有"))
    await asyncio.sleep(0.1)
    emu.outage()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await send
    assert [m.text for m in emu.accepted_sends(ALICE)] == ["到底发出去没有"]
    assert emu.calls_to("sendMessage")[0].ok


# --------------------------------------------------------------------------- the record


async def test_accepted_sends_keep_what_was_sent(emu: BotApiEmulator, bot: Bot) -> None:
    first = await bot.send_message(ALICE, "v1")
    await bot.send_message(BOB, "for Bob")
    await bot.edit_message_text("v2", ALICE, first.message_id)
    second = await bot.send_message(ALICE, "v1")
    await bot.delete_message(ALICE, second.message_id)
    emu.block(ALICE)
    with pytest.raises(Forbidden):
        await bot.send_message(ALICE, "refused")

    assert [m.text for m in emu.accepted_sends(ALICE)] == ["v1", "v1"]
    assert [m.text for m in emu.messages(ALICE)] == ["v2"]
    assert [(m.chat_id, m.text) for m in emu.accepted_sends()] == [
        (ALICE, "v1"),
        (BOB, "for Bob"),
        (ALICE, "v1"),
    ]


# --------------------------------------------------------------------------- the console


async def test_console_commands_inject_the_faults(emu: BotApiEmulator, bot: Bot) -> None:
    state = ConsoleState(emu, ALICE, ALICE)
    state.users.update({"alice": ALICE, "bob": BOB})
    state.handle("#装配组 开工")
    old_id = state.groups["装配组"]

    said = state.handle(":migrate #装配组")
    new_id = state.groups["装配组"]
    assert str(new_id).startswith("-100") and str(new_id) in said and str(old_id) in said
    assert state.chat_id == new_id
    state.handle("开工了吗")
    messages = [u.message for u in await fetch(bot) if u.message]
    assert [m.migrate_to_chat_id for m in messages if m.migrate_to_chat_id] == [new_id]
    assert messages[-1].text == "开工了吗" and messages[-1].chat.id == new_id

    assert state.handle(":block @bob") == "@bob blocked the bot"
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(BOB, "x")
    assert state.handle(":unblock @bob") == "@bob unblocked the bot"
    await bot.send_message(BOB, "x")

    assert "removed" in state.handle(":kick #装配组")
    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(new_id, "x")
    assert "doesn't see this" in state.handle("有人吗")
    assert "back" in state.handle(":readd #装配组")
    await bot.send_message(new_id, "x")
    changes = [u.my_chat_member for u in await fetch(bot) if u.my_chat_member]
    # A block comes from the person; a removal or re-adding from whoever is typing.
    assert [(c.chat.id, c.from_user.id, c.new_chat_member.status) for c in changes] == [
        (BOB, BOB, "kicked"),
        (BOB, BOB, "member"),
        (new_id, ALICE, "kicked"),
        (new_id, ALICE, "member"),
    ]

    assert "502" in state.handle(":outage 502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()
    assert state.handle(":outage off") == "Telegram is back"
    await bot.get_me()

    assert "0.3s" in state.handle(":slow 0.3s")
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "慢", read_timeout=0.1)
    assert state.handle(":slow off") == "answers come at once again"
    await bot.send_message(ALICE, "快", read_timeout=0.2)


def test_console_fault_commands_explain_mistakes(emu: BotApiEmulator) -> None:
    state = ConsoleState(emu, ALICE, ALICE)
    assert "no group '#无此群'" in state.handle(":kick #无此群")
    assert "no person '@nobody'" in state.handle(":block @nobody")
    assert ":outage off" in state.handle(":outage soon")
    assert ":slow off" in state.handle(":slow fast")
    assert "502" in state.handle(":outage 418")
    state.handle("#生产部")
    state.handle(":migrate #生产部")
    assert "already a supergroup" in state.handle(":migrate #生产部")
    for command in (":migrate", ":block", ":unblock", ":kick", ":readd", ":outage", ":slow"):
        assert command in HELP
