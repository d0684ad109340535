"""Owners report on tasks by replying to the bot's messages from a phone, and procurement's own
clocks: the dispatch confirmation on the agreed day and the 30-minute delay report."""

from __future__ import annotations

from datetime import timedelta

from bot.simulate import Stack
from tests.e2e.conftest import ADMIN, LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import (
    NUMBER,
    PROCUREMENT,
    ZHOU,
    _company,
    _production_ordered,
    _reviewed,
)

WU = 701  # procurement's leader


async def _planned(stack: Stack, plan: str) -> None:
    await _company(stack)
    stack.emulator.add_user(WU, "吴经理", "wu")
    await stack.say(WU, WU, "/start")
    await stack.say(MARKET, ADMIN, "/role @wu procurement leader")
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n{plan}")
    await stack.advance(timedelta(seconds=10))  # the groups' messages go out a second apart


def _message(stack: Stack, chat: int, fragment: str) -> int:
    """The newest bot message in the chat that contains the fragment and still has buttons."""
    found = [m for m in stack.emulator.messages(chat) if fragment in m.text and m.buttons]
    assert found, f"no message with buttons containing {fragment!r} in {chat}"
    return found[-1].message_id


async def _tasks(stack: Stack, kind: str) -> list[dict]:
    return [t for t in (await stack.state())["tasks"] if t["kind"] == kind]


async def test_progress_and_a_counted_finish_by_reply(stack: Stack) -> None:
    await _planned(stack, "装配开始 12-08\n采购 12-07 断路器 50个")
    assembly = _message(stack, MANUFACTURING, "装配开始")
    await stack.say(MANUFACTURING, WANGQIANG, "进度 60% 柜体完成", reply_to_message_id=assembly)
    assert stack.heard(MANUFACTURING, "进度 60%")
    [task] = await _tasks(stack, "assembly_start")
    assert (task["status"], task["progress"]) == ("acknowledged", 60)

    # A purchase finished with what arrived: 47 accepted of the 50 planned.
    purchase = _message(stack, PROCUREMENT, "采购到货")
    await stack.say(PROCUREMENT, ZHOU, "完成 47个 3个外观不良退回",
                    reply_to_message_id=purchase)
    [task] = await _tasks(stack, "purchase")
    assert (task["status"], task["quantity"], task["note"]) == ("done", 47, "3个外观不良退回")
    shortfall = "合格 47，计划 50"
    assert stack.heard(WU, shortfall) and stack.heard(MANUFACTURING, shortfall)
    assert not stack.heard(ZHOU, shortfall)  # a member hears it in the group, not in private


async def test_a_photo_reply_finishes_a_task_with_the_photo(stack: Stack) -> None:
    await _planned(stack, "装配开始 12-08")
    assembly = _message(stack, MANUFACTURING, "装配开始")
    stack.emulator.send_photo(MANUFACTURING, WANGQIANG, "/done 已开工",
                              reply_to_message_id=assembly)
    await stack.pump()
    [task] = await _tasks(stack, "assembly_start")
    assert task["status"] == "done" and task["note"] == "已开工"
    assert task["photo"] == "photo-1-1280"  # the largest size Telegram sent
    [card] = [m for m in stack.emulator.messages(MANUFACTURING) if m.message_id == assembly]
    assert not card.buttons and "✅ 已完成 — 王强" in card.text  # the finished task's card
    # A photo answering a message that names no open task is people's talk: no answer.
    said_before = len(stack.messages)
    stack.emulator.send_photo(MANUFACTURING, WANGQIANG, "完成", reply_to_message_id=assembly)
    await stack.pump()
    assert len(stack.messages) == said_before


async def test_reports_that_cannot_be_taken(stack: Stack) -> None:
    await _planned(stack, "装配开始 12-08\n采购 12-07 断路器")
    assembly = _message(stack, MANUFACTURING, "装配开始")
    await stack.say(MANUFACTURING, WANGQIANG, "进度 160%", reply_to_message_id=assembly)
    assert stack.heard(MANUFACTURING, "0% 到 100%")
    # Procurement may not finish manufacturing's task.
    await stack.say(MANUFACTURING, ZHOU, "完成", reply_to_message_id=assembly)
    assert stack.heard(MANUFACTURING, "制造中心")
    # A delay is reported on purchases only.
    await stack.say(MANUFACTURING, WANGQIANG, "延期 12-20 缺料", reply_to_message_id=assembly)
    assert stack.heard(MANUFACTURING, "采购相关的任务")
    # /done not as a reply says how to use it.
    await stack.say(MANUFACTURING, WANGQIANG, "/done 47个")
    assert stack.heard(MANUFACTURING, "用法：回复任务的消息")
    # Once finished, the task's message loses its buttons and a reply no longer names it.
    await stack.say(MANUFACTURING, WANGQIANG, "完成", reply_to_message_id=assembly)
    assert stack.heard(MANUFACTURING, "已完成")
    await stack.say(MANUFACTURING, WANGQIANG, "完成", reply_to_message_id=assembly)
    assert [m["kind"] for m in stack.messages[-1:]] == ["error"]
    [task] = await _tasks(stack, "assembly_start")
    assert task["status"] == "done"


async def test_dispatch_is_confirmed_on_the_agreed_day(stack: Stack) -> None:
    await _planned(stack, "采购 12-14 断路器")
    contact = _message(stack, PROCUREMENT, "联系供应商")
    await stack.say(PROCUREMENT, ZHOU, "完成 12-10 供应商确认10日发货",
                    reply_to_message_id=contact)
    [confirmation] = await _tasks(stack, "dispatch_confirmation")
    # Thu 12-10, due when that working day ends (17:30 Shanghai).
    assert confirmation["due_at"] == "2026-12-10T09:30:00+00:00"
    assert stack.heard(PROCUREMENT, "确认供应商发货")
    await stack.press(PROCUREMENT, ZHOU, "已发出", on="确认供应商发货")
    [confirmation] = await _tasks(stack, "dispatch_confirmation")
    assert confirmation["status"] == "done"
    await stack.advance_to(at("2026-12-11", "10:00"))
    assert not sent(stack, PROCUREMENT, "🚨")


async def test_goods_not_dispatched_must_be_reported_within_30_minutes(stack: Stack) -> None:
    await _planned(stack, "采购 12-14 断路器")
    await stack.press(PROCUREMENT, ZHOU, "完成", on="联系供应商")  # no day: the arrival day
    [confirmation] = await _tasks(stack, "dispatch_confirmation")
    assert confirmation["due_at"] == "2026-12-14T09:30:00+00:00"

    await stack.advance_to(at("2026-12-14", "10:00"))
    await stack.press(PROCUREMENT, ZHOU, "未发出", on="确认供应商发货")
    [report] = await _tasks(stack, "delay_report")
    # Pressed at 10:00:05 Shanghai (the typing pause), due 30 minutes on.
    assert report["due_at"] == "2026-12-14T02:30:05+00:00"
    # Nobody reports: the leader hears of it when the 30 minutes are up.
    await stack.advance_to(at("2026-12-14", "10:31"))
    assert [m for m in stack.messages if m["chat"] == WU and m["kind"] == "escalation"]

    delay = _message(stack, PROCUREMENT, "到货延迟报告")
    await stack.say(PROCUREMENT, ZHOU, "延期 12-18 供应商缺料", reply_to_message_id=delay)
    assert stack.heard(WU, "预计新日期：2026-12-18") and stack.heard(WU, "供应商缺料")
    assert stack.heard(MANUFACTURING, "到货延迟")
    assert all(t["status"] == "done" for t in await _tasks(stack, "delay_report"))
    # The new day is followed up in turn.
    open_confirmations = [t for t in await _tasks(stack, "dispatch_confirmation")
                          if t["status"] == "open"]
    assert [t["due_at"] for t in open_confirmations] == ["2026-12-18T09:30:00+00:00"]


async def test_a_delay_needs_procurement_and_a_reason(stack: Stack) -> None:
    await _planned(stack, "采购 12-14 断路器")
    purchase = _message(stack, PROCUREMENT, "采购到货")
    await stack.say(PROCUREMENT, LIMING, "/delay 12-18 缺料", reply_to_message_id=purchase)
    assert stack.heard(PROCUREMENT, "物资管理部")  # the role that may
    await stack.say(PROCUREMENT, ZHOU, "/delay 12-18", reply_to_message_id=purchase)
    assert stack.heard(PROCUREMENT, "用法：回复采购任务的消息")
    await stack.say(PROCUREMENT, ZHOU, "/delay 12-18 缺料", reply_to_message_id=purchase)
    assert stack.heard(WU, "缺料")


async def test_a_contact_slip_is_answered_back_to_its_issuer(stack: Stack) -> None:
    """跨部门工作联系单: the problem and its time go to a department; the answer comes back."""
    await _planned(stack, "装配开始 12-08")
    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/contact {NUMBER} 技术中心 柜体尺寸与图纸不符，请确认 截止 11-25 16:00")
    assert stack.heard(MANUFACTURING, "工作联系单 LX-20261124-001-1 已发给技术中心，"
                                      "2026-11-25 16:00 前")
    [slip] = await _tasks(stack, "contact_slip")
    assert (slip["role"], slip["due_at"]) == ("tech", "2026-11-25T08:00:00+00:00")
    await stack.advance(timedelta(seconds=10))
    message = _message(stack, TECH, "LX-20261124-001-1")
    await stack.say(TECH, ZHANGWEI, "完成 图纸第3页尺寸有误，已重新下发", reply_to_message_id=message)
    assert stack.heard(MANUFACTURING, "已由技术中心（张伟）答复：图纸第3页尺寸有误，已重新下发")
    # Without a time it is due within a working day; a made-up department gets the usage.
    await stack.say(MANUFACTURING, WANGQIANG, f"/contact {NUMBER} 物资管理部 断路器换型号")
    assert stack.heard(MANUFACTURING, "2026-11-25")
    await stack.say(MANUFACTURING, WANGQIANG, f"/contact {NUMBER} 火星部 断路器换型号")
    assert stack.heard(MANUFACTURING, "用法：/contact")
    await stack.say(MANUFACTURING, LIMING, f"/contact {NUMBER} 技术中心 问题 截止 13-45")
    assert stack.heard(MANUFACTURING, "用法：/contact")


async def test_a_reply_to_the_card_of_a_task_already_done_is_told_so(stack: Stack) -> None:
    """The card lost the task's buttons when it was finished (it offers the order's next
    step now); a late reply to it still means that task, and hears that it was handled, not
    that the bot did not understand."""
    await _planned(stack, "装配开始 12-08")
    card = _message(stack, MANUFACTURING, "装配开始")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配开始")
    [task] = await _tasks(stack, "assembly_start")
    assert task["status"] == "done"
    shown = next(m for m in stack.emulator.messages(MANUFACTURING) if m.message_id == card)
    assert "完成" not in shown.labels
    await stack.say(MANUFACTURING, WANGQIANG, "完成 12台", reply_to_message_id=card)
    answer = stack.texts(MANUFACTURING)[-1]
    assert "已经处理过了" in answer and "没看懂" not in answer
    assert await _tasks(stack, "assembly_start") == [task]
