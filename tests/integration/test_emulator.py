"""The Bot API emulator, driven by the real python-telegram-bot client over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
    Update,
)
from telegram.constants import MessageEntityType
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.sandbox.emulator import (
    DEFAULT_TOKEN,
    BotApiEmulator,
    BotMessage,
    Button,
    FloodLimits,
    OutgoingEvent,
    parse_html,
)
from tests.integration.conftest import ALICE, BOB, GROUP, populate


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]]
    )


async def raw_call(
    emu: BotApiEmulator, method: str, *, token: str = DEFAULT_TOKEN, **kwargs
) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}{token}/{method}", **kwargs) as response:
            return response.status, await response.json()


class RunningApp:
    """A real PTB Application polling the emulator, torn down the way production does it."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.app = Application.builder().token(DEFAULT_TOKEN).base_url(emu.base_url).build()

    async def __aenter__(self) -> Application:
        await self.app.initialize()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1)
        return self.app

    async def __aexit__(self, *exc_info: object) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()


# --------------------------------------------------------------------------- basics


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (7000001, "gendan_bot", "Gendan", True)


async def test_send_message_round_trip_with_inline_keyboard(emu: BotApiEmulator, bot: Bot) -> None:
    events: list[OutgoingEvent] = []
    emu.subscribe(events.append)

    sent = await bot.send_message(GROUP, "订单 #42 待确认", reply_markup=keyboard("确认", "驳回"))

    assert sent.chat.title == "生产部" and sent.chat.type == "supergroup"
    assert sent.from_user.id == 7000001
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "cb:驳回"
    stored = emu.last_message(GROUP)
    assert stored == BotMessage(
        message_id=sent.message_id,
        chat_id=GROUP,
        text="订单 #42 待确认",
        buttons=[[Button("确认", "cb:确认"), Button("驳回", "cb:驳回")]],
        date=stored.date,
        kind="text",
    )
    assert events == [
        OutgoingEvent(
            method="sendMessage",
            chat_id=GROUP,
            message_id=sent.message_id,
            text="订单 #42 待确认",
            buttons=stored.buttons,
            edit=False,
            at=events[0].at,
        )
    ]
    call = emu.calls_to("sendMessage")[-1]
    # Form-encoded values arrive as strings; the emulator hands out typed params.
    assert call.ok and call.params["chat_id"] == GROUP
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "确认"


async def test_text_limits_are_bad_requests(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(ALICE, "字" * 4096)  # counted in characters, not bytes
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(ALICE, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(ALICE, "  \n")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "who?")
    assert len(emu.messages(ALICE)) == 1
    assert [c.error_code for c in emu.calls_to("sendMessage")] == [None, 400, 400, 400]


async def test_callback_data_limit_is_in_bytes(emu: BotApiEmulator, bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(ALICE, "fits", reply_markup=ok)
    for data in ("x" * 65, "单" * 22):  # 22 CJK characters are 66 UTF-8 bytes
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data=data)]])
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(ALICE, "too long", reply_markup=too_long)
    assert [m.text for m in emu.messages(ALICE)] == ["fits"]


async def test_edits_follow_telegram_rules(emu: BotApiEmulator, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "v1", reply_markup=keyboard("A", "B"))

    edited = await bot.edit_message_text("v2", ALICE, sent.message_id, reply_markup=keyboard("A"))
    assert edited.text == "v2" and edited.edit_date is not None
    record = emu.last_message(ALICE)
    assert (record.text, record.labels, record.edited) == ("v2", ["A"], True)

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("v2", ALICE, sent.message_id, reply_markup=keyboard("A"))
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("v3", ALICE, 999)

    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard("C"))
    assert emu.last_message(ALICE).labels == ["C"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard("C"))

    # Telegram drops the keyboard when an edit leaves reply_markup out.
    await bot.edit_message_text("v3", ALICE, sent.message_id)
    assert emu.last_message(ALICE).buttons == []
    assert [c.method for c in emu.calls if c.ok and c.method.startswith("edit")] == [
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageText",
    ]


async def test_user_messages_can_be_replied_to(emu: BotApiEmulator, bot: Bot) -> None:
    emu.send_text(GROUP, ALICE, "第一条")
    updates = await bot.get_updates(timeout=0)
    user_message_id = updates[0].message.message_id

    reply = await bot.send_message(GROUP, "收到", reply_parameters=ReplyParameters(user_message_id))
    assert reply.reply_to_message.text == "第一条"
    assert emu.last_message(GROUP).reply_to_message_id == user_message_id
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(GROUP, "?", reply_parameters=ReplyParameters(4242))

    emu.send_text(GROUP, BOB, "我也是", reply_to_message_id=reply.message_id)
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert updates[0].message.reply_to_message.from_user.is_bot


# --------------------------------------------------------------------------- incoming updates


async def test_press_reaches_a_callback_query_handler(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.send_message(GROUP, "订单 #7", reply_markup=keyboard("确认", "驳回"))
    await bot.send_message(GROUP, "no buttons here")
    received: asyncio.Queue[Update] = asyncio.Queue()

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("已确认")
        await received.put(update)

    async with RunningApp(emu) as app:
        app.add_handler(CallbackQueryHandler(on_press))
        emu.press(GROUP, BOB, "确认")
        update = await asyncio.wait_for(received.get(), 3)
        await emu.wait_until_delivered(timeout=3)

    query = update.callback_query
    assert query.data == "cb:确认"
    assert query.from_user.id == BOB
    assert query.message.text == "订单 #7"
    assert emu.answered_callbacks[0]["text"] == "已确认"
    assert emu.pending_updates == []


async def test_press_explains_what_it_could_not_find(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(LookupError, match="no bot message with buttons"):
        emu.press(ALICE, ALICE, "OK")
    await bot.send_message(ALICE, "订单 #1", reply_markup=keyboard("确认", "驳回"))
    await bot.send_message(ALICE, "订单 #2", reply_markup=keyboard("催办"))

    with pytest.raises(LookupError, match=r"buttons: \['催办'\]"):
        emu.press(ALICE, ALICE, "确认")
    emu.press(ALICE, ALICE, "确认", on="#1")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].callback_query.message.text == "订单 #1"


async def test_commands_carry_entities_and_reach_command_handlers(emu: BotApiEmulator) -> None:
    seen: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()

    async def on_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("ok")
        await seen.put((update.effective_chat.type, context.args))

    async with RunningApp(emu) as app:
        app.add_handler(CommandHandler("status", on_status))
        emu.send_text(ALICE, ALICE, "/status 42")
        emu.send_text(GROUP, BOB, "/status@gendan_bot 订单 7")
        emu.send_text(GROUP, BOB, "/status@other_bot 8")  # addressed elsewhere: ignored
        first = await asyncio.wait_for(seen.get(), 3)
        second = await asyncio.wait_for(seen.get(), 3)
        await emu.wait_until_delivered(timeout=3)

    assert first == ("private", ["42"])
    assert second == ("supergroup", ["订单", "7"])
    assert seen.empty()
    assert [m.text for m in emu.messages(GROUP)] == ["ok"]


async def test_entity_offsets_are_utf16_code_units(emu: BotApiEmulator, bot: Bot) -> None:
    text = "/go 😀 @alice_w 看 /next"
    emu.send_text(ALICE, ALICE, text)
    (update,) = await bot.get_updates(timeout=0)
    entities = update.message.entities
    assert [(e.type, e.offset, e.length) for e in entities] == [
        (MessageEntityType.BOT_COMMAND, 0, 3),
        (MessageEntityType.MENTION, 7, 8),  # the emoji is two UTF-16 units
        (MessageEntityType.BOT_COMMAND, 18, 5),
    ]
    # PTB slices with UTF-16 offsets; getting them wrong would garble these.
    assert list(update.message.parse_entities().values()) == ["/go", "@alice_w", "/next"]
    assert update.message.from_user.language_code == "zh-hans"


async def test_long_poll_wakes_promptly_and_offset_confirms(emu: BotApiEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    update_id = emu.send_text(ALICE, ALICE, "hi")
    (update,) = await poll
    assert time.monotonic() - started < 1
    assert update.update_id == update_id

    # Not confirmed yet: served again, and wait_until_delivered knows it.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]
    with pytest.raises(TimeoutError, match=str(update_id)):
        await emu.wait_until_delivered(timeout=0.05)
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    await emu.wait_until_delivered(timeout=0.05)


async def test_second_poller_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    # A Bot polls over a one-connection pool, so the rival poller must be a second instance.
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as rival:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        assert await rival.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
            await first


async def test_inject_raw_queues_arbitrary_updates(emu: BotApiEmulator, bot: Bot) -> None:
    first = emu.inject_raw({"edited_channel_post": {"weird": True}})
    emu.inject_raw({"update_id": 500, "message": {"no": "chat"}})
    later = emu.send_text(ALICE, ALICE, "after")
    assert (first, later) == (1, 501)
    status, body = await raw_call(emu, "getUpdates", json={"timeout": 0})
    assert status == 200
    assert [u["update_id"] for u in body["result"]] == [1, 500, 501]
    assert body["result"][1]["message"] == {"no": "chat"}


async def test_allowed_updates_filters_and_drops(emu: BotApiEmulator, bot: Bot) -> None:
    emu.send_text(ALICE, ALICE, "text")
    emu.inject_raw({"chat_member": {}})  # opt-in type: withheld by default
    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["text"]

    await bot.send_message(ALICE, "pick", reply_markup=keyboard("A"))
    emu.press(ALICE, ALICE, "A")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["cb:A"]


async def test_queue_can_be_trimmed_and_dropped(emu: BotApiEmulator, bot: Bot) -> None:
    ids = [emu.send_text(ALICE, ALICE, f"m{i}") for i in range(4)]
    # A negative offset keeps only the newest updates, as on Telegram.
    assert [u.update_id for u in await bot.get_updates(offset=-1, timeout=0)] == ids[-1:]
    emu.send_text(ALICE, ALICE, "stale")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert emu.pending_updates == []
    await emu.wait_until_delivered(timeout=0.05)


async def test_a_failing_listener_does_not_disturb_the_bot(
    emu: BotApiEmulator, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken(event: OutgoingEvent) -> None:
        raise RuntimeError("observer bug")

    emu.subscribe(broken)
    emu.subscribe(lambda event: seen.append(event.text))
    sent = await bot.send_message(ALICE, "still delivered")
    assert sent.text == "still delivered" and seen == ["still delivered"]
    assert "observer bug" in caplog.text


# --------------------------------------------------------------------------- flood control


# PTB itself reads the deprecated int-valued retry_after while building the exception.
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")
async def test_flood_limit_uses_the_virtual_clock() -> None:
    now = [1_700_000_000.0]
    emu = BotApiEmulator(clock=lambda: now[0])
    populate(emu)
    await emu.start()
    try:
        async with Bot(DEFAULT_TOKEN, base_url=emu.base_url) as client:
            for i in range(3):  # the burst
                await client.send_message(ALICE, f"burst {i}")
            with pytest.raises(RetryAfter):
                await client.send_message(ALICE, "one too many")
            assert emu.calls[-1].description == "Too Many Requests: retry after 1"
            assert emu.rejected_429 == 1
            assert len(emu.messages(ALICE)) == 3
            await client.send_message(BOB, "other chats have their own bucket")

            now[0] += 1.0
            recovered = await client.send_message(ALICE, "after waiting")
            assert recovered.date.timestamp() == 1_700_000_001
            assert emu.last_message(ALICE).date == 1_700_000_001.0
            assert [c.at for c in emu.calls_to("sendMessage")][-1] == 1_700_000_001.0

            # Edits draw from the same bucket: the refilled token was just spent.
            with pytest.raises(RetryAfter):
                await client.edit_message_text("edited", ALICE, recovered.message_id)
            now[0] += 1.0
            await client.edit_message_text("edited", ALICE, recovered.message_id)
            assert emu.rejected_429 == 2
    finally:
        await emu.stop()


async def test_group_and_global_windows() -> None:
    now = [0.0]
    emu = BotApiEmulator(
        clock=lambda: now[0], limits=FloodLimits(per_chat_rate=1000, per_chat_burst=1000)
    )
    populate(emu)
    await emu.start()
    try:
        for _ in range(20):
            status, _body = await raw_call(emu, "sendMessage", json={"chat_id": GROUP, "text": "x"})
            assert status == 200
            now[0] += 0.5
        status, body = await raw_call(emu, "sendMessage", json={"chat_id": GROUP, "text": "x"})
        # 20 sends since t=0; the first leaves the 60 s window at t=60, now is t=10.
        assert (status, body["parameters"]["retry_after"]) == (429, 50)

        now[0] = 100.0
        for user in range(2000, 2030):
            emu.add_user(user, "U")
            status, _body = await raw_call(emu, "sendMessage", data={"chat_id": user, "text": "y"})
            assert status == 200
        status, body = await raw_call(emu, "sendMessage", data={"chat_id": ALICE, "text": "y"})
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        assert emu.rejected_429 == 2

        emu.limits.enabled = False
        status, _body = await raw_call(emu, "sendMessage", data={"chat_id": ALICE, "text": "y"})
        assert status == 200
    finally:
        await emu.stop()


# --------------------------------------------------------------------------- webhook


async def test_webhook_posts_updates_with_the_secret(emu: BotApiEmulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret-token")
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates(timeout=0)

        update_id = emu.send_text(ALICE, ALICE, "via webhook")
        await emu.wait_until_delivered(timeout=3)
        assert received[0][0] == "s3cret-token"
        assert received[0][1]["update_id"] == update_id
        assert received[0][1]["message"]["text"] == "via webhook"
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (url, 0)
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )

        with pytest.raises(BadRequest, match="(?i)loopback"):
            await bot.set_webhook("https://example.com/hook")

        assert await bot.delete_webhook()
        emu.send_text(ALICE, ALICE, "via polling")
        (update,) = await bot.get_updates(timeout=0)
        assert update.message.text == "via polling"
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- protocol edges


async def test_unknown_method_is_404(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTeleportation")
    status, body = await raw_call(emu, "sendTeleportation")
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


async def test_wrong_token_is_unauthorized(emu: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.base_url):
            pass
    status, body = await raw_call(emu, "getMe", token="999:WRONG")
    assert (status, body["description"]) == (401, "Unauthorized")
    assert emu.calls[-1].error_code == 401


async def test_json_form_and_query_encodings_agree(emu: BotApiEmulator) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    await raw_call(
        emu, "sendMessage", json={"chat_id": ALICE, "text": "json", "reply_markup": markup}
    )
    await raw_call(
        emu,
        "sendMessage",
        data={"chat_id": str(ALICE), "text": "form", "reply_markup": json.dumps(markup)},
    )
    async with aiohttp.ClientSession() as session:
        query = {"chat_id": ALICE, "text": "get", "reply_markup": json.dumps(markup)}
        async with session.get(f"{emu.base_url}{DEFAULT_TOKEN}/SENDMESSAGE", params=query) as r:
            assert r.status == 200
    assert [(m.text, m.labels) for m in emu.messages(ALICE)] == [
        ("json", ["A"]),
        ("form", ["A"]),
        ("get", ["A"]),
    ]
    assert [c.method for c in emu.calls] == ["sendMessage"] * 3  # names are case-insensitive
    status, body = await raw_call(
        emu, "sendMessage", data={"chat_id": ALICE, "text": "x", "reply_markup": "{"}
    )
    assert status == 400 and "reply_markup" in body["description"]


async def test_send_document_multipart_and_download(emu: BotApiEmulator, bot: Bot) -> None:
    content = "订单号,状态\n42,已发货\n".encode()
    sent = await bot.send_document(
        GROUP, InputFile(content, filename="orders.csv"), caption="导出", reply_markup=keyboard("A")
    )
    assert sent.document.file_name == "orders.csv"
    assert sent.document.file_size == len(content)
    record = emu.last_message(GROUP)
    assert (record.kind, record.text, record.file_name, record.file_size) == (
        "document",
        "导出",
        "orders.csv",
        len(content),
    )
    assert emu.calls_to("sendDocument")[0].params["document"] == {
        "filename": "orders.csv",
        "size": len(content),
    }
    assert emu.file_bytes(sent.document.file_id) == content
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content

    photo = await bot.send_photo(ALICE, InputFile(b"\x89PNG fake", filename="p.png"))
    assert photo.photo[0].file_size == 9 and emu.last_message(ALICE).kind == "photo"
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_document(ALICE, InputFile(b"x", filename="a.txt"), caption="c" * 1025)
    with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
        await bot.edit_message_text("nope", GROUP, sent.message_id)


async def test_html_parse_mode_is_strict(emu: BotApiEmulator, bot: Bot) -> None:
    sent = await bot.send_message(
        ALICE,
        "<b>订单</b> &lt;42&gt; <a href='https://e.x/?a=1&amp;b=2'>链接</a>",
        parse_mode="HTML",
    )
    assert sent.text == "订单 <42> 链接"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        (MessageEntityType.BOLD, 0, 2),
        (MessageEntityType.TEXT_LINK, 8, 2),
    ]
    assert sent.entities[1].url == "https://e.x/?a=1&b=2"
    with pytest.raises(BadRequest, match="(?i)can't parse entities: Unsupported start tag"):
        await bot.send_message(ALICE, "数量 <5 件", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)unclosed start tag"):
        await bot.send_message(ALICE, "数量<5", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)Can't find end tag"):
        await bot.send_message(ALICE, "<b>unclosed", parse_mode="HTML")


def test_parse_html_details() -> None:
    assert parse_html('<pre><code class="language-py">x = 1</code></pre>') == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "py"}],
    )
    assert parse_html("😀<i>a</i>&#x4e2d;&unknown;") == (
        "😀a中&unknown;",
        [{"type": "italic", "offset": 2, "length": 1}],
    )


async def test_chat_and_member_lookups_and_commands(emu: BotApiEmulator, bot: Bot) -> None:
    chat = await bot.get_chat(GROUP)
    assert (chat.title, chat.type) == ("生产部", "supergroup")
    assert (await bot.get_chat(ALICE)).username == "alice_w"
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "member"
    emu.set_chat_admin(GROUP, ALICE)
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "administrator"
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.get_chat(-42)

    await bot.set_my_commands([("status", "查看订单状态")], language_code="zh")
    assert [(c.command, c.description) for c in await bot.get_my_commands(language_code="zh")] == [
        ("status", "查看订单状态")
    ]
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Name", "x")])
    await bot.delete_my_commands(language_code="zh")
    assert emu.commands(language_code="zh") == []


async def test_answer_callback_query_rejects_unknown_ids(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)query ID is invalid"):
        await bot.answer_callback_query("nope")
    assert emu.answered_callbacks == []
