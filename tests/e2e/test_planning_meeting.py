"""A non-regular order is planned at a meeting of the departments (一)1 of the policy)."""

from __future__ import annotations

from datetime import timedelta

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI
from tests.e2e.test_clocks import sent
from tests.e2e.test_lifecycle import NUMBER, PROCUREMENT, _company, _production_ordered
from tests.e2e.test_order_review import ORDER

QUALITY = -1011


async def _non_regular_in_planning(stack: Stack, notes: str) -> None:
    await _company(stack)
    stack.emulator.add_group(QUALITY, "质量管理部")
    await stack.say(QUALITY, 1, "/bind quality")
    await stack.say(MARKET, LIMING, f"{ORDER} 备注:{notes}")
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    await _production_ordered(stack)
    await stack.advance(timedelta(seconds=10))  # a group's messages go out a second apart


async def test_the_departments_are_called_to_plan_a_non_regular_order(stack: Stack) -> None:
    await _non_regular_in_planning(stack, "按客户图纸重新设计，质量要求高于国标")
    assert (await stack.state())["orders"][0]["order_class"] == "non_regular"
    meeting = "需召开计划协调会：技术中心、制造中心、物资管理部、质量管理部"
    for chat in (TECH, MANUFACTURING, PROCUREMENT, QUALITY):
        assert sent(stack, chat, meeting), chat

    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n设计 12-01 方案图\n装配完成 12-15")
    await stack.advance(timedelta(seconds=10))
    agreed = "已按计划协调会下达计划，共 2 项任务"
    for chat in (TECH, MANUFACTURING, PROCUREMENT, QUALITY):  # procurement and quality too
        assert sent(stack, chat, agreed), chat


async def test_quality_joins_the_meeting_only_when_needed(stack: Stack) -> None:
    await _non_regular_in_planning(stack, "按客户图纸重新设计")
    assert sent(stack, PROCUREMENT, "需召开计划协调会：技术中心、制造中心、物资管理部。")
    assert not sent(stack, QUALITY, "计划协调会")


async def test_a_regular_order_needs_no_meeting(stack: Stack) -> None:
    await _company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    await _production_ordered(stack)
    await stack.advance(timedelta(seconds=10))
    assert sent(stack, MANUFACTURING, "生产计划分解")
    assert not any("计划协调会" in text for text in stack.texts(TECH))
