"""Nothing owed is lost: Telegram's real failure answers, on purpose, through the real stack.

Each test makes the emulator fail the way Telegram does (a group upgraded to a supergroup, a
person who never pressed Start, the bot removed from a group, an outage, a slow answer, a flood
limit in the middle of a long text) or stops the bot at an unlucky moment, and then counts what
Telegram accepted: every message once, in the chat it belongs in now.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from telegram import Update

from bot.simulate import Stack
from storage.models import ChatRow, OutboxRow
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    STRANGER,
    TECH,
    UNBOUND,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    populate,
    set_up_company,
)
from tests.e2e.test_order_review import ORDER
from workflow import escalation
from workflow.model import Notification, Text
from workflow.roles import Role

OLD_GROUP, SUPERGROUP = -4003, -1004003  # a basic group, and what it becomes


async def _notify(stack: Stack, department: Role, key: str = "lang.done",
                  **params: object) -> None:
    """Queue a department's message as the workflow does, and let the outbox send it."""
    async with stack.gendan.runtime.unit_of_work() as uow:
        ctx = stack.gendan.runtime.context(uow, stack.clock.now())
        await ctx.notify_department(department, Text(key, dict(params)), kind="notice",
                                    order_number="SO-TEST")
        await uow.commit()


async def _queue(stack: Stack, chat_id: int, count: int, key: str = "lang.done") -> None:
    async with stack.gendan.runtime.unit_of_work() as uow:
        for i in range(count):
            await uow.outbox.enqueue(Notification(chat_id, Text(key), "notice", f"Q-{i}"),
                                     stack.clock.now())
        await uow.commit()


def _accepted(stack: Stack, chat_id: int, fragment: str = "") -> list[str]:
    return [m.text for m in stack.emulator.accepted_sends(chat_id) if fragment in m.text]


async def _binding(stack: Stack, chat_id: int) -> tuple[str | None, bool] | None:
    async with stack.gendan.sessions() as session:
        row = await session.get(ChatRow, chat_id)
        return (row.department, row.active) if row else None


async def _outbox_statuses(stack: Stack) -> Counter[str]:
    async with stack.gendan.sessions() as session:
        return Counter(await session.scalars(select(OutboxRow.status)))


# ---- a group upgraded to a supergroup --------------------------------------------------------


async def _company_with_a_basic_manufacturing_group(stack: Stack) -> None:
    stack.emulator.add_group(OLD_GROUP, "制造中心（老群）")
    await set_up_company(stack)
    await stack.say(OLD_GROUP, ADMIN, "/bind manufacturing")
    await stack.say(MANUFACTURING, ADMIN, "/bind market")  # the old manufacturing group moves on


async def test_a_migrated_group_keeps_its_binding_from_the_service_message(stack: Stack) -> None:
    await _company_with_a_basic_manufacturing_group(stack)
    stack.emulator.migrate_group(OLD_GROUP, SUPERGROUP)
    await stack.pump()  # the bot reads Telegram's service messages first
    assert await _binding(stack, SUPERGROUP) == ("manufacturing", True)
    assert await _binding(stack, OLD_GROUP) == (None, False)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    assert len(_accepted(stack, SUPERGROUP, "交货期评审")) == 1
    await stack.say(SUPERGROUP, WANGQIANG, "/whoami")
    assert "制造中心的群" in stack.texts(SUPERGROUP)[-1]


async def test_a_send_to_a_migrated_group_moves_it_and_everything_owed_to_it(
    stack: Stack,
) -> None:
    await _company_with_a_basic_manufacturing_group(stack)
    stack.emulator.migrate_group(OLD_GROUP, SUPERGROUP)
    # Before the bot reads the service messages, it owes the old group three messages.
    await _notify(stack, Role.MANUFACTURING, "bind.done", role="manufacturing")
    await _queue(stack, OLD_GROUP, 2)
    await stack.sender.drain()
    await stack.advance(timedelta(seconds=5))
    calls = stack.emulator.calls_to("sendMessage")
    refused = [c for c in calls if c.params.get("chat_id") == OLD_GROUP and not c.ok]
    assert [c.error_code for c in refused] == [400]  # once, and everything owed moves
    assert len(_accepted(stack, SUPERGROUP)) == 3
    assert await _binding(stack, SUPERGROUP) == ("manufacturing", True)
    await stack.pump()  # the service messages come after: nothing moves twice
    assert await _binding(stack, SUPERGROUP) == ("manufacturing", True)
    assert (await stack.state())["outbox"]["pending"] == 0


# ---- a person who never pressed Start, or blocked the bot -------------------------------------


async def test_a_person_the_bot_cannot_reach_is_mentioned_in_their_group(stack: Stack) -> None:
    await set_up_company(stack)
    stack.emulator.block(WANGQIANG)
    await stack.pump()
    before = len(_accepted(stack, WANGQIANG))
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    # The review is ignored: escalation to the manufacturing leader, who blocked the bot.
    await stack.advance(timedelta(days=1, hours=1))
    to_leader = [t for t in _accepted(stack, MANUFACTURING) if "第1次上报" in t]
    assert len(to_leader) == 1 and to_leader[0].startswith("@wangqiang")
    assert len(_accepted(stack, WANGQIANG)) == before
    notices = _accepted(stack, ADMIN, "无法私信 王强")
    assert len(notices) == 1  # once per person, not per message
    await stack.say(MARKET, ADMIN, "/roles")
    assert "王强（负责人）（私信不通）" in stack.texts(MARKET)[-1]
    # Writing to the bot in private clears the mark; private messages reach him again.
    await stack.say(WANGQIANG, WANGQIANG, "/whoami")
    assert "可以收到" in stack.texts(WANGQIANG)[-1]
    assert (await stack.state())["unreachable"] == []


async def test_a_general_manager_who_never_pressed_start_gets_it_all_once_he_does(
    stack: Stack,
) -> None:
    stack.emulator.add_user(ZHAOZONG, "赵总", "zhaozong", started=False)
    for chat, key in ((MARKET, "market"), (TECH, "tech"), (MANUFACTURING, "manufacturing")):
        await stack.say(chat, ADMIN, f"/bind {key}")
    await stack.say(MARKET, ZHAOZONG, "大家好")  # in the group, never in a private chat
    for person in (LIMING, WANGQIANG, ZHANGWEI):
        await stack.say(person, person, "/start")
    for username, role in (("liming", "market"), ("wangqiang", "manufacturing leader"),
                           ("zhangwei", "tech"), ("zhaozong", "gm")):
        await stack.say(MARKET, ADMIN, f"/role @{username} {role}")
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.advance(timedelta(days=1, hours=3))  # up the chain to the general manager
    assert not _accepted(stack, ZHAOZONG)
    state = await stack.state()
    assert state["unreachable"] == [ZHAOZONG] and state["outbox"]["pending"] >= 1
    assert len(_accepted(stack, ADMIN, "无法私信 赵总")) == 1
    await stack.say(ZHAOZONG, ZHAOZONG, "/start")
    await stack.advance(timedelta(seconds=10))
    held = [t for t in _accepted(stack, ZHAOZONG) if "上报" in t]
    assert held and len(held) == len(set(held))
    assert (await stack.state())["outbox"]["pending"] == 0


async def test_who_sent_it_is_told_when_a_private_message_went_elsewhere(stack: Stack) -> None:
    await set_up_company(stack)
    stack.emulator.block(WANGQIANG)
    await stack.pump()
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    number = (await stack.state())["orders"][0]["number"]
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")  # a blocked person may still tap
    for command in (f"/quote {number} 42万", f"/signed {number}", f"/paid {number}"):
        await stack.say(MARKET, LIMING, command)
    await stack.say(MARKET, LIMING, f"/urge {number} 装配落后，请加班")
    assert len(_accepted(stack, MANUFACTURING, "@wangqiang")) == 1
    assert any("王强 收不到机器人的私信" in t for t in _accepted(stack, LIMING))


# ---- the bot removed from a group, and added back ----------------------------------------------


async def test_a_removed_bot_hands_the_department_to_its_leaders_until_it_is_back(
    stack: Stack,
) -> None:
    await set_up_company(stack)
    stack.emulator.kick(MANUFACTURING)
    await stack.pump()
    assert await _binding(stack, MANUFACTURING) == ("manufacturing", False)
    assert len(_accepted(stack, ADMIN, "机器人已不在群「制造中心」")) == 1
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    private = _accepted(stack, WANGQIANG, "交货期评审")
    assert len(private) == 1 and "制造中心的消息" in private[0]
    # Back in the group: the binding is active again and the group hears what follows.
    stack.emulator.readd(MANUFACTURING)
    await stack.pump()
    assert await _binding(stack, MANUFACTURING) == ("manufacturing", True)
    assert len(_accepted(stack, ADMIN, "机器人已回到群「制造中心」")) == 1
    before = len(_accepted(stack, MANUFACTURING))
    await _notify(stack, Role.MANUFACTURING, "bind.done", role="manufacturing")
    await stack.sender.drain()
    assert _accepted(stack, MANUFACTURING)[before:] == ["✅ 本群已绑定为制造中心的群。"]


async def test_messages_owed_to_a_group_the_bot_was_removed_from_are_rerouted(
    stack: Stack,
) -> None:
    await set_up_company(stack)
    stack.emulator.kick(MANUFACTURING)  # before the bot has read the news
    await _queue(stack, MANUFACTURING, 3)
    await stack.sender.drain()
    await stack.advance(timedelta(seconds=10))
    assert len(_accepted(stack, WANGQIANG, "原发往群「制造中心」")) == 3
    statuses = await _outbox_statuses(stack)
    assert statuses["rerouted"] == 3 and statuses["pending"] == 0


# ---- a department with no group -----------------------------------------------------------------


async def test_a_department_with_no_group_hears_in_private_and_admins_are_told_once(
    stack: Stack,
) -> None:
    for chat, key in ((MARKET, "market"), (MANUFACTURING, "manufacturing")):
        await stack.say(chat, ADMIN, f"/bind {key}")
    for person in (LIMING, ZHANGWEI, WANGQIANG):
        await stack.say(person, person, "/start")
    await stack.say(MARKET, ADMIN, "/role @liming market")
    await stack.say(MARKET, ADMIN, "/role @zhangwei tech")
    await stack.say(MARKET, ADMIN, "/role @wangqiang manufacturing leader")
    for _ in range(2):
        await stack.say(MARKET, LIMING, ORDER.replace("12台", f"{12 + _}台"))
        await stack.press(MARKET, LIMING, "确认")
    reviews = _accepted(stack, ZHANGWEI, "交货期评审")
    assert len(reviews) == 2 and all("技术中心的消息" in t for t in reviews)
    assert len(_accepted(stack, ADMIN, "技术中心还没有绑定群")) == 1
    # The review can be answered right there, in private.
    await stack.press(ZHANGWEI, ZHANGWEI, "可行")
    assert any("可行" in t for t in stack.texts(ZHANGWEI))


# ---- Telegram down, or slow ---------------------------------------------------------------------


async def test_a_two_hour_outage_loses_nothing(stack: Stack) -> None:
    await set_up_company(stack)
    sent_before = len(stack.emulator.accepted_sends())
    stack.emulator.outage(502)
    await _queue(stack, MARKET, 10)
    await _queue(stack, LIMING, 5)
    async with stack.gendan.sessions() as session:  # 36 earlier pushes-back by 429
        await session.execute(update(OutboxRow).where(OutboxRow.status == "pending")
                              .values(attempts=36))
        await session.commit()
    await stack.advance(timedelta(hours=2))
    assert len(stack.emulator.accepted_sends()) == sent_before
    assert (await _outbox_statuses(stack))["failed"] == 0
    stack.emulator.outage(None)
    await stack.advance(timedelta(seconds=30))
    assert len(_accepted(stack, MARKET, "以后用中文")) == 10 and len(_accepted(stack, LIMING, "以后用中文")) == 5
    assert (await stack.state())["outbox"] == {
        "sent": len(stack.emulator.accepted_sends()), "pending": 0, "failed": 0}


async def test_network_trouble_is_given_up_only_after_the_retry_budget(stack: Stack) -> None:
    await set_up_company(stack)
    stack.sender.circuit.cap = 600  # probe every ten minutes: a day is long to simulate
    stack.emulator.outage(503)
    await _queue(stack, MARKET, 1)
    await stack.advance(timedelta(hours=23))
    assert (await _outbox_statuses(stack))["failed"] == 0
    await stack.advance(timedelta(hours=2))
    assert (await _outbox_statuses(stack))["failed"] == 1
    stack.emulator.outage(None)
    await stack.say(MARKET, ADMIN, "/deliveries")
    assert "503" in stack.texts(MARKET)[-1] or "Service" in stack.texts(MARKET)[-1]


async def test_a_slow_answer_within_the_timeout_is_not_sent_twice(stack: Stack) -> None:
    await set_up_company(stack)
    stack.emulator.slow(8)  # 20 s read timeout: an 8 s answer is slow, not lost
    await _queue(stack, MARKET, 2)
    await stack.sender.drain()
    stack.emulator.slow(None)
    await stack.advance(timedelta(seconds=30))
    assert len(_accepted(stack, MARKET, "以后用中文")) == 2


async def test_an_answer_past_the_timeout_is_the_one_way_to_a_duplicate(stack: Stack) -> None:
    await set_up_company(stack)
    stack.emulator.slow(30)  # Telegram takes it, but answers after the 20 s read timeout
    await _queue(stack, MARKET, 1)
    await stack.sender.drain()
    stack.emulator.slow(None)
    await stack.advance(timedelta(seconds=30))
    assert len(_accepted(stack, MARKET, "以后用中文")) == 2  # the documented duplicate
    assert (await stack.state())["outbox"]["pending"] == 0


async def test_a_long_text_continues_after_its_last_accepted_part(stack: Stack) -> None:
    await set_up_company(stack)
    stack.sender.pacer.per_chat_gap = 0  # let Telegram's flood limit push back mid-text
    text = "\n".join(f"第{i}行 " + "订单进度" * 60 for i in range(80))
    async with stack.gendan.runtime.unit_of_work() as uow:
        await uow.outbox.enqueue(Notification(MARKET, Text("", {"text": text}), "notice", None),
                                 stack.clock.now())
        await uow.commit()
    await stack.advance(timedelta(minutes=2))
    parts = [m.text for m in stack.emulator.accepted_sends(MARKET) if "订单进度" in m.text]
    assert len(parts) >= 5 and stack.emulator.rejected_429 >= 1
    assert len(parts) == len(set(parts)) and "\n".join(parts) == text


# ---- answers to a person's own message ---------------------------------------------------------


def _update(stack: Stack, update_id: int, text: str, chat: int = MARKET,
            user: int = ADMIN) -> Update:
    raw = {"update_id": update_id, "message": {
        "message_id": 8000 + update_id, "date": int(stack.clock.timestamp()), "text": text,
        "chat": {"id": chat, "type": "supergroup", "title": "市场部"} if chat < 0
        else {"id": chat, "type": "private", "first_name": "管理员"},
        "from": {"id": user, "is_bot": False, "first_name": "管理员", "username": "admin"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}
    return Update.de_json(raw, stack.application.bot)


async def test_a_reply_that_meets_a_502_is_sent_when_telegram_is_back(stack: Stack) -> None:
    await set_up_company(stack)
    update = _update(stack, 7001, "/whoami")
    await stack.intake.receive([update])
    stack.emulator.outage(502)
    await stack.intake.handle(update)
    stack.emulator.outage(None)
    await stack.advance(timedelta(seconds=10))
    assert len(_accepted(stack, MARKET, "管理员")) == 1
    # A press that answers with an edit and a new message: both arrive after an outage.
    await stack.say(MARKET, LIMING, ORDER)
    stack.emulator.press(MARKET, LIMING, "确认")
    updates = await stack.application.bot.get_updates(offset=stack._next_update, timeout=0)
    stack._next_update = updates[-1].update_id + 1
    await stack.intake.receive(updates)
    stack.emulator.outage(502)
    for pressed in updates:
        await stack.intake.handle(pressed)
    stack.emulator.outage(None)
    await stack.advance(timedelta(seconds=10))
    assert any("已登记" in t for t in _accepted(stack, MARKET))
    assert any(c.ok for c in stack.emulator.calls_to("editMessageText"))


async def test_a_press_answered_too_late_still_counts_and_is_logged_in_one_line(
        stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    """A bot back from a restart finds presses Telegram no longer takes an answer for: the
    press is handled all the same, and the refused answer is one line in the log."""
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    stack.emulator.press(TECH, ZHANGWEI, "可行")
    stack.emulator.let_presses_expire()
    with caplog.at_level("WARNING", logger="handlers.turn"):
        await stack.pump()
    refused = [r for r in caplog.records if "could not answer callback query" in r.getMessage()]
    assert len(refused) == 1 and "too old" in refused[0].getMessage()
    assert refused[0].exc_info is None
    reviews = [t for t in (await stack.state())["tasks"] if t["kind"] == "feasibility_review"]
    assert sorted(str(t["outcome"]) for t in reviews) == ["None", "feasible"]


async def test_a_send_the_database_failed_to_note_is_noted_on_a_later_try(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails the note of what Telegram took (it restarted under the bot): the
    note is written on the next try, so the message is not sent again when its lease runs
    out."""
    from bot.outbox import OutboxSender

    await set_up_company(stack)
    failures = 2
    write = OutboxSender._write_marks

    async def failing(self: OutboxSender, marks: list) -> int:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionResetError("the database went away")
        return await write(self, marks)

    monkeypatch.setattr(OutboxSender, "_write_marks", failing)
    await stack.say(MARKET, ADMIN, "/whoami")
    assert failures == 0
    assert set(await _outbox_statuses(stack)) == {"sent"}
    await stack.advance(timedelta(minutes=10))  # well past any lease
    assert len(_accepted(stack, MARKET, "管理员")) == 1


async def test_a_reply_committed_just_before_a_crash_is_sent_after_the_restart(
    database_url: str,
) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as first:
        populate(first.emulator)
        await set_up_company(first)

        async def dies_before_sending(rows: list[object]) -> None:
            return None

        first.gendan.runtime.deliver_now = dies_before_sending
        await first.say(MARKET, ADMIN, "/whoami")
        assert not _accepted(first, MARKET, "管理员")
        restart_at = first.clock.now() + timedelta(minutes=2)
    async with Stack(restart_at, database_url=database_url,
                     admin_ids=frozenset({ADMIN})) as second:
        populate(second.emulator)
        await second.advance(timedelta(seconds=5))
        assert len(_accepted(second, MARKET, "管理员")) == 1


async def test_updates_fetched_but_not_handled_are_handled_after_a_restart(
    database_url: str,
) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as first:
        populate(first.emulator)
        await set_up_company(first)
        first.emulator.send_text(MARKET, ADMIN, "/whoami")
        updates = await first.application.bot.get_updates(offset=first._next_update, timeout=0)
        await first.intake.receive(updates)  # kept; the process dies before handling them
        # Telegram hears they arrived (the next poll would say so).
        await first.application.bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    async with Stack(START + timedelta(minutes=1), database_url=database_url,
                     admin_ids=frozenset({ADMIN})) as second:
        populate(second.emulator)
        await second.pump()
        assert len(_accepted(second, MARKET, "管理员")) == 1


async def test_update_ids_that_start_again_are_new_updates(database_url: str) -> None:
    for minute in (0, 5):  # the sandbox restarted on the same database: ids start at 1 again
        async with Stack(START + timedelta(minutes=minute), database_url=database_url,
                         admin_ids=frozenset({ADMIN})) as stack:
            populate(stack.emulator)
            if minute == 0:
                await set_up_company(stack)
            for _ in range(5):
                await stack.say(MARKET, ADMIN, "/whoami")
            assert len(_accepted(stack, MARKET, "管理员")) == 5


# ---- who may read an order ---------------------------------------------------------------------


async def test_status_needs_a_role_and_a_department_group_or_a_private_chat(
    stack: Stack,
) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    number = (await stack.state())["orders"][0]["number"]
    await stack.say(STRANGER, STRANGER, f"/status {number}")
    assert "华东电力" not in stack.texts(STRANGER)[-1]
    await stack.say(UNBOUND, LIMING, f"/status {number}")
    assert not any("华东电力" in t for t in _accepted(stack, UNBOUND))
    assert any("华东电力" in t for t in _accepted(stack, LIMING))  # answered in private
    await stack.say(TECH, ZHANGWEI, f"/status {number}")
    assert "华东电力" in stack.texts(TECH)[-1]


async def test_names_lose_escapes_and_invisible_marks(stack: Stack) -> None:
    stack.emulator.add_user(555, "\x1b[31m老王\u202e\x1b[0m", "laowang")
    stack.emulator.add_group(-1005, "★采购群★\u200b")
    await stack.say(555, 555, "/whoami")
    async with stack.gendan.runtime.unit_of_work() as uow:
        person = await uow.people.get(555)
    assert person is not None and person.name == "老王"
    await stack.say(-1005, 555, "/whoami")
    async with stack.gendan.runtime.unit_of_work() as uow:
        chat = await uow.chats.get(-1005)
    assert chat is not None and chat.title == "采购群"


# ---- after downtime, and the administrators' daily list --------------------------------------


async def test_stale_reminders_are_summarized_even_if_the_first_try_dies(
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as first:
        populate(first.emulator)
        await set_up_company(first)
        await first.say(MARKET, LIMING, ORDER)
        await first.press(MARKET, LIMING, "确认")
    later = START + timedelta(days=1)  # down across the reminders' moment (Tue 17:0x)

    async def dies(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process dies here")

    async with Stack(later, database_url=database_url, admin_ids=frozenset({ADMIN})) as second:
        populate(second.emulator)
        monkeypatch.setattr(escalation, "summarize_stale", dies)
        with pytest.raises(RuntimeError):
            await second.time.timers.poll()
        monkeypatch.undo()
        await second.advance(timedelta(minutes=3))  # the leases run out; the summary comes
        for chat in (TECH, MANUFACTURING):
            assert len(_accepted(second, chat, "停机期间错过")) == 1


async def test_numbers_beyond_any_real_order_get_an_answer_not_a_record(stack: Stack) -> None:
    await set_up_company(stack)
    for typed in ("数量:99999999999999999999台", "单价:1e308", "数量:inf台"):
        await stack.say(MARKET, LIMING, f"/order 客户:华东电力 产品:开关柜 {typed} 交期:12月20日")
        card = stack.texts(MARKET)[-1]
        assert "⚠️" in card, typed
        assert "确认" not in stack.emulator.last_message(MARKET).labels
    assert (await stack.state())["orders"] == []


async def test_administrators_get_the_days_undelivered_messages_each_morning(
    stack: Stack,
) -> None:
    await set_up_company(stack)
    async with stack.gendan.runtime.unit_of_work() as uow:
        await uow.outbox.enqueue(Notification(-999999, Text("lang.done"), "notice", None),
                                 stack.clock.now())  # a chat Telegram does not know
        await uow.commit()
    await stack.sender.drain()
    assert (await _outbox_statuses(stack))["held"] == 1  # kept until the chat can be reached
    await stack.advance(timedelta(days=1))
    [daily] = _accepted(stack, ADMIN, "过去一天有 1 条消息没能送达")
    assert "等对方可接收 · Chat not found" in daily
    await stack.say(MARKET, ADMIN, "/deliveries retry all")
    assert "已重新排队 1 条" in stack.texts(MARKET)[-1]
