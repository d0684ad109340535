"""A task that stops being open takes its buttons with it: every message the bot sent that
offers them loses them (the text stays), however the task was closed, and what Telegram need
not or cannot edit is neither retried nor reported as undelivered."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.emulator import BotMessage
from bot.simulate import Stack
from storage.models import OutboxRow
from storage.repositories.outbox import WITHDRAWN
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    set_up_company,
)
from tests.e2e.test_clocks import at
from tests.e2e.test_lifecycle import FINANCE, NUMBER, QIAN, _status
from tests.e2e.test_next_steps import _in_planning, answer
from tests.e2e.test_order_review import ORDER


def cards(stack: Stack, chat: int, fragment: str) -> list[BotMessage]:
    """The bot's messages in `chat` containing `fragment`, as the chat shows them now."""
    return [m for m in stack.emulator.messages(chat) if fragment in m.text]


async def withdrawals(stack: Stack) -> list[OutboxRow]:
    async with stack.gendan.sessions() as session:
        return list(await session.scalars(
            select(OutboxRow).where(OutboxRow.kind == WITHDRAWN).order_by(OutboxRow.id)))


async def _warehoused(stack: Stack) -> None:
    await _in_planning(stack)
    await stack.press(MANUFACTURING, WANGQIANG, "提交计划", on="📌 生产计划分解")
    await answer(stack, MANUFACTURING, WANGQIANG, "生产计划", "装配完成 12-15")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")
    await stack.press(MANUFACTURING, WANGQIANG, "已入库", on="已完成")
    assert await _status(stack) == "warehoused"


async def test_a_typed_command_takes_the_buttons_off_the_task_card(stack: Stack) -> None:
    await _warehoused(stack)
    [card] = cards(stack, FINANCE, "📌 核对货款到位")
    assert card.labels[-2:] == ["已到账", "未到账"]
    await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    [card] = cards(stack, FINANCE, "📌 核对货款到位")
    assert card.buttons == [] and card.edited
    assert [row.edit_message_id for row in await withdrawals(stack)
            if row.chat_id == FINANCE] == [card.message_id]
    assert card.text.startswith("📌 核对货款到位")  # the text stays as it was
    # The chat's last word is still the answer to /paid, not the edit.
    assert "核对货款到位" not in stack.texts(FINANCE)[-1]


async def test_an_acknowledged_card_loses_its_next_step_with_the_task(stack: Stack) -> None:
    """收到 leaves only the step that finishes the task (已到账 / 未到账) on the card: it is
    the task's, and goes when the task is closed by a typed command."""
    await _warehoused(stack)
    await stack.press(FINANCE, QIAN, "收到", on="📌 核对货款到位")
    [card] = cards(stack, FINANCE, "📌 核对货款到位")
    assert card.labels == ["已到账", "未到账"]
    await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    [card] = cards(stack, FINANCE, "📌 核对货款到位")
    assert card.buttons == []


async def test_a_button_on_the_leaders_copy_clears_the_groups_copy(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    # Manufacturing ignores its review: its leader is told in private, with the buttons.
    await stack.advance_to(at("2026-11-25", "10:00"))
    ping = stack.emulator.newest_message(WANGQIANG, "交货期评审", with_buttons=True)
    assert ping.labels == ["可行", "不可行"]
    in_group = [m.message_id for m in cards(stack, MANUFACTURING, "交货期评审") if m.buttons]
    assert len(in_group) == 3  # the request, its reminder and the overdue notice
    await stack.press(WANGQIANG, WANGQIANG, "可行", on="交货期评审")
    # Every copy in the group lost them, each by one edit in the group.
    assert all(m.buttons == [] for m in cards(stack, MANUFACTURING, "交货期评审"))
    assert sorted((row.chat_id, row.edit_message_id) for row in await withdrawals(stack)) == [
        (MANUFACTURING, message_id) for message_id in sorted(in_group)]
    assert all(m.buttons == [] for m in cards(stack, WANGQIANG, "交货期评审"))
    # Tech's request is another task's: it keeps its buttons.
    assert [m.labels for m in cards(stack, TECH, "交货期评审") if m.buttons][0] == ["可行",
                                                                                  "不可行"]


async def test_a_cancelled_orders_task_cards_lose_their_buttons(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    [request] = cards(stack, TECH, "交货期评审")
    old_data = request.buttons[0][0].callback_data
    await stack.say(MARKET, ZHAOZONG, f"/cancel {NUMBER} 客户取消项目")
    assert await _status(stack) == "cancelled"
    for chat in (TECH, MANUFACTURING):
        assert all(m.buttons == [] for m in cards(stack, chat, "交货期评审")), chat
    assert {row.chat_id for row in await withdrawals(stack)} == {TECH, MANUFACTURING}

    # A phone that still shows the old screen taps 可行: a pop-up for the presser, nothing
    # in the group, and the task stays cancelled.
    before = len(stack.messages)
    assert old_data is not None
    stack.emulator.press_stale(TECH, ZHANGWEI, request.message_id, old_data)
    await stack.pump()
    assert stack.messages[before:] == []
    pop_up = stack.emulator.answered_callbacks[-1]
    assert pop_up["user_id"] == ZHANGWEI and pop_up.get("show_alert") in (True, "true")
    assert "这项任务已经处理过了" in pop_up["text"]
    assert {t["status"] for t in (await stack.state())["tasks"]} == {"cancelled"}


async def test_edits_telegram_refuses_as_harmless_are_settled_quietly(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    [tech_request] = cards(stack, TECH, "交货期评审")
    [manufacturing_request] = cards(stack, MANUFACTURING, "交货期评审")
    # Tech's keyboard is already gone (an earlier process took it off and died before it
    # could note so); manufacturing's message is one Telegram will not let the bot edit.
    await stack.application.bot.edit_message_reply_markup(
        chat_id=TECH, message_id=tech_request.message_id, reply_markup=None)
    stack.emulator.uneditable(MANUFACTURING, manufacturing_request.message_id)
    await stack.say(MARKET, ZHAOZONG, f"/cancel {NUMBER} 客户取消项目")
    await stack.advance(timedelta(minutes=10))

    refused = [call.description for call in stack.emulator.calls_to("editMessageReplyMarkup")
               if not call.ok]
    assert len(refused) == 2  # each tried once, not retried
    assert any("message is not modified" in str(d) for d in refused)
    assert any("message can't be edited" in str(d) for d in refused)
    rows = await withdrawals(stack)
    assert [row.status for row in rows] == ["sent", "sent"]
    # Nor sent again as a new message in place of the edit.
    assert len(cards(stack, MANUFACTURING, "交货期评审")) == 1
    assert len(cards(stack, TECH, "交货期评审")) == 1
    assert (await stack.state())["outbox"]["failed"] == 0
    # Nothing for the administrators to see, and nobody told of an undelivered message.
    await stack.say(MARKET, ADMIN, "/deliveries")
    listing = stack.texts(MARKET)[-1]
    assert "已放弃 0 条" in listing and "等对方可接收 0 条" in listing
    assert not [m for m in stack.messages if "没能送达" in m["text"]]
