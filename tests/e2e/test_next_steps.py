"""Next steps as buttons: each card offers what its reader may do next; a tap takes the step
or asks for its one value in a reply, read as the typed command reads it."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI
from tests.e2e.test_lifecycle import (
    FINANCE,
    NUMBER,
    QIAN,
    SUN,
    WAREHOUSE,
    _company,
    _reviewed,
    _status,
)
from tests.e2e.test_order_review import ORDER


def labels(stack: Stack, chat: int, fragment: str) -> list[str]:
    message = stack.emulator.newest_message(chat, fragment, with_buttons=True)
    return [button.text for row in message.buttons for button in row]


async def answer(stack: Stack, chat: int, sender: int, question: str, text: str) -> None:
    """Reply to the bot's newest question containing `question`, as the reply box does."""
    asked = next(m for m in reversed(stack.emulator.accepted_sends(chat))
                 if question in m.text and "请回复这条消息" in m.text)
    await stack.say(chat, sender, text, reply_to_message_id=asked.message_id)


async def facts(stack: Stack) -> dict[str, object]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        order = await uow.orders.by_number(NUMBER)
        assert order is not None
        return order.facts


async def audit_actions(stack: Stack) -> list[str]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e.action for e in await uow.audit.for_subject("order", NUMBER)]


async def test_market_quotes_signs_and_orders_production_with_buttons(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    assert labels(stack, MARKET, "交货期评审通过") == ["记录报价"]
    await stack.press(MARKET, LIMING, "记录报价", on="交货期评审通过")
    assert await _status(stack) == "quote"  # a question, nothing recorded yet
    [question] = [call for call in stack.emulator.calls_to("sendMessage")
                  if "报价金额" in str(call.params.get("text"))]
    # The reply box opens for the rep who tapped, named in the question.
    assert "force_reply" in str(question.params.get("reply_markup"))
    assert str(question.params["text"]).startswith("@liming")
    await answer(stack, MARKET, LIMING, "报价金额", "42万")
    assert (await facts(stack))["quote_amount"] == 420000
    assert await _status(stack) == "contract"
    assert labels(stack, MARKET, "420,000") == ["已签字", "已付款"]
    await stack.press(MARKET, LIMING, "已签字", on="420,000")
    assert labels(stack, MARKET, "客户签字") == ["已付款"]
    # The tapped card gives its buttons to the answer.
    assert stack.emulator.newest_message(MARKET, "420,000").buttons == []
    await stack.press(MARKET, LIMING, "已付款", on="客户签字")
    assert await _status(stack) == "effective"
    assert "下达生产指令" in labels(stack, MARKET, "📌 下达生产指令")
    await stack.press(MARKET, LIMING, "下达生产指令", on="📌 下达生产指令")
    assert await _status(stack) == "planning"


async def test_a_wrong_amount_is_asked_again_in_words_for_a_reply(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.press(MARKET, LIMING, "记录报价", on="交货期评审通过")
    await answer(stack, MARKET, LIMING, "报价金额", "很贵")
    assert stack.heard(MARKET, "请回复报价金额")
    assert not stack.heard(MARKET, "用法：/quote")
    await answer(stack, MARKET, LIMING, "报价金额", "-5万")
    assert await _status(stack) == "quote"
    assert "quote_amount" not in await facts(stack)


async def test_an_old_button_no_longer_applies_and_records_nothing(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")  # typed commands keep working
    before = await audit_actions(stack)
    await stack.press(MARKET, LIMING, "记录报价", on="交货期评审通过")
    assert stack.heard(MARKET, "这个按钮已不适用")
    assert await audit_actions(stack) == before
    assert (await facts(stack))["quote_amount"] == 420000
    # The card keeps only what still applies.
    assert labels(stack, MARKET, "这个按钮已不适用") == ["已签字", "已付款"]


async def test_a_reply_after_the_order_moved_on_records_nothing(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.press(MARKET, LIMING, "记录报价", on="交货期评审通过")
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    await stack.say(MARKET, LIMING, f"/signed {NUMBER}")
    await answer(stack, MARKET, LIMING, "报价金额", "50万")
    assert stack.heard(MARKET, "这个按钮已不适用")
    assert (await facts(stack))["quote_amount"] == 420000


async def test_a_person_without_the_role_cannot_take_the_step(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    before = await audit_actions(stack)
    heard_before = len(stack.messages)
    await stack.press(MARKET, WANGQIANG, "记录报价", on="交货期评审通过")
    refusal = stack.emulator.answered_callbacks[-1]  # a pop-up to him, saying whose step it is
    assert refusal["user_id"] == WANGQIANG and "市场部" in refusal["text"]
    assert len(stack.messages) == heard_before  # nothing said in the group
    assert await audit_actions(stack) == before
    assert await _status(stack) == "quote"
    # Nor by replying to the question somebody else was asked.
    await stack.press(MARKET, LIMING, "记录报价", on="交货期评审通过")
    await answer(stack, MARKET, WANGQIANG, "报价金额", "42万")
    assert await _status(stack) == "quote"
    assert "quote_amount" not in await facts(stack)


async def test_status_card_shows_the_readers_next_steps(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/status {NUMBER}")
    assert labels(stack, MARKET, "状态") == ["记录报价"]
    await stack.say(MANUFACTURING, WANGQIANG, f"/status {NUMBER}")
    assert stack.emulator.newest_message(MANUFACTURING, "状态").buttons == []  # not its step


async def _in_planning(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    for command in (f"/quote {NUMBER} 42万", f"/signed {NUMBER}", f"/paid {NUMBER}",
                    f"/prodorder {NUMBER}"):
        await stack.say(MARKET, LIMING, command)


async def test_from_the_plan_to_closing_with_buttons(stack: Stack) -> None:
    await _in_planning(stack)
    await stack.press(MANUFACTURING, WANGQIANG, "提交计划", on="📌 生产计划分解")
    await answer(stack, MANUFACTURING, WANGQIANG, "生产计划", "装配完成 12-15")
    assert await _status(stack) == "production"
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")
    assert "已入库" in labels(stack, MANUFACTURING, "已完成")
    await stack.press(MANUFACTURING, WANGQIANG, "已入库", on="已完成")
    assert await _status(stack) == "warehoused"
    assert labels(stack, FINANCE, "📌 核对货款到位")[-2:] == ["已到账", "未到账"]
    await stack.press(FINANCE, LIMING, "已到账", on="📌 核对货款到位")
    refusal = stack.emulator.answered_callbacks[-1]  # only finance says the payment is in
    assert refusal["user_id"] == LIMING and "财务部" in refusal["text"]
    assert "payment_confirmed" not in await facts(stack)
    await stack.press(FINANCE, QIAN, "未到账", on="📌 核对货款到位")
    assert "order.payment_missing" in await audit_actions(stack)
    assert stack.heard(MARKET, "货款尚未到账")
    assert "payment_confirmed" not in await facts(stack)
    await stack.press(FINANCE, QIAN, "已到账", on="📌 核对货款到位")
    assert (await facts(stack))["payment_confirmed"]
    await stack.press(MARKET, LIMING, "发出发货通知", on="货款已到位")
    await answer(stack, MARKET, LIMING, "发货日期", "下周三")
    assert await _status(stack) == "shipping"
    assert labels(stack, WAREHOUSE, "发货日期") == ["发货", "部分发货"]
    await stack.press(WAREHOUSE, SUN, "发货", on="发货日期")
    assert await _status(stack) == "shipped"
    await stack.press(MARKET, LIMING, "关闭订单", on="已发货")
    await answer(stack, MARKET, LIMING, "客户反馈", "客户验收合格")
    assert await _status(stack) == "closed"
    assert (await facts(stack))["feedback"] == "客户验收合格"


async def test_a_bad_date_or_quantity_in_a_reply_says_what_to_reply(stack: Stack) -> None:
    await _in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配完成 12-15")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    await stack.press(FINANCE, QIAN, "已到账", on="📌 核对货款到位")
    await stack.press(MARKET, LIMING, "发出发货通知", on="货款已到位")
    await answer(stack, MARKET, LIMING, "发货日期", "尽快")
    assert stack.heard(MARKET, "请回复发货日期")
    assert await _status(stack) == "warehoused"
    await answer(stack, MARKET, LIMING, "发货日期", "12月18日")
    await stack.press(WAREHOUSE, SUN, "部分发货", on="发货日期")
    await answer(stack, WAREHOUSE, SUN, "实发的数量", "很多")
    assert stack.heard(WAREHOUSE, "请回复实发数量")
    await answer(stack, WAREHOUSE, SUN, "实发的数量", "20台")  # more than ordered
    assert await _status(stack) == "shipping"
    await answer(stack, WAREHOUSE, SUN, "实发的数量", "12台")
    assert await _status(stack) == "shipped"


async def test_a_bad_plan_in_a_reply_says_what_to_reply(stack: Stack) -> None:
    await _in_planning(stack)
    await stack.press(MANUFACTURING, WANGQIANG, "提交计划", on="📌 生产计划分解")
    await answer(stack, MANUFACTURING, WANGQIANG, "生产计划", "明天再说")
    assert stack.heard(MANUFACTURING, "请回复生产计划")
    assert await _status(stack) == "planning"


async def test_other_reason_asks_for_the_reason_in_a_reply(stack: Stack) -> None:
    await _company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "不可行")
    await stack.press(TECH, ZHANGWEI, "其他原因")
    assert await _status(stack) == "review"  # nothing recorded before the reason
    assert labels(stack, TECH, "交货期评审") == ["可行", "不可行"]
    await answer(stack, TECH, ZHANGWEI, "不可行的原因", "客户要求的防护等级需重新设计")
    assert await _status(stack) == "negotiating"
    state = await stack.state()
    [review] = [t for t in state["tasks"] if t["kind"] == "feasibility_review"
                and t["role"] == "tech"]
    assert review["outcome"] == "infeasible" and review["note"] == "客户要求的防护等级需重新设计"
    assert stack.heard(MARKET, "客户要求的防护等级需重新设计")
