"""Sentences about orders already taken, and messages the bot could only half read."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MARKET, ZHAOZONG, set_up_company
from tests.e2e.test_order_review import ORDER

NUMBER = "SO-20261124-001"


async def _registered(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")


async def test_a_status_question_is_answered_with_the_orders_status(stack: Stack) -> None:
    await _registered(stack)
    await stack.say(MARKET, LIMING, "华东电力那单到哪了")
    answer = stack.texts(MARKET)[-1]
    assert NUMBER in answer and "交货期评审" in answer
    assert (await stack.state())["orders"][0]["status"] == "review"


async def test_a_sentence_never_cancels_an_order_the_leader_decides(stack: Stack) -> None:
    await _registered(stack)
    await stack.say(MARKET, LIMING, f"{NUMBER} 这单作废，客户不要了")
    assert stack.heard(MARKET, "确认是否作废订单 SO-20261124-001")
    assert (await stack.state())["orders"][0]["status"] == "review"  # nothing happened yet
    asked = stack.emulator.newest_message(ZHAOZONG, "作废申请", with_buttons=True)
    assert "客户不要了" in asked.text and asked.labels == ["作废订单", "不作废"]
    await stack.press(ZHAOZONG, ZHAOZONG, "作废订单", on="作废申请")
    state = await stack.state()
    assert state["orders"][0]["status"] == "cancelled"
    assert all(t["status"] == "cancelled" for t in state["tasks"])
    assert any("已由 赵总 确认作废" in t for t in stack.texts(LIMING))
    decided = stack.emulator.newest_message(ZHAOZONG, "作废申请")
    assert not decided.buttons and "已作废 — 赵总" in decided.text


async def test_a_leader_may_keep_an_order_a_rep_asked_to_cancel(stack: Stack) -> None:
    await _registered(stack)
    await stack.say(MARKET, LIMING, f"{NUMBER} 这单作废")
    await stack.press(ZHAOZONG, ZHAOZONG, "不作废", on="作废申请")
    assert (await stack.state())["orders"][0]["status"] == "review"
    assert any("决定不作废" in t for t in stack.texts(LIMING))


async def test_a_half_read_message_gets_the_order_line_to_complete(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(LIMING, LIMING, "华东电力 开关柜")
    answer = stack.texts(LIMING)[-1]
    assert "已读出：客户、产品" in answer and "还缺：数量、交期" in answer
    assert "/order 客户:华东电力 产品:开关柜 数量: 交期:" in answer
    await stack.say(LIMING, LIMING, "下周见")  # nothing read: the plain answer
    assert "没看懂" in stack.texts(LIMING)[-1] and "还缺" not in stack.texts(LIMING)[-1]
